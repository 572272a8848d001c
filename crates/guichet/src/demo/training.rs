//! The demo training catalogue (R10): 40 courses, each subject in French
//! and in English, on learning paths; sessions over the next three months
//! in their own time zones, some full with a waiting list; demo customers
//! enrolled, some e-learning completed. Inserted in a few multi-row
//! statements, once (a marker in `settings`).

use anyhow::Context;
use guichet_domain::article::Slug;
use guichet_domain::country::TimeZoneName;
use guichet_domain::email::EmailAddress;
use guichet_domain::product::ProductKey;
use guichet_domain::training::{
    CourseContent, CourseFormat, CourseId, EnrolmentId, EnrolmentStatus, Level, SessionId, SessionPlan,
};
use guichet_domain::user::{Language, UserId};
use guichet_store::{NewEnrolment, OutboxMessage, Store, TrainingBulk};
use jiff::civil::{Time, Weekday};
use jiff::{SignedDuration, Timestamp, ToSpan};

const MARKER: &str = "demo.training";

/// A course subject, given in both languages: product, level, format,
/// minutes, learning path, (French title, summary), (English title,
/// summary).
struct Subject {
    product: &'static str,
    level: Level,
    format: CourseFormat,
    minutes: u32,
    path: &'static str,
    fr: (&'static str, &'static str),
    en: (&'static str, &'static str),
}

use CourseFormat::{Classroom, ELearning, VirtualClass};
use Level::{Advanced, Beginner, Intermediate};

const fn subject(
    product: &'static str,
    level: Level,
    format: CourseFormat,
    minutes: u32,
    path: &'static str,
    fr: (&'static str, &'static str),
    en: (&'static str, &'static str),
) -> Subject {
    Subject {
        product,
        level,
        format,
        minutes,
        path,
        fr,
        en,
    }
}

const SUBJECTS: &[Subject] = &[
    subject(
        "financials",
        Beginner,
        ELearning,
        90,
        "financials-essentials",
        (
            "Découvrir Financials",
            "Un premier tour de Financials : menus, sociétés, périodes et recherche.",
        ),
        (
            "Getting started with Financials",
            "A first tour of Financials: menus, companies, periods and search.",
        ),
    ),
    subject(
        "financials",
        Beginner,
        Classroom,
        420,
        "financials-essentials",
        (
            "Les bases de la comptabilité générale",
            "Plan comptable, écritures de journal et grand livre, pas à pas.",
        ),
        (
            "General ledger fundamentals",
            "Chart of accounts, journal entries and the ledger, step by step.",
        ),
    ),
    subject(
        "financials",
        Intermediate,
        VirtualClass,
        180,
        "month-end-close",
        (
            "Réussir la clôture mensuelle",
            "Contrôles, écritures de régularisation et clôture de période sans surprise.",
        ),
        (
            "Mastering the month-end close",
            "Checks, accruals and closing the period without surprises.",
        ),
    ),
    subject(
        "financials",
        Intermediate,
        Classroom,
        420,
        "month-end-close",
        (
            "Rapprochement bancaire de A à Z",
            "Import des relevés, règles de rapprochement automatique et écarts.",
        ),
        (
            "Bank reconciliation from A to Z",
            "Statement import, automatic matching rules and differences.",
        ),
    ),
    subject(
        "financials",
        Intermediate,
        ELearning,
        60,
        "financials-essentials",
        (
            "Saisir les factures fournisseurs",
            "Factures, avoirs et rapprochement avec les commandes.",
        ),
        (
            "Entering supplier invoices",
            "Invoices, credit notes and matching with purchase orders.",
        ),
    ),
    subject(
        "financials",
        Intermediate,
        VirtualClass,
        120,
        "financials-essentials",
        (
            "Relances et encaissements clients",
            "Paramétrer les relances, lettrer les encaissements.",
        ),
        (
            "Customer reminders and receipts",
            "Setting up reminders and matching customer receipts.",
        ),
    ),
    subject(
        "financials",
        Advanced,
        Classroom,
        840,
        "month-end-close",
        (
            "Consolidation multi-sociétés",
            "Périmètres, éliminations intra-groupe et devises.",
        ),
        (
            "Multi-company consolidation",
            "Scopes, intercompany eliminations and currencies.",
        ),
    ),
    subject(
        "financials",
        Advanced,
        VirtualClass,
        180,
        "financials-reporting",
        (
            "Concevoir ses rapports financiers",
            "Le générateur de rapports : lignes, colonnes et filtres.",
        ),
        (
            "Designing financial reports",
            "The report designer: rows, columns and filters.",
        ),
    ),
    subject(
        "financials",
        Beginner,
        ELearning,
        45,
        "financials-reporting",
        (
            "Lire le bilan et le compte de résultat",
            "Comprendre les états financiers produits par Financials.",
        ),
        (
            "Reading the balance sheet and income statement",
            "Understanding the statements Financials produces.",
        ),
    ),
    subject(
        "financials",
        Advanced,
        ELearning,
        120,
        "financials-reporting",
        (
            "Prévision de trésorerie avancée",
            "Scénarios, flux récurrents et suivi des écarts.",
        ),
        (
            "Advanced cash forecasting",
            "Scenarios, recurring flows and tracking differences.",
        ),
    ),
    subject(
        "time",
        Beginner,
        ELearning,
        30,
        "time-essentials",
        (
            "Saisir ses temps en dix minutes",
            "La feuille de temps, les codes projet et l'envoi pour validation.",
        ),
        (
            "Time entry in ten minutes",
            "The timesheet, project codes and sending it for approval.",
        ),
    ),
    subject(
        "time",
        Beginner,
        VirtualClass,
        90,
        "time-essentials",
        (
            "Notes de frais sans erreur",
            "Justificatifs, indemnités kilométriques et plafonds.",
        ),
        (
            "Expense reports without mistakes",
            "Receipts, mileage allowances and limits.",
        ),
    ),
    subject(
        "time",
        Intermediate,
        Classroom,
        420,
        "time-administrator",
        (
            "Administrer Intelligent Time",
            "Utilisateurs, calendriers, projets et droits.",
        ),
        (
            "Administering Intelligent Time",
            "Users, calendars, projects and permissions.",
        ),
    ),
    subject(
        "time",
        Intermediate,
        VirtualClass,
        120,
        "time-administrator",
        (
            "Circuits de validation",
            "Concevoir les circuits d'approbation et leurs délégations.",
        ),
        (
            "Approval workflows",
            "Designing approval workflows and their delegations.",
        ),
    ),
    subject(
        "time",
        Advanced,
        Classroom,
        420,
        "time-administrator",
        (
            "Règles de temps et conventions collectives",
            "Heures supplémentaires, majorations et repos compensateur.",
        ),
        (
            "Time rules and labour agreements",
            "Overtime, premiums and time off in lieu.",
        ),
    ),
    subject(
        "time",
        Intermediate,
        ELearning,
        60,
        "time-essentials",
        (
            "Heures supplémentaires et absences",
            "Déclarer, valider et suivre heures supplémentaires et absences.",
        ),
        (
            "Overtime and absences",
            "Declaring, approving and following overtime and absences.",
        ),
    ),
    subject(
        "time",
        Advanced,
        VirtualClass,
        180,
        "time-administrator",
        (
            "Intégrer Time à la paie",
            "Exports vers la paie, contrôles et reprises.",
        ),
        (
            "Integrating Time with payroll",
            "Payroll exports, checks and corrections.",
        ),
    ),
    subject(
        "financials",
        Intermediate,
        Classroom,
        420,
        "financials-essentials",
        (
            "Paiements fournisseurs et virements SEPA",
            "Propositions de paiement, fichiers bancaires et contrôles.",
        ),
        (
            "Supplier payments and bank files",
            "Payment proposals, bank files and checks.",
        ),
    ),
    subject(
        "time",
        Beginner,
        Classroom,
        210,
        "time-essentials",
        (
            "Time pour les managers",
            "Valider les temps de son équipe et suivre les tableaux de bord.",
        ),
        (
            "Time for managers",
            "Approving the team's time and following the dashboards.",
        ),
    ),
    subject(
        "financials",
        Advanced,
        VirtualClass,
        240,
        "month-end-close",
        (
            "Automatiser les écritures récurrentes",
            "Modèles, planification et contrôle des écritures récurrentes.",
        ),
        (
            "Automating recurring entries",
            "Templates, scheduling and checking recurring entries.",
        ),
    ),
];

/// Where classroom sessions are held, by language: (zone, place).
const PLACES_FR: &[(&str, &str)] = &[
    ("Europe/Paris", "Paris — 12 rue de la Paix, salle Lumière"),
    ("Europe/Paris", "Lyon — Centre de formation, 4 quai Perrache, salle 2"),
];
const PLACES_EN: &[(&str, &str)] = &[
    ("Europe/London", "London — 1 King's Road, Room 3"),
    ("America/New_York", "New York — 350 Fifth Avenue, Training room B"),
    ("Australia/Sydney", "Sydney — 10 George Street, Level 4"),
];

/// Subjects whose first session is full, with a waiting list.
const FULL: &[usize] = &[2, 3, 12, 13];

/// Who fills the full sessions, in order: three seats, then the waiting
/// list.
const FILLERS_FR: &[&str] = &[
    "chef@lumiere.example",
    "dana@acme.example",
    "fiona@thistle.example",
    "marie@lumiere.example",
    "thabo@springbok.example",
];
const FILLERS_EN: &[&str] = &[
    "dana@acme.example",
    "bruce@koala.example",
    "rita@redwood.example",
    "sam@redwood.example",
    "jonas@brezel.example",
];

/// E-learning courses started or finished: (learner, subject, language,
/// completed).
const STARTED: &[(&str, usize, Language, bool)] = &[
    ("chef@lumiere.example", 0, Language::Fr, true),
    ("marie@lumiere.example", 4, Language::Fr, false),
    ("marie@lumiere.example", 10, Language::Fr, true),
    ("dana@acme.example", 0, Language::En, true),
    ("dana@acme.example", 10, Language::En, true),
    ("bruce@koala.example", 8, Language::En, false),
    ("fiona@thistle.example", 9, Language::En, true),
];

/// The trainer of a subject in a language.
fn trainer_email(subject: &Subject, lang: Language) -> &'static str {
    match (subject.product, lang) {
        ("financials", Language::Fr) => "analyst2@support.example",
        (_, Language::Fr) => "coach@support.example",
        ("financials", Language::En) => "pm@support.example",
        (_, Language::En) => "eng@support.example",
    }
}

/// The next weekday on or after `date`.
fn weekday_from(date: jiff::civil::Date) -> jiff::civil::Date {
    match date.weekday() {
        Weekday::Saturday => date + 2.days(),
        Weekday::Sunday => date + 1.days(),
        _ => date,
    }
}

/// The demo catalogue as rows, for `store` whose users are the demo's.
pub async fn build(store: &Store, now: Timestamp) -> anyhow::Result<TrainingBulk> {
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
    let mut bulk = TrainingBulk::default();
    // (subject, language) → course id, for enrolments.
    let mut courses: Vec<(usize, Language, CourseId)> = Vec::new();
    let today = jiff::tz::TimeZone::UTC.to_datetime(now).date();
    let mut queued = now - SignedDuration::from_hours(24 * 10);
    for (index, subject) in SUBJECTS.iter().enumerate() {
        for lang in [Language::Fr, Language::En] {
            let (title, summary) = match lang {
                Language::Fr => subject.fr,
                Language::En => subject.en,
            };
            let id = CourseId(guichet_store::new_id());
            let prerequisites = match (subject.level, lang) {
                (Beginner, _) => Vec::new(),
                (_, Language::Fr) => vec![format!("{} : les bases", SUBJECTS[index % 2].fr.0)],
                (_, Language::En) => vec![format!("{}: the basics", SUBJECTS[index % 2].en.0)],
            };
            let content = CourseContent {
                slug: Slug::from_text(title)?,
                title: title.to_owned(),
                summary: summary.to_owned(),
                language: lang,
                format: subject.format,
                duration_minutes: subject.minutes,
                product: ProductKey::parse(subject.product)?,
                level: subject.level,
                prerequisites,
                paths: vec![subject.path.to_owned()],
            };
            bulk.outbox.push(OutboxMessage::new(
                guichet_web::knowledge::INDEX_FEED,
                &serde_json::json!({"kind": "course", "id": id.0}),
                now,
            ));
            courses.push((index, lang, id.clone()));
            if subject.format.has_sessions() {
                let trainer = user(trainer_email(subject, lang)).await?;
                let sessions = 2 + (index + lang.code().len()) % 2;
                for k in 0..sessions {
                    let offset = 3 + ((index * 7 + k * 29 + if lang == Language::En { 11 } else { 0 }) % 85) as i64;
                    let day = weekday_from(today + offset.days());
                    let (zone, place, join_url, start) = match (subject.format, lang) {
                        (Classroom, Language::Fr) => {
                            let (zone, place) = PLACES_FR[(index + k) % PLACES_FR.len()];
                            (zone, Some(place.to_owned()), None, Time::constant(9, 0, 0, 0))
                        }
                        (Classroom, Language::En) => {
                            let (zone, place) = PLACES_EN[(index + k) % PLACES_EN.len()];
                            (zone, Some(place.to_owned()), None, Time::constant(9, 0, 0, 0))
                        }
                        (_, Language::Fr) => (
                            "Europe/Paris",
                            None,
                            Some(format!("https://meet.support.example/training/{}-{k}", content.slug)),
                            Time::constant(14, 0, 0, 0),
                        ),
                        (_, Language::En) => (
                            "America/New_York",
                            None,
                            Some(format!("https://meet.support.example/training/{}-{k}", content.slug)),
                            Time::constant(11, 0, 0, 0),
                        ),
                    };
                    let time_zone = TimeZoneName::parse(zone)?;
                    let tz = time_zone.time_zone();
                    let starts_at = tz.to_timestamp(day.to_datetime(start))?;
                    // A day of class is seven hours (with lunch, eight); longer
                    // courses run on consecutive days.
                    let days = subject.minutes.div_ceil(420).max(1) as i64;
                    let ends_at = if subject.format == Classroom {
                        tz.to_timestamp((day + (days - 1).days()).to_datetime(Time::constant(17, 0, 0, 0)))?
                    } else {
                        starts_at + SignedDuration::from_mins(i64::from(subject.minutes))
                    };
                    let full = k == 0 && FULL.contains(&index);
                    let session = SessionId(guichet_store::new_id());
                    let plan = SessionPlan {
                        starts_at,
                        ends_at,
                        time_zone,
                        capacity: if full { 3 } else { 8 + (index % 3) as u32 * 4 },
                        place,
                        join_url,
                        trainer: trainer.clone(),
                    }
                    .check(subject.format)
                    .map_err(|(field, e)| anyhow::anyhow!("demo session {field}: {e}"))?;
                    bulk.sessions.push((session.clone(), id.clone(), plan, now));
                    if full {
                        let fillers = match lang {
                            Language::Fr => FILLERS_FR,
                            Language::En => FILLERS_EN,
                        };
                        for (position, email) in fillers.iter().enumerate() {
                            let learner = user(email).await?;
                            queued += SignedDuration::from_mins(37);
                            let status = if position < 3 {
                                EnrolmentStatus::Enrolled
                            } else {
                                EnrolmentStatus::Waiting
                            };
                            bulk.enrolments.push((
                                NewEnrolment {
                                    id: EnrolmentId(guichet_store::new_id()),
                                    course: id.clone(),
                                    session: Some(session.clone()),
                                    user: learner.clone(),
                                    enrolled_by: learner,
                                    at: queued,
                                },
                                status,
                            ));
                        }
                    }
                }
            }
            bulk.courses.push((id, content, now));
        }
    }
    for (email, subject, lang, completed) in STARTED {
        let learner: UserId = user(email).await?;
        let (_, _, course) = courses
            .iter()
            .find(|(s, l, _)| s == subject && l == lang)
            .context("a demo e-learning course")?;
        queued += SignedDuration::from_mins(53);
        bulk.enrolments.push((
            NewEnrolment {
                id: EnrolmentId(guichet_store::new_id()),
                course: course.clone(),
                session: None,
                user: learner.clone(),
                enrolled_by: learner,
                at: queued,
            },
            if *completed {
                EnrolmentStatus::Completed
            } else {
                EnrolmentStatus::Enrolled
            },
        ));
    }
    Ok(bulk)
}

/// Loads the demo catalogue once; `true` if it was loaded now.
pub async fn seed(store: &Store, now: Timestamp) -> anyhow::Result<bool> {
    if store.setting(MARKER).await?.is_some() {
        return Ok(false);
    }
    let bulk = build(store, now).await?;
    store.import_training(&bulk).await?;
    store.put_setting(MARKER, &now.to_string()).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forty_courses_in_two_languages_with_unique_slugs() {
        assert_eq!(SUBJECTS.len() * 2, 40);
        let mut slugs: Vec<String> = SUBJECTS
            .iter()
            .flat_map(|s| [s.fr.0, s.en.0])
            .map(|title| Slug::from_text(title).unwrap().as_str().to_owned())
            .collect();
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), 40);
        for full in FULL {
            assert!(SUBJECTS[*full].format.has_sessions());
        }
        for (_, subject, _, _) in STARTED {
            assert_eq!(SUBJECTS[*subject].format, ELearning);
        }
    }
}
