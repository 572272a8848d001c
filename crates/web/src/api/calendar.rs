//! A company's support calendar (R21): its holidays, the days an
//! administrator closed (one by one, or from an iCalendar file of holidays,
//! as Jira Service Management imports them), and SLA due instants previewed
//! on it.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use guichet_domain::company::Company;
use guichet_domain::holidays::HolidayRules;
use guichet_domain::invalid::bounded_text;
use guichet_domain::priority::Priority;
use guichet_domain::sla::{self, Clock, TargetHours, format_duration};
use guichet_domain::{Invalid, InvalidKind};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::companies::readable;
use crate::api::json::ApiJson;
use crate::api::require_administrator;
use crate::auth::Caller;
use crate::cases::{calendar_of, retarget_company_cases};
use crate::error::{ApiError, Problem};

/// At most this many days in one import or one listing.
const MOST_DAYS: usize = 1000;

#[derive(Debug, Serialize, ToSchema)]
pub struct DayView {
    /// `YYYY-MM-DD`, in the company's time zone.
    pub date: String,
    /// The holiday's name, or why the day was closed.
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarView {
    pub time_zone: String,
    pub subdivision: Option<String>,
    /// Monday to Friday, 06:00 to 18:00 local time (R21).
    pub hours: String,
    /// Public holidays in the range, by rule for the country (and
    /// subdivision).
    pub holidays: Vec<DayView>,
    /// Days an administrator closed, in the range.
    pub closures: Vec<DayView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// First day (`YYYY-MM-DD`); default: 1 January of this year.
    pub from: Option<String>,
    /// Last day; default: 31 December of this year.
    pub to: Option<String>,
}

fn date(input: &str, field: &'static str) -> Result<Date, ApiError> {
    input.trim().parse().map_err(|_| ApiError {
        status: StatusCode::BAD_REQUEST,
        ..ApiError::invalid(
            field,
            Invalid::new(
                InvalidKind::Format,
                format!("`{}` is not a YYYY-MM-DD date", input.trim()),
            ),
        )
    })
}

/// A company's support calendar between two days: holidays and closures.
#[utoipa::path(
    get,
    path = "/api/v1/companies/{id}/calendar",
    tag = "companies",
    params(("id" = String, Path), RangeQuery),
    responses(
        (status = 200, body = CalendarView),
        (status = 400, description = "`invalid_from`, `invalid_to`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn company_calendar(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(range): Query<RangeQuery>,
) -> Result<Json<CalendarView>, ApiError> {
    let company = readable(&state, &caller, id).await?;
    let zone = company.time_zone.time_zone();
    let year = zone.to_datetime(state.clock.now()).year();
    let from = match range.from.as_deref() {
        Some(text) => date(text, "from")?,
        None => Date::new(year, 1, 1).map_err(ApiError::internal)?,
    };
    let to = match range.to.as_deref() {
        Some(text) => date(text, "to")?,
        None => Date::new(year, 12, 31).map_err(ApiError::internal)?,
    };
    if to < from || from.until(to).map_or(true, |span| span.get_days() > 3660) {
        return Err(ApiError {
            status: StatusCode::BAD_REQUEST,
            ..ApiError::invalid(
                "to",
                Invalid::new(InvalidKind::Format, "the range is one day to ten years"),
            )
        });
    }
    let mut holidays = Vec::new();
    if let Ok(rules) = HolidayRules::new(company.country, company.subdivision.as_deref()) {
        for year in from.year()..=to.year() {
            for holiday in rules.in_year(year) {
                if holiday.date >= from && holiday.date <= to {
                    holidays.push(DayView {
                        date: holiday.date.to_string(),
                        name: holiday.name.to_owned(),
                    });
                }
            }
        }
    }
    let closures = state
        .store
        .closures(&company.id)
        .await?
        .into_iter()
        .filter(|(day, _)| *day >= from && *day <= to)
        .map(|(day, reason)| DayView {
            date: day.to_string(),
            name: reason,
        })
        .collect();
    Ok(Json(CalendarView {
        time_zone: company.time_zone.to_string(),
        subdivision: company.subdivision.clone(),
        hours: "Monday-Friday 06:00-18:00".into(),
        holidays,
        closures,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureInput {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClosuresAdded {
    /// How many of the days were not closed already.
    pub added: u64,
    pub dates: Vec<String>,
}

/// After the calendar changed: recorded (R26), and the company's open
/// clocks follow it.
async fn calendar_changed(state: &AppState, caller: &Caller, before: &Company, what: String) -> Result<(), ApiError> {
    crate::cases::record(
        state,
        caller,
        "company.calendar_changed",
        ("company", &before.id.0),
        Some(&before.id),
        what,
    )
    .await?;
    let after = state.store.company(&before.id).await?.ok_or_else(ApiError::not_found)?;
    retarget_company_cases(state, before, &after).await?;
    Ok(())
}

/// Close one day of a company's calendar (vendor administrators).
#[utoipa::path(
    post,
    path = "/api/v1/companies/{id}/closures",
    tag = "companies",
    params(("id" = String, Path)),
    request_body = ClosureInput,
    responses(
        (status = 201, body = ClosuresAdded),
        (status = 403, description = "`administrator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_date`, `invalid_reason`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn add_closure(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ClosureInput>,
) -> Result<(StatusCode, Json<ClosuresAdded>), ApiError> {
    let company = readable(&state, &caller, id).await?;
    require_administrator(&caller)?;
    let day: Date = input.date.trim().parse().map_err(|_| {
        ApiError::invalid(
            "date",
            Invalid::new(
                InvalidKind::Format,
                format!("`{}` is not a YYYY-MM-DD date", input.date.trim()),
            ),
        )
    })?;
    let reason = bounded_text(&input.reason, "the reason", 200).map_err(|e| ApiError::invalid("reason", e))?;
    let added = state.store.add_closures(&company.id, &[(day, reason)]).await?;
    calendar_changed(&state, &caller, &company, format!("closed {day}")).await?;
    Ok((
        StatusCode::CREATED,
        Json(ClosuresAdded {
            added,
            dates: vec![day.to_string()],
        }),
    ))
}

/// Open a closed day again (vendor administrators).
#[utoipa::path(
    delete,
    path = "/api/v1/companies/{id}/closures/{date}",
    tag = "companies",
    params(("id" = String, Path), ("date" = String, Path, description = "YYYY-MM-DD")),
    responses(
        (status = 204, description = "Open again"),
        (status = 403, description = "`administrator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such company, or the day was not closed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn remove_closure(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, day)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let company = readable(&state, &caller, id).await?;
    require_administrator(&caller)?;
    let day: Date = day.trim().parse().map_err(|_| ApiError::not_found())?;
    if !state.store.remove_closure(&company.id, day).await? {
        return Err(ApiError::not_found());
    }
    calendar_changed(&state, &caller, &company, format!("opened {day}")).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The days an iCalendar file's events cover: all-day events from
/// `DTSTART` up to their (exclusive) `DTEND`; timed events on their start's
/// date.
fn event_days(ics: &str) -> Result<Vec<(Date, String)>, String> {
    let unfolded = icalendar::parser::unfold(ics);
    let calendar = icalendar::parser::read_calendar(&unfolded)?;
    let mut days = Vec::new();
    for event in calendar.components.iter().filter(|c| c.name.as_str() == "VEVENT") {
        let summary = event
            .find_prop("SUMMARY")
            .map_or("Closed", |p| p.val.as_str())
            .trim()
            .to_owned();
        let day_of = |name: &str| -> Option<Result<Date, String>> {
            let value = event.find_prop(name)?.val.as_str().trim().to_owned();
            let digits: String = value.chars().take(8).collect();
            Some(Date::strptime("%Y%m%d", &digits).map_err(|_| format!("{name} `{value}` is not an iCalendar date")))
        };
        let Some(start) = day_of("DTSTART") else {
            return Err("an event has no DTSTART".into());
        };
        let start = start?;
        let all_day = event
            .find_prop("DTSTART")
            .is_some_and(|p| p.val.as_str().trim().len() == 8);
        let end = match day_of("DTEND") {
            Some(end) if all_day => end?,
            _ => start.tomorrow().map_err(|e| e.to_string())?,
        };
        let mut day = start;
        while day < end {
            if days.len() >= MOST_DAYS {
                return Err(format!("the file covers more than {MOST_DAYS} days"));
            }
            days.push((day, summary.chars().take(200).collect::<String>()));
            day = day.tomorrow().map_err(|e| e.to_string())?;
        }
    }
    if days.is_empty() {
        return Err("the file has no events".into());
    }
    Ok(days)
}

/// Close every day an iCalendar file of holidays lists (vendor
/// administrators). Send the file as the body (`text/calendar`).
#[utoipa::path(
    post,
    path = "/api/v1/companies/{id}/closures/import",
    tag = "companies",
    params(("id" = String, Path)),
    request_body(content = String, content_type = "text/calendar"),
    responses(
        (status = 201, body = ClosuresAdded),
        (status = 403, description = "`administrator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_calendar`: not iCalendar, no events, or too many days", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn import_closures(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: String,
) -> Result<(StatusCode, Json<ClosuresAdded>), ApiError> {
    let company = readable(&state, &caller, id).await?;
    require_administrator(&caller)?;
    let days =
        event_days(&body).map_err(|why| ApiError::invalid("calendar", Invalid::new(InvalidKind::Format, why)))?;
    let added = state.store.add_closures(&company.id, &days).await?;
    calendar_changed(&state, &caller, &company, format!("imported {} days", days.len())).await?;
    Ok((
        StatusCode::CREATED,
        Json(ClosuresAdded {
            added,
            dates: days.iter().map(|(d, _)| d.to_string()).collect(),
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// The company's id.
    pub company: String,
    /// `P1` … `P4`.
    pub priority: String,
    /// RFC 3339; default now.
    pub start: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DueView {
    /// `first_response` or `next_update`.
    pub clock: String,
    /// The target, such as `8h`.
    pub target: String,
    /// `business` or `around_the_clock`.
    pub hours: String,
    /// RFC 3339 UTC.
    pub due_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewView {
    pub company: String,
    pub tier: String,
    pub priority: String,
    pub start: String,
    pub due: Vec<DueView>,
}

/// When a case of a priority opened at an instant would be due, on the
/// company's calendar and contract: the same answers as
/// `guichet sla due`.
#[utoipa::path(
    post,
    path = "/api/v1/sla/preview",
    tag = "cases",
    request_body = PreviewRequest,
    responses(
        (status = 200, body = PreviewView),
        (status = 404, description = "`not_found`: no such company, or not the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_priority`, `invalid_start`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<PreviewRequest>,
) -> Result<Json<PreviewView>, ApiError> {
    let company = readable(&state, &caller, request.company).await?;
    let priority = Priority::parse(&request.priority).map_err(|e| ApiError::invalid("priority", e))?;
    let start: Timestamp = match request.start.as_deref() {
        Some(text) => text.trim().parse().map_err(|_| {
            ApiError::invalid(
                "start",
                Invalid::new(
                    InvalidKind::Format,
                    format!("`{}` is not an RFC 3339 instant", text.trim()),
                ),
            )
        })?,
        None => state.clock.now(),
    };
    let calendar = calendar_of(&company, start);
    let tier = company.sla_tier.as_str();
    let due = [Clock::FirstResponse, Clock::NextUpdate]
        .into_iter()
        .filter_map(|clock| {
            state
                .settings
                .sla
                .target(tier, priority, clock)
                .map(|target| (clock, target))
        })
        .map(|(clock, target)| DueView {
            clock: match clock {
                Clock::FirstResponse => "first_response",
                Clock::NextUpdate => "next_update",
            }
            .to_owned(),
            target: format_duration(target.duration),
            hours: match target.hours {
                TargetHours::Business => "business",
                TargetHours::AroundTheClock => "around_the_clock",
            }
            .to_owned(),
            due_at: sla::due(&calendar, &target, start).map(|at| at.to_string()),
        })
        .collect();
    Ok(Json(PreviewView {
        company: company.id.0.clone(),
        tier: tier.to_owned(),
        priority: priority.as_str().to_owned(),
        start: start.to_string(),
        due,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_day_events_close_their_days_and_timed_ones_their_start() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n\
                   BEGIN:VEVENT\r\nUID:1\r\nDTSTART;VALUE=DATE:20261224\r\nDTEND;VALUE=DATE:20261227\r\nSUMMARY:Winter break\r\nEND:VEVENT\r\n\
                   BEGIN:VEVENT\r\nUID:2\r\nDTSTART:20261231T120000Z\r\nDTEND:20261231T180000Z\r\nSUMMARY:Inventory\r\nEND:VEVENT\r\n\
                   END:VCALENDAR\r\n";
        let days = event_days(ics).unwrap();
        let dates: Vec<String> = days.iter().map(|(d, _)| d.to_string()).collect();
        assert_eq!(dates, ["2026-12-24", "2026-12-25", "2026-12-26", "2026-12-31"]);
        assert_eq!(days[0].1, "Winter break");
    }

    #[test]
    fn bad_files_say_why() {
        assert!(event_days("not a calendar").is_err());
        assert!(
            event_days("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")
                .unwrap_err()
                .contains("no events")
        );
        let huge = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20200101\r\nDTEND;VALUE=DATE:20300101\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert!(event_days(huge).unwrap_err().contains("more than"));
    }
}
