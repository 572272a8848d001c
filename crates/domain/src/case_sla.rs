//! The SLA clocks of a case (R15, R16, R21): first response from the
//! opening, next update from each public answer; paused while the case
//! waits on the customer, resumed when they reply; warnings at 75 % and
//! breaches at 100 %, each recorded once.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::calendar::BusinessCalendar;
use crate::case::CaseStatus;
use crate::priority::Priority;
use crate::sla::{Clock, ClockPhase, ClockState, SlaPolicy};

/// One clock of a case and the alarms already raised for its current run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseClock {
    pub state: ClockState,
    pub warned: bool,
    pub breached: bool,
}

impl CaseClock {
    fn new(state: ClockState) -> Self {
        Self {
            state,
            warned: false,
            breached: false,
        }
    }

    fn is_running(&self) -> bool {
        matches!(self.state.phase, ClockPhase::Running { .. })
    }
}

/// A case's clocks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseClocks {
    pub first_response: Option<CaseClock>,
    pub next_update: Option<CaseClock>,
}

/// An alarm a clock raised: 75 % used, or all of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Alarm {
    Warning,
    Breach,
}

/// What the clocks need: the company's targets and calendar.
#[derive(Debug, Clone, Copy)]
pub struct SlaContext<'a> {
    pub policy: &'a SlaPolicy,
    /// The company's SLA contract tier.
    pub tier: &'a str,
    /// The company's business calendar (R21); P1 targets run around the
    /// clock and ignore it.
    pub calendar: &'a BusinessCalendar,
}

impl SlaContext<'_> {
    fn start(&self, clock: Clock, priority: Priority, at: Timestamp) -> Option<CaseClock> {
        let target = self.policy.target(self.tier, priority, clock)?;
        Some(CaseClock::new(ClockState::start(self.calendar, target, at)))
    }
}

impl CaseClocks {
    fn each(&self) -> impl Iterator<Item = (Clock, &CaseClock)> {
        [
            (Clock::FirstResponse, &self.first_response),
            (Clock::NextUpdate, &self.next_update),
        ]
        .into_iter()
        .filter_map(|(clock, state)| state.as_ref().map(|s| (clock, s)))
    }

    /// A new case: the first-response clock starts.
    pub fn opened(context: SlaContext<'_>, priority: Priority, at: Timestamp) -> Self {
        Self {
            first_response: context.start(Clock::FirstResponse, priority, at),
            next_update: None,
        }
    }

    /// A public analyst answer that leaves the case in `status`: the first
    /// response is met; the next-update clock starts again from it, paused
    /// at once if the answer waits on the customer, stopped if the case is
    /// solved or closed.
    pub fn answered(self, context: SlaContext<'_>, priority: Priority, status: CaseStatus, at: Timestamp) -> Self {
        let first_response = self.first_response.map(|clock| CaseClock {
            state: clock.state.meet(context.calendar, at),
            ..clock
        });
        let next_update = if status.is_open() {
            context.start(Clock::NextUpdate, priority, at).map(|clock| {
                if status == CaseStatus::WaitingOnCustomer {
                    CaseClock {
                        state: clock.state.pause(context.calendar, at),
                        ..clock
                    }
                } else {
                    clock
                }
            })
        } else {
            None
        };
        Self {
            first_response,
            next_update,
        }
    }

    /// The case moved from `from` to `to` other than by an answer.
    pub fn status_changed(
        self,
        context: SlaContext<'_>,
        priority: Priority,
        from: CaseStatus,
        to: CaseStatus,
        at: Timestamp,
    ) -> Self {
        let pause = |clock: Option<CaseClock>| {
            clock.map(|c| CaseClock {
                state: c.state.pause(context.calendar, at),
                ..c
            })
        };
        let resume = |clock: Option<CaseClock>| {
            clock.map(|c| CaseClock {
                state: c.state.resume(context.calendar, at),
                ..c
            })
        };
        let meet = |clock: Option<CaseClock>| {
            clock.map(|c| CaseClock {
                state: c.state.meet(context.calendar, at),
                ..c
            })
        };
        match (from, to) {
            (_, CaseStatus::Solved | CaseStatus::Closed) => Self {
                first_response: meet(self.first_response),
                next_update: meet(self.next_update),
            },
            (_, CaseStatus::WaitingOnCustomer) => Self {
                first_response: pause(self.first_response),
                next_update: pause(self.next_update),
            },
            // The customer answered: the clocks count again.
            (CaseStatus::WaitingOnCustomer, _) => Self {
                first_response: resume(self.first_response),
                next_update: resume(self.next_update),
            },
            // Reopened: support owes the customer an update.
            (CaseStatus::Solved, _) => Self {
                next_update: context.start(Clock::NextUpdate, priority, at),
                ..self
            },
            _ => self,
        }
    }

    /// The company's contract or calendar changed: running and paused
    /// clocks take the new target and calendar, keeping the time counted.
    pub fn retargeted(
        self,
        old: &BusinessCalendar,
        context: SlaContext<'_>,
        priority: Priority,
        at: Timestamp,
    ) -> Self {
        let retarget = |clock: Option<CaseClock>, which: Clock| -> Option<CaseClock> {
            let clock = clock?;
            let Some(target) = context.policy.target(context.tier, priority, which) else {
                return Some(clock);
            };
            let state = match clock.state.phase {
                ClockPhase::Met { .. } => return Some(clock),
                ClockPhase::Running { .. } => {
                    let paused = clock.state.pause(old, at);
                    ClockState { target, ..paused }.resume(context.calendar, at)
                }
                ClockPhase::Paused { .. } => ClockState { target, ..clock.state },
            };
            Some(CaseClock { state, ..clock })
        };
        Self {
            first_response: retarget(self.first_response, Clock::FirstResponse),
            next_update: retarget(self.next_update, Clock::NextUpdate),
        }
    }

    /// The alarms due by `now` that were not raised yet; they are marked
    /// raised, so asking again raises nothing.
    pub fn raise_alarms(&mut self, now: Timestamp) -> Vec<(Clock, Alarm)> {
        let mut raised = Vec::new();
        for (which, slot) in [
            (Clock::FirstResponse, &mut self.first_response),
            (Clock::NextUpdate, &mut self.next_update),
        ] {
            let Some(clock) = slot.as_mut() else { continue };
            if !clock.is_running() {
                continue;
            }
            if !clock.breached && clock.state.breach_at().is_some_and(|at| at < now) {
                clock.breached = true;
                clock.warned = true;
                raised.push((which, Alarm::Breach));
            } else if !clock.warned && clock.state.warning_at().is_some_and(|at| at <= now) {
                clock.warned = true;
                raised.push((which, Alarm::Warning));
            }
        }
        raised
    }

    /// The next instant an alarm is due, if any: what the watcher's index
    /// holds.
    pub fn next_alarm(&self) -> Option<Timestamp> {
        self.each()
            .filter(|(_, clock)| clock.is_running())
            .filter_map(|(_, clock)| {
                if !clock.warned {
                    clock.state.warning_at()
                } else if !clock.breached {
                    // A breach is raised just after the due instant.
                    clock
                        .state
                        .breach_at()
                        .map(|at| at + jiff::SignedDuration::from_micros(1))
                } else {
                    None
                }
            })
            .min()
    }

    /// The nearest due instant of a running clock (for sorting queues).
    pub fn next_due(&self) -> Option<Timestamp> {
        self.each().filter_map(|(_, clock)| clock.state.due_at()).min()
    }
}

#[cfg(test)]
mod tests {
    use jiff::tz::TimeZone;

    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn paris() -> BusinessCalendar {
        crate::holidays::business_calendar_for(
            crate::country::CountryCode::parse("FR").unwrap(),
            TimeZone::get("Europe/Paris").unwrap(),
            None,
            2025..=2027,
        )
        .unwrap()
    }

    fn context<'a>(policy: &'a SlaPolicy, calendar: &'a BusinessCalendar) -> SlaContext<'a> {
        SlaContext {
            policy,
            tier: "standard",
            calendar,
        }
    }

    #[test]
    fn a_p1_opened_on_saturday_night_is_due_two_hours_later() {
        let (policy, calendar) = (SlaPolicy::default(), paris());
        // Saturday 2026-12-05 23:00 Paris.
        let clocks = CaseClocks::opened(context(&policy, &calendar), Priority::P1, at("2026-12-05T22:00:00Z"));
        assert_eq!(
            clocks.first_response.unwrap().state.due_at(),
            Some(at("2026-12-06T00:00:00Z"))
        );
        assert_eq!(clocks.next_due(), Some(at("2026-12-06T00:00:00Z")));
    }

    #[test]
    fn a_p3_opened_friday_17h_in_paris_is_due_business_days_later() {
        let (policy, calendar) = (SlaPolicy::default(), paris());
        // Friday 2026-12-04 17:00 Paris (16:00Z); 24 business hours: 1 h on
        // Friday, 12 h Monday, 11 h Tuesday → Tuesday 17:00 Paris.
        let clocks = CaseClocks::opened(context(&policy, &calendar), Priority::P3, at("2026-12-04T16:00:00Z"));
        assert_eq!(clocks.next_due(), Some(at("2026-12-08T16:00:00Z")));
    }

    #[test]
    fn waiting_on_the_customer_pauses_and_the_reply_resumes() {
        let (policy, calendar) = (SlaPolicy::default(), paris());
        let ctx = context(&policy, &calendar);
        // P2, standard: next update every 12 business hours.
        let opened = CaseClocks::opened(ctx, Priority::P2, at("2026-12-01T08:00:00Z"));
        let asked = opened.answered(
            ctx,
            Priority::P2,
            CaseStatus::WaitingOnCustomer,
            at("2026-12-01T09:00:00Z"),
        );
        assert!(matches!(
            asked.first_response.unwrap().state.phase,
            ClockPhase::Met { .. }
        ));
        assert!(matches!(
            asked.next_update.unwrap().state.phase,
            ClockPhase::Paused { .. }
        ));
        assert_eq!(asked.next_due(), None, "nothing is due while waiting on the customer");
        // A week later the customer replies (Tuesday 8 Dec 09:00Z = 10:00 Paris).
        let replied = asked.status_changed(
            ctx,
            Priority::P2,
            CaseStatus::WaitingOnCustomer,
            CaseStatus::InProgress,
            at("2026-12-08T09:00:00Z"),
        );
        // 12 business hours from Tuesday 10:00: 8 h to 18:00, 4 h Wednesday → 10:00 Paris.
        assert_eq!(replied.next_due(), Some(at("2026-12-09T09:00:00Z")));
        let mut watched = replied;
        assert!(
            watched.raise_alarms(at("2026-12-08T12:00:00Z")).is_empty(),
            "no breach for the paused week"
        );
    }

    #[test]
    fn alarms_are_raised_once_warning_then_breach() {
        let (policy, calendar) = (SlaPolicy::default(), paris());
        let mut clocks = CaseClocks::opened(context(&policy, &calendar), Priority::P1, at("2026-12-01T08:00:00Z"));
        // P1 standard: 2 h around the clock; warning at 1h30.
        assert_eq!(clocks.next_alarm(), Some(at("2026-12-01T09:30:00Z")));
        assert!(clocks.raise_alarms(at("2026-12-01T09:00:00Z")).is_empty());
        assert_eq!(
            clocks.raise_alarms(at("2026-12-01T09:31:00Z")),
            vec![(Clock::FirstResponse, Alarm::Warning)]
        );
        assert!(
            clocks.raise_alarms(at("2026-12-01T09:32:00Z")).is_empty(),
            "raised once"
        );
        assert!(clocks.next_alarm().unwrap() > at("2026-12-01T10:00:00Z"));
        assert!(
            clocks.raise_alarms(at("2026-12-01T10:00:00Z")).is_empty(),
            "answering at the due instant is in time"
        );
        assert_eq!(
            clocks.raise_alarms(at("2026-12-01T10:01:00Z")),
            vec![(Clock::FirstResponse, Alarm::Breach)]
        );
        assert!(clocks.raise_alarms(at("2026-12-01T12:00:00Z")).is_empty());
        assert_eq!(clocks.next_alarm(), None);
    }

    #[test]
    fn solving_stops_the_clocks_and_reopening_restarts_the_update() {
        let (policy, calendar) = (SlaPolicy::default(), paris());
        let ctx = context(&policy, &calendar);
        let opened = CaseClocks::opened(ctx, Priority::P2, at("2026-12-01T08:00:00Z"));
        let solved = opened.answered(ctx, Priority::P2, CaseStatus::Solved, at("2026-12-01T09:00:00Z"));
        assert_eq!(solved.next_due(), None);
        assert!(solved.next_update.is_none());
        let reopened = solved.status_changed(
            ctx,
            Priority::P2,
            CaseStatus::Solved,
            CaseStatus::InProgress,
            at("2026-12-02T09:00:00Z"),
        );
        assert!(reopened.next_due().is_some());
    }

    #[test]
    fn a_premium_contract_brings_the_due_instant_forward_keeping_time_counted() {
        let (policy, calendar) = (SlaPolicy::default(), paris());
        let ctx = context(&policy, &calendar);
        // P3 standard: 24 business hours from Tuesday 09:00 Paris.
        let opened = CaseClocks::opened(ctx, Priority::P3, at("2026-12-01T08:00:00Z"));
        // Two business hours later the company goes premium (12 business hours).
        let premium = SlaContext { tier: "premium", ..ctx };
        let retargeted = opened.retargeted(&calendar, premium, Priority::P3, at("2026-12-01T10:00:00Z"));
        // 10 hours left from 11:00 Paris: 7 h to 18:00, 3 h Wednesday → 09:00 Paris.
        assert_eq!(retargeted.next_due(), Some(at("2026-12-02T08:00:00Z")));
    }
}
