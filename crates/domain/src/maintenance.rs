//! Maintenance windows (R23): weekly windows in a product's time zone
//! (Financials every Friday 19:30–23:30 Pacific; Intelligent Time every
//! Saturday 23:00–01:00 Pacific, across midnight), one-off planned
//! maintenance, skipped occurrences, and the life of each occurrence.
//!
//! A weekly window keeps its local start time across daylight-saving
//! changes: 19:30 Pacific is 03:30 UTC in winter and 02:30 UTC in summer.
//! Its duration is real elapsed time, as an iCalendar `DURATION` is, so a
//! window spanning a change would end an hour earlier or later on the
//! clock; none of the demo's does (US changes happen at 02:00 on Sundays).
//! A local start the clocks skip or show twice is read as RFC 5545 reads
//! it (jiff's `compatible`): inside a gap with the offset before the gap,
//! inside a fold as its first occurrence.

use std::collections::BTreeSet;
use std::fmt;

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::country::TimeZoneName;
use crate::product::ProductKey;
use crate::status::ComponentKey;
use crate::{Invalid, InvalidKind};

/// The longest window: a week (a weekly window longer than that would
/// overlap itself).
pub const MAX_DURATION: SignedDuration = SignedDuration::from_hours(24 * 7);

/// Every week on one weekday, from a local start time, for a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklyRule {
    pub weekday: Weekday,
    pub start: Time,
    pub duration: SignedDuration,
}

impl WeeklyRule {
    /// A rule from a start and a duration (positive, at most a week).
    pub fn new(weekday: Weekday, start: Time, duration: SignedDuration) -> Result<Self, Invalid> {
        if duration <= SignedDuration::ZERO || duration > MAX_DURATION {
            return Err(Invalid::new(
                InvalidKind::Format,
                "a window lasts more than nothing and at most a week",
            ));
        }
        Ok(Self {
            weekday,
            start,
            duration,
        })
    }

    /// A rule from a start and an end local time: an end at or before the
    /// start is on the next day (23:00–01:00 ends at 01:00 the day after).
    pub fn from_times(weekday: Weekday, start: Time, end: Time) -> Result<Self, Invalid> {
        let mut duration = end.duration_since(start);
        if duration <= SignedDuration::ZERO {
            duration += SignedDuration::from_hours(24);
        }
        Self::new(weekday, start, duration)
    }

    /// The local end time (01:00 for 23:00 plus two hours).
    pub fn end(&self) -> Time {
        self.start.wrapping_add(self.duration)
    }
}

/// Parses `monday` … `sunday` (or their first three letters).
pub fn parse_weekday(input: &str) -> Result<Weekday, Invalid> {
    let name = input.trim().to_ascii_lowercase();
    Weekday::Monday
        .cycle_forward()
        .take(7)
        .find(|day| {
            let full = weekday_name(*day);
            name == full || (name.len() == 3 && full.starts_with(&name))
        })
        .ok_or_else(|| Invalid::new(InvalidKind::Format, format!("`{}` is not a weekday", input.trim())))
}

pub fn weekday_name(weekday: Weekday) -> &'static str {
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

/// Parses a local time of day, `19:30` or `19:30:00`.
pub fn parse_time(input: &str) -> Result<Time, Invalid> {
    input.trim().parse().map_err(|_| {
        Invalid::new(
            InvalidKind::Format,
            format!("`{}` is not a time such as 19:30", input.trim()),
        )
    })
}

/// When a window happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// Every week, from the first occurrence at or after `from`, until
    /// `until` (exclusive) if the rule was retired; `skipped` holds the
    /// start instants of the occurrences called off.
    Weekly {
        rule: WeeklyRule,
        from: Timestamp,
        until: Option<Timestamp>,
        skipped: BTreeSet<Timestamp>,
    },
    /// Once, `[start, end)`.
    Once { start: Timestamp, end: Timestamp },
}

/// Where a window (or one occurrence of a weekly one) is in its life:
/// `scheduled` → `in_progress` → `completed`, or `cancelled`. The times
/// move it along; operators cancel, skip, or end it early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowLife {
    Scheduled,
    InProgress,
    Completed,
    Cancelled,
}

impl WindowLife {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }

    /// The life of `[start, end)` at `now`, unless called off.
    pub fn at(start: Timestamp, end: Timestamp, cancelled: bool, now: Timestamp) -> Self {
        if cancelled {
            Self::Cancelled
        } else if now < start {
            Self::Scheduled
        } else if now < end {
            Self::InProgress
        } else {
            Self::Completed
        }
    }
}

/// Planned maintenance of a product: weekly or one-off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceWindow {
    pub id: String,
    pub product: ProductKey,
    pub title: String,
    pub description: String,
    /// The components it takes down; none means the whole product.
    pub components: Vec<ComponentKey>,
    /// The zone its local times are read in (the product's).
    pub zone: TimeZoneName,
    pub schedule: Schedule,
    /// A one-off window an operator called off.
    pub cancelled_at: Option<Timestamp>,
    /// A one-off window an operator ended before its planned end.
    pub completed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One occurrence of a window, as real instants and as local times in the
/// window's zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub window: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub local_start: DateTime,
    pub local_end: DateTime,
    pub life: WindowLife,
    pub recurring: bool,
}

/// A message an operator posts on a window (on one occurrence of a weekly
/// window, or on the whole window).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceUpdate {
    pub id: String,
    pub window: String,
    /// The start of the occurrence it is about, for weekly windows.
    pub occurrence: Option<Timestamp>,
    pub at: Timestamp,
    pub body: String,
}

/// Why a window cannot change as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("no occurrence of this window starts then")]
    NoSuchOccurrence,
    #[error("the window is over or cancelled")]
    Over,
    #[error("only a one-off window can be ended early; skip an occurrence of a weekly one")]
    NotOneOff,
}

impl fmt::Display for WeeklyRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}–{}",
            weekday_name(self.weekday),
            self.start.strftime("%H:%M"),
            self.end().strftime("%H:%M")
        )
    }
}

/// The instant a local time names in `zone`, read as RFC 5545 reads it.
fn instant(zone: &TimeZone, local: DateTime) -> Option<Timestamp> {
    zone.to_ambiguous_timestamp(local).compatible().ok()
}

impl MaintenanceWindow {
    pub fn is_recurring(&self) -> bool {
        matches!(self.schedule, Schedule::Weekly { .. })
    }

    /// The occurrences that overlap `[from, to)`, in order, with their
    /// life at `now`. Skipped and cancelled ones are there as `cancelled`.
    pub fn occurrences(&self, from: Timestamp, to: Timestamp, now: Timestamp) -> Vec<Occurrence> {
        let zone = self.zone.time_zone();
        let occurrence = |start: Timestamp, end: Timestamp, cancelled: bool| Occurrence {
            window: self.id.clone(),
            start,
            end,
            local_start: zone.to_datetime(start),
            local_end: zone.to_datetime(end),
            life: WindowLife::at(start, end, cancelled, now),
            recurring: self.is_recurring(),
        };
        match &self.schedule {
            Schedule::Once { start, end } => {
                let end = self.completed_at.map_or(*end, |done| done.clamp(*start, *end));
                if end > from && *start < to {
                    vec![occurrence(*start, end, self.cancelled_at.is_some())]
                } else {
                    Vec::new()
                }
            }
            Schedule::Weekly {
                rule,
                from: effective,
                until,
                skipped,
            } => weekly_starts(&zone, rule, from.max(*effective) - rule.duration)
                .take_while(|start| *start < to)
                .take_while(|start| until.is_none_or(|until| *start < until))
                .filter(|start| *start >= *effective)
                .map(|start| (start, start + rule.duration))
                .filter(|(_, end)| *end > from)
                .map(|(start, end)| occurrence(start, end, skipped.contains(&start)))
                .collect(),
        }
    }

    /// The first occurrence's start (a weekly window's iCalendar DTSTART).
    pub fn first_start(&self) -> Option<Timestamp> {
        match &self.schedule {
            Schedule::Once { start, .. } => Some(*start),
            Schedule::Weekly { rule, from, until, .. } => weekly_starts(&self.zone.time_zone(), rule, *from)
                .find(|start| start >= from)
                .filter(|start| until.is_none_or(|until| *start < until)),
        }
    }

    /// The occurrence starting at `start`, or the one whose local start
    /// falls on `date`, if any.
    pub fn find_occurrence(&self, start: Option<Timestamp>, date: Option<Date>) -> Option<Timestamp> {
        let Schedule::Weekly { rule, from, until, .. } = &self.schedule else {
            return None;
        };
        let zone = self.zone.time_zone();
        let probe = match (start, date) {
            (Some(start), _) => start,
            (None, Some(date)) => instant(&zone, date.to_datetime(rule.start))?,
            (None, None) => return None,
        };
        weekly_starts(&zone, rule, probe - SignedDuration::from_hours(24))
            .take_while(|candidate| *candidate <= probe + SignedDuration::from_hours(24))
            .find(|candidate| *candidate == probe)
            .filter(|candidate| candidate >= from && until.is_none_or(|until| *candidate < until))
    }

    /// Calls off one occurrence of a weekly window (an iCalendar EXDATE).
    pub fn skip(&mut self, start: Timestamp, now: Timestamp) -> Result<(), WindowError> {
        if self.find_occurrence(Some(start), None).is_none() {
            return Err(WindowError::NoSuchOccurrence);
        }
        let Schedule::Weekly { skipped, .. } = &mut self.schedule else {
            return Err(WindowError::NoSuchOccurrence);
        };
        skipped.insert(start);
        self.updated_at = now;
        Ok(())
    }

    /// Cancels a one-off window that has not ended, or retires a weekly
    /// one: no occurrence starts from now on.
    pub fn cancel(&mut self, now: Timestamp) -> Result<(), WindowError> {
        match &mut self.schedule {
            Schedule::Once { end, .. } => {
                if self.cancelled_at.is_some() || self.completed_at.is_some() || *end <= now {
                    return Err(WindowError::Over);
                }
                self.cancelled_at = Some(now);
            }
            Schedule::Weekly { until, .. } => {
                if until.is_some_and(|until| until <= now) {
                    return Err(WindowError::Over);
                }
                *until = Some(now);
                self.cancelled_at = Some(now);
            }
        }
        self.updated_at = now;
        Ok(())
    }

    /// Ends a one-off window under way before its planned end.
    pub fn complete(&mut self, now: Timestamp) -> Result<(), WindowError> {
        let Schedule::Once { start, end } = &self.schedule else {
            return Err(WindowError::NotOneOff);
        };
        if self.cancelled_at.is_some() || self.completed_at.is_some() || *end <= now {
            return Err(WindowError::Over);
        }
        self.completed_at = Some(now.max(*start));
        self.updated_at = now;
        Ok(())
    }
}

/// The starts of a weekly rule from the local day before `after`'s
/// onwards (callers filter), for ever.
fn weekly_starts<'a>(
    zone: &'a TimeZone,
    rule: &'a WeeklyRule,
    after: Timestamp,
) -> impl Iterator<Item = Timestamp> + 'a {
    let day = zone.to_datetime(after).date().yesterday().unwrap_or(Date::MIN);
    let ahead = i32::from(rule.weekday.since(day.weekday()));
    let first = day.checked_add(jiff::Span::new().days(ahead)).ok();
    std::iter::successors(first, |date| date.checked_add(jiff::Span::new().weeks(1)).ok())
        .filter_map(move |date| instant(zone, date.to_datetime(rule.start)))
}

/// Every occurrence of `windows` overlapping `[from, to)`, by start.
pub fn expand(windows: &[MaintenanceWindow], from: Timestamp, to: Timestamp, now: Timestamp) -> Vec<Occurrence> {
    let mut all: Vec<Occurrence> = windows
        .iter()
        .flat_map(|window| window.occurrences(from, to, now))
        .collect();
    all.sort_by(|a, b| (a.start, &a.window).cmp(&(b.start, &b.window)));
    all
}

/// The next `count` occurrences that end after `after` and are not called
/// off, by start. Looks up to ten years ahead.
pub fn next(windows: &[MaintenanceWindow], after: Timestamp, count: usize, now: Timestamp) -> Vec<Occurrence> {
    let mut found = Vec::new();
    let mut from = after;
    // A year at a time, so a weekly rule is not walked for ten years when
    // three occurrences are asked for.
    for _ in 0..10 {
        let to = from + SignedDuration::from_hours(24 * 366);
        found.extend(
            expand(windows, from, to, now)
                .into_iter()
                .filter(|o| o.life != WindowLife::Cancelled),
        );
        found.sort_by(|a, b| (a.start, &a.window).cmp(&(b.start, &b.window)));
        found.dedup_by(|a, b| a.start == b.start && a.window == b.window);
        if found.len() >= count {
            break;
        }
        from = to;
    }
    found.truncate(count);
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};
    use proptest::prelude::*;

    const PACIFIC: &str = "America/Los_Angeles";

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn weekly(id: &str, rule: WeeklyRule) -> MaintenanceWindow {
        MaintenanceWindow {
            id: id.into(),
            product: ProductKey::parse(id).unwrap(),
            title: "Weekly maintenance".into(),
            description: String::new(),
            components: Vec::new(),
            zone: TimeZoneName::parse(PACIFIC).unwrap(),
            schedule: Schedule::Weekly {
                rule,
                from: at("1990-01-01T00:00:00Z"),
                until: None,
                skipped: BTreeSet::new(),
            },
            cancelled_at: None,
            completed_at: None,
            created_at: at("2020-01-01T00:00:00Z"),
            updated_at: at("2020-01-01T00:00:00Z"),
        }
    }

    /// R23: Financials, every Friday 19:30–23:30 Pacific.
    fn financials() -> MaintenanceWindow {
        weekly(
            "financials",
            WeeklyRule::from_times(Weekday::Friday, time(19, 30, 0, 0), time(23, 30, 0, 0)).unwrap(),
        )
    }

    /// R23: Intelligent Time, every Saturday 23:00–01:00 Pacific.
    fn intelligent_time() -> MaintenanceWindow {
        weekly(
            "time",
            WeeklyRule::from_times(Weekday::Saturday, time(23, 0, 0, 0), time(1, 0, 0, 0)).unwrap(),
        )
    }

    fn utc(occurrences: &[Occurrence]) -> Vec<(String, String)> {
        occurrences
            .iter()
            .map(|o| (o.start.to_string(), o.end.to_string()))
            .collect()
    }

    #[test]
    fn r23_financials_keeps_1930_pacific_on_both_sides_of_the_march_change() {
        // 2026: clocks go forward on Sunday 8 March.
        let now = at("2026-01-01T00:00:00Z");
        let windows = financials().occurrences(at("2026-03-06T00:00:00Z"), at("2026-03-21T00:00:00Z"), now);
        assert_eq!(
            utc(&windows),
            [
                ("2026-03-07T03:30:00Z".into(), "2026-03-07T07:30:00Z".into()),
                ("2026-03-14T02:30:00Z".into(), "2026-03-14T06:30:00Z".into()),
            ]
        );
        for window in &windows {
            assert_eq!(window.local_start.time(), time(19, 30, 0, 0));
            assert_eq!(window.local_end.time(), time(23, 30, 0, 0));
            assert_eq!(window.local_start.weekday(), Weekday::Friday);
        }
    }

    #[test]
    fn r23_financials_keeps_1930_pacific_on_both_sides_of_the_november_change() {
        // 2026: clocks go back on Sunday 1 November.
        let now = at("2026-01-01T00:00:00Z");
        let windows = financials().occurrences(at("2026-10-30T00:00:00Z"), at("2026-11-14T00:00:00Z"), now);
        assert_eq!(
            utc(&windows),
            [
                ("2026-10-31T02:30:00Z".into(), "2026-10-31T06:30:00Z".into()),
                ("2026-11-07T03:30:00Z".into(), "2026-11-07T07:30:00Z".into()),
            ]
        );
    }

    #[test]
    fn r23_intelligent_time_crosses_midnight_in_winter_and_summer() {
        let now = at("2026-01-01T00:00:00Z");
        let it = intelligent_time();
        // Saturday 7 March 23:00 PST → Sunday 8 March 01:00 PST, an hour
        // before that night's change; a week later it is summer time.
        let march = it.occurrences(at("2026-03-07T00:00:00Z"), at("2026-03-16T00:00:00Z"), now);
        assert_eq!(
            utc(&march),
            [
                ("2026-03-08T07:00:00Z".into(), "2026-03-08T09:00:00Z".into()),
                ("2026-03-15T06:00:00Z".into(), "2026-03-15T08:00:00Z".into()),
            ]
        );
        assert_eq!(march[0].local_end, date(2026, 3, 8).at(1, 0, 0, 0));
        assert_eq!(march[0].local_end.weekday(), Weekday::Sunday);
        // Saturday 31 October 23:00 PDT → Sunday 1 November 01:00 PDT (the
        // first 01:00: the clocks go back at 02:00), then winter.
        let november = it.occurrences(at("2026-10-31T00:00:00Z"), at("2026-11-09T00:00:00Z"), now);
        assert_eq!(
            utc(&november),
            [
                ("2026-11-01T06:00:00Z".into(), "2026-11-01T08:00:00Z".into()),
                ("2026-11-08T07:00:00Z".into(), "2026-11-08T09:00:00Z".into()),
            ]
        );
    }

    #[test]
    fn an_occurrence_under_way_at_from_is_included() {
        let now = at("2026-01-01T00:00:00Z");
        // Sunday 00:30 Pacific, inside Saturday's window.
        let during = at("2026-03-15T07:30:00Z");
        let windows = intelligent_time().occurrences(during, during + SignedDuration::from_mins(1), now);
        assert_eq!(windows.len(), 1);
        assert_eq!(windows[0].start, at("2026-03-15T06:00:00Z"));
    }

    #[test]
    fn r23_the_life_of_a_window_follows_the_clock_and_the_operators() {
        let start = at("2026-03-14T02:30:00Z");
        let window = financials();
        let life = |now: &str| window.occurrences(start, start + SignedDuration::from_mins(1), at(now))[0].life;
        assert_eq!(life("2026-03-14T02:00:00Z"), WindowLife::Scheduled);
        assert_eq!(life("2026-03-14T02:30:00Z"), WindowLife::InProgress);
        assert_eq!(life("2026-03-14T06:30:00Z"), WindowLife::Completed);

        let mut skipped = financials();
        assert_eq!(
            skipped.skip(at("2026-03-14T03:30:00Z"), start),
            Err(WindowError::NoSuchOccurrence)
        );
        skipped.skip(start, start).unwrap();
        let around = skipped.occurrences(
            start - SignedDuration::from_hours(24 * 7),
            start + SignedDuration::from_hours(24 * 8),
            start,
        );
        let lives: Vec<_> = around.iter().map(|o| o.life).collect();
        assert_eq!(
            lives,
            [WindowLife::Completed, WindowLife::Cancelled, WindowLife::Scheduled]
        );
        assert_eq!(
            next(
                std::slice::from_ref(&skipped),
                start - SignedDuration::from_hours(1),
                1,
                start
            )[0]
            .start,
            at("2026-03-21T02:30:00Z"),
            "a skipped occurrence is not next"
        );

        let mut once = MaintenanceWindow {
            id: "db".into(),
            schedule: Schedule::Once {
                start: at("2026-03-10T17:00:00Z"),
                end: at("2026-03-10T19:00:00Z"),
            },
            ..financials()
        };
        assert_eq!(once.complete(at("2026-03-10T17:30:00Z")), Ok(()));
        let done = once.occurrences(
            at("2026-03-10T00:00:00Z"),
            at("2026-03-11T00:00:00Z"),
            at("2026-03-10T17:45:00Z"),
        );
        assert_eq!(done[0].end, at("2026-03-10T17:30:00Z"));
        assert_eq!(done[0].life, WindowLife::Completed);
        assert_eq!(once.cancel(at("2026-03-10T17:45:00Z")), Err(WindowError::Over));

        let mut retired = financials();
        retired.cancel(at("2026-03-10T00:00:00Z")).unwrap();
        assert!(
            retired
                .occurrences(at("2026-03-10T00:00:00Z"), at("2026-04-10T00:00:00Z"), start)
                .is_empty()
        );
        assert_eq!(retired.complete(start), Err(WindowError::NotOneOff));
    }

    #[test]
    fn the_next_windows_of_a_product_in_order() {
        let found = next(
            &[financials()],
            at("2026-03-06T00:00:00Z"),
            3,
            at("2026-01-01T00:00:00Z"),
        );
        assert_eq!(
            utc(&found),
            [
                ("2026-03-07T03:30:00Z".into(), "2026-03-07T07:30:00Z".into()),
                ("2026-03-14T02:30:00Z".into(), "2026-03-14T06:30:00Z".into()),
                ("2026-03-21T02:30:00Z".into(), "2026-03-21T06:30:00Z".into()),
            ]
        );
        assert_eq!(financials().first_start(), Some(at("1990-01-06T03:30:00Z")));
    }

    #[test]
    fn rules_parse_from_times_and_names() {
        let it = WeeklyRule::from_times(Weekday::Saturday, time(23, 0, 0, 0), time(1, 0, 0, 0)).unwrap();
        assert_eq!(it.duration, SignedDuration::from_hours(2));
        assert_eq!(it.to_string(), "saturday 23:00–01:00");
        assert_eq!(parse_weekday("Fri").unwrap(), Weekday::Friday);
        assert_eq!(parse_weekday("saturday").unwrap(), Weekday::Saturday);
        assert!(parse_weekday("someday").is_err());
        assert_eq!(parse_time("19:30").unwrap(), time(19, 30, 0, 0));
        assert!(WeeklyRule::new(Weekday::Monday, time(1, 0, 0, 0), SignedDuration::ZERO).is_err());
        assert!(
            WeeklyRule::new(
                Weekday::Monday,
                time(1, 0, 0, 0),
                MAX_DURATION + SignedDuration::from_secs(1)
            )
            .is_err()
        );
    }

    fn pacific_instants() -> impl Strategy<Value = Timestamp> {
        // 2000 to 2040: both sides of the 2007 US rule change.
        (946_684_800i64..2_208_988_800).prop_map(|s| Timestamp::from_second(s).unwrap())
    }

    proptest! {
        #[test]
        fn r23_weekly_windows_keep_their_local_times_across_dst(from in pacific_instants(), weeks in 1i64..60) {
            let zone = TimeZone::get(PACIFIC).unwrap();
            let to = from + SignedDuration::from_hours(24 * 7 * weeks);
            let now = from;
            for (window, weekday, start, end, end_weekday) in [
                (financials(), Weekday::Friday, time(19, 30, 0, 0), time(23, 30, 0, 0), Weekday::Friday),
                (intelligent_time(), Weekday::Saturday, time(23, 0, 0, 0), time(1, 0, 0, 0), Weekday::Sunday),
            ] {
                let occurrences = window.occurrences(from, to, now);
                // One a week, give or take the ends of the range.
                prop_assert!((occurrences.len() as i64 - weeks).abs() <= 1, "{} in {} weeks", occurrences.len(), weeks);
                for pair in occurrences.windows(2) {
                    prop_assert_eq!(pair[0].local_start.date().checked_add(jiff::Span::new().days(7)).unwrap(), pair[1].local_start.date());
                }
                for o in &occurrences {
                    prop_assert!(o.end > from && o.start < to);
                    prop_assert_eq!(o.local_start.weekday(), weekday);
                    prop_assert_eq!(o.local_start.time(), start);
                    prop_assert_eq!(o.local_end.time(), end);
                    prop_assert_eq!(o.local_end.weekday(), end_weekday);
                    // The offset is Pacific standard or daylight time, as
                    // the zone says for that instant.
                    let offset = zone.to_offset(o.start).seconds();
                    prop_assert!(offset == -8 * 3600 || offset == -7 * 3600);
                    prop_assert_eq!(o.start, zone.to_ambiguous_timestamp(o.local_start).compatible().unwrap());
                }
            }
        }

        #[test]
        fn next_gives_count_windows_in_order(after in pacific_instants(), count in 1usize..20) {
            let windows = [financials(), intelligent_time()];
            let found = next(&windows, after, count, after);
            prop_assert_eq!(found.len(), count);
            prop_assert!(found.windows(2).all(|pair| pair[0].start <= pair[1].start));
            prop_assert!(found.iter().all(|o| o.end > after));
        }
    }
}
