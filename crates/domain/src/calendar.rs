//! Business calendars (R21): when support is open, in the company's time
//! zone, and how much open time lies between two instants. SLA clocks that
//! do not run around the clock count on one.
//!
//! A calendar has weekly openings (local `[start, end)` times per weekday)
//! and closed dates (public holidays and ad-hoc closures). Open time is real
//! elapsed time: an opening that spans a daylight-saving change lasts as long
//! as it really does (00:00–06:00 on a spring-forward night is five hours).
//!
//! Local times the clocks skip or show twice are resolved one way
//! everywhere: a time inside a gap (spring forward) is the instant the clocks
//! jump, and a time inside a fold (fall back) is its first occurrence. This
//! is jiff's `compatible` disambiguation for folds; for gaps `compatible`
//! would push 02:30 to 03:30, after 03:00, and an opening 02:30–03:00 would
//! end before it starts. Resolving to the jump keeps a day's openings in
//! order, so every walk below stays monotonic.

use std::collections::BTreeSet;
use std::fmt;

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::{Invalid, InvalidKind};

/// A calendar closed this many days in a row never opens: walks forward give
/// up rather than run to the year 9999.
const NEVER_OPENS_AFTER_DAYS: u32 = 3653;

/// How far ahead `next_change` looks for a closing (ten years).
const LOOK_AHEAD: SignedDuration = SignedDuration::from_hours(24 * 3653);

/// Opening hours on one day, local `[start, end)`. An `end` of 00:00 is
/// midnight at the end of the day (24:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Opening {
    start: Time,
    end: Time,
}

impl Opening {
    /// The whole day, 00:00–24:00.
    pub const ALL_DAY: Opening = Opening {
        start: Time::midnight(),
        end: Time::midnight(),
    };

    /// R21's default: 06:00–18:00.
    pub const STANDARD: Opening = Opening {
        start: Time::constant(6, 0, 0, 0),
        end: Time::constant(18, 0, 0, 0),
    };

    /// An end of 00:00 means 24:00.
    pub fn new(start: Time, end: Time) -> Result<Self, Invalid> {
        let opening = Self { start, end };
        if !opening.ends_at_midnight() && end <= start {
            return Err(Invalid::new(
                InvalidKind::Format,
                format!("the opening {opening} ends before it starts"),
            ));
        }
        Ok(opening)
    }

    /// Parses `06:00-18:00`; `24:00` ends at midnight.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let input = input.trim();
        let malformed = || {
            Invalid::new(
                InvalidKind::Format,
                format!("`{input}` is not an opening such as 06:00-18:00"),
            )
        };
        let (start, end) = input.split_once('-').ok_or_else(malformed)?;
        let start: Time = start.trim().parse().map_err(|_| malformed())?;
        let end = match end.trim() {
            "24:00" | "24:00:00" => Time::midnight(),
            end => end.parse().map_err(|_| malformed())?,
        };
        Self::new(start, end)
    }

    pub fn start(self) -> Time {
        self.start
    }

    /// 00:00 means 24:00.
    pub fn end(self) -> Time {
        self.end
    }

    fn ends_at_midnight(self) -> bool {
        self.end == Time::midnight()
    }

    /// Whether `later` (which does not start before `self`) overlaps or
    /// touches `self`, so the two are one opening.
    fn joins(self, later: Opening) -> bool {
        self.ends_at_midnight() || later.start <= self.end
    }
}

impl fmt::Display for Opening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let time = |t: Time| {
            if t.second() == 0 && t.subsec_nanosecond() == 0 {
                t.strftime("%H:%M").to_string()
            } else {
                t.strftime("%H:%M:%S").to_string()
            }
        };
        let end = if self.ends_at_midnight() {
            "24:00".to_owned()
        } else {
            time(self.end)
        };
        write!(f, "{}-{end}", time(self.start))
    }
}

impl Serialize for Opening {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Opening {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// When a company's support is open: weekly openings in its time zone, less
/// its closed dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessCalendar {
    zone: TimeZone,
    /// Monday first; each day's openings sorted, neither overlapping nor
    /// touching (touching ones are merged), so each end is a real closing.
    hours: [Vec<Opening>; 7],
    closed: BTreeSet<Date>,
}

/// Whether a calendar is open at an instant, and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum CalendarStatus {
    /// Open now; it closes at `closes` (`None`: not within ten years, as
    /// around the clock).
    Open { closes: Option<Timestamp> },
    /// Closed now; it opens at `opens` (`None`: not within ten years).
    Closed { opens: Option<Timestamp> },
}

/// One opening on one day, as real instants, with the local times the
/// company reads ("open until 18:00", "next opening Monday 06:00").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OpenPeriod {
    pub start: Timestamp,
    pub end: Timestamp,
    pub local_start: DateTime,
    pub local_end: DateTime,
}

/// An opening as real instants, `[start, end)`, `start < end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Interval {
    start: Timestamp,
    end: Timestamp,
}

impl BusinessCalendar {
    /// R21: Monday to Friday, 06:00–18:00 local, no closed dates.
    pub fn standard(zone: TimeZone) -> Self {
        let weekday = vec![Opening::STANDARD];
        Self {
            zone,
            hours: [
                weekday.clone(),
                weekday.clone(),
                weekday.clone(),
                weekday.clone(),
                weekday,
                Vec::new(),
                Vec::new(),
            ],
            closed: BTreeSet::new(),
        }
    }

    /// Always open: the calendar of clocks that run around the clock (P1).
    pub fn around_the_clock() -> Self {
        Self {
            zone: TimeZone::UTC,
            hours: std::array::from_fn(|_| vec![Opening::ALL_DAY]),
            closed: BTreeSet::new(),
        }
    }

    /// The same openings and closed dates, read in another zone.
    pub fn in_zone(mut self, zone: TimeZone) -> Self {
        self.zone = zone;
        self
    }

    /// Sets the openings of a weekday (none: closed that day). Overlapping
    /// or touching openings are merged.
    pub fn with_hours(mut self, weekday: Weekday, openings: &[Opening]) -> Self {
        let mut sorted = openings.to_vec();
        sorted.sort_by_key(|o| o.start);
        let mut merged: Vec<Opening> = Vec::with_capacity(sorted.len());
        for opening in sorted {
            match merged.last_mut() {
                Some(last) if last.joins(opening) => {
                    if !last.ends_at_midnight() && (opening.ends_at_midnight() || opening.end > last.end) {
                        last.end = opening.end;
                    }
                }
                _ => merged.push(opening),
            }
        }
        self.hours[day_index(weekday)] = merged;
        self
    }

    /// Closes these dates all day: public holidays, ad-hoc closures.
    pub fn with_closed_dates(mut self, dates: impl IntoIterator<Item = Date>) -> Self {
        self.closed.extend(dates);
        self
    }

    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    pub fn hours(&self, weekday: Weekday) -> &[Opening] {
        &self.hours[day_index(weekday)]
    }

    pub fn is_closed_on(&self, date: Date) -> bool {
        self.closed.contains(&date)
    }

    pub fn closed_dates(&self) -> impl Iterator<Item = Date> + '_ {
        self.closed.iter().copied()
    }

    /// The local date and time of an instant in the calendar's zone.
    pub fn local(&self, at: Timestamp) -> DateTime {
        self.zone.to_datetime(at)
    }

    /// Open at `at`: openings are `[start, end)`, so a calendar is closed at
    /// its closing time.
    pub fn is_open(&self, at: Timestamp) -> bool {
        if self.is_always_open() {
            return true;
        }
        let last_day = self.local(at).date().tomorrow().unwrap_or(Date::MAX);
        self.intervals(at, Some(last_day))
            .next()
            .is_some_and(|interval| interval.start <= at)
    }

    /// The earliest instant at which `duration` of open time has elapsed
    /// since `start`. A start while closed counts from the next opening; a
    /// duration that ends exactly at a closing is due at the closing. A zero
    /// duration gives `start` when open, else the next opening (the clock
    /// has not run yet, so nothing is due while closed); a negative duration
    /// counts as zero. `None` when the calendar stays closed for ten years
    /// in a row before the duration is used up.
    pub fn add(&self, start: Timestamp, duration: SignedDuration) -> Option<Timestamp> {
        let mut remaining = duration.max(SignedDuration::ZERO);
        if self.is_always_open() {
            return start.checked_add(remaining).ok();
        }
        for interval in self.intervals(start, None) {
            let begin = interval.start.max(start);
            let available = interval.end.duration_since(begin);
            if remaining <= available {
                return Some(begin + remaining);
            }
            remaining -= available;
        }
        None
    }

    /// The open time between two instants; zero when `to <= from`.
    pub fn elapsed(&self, from: Timestamp, to: Timestamp) -> SignedDuration {
        if to <= from {
            return SignedDuration::ZERO;
        }
        if self.is_always_open() {
            return to.duration_since(from);
        }
        // The day after `to`'s: a fold at midnight can make the next day's
        // first opening start before `to`.
        let last_day = self.local(to).date().tomorrow().unwrap_or(Date::MAX);
        self.intervals(from, Some(last_day))
            .take_while(|interval| interval.start < to)
            .map(|interval| interval.end.min(to).duration_since(interval.start.max(from)))
            .fold(SignedDuration::ZERO, |total, open| total + open)
    }

    /// The first instant at or after `at` at which the calendar is open:
    /// `at` itself when open. `None` when closed for the next ten years.
    pub fn next_opening(&self, at: Timestamp) -> Option<Timestamp> {
        self.add(at, SignedDuration::ZERO)
    }

    /// The next instant after `at` at which the calendar opens or closes.
    /// `None` when nothing changes within ten years (around the clock, or
    /// closed for good).
    pub fn next_change(&self, at: Timestamp) -> Option<Timestamp> {
        if self.is_always_open() {
            return None;
        }
        let mut intervals = self.intervals(at, None);
        let first = intervals.next()?;
        if first.start > at {
            return Some(first.start);
        }
        let horizon = at.checked_add(LOOK_AHEAD).unwrap_or(Timestamp::MAX);
        let mut closes = first.end;
        for interval in intervals {
            if interval.start > closes {
                break;
            }
            closes = interval.end;
            if closes > horizon {
                return None;
            }
        }
        Some(closes)
    }

    /// Open or closed at `at`, and until when.
    pub fn status(&self, at: Timestamp) -> CalendarStatus {
        if self.is_open(at) {
            CalendarStatus::Open {
                closes: self.next_change(at),
            }
        } else {
            CalendarStatus::Closed {
                opens: self.next_opening(at),
            }
        }
    }

    /// The openings that end after `from`, in order, one per opening and
    /// day (an opening to 24:00 and one from 00:00 the next day are two).
    /// Ends after ten closed years in a row.
    pub fn open_periods(&self, from: Timestamp) -> impl Iterator<Item = OpenPeriod> + '_ {
        self.intervals(from, None).map(|interval| OpenPeriod {
            start: interval.start,
            end: interval.end,
            local_start: self.local(interval.start),
            local_end: self.local(interval.end),
        })
    }

    fn is_always_open(&self) -> bool {
        self.closed.is_empty() && self.hours.iter().all(|day| day[..] == [Opening::ALL_DAY])
    }

    fn openings_on(&self, date: Date) -> &[Opening] {
        if self.closed.contains(&date) {
            &[]
        } else {
            &self.hours[day_index(date.weekday())]
        }
    }

    /// The intervals that end after `after`, walking day by day from the
    /// day before `after`'s (a fold can make it reach into `after`'s day),
    /// up to `last_day` or, without one, until ten closed years in a row.
    fn intervals(&self, after: Timestamp, last_day: Option<Date>) -> Intervals<'_> {
        let day = self.local(after).date();
        Intervals {
            calendar: self,
            after,
            day: Some(day.yesterday().unwrap_or(day)),
            index: 0,
            last_day,
            closed_days: 0,
        }
    }

    /// An opening on a date as real instants; `None` when it falls wholly in
    /// a gap.
    fn interval(&self, date: Date, opening: Opening) -> Option<Interval> {
        let start = self.instant(date.to_datetime(opening.start))?;
        let end = if opening.ends_at_midnight() {
            self.instant(date.tomorrow().ok()?.to_datetime(Time::midnight()))?
        } else {
            self.instant(date.to_datetime(opening.end))?
        };
        (start < end).then_some(Interval { start, end })
    }

    /// The instant a local time names here, resolved as the module says.
    fn instant(&self, local: DateTime) -> Option<Timestamp> {
        let ambiguous = self.zone.to_ambiguous_timestamp(local);
        match ambiguous.offset() {
            AmbiguousOffset::Gap { .. } => {
                // `earlier` reads the time with the offset after the gap,
                // which lands before the jump; the jump follows it.
                let before_jump = ambiguous.earlier().ok()?;
                self.zone.following(before_jump).next().map(|jump| jump.timestamp())
            }
            AmbiguousOffset::Unambiguous { .. } | AmbiguousOffset::Fold { .. } => ambiguous.earlier().ok(),
        }
    }
}

fn day_index(weekday: Weekday) -> usize {
    weekday.to_monday_zero_offset() as usize
}

/// The walk behind every question: one opening of one day at a time, so
/// months cost a few conversions per day, not one step per minute.
struct Intervals<'c> {
    calendar: &'c BusinessCalendar,
    after: Timestamp,
    day: Option<Date>,
    /// The next opening of `day` to look at.
    index: usize,
    last_day: Option<Date>,
    closed_days: u32,
}

impl Iterator for Intervals<'_> {
    type Item = Interval;

    fn next(&mut self) -> Option<Interval> {
        loop {
            let day = self.day?;
            let openings = self.calendar.openings_on(day);
            if let Some(opening) = openings.get(self.index) {
                self.index += 1;
                match self.calendar.interval(day, *opening) {
                    Some(interval) if interval.end > self.after => return Some(interval),
                    _ => continue,
                }
            }
            if openings.is_empty() {
                self.closed_days += 1;
                if self.last_day.is_none() && self.closed_days > NEVER_OPENS_AFTER_DAYS {
                    return None;
                }
            } else {
                self.closed_days = 0;
            }
            self.index = 0;
            self.day = day
                .tomorrow()
                .ok()
                .filter(|next| self.last_day.is_none_or(|last| *next <= last));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    const ZONES: [&str; 6] = [
        "America/Los_Angeles",
        "America/New_York",
        "Europe/Paris",
        "Europe/London",
        "Australia/Sydney",
        "Africa/Johannesburg",
    ];

    fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap()
    }

    fn standard(name: &str) -> BusinessCalendar {
        BusinessCalendar::standard(zone(name))
    }

    /// A local time in the calendar's zone, read as the calendar reads it.
    fn at(calendar: &BusinessCalendar, local: DateTime) -> Timestamp {
        calendar.instant(local).unwrap()
    }

    fn hours(h: i64) -> SignedDuration {
        SignedDuration::from_hours(h)
    }

    fn mins(m: i64) -> SignedDuration {
        SignedDuration::from_mins(m)
    }

    fn local_add(calendar: &BusinessCalendar, start: DateTime, duration: SignedDuration) -> DateTime {
        calendar.local(calendar.add(at(calendar, start), duration).unwrap())
    }

    /// Open every day 00:00–06:00: DST changes happen inside the openings.
    fn night_shift(name: &str) -> BusinessCalendar {
        let night = Opening::parse("00:00-06:00").unwrap();
        let mut calendar = BusinessCalendar::standard(zone(name));
        for weekday in Weekday::Monday.cycle_forward().take(7) {
            calendar = calendar.with_hours(weekday, &[night]);
        }
        calendar
    }

    #[test]
    fn openings_parse_and_print() {
        let opening = Opening::parse(" 06:00 - 18:00 ").unwrap();
        assert_eq!(opening, Opening::STANDARD);
        assert_eq!(opening.to_string(), "06:00-18:00");
        assert_eq!(Opening::parse("00:00-24:00").unwrap(), Opening::ALL_DAY);
        assert_eq!(Opening::ALL_DAY.to_string(), "00:00-24:00");
        assert_eq!(Opening::parse("08:30-12:15:30").unwrap().to_string(), "08:30-12:15:30");
        assert_eq!(Opening::parse("18:00-06:00").unwrap_err().kind, InvalidKind::Format);
        assert_eq!(Opening::parse("06:00-06:00").unwrap_err().kind, InvalidKind::Format);
        assert_eq!(Opening::parse("6 to 18").unwrap_err().kind, InvalidKind::Format);
    }

    #[test]
    fn touching_openings_are_one() {
        let calendar = standard("Europe/Paris").with_hours(
            Weekday::Monday,
            &[
                Opening::parse("12:00-18:00").unwrap(),
                Opening::parse("08:00-12:00").unwrap(),
                Opening::parse("20:00-24:00").unwrap(),
                Opening::parse("21:00-22:00").unwrap(),
            ],
        );
        assert_eq!(
            calendar.hours(Weekday::Monday),
            [
                Opening::parse("08:00-18:00").unwrap(),
                Opening::parse("20:00-24:00").unwrap()
            ]
        );
    }

    #[test]
    fn r21_standard_hours_are_weekdays_six_to_six() {
        let paris = standard("Europe/Paris");
        let monday = date(2024, 3, 4);
        assert!(!paris.is_open(at(&paris, monday.at(5, 59, 59, 0))));
        assert!(paris.is_open(at(&paris, monday.at(6, 0, 0, 0))));
        assert!(paris.is_open(at(&paris, monday.at(17, 59, 59, 999_999_999))));
        assert!(!paris.is_open(at(&paris, monday.at(18, 0, 0, 0))));
        assert!(!paris.is_open(at(&paris, date(2024, 3, 9).at(12, 0, 0, 0))));
        assert!(!paris.is_open(at(&paris, date(2024, 3, 10).at(12, 0, 0, 0))));
    }

    #[test]
    fn a_start_outside_hours_counts_from_the_next_opening() {
        let paris = standard("Europe/Paris");
        // Before opening on a Tuesday.
        assert_eq!(
            local_add(&paris, date(2024, 3, 5).at(3, 0, 0, 0), hours(2)),
            date(2024, 3, 5).at(8, 0, 0, 0)
        );
        // After closing on a Tuesday.
        assert_eq!(
            local_add(&paris, date(2024, 3, 5).at(19, 30, 0, 0), mins(90)),
            date(2024, 3, 6).at(7, 30, 0, 0)
        );
        // Saturday: Monday morning.
        assert_eq!(
            local_add(&paris, date(2024, 3, 9).at(10, 0, 0, 0), hours(4)),
            date(2024, 3, 11).at(10, 0, 0, 0)
        );
    }

    #[test]
    fn a_duration_ending_at_closing_is_due_at_closing() {
        let paris = standard("Europe/Paris");
        assert_eq!(
            local_add(&paris, date(2024, 3, 8).at(10, 0, 0, 0), hours(8)),
            date(2024, 3, 8).at(18, 0, 0, 0)
        );
        // One more minute goes to Monday.
        assert_eq!(
            local_add(&paris, date(2024, 3, 8).at(10, 0, 0, 0), hours(8) + mins(1)),
            date(2024, 3, 11).at(6, 1, 0, 0)
        );
        // A whole day from the opening.
        assert_eq!(
            local_add(&paris, date(2024, 3, 5).at(6, 0, 0, 0), hours(12)),
            date(2024, 3, 5).at(18, 0, 0, 0)
        );
    }

    #[test]
    fn a_zero_duration_is_due_when_the_calendar_is_next_open() {
        let paris = standard("Europe/Paris");
        let open = at(&paris, date(2024, 3, 5).at(10, 0, 0, 0));
        assert_eq!(paris.add(open, SignedDuration::ZERO), Some(open));
        let closing = at(&paris, date(2024, 3, 5).at(18, 0, 0, 0));
        assert_eq!(
            paris.add(closing, SignedDuration::ZERO),
            Some(at(&paris, date(2024, 3, 6).at(6, 0, 0, 0)))
        );
        assert_eq!(paris.add(closing, -hours(3)), paris.add(closing, SignedDuration::ZERO));
        assert_eq!(paris.next_opening(open), Some(open));
    }

    #[test]
    fn closed_dates_are_skipped() {
        // Good Friday and Easter Monday 2024 closed: Thursday 17:00 plus 13
        // hours is Tuesday 18:00.
        let paris = standard("Europe/Paris").with_closed_dates([date(2024, 3, 29), date(2024, 4, 1)]);
        assert!(paris.is_closed_on(date(2024, 4, 1)));
        assert_eq!(
            local_add(&paris, date(2024, 3, 28).at(17, 0, 0, 0), hours(13)),
            date(2024, 4, 2).at(18, 0, 0, 0)
        );
        assert_eq!(
            paris.elapsed(
                at(&paris, date(2024, 3, 28).at(0, 0, 0, 0)),
                at(&paris, date(2024, 4, 3).at(0, 0, 0, 0)),
            ),
            hours(24)
        );
    }

    #[test]
    fn elapsed_counts_only_open_time() {
        let ny = standard("America/New_York");
        let friday_4pm = at(&ny, date(2024, 6, 7).at(16, 0, 0, 0));
        let monday_8am = at(&ny, date(2024, 6, 10).at(8, 0, 0, 0));
        assert_eq!(ny.elapsed(friday_4pm, monday_8am), hours(4));
        assert_eq!(ny.elapsed(monday_8am, friday_4pm), SignedDuration::ZERO);
        assert_eq!(ny.elapsed(monday_8am, monday_8am), SignedDuration::ZERO);
        let saturday = at(&ny, date(2024, 6, 8).at(9, 0, 0, 0));
        let sunday = at(&ny, date(2024, 6, 9).at(9, 0, 0, 0));
        assert_eq!(ny.elapsed(saturday, sunday), SignedDuration::ZERO);
    }

    #[test]
    fn openings_spanning_dst_last_as_long_as_they_really_do() {
        let ny = night_shift("America/New_York");
        let spring = at(&ny, date(2024, 3, 10).at(0, 0, 0, 0));
        assert_eq!(ny.elapsed(spring, spring + hours(12)), hours(5));
        let fall = at(&ny, date(2024, 11, 3).at(0, 0, 0, 0));
        assert_eq!(ny.elapsed(fall, fall + hours(12)), hours(7));
        // Five hours from midnight on the spring-forward night is 06:00 EDT.
        assert_eq!(
            ny.add(spring, hours(5)),
            Some(at(&ny, date(2024, 3, 10).at(6, 0, 0, 0)))
        );

        let sydney = night_shift("Australia/Sydney");
        let spring = at(&sydney, date(2024, 10, 6).at(0, 0, 0, 0));
        assert_eq!(sydney.elapsed(spring, spring + hours(12)), hours(5));
        let fall = at(&sydney, date(2024, 4, 7).at(0, 0, 0, 0));
        assert_eq!(sydney.elapsed(fall, fall + hours(12)), hours(7));

        let johannesburg = night_shift("Africa/Johannesburg");
        let night = at(&johannesburg, date(2024, 3, 10).at(0, 0, 0, 0));
        assert_eq!(johannesburg.elapsed(night, night + hours(12)), hours(6));
    }

    #[test]
    fn local_times_in_a_gap_are_the_jump_and_in_a_fold_the_first() {
        let ny = zone("America/New_York");
        let calendar = BusinessCalendar::standard(ny.clone())
            .with_hours(Weekday::Sunday, &[Opening::parse("02:30-03:30").unwrap()]);
        // 2024-03-10: 02:00 EST jumps to 03:00 EDT, 07:00 UTC.
        let periods: Vec<_> = calendar
            .open_periods(ny.to_timestamp(date(2024, 3, 9).at(12, 0, 0, 0)).unwrap())
            .take(1)
            .collect();
        assert_eq!(periods[0].start.to_string(), "2024-03-10T07:00:00Z");
        assert_eq!(periods[0].end.to_string(), "2024-03-10T07:30:00Z");
        assert_eq!(periods[0].local_start, date(2024, 3, 10).at(3, 0, 0, 0));
        // 2024-11-03: 01:00–02:00 happens twice; an opening 01:30–03:30 starts
        // at the first 01:30 (05:30 UTC) and lasts three real hours.
        let calendar = calendar.with_hours(Weekday::Sunday, &[Opening::parse("01:30-03:30").unwrap()]);
        let fall = calendar
            .open_periods(ny.to_timestamp(date(2024, 11, 2).at(12, 0, 0, 0)).unwrap())
            .next()
            .unwrap();
        assert_eq!(fall.start.to_string(), "2024-11-03T05:30:00Z");
        assert_eq!(fall.end.duration_since(fall.start), hours(3));
    }

    #[test]
    fn a_standard_week_across_dst_keeps_local_hours() {
        // Paris springs forward on Sunday 2024-03-31; Friday 17:00 + 2h is
        // Monday 07:00 local, one hour less in UTC offset.
        let paris = standard("Europe/Paris");
        let due = paris
            .add(at(&paris, date(2024, 3, 29).at(17, 0, 0, 0)), hours(2))
            .unwrap();
        assert_eq!(due.to_string(), "2024-04-01T05:00:00Z");
        // London falls back on 2024-10-27.
        let london = standard("Europe/London");
        let due = london
            .add(at(&london, date(2024, 10, 25).at(17, 0, 0, 0)), hours(2))
            .unwrap();
        assert_eq!(due.to_string(), "2024-10-28T07:00:00Z");
        // Los Angeles springs forward on 2024-03-10.
        let la = standard("America/Los_Angeles");
        assert_eq!(
            local_add(&la, date(2024, 3, 8).at(12, 0, 0, 0), hours(30)),
            date(2024, 3, 12).at(18, 0, 0, 0)
        );
    }

    #[test]
    fn around_the_clock_is_wall_time() {
        let always = BusinessCalendar::around_the_clock();
        let start: Timestamp = "2024-03-09T23:00:00Z".parse().unwrap();
        assert_eq!(always.add(start, hours(2)), Some(start + hours(2)));
        assert_eq!(always.elapsed(start, start + hours(50)), hours(50));
        assert_eq!(always.status(start), CalendarStatus::Open { closes: None });
        // In a zone with DST and a closed day, still real time.
        let sydney = BusinessCalendar::around_the_clock()
            .in_zone(zone("Australia/Sydney"))
            .with_closed_dates([date(2024, 12, 25)]);
        let before = at(&sydney, date(2024, 10, 5).at(0, 0, 0, 0));
        assert_eq!(sydney.elapsed(before, before + hours(72)), hours(72));
        let christmas_eve = at(&sydney, date(2024, 12, 24).at(12, 0, 0, 0));
        assert_eq!(
            sydney.status(christmas_eve),
            CalendarStatus::Open {
                closes: Some(at(&sydney, date(2024, 12, 25).at(0, 0, 0, 0)))
            }
        );
    }

    #[test]
    fn status_says_until_when() {
        let paris = standard("Europe/Paris");
        let tuesday = at(&paris, date(2024, 3, 5).at(10, 0, 0, 0));
        assert_eq!(
            paris.status(tuesday),
            CalendarStatus::Open {
                closes: Some(at(&paris, date(2024, 3, 5).at(18, 0, 0, 0)))
            }
        );
        let saturday = at(&paris, date(2024, 3, 9).at(10, 0, 0, 0));
        let monday = at(&paris, date(2024, 3, 11).at(6, 0, 0, 0));
        assert_eq!(paris.status(saturday), CalendarStatus::Closed { opens: Some(monday) });
        assert_eq!(paris.next_change(saturday), Some(monday));
        let period = paris.open_periods(saturday).next().unwrap();
        assert_eq!(period.local_start, date(2024, 3, 11).at(6, 0, 0, 0));
        assert_eq!(period.local_end, date(2024, 3, 11).at(18, 0, 0, 0));
    }

    #[test]
    fn openings_to_midnight_join_the_next_day() {
        let evenings = standard("Europe/Paris")
            .with_hours(Weekday::Monday, &[Opening::parse("18:00-24:00").unwrap()])
            .with_hours(Weekday::Tuesday, &[Opening::parse("00:00-02:00").unwrap()]);
        let monday = at(&evenings, date(2024, 3, 4).at(20, 0, 0, 0));
        assert_eq!(
            evenings.next_change(monday),
            Some(at(&evenings, date(2024, 3, 5).at(2, 0, 0, 0)))
        );
        assert_eq!(
            local_add(&evenings, date(2024, 3, 4).at(23, 0, 0, 0), hours(2)),
            date(2024, 3, 5).at(1, 0, 0, 0)
        );
    }

    #[test]
    fn a_calendar_that_never_opens_gives_up() {
        let mut closed = standard("Europe/Paris");
        for weekday in Weekday::Monday.cycle_forward().take(7) {
            closed = closed.with_hours(weekday, &[]);
        }
        let now: Timestamp = "2024-03-05T10:00:00Z".parse().unwrap();
        assert_eq!(closed.add(now, hours(1)), None);
        assert_eq!(closed.next_opening(now), None);
        assert_eq!(closed.status(now), CalendarStatus::Closed { opens: None });
        assert_eq!(closed.elapsed(now, now + hours(24 * 365 * 20)), SignedDuration::ZERO);
        // Closed dates covering eleven years of weekdays: also never.
        let first = date(2024, 3, 5);
        let closures = (0..11 * 366).map(|d| first.checked_add(jiff::ToSpan::days(d)).unwrap());
        let holidays = standard("Europe/Paris").with_closed_dates(closures);
        assert_eq!(holidays.add(now, hours(1)), None);
    }

    #[test]
    fn months_are_walked_day_by_day() {
        let paris = standard("Europe/Paris");
        let start = at(&paris, date(2024, 1, 1).at(6, 0, 0, 0));
        // 2024 has 262 weekdays: a year of open time is 262 × 12 h.
        let due = paris.add(start, hours(262 * 12)).unwrap();
        assert_eq!(paris.local(due), date(2024, 12, 31).at(18, 0, 0, 0));
        assert_eq!(paris.elapsed(start, due), hours(262 * 12));
    }

    fn calendars() -> impl Strategy<Value = BusinessCalendar> {
        let split = [
            Opening::parse("08:00-12:00").unwrap(),
            Opening::parse("13:30-17:30").unwrap(),
        ];
        (0..ZONES.len(), 0..4usize).prop_map(move |(z, shape)| {
            let name = ZONES[z];
            match shape {
                0 => standard(name),
                1 => night_shift(name),
                2 => standard(name)
                    .with_hours(Weekday::Wednesday, &split)
                    .with_hours(Weekday::Saturday, &[Opening::parse("09:00-13:00").unwrap()])
                    .with_closed_dates([date(2024, 12, 25), date(2025, 1, 1), date(2025, 4, 21)]),
                _ => BusinessCalendar::around_the_clock()
                    .in_zone(zone(name))
                    .with_closed_dates([date(2024, 3, 31), date(2024, 10, 27)]),
            }
        })
    }

    /// The 2024 DST changes of the zones above, in UTC.
    const DST_CHANGES: [&str; 8] = [
        "2024-03-10T07:00:00Z", // New York springs forward
        "2024-11-03T09:00:00Z", // Los Angeles falls back
        "2024-03-31T01:00:00Z", // Paris and London spring forward
        "2024-10-27T01:00:00Z", // Paris and London fall back
        "2024-04-06T16:00:00Z", // Sydney falls back
        "2024-10-05T16:00:00Z", // Sydney springs forward
        "2024-03-10T10:00:00Z", // Los Angeles springs forward
        "2024-11-03T06:00:00Z", // New York falls back
    ];

    /// Instants from 2020 to 2035, to the nanosecond; half of them within
    /// three days of a DST change.
    fn instants() -> impl Strategy<Value = Timestamp> {
        let anywhere = (1_577_836_800i64..2_082_758_400, 0..1_000_000_000i32)
            .prop_map(|(second, nano)| Timestamp::new(second, nano).unwrap());
        let near_dst = (0..DST_CHANGES.len(), -259_200i64..259_200).prop_map(|(change, offset)| {
            DST_CHANGES[change].parse::<Timestamp>().unwrap() + SignedDuration::from_secs(offset)
        });
        prop_oneof![anywhere, near_dst]
    }

    /// Up to 2,000 hours, to the second.
    fn durations() -> impl Strategy<Value = SignedDuration> {
        prop_oneof![
            Just(SignedDuration::ZERO),
            (0..7_200_000i64).prop_map(SignedDuration::from_secs),
            (0..600i64).prop_map(SignedDuration::from_mins),
        ]
    }

    proptest! {
        #[test]
        fn elapsed_undoes_add(calendar in calendars(), start in instants(), duration in durations()) {
            let due = calendar.add(start, duration).unwrap();
            prop_assert!(due >= start);
            prop_assert_eq!(calendar.elapsed(start, due), duration);
        }

        #[test]
        fn add_is_monotonic(
            calendar in calendars(),
            start in instants(),
            later in 0..500_000i64,
            a in durations(),
            b in durations(),
        ) {
            let (short, long) = (a.min(b), a.max(b));
            prop_assert!(calendar.add(start, short).unwrap() <= calendar.add(start, long).unwrap());
            let later_start = start + SignedDuration::from_secs(later);
            prop_assert!(calendar.add(start, a).unwrap() <= calendar.add(later_start, a).unwrap());
        }

        #[test]
        fn add_lands_in_an_opening_or_at_its_end(
            calendar in calendars(),
            start in instants(),
            duration in durations(),
        ) {
            let due = calendar.add(start, duration).unwrap();
            let just_before = due - SignedDuration::from_nanos(1);
            prop_assert!(calendar.is_open(due) || (due > start && calendar.is_open(just_before)));
        }

        #[test]
        fn next_change_flips_the_status(calendar in calendars(), at in instants()) {
            if let Some(change) = calendar.next_change(at) {
                prop_assert!(change > at);
                let open = calendar.is_open(at);
                prop_assert_eq!(calendar.is_open(change), !open);
                prop_assert_eq!(calendar.is_open(change - SignedDuration::from_nanos(1)), open);
                // Nothing changes in between: the open time is all or nothing.
                let between = calendar.elapsed(at, change);
                prop_assert_eq!(between, if open { change.duration_since(at) } else { SignedDuration::ZERO });
            }
        }

        #[test]
        fn elapsed_adds_up(calendar in calendars(), a in instants(), b in instants(), c in instants()) {
            let mut points = [a, b, c];
            points.sort();
            let [a, b, c] = points;
            prop_assert_eq!(calendar.elapsed(a, c), calendar.elapsed(a, b) + calendar.elapsed(b, c));
            prop_assert!(calendar.elapsed(a, c) <= c.duration_since(a));
        }
    }
}
