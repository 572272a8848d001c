//! The demo community (R9): 300 questions in French and English about the
//! demo products, with answers, votes, comments, accepted answers and
//! product experts. Made from word lists and sentence patterns with a
//! fixed seed, so every demo has the same community; inserted in a few
//! multi-row statements, once (a marker in `settings`).

use anyhow::Context;
use guichet_domain::community::{AnswerId, CommentId, PostBody, QuestionId, QuestionTitle, Vote};
use guichet_domain::email::EmailAddress;
use guichet_domain::product::{AreaKey, ProductKey};
use guichet_domain::user::{Language, UserId};
use guichet_store::{CommunityBulk, NewQuestion, OutboxMessage, Store};
use jiff::{SignedDuration, Timestamp};

const MARKER: &str = "demo.community";

/// How many questions the demo asks.
pub const QUESTIONS: usize = 300;

/// A topic of a product area: (product, area, French words with their
/// article, English words, tag).
type Topic = (&'static str, &'static str, &'static str, &'static str, &'static str);

const TOPICS: &[Topic] = &[
    (
        "financials",
        "general_ledger",
        "l'écriture de journal",
        "journal entry",
        "journal",
    ),
    (
        "financials",
        "general_ledger",
        "la clôture de période",
        "period close",
        "closing",
    ),
    (
        "financials",
        "general_ledger",
        "l'écriture récurrente",
        "recurring entry",
        "recurring",
    ),
    (
        "financials",
        "accounts_payable",
        "la facture fournisseur",
        "supplier invoice",
        "invoices",
    ),
    (
        "financials",
        "accounts_payable",
        "le paiement fournisseur",
        "supplier payment",
        "payments",
    ),
    (
        "financials",
        "accounts_payable",
        "l'avoir fournisseur",
        "supplier credit note",
        "credit-notes",
    ),
    (
        "financials",
        "accounts_receivable",
        "la relance client",
        "customer reminder",
        "dunning",
    ),
    (
        "financials",
        "accounts_receivable",
        "l'encaissement client",
        "customer receipt",
        "receipts",
    ),
    (
        "financials",
        "accounts_receivable",
        "la facture client",
        "customer invoice",
        "invoices",
    ),
    (
        "financials",
        "cash_management",
        "le rapprochement bancaire",
        "bank reconciliation",
        "reconciliation",
    ),
    (
        "financials",
        "cash_management",
        "la prévision de trésorerie",
        "cash forecast",
        "forecast",
    ),
    (
        "financials",
        "cash_management",
        "l'import du relevé bancaire",
        "bank statement import",
        "statements",
    ),
    (
        "financials",
        "reporting",
        "le bilan comptable",
        "balance sheet",
        "balance-sheet",
    ),
    (
        "financials",
        "reporting",
        "le rapport personnalisé",
        "custom report",
        "reports",
    ),
    (
        "financials",
        "reporting",
        "l'export vers Excel",
        "Excel export",
        "excel",
    ),
    ("time", "timesheets", "la feuille de temps", "timesheet", "timesheets"),
    ("time", "timesheets", "la saisie des heures", "time entry", "time-entry"),
    (
        "time",
        "timesheets",
        "les heures supplémentaires",
        "overtime",
        "overtime",
    ),
    ("time", "expenses", "la note de frais", "expense report", "expenses"),
    (
        "time",
        "expenses",
        "le justificatif de dépense",
        "expense receipt",
        "receipts",
    ),
    (
        "time",
        "expenses",
        "les indemnités kilométriques",
        "mileage allowance",
        "mileage",
    ),
    (
        "time",
        "approvals",
        "le circuit de validation",
        "approval workflow",
        "workflow",
    ),
    (
        "time",
        "approvals",
        "la délégation d'approbation",
        "approval delegation",
        "delegation",
    ),
    (
        "time",
        "approvals",
        "le rappel d'approbation",
        "approval reminder",
        "reminders",
    ),
];

/// Question patterns: (French title, English title); `{t}` is the topic,
/// `{T}` the topic capitalized.
const TITLES: &[(&str, &str)] = &[
    (
        "Comment corriger une erreur dans {t} ?",
        "How do I fix a mistake in the {t}?",
    ),
    ("Impossible de valider {t}", "Cannot validate the {t}"),
    (
        "Message d'erreur en enregistrant {t}",
        "Error message when saving the {t}",
    ),
    ("Peut-on automatiser {t} ?", "Can the {t} be automated?"),
    (
        "Quels droits faut-il pour {t} ?",
        "Which permissions does the {t} need?",
    ),
    ("Montant différent après {t}", "Amount differs after the {t}"),
    ("Où paramétrer {t} ?", "Where do I set up the {t}?"),
    ("{T} : blocage depuis la mise à jour", "{T} stuck since the update"),
];

const CONTEXTS_FR: &[&str] = &[
    "Depuis lundi, plusieurs collègues rencontrent le même souci.",
    "Cela ne concerne qu'une de nos sociétés, les autres fonctionnent.",
    "Nous avons suivi l'article de la base de connaissances sans succès.",
    "Le problème apparaît uniquement en fin de mois.",
    "Nous utilisons la version cloud avec l'authentification unique.",
    "Le comportement était différent avant la dernière mise à jour.",
];

const CONTEXTS_EN: &[&str] = &[
    "Since Monday several colleagues have run into the same issue.",
    "It only affects one of our companies; the others work fine.",
    "We followed the knowledge base article without success.",
    "The problem only shows up at month end.",
    "We use the cloud edition with single sign-on.",
    "It behaved differently before the last update.",
];

const ANSWERS_FR: &[&str] = &[
    "Vérifiez d'abord que la période comptable est ouverte dans **Paramètres › Périodes**, puis relancez l'opération.",
    "Il faut le droit *Administrateur financier* : demandez-le à votre administrateur, puis déconnectez-vous et reconnectez-vous.",
    "C'est un comportement connu depuis la mise à jour : videz le cache du navigateur et réessayez ; un correctif est prévu.",
    "Passez par **Outils › Automatisation** et créez une règle planifiée ; elle tourne chaque nuit.",
    "Comparez les taux de change utilisés : l'écart vient souvent d'un taux du jour différent du taux de la facture.",
    "Chez nous, il suffisait de compléter le champ *Centre de coût*, obligatoire depuis la dernière version.",
];

const ANSWERS_EN: &[&str] = &[
    "First check that the accounting period is open under **Settings › Periods**, then run it again.",
    "You need the *Finance administrator* permission: ask your administrator, then sign out and back in.",
    "This is a known behaviour since the update: clear the browser cache and try again; a fix is planned.",
    "Use **Tools › Automation** and create a scheduled rule; it runs every night.",
    "Compare the exchange rates used: the gap often comes from the day's rate differing from the invoice's.",
    "For us it was enough to fill in the *Cost centre* field, mandatory since the last release.",
];

const THANKS_FR: &[&str] = &[
    "Merci, c'était bien ça !",
    "Ça fonctionne, merci beaucoup.",
    "Parfait, problème résolu.",
];
const THANKS_EN: &[&str] = &["Thanks, that was it!", "It works now, thank you.", "Perfect, solved."];

/// Askers: the demo's customer and partner users.
const ASKERS: &[&str] = &[
    "marie@lumiere.example",
    "chef@lumiere.example",
    "dana@acme.example",
    "ulysse@acme.example",
    "bruce@koala.example",
    "fiona@thistle.example",
    "thabo@springbok.example",
    "jonas@brezel.example",
    "pat@northwind.example",
    "rita@redwood.example",
    "sam@redwood.example",
];

/// R9: the product experts: the vendor's staff and two community members
/// (expert, products).
const EXPERTS: &[(&str, &[&str])] = &[
    ("coach@support.example", &["financials", "time"]),
    ("pm@support.example", &["financials"]),
    ("eng@support.example", &["time"]),
    ("fiona@thistle.example", &["financials"]),
    ("jonas@brezel.example", &["time"]),
];

/// The moderator who named the experts.
const MODERATOR: &str = "lead@support.example";

/// A small deterministic generator (xorshift): the same community every time.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The demo community as rows, for `store` whose users are the demo's.
pub async fn build(store: &Store, now: Timestamp) -> anyhow::Result<CommunityBulk> {
    let user = |email: &'static str| async move {
        let email = EmailAddress::parse(email)?;
        anyhow::Ok(
            store
                .user_by_email(&email)
                .await?
                .with_context(|| format!("demo user {email}"))?
                .id,
        )
    };
    let mut askers = Vec::new();
    for email in ASKERS {
        askers.push(user(email).await?);
    }
    let mut experts: Vec<(UserId, Vec<ProductKey>)> = Vec::new();
    for (email, products) in EXPERTS {
        let products = products
            .iter()
            .map(|p| ProductKey::parse(p))
            .collect::<Result<_, _>>()?;
        experts.push((user(email).await?, products));
    }
    let moderator = user(MODERATOR).await?;
    let mut bulk = CommunityBulk::default();
    for (expert, products) in &experts {
        for product in products {
            bulk.experts
                .push((expert.clone(), product.clone(), moderator.clone(), now));
        }
    }

    let mut dice = Dice(0x5eed_c0de_2026);
    for n in 0..QUESTIONS {
        let lang = if n % 2 == 0 { Language::Fr } else { Language::En };
        let (product, area, topic_fr, topic_en, tag) = TOPICS[(n / 2) % TOPICS.len()];
        let (pattern_fr, pattern_en) = TITLES[(n / 2 / TOPICS.len()) % TITLES.len()];
        let (pattern, topic, contexts, answers, thanks) = match lang {
            Language::Fr => (pattern_fr, topic_fr, CONTEXTS_FR, ANSWERS_FR, THANKS_FR),
            Language::En => (pattern_en, topic_en, CONTEXTS_EN, ANSWERS_EN, THANKS_EN),
        };
        let title = pattern.replace("{t}", topic).replace("{T}", &capitalized(topic));
        let body = format!(
            "{}\n\n{}\n\n```\n{}\n```",
            dice.pick(contexts),
            dice.pick(contexts),
            match lang {
                Language::Fr => format!("Étapes : ouvrir {topic}, saisir, enregistrer."),
                Language::En => format!("Steps: open the {topic}, fill it in, save."),
            }
        );
        // Spread over the last 120 days, newest last; the newest ones
        // wait for answers.
        let asked_at = now - SignedDuration::from_mins(((QUESTIONS - n) * 576) as i64);
        let author = askers[dice.below(askers.len())].clone();
        let id = QuestionId(guichet_store::new_id());
        let product_key = ProductKey::parse(product)?;
        let answered = n < QUESTIONS - 12 && dice.below(10) > 0;
        let mut accepted = None;
        if answered {
            let count = 1 + dice.below(4);
            let accept = dice.below(10) < 7;
            let mut best: Option<(i64, AnswerId)> = None;
            for k in 0..count {
                // An expert of the product answers first more often than not.
                let by_expert = k == 0 && dice.below(3) > 0;
                let answerer = if by_expert {
                    let candidates: Vec<&UserId> = experts
                        .iter()
                        .filter(|(_, products)| products.contains(&product_key))
                        .map(|(u, _)| u)
                        .collect();
                    (*dice.pick(&candidates)).clone()
                } else {
                    askers[dice.below(askers.len())].clone()
                };
                if answerer == author {
                    continue;
                }
                let answer_id = AnswerId(guichet_store::new_id());
                let at = asked_at + SignedDuration::from_mins(30 + 90 * k as i64 + dice.below(60) as i64);
                bulk.answers.push((
                    answer_id.clone(),
                    id.clone(),
                    answerer.clone(),
                    (*dice.pick(answers)).to_owned(),
                    at,
                ));
                let mut score = 0;
                for voter in askers.iter().filter(|v| **v != answerer) {
                    match dice.below(10) {
                        0..=3 => {
                            bulk.votes.push((answer_id.clone(), voter.clone(), Vote::Up, at));
                            score += 1;
                        }
                        4 => {
                            bulk.votes.push((answer_id.clone(), voter.clone(), Vote::Down, at));
                            score -= 1;
                        }
                        _ => {}
                    }
                }
                if by_expert {
                    score += 3;
                }
                if best.as_ref().is_none_or(|(s, _)| score > *s) {
                    best = Some((score, answer_id.clone()));
                }
            }
            if accept && let Some((_, best)) = best {
                bulk.comments.push((
                    CommentId(guichet_store::new_id()),
                    id.clone(),
                    Some(best.clone()),
                    author.clone(),
                    (*dice.pick(thanks)).to_owned(),
                    asked_at + SignedDuration::from_hours(8),
                ));
                accepted = Some(best);
            }
        }
        bulk.outbox.push(OutboxMessage::new(
            guichet_web::knowledge::INDEX_FEED,
            &serde_json::json!({"kind": "question", "id": id.0}),
            now,
        ));
        bulk.questions.push((
            NewQuestion {
                id,
                author,
                title: QuestionTitle::parse(&title)?,
                body: PostBody::parse(&body, PostBody::MAX_LEN)?,
                product: product_key,
                area: Some(AreaKey::parse(area)?),
                tags: vec![area.replace('_', "-"), tag.to_owned()],
                lang,
                at: asked_at,
            },
            accepted,
        ));
    }
    Ok(bulk)
}

/// Loads the demo community once; `true` if it was loaded now.
pub async fn seed(store: &Store, now: Timestamp) -> anyhow::Result<bool> {
    if store.setting(MARKER).await?.is_some() {
        return Ok(false);
    }
    let bulk = build(store, now).await?;
    store.import_community(&bulk).await?;
    store.put_setting(MARKER, &now.to_string()).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_title_is_a_valid_question() {
        for (pattern_fr, pattern_en) in TITLES {
            for (_, _, fr, en, _) in TOPICS {
                for title in [
                    pattern_fr.replace("{t}", fr).replace("{T}", &capitalized(fr)),
                    pattern_en.replace("{t}", en).replace("{T}", &capitalized(en)),
                ] {
                    QuestionTitle::parse(&title).unwrap();
                }
            }
        }
        assert!(TITLES.len() * TOPICS.len() * 2 >= QUESTIONS, "titles repeat");
    }
}
