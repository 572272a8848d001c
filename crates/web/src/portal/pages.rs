//! The portal's pages.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use guichet_domain::calendar::BusinessCalendar;
use guichet_domain::contact::{Reason, SupportOptions, SupportRegion};
use guichet_domain::user::Language;
use jiff::Timestamp;
use jiff::civil::{DateTime, Weekday};
use serde::Deserialize;
use tower_sessions::Session;

use super::{Chrome, csrf_valid, language, page_error, render, safe_next};
use crate::AppState;
use crate::api::support::{HoursNow, country_calendar, open_days, weekday_key};
use crate::auth::{Caller, ClientAddress, MaybeCaller, SESSION_USER, SignInError, sign_in};
use crate::i18n::{LANGUAGE_COOKIE, Tr};
use crate::support;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    greeting: Option<String>,
    company_name: Option<String>,
}

pub(super) async fn home(
    session: Session,
    MaybeCaller(caller): MaybeCaller,
    cookies: CookieJar,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let language = language(caller.as_ref(), &cookies, &headers);
    let chrome = Chrome::new(&session, caller.as_ref(), language, "/", "home").await?;
    let page = HomePage {
        greeting: caller
            .as_ref()
            .map(|c| chrome.tr.t1("home-greeting", "name", c.user.display_name.as_str())),
        company_name: caller.as_ref().map(|c| c.company.name.as_str().to_owned()),
        chrome,
    };
    Ok(render(&page, StatusCode::OK))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct NextQuery {
    #[serde(default)]
    next: String,
}

pub(super) async fn login_form(
    session: Session,
    MaybeCaller(caller): MaybeCaller,
    cookies: CookieJar,
    headers: HeaderMap,
    Query(query): Query<NextQuery>,
) -> Result<Response, Response> {
    let next = safe_next(&query.next).to_owned();
    if caller.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    let language = language(None, &cookies, &headers);
    let chrome = Chrome::new(&session, None, language, "/login", "login").await?;
    Ok(render(
        &LoginPage {
            chrome,
            email: String::new(),
            next,
            error: None,
        },
        StatusCode::OK,
    ))
}

#[derive(Debug, Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

pub(super) async fn login(
    State(state): State<AppState>,
    session: Session,
    cookies: CookieJar,
    headers: HeaderMap,
    ClientAddress(address): ClientAddress,
    Form(form): Form<LoginForm>,
) -> Result<Response, Response> {
    let language = language(None, &cookies, &headers);
    if !csrf_valid(&session, &form.csrf).await {
        return Err(page_error(StatusCode::FORBIDDEN, language, "error-csrf"));
    }
    let next = safe_next(&form.next).to_owned();
    let tr = Tr::new(language);
    let (status, error) = match sign_in(&state, &form.email, &form.password, address).await {
        Ok(user) => {
            // A new session id at sign-in: a planted id is worth nothing.
            let signed_in = async {
                session.cycle_id().await?;
                session.insert(SESSION_USER, &user.id.0).await?;
                session.remove::<String>("csrf").await
            };
            if let Err(error) = signed_in.await {
                tracing::error!(%error, "session");
                return Err(page_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    language,
                    "error-internal",
                ));
            }
            return Ok(Redirect::to(&next).into_response());
        }
        Err(SignInError::InvalidCredentials) => (StatusCode::UNAUTHORIZED, tr.t("login-invalid")),
        Err(SignInError::AccountLocked(until)) => {
            (StatusCode::TOO_MANY_REQUESTS, tr.t1("login-locked", "until", until))
        }
        Err(SignInError::AddressLocked(until)) => (
            StatusCode::TOO_MANY_REQUESTS,
            tr.t1("login-address-locked", "until", until),
        ),
        Err(SignInError::Internal(error)) => {
            tracing::error!(%error, "sign-in");
            return Err(page_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                language,
                "error-internal",
            ));
        }
    };
    let chrome = Chrome::new(&session, None, language, "/login", "login").await?;
    Ok(render(
        &LoginPage {
            chrome,
            email: form.email,
            next,
            error: Some(error),
        },
        status,
    ))
}

#[derive(Debug, Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub(super) async fn logout(
    session: Session,
    MaybeCaller(caller): MaybeCaller,
    cookies: CookieJar,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !csrf_valid(&session, &form.csrf).await {
        return page_error(
            StatusCode::FORBIDDEN,
            language(caller.as_ref(), &cookies, &headers),
            "error-csrf",
        );
    }
    let _ = session.flush().await;
    // The language stays what the user was reading in.
    let language = language(caller.as_ref(), &cookies, &headers);
    (language_cookie(language), Redirect::to("/login")).into_response()
}

fn language_cookie(language: Language) -> CookieJar {
    let cookie = Cookie::build((LANGUAGE_COOKIE, language.code()))
        .path("/")
        .same_site(SameSite::Lax)
        .http_only(true)
        .max_age(tower_sessions::cookie::time::Duration::days(365))
        .build();
    CookieJar::new().add(cookie)
}

#[derive(Template)]
#[template(path = "contact.html")]
struct ContactPage {
    chrome: Chrome,
    company_name: String,
    options: SupportOptions,
    explanation: String,
    refused_for_designation: bool,
    is_partner: bool,
    /// The reader's region first, then every other one.
    hours: Vec<RegionHours>,
}

/// One region's support line and hours, in the region's local time (R21,
/// R22).
struct RegionHours {
    key: String,
    name: String,
    phone: String,
    /// The reader's company's region.
    own: bool,
    zone: String,
    /// `Monday to Friday, 06:00–18:00`.
    days: String,
    open: bool,
    /// `Open now, until 18:00`, or closed with priority requests only.
    status: String,
    next_opening: Option<LocalTime>,
}

/// A local date and time in words, with the instant for `<time datetime>`.
struct LocalTime {
    text: String,
    iso: String,
}

impl RegionHours {
    fn new(
        tr: &Tr,
        region: &SupportRegion,
        own: bool,
        calendar: &BusinessCalendar,
        zone: String,
        now: Timestamp,
    ) -> Self {
        let hours = HoursNow::at(calendar, now);
        let status = match hours.period.filter(|_| hours.open) {
            Some(period) => tr.t1("hours-open-until", "time", period.local_end.strftime("%H:%M")),
            // R21: after hours, priority requests only.
            None => tr.t("hours-closed-priority-only"),
        };
        Self {
            key: region.key.clone(),
            name: region.name.clone(),
            phone: region.phone.clone(),
            own,
            zone,
            days: days_text(tr, calendar),
            open: hours.open,
            status,
            next_opening: hours.next_opening.map(|period| LocalTime {
                text: local_time_text(tr, period.local_start),
                iso: period.start.to_string(),
            }),
        }
    }
}

fn weekday_name(tr: &Tr, weekday: Weekday) -> String {
    tr.t(&format!("hours-weekday-{}", weekday_key(weekday)))
}

/// `Monday to Friday, 06:00–18:00`.
fn days_text(tr: &Tr, calendar: &BusinessCalendar) -> String {
    let runs: Vec<String> = open_days(calendar)
        .iter()
        .map(|run| {
            let days = if run.first == run.last {
                weekday_name(tr, run.first)
            } else {
                tr.t2(
                    "hours-day-range",
                    ("first", &weekday_name(tr, run.first)),
                    ("last", &weekday_name(tr, run.last)),
                )
            };
            let openings: Vec<String> = run.openings.iter().map(|o| o.to_string().replace('-', "–")).collect();
            tr.t2("hours-days", ("days", &days), ("hours", &openings.join(", ")))
        })
        .collect();
    runs.join("; ")
}

/// `Monday 2026-12-28, 06:00`.
fn local_time_text(tr: &Tr, local: DateTime) -> String {
    tr.t3(
        "hours-local-time",
        ("weekday", &weekday_name(tr, local.weekday())),
        ("date", &local.date().to_string()),
        ("time", &local.strftime("%H:%M").to_string()),
    )
}

/// R21 and R22 for the contact page: the reader's region on their
/// company's calendar, then each other region on the calendar of its first
/// country, in that country's time zone.
fn hours_by_region(state: &AppState, tr: &Tr, caller: &Caller, now: Timestamp) -> Vec<RegionHours> {
    let company = &caller.company;
    let own = state.policy.region_of(&company.country);
    let mut rows = Vec::with_capacity(state.policy.regions.len());
    if let Some(region) = own {
        let calendar = crate::cases::calendar_of(company, now);
        rows.push(RegionHours::new(
            tr,
            region,
            true,
            &calendar,
            company.time_zone.to_string(),
            now,
        ));
    }
    for region in &state.policy.regions {
        if own.is_some_and(|own| own.key == region.key) {
            continue;
        }
        let Some(&country) = region.countries.first() else {
            continue;
        };
        let zone = country.default_time_zone();
        let calendar = country_calendar(country, zone.time_zone(), now);
        rows.push(RegionHours::new(tr, region, false, &calendar, zone.to_string(), now));
    }
    rows
}

pub(super) async fn contact(
    State(state): State<AppState>,
    session: Session,
    MaybeCaller(caller): MaybeCaller,
    cookies: CookieJar,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let Some(caller) = caller else {
        return Ok(Redirect::to("/login?next=/contact").into_response());
    };
    let language = language(Some(&caller), &cookies, &headers);
    let options = match support::support_options(&state, &caller).await {
        Ok(options) => options,
        Err(error) => {
            tracing::error!(%error, "support options");
            return Err(page_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                language,
                "error-internal",
            ));
        }
    };
    let chrome = Chrome::new(&session, Some(&caller), language, "/contact", "contact").await?;
    let page = ContactPage {
        hours: hours_by_region(&state, &chrome.tr, &caller, state.clock.now()),
        explanation: support::explain(&chrome.tr, &options),
        chrome,
        company_name: caller.company.name.as_str().to_owned(),
        refused_for_designation: options.reason == Reason::DesignatedContactRequired,
        is_partner: options.reason == Reason::PartnerUser,
        options,
    };
    Ok(render(&page, StatusCode::OK))
}

#[derive(Debug, Deserialize)]
pub(super) struct LanguageForm {
    #[serde(default)]
    language: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

pub(super) async fn switch_language(
    State(state): State<AppState>,
    session: Session,
    MaybeCaller(caller): MaybeCaller,
    cookies: CookieJar,
    headers: HeaderMap,
    Form(form): Form<LanguageForm>,
) -> Response {
    let current = language(caller.as_ref(), &cookies, &headers);
    if !csrf_valid(&session, &form.csrf).await {
        return page_error(StatusCode::FORBIDDEN, current, "error-csrf");
    }
    let Ok(chosen) = Language::parse(&form.language) else {
        return page_error(StatusCode::BAD_REQUEST, current, "error-language");
    };
    if let Some(caller) = &caller
        && let Err(error) = state
            .store
            .set_language(&caller.user.id, chosen, state.clock.now())
            .await
    {
        tracing::error!(%error, "language");
        return page_error(StatusCode::INTERNAL_SERVER_ERROR, current, "error-internal");
    }
    (language_cookie(chosen), Redirect::to(safe_next(&form.next))).into_response()
}

#[cfg(test)]
mod tests {
    use guichet_domain::calendar::Opening;
    use jiff::civil::date;
    use jiff::tz::TimeZone;

    use super::*;

    #[test]
    fn hours_read_in_each_language() {
        let calendar = BusinessCalendar::standard(TimeZone::get("Europe/Paris").unwrap());
        let en = Tr::new(Language::En);
        let fr = Tr::new(Language::Fr);
        assert_eq!(days_text(&en, &calendar), "Monday to Friday, 06:00–18:00");
        assert_eq!(days_text(&fr, &calendar), "du lundi au vendredi, 06:00–18:00");
        let saturday = calendar.with_hours(Weekday::Saturday, &[Opening::parse("09:00-12:00").unwrap()]);
        assert_eq!(
            days_text(&en, &saturday),
            "Monday to Friday, 06:00–18:00; Saturday, 09:00–12:00"
        );
        let monday = date(2026, 12, 28).at(6, 0, 0, 0);
        assert_eq!(local_time_text(&en, monday), "Monday 2026-12-28, 06:00");
        assert_eq!(local_time_text(&fr, monday), "lundi 2026-12-28 à 06:00");
        for weekday in Weekday::Monday.cycle_forward().take(7) {
            for tr in [en, fr] {
                assert!(
                    tr.has(&format!("hours-weekday-{}", weekday_key(weekday))),
                    "{weekday:?}"
                );
            }
        }
    }
}
