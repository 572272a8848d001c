//! Guichet's rules as plain types and functions.
//!
//! Nothing here does I/O or reads a clock: adapters gather the facts, call a
//! function of this crate, and carry out what it decides. Input becomes one of
//! these types at the edge (`EmailAddress::parse`, `CountryCode::parse`, …)
//! and stays typed inside.

pub mod access;
pub mod article;
pub mod attachment;
pub mod audit;
pub mod authorization;
pub mod calendar;
pub mod case;
pub mod case_sla;
pub mod community;
pub mod company;
pub mod contact;
pub mod country;
pub mod email;
pub mod escalation;
pub mod expert;
pub mod holidays;
pub mod invalid;
pub mod login;
pub mod maintenance;
pub mod priority;
pub mod product;
pub mod sla;
pub mod status;
pub mod training;
pub mod user;

pub use invalid::{Invalid, InvalidKind};
