//! Support hours and phone lines (R21, R22), for anyone: whether support is
//! open in a country, its current or next opening, and the line to call.
//! The portal's "Contact support" page reads the same answer.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum_extra::extract::CookieJar;
use guichet_domain::calendar::{BusinessCalendar, OpenPeriod, Opening};
use guichet_domain::contact::SupportRegion;
use guichet_domain::country::CountryCode;
use guichet_domain::holidays::{self, HolidayRules};
use guichet_domain::{Invalid, InvalidKind};
use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::MaybeCaller;
use crate::error::{ApiError, Problem};
use crate::i18n::Tr;
use crate::portal::language;

/// R21 in a country: its standard calendar closed on its public holidays
/// around `at`, or without holidays where Guichet has no rules for them.
pub(crate) fn country_calendar(country: CountryCode, zone: TimeZone, at: Timestamp) -> BusinessCalendar {
    let year = zone.to_datetime(at).year();
    holidays::calendar_or_standard(country, zone, None, year - 1..=year + 1)
}

/// Whether support is open at one instant, and its openings around it.
pub(crate) struct HoursNow {
    pub open: bool,
    /// The opening under way, or else the next one.
    pub period: Option<OpenPeriod>,
    /// The first opening that starts after the instant.
    pub next_opening: Option<OpenPeriod>,
    /// When support next opens or closes.
    pub next_change: Option<Timestamp>,
}

impl HoursNow {
    pub(crate) fn at(calendar: &BusinessCalendar, at: Timestamp) -> Self {
        let open = calendar.is_open(at);
        let mut periods = calendar.open_periods(at);
        let period = periods.next();
        Self {
            open,
            next_opening: if open { periods.next() } else { period },
            period,
            next_change: calendar.next_change(at),
        }
    }
}

/// Weekdays in a row with the same openings: Monday to Friday, 06:00–18:00.
pub(crate) struct OpenDays {
    pub first: Weekday,
    pub last: Weekday,
    pub openings: Vec<Opening>,
}

/// A calendar's week, Monday first, as runs of days with the same openings.
pub(crate) fn open_days(calendar: &BusinessCalendar) -> Vec<OpenDays> {
    let mut runs: Vec<OpenDays> = Vec::new();
    for weekday in Weekday::Monday.cycle_forward().take(7) {
        let openings = calendar.hours(weekday);
        match runs.last_mut() {
            Some(run) if run.last.next() == weekday && run.openings == openings => run.last = weekday,
            _ if openings.is_empty() => {}
            _ => runs.push(OpenDays {
                first: weekday,
                last: weekday,
                openings: openings.to_vec(),
            }),
        }
    }
    runs
}

pub(crate) fn weekday_key(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Monday => "monday",
        Weekday::Tuesday => "tuesday",
        Weekday::Wednesday => "wednesday",
        Weekday::Thursday => "thursday",
        Weekday::Friday => "friday",
        Weekday::Saturday => "saturday",
        Weekday::Sunday => "sunday",
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HoursQuery {
    /// ISO 3166-1 alpha-2 country code (`FR`, `US`).
    pub country: Option<String>,
    /// The instant to answer for, RFC 3339 (`2026-12-01T09:00:00Z`; write a
    /// `+` offset as `%2B`). Default: now.
    pub at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupportHoursView {
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// The country's IANA time zone, in which `local_*` times are read.
    pub time_zone: String,
    /// The instant answered for (RFC 3339, UTC).
    pub at: String,
    pub open: bool,
    /// R21: after hours, support takes only priority requests.
    pub priority_only: bool,
    /// The opening under way when open, else the next one.
    pub interval: Option<OpenIntervalView>,
    /// When support next opens or closes (RFC 3339, UTC).
    pub next_change: Option<String>,
    /// The public holiday of the local date, if it is one (in English).
    pub holiday: Option<String>,
    /// The weekly openings, in local time.
    pub weekly_hours: Vec<OpenDaysView>,
    /// The support region serving the country; `null` when none does.
    pub region: Option<RegionView>,
    /// The region's support line (R22); `null` when no region serves the country.
    pub phone: Option<String>,
    /// R22's best practice, in the caller's language (their preference when
    /// signed in, else `Accept-Language`).
    pub advice: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenIntervalView {
    /// RFC 3339, UTC.
    pub start: String,
    /// RFC 3339, UTC.
    pub end: String,
    /// Local date and time, without offset (`2026-12-01T06:00:00`).
    pub local_start: String,
    pub local_end: String,
}

impl From<&OpenPeriod> for OpenIntervalView {
    fn from(period: &OpenPeriod) -> Self {
        Self {
            start: period.start.to_string(),
            end: period.end.to_string(),
            local_start: period.local_start.to_string(),
            local_end: period.local_end.to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenDaysView {
    /// `monday` … `sunday`.
    pub from: String,
    pub to: String,
    /// Local openings, `06:00-18:00`.
    pub hours: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegionView {
    pub key: String,
    pub name: String,
}

impl From<&SupportRegion> for RegionView {
    fn from(region: &SupportRegion) -> Self {
        Self {
            key: region.key.clone(),
            name: region.name.clone(),
        }
    }
}

fn bad_query(field: &str, invalid: Invalid) -> ApiError {
    ApiError {
        status: StatusCode::BAD_REQUEST,
        ..ApiError::invalid(field, invalid)
    }
}

/// Reads `at` as RFC 3339. An unencoded `+` of the offset arrives as a
/// space, which is never valid there: it is read as the `+` it was.
fn parse_at(text: &str) -> Result<Timestamp, Invalid> {
    let text = text.trim();
    text.parse().or_else(|_| text.replace(' ', "+").parse()).map_err(|_| {
        Invalid::new(
            InvalidKind::Format,
            format!("`{text}` is not an RFC 3339 instant such as 2026-12-01T09:00:00Z"),
        )
    })
}

fn holiday_on(country: CountryCode, date: Date) -> Option<String> {
    let rules = HolidayRules::new(country, None).ok()?;
    let holiday = rules
        .in_year(date.year())
        .into_iter()
        .find(|holiday| holiday.date == date)?;
    Some(holiday.name.to_owned())
}

/// Whether support is open in a country (R21), until when or from when, and
/// the phone line of the country's region (R22). Anyone may ask.
#[utoipa::path(
    get,
    path = "/api/v1/support/hours",
    tag = "support",
    security((), ("bearer" = [])),
    params(HoursQuery),
    responses(
        (status = 200, body = SupportHoursView),
        (status = 400, description = "`invalid_country`, `unknown_country`, `invalid_at`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn hours(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    cookies: CookieJar,
    headers: HeaderMap,
    Query(query): Query<HoursQuery>,
) -> Result<Json<SupportHoursView>, ApiError> {
    let country = match query.country.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => CountryCode::parse(code).map_err(|e| bad_query("country", e))?,
        None => {
            return Err(bad_query(
                "country",
                Invalid::new(InvalidKind::Empty, "name a country: ?country=FR"),
            ));
        }
    };
    let at = match query.at.as_deref() {
        Some(text) => parse_at(text).map_err(|e| bad_query("at", e))?,
        None => state.clock.now(),
    };
    let zone_name = country.default_time_zone();
    let zone = zone_name.time_zone();
    let calendar = country_calendar(country, zone.clone(), at);
    let now = HoursNow::at(&calendar, at);
    let region = state.policy.region_of(&country);
    let tr = Tr::new(language(caller.as_ref(), &cookies, &headers));
    Ok(Json(SupportHoursView {
        country: country.as_str().to_owned(),
        time_zone: zone_name.to_string(),
        at: at.to_string(),
        open: now.open,
        // R21: after hours, priority requests only.
        priority_only: !now.open,
        interval: now.period.as_ref().map(OpenIntervalView::from),
        next_change: now.next_change.map(|change| change.to_string()),
        holiday: holiday_on(country, zone.to_datetime(at).date()),
        weekly_hours: open_days(&calendar)
            .iter()
            .map(|run| OpenDaysView {
                from: weekday_key(run.first).to_owned(),
                to: weekday_key(run.last).to_owned(),
                hours: run.openings.iter().map(Opening::to_string).collect(),
            })
            .collect(),
        region: region.map(RegionView::from),
        phone: region.map(|region| region.phone.clone()),
        advice: tr.t("contact-phone-advice"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> TimeZone {
        TimeZone::get("Europe/Paris").unwrap()
    }

    #[test]
    fn the_standard_week_is_one_run_monday_to_friday() {
        let runs = open_days(&BusinessCalendar::standard(paris()));
        assert_eq!(runs.len(), 1);
        assert_eq!((runs[0].first, runs[0].last), (Weekday::Monday, Weekday::Friday));
        assert_eq!(runs[0].openings, [Opening::STANDARD]);
        let saturdays = BusinessCalendar::standard(paris())
            .with_hours(Weekday::Wednesday, &[])
            .with_hours(Weekday::Saturday, &[Opening::parse("09:00-12:00").unwrap()]);
        let runs: Vec<_> = open_days(&saturdays).iter().map(|r| (r.first, r.last)).collect();
        assert_eq!(
            runs,
            [
                (Weekday::Monday, Weekday::Tuesday),
                (Weekday::Thursday, Weekday::Friday),
                (Weekday::Saturday, Weekday::Saturday)
            ]
        );
    }

    #[test]
    fn hours_now_gives_the_current_opening_and_the_next() {
        let fr = CountryCode::parse("FR").unwrap();
        let tuesday: Timestamp = "2026-12-01T09:00:00Z".parse().unwrap();
        let now = HoursNow::at(&country_calendar(fr, paris(), tuesday), tuesday);
        assert!(now.open);
        assert_eq!(now.period.unwrap().start.to_string(), "2026-12-01T05:00:00Z");
        assert_eq!(now.next_opening.unwrap().start.to_string(), "2026-12-02T05:00:00Z");
        assert_eq!(now.next_change.unwrap().to_string(), "2026-12-01T17:00:00Z");
        // Christmas Day 2026 is a Friday: closed until Monday the 28th.
        let christmas: Timestamp = "2026-12-25T09:00:00Z".parse().unwrap();
        let now = HoursNow::at(&country_calendar(fr, paris(), christmas), christmas);
        assert!(!now.open);
        assert_eq!(now.period.unwrap().start, now.next_opening.unwrap().start);
        assert_eq!(now.next_opening.unwrap().start.to_string(), "2026-12-28T05:00:00Z");
        // A country without holiday rules still gets R21's week.
        let jp = CountryCode::parse("JP").unwrap();
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        assert!(country_calendar(jp, tokyo, christmas).is_open("2026-12-25T00:00:00Z".parse().unwrap()));
    }

    #[test]
    fn at_reads_rfc_3339_with_an_unencoded_plus() {
        let expected: Timestamp = "2026-12-01T09:00:00Z".parse().unwrap();
        assert_eq!(parse_at("2026-12-01T10:00:00+01:00").unwrap(), expected);
        assert_eq!(parse_at("2026-12-01T10:00:00 01:00").unwrap(), expected);
        assert!(parse_at("2026-12-01").is_err());
        assert!(parse_at("tomorrow").is_err());
    }
}
