//! The portal's case pages (R11–R20): "Log a case" in two guided steps, the
//! list of cases, the case page with its timeline and the forms that apply
//! to the reader, the analysts' queue and the managers' escalation review.
//!
//! Every decision is `crate::cases`'s: a handler parses the form, calls it,
//! and shows the answer. An `ApiError` becomes the page again with the
//! message in the reader's words, or an error page.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use guichet_domain::case::{Answer, AnswerFields, Case, CaseEvent, CaseNumber, CaseStatus, Happening};
use guichet_domain::company::{CompanyId, CompanyKind};
use guichet_domain::contact::{Reason, SupportOptions};
use guichet_domain::escalation::{self, EscalationRefusal, EscalationStatus};
use guichet_domain::priority::{self, Environment, Impact, Scope};
use guichet_domain::product::{AreaKey, Product, ProductKey};
use guichet_domain::user::{Language, Role};
use guichet_store::{CaseFilter, CaseScope};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Deserialize;
use tower_sessions::Session;

use super::{Chrome, csrf_valid, error_page, language, page_error, render};
use crate::AppState;
use crate::api::cases::{CaseView, People, case_view, queue_cases, review_queue, timeline};
use crate::auth::{Caller, MaybeCaller};
use crate::cases::{self, OpenCase};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::{support, text};

// ---------------------------------------------------------------------------
// Who is reading

/// What every case handler starts from: the session, the caller if signed
/// in, and the language of the page.
pub(super) struct Visit {
    session: Session,
    caller: Option<Caller>,
    language: Language,
}

impl FromRequestParts<AppState> for Visit {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let MaybeCaller(caller) = MaybeCaller::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let language = language(
            caller.as_ref(),
            &CookieJar::from_headers(&parts.headers),
            &parts.headers,
        );
        Ok(Self {
            session,
            caller,
            language,
        })
    }
}

impl Visit {
    pub(super) fn language(&self) -> Language {
        self.language
    }

    pub(super) fn session(&self) -> &Session {
        &self.session
    }

    /// The signed-in author of a form that carries the session's token;
    /// signed-out authors go to the sign-in page, coming back to `back`.
    pub(super) async fn form(self, csrf: &str, back: &str) -> Result<Reader, Response> {
        let Some(caller) = self.caller else {
            return Err(sign_in_first(back));
        };
        if !csrf_valid(&self.session, csrf).await {
            return Err(page_error(StatusCode::FORBIDDEN, self.language, "error-csrf"));
        }
        Ok(Reader {
            session: self.session,
            caller,
            language: self.language,
        })
    }
}

fn sign_in_first(back: &str) -> Response {
    Redirect::to(&format!("/login?next={back}")).into_response()
}

/// A signed-in reader of case pages; signed-out readers are sent to the
/// sign-in page, coming back here.
pub(super) struct Reader {
    session: Session,
    pub(super) caller: Caller,
    language: Language,
}

impl FromRequestParts<AppState> for Reader {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let visit = Visit::from_request_parts(parts, state).await?;
        match visit.caller {
            Some(caller) => Ok(Self {
                session: visit.session,
                caller,
                language: visit.language,
            }),
            None => Err(sign_in_first(parts.uri.path())),
        }
    }
}

impl Reader {
    pub(super) fn language(&self) -> Language {
        self.language
    }

    pub(super) fn tr(&self) -> Tr {
        Tr::new(self.language)
    }

    /// Times are shown in the reader's company's time zone.
    pub(super) fn zone(&self) -> TimeZone {
        self.caller.company.time_zone.time_zone()
    }

    pub(super) async fn chrome(&self, path: &str, current: &'static str) -> Result<Chrome, Response> {
        Chrome::new(&self.session, Some(&self.caller), self.language, path, current).await
    }
}

/// An error of `crate::cases` that is not about a form: a page of its own.
pub(super) fn failure_page(chrome: Chrome, error: &ApiError) -> Response {
    let message = match error.status {
        StatusCode::NOT_FOUND => chrome.tr.t("error-not-found"),
        status if status.is_server_error() => chrome.tr.t("error-internal"),
        _ => error_message(&chrome.tr, error, None),
    };
    error_page(chrome, error.status, message)
}

/// The codes `crate::cases` answers with that have their own words
/// (`case-error-<code>`); other errors are worded by their field.
const ERROR_CODES: &[&str] = &[
    "case_closed",
    "case_not_solved",
    "reopen_period_over",
    "case_changed",
    "already_escalated",
    "escalation_pending",
    "case_not_open",
    "already_reviewed",
    "analysts_only",
    "customers_only",
    "staff_only",
    "support_managers_only",
    "designated_contact_required",
    "inactive_user",
    "vendor_staff",
    "partner_without_customers",
];

/// The fields `crate::cases` names in a 422, each worded
/// `case-invalid-<field>`.
const ERROR_FIELDS: &[&str] = &[
    "company",
    "product",
    "area",
    "environment",
    "impact",
    "scope",
    "subject",
    "description",
    "steps",
    "expected",
    "contacts",
    "kind",
    "done",
    "next",
    "body",
    "articles",
    "reason",
    "decision",
    "note",
    "assignee",
];

/// An error of `crate::cases` in the reader's words.
fn error_message(tr: &Tr, error: &ApiError, zone: Option<&TimeZone>) -> String {
    if let (Some(at), Some(zone)) = (error.retry_at, zone) {
        // R19: when asking for an update becomes possible again.
        return tr.t1("case-error-update-too-soon", "at", Moment::new(at, zone).text);
    }
    if ERROR_CODES.contains(&error.code.as_ref()) {
        return tr.t(&format!("case-error-{}", error.code));
    }
    match error.field.as_deref() {
        Some(field) if ERROR_FIELDS.contains(&field) => tr.t(&format!("case-invalid-{field}")),
        _ => tr.t("case-error-other"),
    }
}

/// An instant as the reader reads it, in their company's time zone
/// (`2026-11-29 14:05`), with the exact instant for `<time datetime>`.
pub(super) struct Moment {
    pub(super) text: String,
    pub(super) iso: String,
}

impl Moment {
    pub(super) fn new(at: Timestamp, zone: &TimeZone) -> Self {
        Self {
            text: zone.to_datetime(at).strftime("%Y-%m-%d %H:%M").to_string(),
            iso: at.to_string(),
        }
    }

    /// An instant as a view wrote it (RFC 3339).
    fn parse(written: &str, zone: &TimeZone) -> Option<Self> {
        written.parse().ok().map(|at| Self::new(at, zone))
    }
}

// ---------------------------------------------------------------------------
// Domain values in words

fn status_words(tr: &Tr, status: CaseStatus) -> String {
    tr.t(match status {
        CaseStatus::New => "case-status-new",
        CaseStatus::InProgress => "case-status-in_progress",
        CaseStatus::WaitingOnCustomer => "case-status-waiting_on_customer",
        CaseStatus::WorkaroundProvided => "case-status-workaround_provided",
        CaseStatus::Solved => "case-status-solved",
        CaseStatus::Closed => "case-status-closed",
    })
}

fn answer_words(tr: &Tr, answer: &Answer) -> String {
    tr.t(match answer {
        Answer::Update { .. } => "case-answer-update",
        Answer::DocReferral { .. } => "case-answer-doc_referral",
        Answer::Workaround { .. } => "case-answer-workaround",
        Answer::NeedInfo { .. } => "case-answer-need_info",
        Answer::Recreating { .. } => "case-answer-recreating",
        Answer::Solution { .. } => "case-answer-solution",
    })
}

// The impact's words are those `text::priority_reasons` uses; scope and
// environment have their own labels (the reasons' words fit in sentences).
fn impact_words(tr: &Tr, impact: Impact) -> String {
    tr.t(&format!("impact-{}", impact.as_str()))
}

fn scope_label(tr: &Tr, scope: Scope) -> String {
    tr.t(&format!("case-scope-{}", scope.as_str()))
}

fn environment_label(tr: &Tr, environment: Environment) -> String {
    tr.t(&format!("case-environment-{}", environment.as_str()))
}

/// "Financials — General ledger", from the catalogue (keys if it has no
/// such product or area).
fn product_area_words(catalogue: &[Product], product: &str, area: &str) -> String {
    let known = catalogue.iter().find(|p| p.key.as_str() == product);
    let product_name = known.map_or(product, |p| p.name.as_str());
    let area_name = known
        .and_then(|p| p.areas.iter().find(|a| a.key.as_str() == area))
        .map_or(area, |a| a.name.as_str());
    format!("{product_name} — {area_name}")
}

/// Names of companies, each looked up once.
struct CompanyNames<'a> {
    state: &'a AppState,
    known: HashMap<CompanyId, String>,
}

impl<'a> CompanyNames<'a> {
    fn new(state: &'a AppState) -> Self {
        Self {
            state,
            known: HashMap::new(),
        }
    }

    async fn get(&mut self, id: &CompanyId) -> Result<String, ApiError> {
        if let Some(name) = self.known.get(id) {
            return Ok(name.clone());
        }
        let name = match self.state.store.company(id).await? {
            Some(company) => company.name.as_str().to_owned(),
            None => id.0.clone(),
        };
        self.known.insert(id.clone(), name.clone());
        Ok(name)
    }
}

// ---------------------------------------------------------------------------
// Log a case: two guided steps (R11–R15)

/// The wizard's fields, as typed; each step carries the other's as hidden
/// fields so nothing typed is lost going back and forth.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CaseForm {
    csrf: String,
    /// `describe` when step 2 is sent; anything else is step 1.
    step: String,
    /// Set by step 2's "change" button: back to step 1.
    back: String,
    /// For partner users: the company the case is for.
    company: String,
    /// `product/area`.
    product_area: String,
    environment: String,
    impact: String,
    scope: String,
    subject: String,
    description: String,
    steps: String,
    expected: String,
    /// R24: the active incident the reader says the case is about.
    incident: String,
}

impl CaseForm {
    fn product_and_area(&self) -> (&str, &str) {
        self.product_area.split_once('/').unwrap_or((&self.product_area, ""))
    }

    fn open_case(&self) -> OpenCase {
        let (product, area) = self.product_and_area();
        OpenCase {
            product: Some(product.to_owned()),
            area: Some(area.to_owned()),
            environment: Some(self.environment.clone()),
            impact: Some(self.impact.clone()),
            scope: Some(self.scope.clone()),
            subject: Some(self.subject.clone()),
            description: Some(self.description.clone()),
            steps: Some(self.steps.clone()),
            expected: Some(self.expected.clone()),
            company: (!self.company.is_empty()).then(|| self.company.clone()),
            contacts: Vec::new(),
        }
    }
}

/// The fields of step 1; an error about any other sends the reader to
/// step 2.
const STEP_ONE_FIELDS: &[&str] = &["company", "product", "area", "environment", "impact", "scope"];

/// A radio button or an option, with its one-line explanation.
struct Choice {
    value: String,
    label: String,
    hint: String,
    selected: bool,
}

/// A product's areas, as an `<optgroup>`.
struct ProductChoices {
    name: String,
    areas: Vec<Choice>,
}

/// A message next to the field it is about.
struct FieldError {
    field: String,
    message: String,
}

/// A line of step 2's summary of step 1.
struct Fact {
    label: String,
    value: String,
}

#[derive(Template)]
#[template(path = "case_new.html")]
struct NewCasePage {
    chrome: Chrome,
    form: CaseForm,
    /// 1 or 2.
    step: u8,
    /// Partner users choose the company; empty for everyone else.
    companies: Vec<Choice>,
    products: Vec<ProductChoices>,
    environments: Vec<Choice>,
    impacts: Vec<Choice>,
    scopes: Vec<Choice>,
    /// Step 2: the priority the case will have, and why (display only:
    /// `cases::open` assesses it again).
    priority: String,
    priority_reasons: Vec<String>,
    summary: Vec<Fact>,
    error: Option<FieldError>,
    /// R24, step 2: the chosen product's active incidents and maintenance.
    known_issues: Option<super::status::KnownIssuesBlock>,
}

impl NewCasePage {
    /// Whether the error is about `field` (for `aria-invalid`).
    fn invalid(&self, field: &str) -> bool {
        self.error.as_ref().is_some_and(|e| {
            e.field == field || (field == "product_area" && (e.field == "product" || e.field == "area"))
        })
    }
}

#[derive(Template)]
#[template(path = "case_refused.html")]
struct RefusedPage {
    chrome: Chrome,
    explanation: String,
    options: SupportOptions,
    refused_for_designation: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Choose,
    Describe,
}

pub(super) async fn new_case(State(state): State<AppState>, reader: Reader) -> Result<Response, Response> {
    wizard(&state, &reader, Step::Choose, CaseForm::default(), None).await
}

pub(super) async fn new_case_step(
    State(state): State<AppState>,
    visit: Visit,
    Form(form): Form<CaseForm>,
) -> Result<Response, Response> {
    let reader = visit.form(&form.csrf, "/cases/new").await?;
    if !form.back.is_empty() {
        return wizard(&state, &reader, Step::Choose, form, None).await;
    }
    if form.step != "describe" {
        return wizard(&state, &reader, Step::Describe, form, None).await;
    }
    let error = match cases::open(&state, &reader.caller, form.open_case()).await {
        Ok(case) => {
            if !form.incident.is_empty() {
                // R24: the case is about a known incident; a link refused
                // (resolved meanwhile) leaves the case as it is.
                let number = case.number.to_string();
                if let Err(error) = crate::status::link_case(&state, &reader.caller, &form.incident, &number).await {
                    tracing::warn!(code = %error.code, "linking a new case to an incident");
                }
            }
            return Ok(Redirect::to(&format!("/cases/{}", case.number)).into_response());
        }
        Err(error) => error,
    };
    match (error.status, error.field.as_deref()) {
        (StatusCode::UNPROCESSABLE_ENTITY | StatusCode::NOT_FOUND, Some(field)) => {
            let step = if STEP_ONE_FIELDS.contains(&field) {
                Step::Choose
            } else {
                Step::Describe
            };
            let error = FieldError {
                field: field.to_owned(),
                message: error_message(&reader.tr(), &error, None),
            };
            wizard(&state, &reader, step, form, Some(error)).await
        }
        // Refused (403): the wizard shows who to go through instead.
        (StatusCode::FORBIDDEN, _) => wizard(&state, &reader, Step::Choose, form, None).await,
        _ => Err(failure_page(reader.chrome("/cases/new", "case-new").await?, &error)),
    }
}

/// The wizard at `step`, or who to go through when the reader may not open
/// cases (R3, R4).
async fn wizard(
    state: &AppState,
    reader: &Reader,
    step: Step,
    form: CaseForm,
    error: Option<FieldError>,
) -> Result<Response, Response> {
    let chrome = reader.chrome("/cases/new", "case-new").await?;
    let tr = chrome.tr;
    let options = match support::support_options(state, &reader.caller).await {
        Ok(options) => options,
        Err(error) => return Err(failure_page(chrome, &error.into())),
    };
    if !options.may_open_case {
        let page = RefusedPage {
            explanation: support::explain(&tr, &options),
            refused_for_designation: options.reason == Reason::DesignatedContactRequired,
            options,
            chrome,
        };
        return Ok(render(&page, StatusCode::FORBIDDEN));
    }
    let catalogue = match state.store.products().await {
        Ok(catalogue) => catalogue,
        Err(error) => return Err(failure_page(chrome, &error.into())),
    };
    // What the companies the reader opens cases for subscribe to.
    let mut subscribed: Vec<ProductKey> = Vec::new();
    for company in &options.open_for {
        match state.store.company(&company.id).await {
            Ok(Some(company)) => subscribed.extend(company.products),
            Ok(None) => {}
            Err(error) => return Err(failure_page(chrome, &error.into())),
        }
    }

    // Step 2 needs step 1's choices, parsed; a missing one sends the
    // reader back to it.
    let mut step = step;
    let mut error = error;
    let mut assessed = None;
    if step == Step::Describe && error.is_none() {
        let (product, area) = form.product_and_area();
        let parsed = (|| {
            ProductKey::parse(product).map_err(|_| "product")?;
            AreaKey::parse(area).map_err(|_| "area")?;
            let environment = Environment::parse(&form.environment).map_err(|_| "environment")?;
            let impact = Impact::parse(&form.impact).map_err(|_| "impact")?;
            let scope = Scope::parse(&form.scope).map_err(|_| "scope")?;
            Ok::<_, &'static str>((environment, impact, scope))
        })();
        match parsed {
            Ok((environment, impact, scope)) => assessed = Some((environment, impact, scope)),
            Err(field) => {
                step = Step::Choose;
                error = Some(FieldError {
                    field: field.to_owned(),
                    message: tr.t(&format!("case-invalid-{field}")),
                });
            }
        }
    }

    let (priority, priority_reasons, summary) = match assessed {
        Some((environment, impact, scope)) if step == Step::Describe => {
            let assessment = priority::assess(&state.settings.cases.priorities, impact, scope, environment);
            let (product, area) = form.product_and_area();
            let mut summary = Vec::new();
            if let Some(company) = options.open_for.iter().find(|c| c.id.0 == form.company)
                && options.reason == Reason::PartnerUser
            {
                summary.push(Fact {
                    label: tr.t("case-field-company"),
                    value: company.name.clone(),
                });
            }
            summary.extend([
                Fact {
                    label: tr.t("case-field-product"),
                    value: product_area_words(&catalogue, product, area),
                },
                Fact {
                    label: tr.t("case-field-environment"),
                    value: environment_label(&tr, environment),
                },
                Fact {
                    label: tr.t("case-field-impact"),
                    value: impact_words(&tr, impact),
                },
                Fact {
                    label: tr.t("case-field-scope"),
                    value: scope_label(&tr, scope),
                },
            ]);
            (
                assessment.priority.as_str().to_owned(),
                text::priority_reasons(&tr, &assessment.reasons),
                summary,
            )
        }
        _ => (String::new(), Vec::new(), Vec::new()),
    };

    let companies = if options.reason == Reason::PartnerUser {
        options
            .open_for
            .iter()
            .map(|company| Choice {
                value: company.id.0.clone(),
                label: company.name.clone(),
                hint: String::new(),
                selected: company.id.0 == form.company,
            })
            .collect()
    } else {
        Vec::new()
    };
    let products = catalogue
        .iter()
        .filter(|product| subscribed.contains(&product.key))
        .map(|product| ProductChoices {
            name: product.name.clone(),
            areas: product
                .areas
                .iter()
                .map(|area| {
                    let value = format!("{}/{}", product.key.as_str(), area.key.as_str());
                    Choice {
                        selected: value == form.product_area,
                        label: format!("{} — {}", product.name, area.name),
                        value,
                        hint: String::new(),
                    }
                })
                .collect(),
        })
        .collect();
    let choice = |value: &str, label: String, hint: String, chosen: &str| Choice {
        selected: value == chosen,
        value: value.to_owned(),
        label,
        hint,
    };
    let environments = Environment::ALL
        .iter()
        .map(|e| {
            choice(
                e.as_str(),
                environment_label(&tr, *e),
                tr.t(&format!("case-environment-{}-hint", e.as_str())),
                &form.environment,
            )
        })
        .collect();
    let impacts = Impact::ALL
        .iter()
        .map(|i| {
            choice(
                i.as_str(),
                impact_words(&tr, *i),
                tr.t(&format!("case-impact-{}-hint", i.as_str())),
                &form.impact,
            )
        })
        .collect();
    let scopes = Scope::ALL
        .iter()
        .map(|s| {
            choice(
                s.as_str(),
                scope_label(&tr, *s),
                tr.t(&format!("case-scope-{}-hint", s.as_str())),
                &form.scope,
            )
        })
        .collect();
    // R24: what is already known about the chosen product.
    let known_issues = match catalogue.iter().find(|p| p.key.as_str() == form.product_and_area().0) {
        Some(product) if step == Step::Describe => {
            super::status::known_issues_block(state, &tr, &reader.zone(), product).await
        }
        _ => None,
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = NewCasePage {
        chrome,
        form,
        step: if step == Step::Choose { 1 } else { 2 },
        companies,
        products,
        environments,
        impacts,
        scopes,
        priority,
        priority_reasons,
        summary,
        error,
        known_issues,
    };
    Ok(render(&page, status))
}

// ---------------------------------------------------------------------------
// The list of cases

/// A case in a list.
struct CaseRow {
    number: String,
    subject: String,
    status: String,
    status_code: &'static str,
    priority: &'static str,
    updated: Moment,
    company: String,
    escalated: bool,
    assignee: Option<String>,
    /// The reader may take it (the queue).
    takeable: bool,
    /// The nearest due instant of a running SLA clock.
    due: Option<Moment>,
    /// `breached`, `warned` or empty, with its words.
    alarm: &'static str,
    alarm_words: String,
}

/// Where a case's clocks stand at `now`: breached, warned or neither.
fn sla_alarm(case: &Case, now: jiff::Timestamp) -> &'static str {
    let clocks = [case.clocks.first_response, case.clocks.next_update];
    let running = clocks.iter().flatten().filter(|c| c.state.due_at().is_some());
    let mut alarm = "";
    for clock in running {
        if clock.breached || clock.state.due_at().is_some_and(|due| due < now) {
            return "breached";
        }
        if clock.warned || clock.state.warning_at().is_some_and(|at| at <= now) {
            alarm = "warned";
        }
    }
    alarm
}

async fn case_rows(
    state: &AppState,
    reader: &Reader,
    found: &[Case],
    with_people: bool,
) -> Result<Vec<CaseRow>, ApiError> {
    let tr = reader.tr();
    let zone = reader.zone();
    let mut companies = CompanyNames::new(state);
    let mut people = People::new(state);
    let mut rows = Vec::with_capacity(found.len());
    for case in found {
        let assignee = match (&case.assignee, with_people) {
            (Some(id), true) => people.get(id).await?.map(|p| p.name),
            _ => None,
        };
        rows.push(CaseRow {
            number: case.number.to_string(),
            subject: case.subject.as_str().to_owned(),
            status: status_words(&tr, case.status),
            status_code: case.status.as_str(),
            priority: case.priority.as_str(),
            updated: Moment::new(case.updated_at, &zone),
            company: companies.get(&case.company_id).await?,
            escalated: case.escalated,
            takeable: case.assignee.as_ref() != Some(&reader.caller.user.id),
            assignee,
            due: case.clocks.next_due().map(|at| Moment::new(at, &zone)),
            alarm: sla_alarm(case, state.clock.now()),
            alarm_words: match sla_alarm(case, state.clock.now()) {
                "breached" => tr.t("sla-breached"),
                "warned" => tr.t("sla-warned"),
                _ => String::new(),
            },
        });
    }
    Ok(rows)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ListQuery {
    /// `open`, a status, or empty/`all`.
    status: String,
    /// The number the next page starts below (`CaseFilter::before`).
    cursor: String,
}

const PAGE_SIZE: i64 = 25;

#[derive(Template)]
#[template(path = "case_list.html")]
struct ListPage {
    chrome: Chrome,
    title: String,
    intro: String,
    zone: String,
    filters: Vec<Choice>,
    status: String,
    rows: Vec<CaseRow>,
    with_company: bool,
    first_page: bool,
    next_cursor: Option<String>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    reader: Reader,
    Query(query): Query<ListQuery>,
) -> Result<Response, Response> {
    let tr = reader.tr();
    let mut filter = CaseFilter::new(CaseScope::All);
    let status = match query.status.as_str() {
        "" | "all" => "all".to_owned(),
        "open" => {
            filter.open_only = true;
            "open".to_owned()
        }
        other => match CaseStatus::parse(other) {
            Ok(status) => {
                filter.status = Some(status);
                status.as_str().to_owned()
            }
            Err(_) => {
                let chrome = reader.chrome("/cases", "cases").await?;
                return Err(error_page(
                    chrome,
                    StatusCode::BAD_REQUEST,
                    tr.t("case-list-bad-filter"),
                ));
            }
        },
    };
    if !query.cursor.is_empty() {
        match CaseNumber::parse(&query.cursor) {
            Ok(number) => filter.before = Some(number),
            Err(_) => {
                let chrome = reader.chrome("/cases", "cases").await?;
                return Err(error_page(
                    chrome,
                    StatusCode::BAD_REQUEST,
                    tr.t("case-list-bad-filter"),
                ));
            }
        }
    }
    // The language switch comes back to the same page (values parsed above).
    let path = match filter.before {
        Some(before) => format!("/cases?status={status}&cursor={before}"),
        None if status == "all" => "/cases".to_owned(),
        None => format!("/cases?status={status}"),
    };
    let chrome = reader.chrome(&path, "cases").await?;
    filter.limit = PAGE_SIZE + 1;
    let first_page = filter.before.is_none();
    let listed = async {
        let mut found = cases::list(&state, &reader.caller, filter).await?;
        let next_cursor = if found.len() as i64 > PAGE_SIZE {
            found.truncate(PAGE_SIZE as usize);
            found.last().map(|case| case.number.to_string())
        } else {
            None
        };
        Ok::<_, ApiError>((case_rows(&state, &reader, &found, false).await?, next_cursor))
    };
    let (rows, next_cursor) = match listed.await {
        Ok(listed) => listed,
        Err(error) => return Err(failure_page(chrome, &error)),
    };
    let staff = reader.caller.actor.is_vendor_staff();
    // Whose cases these are follows the rule `cases::scope_of` applies.
    let intro = match cases::scope_of(&reader.caller.actor) {
        CaseScope::All => tr.t("case-list-intro-all"),
        CaseScope::Company(_) => tr.t1(
            "case-list-intro-company",
            "company",
            reader.caller.company.name.as_str(),
        ),
        CaseScope::Partner { .. } => tr.t("case-list-intro-partner"),
        CaseScope::Involved { .. } => tr.t("case-list-intro-involved"),
    };
    let mut filters = vec![
        Choice {
            value: "all".into(),
            label: tr.t("case-list-filter-all"),
            hint: String::new(),
            selected: status == "all",
        },
        Choice {
            value: "open".into(),
            label: tr.t("case-list-filter-open"),
            hint: String::new(),
            selected: status == "open",
        },
    ];
    filters.extend(CaseStatus::ALL.iter().map(|s| Choice {
        value: s.as_str().to_owned(),
        label: status_words(&tr, *s),
        hint: String::new(),
        selected: status == s.as_str(),
    }));
    let page = ListPage {
        title: tr.t(if staff { "case-list-title-staff" } else { "nav-cases" }),
        intro,
        zone: reader.caller.company.time_zone.to_string(),
        filters,
        status,
        rows,
        with_company: staff || reader.caller.company.kind == CompanyKind::Partner,
        first_page,
        next_cursor,
        chrome,
    };
    Ok(render(&page, StatusCode::OK))
}

// ---------------------------------------------------------------------------
// The case page

/// A labelled part of a timeline entry ("What was done").
struct Part {
    label: Option<String>,
    text: String,
}

/// An article or document an answer refers to; linked when it is a web
/// address.
struct Article {
    text: String,
    href: Option<String>,
}

struct Link {
    href: String,
    text: String,
}

/// One entry of the timeline, in words.
struct Entry {
    at: Moment,
    who: String,
    title: String,
    /// The event kind, for styling.
    kind: &'static str,
    internal: bool,
    parts: Vec<Part>,
    articles: Vec<Article>,
    link: Option<Link>,
}

fn part(label: Option<String>, text: &str) -> Part {
    Part {
        label,
        text: text.to_owned(),
    }
}

async fn entry(tr: &Tr, zone: &TimeZone, people: &mut People<'_>, event: &CaseEvent) -> Result<Entry, ApiError> {
    let who = match &event.actor {
        Some(id) => people.get(id).await?.map(|p| p.name),
        None => None,
    }
    .unwrap_or_else(|| tr.t("case-actor-guichet"));
    let mut parts = Vec::new();
    let mut articles = Vec::new();
    let mut link = None;
    let case_link = |number: CaseNumber| Link {
        href: format!("/cases/{number}"),
        text: tr.t1("case-number", "number", number),
    };
    let title = match &event.happening {
        Happening::Opened { priority } => tr.t1("case-event-opened", "priority", priority.as_str()),
        Happening::Answered { answer } => {
            match answer {
                Answer::Update { done, next } => {
                    parts.push(part(Some(tr.t("case-answer-done")), done));
                    parts.push(part(Some(tr.t("case-answer-next")), next));
                }
                Answer::DocReferral { body, articles: named } => {
                    parts.push(part(None, body));
                    articles = named
                        .iter()
                        .map(|text| Article {
                            href: (text.starts_with("https://") || text.starts_with("http://")).then(|| text.clone()),
                            text: text.clone(),
                        })
                        .collect();
                }
                Answer::Workaround { body }
                | Answer::NeedInfo { body }
                | Answer::Recreating { body }
                | Answer::Solution { body } => parts.push(part(None, body)),
            }
            answer_words(tr, answer)
        }
        Happening::Commented { body } => {
            parts.push(part(None, body));
            tr.t("case-event-commented")
        }
        Happening::Noted { body } => {
            parts.push(part(None, body));
            tr.t("case-event-noted")
        }
        Happening::StatusChanged { from, to } => tr.t2(
            "case-event-status-changed",
            ("from", &status_words(tr, *from)),
            ("to", &status_words(tr, *to)),
        ),
        Happening::Assigned { to: Some(id) } => {
            let name = people.get(id).await?.map(|p| p.name).unwrap_or_default();
            tr.t1("case-event-assigned", "name", name)
        }
        Happening::Assigned { to: None } => tr.t("case-event-released"),
        Happening::UpdateRequested { body } => {
            if let Some(body) = body {
                parts.push(part(None, body));
            }
            tr.t("case-event-update-requested")
        }
        Happening::EscalationRequested { reason, .. } => {
            parts.push(part(Some(tr.t("case-escalation-reason")), reason));
            tr.t("case-event-escalation-requested")
        }
        Happening::EscalationReviewed { decision, note, .. } => {
            parts.push(part(Some(tr.t("case-escalation-note")), note));
            match decision {
                escalation::Decision::Accept => tr.t("case-event-escalation-accepted"),
                escalation::Decision::Decline => tr.t("case-event-escalation-declined"),
            }
        }
        Happening::ExpertEngaged { expert, question, .. } => {
            let name = people.get(expert).await?.map(|p| p.name).unwrap_or_default();
            parts.push(part(Some(tr.t("case-expert-question")), question));
            tr.t1("case-event-expert-engaged", "name", name)
        }
        Happening::ExpertReplied { body, .. } => {
            parts.push(part(None, body));
            tr.t("case-event-expert-replied")
        }
        Happening::ExpertEngagementClosed { .. } => tr.t("case-event-expert-closed"),
        Happening::SplitInto { number } => {
            link = Some(case_link(*number));
            tr.t("case-event-split-into")
        }
        Happening::SplitFrom { number } => {
            link = Some(case_link(*number));
            tr.t("case-event-split-from")
        }
        Happening::SolutionAccepted => tr.t("case-event-solution-accepted"),
        Happening::Reopened => tr.t("case-event-reopened"),
        Happening::ClosedAutomatically => tr.t("case-event-closed-automatically"),
        Happening::SlaAlarm { clock, alarm } => {
            let clock = crate::text::clock_name(tr, *clock);
            match alarm {
                guichet_domain::case_sla::Alarm::Warning => tr.t1("case-event-sla-warning", "clock", clock),
                guichet_domain::case_sla::Alarm::Breach => tr.t1("case-event-sla-breach", "clock", clock),
            }
        }
        Happening::EscalatedAutomatically { clock } => tr.t1(
            "case-event-escalated-automatically",
            "clock",
            crate::text::clock_name(tr, *clock),
        ),
        Happening::IncidentLinked { incident, title } => {
            link = Some(Link {
                href: format!("/status#incident-{incident}"),
                text: title.clone(),
            });
            tr.t("case-event-incident-linked")
        }
        Happening::IncidentUpdated {
            incident,
            title,
            status,
            body,
        } => {
            parts.push(part(None, body));
            link = Some(Link {
                href: format!("/status#incident-{incident}"),
                text: title.clone(),
            });
            tr.t1(
                "case-event-incident-updated",
                "status",
                crate::status::words::incident_status(tr, *status),
            )
        }
        Happening::AttachmentAdded { .. }
        | Happening::UploadRequested { .. }
        | Happening::UploadRequestCompleted { .. }
        | Happening::AttachmentsDeleted { .. } => {
            let words = crate::attachments::event_words(tr, &event.happening);
            parts.extend(words.parts.into_iter().map(|text| part(None, &text)));
            link = words.link.map(|(href, text)| Link { href, text });
            words.title
        }
    };
    Ok(Entry {
        at: Moment::new(event.at, zone),
        who,
        title,
        kind: event.happening.kind(),
        internal: event.internal,
        parts,
        articles,
        link,
    })
}

/// One SLA clock, as the case page shows it.
struct ClockLine {
    name: String,
    state: String,
    target: String,
    due: Option<Moment>,
    /// What is left, or how late it is.
    left: Option<String>,
    /// `breached`, `warned` or empty: a class and a word, not a colour alone.
    alarm: &'static str,
    alarm_words: String,
}

fn clock_lines(tr: &Tr, zone: &TimeZone, views: &[crate::api::cases::ClockView]) -> Vec<ClockLine> {
    use guichet_domain::sla::format_duration;
    views
        .iter()
        .map(|view| {
            let minutes = jiff::SignedDuration::from_mins(view.remaining_minutes.abs());
            let running = view.state == "running";
            let alarm = if view.breached {
                "breached"
            } else if view.warned {
                "warned"
            } else {
                ""
            };
            ClockLine {
                name: tr.t(&format!("sla-clock-{}", view.clock.replace('_', "-"))),
                state: tr.t(&format!("sla-state-{}", view.state)),
                target: tr.t1(
                    if view.hours == "business" {
                        "sla-target-business"
                    } else {
                        "sla-target-around"
                    },
                    "duration",
                    format_duration(jiff::SignedDuration::from_mins(
                        view.used_minutes + view.remaining_minutes,
                    )),
                ),
                due: view.due_at.as_deref().and_then(|at| Moment::parse(at, zone)),
                left: running.then(|| {
                    if view.remaining_minutes >= 0 {
                        tr.t1("sla-left", "left", format_duration(minutes))
                    } else {
                        tr.t1("sla-overdue", "late", format_duration(minutes))
                    }
                }),
                alarm,
                alarm_words: match alarm {
                    "breached" => tr.t("sla-breached"),
                    "warned" => tr.t("sla-warned"),
                    _ => String::new(),
                },
            }
        })
        .collect()
}

/// The latest escalation request, as the case page shows it.
struct EscalationSheet {
    pending: bool,
    status: String,
    reason: String,
    requested_by: String,
    requested_at: Option<Moment>,
    review_due: Option<Moment>,
    reviewed_by: String,
    reviewed_at: Option<Moment>,
    note: Option<String>,
}

fn escalation_sheet(tr: &Tr, zone: &TimeZone, view: &CaseView) -> Option<EscalationSheet> {
    let request = view.escalation.as_ref()?;
    let status = EscalationStatus::parse(&request.status).ok()?;
    Some(EscalationSheet {
        pending: status == EscalationStatus::Pending,
        status: tr.t(match status {
            EscalationStatus::Pending => "case-escalation-pending",
            EscalationStatus::Accepted => "case-escalation-accepted",
            EscalationStatus::Declined => "case-escalation-declined",
        }),
        reason: request.reason.clone(),
        requested_by: request
            .requested_by
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        requested_at: Moment::parse(&request.requested_at, zone),
        review_due: Moment::parse(&request.review_due_at, zone),
        reviewed_by: request.reviewed_by.as_ref().map(|p| p.name.clone()).unwrap_or_default(),
        reviewed_at: request.reviewed_at.as_deref().and_then(|at| Moment::parse(at, zone)),
        note: request.note.clone(),
    })
}

/// An expert engagement (staff only).
struct EngagementLine {
    expert: String,
    question: String,
    status: String,
}

/// Which forms the case page shows the reader. The handlers still leave
/// every decision to `crate::cases`.
#[derive(Default)]
struct Forms {
    /// Customer side: reply.
    reply: bool,
    /// Customer side: ask for an update (R19), possible now…
    update_request: bool,
    /// …or from then.
    update_possible_at: Option<Moment>,
    /// Customer side: ask for escalation (R20)…
    escalation_request: bool,
    /// …or why not.
    escalation_refusal: Option<String>,
    /// Customer side: accept the solution or reopen.
    settle: bool,
    /// Analysts: answer (R16), take or release.
    answer: bool,
    take: bool,
    release: bool,
    /// Staff: public comment and internal note.
    staff_comment: bool,
    /// Support managers: a pending escalation to review.
    review: bool,
}

/// What went wrong with one of the case page's forms.
struct FormFailure {
    /// The form's id: `comment`, `note`, `update-request`, `escalation`,
    /// `settle`, `answer`, `assignment`.
    form: &'static str,
    status: StatusCode,
    message: String,
}

/// What a case page form sent, kept when it is shown again.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CaseDraft {
    csrf: String,
    /// A comment, a note, an update request's message, or an answer.
    body: String,
    /// `1` for an internal note.
    internal: String,
    /// Why escalate.
    reason: String,
    /// The answer's kind, and an update's two parts.
    kind: String,
    done: String,
    next: String,
    /// A document referral's articles, one per line.
    articles: String,
    /// Assignment: an analyst's id, or empty to release.
    assignee: String,
}

#[derive(Template)]
#[template(path = "case_page.html")]
struct CasePage {
    chrome: Chrome,
    zone: String,
    me: String,
    number: String,
    subject: String,
    status: String,
    status_code: &'static str,
    priority: String,
    priority_reasons: Vec<String>,
    product: String,
    environment: String,
    impact: String,
    scope: String,
    company: String,
    opened_by: String,
    opened_at: Moment,
    contacts: Vec<String>,
    assignee: Option<String>,
    escalated: bool,
    staff: bool,
    experts_involved: bool,
    engagements: Vec<EngagementLine>,
    split_from: Option<Link>,
    split_into: Vec<Link>,
    description: String,
    steps: Option<String>,
    expected: Option<String>,
    escalation: Option<EscalationSheet>,
    /// The SLA clocks (R15, R21), due instants in the reader's time zone.
    clocks: Vec<ClockLine>,
    timeline: Vec<Entry>,
    forms: Forms,
    answer_kinds: Vec<Choice>,
    failure: Option<FormFailure>,
    draft: CaseDraft,
    /// R25: the authorization requests raised on the case, and whether a
    /// new one may be raised here.
    authorizations: Vec<super::authorization::AuthorizationLine>,
    raise_authorization: bool,
    /// R17: the case's files and diagnostics checklists.
    files: super::files::FilesSection,
}

impl CasePage {
    /// What the reader typed in `form`, if that form is the one that failed.
    fn kept<'a>(&'a self, form: &str, value: &'a str) -> &'a str {
        match &self.failure {
            Some(failure) if failure.form == form => value,
            _ => "",
        }
    }

    fn failed(&self, form: &str) -> bool {
        self.failure.as_ref().is_some_and(|f| f.form == form)
    }
}

pub(super) async fn show(
    State(state): State<AppState>,
    reader: Reader,
    Path(number): Path<String>,
) -> Result<Response, Response> {
    let Ok(number) = CaseNumber::parse(&number) else {
        return Err(page_error(StatusCode::NOT_FOUND, reader.language, "error-not-found"));
    };
    case_page(&state, &reader, number, None, CaseDraft::default()).await
}

async fn case_page(
    state: &AppState,
    reader: &Reader,
    number: CaseNumber,
    failure: Option<FormFailure>,
    draft: CaseDraft,
) -> Result<Response, Response> {
    let current = if reader.caller.actor.is_vendor_staff() {
        "queue"
    } else {
        "cases"
    };
    let chrome = reader.chrome(&format!("/cases/{number}"), current).await?;
    match case_page_data(state, reader, chrome, number, failure, draft).await {
        Ok(page) => {
            let status = page.failure.as_ref().map_or(StatusCode::OK, |f| f.status);
            Ok(render(&page, status))
        }
        Err((chrome, error)) => Err(failure_page(chrome, &error)),
    }
}

async fn case_page_data(
    state: &AppState,
    reader: &Reader,
    chrome: Chrome,
    number: CaseNumber,
    failure: Option<FormFailure>,
    draft: CaseDraft,
) -> Result<CasePage, (Chrome, ApiError)> {
    let gathered = async {
        let (case, _) = cases::readable(state, &reader.caller, &number.to_string()).await?;
        cases::record_view(state, &reader.caller, &case).await?;
        let view = case_view(state, &reader.caller, &case, false).await?;
        let events = timeline(state, &reader.caller, &case).await?;
        let catalogue = state.store.products().await?;
        let engagements = if reader.caller.actor.is_vendor_staff() {
            state.store.engagements_of(&case.id).await?
        } else {
            Vec::new()
        };
        let authorizations = super::authorization::case_lines(state, reader, &case).await?;
        let files = super::files::section(state, reader, &case).await?;
        Ok::<_, ApiError>((case, view, events, catalogue, engagements, authorizations, files))
    };
    let (case, view, events, catalogue, engagements, authorizations, files) = match gathered.await {
        Ok(gathered) => gathered,
        Err(error) => return Err((chrome, error)),
    };
    let tr = chrome.tr;
    let zone = reader.zone();
    let actor = &reader.caller.actor;
    let mut people = People::new(state);
    let mut timeline = Vec::with_capacity(events.len());
    let mut engagement_lines = Vec::with_capacity(engagements.len());
    let named = async {
        for event in &events {
            timeline.push(entry(&tr, &zone, &mut people, event).await?);
        }
        for engagement in &engagements {
            engagement_lines.push(EngagementLine {
                expert: people
                    .get(&engagement.expert)
                    .await?
                    .map(|p| p.name)
                    .unwrap_or_default(),
                question: engagement.question.clone(),
                status: tr.t(&format!("case-engagement-{}", engagement.status.as_str())),
            });
        }
        Ok::<_, ApiError>(())
    };
    if let Err(error) = named.await {
        return Err((chrome, error));
    }
    let split_into = events
        .iter()
        .filter_map(|event| match event.happening {
            Happening::SplitInto { number } => Some(Link {
                href: format!("/cases/{number}"),
                text: tr.t1("case-number", "number", number),
            }),
            _ => None,
        })
        .collect();

    let escalation = escalation_sheet(&tr, &zone, &view);
    let customer = !actor.is_vendor_staff();
    let open = case.status.is_open();
    let closed = case.status == CaseStatus::Closed;
    let mine = case.assignee.as_ref() == Some(&reader.caller.user.id);
    let pending = escalation.as_ref().is_some_and(|e| e.pending);
    let mut forms = Forms {
        reply: customer && !closed,
        settle: customer && case.status == CaseStatus::Solved,
        answer: actor.answers_cases() && !closed,
        take: actor.answers_cases() && !closed && !mine,
        release: actor.answers_cases() && !closed && mine,
        staff_comment: actor.is_vendor_staff() && !closed,
        review: actor.manages_support() && pending,
        ..Forms::default()
    };
    if customer && open {
        // R19: one update request per period; `case_view` says when the
        // next is possible.
        match view.next_update_request_at.as_deref() {
            Some(at) => forms.update_possible_at = Moment::parse(at, &zone),
            None => forms.update_request = true,
        }
        // R20: the domain says whether escalation may be asked for.
        match escalation::may_request_escalation(open, case.escalated, pending) {
            Ok(()) => forms.escalation_request = true,
            Err(EscalationRefusal::AlreadyRequested) => {
                forms.escalation_refusal = Some(tr.t("case-escalation-already-requested"))
            }
            Err(EscalationRefusal::AlreadyEscalated) => {
                forms.escalation_refusal = Some(tr.t("case-escalation-already-escalated"))
            }
            Err(EscalationRefusal::NotOpen) => {}
        }
    }
    let kind = if draft.kind.is_empty() {
        "update"
    } else {
        draft.kind.as_str()
    };
    let answer_kinds = guichet_domain::case::AnswerKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str().to_owned(),
            label: tr.t(&format!("case-answer-{}", k.as_str())),
            hint: String::new(),
            selected: k.as_str() == kind,
        })
        .collect();

    Ok(CasePage {
        clocks: clock_lines(&tr, &zone, &view.sla),
        zone: reader.caller.company.time_zone.to_string(),
        me: reader.caller.user.id.0.clone(),
        number: case.number.to_string(),
        subject: case.subject.as_str().to_owned(),
        status: status_words(&tr, case.status),
        status_code: case.status.as_str(),
        priority: case.priority.as_str().to_owned(),
        priority_reasons: view.priority_reasons,
        product: product_area_words(&catalogue, case.product.as_str(), case.area.as_str()),
        environment: environment_label(&tr, case.environment),
        impact: impact_words(&tr, case.impact),
        scope: scope_label(&tr, case.scope),
        company: view.company.name,
        opened_by: view.opened_by.map(|p| p.name).unwrap_or_default(),
        opened_at: Moment::new(case.created_at, &zone),
        contacts: view.contacts.into_iter().map(|p| p.name).collect(),
        assignee: view.assignee.map(|p| p.name),
        escalated: case.escalated,
        staff: actor.is_vendor_staff(),
        experts_involved: case.experts_involved,
        engagements: engagement_lines,
        split_from: case.split_from.map(|number| Link {
            href: format!("/cases/{number}"),
            text: tr.t1("case-number", "number", number),
        }),
        split_into,
        description: case.description,
        steps: case.steps,
        expected: case.expected,
        escalation,
        timeline,
        forms,
        answer_kinds,
        failure,
        draft,
        raise_authorization: open,
        authorizations,
        files,
        chrome,
    })
}

/// After a case page form: back to the case page (PRG), or the page again
/// with what went wrong, next to the form, and what was typed.
pub(super) async fn after_form<T>(
    state: &AppState,
    reader: Reader,
    number: CaseNumber,
    form: &'static str,
    draft: CaseDraft,
    outcome: Result<T, ApiError>,
) -> Result<Response, Response> {
    let error = match outcome {
        Ok(_) => return Ok(Redirect::to(&format!("/cases/{number}")).into_response()),
        Err(error) => error,
    };
    if error.status == StatusCode::NOT_FOUND || error.status.is_server_error() {
        let chrome = reader.chrome(&format!("/cases/{number}"), "cases").await?;
        return Err(failure_page(chrome, &error));
    }
    let failure = FormFailure {
        form,
        status: error.status,
        message: error_message(&reader.tr(), &error, Some(&reader.zone())),
    };
    case_page(state, &reader, number, Some(failure), draft).await
}

/// The case number of a form's path, and its author.
pub(super) async fn case_form(visit: Visit, number: &str, csrf: &str) -> Result<(Reader, CaseNumber), Response> {
    let Ok(number) = CaseNumber::parse(number) else {
        return Err(page_error(StatusCode::NOT_FOUND, visit.language, "error-not-found"));
    };
    let reader = visit.form(csrf, &format!("/cases/{number}")).await?;
    Ok((reader, number))
}

pub(super) async fn answer(
    State(state): State<AppState>,
    visit: Visit,
    Path(number): Path<String>,
    Form(draft): Form<CaseDraft>,
) -> Result<Response, Response> {
    let (reader, number) = case_form(visit, &number, &draft.csrf).await?;
    let articles: Vec<String> = draft
        .articles
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    let fields = AnswerFields {
        done: Some(&draft.done),
        next: Some(&draft.next),
        body: Some(&draft.body),
        articles: &articles,
    };
    let outcome = cases::answer(&state, &reader.caller, &number.to_string(), &draft.kind, fields).await;
    after_form(&state, reader, number, "answer", draft, outcome).await
}

pub(super) async fn comment(
    State(state): State<AppState>,
    visit: Visit,
    Path(number): Path<String>,
    Form(draft): Form<CaseDraft>,
) -> Result<Response, Response> {
    let (reader, number) = case_form(visit, &number, &draft.csrf).await?;
    let internal = draft.internal == "1";
    let outcome = cases::comment(&state, &reader.caller, &number.to_string(), &draft.body, internal).await;
    let form = if internal { "note" } else { "comment" };
    after_form(&state, reader, number, form, draft, outcome).await
}

pub(super) async fn request_update(
    State(state): State<AppState>,
    visit: Visit,
    Path(number): Path<String>,
    Form(draft): Form<CaseDraft>,
) -> Result<Response, Response> {
    let (reader, number) = case_form(visit, &number, &draft.csrf).await?;
    let outcome = cases::request_update(&state, &reader.caller, &number.to_string(), Some(&draft.body)).await;
    after_form(&state, reader, number, "update-request", draft, outcome).await
}

pub(super) async fn request_escalation(
    State(state): State<AppState>,
    visit: Visit,
    Path(number): Path<String>,
    Form(draft): Form<CaseDraft>,
) -> Result<Response, Response> {
    let (reader, number) = case_form(visit, &number, &draft.csrf).await?;
    let outcome = cases::request_escalation(&state, &reader.caller, &number.to_string(), &draft.reason).await;
    after_form(&state, reader, number, "escalation", draft, outcome).await
}

pub(super) async fn accept_solution(
    State(state): State<AppState>,
    visit: Visit,
    Path(number): Path<String>,
    Form(draft): Form<CaseDraft>,
) -> Result<Response, Response> {
    let (reader, number) = case_form(visit, &number, &draft.csrf).await?;
    let outcome = cases::settle(&state, &reader.caller, &number.to_string(), true).await;
    after_form(&state, reader, number, "settle", draft, outcome).await
}

pub(super) async fn reopen(
    State(state): State<AppState>,
    visit: Visit,
    Path(number): Path<String>,
    Form(draft): Form<CaseDraft>,
) -> Result<Response, Response> {
    let (reader, number) = case_form(visit, &number, &draft.csrf).await?;
    let outcome = cases::settle(&state, &reader.caller, &number.to_string(), false).await;
    after_form(&state, reader, number, "settle", draft, outcome).await
}

pub(super) async fn assign(
    State(state): State<AppState>,
    visit: Visit,
    Path(number): Path<String>,
    Form(draft): Form<CaseDraft>,
) -> Result<Response, Response> {
    let (reader, number) = case_form(visit, &number, &draft.csrf).await?;
    let outcome = cases::assign(&state, &reader.caller, &number.to_string(), Some(&draft.assignee)).await;
    after_form(&state, reader, number, "assignment", draft, outcome).await
}

// ---------------------------------------------------------------------------
// The analysts' queue

#[derive(Template)]
#[template(path = "case_queue.html")]
struct QueuePage {
    chrome: Chrome,
    me: String,
    rows: Vec<CaseRow>,
}

pub(super) async fn queue(State(state): State<AppState>, reader: Reader) -> Result<Response, Response> {
    let chrome = reader.chrome("/queue", "queue").await?;
    let listed = async {
        let found = queue_cases(&state, &reader.caller).await?;
        case_rows(&state, &reader, &found, true).await
    };
    let rows = match listed.await {
        Ok(rows) => rows,
        Err(error) => return Err(failure_page(chrome, &error)),
    };
    let page = QueuePage {
        chrome,
        me: reader.caller.user.id.0.clone(),
        rows,
    };
    Ok(render(&page, StatusCode::OK))
}

// ---------------------------------------------------------------------------
// The managers' escalation review (R20)

/// A pending escalation request with its review form.
struct PendingEscalation {
    id: String,
    number: String,
    subject: String,
    company: String,
    reason: String,
    requested_by: String,
    requested_at: Moment,
    review_due: Moment,
    overdue: bool,
}

/// A review that failed: which request, and why.
struct FailedReview {
    id: String,
    message: String,
}

/// An active support analyst a case may be reassigned to.
struct Analyst {
    id: String,
    name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ReviewForm {
    csrf: String,
    /// `accept` or `decline`.
    decision: String,
    note: String,
    /// On accept: the analyst who takes the case; empty keeps the current one.
    assignee: String,
}

#[derive(Template)]
#[template(path = "case_escalations.html")]
struct EscalationsPage {
    chrome: Chrome,
    zone: String,
    requests: Vec<PendingEscalation>,
    analysts: Vec<Analyst>,
    failed: Option<FailedReview>,
    draft: ReviewForm,
}

impl EscalationsPage {
    fn kept<'a>(&'a self, id: &str, value: &'a str) -> &'a str {
        match &self.failed {
            Some(failed) if failed.id == id => value,
            _ => "",
        }
    }
}

pub(super) async fn escalations(State(state): State<AppState>, reader: Reader) -> Result<Response, Response> {
    escalations_page(&state, &reader, None, ReviewForm::default(), StatusCode::OK).await
}

async fn escalations_page(
    state: &AppState,
    reader: &Reader,
    failed: Option<FailedReview>,
    draft: ReviewForm,
    status: StatusCode,
) -> Result<Response, Response> {
    let chrome = reader.chrome("/escalations", "escalations").await?;
    let zone = reader.zone();
    let now = state.clock.now();
    let gathered = async {
        let pending = review_queue(state, &reader.caller, None).await?;
        let mut people = People::new(state);
        let mut companies = CompanyNames::new(state);
        let mut requests = Vec::with_capacity(pending.len());
        for (request, number) in &pending {
            let Some(case) = state.store.case_by_number(*number).await? else {
                continue;
            };
            requests.push(PendingEscalation {
                id: request.id.clone(),
                number: number.to_string(),
                subject: case.subject.as_str().to_owned(),
                company: companies.get(&case.company_id).await?,
                reason: request.reason.clone(),
                requested_by: people
                    .get(&request.requested_by)
                    .await?
                    .map(|p| p.name)
                    .unwrap_or_default(),
                requested_at: Moment::new(request.requested_at, &zone),
                review_due: Moment::new(request.review_due_at, &zone),
                overdue: request.review_due_at < now,
            });
        }
        let analysts = state
            .store
            .users_holding(Role::SupportAnalyst)
            .await?
            .into_iter()
            .filter(|user| user.active)
            .map(|user| Analyst {
                id: user.id.0,
                name: user.display_name.as_str().to_owned(),
            })
            .collect();
        Ok::<_, ApiError>((requests, analysts))
    };
    let (requests, analysts) = match gathered.await {
        Ok(gathered) => gathered,
        Err(error) => return Err(failure_page(chrome, &error)),
    };
    let page = EscalationsPage {
        chrome,
        zone: reader.caller.company.time_zone.to_string(),
        requests,
        analysts,
        failed,
        draft,
    };
    Ok(render(&page, status))
}

pub(super) async fn review_escalation(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<ReviewForm>,
) -> Result<Response, Response> {
    let reader = visit.form(&form.csrf, "/escalations").await?;
    let outcome = cases::review_escalation(
        &state,
        &reader.caller,
        &id,
        &form.decision,
        &form.note,
        Some(&form.assignee),
    )
    .await;
    let error = match outcome {
        Ok(_) => return Ok(Redirect::to("/escalations").into_response()),
        Err(error) => error,
    };
    if error.status == StatusCode::NOT_FOUND || error.status.is_server_error() || error.field.is_none() {
        let chrome = reader.chrome("/escalations", "escalations").await?;
        return Err(failure_page(chrome, &error));
    }
    let message = error_message(&reader.tr(), &error, None);
    escalations_page(&state, &reader, Some(FailedReview { id, message }), form, error.status).await
}

#[cfg(test)]
mod tests {
    use guichet_domain::case::AnswerKind;
    use guichet_domain::expert::EngagementStatus;

    use super::*;

    /// The messages these pages name with `format!` (the i18n test only
    /// sees literal ids).
    #[test]
    fn every_worded_value_and_error_has_words_in_both_languages() {
        for language in Language::ALL {
            let tr = Tr::new(language);
            let mut ids: Vec<String> = Vec::new();
            ids.extend(ERROR_CODES.iter().map(|code| format!("case-error-{code}")));
            ids.extend(ERROR_FIELDS.iter().map(|field| format!("case-invalid-{field}")));
            ids.extend(AnswerKind::ALL.iter().map(|k| format!("case-answer-{}", k.as_str())));
            ids.extend(CaseStatus::ALL.iter().map(|s| format!("case-status-{}", s.as_str())));
            for e in Environment::ALL {
                ids.push(format!("case-environment-{}", e.as_str()));
                ids.push(format!("case-environment-{}-hint", e.as_str()));
            }
            for s in Scope::ALL {
                ids.push(format!("case-scope-{}", s.as_str()));
                ids.push(format!("case-scope-{}-hint", s.as_str()));
            }
            ids.extend(Impact::ALL.iter().map(|i| format!("case-impact-{}-hint", i.as_str())));
            for status in [
                EngagementStatus::Open,
                EngagementStatus::Answered,
                EngagementStatus::Closed,
            ] {
                ids.push(format!("case-engagement-{}", status.as_str()));
            }
            for id in ids {
                assert!(tr.has(&id), "`{id}` is missing in {language:?}");
            }
        }
    }

    #[test]
    fn statuses_and_answers_read_as_words() {
        let fr = Tr::new(Language::Fr);
        assert_eq!(status_words(&fr, CaseStatus::InProgress), "En cours");
        let workaround = Answer::Workaround { body: "x".into() };
        assert_eq!(answer_words(&fr, &workaround), "Solution de contournement");
    }

    #[test]
    fn errors_read_in_the_readers_words() {
        let en = Tr::new(Language::En);
        let closed = ApiError::new(StatusCode::CONFLICT, "case_closed", "closed");
        assert!(error_message(&en, &closed, None).contains("closed"));
        let subject = ApiError::invalid(
            "subject",
            guichet_domain::Invalid::new(guichet_domain::InvalidKind::Empty, "the subject is empty"),
        );
        assert!(error_message(&en, &subject, None).contains("subject"));
        let unknown = ApiError::new(StatusCode::CONFLICT, "something_new", "x");
        assert_eq!(error_message(&en, &unknown, None), en.t("case-error-other"));
        let paris = TimeZone::get("Europe/Paris").unwrap();
        let at: Timestamp = "2026-11-29T13:05:00Z".parse().unwrap();
        let too_soon = ApiError {
            retry_at: Some(at),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "update_request_too_soon", "x")
        };
        assert!(error_message(&Tr::new(Language::Fr), &too_soon, Some(&paris)).contains("2026-11-29 14:05"));
    }

    #[test]
    fn moments_are_plain_local_times() {
        let paris = TimeZone::get("Europe/Paris").unwrap();
        let at: Timestamp = "2026-11-29T13:05:00Z".parse().unwrap();
        let moment = Moment::new(at, &paris);
        assert_eq!(moment.text, "2026-11-29 14:05");
        assert_eq!(moment.iso, "2026-11-29T13:05:00Z");
        assert_eq!(Moment::parse("not a time", &paris).map(|m| m.text), None);
    }
}
