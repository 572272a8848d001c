//! The demo's status page (R23, R24): components of both products, their
//! weekly maintenance windows, a one-off maintenance in the coming week, an
//! incident under way and three resolved ones of the last month with their
//! updates, so the page and the feeds have content from the first start.

use std::collections::BTreeSet;

use guichet_domain::country::TimeZoneName;
use guichet_domain::maintenance::{MaintenanceWindow, Schedule, WeeklyRule};
use guichet_domain::product::ProductKey;
use guichet_domain::status::{
    AffectedComponent, Component, ComponentKey, ComponentStatus, Incident, IncidentImpact, IncidentStatus,
    IncidentUpdate,
};
use guichet_store::Store;
use jiff::civil::{Time, Weekday};
use jiff::{SignedDuration, Timestamp};

const MARKER: &str = "demo.status";

/// The zone the demo products' windows are read in (R23: Pacific time).
pub const PACIFIC: &str = "America/Los_Angeles";

/// Every demo product's components: key and name.
pub const COMPONENTS: &[(&str, &str)] = &[
    ("web_application", "Web application"),
    ("api", "API"),
    ("reporting", "Reporting"),
    ("integrations", "Integrations"),
];

/// A weekly demo window: product, title, weekday, local start and end
/// (hour, minute).
type DemoWeekly = (&'static str, &'static str, Weekday, (i8, i8), (i8, i8));

/// R23's weekly windows.
const WEEKLY: &[DemoWeekly] = &[
    ("financials", "Weekly maintenance", Weekday::Friday, (19, 30), (23, 30)),
    ("time", "Weekly maintenance", Weekday::Saturday, (23, 0), (1, 0)),
];

/// When the weekly windows took effect (New Year 2025, Pacific).
fn weekly_from() -> Timestamp {
    "2025-01-01T08:00:00Z".parse().expect("a fixed instant")
}

/// R23's weekly windows as the seed writes them: Financials every Friday
/// 19:30–23:30 Pacific, Intelligent Time every Saturday 23:00–01:00
/// Pacific. The CLI answers from them on a database without windows.
pub fn weekly_windows(now: Timestamp) -> Vec<MaintenanceWindow> {
    WEEKLY
        .iter()
        .map(|(product, title, weekday, start, end)| {
            let rule = WeeklyRule::from_times(
                *weekday,
                Time::constant(start.0, start.1, 0, 0),
                Time::constant(end.0, end.1, 0, 0),
            )
            .expect("the demo windows are valid");
            MaintenanceWindow {
                id: format!("demo-weekly-{product}"),
                product: ProductKey::parse(product).expect("a demo product"),
                title: (*title).to_owned(),
                description: "Updates and backups. The product may be unavailable during the window.".to_owned(),
                components: Vec::new(),
                zone: TimeZoneName::parse(PACIFIC).expect("a known zone"),
                schedule: Schedule::Weekly {
                    rule,
                    from: weekly_from(),
                    until: None,
                    skipped: BTreeSet::new(),
                },
                cancelled_at: None,
                completed_at: None,
                created_at: now,
                updated_at: now,
            }
        })
        .collect()
}

fn key(product: &str) -> ProductKey {
    ProductKey::parse(product).expect("a demo product")
}

fn component(key: &str) -> ComponentKey {
    ComponentKey::parse(key).expect("a demo component")
}

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

/// An incident with its updates: `(hours after opening, status, text)`.
fn incident(
    product: &str,
    title: &str,
    impact: IncidentImpact,
    affected: &[(&str, ComponentStatus)],
    opened: Timestamp,
    updates: &[(i64, IncidentStatus, &str)],
) -> Incident {
    let mut updates = updates.iter().map(|(after, status, body)| IncidentUpdate {
        id: guichet_store::new_id(),
        at: opened + SignedDuration::from_mins(after * 60),
        status: *status,
        body: (*body).to_owned(),
    });
    let first = updates.next().expect("an incident has a first message");
    let mut incident = Incident::open(
        guichet_store::new_id(),
        key(product),
        title.to_owned(),
        impact,
        first.status,
        affected
            .iter()
            .map(|(c, status)| AffectedComponent {
                component: component(c),
                status: *status,
            })
            .collect(),
        first,
    );
    for update in updates {
        incident.post(update).expect("demo incidents are posted in order");
    }
    incident
}

/// Loads the demo status page unless this database already has it (the
/// demo's foundation, with its products, must be loaded). Returns whether
/// anything was loaded.
pub async fn seed(store: &Store, now: Timestamp) -> anyhow::Result<bool> {
    if store.setting(MARKER).await?.is_some() {
        return Ok(false);
    }
    let products = store.products().await?;
    for product in ["financials", "time"] {
        let product = key(product);
        if !products.iter().any(|p| p.key == product) {
            anyhow::bail!("the demo status page needs the demo product {}", product.as_str());
        }
        let existing = store.components(Some(&product)).await?;
        for (key, name) in COMPONENTS {
            if existing.iter().any(|c| c.key.as_str() == *key) {
                continue;
            }
            let component = Component {
                product: product.clone(),
                key: component(key),
                name: (*name).to_owned(),
                status: ComponentStatus::Operational,
            };
            store.create_component(&component, now).await?;
        }
    }
    for window in weekly_windows(now) {
        store.save_window(&window, None, &[]).await?;
    }

    // Planned maintenance in the coming week: three days from now, 18:00
    // Pacific, two hours.
    let zone = TimeZoneName::parse(PACIFIC)?;
    let day = zone.time_zone().to_datetime(now + hours(72)).date();
    let start = zone
        .time_zone()
        .to_ambiguous_timestamp(day.at(18, 0, 0, 0))
        .compatible()?;
    let planned = MaintenanceWindow {
        id: guichet_store::new_id(),
        product: key("financials"),
        title: "Reporting database upgrade".to_owned(),
        description: "The reporting database moves to a new version. Reports and exports are unavailable; \
                      the rest of Financials works as usual."
            .to_owned(),
        components: vec![component("reporting")],
        zone,
        schedule: Schedule::Once {
            start,
            end: start + hours(2),
        },
        cancelled_at: None,
        completed_at: None,
        created_at: now - hours(24),
        updated_at: now - hours(24),
    };
    store.save_window(&planned, None, &[]).await?;

    use ComponentStatus::*;
    use IncidentStatus::*;
    let incidents = [
        incident(
            "time",
            "Slow responses from the Intelligent Time API",
            IncidentImpact::Minor,
            &[("api", DegradedPerformance)],
            now - hours(2),
            &[
                (
                    0,
                    Investigating,
                    "Some API calls take several seconds. We are investigating.",
                ),
                (
                    1,
                    Identified,
                    "A slow query on timesheet approvals is the cause; a fix is being tested.",
                ),
            ],
        ),
        incident(
            "financials",
            "Reports time out",
            IncidentImpact::Major,
            &[("reporting", PartialOutage)],
            now - hours(24 * 25),
            &[
                (0, Investigating, "Large reports time out. We are looking into it."),
                (
                    1,
                    Identified,
                    "A reporting node ran out of memory; we are replacing it.",
                ),
                (3, Resolved, "Reports run normally again."),
            ],
        ),
        incident(
            "time",
            "Sign-in errors",
            IncidentImpact::Critical,
            &[("web_application", MajorOutage), ("api", MajorOutage)],
            now - hours(24 * 14),
            &[
                (0, Investigating, "Users cannot sign in to Intelligent Time."),
                (
                    1,
                    Monitoring,
                    "An expired certificate was renewed; sign-ins work again. We are watching.",
                ),
                (2, Resolved, "Sign-ins have worked for an hour: resolved."),
            ],
        ),
        incident(
            "financials",
            "Bank feeds arrive late",
            IncidentImpact::Minor,
            &[("integrations", DegradedPerformance)],
            now - hours(24 * 6),
            &[
                (0, Investigating, "Bank statements arrive hours late for some banks."),
                (
                    2,
                    Identified,
                    "A partner's file service is slow; we retry more often meanwhile.",
                ),
                (
                    5,
                    Monitoring,
                    "The partner fixed their service; the backlog is being processed.",
                ),
                (8, Resolved, "Every bank feed is up to date."),
            ],
        ),
    ];
    for incident in &incidents {
        store.save_incident(incident, &incident.updates, &[]).await?;
    }
    store.put_setting(MARKER, &now.to_string()).await?;
    Ok(true)
}
