//! Countries (ISO 3166-1 alpha-2) and the time zone a company there gets by
//! default. The list ships in the binary (`data.rs`, generated from the tz
//! database by `tools/gen_countries.py`).

mod data;

use serde::{Deserialize, Serialize};

use crate::{Invalid, InvalidKind};

/// An ISO 3166-1 alpha-2 country code, upper-case (`FR`, `US`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub struct CountryCode(&'static str);

impl<'de> Deserialize<'de> for CountryCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Self::parse(&code).map_err(serde::de::Error::custom)
    }
}

impl CountryCode {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let code = input.trim().to_ascii_uppercase();
        if code.len() != 2 || !code.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(Invalid::new(
                InvalidKind::Format,
                format!("`{}` is not an ISO 3166 two-letter country code", input.trim()),
            ));
        }
        data::COUNTRIES
            .iter()
            .find(|(known, _, _)| *known == code)
            .map(|(known, _, _)| Self(known))
            .ok_or_else(|| Invalid::new(InvalidKind::Unknown, format!("`{code}` is not a country code")))
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }

    /// The country's English name.
    pub fn name(&self) -> &'static str {
        self.entry().1
    }

    /// The IANA zone of most of the country's people.
    pub fn default_time_zone(&self) -> TimeZoneName {
        TimeZoneName(self.entry().2.to_owned())
    }

    fn entry(&self) -> &'static (&'static str, &'static str, &'static str) {
        data::COUNTRIES
            .iter()
            .find(|(known, _, _)| *known == self.0)
            .expect("a CountryCode is only made from the table")
    }

    /// Every known country, in code order.
    pub fn all() -> impl Iterator<Item = CountryCode> {
        data::COUNTRIES.iter().map(|(code, _, _)| CountryCode(code))
    }
}

impl std::fmt::Display for CountryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl TryFrom<String> for CountryCode {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Invalid> {
        Self::parse(&value)
    }
}

impl From<CountryCode> for String {
    fn from(value: CountryCode) -> Self {
        value.0.to_owned()
    }
}

/// An IANA time zone name that the bundled tz database knows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZoneName(String);

impl TimeZoneName {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let name = input.trim();
        if name.is_empty() {
            return Err(Invalid::new(InvalidKind::Empty, "the time zone is empty"));
        }
        match jiff::tz::TimeZone::get(name) {
            // The tz database's own spelling, so `europe/paris` is stored once.
            Ok(zone) => Ok(Self(zone.iana_name().unwrap_or(name).to_owned())),
            Err(_) => Err(Invalid::new(
                InvalidKind::Unknown,
                format!("`{name}` is not an IANA time zone"),
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.0).expect("a TimeZoneName is only made from a known zone")
    }
}

impl std::fmt::Display for TimeZoneName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for TimeZoneName {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Invalid> {
        Self::parse(&value)
    }
}

impl From<TimeZoneName> for String {
    fn from(value: TimeZoneName) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_case_insensitive_and_checked() {
        assert_eq!(CountryCode::parse(" fr ").unwrap().as_str(), "FR");
        assert_eq!(CountryCode::parse("XX").unwrap_err().kind, InvalidKind::Unknown);
        assert_eq!(CountryCode::parse("FRA").unwrap_err().kind, InvalidKind::Format);
        assert_eq!(CountryCode::parse("F1").unwrap_err().kind, InvalidKind::Format);
    }

    #[test]
    fn r1_default_time_zones_follow_the_country() {
        let zone = |code: &str| {
            CountryCode::parse(code)
                .unwrap()
                .default_time_zone()
                .as_str()
                .to_owned()
        };
        assert_eq!(zone("US"), "America/New_York");
        assert_eq!(zone("FR"), "Europe/Paris");
        assert_eq!(zone("AU"), "Australia/Sydney");
        assert_eq!(zone("GB"), "Europe/London");
        assert_eq!(zone("ZA"), "Africa/Johannesburg");
        assert_eq!(zone("DE"), "Europe/Berlin");
    }

    #[test]
    fn every_default_zone_is_in_the_bundled_database() {
        let mut count = 0;
        for country in CountryCode::all() {
            TimeZoneName::parse(country.default_time_zone().as_str())
                .unwrap_or_else(|_| panic!("{country}'s zone is unknown"));
            count += 1;
        }
        assert!(count > 240, "only {count} countries");
    }

    #[test]
    fn time_zones_are_checked_against_the_tz_database() {
        assert_eq!(
            TimeZoneName::parse("America/Los_Angeles").unwrap().as_str(),
            "America/Los_Angeles"
        );
        assert_eq!(
            TimeZoneName::parse("Mars/Olympus").unwrap_err().kind,
            InvalidKind::Unknown
        );
        assert_eq!(TimeZoneName::parse(" ").unwrap_err().kind, InvalidKind::Empty);
    }
}
