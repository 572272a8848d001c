//! `guichet sla`: when an SLA duration is due and whether support is open,
//! on a country's business calendar (R21), from the command line. No
//! database and no configuration: the answer depends only on the flags.
//!
//! Flags are parsed into domain types by clap, so a bad country, zone, date,
//! instant or duration is refused with the parser's message and exit code 2.

use anyhow::anyhow;
use clap::{Args, Subcommand};
use guichet_domain::calendar::BusinessCalendar;
use guichet_domain::country::{CountryCode, TimeZoneName};
use guichet_domain::holidays::{self, HolidayRules};
use guichet_domain::sla::{self, Target};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Subcommand)]
pub enum SlaCommand {
    /// Print when a duration of support time started at --start is due, as
    /// one RFC 3339 UTC line (2026-12-28T12:30:00Z).
    ///
    /// The time counts only while the country's support is open: Monday to
    /// Friday, 06:00-18:00 in the time zone, less public holidays and the
    /// --closed dates. A start after hours counts from the next opening; a
    /// duration that ends exactly at closing time is due at closing time.
    Due(DueArgs),
    /// Print `open` or `closed` at --at, then the next opening or closing as
    /// RFC 3339 UTC, on one line (closed 2026-03-30T05:00:00Z).
    Open(OpenArgs),
}

/// Which calendar: a country's, in a time zone, with extra closures.
#[derive(Debug, Args)]
pub struct CalendarArgs {
    /// ISO 3166 country code. US, GB, FR, DE, ZA and AU have public holiday
    /// rules (docs/holidays.md); other countries get Monday to Friday
    /// 06:00-18:00 without holidays.
    #[arg(long, value_name = "CODE", value_parser = country)]
    pub country: CountryCode,
    /// IANA time zone of the opening hours (default: the country's).
    #[arg(long, value_name = "ZONE", value_parser = time_zone)]
    pub timezone: Option<TimeZoneName>,
    /// A subdivision with its own holidays: NSW or VIC for AU, ENG or WLS
    /// for GB.
    #[arg(long, value_name = "CODE")]
    pub subdivision: Option<String>,
    /// A date closed all day, YYYY-MM-DD (repeatable).
    #[arg(long = "closed", value_name = "DATE", value_parser = date)]
    pub closed: Vec<Date>,
}

#[derive(Debug, Args)]
pub struct DueArgs {
    #[command(flatten)]
    pub calendar: CalendarArgs,
    /// When the clock starts, RFC 3339 (2026-12-24T16:30:00Z; default: now).
    #[arg(long, value_name = "INSTANT", value_parser = instant)]
    pub start: Option<Timestamp>,
    /// How much time: 90m, 8h, 2h30m (d is 24 hours of open time).
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub duration: SignedDuration,
    /// Count real time, day and night, holidays included (as P1 clocks do):
    /// the calendar is ignored.
    #[arg(long, conflicts_with = "closed")]
    pub around_the_clock: bool,
}

#[derive(Debug, Args)]
pub struct OpenArgs {
    #[command(flatten)]
    pub calendar: CalendarArgs,
    /// The instant to answer for, RFC 3339 (default: now).
    #[arg(long, value_name = "INSTANT", value_parser = instant)]
    pub at: Option<Timestamp>,
}

fn country(text: &str) -> Result<CountryCode, String> {
    CountryCode::parse(text).map_err(|e| e.to_string())
}

fn time_zone(text: &str) -> Result<TimeZoneName, String> {
    TimeZoneName::parse(text).map_err(|e| e.to_string())
}

fn date(text: &str) -> Result<Date, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a date such as 2026-12-31"))
}

fn instant(text: &str) -> Result<Timestamp, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("`{text}` is not an RFC 3339 instant such as 2026-12-24T16:30:00Z"))
}

fn duration(text: &str) -> Result<SignedDuration, String> {
    sla::parse_duration(text).map_err(|e| e.to_string())
}

/// Fewer open hours than this in a year is impossible on R21's week (52
/// weeks of 60 hours less a dozen holidays is over 2,900).
const OPEN_HOURS_A_YEAR_AT_LEAST: i64 = 2_000;

impl CalendarArgs {
    /// The calendar from `from`'s year for `years_ahead` more years. A
    /// country without holiday rules gets R21's week alone, with a note on
    /// standard error; a subdivision the rules do not know is an error.
    pub fn calendar(&self, from: Timestamp, years_ahead: i64) -> anyhow::Result<BusinessCalendar> {
        let zone_name = self
            .timezone
            .clone()
            .unwrap_or_else(|| self.country.default_time_zone());
        let zone = zone_name.time_zone();
        let year = zone.to_datetime(from).year();
        let last = i64::from(year)
            .saturating_add(years_ahead)
            .min(i64::from(Date::MAX.year()));
        let years = year.saturating_sub(1)..=i16::try_from(last).unwrap_or(Date::MAX.year());
        let calendar = if self.subdivision.is_none() && HolidayRules::new(self.country, None).is_err() {
            eprintln!(
                "note: no public holiday rules for {}: Monday to Friday 06:00-18:00 in {zone_name}, no holidays",
                self.country
            );
            BusinessCalendar::standard(zone)
        } else {
            holidays::business_calendar_for(self.country, zone, self.subdivision.as_deref(), years)?
        };
        Ok(calendar.with_closed_dates(self.closed.iter().copied()))
    }
}

/// When `args.duration` of support time started at `start` is due.
pub fn due(args: &DueArgs, now: Timestamp) -> anyhow::Result<Timestamp> {
    let start = args.start.unwrap_or(now);
    let (calendar, target) = if args.around_the_clock {
        (
            BusinessCalendar::around_the_clock(),
            Target::around_the_clock(args.duration),
        )
    } else {
        let years_ahead = args.duration.as_hours() / OPEN_HOURS_A_YEAR_AT_LEAST + 1;
        (
            args.calendar.calendar(start, years_ahead)?,
            Target::business(args.duration),
        )
    };
    sla::due(&calendar, &target, start).ok_or_else(|| anyhow!("support stays closed for ten years from {start}"))
}

/// `open` or `closed` at `at`, and the next change.
pub fn open(args: &OpenArgs, now: Timestamp) -> anyhow::Result<String> {
    let at = args.at.unwrap_or(now);
    let calendar = args.calendar.calendar(at, 1)?;
    let state = if calendar.is_open(at) { "open" } else { "closed" };
    Ok(match calendar.next_change(at) {
        Some(change) => format!("{state} {change}"),
        None => state.to_owned(),
    })
}

/// The line `guichet sla …` prints.
pub fn run(command: &SlaCommand, now: Timestamp) -> anyhow::Result<String> {
    match command {
        SlaCommand::Due(args) => Ok(due(args, now)?.to_string()),
        SlaCommand::Open(args) => open(args, now),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        command: SlaCommand,
    }

    fn line(args: &[&str]) -> String {
        let cli = Cli::try_parse_from(std::iter::once("sla").chain(args.iter().copied())).unwrap();
        run(&cli.command, "2026-01-01T00:00:00Z".parse().unwrap()).unwrap()
    }

    #[test]
    fn due_counts_open_time_only() {
        // Thursday 2026-12-24 17:30 Paris: 30 min that day, Christmas, the
        // weekend, then 7h30 from Monday 06:00: 13:30 Paris.
        let args = [
            "due",
            "--country",
            "FR",
            "--start",
            "2026-12-24T16:30:00Z",
            "--duration",
            "8h",
        ];
        assert_eq!(line(&args), "2026-12-28T12:30:00Z");
    }

    #[test]
    fn the_years_cover_long_durations() {
        // 7,000 open hours from the first opening of 2026 run into 2028,
        // whose holidays must be in the calendar too.
        let args = [
            "due",
            "--country",
            "FR",
            "--start",
            "2026-01-02T05:00:00Z",
            "--duration",
            "7000h",
        ];
        let due: Timestamp = line(&args).parse().unwrap();
        let zone = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
        let fr = CountryCode::parse("FR").unwrap();
        let full = holidays::business_calendar_for(fr, zone, None, 2025..=2030).unwrap();
        assert_eq!(
            full.add(
                "2026-01-02T05:00:00Z".parse().unwrap(),
                SignedDuration::from_hours(7000)
            ),
            Some(due)
        );
        assert_eq!(jiff::tz::TimeZone::UTC.to_datetime(due).year(), 2028);
    }

    #[test]
    fn open_names_the_next_change() {
        let args = ["open", "--country", "GB", "--at", "2026-03-29T05:30:00Z"];
        assert_eq!(line(&args), "closed 2026-03-30T05:00:00Z");
    }

    #[test]
    fn around_the_clock_and_closed_dates_do_not_mix() {
        let args = [
            "sla",
            "due",
            "--country",
            "FR",
            "--duration",
            "1h",
            "--around-the-clock",
            "--closed",
            "2026-12-31",
        ];
        assert!(Cli::try_parse_from(args).is_err());
    }
}
