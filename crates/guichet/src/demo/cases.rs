//! 200 demo cases across the demo companies, in every state, with answers,
//! experts, update and escalation requests: played through the same
//! operations people use, each at its own time over the last 60 days, so
//! the timeline, routing and priorities are what Guichet itself decided.

use std::sync::{Arc, Mutex};

use anyhow::Context;
use guichet_domain::case::{AnswerFields, Case};
use guichet_domain::contact::SupportPolicy;
use guichet_domain::email::EmailAddress;
use guichet_search::SearchIndex;
use guichet_store::Store;
use guichet_web::auth::Caller;
use guichet_web::cases::{self, OpenCase};
use guichet_web::knowledge::Search;
use guichet_web::{AppState, Clock, WebSettings};
use jiff::{SignedDuration, Timestamp};

const MARKER: &str = "demo.cases";
const COUNT: u64 = 200;

/// Who opens the demo cases, weighted by how often.
const OPENERS: &[(&str, u64)] = &[
    ("dana@acme.example", 5),
    ("marie@lumiere.example", 4),
    ("chef@lumiere.example", 3),
    ("bruce@koala.example", 3),
    ("fiona@thistle.example", 3),
    ("thabo@springbok.example", 2),
    ("jonas@brezel.example", 3),
    ("rita@redwood.example", 2),
    ("pat@northwind.example", 2),
];

/// A product, one of its areas, and problems there in English and French.
type Problems = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

/// Subjects by area, in English and French.
const PROBLEMS: &[Problems] = &[
    (
        "financials",
        "general_ledger",
        &[
            (
                "Journal entry will not post: error GL-4012",
                "L'écriture de journal ne se valide pas : erreur GL-4012",
            ),
            (
                "Period close leaves unbalanced entries",
                "La clôture de période laisse des écritures déséquilibrées",
            ),
            (
                "Recurring journal entries did not run",
                "Les écritures récurrentes ne se sont pas exécutées",
            ),
        ],
    ),
    (
        "financials",
        "accounts_payable",
        &[
            (
                "Vendor invoices stuck in approval",
                "Factures fournisseurs bloquées en approbation",
            ),
            (
                "Payment run created duplicate payments",
                "Le lot de paiements a créé des paiements en double",
            ),
        ],
    ),
    (
        "financials",
        "accounts_receivable",
        &[
            (
                "Customer statements show old balances",
                "Les relevés clients affichent d'anciens soldes",
            ),
            (
                "Credit memo cannot be applied to invoice",
                "L'avoir ne peut pas être imputé à la facture",
            ),
        ],
    ),
    (
        "financials",
        "cash_management",
        &[
            (
                "Bank reconciliation will not match imported lines",
                "Le rapprochement bancaire n'associe pas les lignes importées",
            ),
            (
                "Bank feed stopped importing transactions",
                "Le flux bancaire n'importe plus les transactions",
            ),
        ],
    ),
    (
        "financials",
        "reporting",
        &[
            (
                "Income statement totals differ from the trial balance",
                "Le compte de résultat diffère de la balance",
            ),
            (
                "Scheduled report email not delivered",
                "Le rapport planifié n'est pas envoyé par e-mail",
            ),
        ],
    ),
    (
        "time",
        "timesheets",
        &[
            (
                "Timesheets cannot be submitted for last week",
                "Impossible de soumettre les feuilles de temps de la semaine dernière",
            ),
            (
                "Overtime hours are not calculated",
                "Les heures supplémentaires ne sont pas calculées",
            ),
        ],
    ),
    (
        "time",
        "expenses",
        &[
            (
                "Expense receipts fail to upload",
                "Les justificatifs de dépenses ne se téléversent pas",
            ),
            (
                "Mileage rate is wrong on expense reports",
                "Le barème kilométrique est faux sur les notes de frais",
            ),
        ],
    ),
    (
        "time",
        "approvals",
        &[
            (
                "Approvers do not receive approval requests",
                "Les approbateurs ne reçoivent pas les demandes d'approbation",
            ),
            (
                "Delegated approval is ignored",
                "La délégation d'approbation est ignorée",
            ),
        ],
    ),
];

const IMPACTS: &[&str] = &[
    "outage", "blocked", "blocked", "degraded", "degraded", "degraded", "question", "question",
];
const SCOPES: &[&str] = &["organization", "group", "group", "individual", "individual"];
const ENVIRONMENTS: &[&str] = &[
    "production",
    "production",
    "production",
    "production",
    "production",
    "production",
    "production",
    "sandbox",
    "sandbox",
    "implementation",
];

/// A small deterministic generator (SplitMix64), so the demo is the same
/// on every machine.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }

    fn weighted(&mut self, items: &[(&'static str, u64)]) -> &'static str {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut roll = self.next() % total;
        for (item, weight) in items {
            if roll < *weight {
                return item;
            }
            roll -= weight;
        }
        items[0].0
    }
}

/// One person acting in the demo, at a time of the story's choosing.
struct Actor {
    state: AppState,
    caller: Caller,
}

struct Story {
    store: Store,
    policy: SupportPolicy,
    settings: WebSettings,
    /// One index for every actor: each state would otherwise make its own,
    /// and hundreds of index writers left the demo holding 2 GB.
    search: Arc<Search>,
    at: Arc<Mutex<Timestamp>>,
}

impl Story {
    async fn actor(&self, email: &str) -> anyhow::Result<Actor> {
        let at = self.at.clone();
        let clock = Clock::from_fn(move || *at.lock().expect("the demo clock"));
        let state = AppState::with_search(
            self.store.clone(),
            self.policy.clone(),
            self.settings.clone(),
            clock,
            self.search.clone(),
        );
        let user = self
            .store
            .user_by_email(&EmailAddress::parse(email)?)
            .await?
            .with_context(|| format!("demo user {email}"))?;
        let caller = Caller::for_user(&state, user, None).await?.context("a demo company")?;
        Ok(Actor { state, caller })
    }

    fn at(&self, instant: Timestamp) {
        *self.at.lock().expect("the demo clock") = instant;
    }
}

fn failed(error: guichet_web::error::ApiError) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", error.code, error.detail)
}

/// Loads the demo cases unless this database has them. Returns whether it
/// loaded anything.
pub async fn seed(
    store: &Store,
    policy: &SupportPolicy,
    settings: &WebSettings,
    now: Timestamp,
) -> anyhow::Result<bool> {
    if store.setting(MARKER).await?.is_some() {
        return Ok(false);
    }
    let search = Search::new(SearchIndex::in_memory());
    let start = now - SignedDuration::from_hours(24 * 60);
    let spacing = SignedDuration::from_secs(60 * 60 * 24 * 60 / COUNT as i64);
    // Open every case first, in order, so numbers follow the story.
    let mut opened: Vec<(u64, Case, Timestamp)> = Vec::new();
    for index in 0..COUNT {
        let story = Story {
            store: store.clone(),
            policy: policy.clone(),
            settings: settings.clone(),
            search: search.clone(),
            at: Arc::new(Mutex::new(start)),
        };
        let mut dice = Dice(index + 1);
        let opener = dice.weighted(OPENERS);
        let (product, area, subjects) = dice.pick(PROBLEMS);
        let (english, french) = *dice.pick(subjects);
        let at = start + spacing * index as i32 + SignedDuration::from_mins((dice.next() % 240) as i64);
        story.at(at);
        let actor = story.actor(opener).await?;
        let french_speaker = actor.caller.user.language == guichet_domain::user::Language::Fr;
        let company = if actor.caller.company.kind == guichet_domain::company::CompanyKind::Partner {
            let redwood = store.company_by_name("Redwood Dental LLC").await?.context("Redwood")?;
            Some(redwood.id.0)
        } else {
            None
        };
        let request = OpenCase {
            product: Some((*product).to_owned()),
            area: Some((*area).to_owned()),
            environment: Some((*dice.pick(ENVIRONMENTS)).to_owned()),
            impact: Some((*dice.pick(IMPACTS)).to_owned()),
            scope: Some((*dice.pick(SCOPES)).to_owned()),
            subject: Some(if french_speaker { french } else { english }.to_owned()),
            description: Some(if french_speaker {
                "Depuis ce matin, plusieurs utilisateurs rencontrent ce problème. Capture d'écran sur demande."
                    .to_owned()
            } else {
                "Since this morning several users have hit this. Screenshots available on request.".to_owned()
            }),
            steps: Some("1. Sign in\n2. Open the page\n3. Repeat the action".to_owned()),
            expected: Some(
                if french_speaker {
                    "Que cela fonctionne comme avant."
                } else {
                    "It works as before."
                }
                .to_owned(),
            ),
            company,
            contacts: Vec::new(),
        };
        let case = cases::open(&actor.state, &actor.caller, request)
            .await
            .map_err(failed)?;
        opened.push((index, case, at));
    }
    // Then play each case's life, side by side (the writes share commits).
    let mut lives = tokio::task::JoinSet::new();
    for (index, case, at) in opened {
        let story = Story {
            store: store.clone(),
            policy: policy.clone(),
            settings: settings.clone(),
            search: search.clone(),
            at: Arc::new(Mutex::new(at)),
        };
        lives.spawn(async move { live(story, index, case, at, now).await });
    }
    while let Some(life) = lives.join_next().await {
        life.context("a demo case")??;
    }
    // The clocks' alarms over those 60 days, as the watcher would have
    // raised them.
    let watcher = AppState::with_search(
        store.clone(),
        policy.clone(),
        settings.clone(),
        Clock::fixed(now),
        search,
    );
    while cases::watch_clocks(&watcher).await.map_err(failed)? > 0 {}
    // Nobody should be mailed about the demo's past.
    store.complete_outbox_before("notification", now, now).await?;
    store.put_setting(MARKER, &now.to_string()).await?;
    Ok(true)
}

/// One case's life after it was opened; `index % 10` chooses where it ends.
async fn live(story: Story, index: u64, case: Case, opened: Timestamp, now: Timestamp) -> anyhow::Result<()> {
    let number = case.number.to_string();
    let customer = story.store.user(&case.opened_by).await?.context("the opener")?;
    let customer = story.actor(customer.email.as_str()).await?;
    let analyst_email = match &case.assignee {
        Some(id) => story.store.user(id).await?.context("the assignee")?.email.to_string(),
        None => "analyst@support.example".to_owned(),
    };
    let analyst = story.actor(&analyst_email).await?;
    let lead = story.actor("lead@support.example").await?;
    let expert = story
        .actor(match index % 3 {
            0 => "coach@support.example",
            1 => "pm@support.example",
            _ => "eng@support.example",
        })
        .await?;
    let mut hour = 0;
    let mut step = || {
        hour += 3;
        // The youngest cases' stories stop at the present.
        story.at((opened + SignedDuration::from_hours(hour)).min(now - SignedDuration::from_mins(5)));
    };
    let fields = |body: &'static str| AnswerFields {
        body: Some(body),
        ..Default::default()
    };
    let update = AnswerFields {
        done: Some("Reproduced the problem on a copy of your data and found the cause."),
        next: Some("A fix is scheduled in the next weekly update; we will confirm once it is deployed."),
        ..Default::default()
    };
    let (a, c) = (&analyst, &customer);
    match index % 10 {
        0 => {}
        1 => {
            step();
            cases::answer(
                &a.state,
                &a.caller,
                &number,
                "recreating",
                fields("Trying to reproduce it on our side."),
            )
            .await
            .map_err(failed)?;
        }
        2 => {
            step();
            cases::answer(
                &a.state,
                &a.caller,
                &number,
                "need_info",
                fields("Which users are affected, and since when exactly?"),
            )
            .await
            .map_err(failed)?;
        }
        3 => {
            step();
            cases::answer(
                &a.state,
                &a.caller,
                &number,
                "need_info",
                fields("Could you send the exact error message?"),
            )
            .await
            .map_err(failed)?;
            step();
            cases::comment(
                &c.state,
                &c.caller,
                &number,
                "Here it is: the save button does nothing.",
                false,
            )
            .await
            .map_err(failed)?;
            step();
            cases::answer(&a.state, &a.caller, &number, "update", update)
                .await
                .map_err(failed)?;
        }
        4 => {
            step();
            cases::answer(
                &a.state,
                &a.caller,
                &number,
                "workaround",
                fields("Until the fix, run the action from the batch screen; it is not affected."),
            )
            .await
            .map_err(failed)?;
        }
        5 => {
            step();
            cases::answer(&a.state, &a.caller, &number, "update", update)
                .await
                .map_err(failed)?;
            step();
            cases::answer(
                &a.state,
                &a.caller,
                &number,
                "solution",
                fields("The fix is deployed; please confirm it works for you."),
            )
            .await
            .map_err(failed)?;
        }
        6 => {
            step();
            let articles = vec!["KB-2041: Posting rules for closed periods".to_owned()];
            cases::answer(
                &a.state,
                &a.caller,
                &number,
                "doc_referral",
                AnswerFields {
                    body: Some("This article explains the setting to change."),
                    articles: &articles,
                    ..Default::default()
                },
            )
            .await
            .map_err(failed)?;
            step();
            cases::answer(
                &a.state,
                &a.caller,
                &number,
                "solution",
                fields("With the setting changed, the problem is gone."),
            )
            .await
            .map_err(failed)?;
            step();
            cases::settle(&c.state, &c.caller, &number, true)
                .await
                .map_err(failed)?;
        }
        7 => {
            step();
            cases::answer(
                &a.state,
                &a.caller,
                &number,
                "recreating",
                fields("Trying to reproduce it."),
            )
            .await
            .map_err(failed)?;
            step();
            cases::request_update(&c.state, &c.caller, &number, Some("Any news? Month end is close."))
                .await
                .map_err(failed)?;
            step();
            cases::request_escalation(&c.state, &c.caller, &number, "Our month-end close depends on this.")
                .await
                .map_err(failed)?;
        }
        8 => {
            step();
            cases::answer(&a.state, &a.caller, &number, "update", update)
                .await
                .map_err(failed)?;
            step();
            let request = cases::request_escalation(&c.state, &c.caller, &number, "Several teams are blocked.")
                .await
                .map_err(failed)?;
            step();
            cases::review_escalation(
                &lead.state,
                &lead.caller,
                &request.id,
                "accept",
                "Escalated: a senior analyst follows it daily.",
                None,
            )
            .await
            .map_err(failed)?;
            step();
            let engagement = cases::engage_expert(
                &a.state,
                &a.caller,
                &number,
                &expert.caller.user.id.0,
                "Is this a known defect in the current release?",
            )
            .await
            .map_err(failed)?;
            step();
            cases::engagement_message(
                &expert.state,
                &expert.caller,
                &engagement.id,
                Some("Yes: fixed in the next release; the workaround is safe."),
                false,
            )
            .await
            .map_err(failed)?;
        }
        _ => {
            step();
            cases::request_update(&c.state, &c.caller, &number, None)
                .await
                .map_err(failed)?;
            step();
            let request = cases::request_escalation(&c.state, &c.caller, &number, "We have waited long enough.")
                .await
                .map_err(failed)?;
            step();
            cases::review_escalation(
                &lead.state,
                &lead.caller,
                &request.id,
                "decline",
                "The analyst is on it and the priority matches the impact; we will keep you updated.",
                None,
            )
            .await
            .map_err(failed)?;
            step();
            cases::answer(&a.state, &a.caller, &number, "update", update)
                .await
                .map_err(failed)?;
        }
    }
    Ok(())
}
