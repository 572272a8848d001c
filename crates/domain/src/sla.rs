//! SLA targets (R21): how soon support answers a case and how often it
//! updates it, per contract tier and priority, and the state of each clock.
//!
//! R21: after hours only priority requests are worked, so P1 clocks run
//! around the clock (holidays included) and every other clock runs on the
//! company's business calendar.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::calendar::BusinessCalendar;
use crate::priority::Priority;
use crate::{Invalid, InvalidKind};

/// The share of a target after which the clock warns.
pub const WARNING_PERCENT: i32 = 75;

/// No target or duration is longer than this (ten years, as the business
/// calendar's look-ahead).
const LONGEST: SignedDuration = SignedDuration::from_hours(24 * 3653);

/// Which clock a target is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    /// From the case's opening to support's first answer.
    FirstResponse,
    /// From each update to the next one while support works the case.
    NextUpdate,
}

/// Whether a target's time runs all the time or only while the company's
/// calendar is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetHours {
    AroundTheClock,
    Business,
}

/// How long support has, and on which hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Target {
    #[serde(with = "duration_text")]
    pub duration: SignedDuration,
    pub hours: TargetHours,
}

impl Target {
    pub const fn around_the_clock(duration: SignedDuration) -> Self {
        Self {
            duration,
            hours: TargetHours::AroundTheClock,
        }
    }

    pub const fn business(duration: SignedDuration) -> Self {
        Self {
            duration,
            hours: TargetHours::Business,
        }
    }
}

/// The targets of one contract tier; a priority without an entry has no
/// target on that clock.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TierTargets {
    #[serde(default)]
    pub first_response: BTreeMap<Priority, Target>,
    #[serde(default)]
    pub next_update: BTreeMap<Priority, Target>,
}

impl TierTargets {
    fn clock(&self, clock: Clock) -> &BTreeMap<Priority, Target> {
        match clock {
            Clock::FirstResponse => &self.first_response,
            Clock::NextUpdate => &self.next_update,
        }
    }

    fn clock_mut(&mut self, clock: Clock) -> &mut BTreeMap<Priority, Target> {
        match clock {
            Clock::FirstResponse => &mut self.first_response,
            Clock::NextUpdate => &mut self.next_update,
        }
    }
}

/// The targets of every contract tier, by tier name. Configurable; the
/// default is R21's table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    pub tiers: BTreeMap<String, TierTargets>,
}

impl Default for SlaPolicy {
    fn default() -> Self {
        use Priority::*;
        let clock = Target::around_the_clock;
        let business = Target::business;
        let h = SignedDuration::from_hours;
        let tier = |first_response: [Target; 4], next_update: [Target; 2]| TierTargets {
            first_response: Priority::ALL.into_iter().zip(first_response).collect(),
            // P3 and P4 have no update rhythm: they are worked in turn.
            next_update: [P1, P2].into_iter().zip(next_update).collect(),
        };
        Self {
            tiers: BTreeMap::from([
                (
                    "standard".to_owned(),
                    tier(
                        [clock(h(2)), business(h(8)), business(h(24)), business(h(48))],
                        [clock(h(4)), business(h(12))],
                    ),
                ),
                (
                    "premium".to_owned(),
                    tier(
                        [clock(h(1)), business(h(4)), business(h(12)), business(h(24))],
                        [clock(h(2)), business(h(6))],
                    ),
                ),
            ]),
        }
    }
}

impl SlaPolicy {
    /// `None` for an unknown tier or a priority without a target.
    pub fn target(&self, tier: &str, priority: Priority, clock: Clock) -> Option<Target> {
        self.tiers.get(tier)?.clock(clock).get(&priority).copied()
    }

    /// The tier names, in order: what `company::SlaTier::parse` accepts.
    pub fn tier_names(&self) -> Vec<String> {
        self.tiers.keys().cloned().collect()
    }

    /// Sets (or, with `None`, removes) a target; an unknown tier is added.
    pub fn set_target(&mut self, tier: &str, priority: Priority, clock: Clock, target: Option<Target>) {
        let targets = self.tiers.entry(tier.to_owned()).or_default().clock_mut(clock);
        match target {
            Some(target) => targets.insert(priority, target),
            None => targets.remove(&priority),
        };
    }
}

/// When a target started at `start` is due: `start` plus its duration,
/// around the clock or in the calendar's open time. `None` when the
/// calendar stays closed for ten years.
pub fn due(calendar: &BusinessCalendar, target: &Target, start: Timestamp) -> Option<Timestamp> {
    after(calendar, target.hours, start, target.duration)
}

/// The time a target counts between two instants.
pub fn counted(calendar: &BusinessCalendar, hours: TargetHours, from: Timestamp, to: Timestamp) -> SignedDuration {
    match hours {
        TargetHours::AroundTheClock => to.duration_since(from).max(SignedDuration::ZERO),
        TargetHours::Business => calendar.elapsed(from, to),
    }
}

fn after(
    calendar: &BusinessCalendar,
    hours: TargetHours,
    start: Timestamp,
    duration: SignedDuration,
) -> Option<Timestamp> {
    match hours {
        TargetHours::AroundTheClock => start.checked_add(duration.max(SignedDuration::ZERO)).ok(),
        TargetHours::Business => calendar.add(start, duration),
    }
}

/// `percent` of a duration, to the nanosecond.
fn share(duration: SignedDuration, percent: i32) -> SignedDuration {
    SignedDuration::from_nanos_i128(duration.as_nanos() * i128::from(percent) / 100)
}

/// One SLA clock of a case, with the target it was started with (a later
/// change of policy does not move it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockState {
    pub target: Target,
    pub phase: ClockPhase,
}

/// Where a clock is. `used` is the time counted so far on the target's
/// hours; paused time is never counted (osTicket#3034 counted it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "phase")]
pub enum ClockPhase {
    /// Counting since `since`, after `used` counted by earlier runs. The
    /// instants are `None` when the calendar stays closed for ten years.
    Running {
        since: Timestamp,
        used: SignedDuration,
        warning_at: Option<Timestamp>,
        breach_at: Option<Timestamp>,
    },
    /// Stopped at `since`, waiting on the customer.
    Paused { since: Timestamp, used: SignedDuration },
    /// Support answered (or updated) at `at`.
    Met { at: Timestamp, used: SignedDuration },
}

impl ClockState {
    /// Starts a clock at `at` (the case's opening, or the last update).
    pub fn start(calendar: &BusinessCalendar, target: Target, at: Timestamp) -> Self {
        Self::running(calendar, target, at, SignedDuration::ZERO)
    }

    /// Stops counting while waiting on the customer. A clock that is not
    /// running stays as it is.
    pub fn pause(&self, calendar: &BusinessCalendar, at: Timestamp) -> Self {
        match self.phase {
            ClockPhase::Running { since, used, .. } => Self {
                target: self.target,
                phase: ClockPhase::Paused {
                    since: at.max(since),
                    used: used + counted(calendar, self.target.hours, since, at),
                },
            },
            ClockPhase::Paused { .. } | ClockPhase::Met { .. } => *self,
        }
    }

    /// Counts again from `at`, the due and warning instants moved by the
    /// time paused. A clock that is not paused stays as it is.
    pub fn resume(&self, calendar: &BusinessCalendar, at: Timestamp) -> Self {
        match self.phase {
            ClockPhase::Paused { since, used } => Self::running(calendar, self.target, at.max(since), used),
            ClockPhase::Running { .. } | ClockPhase::Met { .. } => *self,
        }
    }

    /// Support answered at `at`; a paused clock is met with the time it had
    /// counted. A met clock stays as it is.
    pub fn meet(&self, calendar: &BusinessCalendar, at: Timestamp) -> Self {
        let used = match self.phase {
            ClockPhase::Running { since, used, .. } => used + counted(calendar, self.target.hours, since, at),
            ClockPhase::Paused { used, .. } => used,
            ClockPhase::Met { .. } => return *self,
        };
        Self {
            target: self.target,
            phase: ClockPhase::Met { at, used },
        }
    }

    /// When a running clock is due (its breach instant).
    pub fn due_at(&self) -> Option<Timestamp> {
        self.breach_at()
    }

    /// From when a running clock has used 75 % of its target. For a clock
    /// resumed past that mark, the resumption (or the next opening).
    pub fn warning_at(&self) -> Option<Timestamp> {
        match self.phase {
            ClockPhase::Running { warning_at, .. } => warning_at,
            ClockPhase::Paused { .. } | ClockPhase::Met { .. } => None,
        }
    }

    /// From when a running clock has used all its target: due at this
    /// instant, breached after it. For a clock resumed past its target, the
    /// resumption (or the next opening).
    pub fn breach_at(&self) -> Option<Timestamp> {
        match self.phase {
            ClockPhase::Running { breach_at, .. } => breach_at,
            ClockPhase::Paused { .. } | ClockPhase::Met { .. } => None,
        }
    }

    /// The time counted up to `at` (no further than a pause or a meeting).
    pub fn used(&self, calendar: &BusinessCalendar, at: Timestamp) -> SignedDuration {
        match self.phase {
            ClockPhase::Running { since, used, .. } => used + counted(calendar, self.target.hours, since, at),
            ClockPhase::Paused { used, .. } | ClockPhase::Met { used, .. } => used,
        }
    }

    /// Whether the clock has counted more than its target by `at`: answering
    /// exactly at the due instant is in time.
    pub fn is_breached(&self, calendar: &BusinessCalendar, at: Timestamp) -> bool {
        self.used(calendar, at) > self.target.duration
    }

    fn running(calendar: &BusinessCalendar, target: Target, since: Timestamp, used: SignedDuration) -> Self {
        let mark = |percent| after(calendar, target.hours, since, share(target.duration, percent) - used);
        Self {
            target,
            phase: ClockPhase::Running {
                since,
                used,
                warning_at: mark(WARNING_PERCENT),
                breach_at: mark(100),
            },
        }
    }
}

/// Parses a duration as the CLI and the configuration write it: numbers
/// with units `d` (24 hours), `h`, `m`, `s`, largest first, each once:
/// `90m`, `8h`, `2h30m`, `1d`. On a business target the duration is open
/// time, so `1d` is 24 business hours, not one business day.
pub fn parse_duration(input: &str) -> Result<SignedDuration, Invalid> {
    let text = input.trim();
    if text.is_empty() {
        return Err(Invalid::new(InvalidKind::Empty, "the duration is empty"));
    }
    let malformed = || {
        Invalid::new(
            InvalidKind::Format,
            format!(
                "`{text}` is not a duration: write numbers with units d, h, m or s, largest first, as in 90m, 8h, 2h30m or 1d"
            ),
        )
    };
    let too_long = || Invalid::new(InvalidKind::TooLong, format!("`{text}` is longer than ten years"));
    let mut seconds: i64 = 0;
    let mut last_unit = None;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(malformed());
        }
        let number: i64 = rest[..digits].parse().map_err(|_| too_long())?;
        let after_number = rest[digits..].trim_start();
        let unit = after_number.chars().next().ok_or_else(malformed)?;
        let (rank, unit_seconds) = match unit.to_ascii_lowercase() {
            'd' => (0, 86_400),
            'h' => (1, 3_600),
            'm' => (2, 60),
            's' => (3, 1),
            _ => return Err(malformed()),
        };
        if last_unit.is_some_and(|last| rank <= last) {
            return Err(malformed());
        }
        last_unit = Some(rank);
        seconds = number
            .checked_mul(unit_seconds)
            .and_then(|part| seconds.checked_add(part))
            .ok_or_else(too_long)?;
        rest = after_number[unit.len_utf8()..].trim_start();
    }
    let duration = SignedDuration::from_secs(seconds);
    if duration > LONGEST {
        return Err(too_long());
    }
    Ok(duration)
}

/// Writes a duration as `parse_duration` reads it, in hours, minutes and
/// seconds (`26h30m`, not `1d2h30m`: a day of business hours is not 24 of
/// them, so days are never shown). Fractions of a second are dropped.
pub fn format_duration(duration: SignedDuration) -> String {
    let mut text = String::new();
    if duration.is_negative() {
        text.push('-');
    }
    let seconds = duration.as_secs().unsigned_abs();
    let (hours, minutes, seconds) = (seconds / 3_600, seconds / 60 % 60, seconds % 60);
    for (amount, unit) in [(hours, 'h'), (minutes, 'm'), (seconds, 's')] {
        if amount > 0 {
            let _ = write!(text, "{amount}{unit}");
        }
    }
    if hours == 0 && minutes == 0 && seconds == 0 {
        text.push_str("0m");
    }
    text
}

/// A target's duration in configuration files and JSON: `8h`, `2h30m`.
mod duration_text {
    use jiff::SignedDuration;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(duration: &SignedDuration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::format_duration(*duration))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SignedDuration, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::country::CountryCode;
    use crate::holidays::business_calendar_for;
    use Priority::*;
    use jiff::civil::{DateTime, date};
    use jiff::tz::TimeZone;
    use proptest::prelude::*;

    fn h(hours: i64) -> SignedDuration {
        SignedDuration::from_hours(hours)
    }

    fn paris() -> BusinessCalendar {
        BusinessCalendar::standard(TimeZone::get("Europe/Paris").unwrap())
    }

    fn at(calendar: &BusinessCalendar, local: DateTime) -> Timestamp {
        calendar.zone().to_timestamp(local).unwrap()
    }

    fn target(tier: &str, priority: Priority, clock: Clock) -> Option<Target> {
        SlaPolicy::default().target(tier, priority, clock)
    }

    #[test]
    fn r21_default_targets() {
        use Clock::*;
        let clock = Target::around_the_clock;
        let business = Target::business;
        let expected = [
            (
                "standard",
                FirstResponse,
                [
                    Some(clock(h(2))),
                    Some(business(h(8))),
                    Some(business(h(24))),
                    Some(business(h(48))),
                ],
            ),
            (
                "premium",
                FirstResponse,
                [
                    Some(clock(h(1))),
                    Some(business(h(4))),
                    Some(business(h(12))),
                    Some(business(h(24))),
                ],
            ),
            (
                "standard",
                NextUpdate,
                [Some(clock(h(4))), Some(business(h(12))), None, None],
            ),
            (
                "premium",
                NextUpdate,
                [Some(clock(h(2))), Some(business(h(6))), None, None],
            ),
        ];
        for (tier, which, targets) in expected {
            for (priority, expected) in Priority::ALL.into_iter().zip(targets) {
                assert_eq!(target(tier, priority, which), expected, "{tier} {priority:?} {which:?}");
            }
        }
        assert_eq!(target("gold", P1, FirstResponse), None);
        assert_eq!(SlaPolicy::default().tier_names(), ["premium", "standard"]);
    }

    #[test]
    fn r21_only_p1_runs_around_the_clock() {
        let policy = SlaPolicy::default();
        for (tier, targets) in &policy.tiers {
            for clock in [Clock::FirstResponse, Clock::NextUpdate] {
                for (priority, target) in targets.clock(clock) {
                    let around_the_clock = target.hours == TargetHours::AroundTheClock;
                    assert_eq!(around_the_clock, *priority == P1, "{tier} {priority:?} {clock:?}");
                }
            }
        }
    }

    #[test]
    fn the_policy_is_data() {
        let mut policy = SlaPolicy::default();
        policy.set_target(
            "gold",
            P1,
            Clock::FirstResponse,
            Some(Target::around_the_clock(h(1) / 2)),
        );
        policy.set_target("standard", P3, Clock::NextUpdate, Some(Target::business(h(48))));
        policy.set_target("premium", P2, Clock::NextUpdate, None);
        assert_eq!(
            policy.target("gold", P1, Clock::FirstResponse),
            Some(Target::around_the_clock(SignedDuration::from_mins(30)))
        );
        assert_eq!(policy.target("gold", P2, Clock::FirstResponse), None);
        assert_eq!(
            policy.target("standard", P3, Clock::NextUpdate),
            Some(Target::business(h(48)))
        );
        assert_eq!(policy.target("premium", P2, Clock::NextUpdate), None);
    }

    #[test]
    fn r21_a_p1_opened_saturday_night_is_due_two_hours_later() {
        let calendar = paris();
        let saturday_night = at(&calendar, date(2024, 3, 9).at(23, 0, 0, 0));
        let p1 = target("standard", P1, Clock::FirstResponse).unwrap();
        let due_at = due(&calendar, &p1, saturday_night).unwrap();
        assert_eq!(calendar.local(due_at), date(2024, 3, 10).at(1, 0, 0, 0));
        // Holidays do not stop it either.
        let france = business_calendar_for(
            CountryCode::parse("FR").unwrap(),
            TimeZone::get("Europe/Paris").unwrap(),
            None,
            2024..=2024,
        )
        .unwrap();
        let bastille_day = at(&france, date(2024, 7, 14).at(10, 0, 0, 0));
        assert_eq!(due(&france, &p1, bastille_day), Some(bastille_day + h(2)));
    }

    #[test]
    fn r21_a_p3_opened_friday_at_five_is_due_tuesday_at_five() {
        let calendar = paris();
        let p3 = target("standard", P3, Clock::FirstResponse).unwrap();
        // Friday 17–18 (1 h), Monday 06–18 (12 h), Tuesday 06–17 (11 h).
        let friday = at(&calendar, date(2024, 3, 8).at(17, 0, 0, 0));
        let due_at = due(&calendar, &p3, friday).unwrap();
        assert_eq!(calendar.local(due_at), date(2024, 3, 12).at(17, 0, 0, 0));
        // Over Easter 2024, with French holidays and the change to summer
        // time: Easter Monday is closed, so Wednesday 17:00 CEST.
        let france = business_calendar_for(
            CountryCode::parse("FR").unwrap(),
            TimeZone::get("Europe/Paris").unwrap(),
            None,
            2024..=2024,
        )
        .unwrap();
        let good_friday = at(&france, date(2024, 3, 29).at(17, 0, 0, 0));
        let due_at = due(&france, &p3, good_friday).unwrap();
        assert_eq!(due_at.to_string(), "2024-04-03T15:00:00Z");
    }

    #[test]
    fn warning_and_breach_are_at_75_and_100_percent() {
        let calendar = paris();
        let p2 = target("standard", P2, Clock::FirstResponse).unwrap();
        let monday = at(&calendar, date(2024, 3, 4).at(6, 0, 0, 0));
        let clock = ClockState::start(&calendar, p2, monday);
        assert_eq!(
            clock.warning_at(),
            Some(at(&calendar, date(2024, 3, 4).at(12, 0, 0, 0)))
        );
        assert_eq!(clock.breach_at(), Some(at(&calendar, date(2024, 3, 4).at(14, 0, 0, 0))));
        assert_eq!(clock.due_at(), clock.breach_at());
        let due_at = clock.due_at().unwrap();
        assert!(!clock.is_breached(&calendar, due_at));
        assert!(clock.is_breached(&calendar, due_at + SignedDuration::from_secs(1)));
        // Opened Sunday: the clock starts Monday 06:00.
        let sunday = at(&calendar, date(2024, 3, 3).at(15, 0, 0, 0));
        assert_eq!(ClockState::start(&calendar, p2, sunday).due_at(), clock.due_at());
    }

    #[test]
    fn paused_time_does_not_count() {
        let calendar = paris();
        let p2 = target("standard", P2, Clock::FirstResponse).unwrap();
        let friday = at(&calendar, date(2024, 3, 8).at(10, 0, 0, 0));
        let clock = ClockState::start(&calendar, p2, friday);
        let first_due = clock.due_at().unwrap();
        assert_eq!(calendar.local(first_due), date(2024, 3, 8).at(18, 0, 0, 0));

        // Waiting on the customer from Friday noon to Monday 09:00.
        let paused_at = at(&calendar, date(2024, 3, 8).at(12, 0, 0, 0));
        let resumed_at = at(&calendar, date(2024, 3, 11).at(9, 0, 0, 0));
        let paused = clock.pause(&calendar, paused_at);
        assert_eq!(paused.due_at(), None);
        assert_eq!(paused.used(&calendar, resumed_at), h(2));
        let resumed = paused.resume(&calendar, resumed_at);
        let new_due = resumed.due_at().unwrap();
        assert_eq!(calendar.local(new_due), date(2024, 3, 11).at(15, 0, 0, 0));
        // Later by exactly the open time paused (Friday 12–18, Monday 06–09).
        let paused_open_time = calendar.elapsed(paused_at, resumed_at);
        assert_eq!(paused_open_time, h(9));
        assert_eq!(calendar.elapsed(first_due, new_due), paused_open_time);

        let met = resumed.meet(&calendar, new_due);
        assert_eq!(met.used(&calendar, new_due + h(100)), h(8));
        assert!(!met.is_breached(&calendar, new_due + h(100)));
    }

    #[test]
    fn a_clock_resumed_past_its_warning_warns_at_once() {
        let calendar = paris();
        let p2 = target("standard", P2, Clock::FirstResponse).unwrap();
        let monday = at(&calendar, date(2024, 3, 4).at(6, 0, 0, 0));
        let paused =
            ClockState::start(&calendar, p2, monday).pause(&calendar, at(&calendar, date(2024, 3, 4).at(13, 0, 0, 0)));
        let resumed_at = at(&calendar, date(2024, 3, 4).at(20, 0, 0, 0));
        let resumed = paused.resume(&calendar, resumed_at);
        let tuesday = at(&calendar, date(2024, 3, 5).at(6, 0, 0, 0));
        assert_eq!(resumed.warning_at(), Some(tuesday));
        assert_eq!(resumed.breach_at(), Some(tuesday + h(1)));
    }

    #[test]
    fn transitions_from_the_wrong_phase_change_nothing() {
        let calendar = paris();
        let p1 = target("premium", P1, Clock::NextUpdate).unwrap();
        let start = at(&calendar, date(2024, 3, 9).at(23, 0, 0, 0));
        let running = ClockState::start(&calendar, p1, start);
        assert_eq!(running.resume(&calendar, start + h(1)), running);
        let paused = running.pause(&calendar, start + h(1));
        assert_eq!(paused.pause(&calendar, start + h(2)), paused);
        let met = paused.meet(&calendar, start + h(5));
        assert_eq!(met.used(&calendar, start + h(9)), h(1));
        assert_eq!(met.pause(&calendar, start + h(6)), met);
        assert_eq!(met.resume(&calendar, start + h(6)), met);
        assert_eq!(met.meet(&calendar, start + h(6)), met);
        // Met late: three hours counted on a two-hour target.
        let late = running.meet(&calendar, start + h(3));
        assert!(late.is_breached(&calendar, start + h(3)));
    }

    #[test]
    fn durations_parse_as_the_cli_writes_them() {
        let m = SignedDuration::from_mins;
        assert_eq!(parse_duration("90m").unwrap(), m(90));
        assert_eq!(parse_duration("8h").unwrap(), h(8));
        assert_eq!(parse_duration("2h30m").unwrap(), m(150));
        assert_eq!(parse_duration(" 2h 30m ").unwrap(), m(150));
        assert_eq!(parse_duration("1d").unwrap(), h(24));
        assert_eq!(parse_duration("1D2H").unwrap(), h(26));
        assert_eq!(parse_duration("45s").unwrap(), SignedDuration::from_secs(45));
        assert_eq!(parse_duration("0m").unwrap(), SignedDuration::ZERO);
        assert_eq!(parse_duration("").unwrap_err().kind, InvalidKind::Empty);
        for bad in ["8", "h", "2h2h", "30m2h", "1.5h", "-2h", "2 hours", "2w", "8h!"] {
            let error = parse_duration(bad).unwrap_err();
            assert_eq!(error.kind, InvalidKind::Format, "{bad}");
            assert!(error.message.contains("2h30m"), "{}", error.message);
        }
        assert_eq!(parse_duration("3654d").unwrap_err().kind, InvalidKind::TooLong);
        assert_eq!(
            parse_duration("99999999999999999999h").unwrap_err().kind,
            InvalidKind::TooLong
        );
    }

    #[test]
    fn targets_read_and_write_friendly_durations() {
        use serde::de::value::{Error, StrDeserializer};
        let read = |text| duration_text::deserialize(StrDeserializer::<Error>::new(text));
        assert_eq!(read("2h30m").unwrap(), SignedDuration::from_mins(150));
        assert!(read("soon").is_err());
        assert_eq!(format_duration(SignedDuration::from_mins(90)), "1h30m");
        assert_eq!(format_duration(h(26)), "26h");
        assert_eq!(format_duration(SignedDuration::from_secs(3605)), "1h5s");
        assert_eq!(format_duration(SignedDuration::ZERO), "0m");
    }

    proptest! {
        #[test]
        fn format_and_parse_round_trip(seconds in 0..315_000_000i64) {
            let duration = SignedDuration::from_secs(seconds);
            prop_assert_eq!(parse_duration(&format_duration(duration)).unwrap(), duration);
        }

        #[test]
        fn pausing_moves_the_due_time_by_the_open_time_paused(
            start in 1_704_067_200i64..1_735_689_600,
            run in 0..40_000i64,
            pause in 0..400_000i64,
            priority in 1..4usize,
        ) {
            let calendar = paris();
            let target = target("standard", Priority::ALL[priority], Clock::FirstResponse).unwrap();
            let start = Timestamp::from_second(start).unwrap();
            let clock = ClockState::start(&calendar, target, start);
            let paused_at = start + SignedDuration::from_secs(run);
            let resumed_at = paused_at + SignedDuration::from_secs(pause);
            let resumed = clock.pause(&calendar, paused_at).resume(&calendar, resumed_at);
            let (first_due, new_due) = (clock.due_at().unwrap(), resumed.due_at().unwrap());
            if paused_at < first_due {
                prop_assert_eq!(
                    calendar.elapsed(first_due, new_due),
                    calendar.elapsed(paused_at, resumed_at)
                );
            }
            prop_assert_eq!(resumed.used(&calendar, new_due), target.duration.max(clock.used(&calendar, paused_at)));
        }
    }
}
