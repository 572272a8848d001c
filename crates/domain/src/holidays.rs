//! Public holidays, computed from each country's rules (fixed dates, dates
//! relative to Easter, n-th or last weekday of a month, substitute days), not
//! from typed-in lists. A business calendar is closed on them (R21).
//!
//! `docs/holidays.md` lists what each country has and how this differs from
//! the Python `holidays` package; `tools/compare_holidays.py` checks it.
//! The rules describe the law in force since 2020; one-off days (jubilees,
//! elections, days of mourning) are listed from 2020 on.

use std::collections::BTreeSet;
use std::ops::RangeInclusive;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::calendar::BusinessCalendar;
use crate::country::CountryCode;
use crate::{Invalid, InvalidKind};

/// A day off. When a holiday falls on a weekend and the law gives another
/// day in its place, both are listed: the holiday on its own date, and the
/// day off with `observed_for` set to that date (unless the holiday itself
/// moves, as Australia Day in New South Wales and Victoria).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Holiday {
    pub date: Date,
    /// In English.
    pub name: &'static str,
    /// The holiday's own date when this day is observed in its place.
    pub observed_for: Option<Date>,
}

/// The public holidays of a country, or of one of its subdivisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HolidayRules {
    region: &'static Region,
}

struct Region {
    country: &'static str,
    /// ISO 3166-2 suffix, as the Python `holidays` package spells it.
    subdivision: Option<&'static str>,
    rules: &'static [&'static [Rule]],
}

impl std::fmt::Debug for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.code())
    }
}

impl PartialEq for Region {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for Region {}

impl Region {
    fn code(&self) -> String {
        match self.subdivision {
            Some(subdivision) => format!("{}-{subdivision}", self.country),
            None => self.country.to_owned(),
        }
    }
}

impl HolidayRules {
    /// The rules of a country, or of a subdivision of it (`NSW`, `VIC` for
    /// Australia; `ENG`, `WLS` for Great Britain). GB without a subdivision
    /// is England and Wales.
    pub fn new(country: CountryCode, subdivision: Option<&str>) -> Result<Self, Invalid> {
        let country = country.as_str();
        let subdivision = subdivision
            .map(|s| s.trim().to_ascii_uppercase())
            .filter(|s| !s.is_empty());
        let mut known = REGIONS.iter().filter(|region| region.country == country).peekable();
        if known.peek().is_none() {
            return Err(Invalid::new(
                InvalidKind::Unknown,
                format!(
                    "there are no public holiday rules for {country} (known: {})",
                    countries().join(", ")
                ),
            ));
        }
        let mut names = Vec::new();
        for region in known {
            if region.subdivision == subdivision.as_deref() {
                return Ok(Self { region });
            }
            names.extend(region.subdivision);
        }
        Err(Invalid::new(
            InvalidKind::Unknown,
            format!(
                "there are no public holiday rules for the subdivision `{}` of {country} (known: {})",
                subdivision.unwrap_or_default(),
                names.join(", ")
            ),
        ))
    }

    /// Every country and subdivision with rules.
    pub fn all() -> impl Iterator<Item = HolidayRules> {
        REGIONS.iter().map(|region| HolidayRules { region })
    }

    /// `US`, `AU-NSW`.
    pub fn code(&self) -> String {
        self.region.code()
    }

    /// The days off whose date is in `year`, in date order (a US holiday of
    /// next year observed on 31 December is in this year's list).
    pub fn in_year(&self, year: i16) -> Vec<Holiday> {
        let mut days: Vec<Holiday> = [year, year.saturating_add(1)]
            .into_iter()
            .flat_map(|rule_year| self.of_rule_year(rule_year))
            .filter(|holiday| holiday.date.year() == year)
            .collect();
        days.sort_by_key(|holiday| (holiday.date, holiday.observed_for.is_some()));
        days
    }

    /// The holidays the rules give for `year`, with their substitutes, some
    /// of which may fall in another year.
    fn of_rule_year(&self, year: i16) -> Vec<Holiday> {
        let mut own: Vec<(Date, &Rule)> = self
            .region
            .rules
            .iter()
            .flat_map(|rules| rules.iter())
            .filter_map(|rule| Some((rule.date(year)?, rule)))
            .collect();
        own.sort_by_key(|(date, _)| *date);
        // A substitute day goes to the first weekday that is not a holiday
        // already, so every holiday of the year is known before any is placed.
        let mut taken: BTreeSet<Date> = own.iter().map(|(date, _)| *date).collect();
        let mut days = Vec::with_capacity(own.len() + 2);
        for (date, rule) in own {
            let substitute = rule.substitute.day_off(date, &taken);
            if substitute.is_none() || rule.substitute != Substitute::MovesToMonday {
                days.push(Holiday {
                    date,
                    name: rule.name,
                    observed_for: None,
                });
            }
            if let Some(day_off) = substitute {
                taken.insert(day_off);
                days.push(Holiday {
                    date: day_off,
                    name: rule.name,
                    observed_for: Some(date),
                });
            }
        }
        days
    }
}

/// The holidays of a country (or subdivision) in a year; see
/// [`HolidayRules::in_year`].
pub fn holidays(country: CountryCode, year: i16, subdivision: Option<&str>) -> Result<Vec<Holiday>, Invalid> {
    Ok(HolidayRules::new(country, subdivision)?.in_year(year))
}

/// R21's standard calendar (Monday to Friday, 06:00–18:00) closed on the
/// country's holidays of `years`: each holiday's own date and the day
/// observed in its place.
pub fn business_calendar_for(
    country: CountryCode,
    zone: TimeZone,
    subdivision: Option<&str>,
    years: RangeInclusive<i16>,
) -> Result<BusinessCalendar, Invalid> {
    let rules = HolidayRules::new(country, subdivision)?;
    let closed = years.flat_map(|year| rules.in_year(year)).map(|holiday| holiday.date);
    Ok(BusinessCalendar::standard(zone).with_closed_dates(closed))
}

/// The calendar support keeps in a country (R21): `business_calendar_for`,
/// with the national holidays alone when the subdivision has no rules, and
/// the opening hours alone when the country has none.
pub fn calendar_or_standard(
    country: CountryCode,
    zone: TimeZone,
    subdivision: Option<&str>,
    years: RangeInclusive<i16>,
) -> BusinessCalendar {
    business_calendar_for(country, zone.clone(), subdivision, years.clone())
        .or_else(|_| business_calendar_for(country, zone.clone(), None, years))
        .unwrap_or_else(|_| BusinessCalendar::standard(zone))
}

/// Easter Sunday in the Gregorian calendar (the anonymous algorithm, also
/// known as Meeus/Jones/Butcher).
pub fn easter(year: i16) -> Date {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::new(year, month as i8, day as i8).expect("the algorithm gives a day of March or April")
}

/// What a weekend holiday gives in its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Substitute {
    /// Nothing (FR, DE, Australia as a whole).
    None,
    /// US federal (5 U.S.C. 6103): Saturday → the Friday before, Sunday →
    /// the Monday after.
    NearestWeekday,
    /// ZA (Public Holidays Act 36 of 1994): Sunday → the Monday after, unless
    /// it is a holiday already (Christmas on a Sunday gives nothing more:
    /// the Monday is the Day of Goodwill).
    SundayToMonday,
    /// GB (Banking and Financial Dealings Act 1971), Australian states:
    /// Saturday or Sunday → the next weekday that is not a holiday already,
    /// so Christmas on Saturday and Boxing Day on Sunday give Monday and
    /// Tuesday.
    NextFreeWeekday,
    /// Australia Day in New South Wales and Victoria: on a weekend the
    /// holiday itself moves to the Monday after.
    MovesToMonday,
}

impl Substitute {
    fn day_off(self, date: Date, taken: &BTreeSet<Date>) -> Option<Date> {
        let weekday = date.weekday();
        if !matches!(weekday, Weekday::Saturday | Weekday::Sunday) {
            return None;
        }
        match self {
            Self::None => None,
            Self::NearestWeekday if weekday == Weekday::Saturday => date.yesterday().ok(),
            Self::NearestWeekday => date.tomorrow().ok(),
            Self::SundayToMonday => {
                let monday = date.tomorrow().ok()?;
                (weekday == Weekday::Sunday && !taken.contains(&monday)).then_some(monday)
            }
            Self::NextFreeWeekday => std::iter::successors(date.tomorrow().ok(), |d| d.tomorrow().ok())
                .find(|d| !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) && !taken.contains(d)),
            Self::MovesToMonday => date.nth_weekday(1, Weekday::Monday).ok(),
        }
    }
}

/// When a holiday falls in its year.
#[derive(Debug, Clone, Copy)]
enum Day {
    Fixed {
        month: i8,
        day: i8,
    },
    /// Days after Easter Sunday (before when negative).
    Easter(i16),
    /// The `nth` `weekday` of the month (counted from the end when negative),
    /// then `plus` days.
    Weekday {
        month: i8,
        nth: i8,
        weekday: Weekday,
        plus: i8,
    },
}

#[derive(Debug, Clone, Copy)]
struct Rule {
    name: &'static str,
    day: Day,
    first_year: i16,
    last_year: i16,
    substitute: Substitute,
    /// Years when it was moved by proclamation: (year, month, day).
    moved: &'static [(i16, i8, i8)],
}

impl Rule {
    const fn new(name: &'static str, day: Day) -> Self {
        Self {
            name,
            day,
            first_year: i16::MIN,
            last_year: i16::MAX,
            substitute: Substitute::None,
            moved: &[],
        }
    }

    const fn fixed(name: &'static str, month: i8, day: i8) -> Self {
        Self::new(name, Day::Fixed { month, day })
    }

    const fn easter(name: &'static str, days_after: i16) -> Self {
        Self::new(name, Day::Easter(days_after))
    }

    /// The `nth` `weekday` of `month`; `-1` is the last.
    const fn nth(name: &'static str, nth: i8, weekday: Weekday, month: i8) -> Self {
        Self::new(
            name,
            Day::Weekday {
                month,
                nth,
                weekday,
                plus: 0,
            },
        )
    }

    /// A day declared once.
    const fn once(name: &'static str, year: i16, month: i8, day: i8) -> Self {
        Self::fixed(name, month, day).since(year).until(year)
    }

    const fn since(mut self, year: i16) -> Self {
        self.first_year = year;
        self
    }

    const fn until(mut self, year: i16) -> Self {
        self.last_year = year;
        self
    }

    const fn substitute(mut self, substitute: Substitute) -> Self {
        self.substitute = substitute;
        self
    }

    const fn moved(mut self, moved: &'static [(i16, i8, i8)]) -> Self {
        self.moved = moved;
        self
    }

    const fn days_later(mut self, days: i8) -> Self {
        if let Day::Weekday { ref mut plus, .. } = self.day {
            *plus = days;
        }
        self
    }

    fn date(&self, year: i16) -> Option<Date> {
        if year < self.first_year || year > self.last_year {
            return None;
        }
        if let Some((_, month, day)) = self.moved.iter().find(|(moved_year, _, _)| *moved_year == year) {
            return Date::new(year, *month, *day).ok();
        }
        match self.day {
            Day::Fixed { month, day } => Date::new(year, month, day).ok(),
            Day::Easter(days) => easter(year).checked_add(jiff::Span::new().days(days)).ok(),
            Day::Weekday {
                month,
                nth,
                weekday,
                plus,
            } => Date::new(year, month, 1)
                .ok()?
                .nth_weekday_of_month(nth, weekday)
                .ok()?
                .checked_add(jiff::Span::new().days(plus))
                .ok(),
        }
    }
}

use Substitute::{MovesToMonday, NearestWeekday, NextFreeWeekday, SundayToMonday};
use Weekday::{Monday, Saturday, Thursday, Tuesday};

const US: &[Rule] = &[
    Rule::fixed("New Year's Day", 1, 1).substitute(NearestWeekday),
    Rule::nth("Martin Luther King Jr. Day", 3, Monday, 1).since(1986),
    Rule::nth("Washington's Birthday", 3, Monday, 2),
    Rule::nth("Memorial Day", -1, Monday, 5),
    Rule::fixed("Juneteenth National Independence Day", 6, 19)
        .since(2021)
        .substitute(NearestWeekday),
    Rule::fixed("Independence Day", 7, 4).substitute(NearestWeekday),
    Rule::nth("Labor Day", 1, Monday, 9),
    Rule::nth("Columbus Day", 2, Monday, 10),
    Rule::fixed("Veterans Day", 11, 11).substitute(NearestWeekday),
    Rule::nth("Thanksgiving Day", 4, Thursday, 11),
    Rule::fixed("Christmas Day", 12, 25).substitute(NearestWeekday),
];

/// England and Wales bank holidays, with the one-off days proclaimed since
/// 2020.
const GB_ENGLAND_AND_WALES: &[Rule] = &[
    Rule::fixed("New Year's Day", 1, 1).substitute(NextFreeWeekday),
    Rule::easter("Good Friday", -2),
    Rule::easter("Easter Monday", 1),
    // 2020: moved to the Friday for the 75th anniversary of VE Day.
    Rule::nth("Early May Bank Holiday", 1, Monday, 5).moved(&[(2020, 5, 8)]),
    // 2022: moved to the Thursday of the Platinum Jubilee weekend.
    Rule::nth("Spring Bank Holiday", -1, Monday, 5).moved(&[(2022, 6, 2)]),
    Rule::nth("Summer Bank Holiday", -1, Monday, 8),
    Rule::fixed("Christmas Day", 12, 25).substitute(NextFreeWeekday),
    Rule::fixed("Boxing Day", 12, 26).substitute(NextFreeWeekday),
    Rule::once("Platinum Jubilee Bank Holiday", 2022, 6, 3),
    Rule::once("State Funeral of Queen Elizabeth II", 2022, 9, 19),
    Rule::once("Coronation of King Charles III", 2023, 5, 8),
];

const FR: &[Rule] = &[
    Rule::fixed("New Year's Day", 1, 1),
    Rule::easter("Easter Monday", 1),
    Rule::fixed("Labour Day", 5, 1),
    Rule::fixed("Victory in Europe Day", 5, 8),
    Rule::easter("Ascension Day", 39),
    Rule::easter("Whit Monday", 50),
    Rule::fixed("Bastille Day", 7, 14),
    Rule::fixed("Assumption of Mary", 8, 15),
    Rule::fixed("All Saints' Day", 11, 1),
    Rule::fixed("Armistice Day", 11, 11),
    Rule::fixed("Christmas Day", 12, 25),
];

const DE: &[Rule] = &[
    Rule::fixed("New Year's Day", 1, 1),
    Rule::easter("Good Friday", -2),
    Rule::easter("Easter Monday", 1),
    Rule::fixed("Labour Day", 5, 1),
    Rule::easter("Ascension Day", 39),
    Rule::easter("Whit Monday", 50),
    Rule::fixed("German Unity Day", 10, 3).since(1990),
    Rule::fixed("Christmas Day", 12, 25),
    Rule::fixed("Second Day of Christmas", 12, 26),
];

const ZA: &[Rule] = &[
    Rule::fixed("New Year's Day", 1, 1).substitute(SundayToMonday),
    Rule::fixed("Human Rights Day", 3, 21).substitute(SundayToMonday),
    Rule::easter("Good Friday", -2),
    Rule::easter("Family Day", 1),
    Rule::fixed("Freedom Day", 4, 27).substitute(SundayToMonday),
    Rule::fixed("Workers' Day", 5, 1).substitute(SundayToMonday),
    Rule::fixed("Youth Day", 6, 16).substitute(SundayToMonday),
    Rule::fixed("National Women's Day", 8, 9).substitute(SundayToMonday),
    Rule::fixed("Heritage Day", 9, 24).substitute(SundayToMonday),
    Rule::fixed("Day of Reconciliation", 12, 16).substitute(SundayToMonday),
    Rule::fixed("Christmas Day", 12, 25).substitute(SundayToMonday),
    Rule::fixed("Day of Goodwill", 12, 26).substitute(SundayToMonday),
    // Declared under section 2A of the Act.
    Rule::once("Local Government Elections", 2021, 11, 1),
    Rule::once("Public Holiday by Presidential Decree", 2022, 12, 27),
    Rule::once("Public Holiday by Presidential Decree", 2023, 12, 15),
    Rule::once("National and Provincial Elections", 2024, 5, 29),
    Rule::once("Local Government Elections", 2026, 11, 4),
];

/// Every Australian state and territory has these.
const AU_EVERYWHERE: &[Rule] = &[
    Rule::easter("Good Friday", -2),
    Rule::easter("Easter Monday", 1),
    Rule::once("National Day of Mourning for Queen Elizabeth II", 2022, 9, 22),
];

/// Australia as a whole: the days every state has, without substitutes
/// (each state sets its own).
const AU_NATIONAL: &[Rule] = &[
    Rule::fixed("New Year's Day", 1, 1),
    Rule::fixed("Australia Day", 1, 26),
    Rule::fixed("ANZAC Day", 4, 25),
    Rule::fixed("Christmas Day", 12, 25),
    Rule::fixed("Boxing Day", 12, 26),
];

/// New South Wales (Public Holidays Act 2010).
const AU_NSW: &[Rule] = &[
    Rule::fixed("New Year's Day", 1, 1).substitute(NextFreeWeekday),
    Rule::fixed("Australia Day", 1, 26).substitute(MovesToMonday),
    Rule::easter("Easter Saturday", -1),
    Rule::easter("Easter Sunday", 0),
    Rule::fixed("ANZAC Day", 4, 25).until(2025),
    // The 2025 amendment gives a Monday for a weekend ANZAC Day in 2026 and 2027 only.
    Rule::fixed("ANZAC Day", 4, 25)
        .since(2026)
        .until(2027)
        .substitute(NextFreeWeekday),
    Rule::fixed("ANZAC Day", 4, 25).since(2028),
    Rule::nth("Queen's Birthday", 2, Monday, 6).until(2022),
    Rule::nth("King's Birthday", 2, Monday, 6).since(2023),
    Rule::nth("Labour Day", 1, Monday, 10),
    Rule::fixed("Christmas Day", 12, 25).substitute(NextFreeWeekday),
    Rule::fixed("Boxing Day", 12, 26).substitute(NextFreeWeekday),
];

/// Victoria (Public Holidays Act 1993).
const AU_VIC: &[Rule] = &[
    Rule::fixed("New Year's Day", 1, 1).substitute(NextFreeWeekday),
    Rule::fixed("Australia Day", 1, 26).substitute(MovesToMonday),
    Rule::nth("Labour Day", 2, Monday, 3),
    Rule::easter("Easter Saturday", -1),
    Rule::easter("Easter Sunday", 0),
    Rule::fixed("ANZAC Day", 4, 25),
    Rule::nth("Queen's Birthday", 2, Monday, 6).until(2022),
    Rule::nth("King's Birthday", 2, Monday, 6).since(2023),
    // The Friday before the last Saturday of September, unless the
    // Minister sets another (2020: the Grand Final was played in October).
    Rule::nth("Friday before the AFL Grand Final", -1, Saturday, 9)
        .days_later(-1)
        .since(2015)
        .moved(&[(2015, 10, 2), (2016, 9, 30), (2020, 10, 23)]),
    // Metropolitan Melbourne; a regional council may pick another day.
    Rule::nth("Melbourne Cup Day", 1, Tuesday, 11),
    Rule::fixed("Christmas Day", 12, 25).substitute(NextFreeWeekday),
    Rule::fixed("Boxing Day", 12, 26).substitute(NextFreeWeekday),
];

const REGIONS: &[Region] = &[
    Region {
        country: "AU",
        subdivision: None,
        rules: &[AU_EVERYWHERE, AU_NATIONAL],
    },
    Region {
        country: "AU",
        subdivision: Some("NSW"),
        rules: &[AU_EVERYWHERE, AU_NSW],
    },
    Region {
        country: "AU",
        subdivision: Some("VIC"),
        rules: &[AU_EVERYWHERE, AU_VIC],
    },
    Region {
        country: "DE",
        subdivision: None,
        rules: &[DE],
    },
    Region {
        country: "FR",
        subdivision: None,
        rules: &[FR],
    },
    Region {
        country: "GB",
        subdivision: None,
        rules: &[GB_ENGLAND_AND_WALES],
    },
    Region {
        country: "GB",
        subdivision: Some("ENG"),
        rules: &[GB_ENGLAND_AND_WALES],
    },
    Region {
        country: "GB",
        subdivision: Some("WLS"),
        rules: &[GB_ENGLAND_AND_WALES],
    },
    Region {
        country: "US",
        subdivision: None,
        rules: &[US],
    },
    Region {
        country: "ZA",
        subdivision: None,
        rules: &[ZA],
    },
];

fn countries() -> Vec<&'static str> {
    let mut codes: Vec<_> = REGIONS.iter().map(|region| region.country).collect();
    codes.dedup();
    codes
}

#[cfg(test)]
mod fallback_tests {
    use super::*;

    #[test]
    fn calendars_fall_back_to_the_nation_then_to_the_opening_hours() {
        let zone = TimeZone::get("Australia/Sydney").unwrap();
        let au = CountryCode::parse("AU").unwrap();
        // Labour Day (first Monday of October) is a NSW day, not a national one.
        let labour_day: jiff::civil::Date = "2026-10-05".parse().unwrap();
        let nsw = calendar_or_standard(au, zone.clone(), Some("NSW"), 2026..=2026);
        assert!(nsw.is_closed_on(labour_day));
        let unknown = calendar_or_standard(au, zone.clone(), Some("XX"), 2026..=2026);
        assert!(!unknown.is_closed_on(labour_day));
        assert!(
            unknown.is_closed_on("2026-12-25".parse().unwrap()),
            "national days still close"
        );
        let japan = calendar_or_standard(CountryCode::parse("JP").unwrap(), zone, None, 2026..=2026);
        assert_eq!(japan.closed_dates().count(), 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn country(code: &str) -> CountryCode {
        CountryCode::parse(code).unwrap()
    }

    fn dates(code: &str, subdivision: Option<&str>, year: i16) -> Vec<Date> {
        holidays(country(code), year, subdivision)
            .unwrap()
            .into_iter()
            .map(|h| h.date)
            .collect()
    }

    fn has(code: &str, subdivision: Option<&str>, day: Date) -> bool {
        dates(code, subdivision, day.year()).contains(&day)
    }

    #[test]
    fn easter_follows_the_gregorian_computus() {
        let known = [
            (2000, 4, 23),
            (2008, 3, 23),
            (2011, 4, 24),
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2038, 4, 25),
            (2285, 3, 22),
        ];
        for (year, month, day) in known {
            assert_eq!(easter(year), date(year, month, day), "{year}");
        }
    }

    #[test]
    fn us_weekend_holidays_are_observed_on_the_nearest_weekday() {
        let us_2021 = holidays(country("US"), 2021, None).unwrap();
        // Independence Day 2021 was a Sunday: observed Monday 5 July.
        assert!(us_2021.contains(&Holiday {
            date: date(2021, 7, 5),
            name: "Independence Day",
            observed_for: Some(date(2021, 7, 4)),
        }));
        // New Year's Day 2022 was a Saturday: observed Friday 31 December 2021.
        assert!(us_2021.iter().any(|h| h.date == date(2021, 12, 31)));
        assert!(!dates("US", None, 2022).contains(&date(2021, 12, 31)));
        // Juneteenth from 2021 (a Saturday, observed Friday 18 June).
        assert!(has("US", None, date(2021, 6, 18)));
        assert!(!dates("US", None, 2020).iter().any(|d| d.month() == 6));
        assert!(has("US", None, date(2024, 11, 28)), "Thanksgiving, fourth Thursday");
        assert!(has("US", None, date(2024, 5, 27)), "Memorial Day, last Monday");
        assert_eq!(dates("US", None, 2024).len(), 11);
    }

    #[test]
    fn gb_substitute_days_skip_other_holidays() {
        // 2021: Christmas Saturday, Boxing Day Sunday → Monday 27 and Tuesday 28.
        let christmas = holidays(country("GB"), 2021, Some("ENG")).unwrap();
        let substitutes: Vec<_> = christmas.iter().filter(|h| h.observed_for.is_some()).collect();
        assert_eq!(substitutes.len(), 2);
        assert_eq!(substitutes[0].date, date(2021, 12, 27));
        assert_eq!(substitutes[0].observed_for, Some(date(2021, 12, 25)));
        assert_eq!(substitutes[1].date, date(2021, 12, 28));
        // 2022: Christmas Sunday → Tuesday 27, Boxing Day is Monday.
        assert!(has("GB", None, date(2022, 12, 27)));
        assert!(has("GB", None, date(2022, 12, 26)));
        // Proclaimed moves and one-off days.
        assert!(has("GB", None, date(2020, 5, 8)));
        assert!(!has("GB", None, date(2020, 5, 4)));
        assert!(has("GB", None, date(2022, 6, 2)));
        assert!(has("GB", None, date(2022, 6, 3)));
        assert!(!has("GB", None, date(2022, 5, 30)));
        assert!(has("GB", None, date(2022, 9, 19)));
        assert!(has("GB", Some("wls"), date(2023, 5, 8)));
        assert_eq!(dates("GB", None, 2024).len(), 8);
    }

    #[test]
    fn fr_and_de_have_no_substitutes() {
        let fr = dates("FR", None, 2024);
        assert_eq!(fr.len(), 11);
        assert!(fr.contains(&date(2024, 5, 9)), "Ascension");
        assert!(fr.contains(&date(2024, 5, 20)), "Whit Monday");
        let de = dates("DE", None, 2027);
        assert_eq!(de.len(), 9);
        assert!(de.contains(&date(2027, 3, 26)), "Good Friday");
        assert!(de.contains(&date(2027, 10, 3)), "Unity Day, a Sunday, stays");
    }

    #[test]
    fn za_sunday_holidays_give_the_monday() {
        // Freedom Day 2025 was a Sunday.
        assert!(has("ZA", None, date(2025, 4, 28)));
        // Christmas 2022 on a Sunday: Monday is the Day of Goodwill, nothing more
        // by rule (the 27th was declared).
        let za_2022 = holidays(country("ZA"), 2022, None).unwrap();
        assert!(!za_2022.iter().any(|h| h.observed_for == Some(date(2022, 12, 25))));
        assert!(za_2022.iter().any(|h| h.date == date(2022, 12, 27)));
        // Saturdays are not moved: New Year's Day 2022.
        assert!(has("ZA", None, date(2022, 1, 1)));
        assert!(!has("ZA", None, date(2022, 1, 3)));
    }

    #[test]
    fn au_states_add_their_own_days() {
        let national = dates("AU", None, 2024);
        assert_eq!(national.len(), 7);
        // Easter Saturday is a state holiday, not a national one.
        assert!(!national.contains(&date(2024, 3, 30)));
        assert!(has("AU", Some("NSW"), date(2024, 3, 30)));
        // Australia Day 2025 was a Sunday: the holiday moved to Monday 27.
        let vic = holidays(country("AU"), 2025, Some("VIC")).unwrap();
        assert!(!vic.iter().any(|h| h.date == date(2025, 1, 26)));
        assert!(vic.iter().any(|h| h.date == date(2025, 1, 27)));
        assert!(
            vic.iter()
                .any(|h| h.date == date(2025, 11, 4) && h.name == "Melbourne Cup Day")
        );
        assert!(vic.iter().any(|h| h.date == date(2025, 9, 26)), "AFL Grand Final eve");
        assert!(has("AU", Some("VIC"), date(2020, 10, 23)));
        assert!(has("AU", Some("NSW"), date(2026, 4, 27)), "ANZAC Day 2026 substitute");
        assert!(!has("AU", Some("NSW"), date(2032, 4, 26)));
        assert!(has("AU", Some("nsw"), date(2022, 9, 22)));
    }

    #[test]
    fn unknown_countries_and_subdivisions_are_refused() {
        let japan = HolidayRules::new(country("JP"), None).unwrap_err();
        assert_eq!(japan.kind, InvalidKind::Unknown);
        assert!(japan.message.contains("AU, DE, FR, GB, US, ZA"), "{}", japan.message);
        let queensland = HolidayRules::new(country("AU"), Some("QLD")).unwrap_err();
        assert!(queensland.message.contains("NSW, VIC"), "{}", queensland.message);
        assert!(HolidayRules::new(country("FR"), Some("67")).is_err());
        assert_eq!(HolidayRules::new(country("AU"), Some(" ")).unwrap().code(), "AU");
        let codes: Vec<_> = HolidayRules::all().map(|r| r.code()).collect();
        assert!(codes.contains(&"AU-NSW".to_owned()));
    }

    #[test]
    fn r21_business_calendars_close_on_holidays() {
        let paris = TimeZone::get("Europe/Paris").unwrap();
        let calendar = business_calendar_for(country("FR"), paris, None, 2024..=2025).unwrap();
        assert!(calendar.is_closed_on(date(2024, 7, 14)));
        assert!(calendar.is_closed_on(date(2025, 6, 9)), "Whit Monday 2025");
        // The US calendar is closed on the observed day.
        let ny = TimeZone::get("America/New_York").unwrap();
        let us = business_calendar_for(country("US"), ny, None, 2026..=2026).unwrap();
        assert!(us.is_closed_on(date(2026, 7, 3)));
    }

    #[test]
    fn every_region_lists_each_year_in_order() {
        for rules in HolidayRules::all() {
            for year in 2020..=2035 {
                let days = rules.in_year(year);
                assert!(days.len() >= 7, "{} {year}", rules.code());
                assert!(days.windows(2).all(|pair| pair[0].date <= pair[1].date));
                assert!(days.iter().all(|h| h.date.year() == year));
                for observed in days.iter().filter(|h| h.observed_for.is_some()) {
                    let weekday = observed.date.weekday();
                    assert!(!matches!(weekday, Weekday::Saturday | Weekday::Sunday), "{observed:?}");
                }
            }
        }
    }
}
