//! Cases, their contacts and timeline, escalation requests and expert
//! engagements. A change to a case is one transaction with its events and
//! outbox rows, checked against the version it was read at.

use guichet_domain::case::{Case, CaseEvent, CaseId, CaseNumber, CaseStatus, Happening, Subject};
use guichet_domain::company::CompanyId;
use guichet_domain::escalation::{AnalystLoad, EscalationRequest, EscalationStatus};
use guichet_domain::expert::{EngagementStatus, ExpertEngagement};
use guichet_domain::priority::{Environment, Impact, Priority, PriorityReason, Scope};
use guichet_domain::product::{AreaKey, ProductKey, Skill};
use guichet_domain::user::UserId;
use jiff::Timestamp;

use crate::outbox::OutboxMessage;
use crate::{Result, Store, StoreError, instant, micros};

/// Whose cases a listing covers (who sees what is decided by the domain;
/// this only says it in SQL).
#[derive(Debug, Clone)]
pub enum CaseScope {
    /// Vendor staff.
    All,
    /// A company's designated support users: all its cases.
    Company(CompanyId),
    /// Other customer users: the cases of their company they opened or are
    /// copied on.
    Involved { company: CompanyId, user: UserId },
    /// Partner users: the cases of the companies the partner implemented,
    /// and those they opened.
    Partner { partner: CompanyId, user: UserId },
}

/// How a listing is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaseOrder {
    /// Newest first; pages continue `before` a number.
    #[default]
    Newest,
    /// A queue: escalated first, then by priority, then oldest first.
    Queue,
}

/// A listing's filters; every one is optional.
#[derive(Debug, Clone)]
pub struct CaseFilter {
    pub scope: CaseScope,
    pub status: Option<CaseStatus>,
    /// Only cases still being worked on.
    pub open_only: bool,
    pub priority: Option<Priority>,
    /// `Some(None)` for unassigned cases.
    pub assignee: Option<Option<UserId>>,
    pub company: Option<CompanyId>,
    pub escalated: Option<bool>,
    /// Only the areas this analyst is skilled in, or assigned to them.
    pub queue_of: Option<UserId>,
    pub before: Option<CaseNumber>,
    pub order: CaseOrder,
    pub limit: i64,
}

impl CaseFilter {
    pub fn new(scope: CaseScope) -> Self {
        Self {
            scope,
            status: None,
            open_only: false,
            priority: None,
            assignee: None,
            company: None,
            escalated: None,
            queue_of: None,
            before: None,
            order: CaseOrder::Newest,
            limit: 50,
        }
    }
}

macro_rules! case_columns {
    () => {
        "c.id, c.number, c.company_id, c.opened_by, c.product_key, c.area_key, c.environment, c.impact, c.scope, \
         c.subject, c.description, c.steps, c.expected, c.status, c.priority, c.priority_reasons, c.assignee_id, \
         c.escalated, c.experts_involved, c.split_from, c.created_at, c.updated_at, c.first_response_at, \
         c.solved_at, c.closed_at, c.last_update_request_at, c.version, c.sla"
    };
}

/// The `WHERE` of a listing; binds $1..$12 in `CaseFilter::binds` order.
macro_rules! case_where {
    () => {
        "($1 = 'all' \
          OR ($1 = 'company' AND c.company_id = $2) \
          OR ($1 = 'involved' AND c.company_id = $2 AND (c.opened_by = $3 OR EXISTS \
              (SELECT 1 FROM case_contacts x WHERE x.case_id = c.id AND x.user_id = $3))) \
          OR ($1 = 'partner' AND (c.opened_by = $3 OR c.company_id IN \
              (SELECT p.id FROM companies p WHERE p.implemented_by = $2)))) \
         AND ($4 = '' OR c.status = $4) \
         AND ($5 = 0 OR c.status NOT IN ('solved', 'closed')) \
         AND ($6 = '' OR c.priority = $6) \
         AND ($7 = '' OR ($7 = '-' AND c.assignee_id IS NULL) OR c.assignee_id = $7) \
         AND ($8 = '' OR c.company_id = $8) \
         AND ($9 = -1 OR c.escalated = ($9 = 1)) \
         AND ($10 = '' OR c.assignee_id = $10 OR EXISTS (SELECT 1 FROM user_skills s WHERE s.user_id = $10 \
              AND (s.skill = c.product_key OR s.skill = c.product_key || '.' || c.area_key))) \
         AND ($11 = 0 OR c.number < $11)"
    };
}

struct Binds {
    mode: &'static str,
    company: String,
    user: String,
    status: &'static str,
    open_only: i64,
    priority: &'static str,
    assignee: String,
    only_company: String,
    escalated: i64,
    queue_of: String,
    before: i64,
}

impl CaseFilter {
    fn binds(&self) -> Binds {
        let (mode, company, user) = match &self.scope {
            CaseScope::All => ("all", String::new(), String::new()),
            CaseScope::Company(company) => ("company", company.0.clone(), String::new()),
            CaseScope::Involved { company, user } => ("involved", company.0.clone(), user.0.clone()),
            CaseScope::Partner { partner, user } => ("partner", partner.0.clone(), user.0.clone()),
        };
        Binds {
            mode,
            company,
            user,
            status: self.status.map_or("", CaseStatus::as_str),
            open_only: i64::from(self.open_only),
            priority: self.priority.map_or("", Priority::as_str),
            assignee: match &self.assignee {
                None => String::new(),
                Some(None) => "-".into(),
                Some(Some(user)) => user.0.clone(),
            },
            only_company: self.company.as_ref().map_or_else(String::new, |c| c.0.clone()),
            escalated: self.escalated.map_or(-1, i64::from),
            queue_of: self.queue_of.as_ref().map_or_else(String::new, |u| u.0.clone()),
            before: self.before.map_or(0, |n| n.0),
        }
    }
}

/// Binds a `Binds` on a query, in `case_where!` order.
macro_rules! bind_filter {
    ($query:expr, $b:expr) => {
        $query
            .bind($b.mode)
            .bind(&$b.company)
            .bind(&$b.user)
            .bind($b.status)
            .bind($b.open_only)
            .bind($b.priority)
            .bind(&$b.assignee)
            .bind(&$b.only_company)
            .bind($b.escalated)
            .bind(&$b.queue_of)
            .bind($b.before)
    };
}

#[derive(sqlx::FromRow)]
struct CaseRow {
    id: String,
    number: i64,
    company_id: String,
    opened_by: String,
    product_key: String,
    area_key: String,
    environment: String,
    impact: String,
    scope: String,
    subject: String,
    description: String,
    steps: Option<String>,
    expected: Option<String>,
    status: String,
    priority: String,
    priority_reasons: String,
    assignee_id: Option<String>,
    escalated: bool,
    experts_involved: bool,
    split_from: Option<i64>,
    created_at: i64,
    updated_at: i64,
    first_response_at: Option<i64>,
    solved_at: Option<i64>,
    closed_at: Option<i64>,
    last_update_request_at: Option<i64>,
    version: i64,
    sla: String,
}

fn corrupt(what: &str) -> impl FnOnce(serde_json::Error) -> StoreError + '_ {
    move |e| StoreError::Corrupt(format!("{what}: {e}"))
}

impl CaseRow {
    fn into_case(self, contacts: &[(String, String)]) -> Result<Case> {
        let reasons: Vec<PriorityReason> =
            serde_json::from_str(&self.priority_reasons).map_err(corrupt("priority reasons"))?;
        Ok(Case {
            contacts: contacts
                .iter()
                .filter(|(case, _)| *case == self.id)
                .map(|(_, user)| UserId(user.clone()))
                .collect(),
            id: CaseId(self.id),
            number: CaseNumber(self.number),
            company_id: CompanyId(self.company_id),
            opened_by: UserId(self.opened_by),
            product: ProductKey::parse(&self.product_key)?,
            area: AreaKey::parse(&self.area_key)?,
            environment: Environment::parse(&self.environment)?,
            impact: Impact::parse(&self.impact)?,
            scope: Scope::parse(&self.scope)?,
            subject: Subject::parse(&self.subject)?,
            description: self.description,
            steps: self.steps,
            expected: self.expected,
            status: CaseStatus::parse(&self.status)?,
            priority: Priority::parse(&self.priority)?,
            priority_reasons: reasons,
            assignee: self.assignee_id.map(UserId),
            escalated: self.escalated,
            experts_involved: self.experts_involved,
            split_from: self.split_from.map(CaseNumber),
            created_at: instant(self.created_at)?,
            updated_at: instant(self.updated_at)?,
            first_response_at: self.first_response_at.map(instant).transpose()?,
            solved_at: self.solved_at.map(instant).transpose()?,
            closed_at: self.closed_at.map(instant).transpose()?,
            last_update_request_at: self.last_update_request_at.map(instant).transpose()?,
            clocks: serde_json::from_str(&self.sla).map_err(corrupt("clocks"))?,
            version: self.version,
        })
    }
}

/// `INSERT INTO {table} ({columns}) VALUES (…), (…)` for `rows` rows of
/// numbered parameters: one statement however many rows.
pub(crate) fn insert_rows(table: &str, columns: &str, rows: usize) -> String {
    insert_rows_from(table, columns, rows, 1)
}

/// `insert_rows` whose parameters start at `$first`.
fn insert_rows_from(table: &str, columns: &str, rows: usize, first: usize) -> String {
    let width = columns.split(',').count();
    let mut sql = format!("INSERT INTO {table} ({columns}) VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..width {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", first + row * width + column));
        }
        sql.push(')');
    }
    sql
}

/// Inserts timeline events inside a transaction body, in one statement.
macro_rules! insert_events {
    ($tx:ident, $case:expr, $events:expr) => {
        let events = $events;
        if !events.is_empty() {
            let sql = insert_rows(
                "case_events",
                "id, case_id, at, actor_id, kind, internal, data",
                events.len(),
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for event in events {
                query = query
                    .bind(&event.id)
                    .bind(&$case.id.0)
                    .bind(micros(event.at))
                    .bind(event.actor.as_ref().map(|a| a.0.as_str()))
                    .bind(event.happening.kind())
                    .bind(event.internal)
                    .bind(serde_json::to_string(&event.happening).map_err(corrupt("event"))?);
            }
            query.execute(&mut *$tx).await?;
        }
    };
}

/// Inserts a case's contacts inside a transaction body.
macro_rules! insert_contacts {
    ($tx:ident, $case:expr) => {
        for user in &$case.contacts {
            sqlx::query("INSERT INTO case_contacts (case_id, user_id) VALUES ($1, $2)")
                .bind(&$case.id.0)
                .bind(&user.0)
                .execute(&mut *$tx)
                .await
                .map_err(crate::error::constraint("contact"))?;
        }
    };
}

/// Replaces a case's contacts inside a transaction body.
macro_rules! replace_contacts {
    ($tx:ident, $case:expr) => {
        sqlx::query("DELETE FROM case_contacts WHERE case_id = $1")
            .bind(&$case.id.0)
            .execute(&mut *$tx)
            .await?;
        insert_contacts!($tx, $case);
    };
}

/// What changes with a case, written together or not at all.
#[derive(Debug, Default)]
pub struct CaseChange<'a> {
    pub events: &'a [CaseEvent],
    pub outbox: &'a [OutboxMessage],
    /// R26: what the audit log keeps of the change.
    pub audit: &'a [guichet_domain::audit::AuditEntry],
    pub escalation: Option<&'a EscalationRequest>,
    pub engagement: Option<&'a ExpertEngagement>,
}

/// Binds a new case's columns, in the order of the `INSERT`s of
/// `open_case`: $1 to $28 (the number comes after).
macro_rules! bind_case {
    ($query:expr, $case:expr) => {
        $query
            .bind($case.id.0.as_str())
            .bind($case.company_id.0.as_str())
            .bind($case.opened_by.0.as_str())
            .bind($case.product.as_str())
            .bind($case.area.as_str())
            .bind($case.environment.as_str())
            .bind($case.impact.as_str())
            .bind($case.scope.as_str())
            .bind($case.subject.as_str())
            .bind($case.description.as_str())
            .bind($case.steps.as_deref())
            .bind($case.expected.as_deref())
            .bind($case.status.as_str())
            .bind($case.priority.as_str())
            .bind(serde_json::to_string(&$case.priority_reasons).map_err(corrupt("priority reasons"))?)
            .bind($case.assignee.as_ref().map(|a| a.0.as_str()))
            .bind($case.escalated)
            .bind($case.experts_involved)
            .bind($case.split_from.map(|n| n.0))
            .bind(micros($case.created_at))
            .bind(micros($case.updated_at))
            .bind($case.first_response_at.map(micros))
            .bind($case.solved_at.map(micros))
            .bind($case.closed_at.map(micros))
            .bind($case.last_update_request_at.map(micros))
            .bind(serde_json::to_string(&$case.clocks).map_err(corrupt("clocks"))?)
            .bind($case.clocks.next_alarm().map(micros))
            .bind($case.clocks.next_due().map(micros))
    };
}

/// SQLite: the whole opening in one multi-statement query, so the writer is
/// held for one round trip (this is the hot path of case intake).
async fn open_case_sqlite(
    writer: &crate::group_commit::GroupWriter,
    case: &Case,
    change: &CaseChange<'_>,
) -> Result<CaseNumber> {
    const CASE_INSERT: &str = "INSERT INTO cases (id, company_id, opened_by, product_key, area_key, environment, \
         impact, scope, subject, description, steps, expected, status, priority, priority_reasons, assignee_id, \
         escalated, experts_involved, split_from, created_at, updated_at, first_response_at, solved_at, closed_at, \
         last_update_request_at, sla, sla_alarm_at, sla_due_at, number, version) VALUES ($1, $2, $3, $4, $5, $6, $7, \
         $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, \
         (SELECT value FROM counters WHERE name = 'case_number'), 1)";
    let mut sql = String::from("SAVEPOINT job; UPDATE counters SET value = value + 1 WHERE name = 'case_number'; ");
    sql.push_str(CASE_INSERT);
    let mut next = 29;
    if !case.contacts.is_empty() {
        sql.push_str("; ");
        sql.push_str(&insert_rows_from(
            "case_contacts",
            "case_id, user_id",
            case.contacts.len(),
            next,
        ));
        next += 2 * case.contacts.len();
    }
    if !change.events.is_empty() {
        sql.push_str("; ");
        let columns = "id, case_id, at, actor_id, kind, internal, data";
        sql.push_str(&insert_rows_from("case_events", columns, change.events.len(), next));
        next += 7 * change.events.len();
    }
    if !change.outbox.is_empty() {
        sql.push_str("; ");
        let columns = "id, kind, payload, created_at, available_at, attempts";
        sql.push_str(&insert_rows_from("outbox", columns, change.outbox.len(), next));
        next += 6 * change.outbox.len();
    }
    if !change.audit.is_empty() {
        sql.push_str("; ");
        let columns = "id, at, actor_id, actor_email, address, action, subject_kind, subject_id, company_id, \
                       case_number, details";
        sql.push_str(&insert_rows_from("audit_entries", columns, change.audit.len(), next));
        next += 11 * change.audit.len();
        sql.push_str("; ");
        sql.push_str(&insert_rows_from("audit_pending", "entry_id", change.audit.len(), next));
    }
    sql.push_str("; SELECT value FROM counters WHERE name = 'case_number'; RELEASE job");

    let mut query = bind_case!(sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)), case);
    for contact in &case.contacts {
        query = query.bind(case.id.0.as_str()).bind(contact.0.as_str());
    }
    for event in change.events {
        query = query
            .bind(event.id.as_str())
            .bind(case.id.0.as_str())
            .bind(micros(event.at))
            .bind(event.actor.as_ref().map(|a| a.0.as_str()))
            .bind(event.happening.kind())
            .bind(event.internal)
            .bind(serde_json::to_string(&event.happening).map_err(corrupt("event"))?);
    }
    for message in change.outbox {
        query = query
            .bind(message.id.as_str())
            .bind(message.kind.as_str())
            .bind(message.payload.as_str())
            .bind(micros(message.created_at))
            .bind(micros(message.created_at))
            .bind(0i64);
    }
    for entry in change.audit {
        query = query
            .bind(entry.id.as_str())
            .bind(micros(entry.at))
            .bind(entry.actor.as_ref().map(|a| a.0.as_str()))
            .bind(entry.actor_email.as_deref())
            .bind(entry.address.as_deref())
            .bind(entry.action.as_str())
            .bind(entry.subject_kind.as_str())
            .bind(entry.subject_id.as_str())
            .bind(entry.company.as_ref().map(|c| c.0.as_str()))
            .bind(entry.case_number.map(|n| n.0))
            .bind(entry.details.as_str());
    }
    for entry in change.audit {
        query = query.bind(entry.id.as_str());
    }
    let mut job = writer.begin(crate::group_commit::Savepoint::InQuery).await?;
    let outcome: Result<Vec<i64>> = query
        .fetch_all(job.connection())
        .await
        .map_err(crate::error::constraint("area"));
    let numbers = job.finish(outcome).await?;
    numbers
        .first()
        .map(|n| CaseNumber(*n))
        .ok_or_else(|| StoreError::Corrupt("no case number came back".into()))
}

impl Store {
    /// Opens `case` (its number is drawn here) with its first events and
    /// outbox rows; returns the number.
    pub async fn open_case(&self, case: &Case, change: CaseChange<'_>) -> Result<CaseNumber> {
        match &self.db {
            crate::engine::Db::Sqlite { writer, .. } => open_case_sqlite(writer, case, &change).await,
            crate::engine::Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let number: i64 = sqlx::query_scalar(
                    "UPDATE counters SET value = value + 1 WHERE name = 'case_number' RETURNING value",
                )
                .fetch_one(&mut *tx)
                .await?;
                bind_case!(
                    sqlx::query(
                        "INSERT INTO cases (id, company_id, opened_by, product_key, area_key, environment, impact, \
                         scope, subject, description, steps, expected, status, priority, priority_reasons, \
                         assignee_id, escalated, experts_involved, split_from, created_at, updated_at, \
                         first_response_at, solved_at, closed_at, last_update_request_at, sla, sla_alarm_at, \
                         sla_due_at, number, version) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
                         $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, 1)",
                    ),
                    case
                )
                .bind(number)
                .execute(&mut *tx)
                .await
                .map_err(crate::error::constraint("area"))?;
                insert_contacts!(tx, case);
                insert_events!(tx, case, change.events);
                insert_outbox!(tx, change.outbox);
                insert_audit!(tx, change.audit);
                tx.commit().await?;
                Ok(CaseNumber(number))
            }
        }
    }

    /// Writes `case` as changed, with its events, outbox rows and the
    /// escalation request or engagement it touched. `Conflict("case")` if
    /// someone changed the case since it was read (`case.version`).
    pub async fn change_case(&self, case: &Case, change: CaseChange<'_>) -> Result<()> {
        transaction!(self, |tx| {
            let updated = sqlx::query(
                "UPDATE cases SET status = $3, priority = $4, priority_reasons = $5, assignee_id = $6, \
                 escalated = $7, experts_involved = $8, updated_at = $9, first_response_at = $10, solved_at = $11, \
                 closed_at = $12, last_update_request_at = $13, sla = $14, sla_alarm_at = $15, sla_due_at = $16, \
                 version = version + 1 WHERE id = $1 AND version = $2",
            )
            .bind(&case.id.0)
            .bind(case.version)
            .bind(case.status.as_str())
            .bind(case.priority.as_str())
            .bind(serde_json::to_string(&case.priority_reasons).map_err(corrupt("priority reasons"))?)
            .bind(case.assignee.as_ref().map(|a| a.0.as_str()))
            .bind(case.escalated)
            .bind(case.experts_involved)
            .bind(micros(case.updated_at))
            .bind(case.first_response_at.map(micros))
            .bind(case.solved_at.map(micros))
            .bind(case.closed_at.map(micros))
            .bind(case.last_update_request_at.map(micros))
            .bind(serde_json::to_string(&case.clocks).map_err(corrupt("clocks"))?)
            .bind(case.clocks.next_alarm().map(micros))
            .bind(case.clocks.next_due().map(micros))
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict("case"));
            }
            replace_contacts!(tx, case);
            insert_events!(tx, case, change.events);
            insert_outbox!(tx, change.outbox);
            insert_audit!(tx, change.audit);
            if let Some(request) = change.escalation {
                sqlx::query(
                    "INSERT INTO escalation_requests (id, case_id, requested_by, reason, status, requested_at, \
                     review_due_at, reviewed_by, reviewed_at, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (id) DO UPDATE SET status = excluded.status, reviewed_by = excluded.reviewed_by, \
                     reviewed_at = excluded.reviewed_at, note = excluded.note",
                )
                .bind(&request.id)
                .bind(&request.case_id.0)
                .bind(&request.requested_by.0)
                .bind(&request.reason)
                .bind(request.status.as_str())
                .bind(micros(request.requested_at))
                .bind(micros(request.review_due_at))
                .bind(request.reviewed_by.as_ref().map(|u| u.0.as_str()))
                .bind(request.reviewed_at.map(micros))
                .bind(request.note.as_deref())
                .execute(&mut *tx)
                .await?;
            }
            if let Some(engagement) = change.engagement {
                sqlx::query(
                    "INSERT INTO expert_engagements (id, case_id, expert_id, requested_by, question, status, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
                )
                .bind(&engagement.id)
                .bind(&engagement.case_id.0)
                .bind(&engagement.expert.0)
                .bind(&engagement.requested_by.0)
                .bind(&engagement.question)
                .bind(engagement.status.as_str())
                .bind(micros(engagement.created_at))
                .bind(micros(engagement.updated_at))
                .execute(&mut *tx)
                .await?;
            }
        })
    }

    pub async fn case_by_number(&self, number: CaseNumber) -> Result<Option<Case>> {
        let row: Option<CaseRow> = read!(self, |c| sqlx::query_as(concat!(
            "SELECT ",
            case_columns!(),
            " FROM cases c WHERE c.number = $1"
        ))
        .bind(number.0)
        .fetch_optional(c)
        .await)?;
        let Some(row) = row else { return Ok(None) };
        let contacts: Vec<(String, String)> = read!(self, |c| sqlx::query_as(
            "SELECT case_id, user_id FROM case_contacts WHERE case_id = $1 ORDER BY user_id"
        )
        .bind(&row.id)
        .fetch_all(c)
        .await)?;
        row.into_case(&contacts).map(Some)
    }

    pub async fn case_by_id(&self, id: &CaseId) -> Result<Option<Case>> {
        let number: Option<i64> = read!(self, |c| sqlx::query_scalar("SELECT number FROM cases WHERE id = $1")
            .bind(&id.0)
            .fetch_optional(c)
            .await)?;
        match number {
            Some(number) => self.case_by_number(CaseNumber(number)).await,
            None => Ok(None),
        }
    }

    /// The cases `filter` selects, in its order, at most `filter.limit`.
    pub async fn cases(&self, filter: &CaseFilter) -> Result<Vec<Case>> {
        let b = filter.binds();
        let limit = filter.limit.clamp(1, 500);
        let rows: Vec<CaseRow> = match filter.order {
            CaseOrder::Newest => read!(self, |c| bind_filter!(
                sqlx::query_as(concat!(
                    "SELECT ",
                    case_columns!(),
                    " FROM cases c WHERE ",
                    case_where!(),
                    " ORDER BY c.number DESC LIMIT $12"
                )),
                b
            )
            .bind(limit)
            .fetch_all(c)
            .await)?,
            CaseOrder::Queue => read!(self, |c| bind_filter!(
                sqlx::query_as(concat!(
                    "SELECT ",
                    case_columns!(),
                    " FROM cases c WHERE ",
                    case_where!(),
                    " ORDER BY c.escalated DESC, (c.sla_due_at IS NULL), c.sla_due_at, c.priority, c.created_at, \
                     c.number LIMIT $12"
                )),
                b
            )
            .bind(limit)
            .fetch_all(c)
            .await)?,
        };
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        let contacts = self.contacts_of(&ids).await?;
        rows.into_iter().map(|row| row.into_case(&contacts)).collect()
    }

    async fn contacts_of(&self, ids: &[&str]) -> Result<Vec<(String, String)>> {
        // One query per page: ids are a page of a listing (at most 500).
        let mut contacts = Vec::new();
        for chunk in ids.chunks(50) {
            let list = serde_json::to_string(chunk).map_err(corrupt("ids"))?;
            let rows: Vec<(String, String)> =
                match &self.db {
                    crate::engine::Db::Sqlite { read, .. } => sqlx::query_as(
                        "SELECT case_id, user_id FROM case_contacts WHERE case_id IN (SELECT value FROM json_each($1))",
                    )
                    .bind(&list)
                    .fetch_all(read)
                    .await?,
                    crate::engine::Db::Postgres(pool) => {
                        sqlx::query_as(
                            "SELECT case_id, user_id FROM case_contacts \
                         WHERE case_id IN (SELECT json_array_elements_text($1::json))",
                        )
                        .bind(&list)
                        .fetch_all(pool)
                        .await?
                    }
                };
            contacts.extend(rows);
        }
        Ok(contacts)
    }

    /// A case's timeline, oldest first; without internal events unless
    /// asked.
    pub async fn case_events(&self, case: &CaseId, with_internal: bool) -> Result<Vec<CaseEvent>> {
        let rows: Vec<(String, i64, Option<String>, bool, String)> = read!(self, |c| sqlx::query_as(
            "SELECT id, at, actor_id, internal, data FROM case_events \
             WHERE case_id = $1 AND ($2 OR NOT internal) ORDER BY at, id"
        )
        .bind(&case.0)
        .bind(with_internal)
        .fetch_all(c)
        .await)?;
        rows.into_iter()
            .map(|(id, at, actor, internal, data)| {
                Ok(CaseEvent {
                    id,
                    at: instant(at)?,
                    actor: actor.map(UserId),
                    internal,
                    happening: serde_json::from_str::<Happening>(&data).map_err(corrupt("event"))?,
                })
            })
            .collect()
    }

    /// R12: every support analyst with their skills and open cases.
    pub async fn analyst_loads(&self) -> Result<Vec<AnalystLoad>> {
        let rows: Vec<(String, bool, i64)> = read!(self, |c| sqlx::query_as(
            "SELECT u.id, u.active, (SELECT COUNT(*) FROM cases c WHERE c.assignee_id = u.id \
             AND c.status NOT IN ('solved', 'closed')) FROM users u \
             JOIN user_roles r ON r.user_id = u.id AND r.role = 'support_analyst' ORDER BY u.id"
        )
        .fetch_all(c)
        .await)?;
        let skills: Vec<(String, String)> = read!(self, |c| sqlx::query_as(
            "SELECT s.user_id, s.skill FROM user_skills s JOIN user_roles r ON r.user_id = s.user_id \
             AND r.role = 'support_analyst'"
        )
        .fetch_all(c)
        .await)?;
        rows.into_iter()
            .map(|(id, active, open)| {
                Ok(AnalystLoad {
                    skills: skills
                        .iter()
                        .filter(|(user, _)| *user == id)
                        .map(|(_, skill)| Skill::parse(skill))
                        .collect::<Result<_, _>>()?,
                    user: UserId(id),
                    open_cases: u32::try_from(open).unwrap_or(u32::MAX),
                    available: active,
                })
            })
            .collect()
    }

    /// Cases whose clocks have an alarm due by `now`, the oldest first (the
    /// watcher's work, found through the `sla_alarm_at` index).
    pub async fn cases_with_alarms(&self, now: Timestamp, limit: i64) -> Result<Vec<CaseNumber>> {
        let numbers: Vec<i64> = read!(self, |c| sqlx::query_scalar(
            "SELECT number FROM cases WHERE sla_alarm_at <= $1 ORDER BY sla_alarm_at LIMIT $2"
        )
        .bind(micros(now))
        .bind(limit)
        .fetch_all(c)
        .await)?;
        Ok(numbers.into_iter().map(CaseNumber).collect())
    }

    /// Solved cases whose solution is older than `cutoff` (to close).
    pub async fn solved_before(&self, cutoff: Timestamp, limit: i64) -> Result<Vec<CaseNumber>> {
        let numbers: Vec<i64> = read!(self, |c| sqlx::query_scalar(
            "SELECT number FROM cases WHERE status = 'solved' AND solved_at <= $1 ORDER BY solved_at LIMIT $2"
        )
        .bind(micros(cutoff))
        .bind(limit)
        .fetch_all(c)
        .await)?;
        Ok(numbers.into_iter().map(CaseNumber).collect())
    }
}

#[derive(sqlx::FromRow)]
struct EscalationRow {
    id: String,
    case_id: String,
    requested_by: String,
    reason: String,
    status: String,
    requested_at: i64,
    review_due_at: i64,
    reviewed_by: Option<String>,
    reviewed_at: Option<i64>,
    note: Option<String>,
}

impl EscalationRow {
    fn into_request(self) -> Result<EscalationRequest> {
        Ok(EscalationRequest {
            id: self.id,
            case_id: CaseId(self.case_id),
            requested_by: UserId(self.requested_by),
            reason: self.reason,
            status: EscalationStatus::parse(&self.status)?,
            requested_at: instant(self.requested_at)?,
            review_due_at: instant(self.review_due_at)?,
            reviewed_by: self.reviewed_by.map(UserId),
            reviewed_at: self.reviewed_at.map(instant).transpose()?,
            note: self.note,
        })
    }
}

macro_rules! escalation_columns {
    () => {
        "id, case_id, requested_by, reason, status, requested_at, review_due_at, reviewed_by, reviewed_at, note"
    };
}

#[derive(sqlx::FromRow)]
struct EngagementRow {
    id: String,
    case_id: String,
    expert_id: String,
    requested_by: String,
    question: String,
    status: String,
    created_at: i64,
    updated_at: i64,
}

impl EngagementRow {
    fn into_engagement(self) -> Result<ExpertEngagement> {
        Ok(ExpertEngagement {
            id: self.id,
            case_id: CaseId(self.case_id),
            expert: UserId(self.expert_id),
            requested_by: UserId(self.requested_by),
            question: self.question,
            status: EngagementStatus::parse(&self.status)?,
            created_at: instant(self.created_at)?,
            updated_at: instant(self.updated_at)?,
        })
    }
}

macro_rules! engagement_columns {
    () => {
        "id, case_id, expert_id, requested_by, question, status, created_at, updated_at"
    };
}

impl Store {
    /// Escalation requests in `status` (all if `None`), the most urgent
    /// review first.
    pub async fn escalation_requests(&self, status: Option<EscalationStatus>) -> Result<Vec<EscalationRequest>> {
        let rows: Vec<EscalationRow> = read!(self, |c| sqlx::query_as(concat!(
            "SELECT ",
            escalation_columns!(),
            " FROM escalation_requests WHERE ($1 = '' OR status = $1) ORDER BY review_due_at, id LIMIT 500"
        ))
        .bind(status.map_or("", EscalationStatus::as_str))
        .fetch_all(c)
        .await)?;
        rows.into_iter().map(EscalationRow::into_request).collect()
    }

    pub async fn escalation_request(&self, id: &str) -> Result<Option<EscalationRequest>> {
        let row: Option<EscalationRow> = read!(self, |c| sqlx::query_as(concat!(
            "SELECT ",
            escalation_columns!(),
            " FROM escalation_requests WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(c)
        .await)?;
        row.map(EscalationRow::into_request).transpose()
    }

    /// A case's escalation requests, oldest first.
    pub async fn escalation_requests_of(&self, case: &CaseId) -> Result<Vec<EscalationRequest>> {
        let rows: Vec<EscalationRow> = read!(self, |c| sqlx::query_as(concat!(
            "SELECT ",
            escalation_columns!(),
            " FROM escalation_requests WHERE case_id = $1 ORDER BY requested_at, id"
        ))
        .bind(&case.0)
        .fetch_all(c)
        .await)?;
        rows.into_iter().map(EscalationRow::into_request).collect()
    }

    pub async fn engagement(&self, id: &str) -> Result<Option<ExpertEngagement>> {
        let row: Option<EngagementRow> = read!(self, |c| sqlx::query_as(concat!(
            "SELECT ",
            engagement_columns!(),
            " FROM expert_engagements WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(c)
        .await)?;
        row.map(EngagementRow::into_engagement).transpose()
    }

    /// A case's expert engagements, oldest first.
    pub async fn engagements_of(&self, case: &CaseId) -> Result<Vec<ExpertEngagement>> {
        let rows: Vec<EngagementRow> = read!(self, |c| sqlx::query_as(concat!(
            "SELECT ",
            engagement_columns!(),
            " FROM expert_engagements WHERE case_id = $1 ORDER BY created_at, id"
        ))
        .bind(&case.0)
        .fetch_all(c)
        .await)?;
        rows.into_iter().map(EngagementRow::into_engagement).collect()
    }

    /// The engagements an expert is on that are not closed.
    pub async fn engagements_for(&self, expert: &UserId) -> Result<Vec<ExpertEngagement>> {
        let rows: Vec<EngagementRow> = read!(self, |c| sqlx::query_as(concat!(
            "SELECT ",
            engagement_columns!(),
            " FROM expert_engagements WHERE expert_id = $1 AND status <> 'closed' ORDER BY created_at, id"
        ))
        .bind(&expert.0)
        .fetch_all(c)
        .await)?;
        rows.into_iter().map(EngagementRow::into_engagement).collect()
    }
}
