//! The system status of each product (R24): its components and their
//! status, and incidents with their updates. A component's status on the
//! status page is the worst of what an operator set, what active incidents
//! say of it and whether maintenance is under way on it.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::invalid::bounded_text;
use crate::product::ProductKey;
use crate::{Invalid, InvalidKind};

/// A component's key, unique within its product (`web_application`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ComponentKey(String);

impl ComponentKey {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        crate::product::key(input, "component").map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ComponentKey {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Invalid> {
        Self::parse(&value)
    }
}

impl From<ComponentKey> for String {
    fn from(value: ComponentKey) -> Self {
        value.0
    }
}

/// How a component is doing, from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentStatus {
    Operational,
    UnderMaintenance,
    DegradedPerformance,
    PartialOutage,
    MajorOutage,
}

impl ComponentStatus {
    pub const ALL: [ComponentStatus; 5] = [
        ComponentStatus::Operational,
        ComponentStatus::UnderMaintenance,
        ComponentStatus::DegradedPerformance,
        ComponentStatus::PartialOutage,
        ComponentStatus::MajorOutage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operational => "operational",
            Self::UnderMaintenance => "under_maintenance",
            Self::DegradedPerformance => "degraded_performance",
            Self::PartialOutage => "partial_outage",
            Self::MajorOutage => "major_outage",
        }
    }

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == input.trim())
            .ok_or_else(|| {
                Invalid::new(
                    InvalidKind::Unknown,
                    format!(
                        "`{}` is not a component status (operational, degraded_performance, partial_outage, \
                     major_outage, under_maintenance)",
                        input.trim()
                    ),
                )
            })
    }
}

/// A part of a product whose status is shown on its own line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    pub product: ProductKey,
    pub key: ComponentKey,
    pub name: String,
    /// What an operator set; incidents and maintenance can only make it
    /// look worse, never better.
    pub status: ComponentStatus,
}

/// A component's or product's name: one line, 1 to 120 characters.
pub fn parse_name(input: &str) -> Result<String, Invalid> {
    bounded_text(input, "the name", 120)
}

/// A title of an incident or maintenance: one line, 1 to 200 characters.
pub fn parse_title(input: &str) -> Result<String, Invalid> {
    bounded_text(input, "the title", 200)
}

/// Where an incident stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Investigating,
    Identified,
    Monitoring,
    /// Closes the incident: no update comes after it.
    Resolved,
}

impl IncidentStatus {
    pub const ALL: [IncidentStatus; 4] = [
        IncidentStatus::Investigating,
        IncidentStatus::Identified,
        IncidentStatus::Monitoring,
        IncidentStatus::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Investigating => "investigating",
            Self::Identified => "identified",
            Self::Monitoring => "monitoring",
            Self::Resolved => "resolved",
        }
    }

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == input.trim())
            .ok_or_else(|| {
                Invalid::new(
                    InvalidKind::Unknown,
                    format!(
                        "`{}` is not an incident status (investigating, identified, monitoring, resolved)",
                        input.trim()
                    ),
                )
            })
    }
}

/// How much an incident hurts, as the page colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentImpact {
    None,
    Minor,
    Major,
    Critical,
}

impl IncidentImpact {
    pub const ALL: [IncidentImpact; 4] = [
        IncidentImpact::None,
        IncidentImpact::Minor,
        IncidentImpact::Major,
        IncidentImpact::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Minor => "minor",
            Self::Major => "major",
            Self::Critical => "critical",
        }
    }

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == input.trim())
            .ok_or_else(|| {
                Invalid::new(
                    InvalidKind::Unknown,
                    format!("`{}` is not an impact (none, minor, major, critical)", input.trim()),
                )
            })
    }
}

/// A component an incident touches, and how badly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedComponent {
    pub component: ComponentKey,
    pub status: ComponentStatus,
}

/// One message of an incident's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentUpdate {
    pub id: String,
    pub at: Timestamp,
    pub status: IncidentStatus,
    pub body: String,
}

/// Something going wrong with a product, told as it unfolds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: String,
    pub product: ProductKey,
    pub title: String,
    pub impact: IncidentImpact,
    pub status: IncidentStatus,
    pub components: Vec<AffectedComponent>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    /// Oldest first; the first is the opening message.
    pub updates: Vec<IncidentUpdate>,
}

/// Why an incident cannot change as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IncidentError {
    #[error("the incident is resolved: open a new one")]
    Resolved,
}

impl Incident {
    /// Opens an incident with its first message.
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        id: String,
        product: ProductKey,
        title: String,
        impact: IncidentImpact,
        status: IncidentStatus,
        components: Vec<AffectedComponent>,
        first: IncidentUpdate,
    ) -> Self {
        let at = first.at;
        Self {
            id,
            product,
            title,
            impact,
            status,
            components,
            created_at: at,
            updated_at: at,
            resolved_at: (status == IncidentStatus::Resolved).then_some(at),
            updates: vec![first],
        }
    }

    /// Still under way (shown as active, colours its components).
    pub fn is_active(&self) -> bool {
        self.status != IncidentStatus::Resolved
    }

    /// Posts an update; its status becomes the incident's. A resolved
    /// incident takes no more updates. Returns whether this update resolved
    /// it.
    pub fn post(&mut self, update: IncidentUpdate) -> Result<bool, IncidentError> {
        if !self.is_active() {
            return Err(IncidentError::Resolved);
        }
        self.status = update.status;
        self.updated_at = update.at;
        let resolved = update.status == IncidentStatus::Resolved;
        if resolved {
            self.resolved_at = Some(update.at);
        }
        self.updates.push(update);
        Ok(resolved)
    }

    /// What the incident says of `component`, while active.
    pub fn status_of(&self, component: &ComponentKey) -> Option<ComponentStatus> {
        if !self.is_active() {
            return None;
        }
        self.components
            .iter()
            .find(|affected| affected.component == *component)
            .map(|affected| affected.status)
    }
}

/// A component's status as the page shows it: the worst of the operator's,
/// the active incidents' and maintenance under way on it.
pub fn current_status(component: &Component, incidents: &[Incident], under_maintenance: bool) -> ComponentStatus {
    let from_incidents = incidents
        .iter()
        .filter(|incident| incident.product == component.product)
        .filter_map(|incident| incident.status_of(&component.key));
    let maintenance = under_maintenance.then_some(ComponentStatus::UnderMaintenance);
    from_incidents
        .chain(maintenance)
        .fold(component.status, ComponentStatus::max)
}

/// A product's overall status: its worst component's (operational without
/// components).
pub fn overall(statuses: impl IntoIterator<Item = ComponentStatus>) -> ComponentStatus {
    statuses
        .into_iter()
        .fold(ComponentStatus::Operational, ComponentStatus::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn component(key: &str) -> Component {
        Component {
            product: ProductKey::parse("financials").unwrap(),
            key: ComponentKey::parse(key).unwrap(),
            name: key.into(),
            status: ComponentStatus::Operational,
        }
    }

    fn update(at_: &str, status: IncidentStatus) -> IncidentUpdate {
        IncidentUpdate {
            id: at_.into(),
            at: at(at_),
            status,
            body: "text".into(),
        }
    }

    fn incident(component: &str, status: ComponentStatus) -> Incident {
        Incident::open(
            "i1".into(),
            ProductKey::parse("financials").unwrap(),
            "Slow reports".into(),
            IncidentImpact::Minor,
            IncidentStatus::Investigating,
            vec![AffectedComponent {
                component: ComponentKey::parse(component).unwrap(),
                status,
            }],
            update("2026-03-01T10:00:00Z", IncidentStatus::Investigating),
        )
    }

    #[test]
    fn r24_resolving_closes_an_incident() {
        let mut incident = incident("api", ComponentStatus::PartialOutage);
        assert!(incident.is_active());
        assert_eq!(
            incident.post(update("2026-03-01T11:00:00Z", IncidentStatus::Identified)),
            Ok(false)
        );
        assert_eq!(
            incident.post(update("2026-03-01T12:00:00Z", IncidentStatus::Resolved)),
            Ok(true)
        );
        assert_eq!(incident.resolved_at, Some(at("2026-03-01T12:00:00Z")));
        assert_eq!(incident.updates.len(), 3);
        assert_eq!(
            incident.post(update("2026-03-01T13:00:00Z", IncidentStatus::Monitoring)),
            Err(IncidentError::Resolved)
        );
    }

    #[test]
    fn r24_a_component_shows_the_worst_of_what_is_said_of_it() {
        let api = component("api");
        let reporting = component("reporting");
        let active = incident("api", ComponentStatus::PartialOutage);
        assert_eq!(
            current_status(&api, std::slice::from_ref(&active), false),
            ComponentStatus::PartialOutage
        );
        assert_eq!(
            current_status(&reporting, std::slice::from_ref(&active), false),
            ComponentStatus::Operational
        );
        assert_eq!(current_status(&reporting, &[], true), ComponentStatus::UnderMaintenance);
        // An outage is worse than maintenance.
        assert_eq!(
            current_status(&api, std::slice::from_ref(&active), true),
            ComponentStatus::PartialOutage
        );
        let mut resolved = active.clone();
        resolved
            .post(update("2026-03-01T12:00:00Z", IncidentStatus::Resolved))
            .unwrap();
        assert_eq!(current_status(&api, &[resolved], false), ComponentStatus::Operational);
        assert_eq!(
            overall([ComponentStatus::Operational, ComponentStatus::MajorOutage]),
            ComponentStatus::MajorOutage
        );
        assert_eq!(overall([]), ComponentStatus::Operational);
    }

    #[test]
    fn statuses_and_keys_parse() {
        for status in ComponentStatus::ALL {
            assert_eq!(ComponentStatus::parse(status.as_str()), Ok(status));
        }
        for status in IncidentStatus::ALL {
            assert_eq!(IncidentStatus::parse(status.as_str()), Ok(status));
        }
        for impact in IncidentImpact::ALL {
            assert_eq!(IncidentImpact::parse(impact.as_str()), Ok(impact));
        }
        assert_eq!(ComponentStatus::parse("down").unwrap_err().kind, InvalidKind::Unknown);
        assert!(ComponentKey::parse("web application").is_err());
        assert_eq!(
            ComponentKey::parse("Web_Application").unwrap().as_str(),
            "web_application"
        );
    }
}
