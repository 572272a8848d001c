//! The status page (R23, R24): components, maintenance windows and their
//! updates, incidents and their updates, cases linked to incidents,
//! subscribers, and the webhook deliveries' retries in the outbox.

use std::collections::BTreeSet;

use guichet_domain::case::CaseId;
use guichet_domain::country::TimeZoneName;
use guichet_domain::maintenance::{MaintenanceUpdate, MaintenanceWindow, Schedule, WeeklyRule};
use guichet_domain::product::ProductKey;
use guichet_domain::status::{
    AffectedComponent, Component, ComponentKey, ComponentStatus, Incident, IncidentImpact, IncidentStatus,
    IncidentUpdate,
};
use jiff::{SignedDuration, Timestamp};

use crate::error::constraint;
use crate::outbox::OutboxMessage;
use crate::{Engine, Result, Store, StoreError, instant, micros};

/// Someone told of status changes: an email address (once confirmed) or a
/// webhook receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub id: String,
    pub kind: SubscriberKind,
    /// `None`: every product.
    pub product: Option<ProductKey>,
    /// `en` or `fr`: the language of the mails.
    pub language: String,
    pub created_at: Timestamp,
    pub confirmed_at: Option<Timestamp>,
    pub unsubscribed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriberKind {
    /// `token` confirms and ends the subscription: it is written in every
    /// mail's links, so it is kept (looked up by its SHA-256).
    Email { address: String, token: String },
    /// `secret` signs every delivery (HMAC-SHA256).
    Webhook { url: String, secret: String },
}

impl Subscriber {
    /// Confirmed and not unsubscribed (webhooks need no confirmation).
    pub fn is_active(&self) -> bool {
        self.unsubscribed_at.is_none()
            && (self.confirmed_at.is_some() || matches!(self.kind, SubscriberKind::Webhook { .. }))
    }
}

/// One row of the outbox as a worker retrying it sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub message: OutboxMessage,
    /// Tries made before this one.
    pub attempts: i32,
    pub done_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

type WindowRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
    Option<i64>,
    String,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
);

macro_rules! window_columns {
    () => {
        "id, product_key, title, description, components, time_zone, weekday, start_time, duration_seconds, \
         starts_at, ends_at, skipped, cancelled_at, completed_at, created_at, updated_at"
    };
}

fn corrupt(what: &'static str) -> impl Fn(serde_json::Error) -> StoreError {
    move |error| StoreError::Corrupt(format!("{what}: {error}"))
}

fn window_from(row: WindowRow) -> Result<MaintenanceWindow> {
    let (
        id,
        product,
        title,
        description,
        components,
        zone,
        weekday,
        start_time,
        duration,
        starts_at,
        ends_at,
        skipped,
        cancelled_at,
        completed_at,
        created_at,
        updated_at,
    ) = row;
    let components: Vec<ComponentKey> = serde_json::from_str(&components).map_err(corrupt("window components"))?;
    let skipped: Vec<i64> = serde_json::from_str(&skipped).map_err(corrupt("skipped occurrences"))?;
    let schedule = match (weekday, start_time, duration) {
        (Some(weekday), Some(start), Some(seconds)) => Schedule::Weekly {
            rule: WeeklyRule::new(
                guichet_domain::maintenance::parse_weekday(&weekday)?,
                guichet_domain::maintenance::parse_time(&start)?,
                SignedDuration::from_secs(seconds),
            )?,
            from: instant(starts_at)?,
            until: ends_at.map(instant).transpose()?,
            skipped: skipped.into_iter().map(instant).collect::<Result<BTreeSet<_>>>()?,
        },
        _ => Schedule::Once {
            start: instant(starts_at)?,
            end: instant(ends_at.ok_or_else(|| StoreError::Corrupt(format!("window {id} has no end")))?)?,
        },
    };
    Ok(MaintenanceWindow {
        id,
        product: ProductKey::parse(&product)?,
        title,
        description,
        components,
        zone: TimeZoneName::parse(&zone)?,
        schedule,
        cancelled_at: cancelled_at.map(instant).transpose()?,
        completed_at: completed_at.map(instant).transpose()?,
        created_at: instant(created_at)?,
        updated_at: instant(updated_at)?,
    })
}

type IncidentRow = (String, String, String, String, String, String, i64, i64, Option<i64>);
type IncidentUpdateRow = (String, String, i64, String, String);

macro_rules! incident_columns {
    () => {
        "i.id, i.product_key, i.title, i.impact, i.status, i.components, i.created_at, i.updated_at, i.resolved_at"
    };
}

/// The `WHERE` of an incident listing: $1 product (or ''), $2 created or
/// resolved since (or 0), $3 active only (1 or 0).
macro_rules! incident_where {
    () => {
        "($1 = '' OR i.product_key = $1) \
         AND ($2 = 0 OR i.resolved_at IS NULL OR i.resolved_at >= $2) \
         AND ($3 = 0 OR i.resolved_at IS NULL)"
    };
}

fn incidents_from(rows: Vec<IncidentRow>, updates: Vec<IncidentUpdateRow>) -> Result<Vec<Incident>> {
    let mut incidents = rows
        .into_iter()
        .map(
            |(id, product, title, impact, status, components, created_at, updated_at, resolved_at)| {
                Ok(Incident {
                    id,
                    product: ProductKey::parse(&product)?,
                    title,
                    impact: IncidentImpact::parse(&impact)?,
                    status: IncidentStatus::parse(&status)?,
                    components: serde_json::from_str::<Vec<AffectedComponent>>(&components)
                        .map_err(corrupt("incident components"))?,
                    created_at: instant(created_at)?,
                    updated_at: instant(updated_at)?,
                    resolved_at: resolved_at.map(instant).transpose()?,
                    updates: Vec::new(),
                })
            },
        )
        .collect::<Result<Vec<_>>>()?;
    for (id, incident_id, at, status, body) in updates {
        if let Some(incident) = incidents.iter_mut().find(|i| i.id == incident_id) {
            incident.updates.push(IncidentUpdate {
                id,
                at: instant(at)?,
                status: IncidentStatus::parse(&status)?,
                body,
            });
        }
    }
    Ok(incidents)
}

impl Store {
    // -----------------------------------------------------------------
    // Components

    /// Adds a component at the end of its product's list;
    /// `Conflict("component")` if the key is taken, `Dangling("product")`
    /// for an unknown product.
    pub async fn create_component(&self, component: &Component, now: Timestamp) -> Result<()> {
        transaction!(self, |tx| {
            let position: i32 = sqlx::query_scalar(
                "SELECT COALESCE(MAX(sort_order), 0) + 1 FROM status_components WHERE product_key = $1",
            )
            .bind(component.product.as_str())
            .fetch_one(&mut *tx)
            .await?;
            let inserted = sqlx::query(
                "INSERT INTO status_components (product_key, key, name, status, sort_order, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(component.product.as_str())
            .bind(component.key.as_str())
            .bind(&component.name)
            .bind(component.status.as_str())
            .bind(position)
            .bind(micros(now))
            .execute(&mut *tx)
            .await;
            match inserted {
                Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
                    return Err(StoreError::Dangling("product"));
                }
                other => other.map_err(constraint("component"))?,
            };
        })
    }

    /// Changes a component's name and status; `false` if there is none.
    pub async fn update_component(&self, component: &Component, now: Timestamp) -> Result<bool> {
        let done = write!(self, |c| {
            sqlx::query(
            "UPDATE status_components SET name = $3, status = $4, updated_at = $5 WHERE product_key = $1 AND key = $2"
        )
        .bind(component.product.as_str())
        .bind(component.key.as_str())
        .bind(&component.name)
        .bind(component.status.as_str())
        .bind(micros(now))
        .execute(c)
        .await
        .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// The components of one product or of all, in page order.
    pub async fn components(&self, product: Option<&ProductKey>) -> Result<Vec<Component>> {
        let rows: Vec<(String, String, String, String)> = read!(self, |c| sqlx::query_as(
            "SELECT s.product_key, s.key, s.name, s.status FROM status_components s \
             JOIN products p ON p.key = s.product_key WHERE ($1 = '' OR s.product_key = $1) \
             ORDER BY p.sort_order, s.product_key, s.sort_order, s.key"
        )
        .bind(product.map_or("", ProductKey::as_str))
        .fetch_all(c)
        .await)?;
        rows.into_iter()
            .map(|(product, key, name, status)| {
                Ok(Component {
                    product: ProductKey::parse(&product)?,
                    key: ComponentKey::parse(&key)?,
                    name,
                    status: ComponentStatus::parse(&status)?,
                })
            })
            .collect()
    }

    // -----------------------------------------------------------------
    // Maintenance windows

    /// Writes a window as it now stands (new or changed), with an update
    /// posted on it and the notifications it calls for, together.
    pub async fn save_window(
        &self,
        window: &MaintenanceWindow,
        update: Option<&MaintenanceUpdate>,
        outbox: &[OutboxMessage],
    ) -> Result<()> {
        let components = serde_json::to_string(&window.components).map_err(corrupt("window components"))?;
        let (weekday, start_time, duration, starts_at, ends_at, skipped) = match &window.schedule {
            Schedule::Weekly {
                rule,
                from,
                until,
                skipped,
            } => (
                Some(guichet_domain::maintenance::weekday_name(rule.weekday)),
                Some(rule.start.strftime("%H:%M:%S").to_string()),
                Some(rule.duration.as_secs()),
                micros(*from),
                until.map(micros),
                skipped.iter().map(|at| micros(*at)).collect::<Vec<_>>(),
            ),
            Schedule::Once { start, end } => (None, None, None, micros(*start), Some(micros(*end)), Vec::new()),
        };
        let skipped = serde_json::to_string(&skipped).map_err(corrupt("skipped occurrences"))?;
        transaction!(self, |tx| {
            sqlx::query(concat!(
                "INSERT INTO maintenance_windows (",
                window_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description, \
                 components = excluded.components, ends_at = excluded.ends_at, skipped = excluded.skipped, \
                 cancelled_at = excluded.cancelled_at, completed_at = excluded.completed_at, \
                 updated_at = excluded.updated_at"
            ))
            .bind(&window.id)
            .bind(window.product.as_str())
            .bind(&window.title)
            .bind(&window.description)
            .bind(&components)
            .bind(window.zone.as_str())
            .bind(weekday)
            .bind(start_time.as_deref())
            .bind(duration)
            .bind(starts_at)
            .bind(ends_at)
            .bind(&skipped)
            .bind(window.cancelled_at.map(micros))
            .bind(window.completed_at.map(micros))
            .bind(micros(window.created_at))
            .bind(micros(window.updated_at))
            .execute(&mut *tx)
            .await
            .map_err(constraint("product"))?;
            if let Some(update) = update {
                sqlx::query(
                    "INSERT INTO maintenance_updates (id, window_id, occurrence_at, at, body) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&update.id)
                .bind(&update.window)
                .bind(update.occurrence.map(micros))
                .bind(micros(update.at))
                .bind(&update.body)
                .execute(&mut *tx)
                .await?;
            }
            insert_outbox!(tx, outbox);
        })
    }

    pub async fn window(&self, id: &str) -> Result<Option<MaintenanceWindow>> {
        let row: Option<WindowRow> = read!(self, |c| sqlx::query_as(concat!(
            "SELECT ",
            window_columns!(),
            " FROM maintenance_windows WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(c)
        .await)?;
        row.map(window_from).transpose()
    }

    /// The windows of one product or of all, weekly ones first.
    pub async fn windows(&self, product: Option<&ProductKey>) -> Result<Vec<MaintenanceWindow>> {
        let rows: Vec<WindowRow> = read!(self, |c| sqlx::query_as(concat!(
            "SELECT ",
            window_columns!(),
            " FROM maintenance_windows WHERE ($1 = '' OR product_key = $1) \
              ORDER BY weekday IS NULL, starts_at, id"
        ))
        .bind(product.map_or("", ProductKey::as_str))
        .fetch_all(c)
        .await)?;
        rows.into_iter().map(window_from).collect()
    }

    /// The updates posted on windows of one product or of all, oldest
    /// first.
    pub async fn maintenance_updates(&self, product: Option<&ProductKey>) -> Result<Vec<MaintenanceUpdate>> {
        let rows: Vec<(String, String, Option<i64>, i64, String)> = read!(self, |c| sqlx::query_as(
            "SELECT u.id, u.window_id, u.occurrence_at, u.at, u.body FROM maintenance_updates u \
             JOIN maintenance_windows w ON w.id = u.window_id WHERE ($1 = '' OR w.product_key = $1) \
             ORDER BY u.at, u.id"
        )
        .bind(product.map_or("", ProductKey::as_str))
        .fetch_all(c)
        .await)?;
        rows.into_iter()
            .map(|(id, window, occurrence, at, body)| {
                Ok(MaintenanceUpdate {
                    id,
                    window,
                    occurrence: occurrence.map(instant).transpose()?,
                    at: instant(at)?,
                    body,
                })
            })
            .collect()
    }

    // -----------------------------------------------------------------
    // Incidents

    /// Writes an incident as it now stands, its new updates and the
    /// notifications they call for, together.
    pub async fn save_incident(
        &self,
        incident: &Incident,
        new_updates: &[IncidentUpdate],
        outbox: &[OutboxMessage],
    ) -> Result<()> {
        let components = serde_json::to_string(&incident.components).map_err(corrupt("incident components"))?;
        transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO incidents (id, product_key, title, impact, status, components, created_at, updated_at, \
                 resolved_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title, impact = excluded.impact, \
                 status = excluded.status, components = excluded.components, updated_at = excluded.updated_at, \
                 resolved_at = excluded.resolved_at",
            )
            .bind(&incident.id)
            .bind(incident.product.as_str())
            .bind(&incident.title)
            .bind(incident.impact.as_str())
            .bind(incident.status.as_str())
            .bind(&components)
            .bind(micros(incident.created_at))
            .bind(micros(incident.updated_at))
            .bind(incident.resolved_at.map(micros))
            .execute(&mut *tx)
            .await
            .map_err(constraint("product"))?;
            for update in new_updates {
                sqlx::query(
                    "INSERT INTO incident_updates (id, incident_id, at, status, body) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&update.id)
                .bind(&incident.id)
                .bind(micros(update.at))
                .bind(update.status.as_str())
                .bind(&update.body)
                .execute(&mut *tx)
                .await?;
            }
            insert_outbox!(tx, outbox);
        })
    }

    pub async fn incident(&self, id: &str) -> Result<Option<Incident>> {
        let rows: Vec<IncidentRow> = read!(self, |c| sqlx::query_as(concat!(
            "SELECT ",
            incident_columns!(),
            " FROM incidents i WHERE i.id = $1"
        ))
        .bind(id)
        .fetch_all(c)
        .await)?;
        if rows.is_empty() {
            return Ok(None);
        }
        let updates: Vec<IncidentUpdateRow> = read!(self, |c| sqlx::query_as(
            "SELECT id, incident_id, at, status, body FROM incident_updates WHERE incident_id = $1 ORDER BY at, id"
        )
        .bind(id)
        .fetch_all(c)
        .await)?;
        Ok(incidents_from(rows, updates)?.pop())
    }

    /// Incidents, newest first, with their updates: of one product or all;
    /// only those active or resolved since `since`; only active ones.
    pub async fn incidents(
        &self,
        product: Option<&ProductKey>,
        since: Option<Timestamp>,
        active_only: bool,
    ) -> Result<Vec<Incident>> {
        let product = product.map_or("", ProductKey::as_str);
        let since = since.map_or(0, micros);
        let active = i64::from(active_only);
        let rows: Vec<IncidentRow> = read!(self, |c| sqlx::query_as(concat!(
            "SELECT ",
            incident_columns!(),
            " FROM incidents i WHERE ",
            incident_where!(),
            " ORDER BY i.created_at DESC, i.id DESC"
        ))
        .bind(product)
        .bind(since)
        .bind(active)
        .fetch_all(c)
        .await)?;
        let updates: Vec<IncidentUpdateRow> = read!(self, |c| sqlx::query_as(concat!(
            "SELECT u.id, u.incident_id, u.at, u.status, u.body FROM incident_updates u \
             JOIN incidents i ON i.id = u.incident_id WHERE ",
            incident_where!(),
            " ORDER BY u.at, u.id"
        ))
        .bind(product)
        .bind(since)
        .bind(active)
        .fetch_all(c)
        .await)?;
        incidents_from(rows, updates)
    }

    /// Links a case to an incident; `false` if it already was.
    pub async fn link_case(&self, incident: &str, case: &CaseId, now: Timestamp) -> Result<bool> {
        let done = write!(self, |c| sqlx::query(
            "INSERT INTO incident_cases (incident_id, case_id, linked_at) VALUES ($1, $2, $3) \
             ON CONFLICT (incident_id, case_id) DO NOTHING"
        )
        .bind(incident)
        .bind(&case.0)
        .bind(micros(now))
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    /// The cases linked to an incident, in the order they were linked.
    pub async fn linked_cases(&self, incident: &str) -> Result<Vec<CaseId>> {
        let ids: Vec<String> = read!(self, |c| sqlx::query_scalar(
            "SELECT case_id FROM incident_cases WHERE incident_id = $1 ORDER BY linked_at, case_id"
        )
        .bind(incident)
        .fetch_all(c)
        .await)?;
        Ok(ids.into_iter().map(CaseId).collect())
    }

    /// The numbers of the cases linked to `incident`, in the order they
    /// were linked (one read, for the incident's page).
    pub async fn linked_case_numbers(&self, incident: &str) -> Result<Vec<i64>> {
        Ok(read!(self, |c| sqlx::query_scalar(
            "SELECT c.number FROM incident_cases l JOIN cases c ON c.id = l.case_id \
             WHERE l.incident_id = $1 ORDER BY l.linked_at, l.case_id"
        )
        .bind(incident)
        .fetch_all(c)
        .await)?)
    }

    // -----------------------------------------------------------------
    // Subscribers

    /// Adds a subscriber; an email subscriber's pending requests for the
    /// same product are replaced by this one. `token_hash` is the SHA-256
    /// of the token its mails carry.
    pub async fn create_subscriber(
        &self,
        subscriber: &Subscriber,
        token_hash: Option<&str>,
        outbox: &[OutboxMessage],
    ) -> Result<()> {
        let (kind, email, url, secret) = match &subscriber.kind {
            SubscriberKind::Email { address, token } => ("email", Some(address.as_str()), None, Some(token.as_str())),
            SubscriberKind::Webhook { url, secret } => ("webhook", None, Some(url.as_str()), Some(secret.as_str())),
        };
        let product = subscriber.product.as_ref().map(ProductKey::as_str);
        transaction!(self, |tx| {
            if let Some(email) = email {
                sqlx::query(
                    "DELETE FROM status_subscribers WHERE kind = 'email' AND email = $1 \
                     AND COALESCE(product_key, '') = $2 AND confirmed_at IS NULL",
                )
                .bind(email)
                .bind(product.unwrap_or(""))
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "INSERT INTO status_subscribers (id, kind, product_key, email, language, url, secret, token_hash, \
                 created_at, confirmed_at, unsubscribed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&subscriber.id)
            .bind(kind)
            .bind(product)
            .bind(email)
            .bind(&subscriber.language)
            .bind(url)
            .bind(secret)
            .bind(token_hash)
            .bind(micros(subscriber.created_at))
            .bind(subscriber.confirmed_at.map(micros))
            .bind(subscriber.unsubscribed_at.map(micros))
            .execute(&mut *tx)
            .await
            .map_err(constraint("product"))?;
            insert_outbox!(tx, outbox);
        })
    }

    /// The email subscriber whose mails carry the token hashed as `hash`.
    pub async fn subscriber_by_token(&self, hash: &str) -> Result<Option<Subscriber>> {
        self.subscribers_where("token_hash = $1", hash)
            .await
            .map(|mut found| found.pop())
    }

    pub async fn subscriber(&self, id: &str) -> Result<Option<Subscriber>> {
        self.subscribers_where("id = $1", id).await.map(|mut found| found.pop())
    }

    /// Whether an active email subscription for `email` and `product`
    /// exists.
    pub async fn is_subscribed(&self, email: &str, product: Option<&ProductKey>) -> Result<bool> {
        let count: i64 = read!(self, |c| sqlx::query_scalar(
            "SELECT COUNT(*) FROM status_subscribers WHERE kind = 'email' AND email = $1 \
             AND COALESCE(product_key, '') = $2 AND confirmed_at IS NOT NULL AND unsubscribed_at IS NULL"
        )
        .bind(email)
        .bind(product.map_or("", ProductKey::as_str))
        .fetch_one(c)
        .await)?;
        Ok(count > 0)
    }

    /// The active subscribers told of a change to `product`: its own and
    /// those of every product.
    pub async fn subscribers_for(&self, product: &ProductKey) -> Result<Vec<Subscriber>> {
        let all = self
            .subscribers_where("(product_key IS NULL OR product_key = $1)", product.as_str())
            .await?;
        Ok(all.into_iter().filter(Subscriber::is_active).collect())
    }

    /// Every webhook receiver still registered.
    pub async fn webhooks(&self) -> Result<Vec<Subscriber>> {
        self.subscribers_where("kind = $1 AND unsubscribed_at IS NULL", "webhook")
            .await
    }

    async fn subscribers_where(&self, condition: &'static str, value: &str) -> Result<Vec<Subscriber>> {
        let sql = format!(
            "SELECT id, kind, product_key, email, language, url, secret, created_at, confirmed_at, unsubscribed_at \
             FROM status_subscribers WHERE {condition} ORDER BY created_at, id"
        );
        #[allow(clippy::type_complexity)]
        let rows: Vec<(
            String,
            String,
            Option<String>,
            Option<String>,
            String,
            Option<String>,
            Option<String>,
            i64,
            Option<i64>,
            Option<i64>,
        )> = read!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(value)
            .fetch_all(c)
            .await)?;
        rows.into_iter()
            .map(
                |(id, kind, product, email, language, url, secret, created_at, confirmed_at, unsubscribed_at)| {
                    let kind = match (kind.as_str(), email, url, secret) {
                        ("email", Some(address), _, Some(token)) => SubscriberKind::Email { address, token },
                        ("webhook", _, Some(url), Some(secret)) => SubscriberKind::Webhook { url, secret },
                        _ => return Err(StoreError::Corrupt(format!("subscriber {id}"))),
                    };
                    Ok(Subscriber {
                        id,
                        kind,
                        product: product.as_deref().map(ProductKey::parse).transpose()?,
                        language,
                        created_at: instant(created_at)?,
                        confirmed_at: confirmed_at.map(instant).transpose()?,
                        unsubscribed_at: unsubscribed_at.map(instant).transpose()?,
                    })
                },
            )
            .collect()
    }

    /// Confirms an email subscriber (double opt-in), once.
    pub async fn confirm_subscriber(&self, id: &str, now: Timestamp) -> Result<bool> {
        let done = write!(self, |c| sqlx::query(
            "UPDATE status_subscribers SET confirmed_at = $2 WHERE id = $1 AND confirmed_at IS NULL \
             AND unsubscribed_at IS NULL"
        )
        .bind(id)
        .bind(micros(now))
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    /// Ends a subscription (an email unsubscribed, a webhook removed).
    pub async fn unsubscribe(&self, id: &str, now: Timestamp) -> Result<bool> {
        let done = write!(self, |c| sqlx::query(
            "UPDATE status_subscribers SET unsubscribed_at = $2 WHERE id = $1 AND unsubscribed_at IS NULL"
        )
        .bind(id)
        .bind(micros(now))
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    // -----------------------------------------------------------------
    // Deliveries with retries (webhooks)

    /// Claims up to `limit` pending rows of `kind` that are due: each is
    /// made unavailable until `lease_until`, so no other worker (or node)
    /// takes it meanwhile. PostgreSQL skips rows another node holds.
    pub async fn claim_outbox(
        &self,
        kind: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<Delivery>> {
        let sql = match self.engine() {
            Engine::Sqlite => {
                "UPDATE outbox SET available_at = $3 WHERE id IN (SELECT id FROM outbox \
                 WHERE done_at IS NULL AND kind = $1 AND available_at <= $2 ORDER BY available_at, id LIMIT $4) \
                 RETURNING id, kind, payload, created_at, attempts, done_at, last_error"
            }
            Engine::Postgres => {
                "UPDATE outbox SET available_at = $3 WHERE id IN (SELECT id FROM outbox \
                 WHERE done_at IS NULL AND kind = $1 AND available_at <= $2 ORDER BY available_at, id LIMIT $4 \
                 FOR UPDATE SKIP LOCKED) \
                 RETURNING id, kind, payload, created_at, attempts, done_at, last_error"
            }
        };
        let rows: Vec<DeliveryRow> = write!(self, |c| sqlx::query_as(sql)
            .bind(kind)
            .bind(micros(now))
            .bind(micros(lease_until))
            .bind(limit)
            .fetch_all(c)
            .await)?;
        rows.into_iter().map(delivery_from).collect()
    }

    /// Every row of `kind`, oldest first (checks and tests).
    pub async fn outbox_of_kind(&self, kind: &str) -> Result<Vec<Delivery>> {
        let rows: Vec<DeliveryRow> = read!(self, |c| sqlx::query_as(
            "SELECT id, kind, payload, created_at, attempts, done_at, last_error FROM outbox WHERE kind = $1 \
             ORDER BY created_at, id"
        )
        .bind(kind)
        .fetch_all(c)
        .await)?;
        rows.into_iter().map(delivery_from).collect()
    }

    /// A try failed: count it and try again at `retry_at`, or give up for
    /// good (`retry_at` `None`: the row is done, with its last error).
    pub async fn outbox_failed(
        &self,
        id: &str,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<()> {
        write!(self, |c| sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $2, \
             available_at = COALESCE($3, available_at), done_at = CASE WHEN $3 IS NULL THEN $4 ELSE NULL END \
             WHERE id = $1"
        )
        .bind(id)
        .bind(error)
        .bind(retry_at.map(micros))
        .bind(micros(now))
        .execute(c)
        .await
        .map(|_| ()))
    }
}

pub(crate) type DeliveryRow = (String, String, String, i64, i32, Option<i64>, Option<String>);

pub(crate) fn delivery_from(row: DeliveryRow) -> Result<Delivery> {
    let (id, kind, payload, created_at, attempts, done_at, last_error) = row;
    Ok(Delivery {
        message: OutboxMessage {
            id,
            kind,
            payload,
            created_at: instant(created_at)?,
        },
        attempts,
        done_at: done_at.map(instant).transpose()?,
        last_error,
    })
}

#[cfg(test)]
mod tests {
    use guichet_domain::maintenance::{MaintenanceWindow, Schedule, WeeklyRule};
    use jiff::civil::{Weekday, time};

    use super::*;
    use crate::testing::on_each_engine;
    use crate::tests::{now, product};

    fn key(s: &str) -> ProductKey {
        ProductKey::parse(s).unwrap()
    }

    fn weekly() -> MaintenanceWindow {
        MaintenanceWindow {
            id: crate::new_id(),
            product: key("financials"),
            title: "Weekly maintenance".into(),
            description: "Updates and backups.".into(),
            components: vec![ComponentKey::parse("api").unwrap()],
            zone: TimeZoneName::parse("America/Los_Angeles").unwrap(),
            schedule: Schedule::Weekly {
                rule: WeeklyRule::from_times(Weekday::Friday, time(19, 30, 0, 0), time(23, 30, 0, 0)).unwrap(),
                from: now(),
                until: None,
                skipped: BTreeSet::new(),
            },
            cancelled_at: None,
            completed_at: None,
            created_at: now(),
            updated_at: now(),
        }
    }

    #[tokio::test]
    async fn r23_r24_components_windows_and_incidents_are_kept() {
        on_each_engine(|store| async move {
            store
                .create_product(&product("financials", &["general_ledger"]))
                .await
                .unwrap();
            store.create_product(&product("time", &["timesheets"])).await.unwrap();
            for (product, component) in [
                ("financials", "web_application"),
                ("financials", "api"),
                ("time", "api"),
            ] {
                let component = Component {
                    product: key(product),
                    key: ComponentKey::parse(component).unwrap(),
                    name: component.replace('_', " "),
                    status: ComponentStatus::Operational,
                };
                store.create_component(&component, now()).await.unwrap();
            }
            let mut api = store.components(Some(&key("financials"))).await.unwrap().pop().unwrap();
            assert_eq!(api.key.as_str(), "api", "in the order they were added");
            let duplicate = store.create_component(&api, now()).await.unwrap_err();
            assert!(matches!(duplicate, StoreError::Conflict("component")), "{duplicate:?}");
            api.status = ComponentStatus::DegradedPerformance;
            assert!(store.update_component(&api, now()).await.unwrap());
            assert_eq!(store.components(None).await.unwrap().len(), 3);
            assert_eq!(
                store.components(Some(&key("financials"))).await.unwrap()[1].status,
                ComponentStatus::DegradedPerformance
            );

            // A weekly window with a skipped occurrence, and a one-off.
            let mut window = weekly();
            store.save_window(&window, None, &[]).await.unwrap();
            let first = window.first_start().unwrap();
            window.skip(first, now()).unwrap();
            let update = MaintenanceUpdate {
                id: crate::new_id(),
                window: window.id.clone(),
                occurrence: Some(first),
                at: now(),
                body: "Skipped this week.".into(),
            };
            store.save_window(&window, Some(&update), &[]).await.unwrap();
            assert_eq!(store.window(&window.id).await.unwrap(), Some(window.clone()));
            let once = MaintenanceWindow {
                id: crate::new_id(),
                product: key("time"),
                schedule: Schedule::Once {
                    start: now(),
                    end: now() + SignedDuration::from_hours(2),
                },
                ..weekly()
            };
            store.save_window(&once, None, &[]).await.unwrap();
            assert_eq!(store.windows(None).await.unwrap(), [window.clone(), once.clone()]);
            assert_eq!(store.windows(Some(&key("time"))).await.unwrap(), [once]);
            assert_eq!(
                store.maintenance_updates(Some(&key("financials"))).await.unwrap(),
                [update]
            );
            assert!(store.maintenance_updates(Some(&key("time"))).await.unwrap().is_empty());

            // Incidents: one resolved long ago, one active.
            let opening = |at: Timestamp, status| IncidentUpdate {
                id: crate::new_id(),
                at,
                status,
                body: "We are looking into it.".into(),
            };
            let old_at = now() - SignedDuration::from_hours(24 * 100);
            let mut old = Incident::open(
                crate::new_id(),
                key("financials"),
                "Reports were slow".into(),
                IncidentImpact::Minor,
                IncidentStatus::Investigating,
                vec![AffectedComponent {
                    component: ComponentKey::parse("api").unwrap(),
                    status: ComponentStatus::DegradedPerformance,
                }],
                opening(old_at, IncidentStatus::Investigating),
            );
            store.save_incident(&old, &old.updates.clone(), &[]).await.unwrap();
            let resolution = opening(old_at + SignedDuration::from_hours(1), IncidentStatus::Resolved);
            old.post(resolution.clone()).unwrap();
            let message = OutboxMessage::new("mail", &serde_json::json!({"to": "x@example.com"}), now());
            store
                .save_incident(&old, &[resolution], std::slice::from_ref(&message))
                .await
                .unwrap();
            let active = Incident::open(
                crate::new_id(),
                key("time"),
                "Timesheets do not save".into(),
                IncidentImpact::Major,
                IncidentStatus::Identified,
                Vec::new(),
                opening(now(), IncidentStatus::Identified),
            );
            store
                .save_incident(&active, &active.updates.clone(), &[])
                .await
                .unwrap();
            assert_eq!(store.incident(&old.id).await.unwrap(), Some(old.clone()));
            assert_eq!(store.incident("nothing").await.unwrap(), None);
            assert_eq!(
                store.incidents(None, None, false).await.unwrap(),
                [active.clone(), old.clone()]
            );
            assert_eq!(
                store.incidents(None, None, true).await.unwrap(),
                std::slice::from_ref(&active)
            );
            let recent = store
                .incidents(None, Some(now() - SignedDuration::from_hours(24 * 90)), false)
                .await
                .unwrap();
            assert_eq!(
                recent,
                std::slice::from_ref(&active),
                "the old one was resolved 100 days ago"
            );
            assert_eq!(
                store.incidents(Some(&key("financials")), None, false).await.unwrap(),
                [old]
            );
            assert_eq!(store.outbox_of_kind("mail").await.unwrap().len(), 1);
        })
        .await;
    }

    #[tokio::test]
    async fn r24_subscribers_confirm_unsubscribe_and_deliveries_retry() {
        on_each_engine(|store| async move {
            store
                .create_product(&product("financials", &["general_ledger"]))
                .await
                .unwrap();
            store.create_product(&product("time", &["timesheets"])).await.unwrap();
            let email = |product: Option<&str>| Subscriber {
                id: crate::new_id(),
                kind: SubscriberKind::Email {
                    address: "ops@acme.example".into(),
                    token: crate::new_id(),
                },
                product: product.map(key),
                language: "fr".into(),
                created_at: now(),
                confirmed_at: None,
                unsubscribed_at: None,
            };
            let pending = email(Some("financials"));
            store.create_subscriber(&pending, Some("hash-1"), &[]).await.unwrap();
            // Asking again replaces the pending request.
            let again = email(Some("financials"));
            store.create_subscriber(&again, Some("hash-2"), &[]).await.unwrap();
            assert_eq!(store.subscriber_by_token("hash-1").await.unwrap(), None);
            assert_eq!(store.subscriber_by_token("hash-2").await.unwrap(), Some(again.clone()));
            assert!(
                store.subscribers_for(&key("financials")).await.unwrap().is_empty(),
                "not confirmed"
            );
            assert!(store.confirm_subscriber(&again.id, now()).await.unwrap());
            assert!(!store.confirm_subscriber(&again.id, now()).await.unwrap(), "once");
            assert!(
                store
                    .is_subscribed("ops@acme.example", Some(&key("financials")))
                    .await
                    .unwrap()
            );
            let webhook = Subscriber {
                id: crate::new_id(),
                kind: SubscriberKind::Webhook {
                    url: "http://127.0.0.1:9/hook".into(),
                    secret: "s3cret".into(),
                },
                product: None,
                ..email(None)
            };
            store.create_subscriber(&webhook, None, &[]).await.unwrap();
            assert_eq!(store.subscribers_for(&key("financials")).await.unwrap().len(), 2);
            assert_eq!(
                store.subscribers_for(&key("time")).await.unwrap(),
                std::slice::from_ref(&webhook)
            );
            assert_eq!(store.webhooks().await.unwrap(), std::slice::from_ref(&webhook));
            assert!(store.unsubscribe(&again.id, now()).await.unwrap());
            assert_eq!(
                store.subscribers_for(&key("financials")).await.unwrap(),
                std::slice::from_ref(&webhook)
            );

            // A delivery: claimed once, retried later, then given up.
            let message = OutboxMessage::new("webhook", &serde_json::json!({"n": 1}), now());
            let mut window = weekly();
            window.product = key("financials");
            store
                .save_window(&window, None, std::slice::from_ref(&message))
                .await
                .unwrap();
            let lease = now() + SignedDuration::from_mins(5);
            let claimed = store.claim_outbox("webhook", now(), lease, 10).await.unwrap();
            assert_eq!(claimed.len(), 1);
            assert_eq!(claimed[0].attempts, 0);
            assert!(
                store
                    .claim_outbox("webhook", now(), lease, 10)
                    .await
                    .unwrap()
                    .is_empty(),
                "leased"
            );
            let retry = now() + SignedDuration::from_secs(30);
            store
                .outbox_failed(&message.id, "HTTP 500", Some(retry), now())
                .await
                .unwrap();
            assert!(
                store
                    .claim_outbox("webhook", now(), lease, 10)
                    .await
                    .unwrap()
                    .is_empty()
            );
            let again = store.claim_outbox("webhook", retry, lease, 10).await.unwrap();
            assert_eq!(again[0].attempts, 1);
            assert_eq!(again[0].last_error.as_deref(), Some("HTTP 500"));
            store.outbox_failed(&message.id, "HTTP 500", None, retry).await.unwrap();
            let rows = store.outbox_of_kind("webhook").await.unwrap();
            assert_eq!(rows[0].attempts, 2);
            assert_eq!(rows[0].done_at, Some(retry), "given up");
            assert!(
                store
                    .claim_outbox("webhook", lease, lease, 10)
                    .await
                    .unwrap()
                    .is_empty()
            );
        })
        .await;
    }
}
