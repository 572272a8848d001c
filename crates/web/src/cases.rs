//! What people do with cases (R12–R20), for the API and the portal alike:
//! load what the caller may see, let the domain decide, write the change
//! with its timeline events and notifications in one go.

use axum::http::StatusCode;
use guichet_domain::access::{Actor, CaseAccess};
use guichet_domain::audit::AuditEntry;
use guichet_domain::calendar::BusinessCalendar;
use guichet_domain::case::{
    self, Answer, AnswerFields, AnswerKind, Case, CaseError, CaseEvent, CaseId, CaseNumber, CaseStatus, Happening,
    Subject, parse_optional_text, parse_text,
};
use guichet_domain::case_sla::{Alarm, CaseClocks, SlaContext};
use guichet_domain::company::{Company, CompanyId, CompanyKind};
use guichet_domain::contact::{self, Reason};
use guichet_domain::escalation::{self, Decision, EscalationRefusal, EscalationRequest, EscalationStatus};
use guichet_domain::expert::{self, EngagementStatus, ExpertEngagement};
use guichet_domain::holidays;
use guichet_domain::priority::{self, Environment, Impact, Priority, Scope};
use guichet_domain::product::{AreaKey, ProductKey};
use guichet_domain::sla::SlaPolicy;
use guichet_domain::user::{Role, UserId};
use guichet_domain::{Invalid, InvalidKind};
use guichet_store::{CaseChange, CaseFilter, CaseScope, OutboxMessage, StoreError};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// How cases behave, from the configuration.
#[derive(Debug, Clone)]
pub struct CaseSettings {
    pub priorities: priority::PriorityTable,
    /// R19: at most one update request per case per this long.
    pub update_request_period: SignedDuration,
    /// A solved case may be reopened this long; then it closes by itself.
    pub reopen_period: SignedDuration,
    /// R20: a support manager reviews an escalation request within this
    /// much business time.
    pub escalation_review_target: SignedDuration,
}

impl Default for CaseSettings {
    fn default() -> Self {
        Self {
            priorities: priority::PriorityTable::default(),
            update_request_period: SignedDuration::from_hours(4),
            reopen_period: SignedDuration::from_hours(24 * 7),
            escalation_review_target: SignedDuration::from_hours(1),
        }
    }
}

impl From<CaseError> for ApiError {
    fn from(error: CaseError) -> Self {
        let code = match error {
            CaseError::Closed => "case_closed",
            CaseError::NotSolved => "case_not_solved",
            CaseError::ReopenPeriodOver => "reopen_period_over",
        };
        ApiError::new(StatusCode::CONFLICT, code, error.to_string())
    }
}

impl From<EscalationRefusal> for ApiError {
    fn from(refusal: EscalationRefusal) -> Self {
        let code = match refusal {
            EscalationRefusal::AlreadyEscalated => "already_escalated",
            EscalationRefusal::AlreadyRequested => "escalation_pending",
            EscalationRefusal::NotOpen => "case_not_open",
        };
        ApiError::new(StatusCode::CONFLICT, code, refusal.to_string())
    }
}

fn field(name: &'static str) -> impl Fn(Invalid) -> ApiError {
    move |invalid| ApiError::invalid(name, invalid)
}

fn required(name: &'static str) -> ApiError {
    ApiError::invalid(name, Invalid::new(InvalidKind::Empty, format!("`{name}` is required")))
}

/// The scope of the cases `actor` sees (the SQL side of `may_read_case`).
pub(crate) fn scope_of(actor: &Actor) -> CaseScope {
    match actor.company_kind {
        CompanyKind::Vendor => CaseScope::All,
        CompanyKind::Partner => CaseScope::Partner {
            partner: actor.company_id.clone(),
            user: actor.user_id.clone(),
        },
        CompanyKind::Customer if actor.has(Role::DesignatedSupportUser) => CaseScope::Company(actor.company_id.clone()),
        CompanyKind::Customer => CaseScope::Involved {
            company: actor.company_id.clone(),
            user: actor.user_id.clone(),
        },
    }
}

/// A case the caller may read, with its company; 404 otherwise.
pub(crate) async fn readable(state: &AppState, caller: &Caller, number: &str) -> Result<(Case, Company), ApiError> {
    let number = CaseNumber::parse(number).map_err(|_| ApiError::not_found())?;
    let case = state
        .store
        .case_by_number(number)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let company = state
        .store
        .company(&case.company_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let access = CaseAccess {
        company: &case.company_id,
        implemented_by: company.implemented_by.as_ref(),
        opened_by: &case.opened_by,
        contacts: &case.contacts,
    };
    if caller.actor.may_read_case(access) {
        Ok((case, company))
    } else {
        Err(ApiError::not_found())
    }
}

/// The business calendar of a company (R21): its time zone, 06:00–18:00 on
/// weekdays, its country's public holidays around `now` (with its
/// subdivision's, if it named one), and the days an administrator closed. A
/// country without holiday rules gets the opening hours and closures alone.
pub(crate) fn calendar_of(company: &Company, now: Timestamp) -> BusinessCalendar {
    let zone = company.time_zone.time_zone();
    let year = zone.to_datetime(now).year();
    let years = year - 1..=year + 2;
    holidays::calendar_or_standard(company.country, zone, company.subdivision.as_deref(), years)
        .with_closed_dates(company.closed_dates.iter().copied())
}

/// A notification for the mail worker: who should hear of what.
#[derive(Debug, Serialize)]
struct Notification<'a> {
    event: &'a str,
    /// The case's id: a new case's number is drawn as it is written.
    case: &'a CaseId,
    recipients: &'a [UserId],
}

/// A change being made to a case: its new state, events and
/// notifications, saved together.
struct Changing {
    case: Case,
    events: Vec<CaseEvent>,
    outbox: Vec<OutboxMessage>,
    now: Timestamp,
    /// What the clocks need, for changes that move them.
    sla: Option<SlaSetup>,
    /// Who makes the change and from where (R26); `None` for Guichet itself.
    by: Option<(UserId, String, Option<String>)>,
}

/// A company's SLA targets and business calendar.
struct SlaSetup {
    policy: SlaPolicy,
    tier: String,
    calendar: BusinessCalendar,
}

impl SlaSetup {
    fn of(state: &AppState, company: &Company, now: Timestamp) -> Self {
        Self {
            policy: state.settings.sla.clone(),
            tier: company.sla_tier.as_str().to_owned(),
            calendar: calendar_of(company, now),
        }
    }

    fn context(&self) -> SlaContext<'_> {
        SlaContext {
            policy: &self.policy,
            tier: &self.tier,
            calendar: &self.calendar,
        }
    }
}

impl Changing {
    fn new(case: Case, now: Timestamp) -> Self {
        Self {
            case,
            events: Vec::new(),
            outbox: Vec::new(),
            now,
            sla: None,
            by: None,
        }
    }

    /// The change is `caller`'s (the audit log names them).
    fn by(mut self, caller: &Caller) -> Self {
        self.by = Some((
            caller.user.id.clone(),
            caller.user.email.to_string(),
            caller.address.clone(),
        ));
        self
    }

    /// What the audit log keeps of this change (R26).
    fn audit_entry(&self, action: Option<&str>) -> AuditEntry {
        let kinds: Vec<&str> = self.events.iter().map(|e| e.happening.kind()).collect();
        let action = action.map(str::to_owned).unwrap_or_else(|| match kinds.first() {
            Some(kind) => format!("case.{kind}"),
            None => "case.changed".to_owned(),
        });
        AuditEntry {
            id: guichet_store::new_id(),
            at: self.now,
            actor: self.by.as_ref().map(|(id, _, _)| id.clone()),
            actor_email: self.by.as_ref().map(|(_, email, _)| email.clone()),
            address: self.by.as_ref().and_then(|(_, _, address)| address.clone()),
            action,
            subject_kind: "case".into(),
            subject_id: self.case.id.0.clone(),
            company: Some(self.case.company_id.clone()),
            case_number: (self.case.number.0 > 0).then_some(self.case.number),
            details: kinds.join(","),
        }
    }

    /// For changes that move the clocks (status, answers).
    fn with_sla(mut self, state: &AppState, company: &Company) -> Self {
        self.sla = Some(SlaSetup::of(state, company, self.now));
        self
    }

    /// An analyst's public answer leaves the case in `to`: the clocks
    /// follow (first response met, next update from now).
    fn answered(&mut self, actor: Option<&UserId>, to: CaseStatus) {
        self.move_to(actor, to);
        if let Some(sla) = &self.sla {
            self.case.clocks = self
                .case
                .clocks
                .answered(sla.context(), self.case.priority, to, self.now);
        }
    }

    fn event(&mut self, actor: Option<&UserId>, happening: Happening) {
        self.events.push(CaseEvent {
            id: guichet_store::new_id(),
            at: self.now,
            actor: actor.cloned(),
            internal: happening.is_internal(),
            happening,
        });
    }

    /// Moves the case to `to`, recording the change and its instants; the
    /// clocks pause, resume or stop with it.
    fn status(&mut self, actor: Option<&UserId>, to: CaseStatus) {
        let from = self.case.status;
        self.move_to(actor, to);
        if let Some(sla) = &self.sla
            && from != to
        {
            self.case.clocks = self
                .case
                .clocks
                .status_changed(sla.context(), self.case.priority, from, to, self.now);
        }
    }

    fn move_to(&mut self, actor: Option<&UserId>, to: CaseStatus) {
        let from = self.case.status;
        if from == to {
            return;
        }
        self.case.status = to;
        match to {
            CaseStatus::Solved => self.case.solved_at = Some(self.now),
            CaseStatus::Closed => self.case.closed_at = Some(self.now),
            _ => {
                self.case.solved_at = None;
            }
        }
        self.event(actor, Happening::StatusChanged { from, to });
    }

    fn notify(&mut self, event: &str, mut recipients: Vec<UserId>, except: Option<&UserId>) {
        recipients.retain(|r| Some(r) != except);
        recipients.sort();
        recipients.dedup();
        if recipients.is_empty() {
            return;
        }
        let payload = Notification {
            event,
            case: &self.case.id,
            recipients: &recipients,
        };
        self.outbox.push(OutboxMessage::new("notification", &payload, self.now));
    }

    /// The customer side of the case: who opened it and who is copied.
    fn customers(&self) -> Vec<UserId> {
        let mut people = vec![self.case.opened_by.clone()];
        people.extend(self.case.contacts.iter().cloned());
        people
    }

    async fn save(
        mut self,
        state: &AppState,
        escalation: Option<&EscalationRequest>,
        engagement: Option<&ExpertEngagement>,
    ) -> Result<Case, ApiError> {
        self.case.updated_at = self.now;
        let audit = [self.audit_entry(None)];
        let change = CaseChange {
            events: &self.events,
            outbox: &self.outbox,
            audit: &audit,
            escalation,
            engagement,
        };
        match state.store.change_case(&self.case, change).await {
            Ok(()) => {
                self.case.version += 1;
                Ok(self.case)
            }
            Err(StoreError::Conflict("case")) => Err(ApiError::new(
                StatusCode::CONFLICT,
                "case_changed",
                "The case changed while you were working on it: reload it and try again.",
            )),
            Err(other) => Err(other.into()),
        }
    }
}

/// What opening a case takes (R14): the guided form's fields.
#[derive(Debug, Default, Clone)]
pub struct OpenCase {
    pub product: Option<String>,
    pub area: Option<String>,
    pub environment: Option<String>,
    pub impact: Option<String>,
    pub scope: Option<String>,
    pub subject: Option<String>,
    pub description: Option<String>,
    pub steps: Option<String>,
    pub expected: Option<String>,
    /// For partner users: the company the case is for.
    pub company: Option<String>,
    /// Colleagues to copy, by email.
    pub contacts: Vec<String>,
}

/// R12–R15: opens a case for the caller, if they may, routed to the right
/// analyst, with its priority and the reasons for it.
pub async fn open(state: &AppState, caller: &Caller, request: OpenCase) -> Result<Case, ApiError> {
    let now = state.clock.now();
    // Who the case is for: a partner names one of its customers (R4).
    let implemented = if caller.company.kind == CompanyKind::Partner {
        state.store.implemented_by(&caller.company.id).await?
    } else {
        Vec::new()
    };
    let reason = contact::may_contact(&caller.user, &caller.company, &implemented, &state.policy);
    if !reason.allows_contact() {
        let detail = match reason {
            Reason::DesignatedContactRequired => {
                "Only your company's designated support users may open cases: see GET /api/v1/me/support-options."
            }
            Reason::InactiveUser => "Your account is inactive.",
            Reason::VendorStaff => "Support staff answer cases rather than open them.",
            _ => "You may not open a case.",
        };
        return Err(ApiError::forbidden(reason.code(), detail));
    }
    let company = match (&caller.company.kind, &request.company) {
        (CompanyKind::Partner, None) => return Err(required("company")),
        (CompanyKind::Partner, Some(id)) => {
            let id = CompanyId::parse(id).map_err(field("company"))?;
            if !implemented.iter().any(|c| c.id == id) {
                return Err(ApiError::invalid(
                    "company",
                    Invalid::new(
                        InvalidKind::Unknown,
                        "your partner company did not implement that company",
                    ),
                ));
            }
            state.store.company(&id).await?.ok_or_else(ApiError::not_found)?
        }
        (_, Some(id)) if *id != caller.company.id.0 => {
            return Err(ApiError::invalid(
                "company",
                Invalid::new(InvalidKind::NotAllowed, "you open cases for your own company"),
            ));
        }
        _ => caller.company.clone(),
    };

    fn text<'a>(value: &'a Option<String>, name: &'static str) -> Result<&'a str, ApiError> {
        value.as_deref().ok_or_else(|| required(name))
    }
    let product = ProductKey::parse(text(&request.product, "product")?).map_err(field("product"))?;
    let catalogue = state.caches.products(&state.store).await?;
    let Some(known) = catalogue.iter().find(|p| p.key == product) else {
        return Err(ApiError::invalid(
            "product",
            Invalid::new(
                InvalidKind::Unknown,
                format!("there is no product `{}`", product.as_str()),
            ),
        ));
    };
    if !company.subscribes_to(&product) {
        return Err(ApiError::invalid(
            "product",
            Invalid::new(
                InvalidKind::NotAllowed,
                format!("{} does not subscribe to {}", company.name.as_str(), known.name),
            ),
        ));
    }
    let area = AreaKey::parse(text(&request.area, "area")?).map_err(field("area"))?;
    if !known.areas.iter().any(|a| a.key == area) {
        return Err(ApiError::invalid(
            "area",
            Invalid::new(
                InvalidKind::Unknown,
                format!("{} has no area `{}`", known.name, area.as_str()),
            ),
        ));
    }
    let environment = Environment::parse(text(&request.environment, "environment")?).map_err(field("environment"))?;
    let impact = Impact::parse(text(&request.impact, "impact")?).map_err(field("impact"))?;
    let scope = Scope::parse(text(&request.scope, "scope")?).map_err(field("scope"))?;
    let subject = Subject::parse(request.subject.as_deref().unwrap_or("")).map_err(field("subject"))?;
    let description =
        parse_text(request.description.as_deref().unwrap_or(""), "the description").map_err(field("description"))?;
    let steps = parse_optional_text(request.steps.as_deref(), "the steps").map_err(field("steps"))?;
    let expected =
        parse_optional_text(request.expected.as_deref(), "the expected result").map_err(field("expected"))?;
    let mut contacts = Vec::new();
    for email in &request.contacts {
        let address = guichet_domain::email::EmailAddress::parse(email).map_err(field("contacts"))?;
        match state.store.user_by_email(&address).await? {
            Some(user) if user.company_id == company.id => contacts.push(user.id),
            _ => {
                return Err(ApiError::invalid(
                    "contacts",
                    Invalid::new(
                        InvalidKind::Unknown,
                        format!("{address} is not a user of {}", company.name.as_str()),
                    ),
                ));
            }
        }
    }
    contacts.retain(|id| *id != caller.user.id);
    contacts.sort();
    contacts.dedup();

    let assessment = priority::assess(&state.settings.cases.priorities, impact, scope, environment);
    let assignee = state.caches.route(&state.store, &product, &area).await?;
    let case = Case {
        id: CaseId(guichet_store::new_id()),
        number: CaseNumber(0),
        company_id: company.id.clone(),
        opened_by: caller.user.id.clone(),
        contacts,
        product,
        area,
        environment,
        impact,
        scope,
        subject,
        description,
        steps,
        expected,
        status: CaseStatus::New,
        priority: assessment.priority,
        priority_reasons: assessment.reasons,
        assignee: assignee.clone(),
        escalated: false,
        experts_involved: false,
        split_from: None,
        created_at: now,
        updated_at: now,
        first_response_at: None,
        solved_at: None,
        closed_at: None,
        last_update_request_at: None,
        clocks: CaseClocks::default(),
        version: 1,
    };
    let mut changing = Changing::new(case, now).by(caller).with_sla(state, &company);
    if let Some(sla) = &changing.sla {
        changing.case.clocks = CaseClocks::opened(sla.context(), changing.case.priority, now);
    }
    changing.event(
        Some(&caller.user.id),
        Happening::Opened {
            priority: changing.case.priority,
        },
    );
    let customers = changing.customers();
    changing.notify("case_opened", customers, None);
    if let Some(assignee) = assignee {
        changing.event(
            None,
            Happening::Assigned {
                to: Some(assignee.clone()),
            },
        );
        changing.notify("case_assigned", vec![assignee], None);
    }
    let audit = [changing.audit_entry(Some("case.opened"))];
    let Changing {
        mut case,
        events,
        outbox,
        ..
    } = changing;
    case.number = state
        .store
        .open_case(
            &case,
            CaseChange {
                events: &events,
                outbox: &outbox,
                audit: &audit,
                ..Default::default()
            },
        )
        .await?;
    Ok(case)
}

fn analysts_only() -> ApiError {
    ApiError::forbidden(
        "analysts_only",
        "Only support analysts and support managers answer cases.",
    )
}

fn customers_only() -> ApiError {
    ApiError::forbidden("customers_only", "Only the customer side of a case asks for this.")
}

/// R16: an analyst's public answer.
pub async fn answer(
    state: &AppState,
    caller: &Caller,
    number: &str,
    kind: &str,
    fields: AnswerFields<'_>,
) -> Result<Case, ApiError> {
    let (case, company) = readable(state, caller, number).await?;
    if !caller.actor.answers_cases() {
        return Err(analysts_only());
    }
    let kind = AnswerKind::parse(kind).map_err(field("kind"))?;
    let answer = Answer::parse(kind, fields).map_err(|(name, invalid)| ApiError::invalid(name, invalid))?;
    let to = case::after_answer(case.status, &answer)?;
    let mut changing = Changing::new(case, state.clock.now())
        .by(caller)
        .with_sla(state, &company);
    let me = &caller.user.id;
    changing.case.first_response_at.get_or_insert(changing.now);
    if changing.case.assignee.is_none() {
        changing.case.assignee = Some(me.clone());
        changing.event(Some(me), Happening::Assigned { to: Some(me.clone()) });
    }
    changing.event(Some(me), Happening::Answered { answer });
    changing.answered(Some(me), to);
    let customers = changing.customers();
    changing.notify("case_answered", customers, Some(me));
    changing.save(state, None, None).await
}

/// A comment: public from either side; internal notes from staff only. A
/// customer's reply resumes a case waiting on them (R16) and reopens a
/// solved one.
pub async fn comment(
    state: &AppState,
    caller: &Caller,
    number: &str,
    body: &str,
    internal: bool,
) -> Result<Case, ApiError> {
    let (case, company) = readable(state, caller, number).await?;
    let staff = caller.actor.is_vendor_staff();
    if internal && !staff {
        return Err(ApiError::forbidden(
            "staff_only",
            "Internal notes are for support staff.",
        ));
    }
    let body = parse_text(body, "the comment").map_err(field("body"))?;
    let now = state.clock.now();
    let me = &caller.user.id;
    let to = if staff {
        if case.status == CaseStatus::Closed {
            return Err(CaseError::Closed.into());
        }
        case.status
    } else {
        case::after_customer_comment(case.status, case.solved_at, now, state.settings.cases.reopen_period)?
    };
    let reopened = case.status == CaseStatus::Solved && to != CaseStatus::Solved;
    let mut changing = Changing::new(case, now).by(caller).with_sla(state, &company);
    if internal {
        changing.event(Some(me), Happening::Noted { body });
        let assignee = changing.case.assignee.clone().into_iter().collect();
        changing.notify("case_noted", assignee, Some(me));
    } else {
        changing.event(Some(me), Happening::Commented { body });
        if reopened {
            changing.event(Some(me), Happening::Reopened);
        }
        changing.status(Some(me), to);
        let recipients = if staff {
            changing.customers()
        } else {
            changing.case.assignee.clone().into_iter().collect()
        };
        changing.notify("case_commented", recipients, Some(me));
    }
    changing.save(state, None, None).await
}

/// R19: a customer asks for an update, at most once per period.
pub async fn request_update(
    state: &AppState,
    caller: &Caller,
    number: &str,
    body: Option<&str>,
) -> Result<Case, ApiError> {
    let (case, _) = readable(state, caller, number).await?;
    if caller.actor.is_vendor_staff() {
        return Err(customers_only());
    }
    if !case.status.is_open() {
        return Err(EscalationRefusal::NotOpen.into());
    }
    let body = parse_optional_text(body, "the message").map_err(field("body"))?;
    let now = state.clock.now();
    if let Err(next) = escalation::may_request_update(
        case.last_update_request_at,
        now,
        state.settings.cases.update_request_period,
    ) {
        return Err(ApiError {
            retry_at: Some(next),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "update_request_too_soon",
                format!("An update was asked for recently; the next request is possible from {next}."),
            )
        });
    }
    let mut changing = Changing::new(case, now).by(caller);
    changing.case.last_update_request_at = Some(now);
    changing.event(Some(&caller.user.id), Happening::UpdateRequested { body });
    let recipients = match &changing.case.assignee {
        Some(assignee) => vec![assignee.clone()],
        None => managers(state).await?,
    };
    changing.notify("update_requested", recipients, None);
    changing.save(state, None, None).await
}

async fn managers(state: &AppState) -> Result<Vec<UserId>, ApiError> {
    Ok(state
        .store
        .users_holding(Role::SupportManager)
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| u.id)
        .collect())
}

/// R20: a customer asks for escalation, with a reason; a support manager
/// reviews it within the review target (business time).
pub async fn request_escalation(
    state: &AppState,
    caller: &Caller,
    number: &str,
    reason: &str,
) -> Result<EscalationRequest, ApiError> {
    let (case, company) = readable(state, caller, number).await?;
    if caller.actor.is_vendor_staff() {
        return Err(customers_only());
    }
    let reason = parse_text(reason, "the reason").map_err(field("reason"))?;
    let pending = state
        .store
        .escalation_requests_of(&case.id)
        .await?
        .iter()
        .any(|r| r.status == EscalationStatus::Pending);
    escalation::may_request_escalation(case.status.is_open(), case.escalated, pending)?;
    let now = state.clock.now();
    let target = state.settings.cases.escalation_review_target;
    let request = EscalationRequest {
        id: guichet_store::new_id(),
        case_id: case.id.clone(),
        requested_by: caller.user.id.clone(),
        reason: reason.clone(),
        status: EscalationStatus::Pending,
        requested_at: now,
        review_due_at: calendar_of(&company, now).add(now, target).unwrap_or(now + target),
        reviewed_by: None,
        reviewed_at: None,
        note: None,
    };
    let mut changing = Changing::new(case, now).by(caller);
    changing.event(
        Some(&caller.user.id),
        Happening::EscalationRequested {
            request: request.id.clone(),
            reason,
        },
    );
    changing.notify("escalation_requested", managers(state).await?, None);
    changing.save(state, Some(&request), None).await?;
    Ok(request)
}

/// R20: a support manager accepts (the case is escalated, optionally
/// reassigned) or declines, with a note the customer sees.
pub async fn review_escalation(
    state: &AppState,
    caller: &Caller,
    request_id: &str,
    decision: &str,
    note: &str,
    reassign_to: Option<&str>,
) -> Result<(EscalationRequest, Case), ApiError> {
    if !caller.actor.manages_support() {
        return Err(ApiError::forbidden(
            "support_managers_only",
            "Only support managers review escalation requests.",
        ));
    }
    let id = guichet_domain::invalid::opaque_id(request_id, "escalation request").map_err(|_| ApiError::not_found())?;
    let request = state
        .store
        .escalation_request(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let decision = Decision::parse(decision).map_err(field("decision"))?;
    let note = parse_text(note, "the note").map_err(field("note"))?;
    if request.status != EscalationStatus::Pending {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_reviewed",
            "This request was already reviewed.",
        ));
    }
    let case = state
        .store
        .case_by_id(&request.case_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let reassign_to = match reassign_to.filter(|id| !id.is_empty()) {
        Some(id) => Some(staff_member(state, id, "assignee", |actor| actor.answers_cases()).await?),
        None => None,
    };
    let now = state.clock.now();
    let me = &caller.user.id;
    let reviewed = EscalationRequest {
        status: EscalationStatus::after(decision),
        reviewed_by: Some(me.clone()),
        reviewed_at: Some(now),
        note: Some(note.clone()),
        ..request
    };
    let mut changing = Changing::new(case, now).by(caller);
    changing.event(
        Some(me),
        Happening::EscalationReviewed {
            request: reviewed.id.clone(),
            decision,
            note,
        },
    );
    if decision == Decision::Accept {
        changing.case.escalated = true;
        if let Some(assignee) = reassign_to {
            changing.case.assignee = Some(assignee.clone());
            changing.event(
                Some(me),
                Happening::Assigned {
                    to: Some(assignee.clone()),
                },
            );
            changing.notify("case_assigned", vec![assignee], Some(me));
        }
    }
    let mut recipients = changing.customers();
    recipients.push(reviewed.requested_by.clone());
    recipients.extend(changing.case.assignee.clone());
    changing.notify("escalation_reviewed", recipients, Some(me));
    let case = changing.save(state, Some(&reviewed), None).await?;
    Ok((reviewed, case))
}

/// A member of the vendor's staff that `fits`, named by id; 422 otherwise.
async fn staff_member(
    state: &AppState,
    id: &str,
    name: &'static str,
    fits: impl Fn(&Actor) -> bool,
) -> Result<UserId, ApiError> {
    let id = UserId::parse(id).map_err(field(name))?;
    let user = state.store.user(&id).await?;
    let company = match &user {
        Some(user) => state.store.company(&user.company_id).await?,
        None => None,
    };
    match (user, company) {
        (Some(user), Some(company)) if user.active && fits(&Actor::new(&user, company.kind)) => Ok(user.id),
        (Some(_), Some(_)) => Err(ApiError::invalid(
            name,
            Invalid::new(InvalidKind::NotAllowed, "that person cannot take this role on the case"),
        )),
        _ => Err(ApiError::invalid(
            name,
            Invalid::new(InvalidKind::Unknown, format!("there is no user `{id}`")),
        )),
    }
}

/// R12: an analyst takes, reassigns or releases (`None`) a case.
pub async fn assign(state: &AppState, caller: &Caller, number: &str, assignee: Option<&str>) -> Result<Case, ApiError> {
    let (case, _) = readable(state, caller, number).await?;
    if !caller.actor.answers_cases() {
        return Err(analysts_only());
    }
    if case.status == CaseStatus::Closed {
        return Err(CaseError::Closed.into());
    }
    let assignee = match assignee.filter(|id| !id.is_empty()) {
        Some(id) => Some(staff_member(state, id, "assignee", |actor| actor.answers_cases()).await?),
        None => None,
    };
    let mut changing = Changing::new(case, state.clock.now()).by(caller);
    if changing.case.assignee == assignee {
        return Ok(changing.case);
    }
    let me = &caller.user.id;
    changing.case.assignee = assignee.clone();
    changing.event(Some(me), Happening::Assigned { to: assignee.clone() });
    if let Some(assignee) = assignee {
        changing.notify("case_assigned", vec![assignee], Some(me));
    }
    let case = changing.save(state, None, None).await?;
    state.caches.forget_loads().await;
    Ok(case)
}

/// R18: an analyst brings in a support coach, product management or
/// engineering with a question.
pub async fn engage_expert(
    state: &AppState,
    caller: &Caller,
    number: &str,
    expert: &str,
    question: &str,
) -> Result<ExpertEngagement, ApiError> {
    let (case, _) = readable(state, caller, number).await?;
    if !caller.actor.answers_cases() {
        return Err(analysts_only());
    }
    if case.status == CaseStatus::Closed {
        return Err(CaseError::Closed.into());
    }
    let expert = staff_member(state, expert, "expert", Actor::is_expert).await?;
    let question = parse_text(question, "the question").map_err(field("question"))?;
    let now = state.clock.now();
    let engagement = ExpertEngagement {
        id: guichet_store::new_id(),
        case_id: case.id.clone(),
        expert: expert.clone(),
        requested_by: caller.user.id.clone(),
        question: question.clone(),
        status: EngagementStatus::Open,
        created_at: now,
        updated_at: now,
    };
    let mut changing = Changing::new(case, now).by(caller);
    changing.case.experts_involved = true;
    changing.event(
        Some(&caller.user.id),
        Happening::ExpertEngaged {
            engagement: engagement.id.clone(),
            expert: expert.clone(),
            question,
        },
    );
    changing.notify("expert_engaged", vec![expert], None);
    changing.save(state, None, Some(&engagement)).await?;
    Ok(engagement)
}

/// A message in an engagement's thread: the expert's reply, or the
/// analyst's follow-up. `close` ends the engagement instead.
pub async fn engagement_message(
    state: &AppState,
    caller: &Caller,
    engagement_id: &str,
    body: Option<&str>,
    close: bool,
) -> Result<ExpertEngagement, ApiError> {
    let id = guichet_domain::invalid::opaque_id(engagement_id, "engagement").map_err(|_| ApiError::not_found())?;
    let engagement = state.store.engagement(&id).await?.ok_or_else(ApiError::not_found)?;
    if !caller.actor.is_vendor_staff() {
        return Err(ApiError::not_found());
    }
    let from_expert = caller.user.id == engagement.expert;
    if !from_expert && !caller.actor.answers_cases() {
        return Err(analysts_only());
    }
    let case = state
        .store
        .case_by_id(&engagement.case_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let now = state.clock.now();
    let me = &caller.user.id;
    let mut changing = Changing::new(case, now).by(caller);
    let status = if close {
        if engagement.status == EngagementStatus::Closed {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "engagement_closed",
                "This engagement is already closed.",
            ));
        }
        changing.event(
            Some(me),
            Happening::ExpertEngagementClosed {
                engagement: engagement.id.clone(),
            },
        );
        EngagementStatus::Closed
    } else {
        let body = parse_text(body.unwrap_or(""), "the message").map_err(field("body"))?;
        let status = expert::after_message(engagement.status, from_expert)
            .map_err(|e| ApiError::new(StatusCode::CONFLICT, "engagement_closed", e.to_string()))?;
        changing.event(
            Some(me),
            Happening::ExpertReplied {
                engagement: engagement.id.clone(),
                body,
            },
        );
        let recipient = if from_expert {
            engagement.requested_by.clone()
        } else {
            engagement.expert.clone()
        };
        changing.notify("expert_message", vec![recipient], Some(me));
        status
    };
    let engagement = ExpertEngagement {
        status,
        updated_at: now,
        ..engagement
    };
    changing.save(state, None, Some(&engagement)).await?;
    Ok(engagement)
}

/// R13: an analyst splits an unrelated problem into a new case, which keeps
/// the company, contacts and the chosen comments; each links to the other.
pub(crate) async fn split(
    state: &AppState,
    caller: &Caller,
    number: &str,
    subject: &str,
    description: Option<&str>,
    comments: &[String],
) -> Result<Case, ApiError> {
    let (original, company) = readable(state, caller, number).await?;
    if !caller.actor.answers_cases() {
        return Err(analysts_only());
    }
    let subject = Subject::parse(subject).map_err(field("subject"))?;
    let description = match description {
        Some(text) if !text.trim().is_empty() => parse_text(text, "the description").map_err(field("description"))?,
        _ => original.description.clone(),
    };
    let timeline = state.store.case_events(&original.id, true).await?;
    let mut copied = Vec::new();
    for id in comments {
        let event = timeline.iter().find(|e| e.id == *id).ok_or_else(|| {
            ApiError::invalid(
                "comments",
                Invalid::new(InvalidKind::Unknown, format!("the case has no comment `{id}`")),
            )
        })?;
        if !matches!(event.happening, Happening::Commented { .. } | Happening::Noted { .. }) {
            return Err(ApiError::invalid(
                "comments",
                Invalid::new(InvalidKind::NotAllowed, format!("`{id}` is not a comment")),
            ));
        }
        copied.push(event.clone());
    }
    let now = state.clock.now();
    let me = &caller.user.id;
    let new_case = Case {
        id: CaseId(guichet_store::new_id()),
        number: CaseNumber(0),
        subject,
        description,
        steps: None,
        expected: None,
        status: CaseStatus::New,
        escalated: false,
        experts_involved: false,
        split_from: Some(original.number),
        created_at: now,
        updated_at: now,
        first_response_at: None,
        solved_at: None,
        closed_at: None,
        last_update_request_at: None,
        version: 1,
        ..original.clone()
    };
    let mut opening = Changing::new(new_case, now).by(caller).with_sla(state, &company);
    if let Some(sla) = &opening.sla {
        opening.case.clocks = CaseClocks::opened(sla.context(), opening.case.priority, now);
    }
    opening.event(
        Some(me),
        Happening::SplitFrom {
            number: original.number,
        },
    );
    for event in copied {
        opening.events.push(CaseEvent {
            id: guichet_store::new_id(),
            ..event
        });
    }
    let customers = opening.customers();
    opening.notify("case_split", customers, Some(me));
    let audit = [opening.audit_entry(Some("case.opened"))];
    let Changing {
        case: mut new_case,
        events,
        outbox,
        ..
    } = opening;
    new_case.number = state
        .store
        .open_case(
            &new_case,
            CaseChange {
                events: &events,
                outbox: &outbox,
                audit: &audit,
                ..Default::default()
            },
        )
        .await?;

    let mut changing = Changing::new(original, now).by(caller);
    changing.event(
        Some(me),
        Happening::SplitInto {
            number: new_case.number,
        },
    );
    changing.save(state, None, None).await?;
    Ok(new_case)
}

/// The customer accepts the proposed solution (the case closes) or
/// reopens the case within the reopen period.
pub async fn settle(state: &AppState, caller: &Caller, number: &str, accept: bool) -> Result<Case, ApiError> {
    let (case, company) = readable(state, caller, number).await?;
    if caller.actor.is_vendor_staff() {
        return Err(customers_only());
    }
    let now = state.clock.now();
    let me = &caller.user.id;
    let to = if accept {
        case::accept_solution(case.status)?
    } else {
        case::reopen(case.status, case.solved_at, now, state.settings.cases.reopen_period)?
    };
    let mut changing = Changing::new(case, now).by(caller).with_sla(state, &company);
    changing.event(
        Some(me),
        if accept {
            Happening::SolutionAccepted
        } else {
            Happening::Reopened
        },
    );
    changing.status(Some(me), to);
    let assignee = changing.case.assignee.clone().into_iter().collect();
    changing.notify(
        if accept { "solution_accepted" } else { "case_reopened" },
        assignee,
        Some(me),
    );
    changing.save(state, None, None).await
}

/// Closes the solved cases whose reopen period has passed; returns how
/// many. Run by the housekeeping worker.
pub async fn close_solved_cases(state: &AppState) -> Result<usize, ApiError> {
    let now = state.clock.now();
    let period = state.settings.cases.reopen_period;
    let mut closed = 0;
    for number in state.store.solved_before(now - period, 200).await? {
        let Some(case) = state.store.case_by_number(number).await? else {
            continue;
        };
        if !case::closes_automatically(case.status, case.solved_at, now, period) {
            continue;
        }
        let mut changing = Changing::new(case, now);
        changing.event(None, Happening::ClosedAutomatically);
        changing.status(None, CaseStatus::Closed);
        let customers = changing.customers();
        changing.notify("case_closed", customers, None);
        match changing.save(state, None, None).await {
            Ok(_) => closed += 1,
            // Someone acted on it meanwhile: it is theirs now.
            Err(error) if error.code == "case_changed" => {}
            Err(error) => return Err(error),
        }
    }
    Ok(closed)
}

/// R15/R21: raises the clock alarms that are due — warnings at 75 %,
/// breaches at 100 % — on the case timeline, with notifications to the
/// assignee and the support managers; a P1 or P2 breach escalates the case.
/// Finds its work through an index, and never raises an alarm twice: the
/// clocks remember what they raised, in the same write as the events.
/// Returns how many alarms it raised. Run by the housekeeping worker.
pub async fn watch_clocks(state: &AppState) -> Result<usize, ApiError> {
    let now = state.clock.now();
    let mut raised = 0;
    for number in state.store.cases_with_alarms(now, 500).await? {
        let Some(case) = state.store.case_by_number(number).await? else {
            continue;
        };
        let mut changing = Changing::new(case, now);
        let alarms = changing.case.clocks.raise_alarms(now);
        let mut staff: Vec<UserId> = changing.case.assignee.clone().into_iter().collect();
        if !alarms.is_empty() {
            staff.extend(managers(state).await?);
        }
        for (clock, alarm) in &alarms {
            changing.event(
                None,
                Happening::SlaAlarm {
                    clock: *clock,
                    alarm: *alarm,
                },
            );
            let event = match alarm {
                Alarm::Warning => "sla_warning",
                Alarm::Breach => "sla_breach",
            };
            changing.notify(event, staff.clone(), None);
            let urgent = matches!(changing.case.priority, Priority::P1 | Priority::P2);
            if *alarm == Alarm::Breach && urgent && !changing.case.escalated {
                changing.case.escalated = true;
                changing.event(None, Happening::EscalatedAutomatically { clock: *clock });
                changing.notify("case_escalated", managers(state).await?, None);
            }
        }
        match changing.save(state, None, None).await {
            Ok(_) => raised += alarms.len(),
            // Someone changed the case meanwhile; the next round sees it again.
            Err(error) if error.code == "case_changed" => {}
            Err(error) => return Err(error),
        }
    }
    Ok(raised)
}

/// R21: a company's contract or calendar changed: the open clocks of its
/// cases take the new targets and calendar, keeping the time counted.
pub(crate) async fn retarget_company_cases(
    state: &AppState,
    before: &Company,
    after: &Company,
) -> Result<usize, ApiError> {
    let now = state.clock.now();
    let old_calendar = calendar_of(before, now);
    let setup = SlaSetup::of(state, after, now);
    let mut filter = CaseFilter::new(CaseScope::Company(after.id.clone()));
    filter.open_only = true;
    filter.limit = 500;
    let mut changed = 0;
    loop {
        let page = state.store.cases(&filter).await?;
        let Some(last) = page.last().map(|case| case.number) else {
            break;
        };
        for case in page {
            let mut changing = Changing::new(case, now);
            changing.case.clocks =
                changing
                    .case
                    .clocks
                    .retargeted(&old_calendar, setup.context(), changing.case.priority, now);
            changing.save(state, None, None).await?;
            changed += 1;
        }
        filter.before = Some(last);
    }
    Ok(changed)
}

/// R24: a status-page happening on a case (linked to an incident, the
/// incident's resolution), on its timeline and told to its customers.
pub(crate) async fn post_status_happening(
    state: &AppState,
    id: &CaseId,
    actor: Option<&UserId>,
    happening: Happening,
) -> Result<(), ApiError> {
    // A change made meanwhile is read again; a case gone has nothing to hear.
    for _ in 0..3 {
        let Some(case) = state.store.case_by_id(id).await? else {
            return Ok(());
        };
        let mut changing = Changing::new(case, state.clock.now());
        changing.event(actor, happening.clone());
        let customers = changing.customers();
        changing.notify("case_incident", customers, actor);
        match changing.save(state, None, None).await {
            Err(error) if error.code == "case_changed" => continue,
            other => return other.map(|_| ()),
        }
    }
    Ok(())
}

/// R26: vendor staff opened a customer's case; the customer's audit log
/// shows it.
pub(crate) async fn record_view(state: &AppState, caller: &Caller, case: &Case) -> Result<(), ApiError> {
    if !caller.actor.is_vendor_staff() {
        return Ok(());
    }
    let mut viewing = Changing::new(case.clone(), state.clock.now()).by(caller);
    viewing.events.clear();
    state
        .store
        .append_audit(&[viewing.audit_entry(Some("case.viewed"))])
        .await?;
    Ok(())
}

/// Appends what an administrator or Guichet did to a company or a user.
pub(crate) async fn record(
    state: &AppState,
    caller: &Caller,
    action: &str,
    subject: (&str, &str),
    company: Option<&CompanyId>,
    details: String,
) -> Result<(), ApiError> {
    let entry = AuditEntry {
        id: guichet_store::new_id(),
        at: state.clock.now(),
        actor: Some(caller.user.id.clone()),
        actor_email: Some(caller.user.email.to_string()),
        address: caller.address.clone(),
        action: action.to_owned(),
        subject_kind: subject.0.to_owned(),
        subject_id: subject.1.to_owned(),
        company: company.cloned(),
        case_number: None,
        details,
    };
    state.store.append_audit(&[entry]).await?;
    Ok(())
}

/// A page of the cases the caller may see.
pub(crate) async fn list(state: &AppState, caller: &Caller, mut filter: CaseFilter) -> Result<Vec<Case>, ApiError> {
    filter.scope = scope_of(&caller.actor);
    Ok(state.store.cases(&filter).await?)
}
