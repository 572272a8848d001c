//! Failed logins are throttled per account and per address, so a password
//! cannot be guessed from one place or spread over many.

use jiff::{SignedDuration, Timestamp};

/// How many failures a key may have in a window before it is locked, and
/// for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub max_failures: u32,
    pub window: SignedDuration,
    pub lockout: SignedDuration,
}

impl ThrottlePolicy {
    /// Per account: five tries in fifteen minutes.
    pub const ACCOUNT: Self = Self {
        max_failures: 5,
        window: SignedDuration::from_mins(15),
        lockout: SignedDuration::from_mins(15),
    };
    /// Per address: more, because offices share addresses.
    pub const ADDRESS: Self = Self {
        max_failures: 30,
        window: SignedDuration::from_mins(15),
        lockout: SignedDuration::from_mins(15),
    };
}

/// The failures recorded against one key (an account or an address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    pub window_started_at: Timestamp,
    pub locked_until: Option<Timestamp>,
}

/// Until when a key is locked, if it is locked at `now`.
pub fn locked_until(failures: Option<&Failures>, now: Timestamp) -> Option<Timestamp> {
    failures.and_then(|f| f.locked_until).filter(|until| *until > now)
}

/// The failures after one more at `now`: a new window once the old one has
/// passed, and a lock when the count reaches the policy's limit.
pub fn record_failure(previous: Option<Failures>, policy: ThrottlePolicy, now: Timestamp) -> Failures {
    let mut failures = match previous {
        Some(f)
            if now.duration_since(f.window_started_at) < policy.window && f.locked_until.is_none_or(|u| u > now) =>
        {
            f
        }
        _ => Failures {
            count: 0,
            window_started_at: now,
            locked_until: None,
        },
    };
    failures.count += 1;
    if failures.count >= policy.max_failures && failures.locked_until.is_none() {
        failures.locked_until = Some(now + policy.lockout);
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap() + SignedDuration::from_mins(minutes)
    }

    #[test]
    fn the_fifth_failure_in_the_window_locks_the_account() {
        let policy = ThrottlePolicy::ACCOUNT;
        let mut failures = None;
        for minute in 0..4 {
            failures = Some(record_failure(failures, policy, at(minute)));
            assert_eq!(locked_until(failures.as_ref(), at(minute)), None);
        }
        failures = Some(record_failure(failures, policy, at(4)));
        assert_eq!(locked_until(failures.as_ref(), at(5)), Some(at(19)));
        // The lock lifts by itself.
        assert_eq!(locked_until(failures.as_ref(), at(19)), None);
    }

    #[test]
    fn failures_spread_beyond_the_window_do_not_lock() {
        let policy = ThrottlePolicy::ACCOUNT;
        let mut failures = None;
        for n in 0..20 {
            failures = Some(record_failure(failures, policy, at(n * 4)));
            assert_eq!(locked_until(failures.as_ref(), at(n * 4)), None, "failure {n}");
        }
    }

    #[test]
    fn a_failure_after_the_lock_lifted_starts_again() {
        let policy = ThrottlePolicy::ACCOUNT;
        let mut failures = None;
        for minute in 0..5 {
            failures = Some(record_failure(failures, policy, at(minute)));
        }
        let after = record_failure(failures, policy, at(30));
        assert_eq!(after.count, 1);
        assert_eq!(after.locked_until, None);
    }
}
