//! Products the vendor sells, their areas, and the skills analysts have.

use serde::{Deserialize, Serialize};

use crate::{Invalid, InvalidKind};

pub(crate) fn key(input: &str, what: &str) -> Result<String, Invalid> {
    let key = input.trim().to_ascii_lowercase();
    if key.is_empty() {
        return Err(Invalid::new(InvalidKind::Empty, format!("the {what} is empty")));
    }
    let well_formed = key.len() <= 40
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !well_formed {
        return Err(Invalid::new(
            InvalidKind::Format,
            format!("`{}` is not a {what} key (a-z, 0-9 and _, at most 40)", input.trim()),
        ));
    }
    Ok(key)
}

/// A product's key (`financials`, `time`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProductKey(String);

impl ProductKey {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        key(input, "product").map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A product area's key, unique within its product (`general_ledger`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AreaKey(String);

impl AreaKey {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        key(input, "area").map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an analyst is skilled in: a whole product (`financials`) or one of
/// its areas (`financials.general_ledger`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Skill {
    pub product: ProductKey,
    pub area: Option<AreaKey>,
}

impl Skill {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match input.trim().split_once('.') {
            Some((product, area)) => Ok(Self {
                product: ProductKey::parse(product)?,
                area: Some(AreaKey::parse(area)?),
            }),
            None => Ok(Self {
                product: ProductKey::parse(input)?,
                area: None,
            }),
        }
    }

    /// Whether this skill covers cases about `area` of `product`.
    pub fn covers(&self, product: &ProductKey, area: &AreaKey) -> bool {
        self.product == *product && self.area.as_ref().is_none_or(|own| own == area)
    }
}

impl std::fmt::Display for Skill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.area {
            Some(area) => write!(f, "{}.{}", self.product.0, area.0),
            None => f.write_str(&self.product.0),
        }
    }
}

impl TryFrom<String> for Skill {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Invalid> {
        Self::parse(&value)
    }
}

impl From<Skill> for String {
    fn from(value: Skill) -> Self {
        value.to_string()
    }
}

impl TryFrom<String> for ProductKey {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Invalid> {
        Self::parse(&value)
    }
}

impl From<ProductKey> for String {
    fn from(value: ProductKey) -> Self {
        value.0
    }
}

impl TryFrom<String> for AreaKey {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Invalid> {
        Self::parse(&value)
    }
}

impl From<AreaKey> for String {
    fn from(value: AreaKey) -> Self {
        value.0
    }
}

/// A product and its areas, as the catalogue lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub key: ProductKey,
    pub name: String,
    pub areas: Vec<ProductArea>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductArea {
    pub key: AreaKey,
    pub name: String,
}

impl Product {
    /// Whether `skill` names this product or one of its areas.
    pub fn knows(&self, skill: &Skill) -> bool {
        skill.product == self.key
            && skill
                .area
                .as_ref()
                .is_none_or(|area| self.areas.iter().any(|known| known.key == *area))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_product_skill_covers_every_area_an_area_skill_only_its_own() {
        let financials = ProductKey::parse("financials").unwrap();
        let ledger = AreaKey::parse("general_ledger").unwrap();
        let payables = AreaKey::parse("accounts_payable").unwrap();
        let whole = Skill::parse("financials").unwrap();
        let one = Skill::parse("Financials.General_Ledger").unwrap();
        assert!(whole.covers(&financials, &ledger) && whole.covers(&financials, &payables));
        assert!(one.covers(&financials, &ledger));
        assert!(!one.covers(&financials, &payables));
        assert!(!whole.covers(&ProductKey::parse("time").unwrap(), &ledger));
        assert_eq!(one.to_string(), "financials.general_ledger");
    }

    #[test]
    fn keys_are_plain_identifiers() {
        assert!(ProductKey::parse("time").is_ok());
        assert!(ProductKey::parse("9lives").is_err());
        assert!(ProductKey::parse("fin ancials").is_err());
        assert!(Skill::parse("financials.").is_err());
        assert_eq!(ProductKey::parse("").unwrap_err().kind, InvalidKind::Empty);
    }
}
