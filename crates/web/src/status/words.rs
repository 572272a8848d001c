//! The status page's values in the reader's words.

use guichet_domain::maintenance::WindowLife;
use guichet_domain::status::{ComponentStatus, IncidentImpact, IncidentStatus};

use crate::i18n::Tr;

pub(crate) fn component_status(tr: &Tr, status: ComponentStatus) -> String {
    tr.t(match status {
        ComponentStatus::Operational => "status-component-operational",
        ComponentStatus::DegradedPerformance => "status-component-degraded_performance",
        ComponentStatus::PartialOutage => "status-component-partial_outage",
        ComponentStatus::MajorOutage => "status-component-major_outage",
        ComponentStatus::UnderMaintenance => "status-component-under_maintenance",
    })
}

pub(crate) fn incident_status(tr: &Tr, status: IncidentStatus) -> String {
    tr.t(match status {
        IncidentStatus::Investigating => "status-incident-investigating",
        IncidentStatus::Identified => "status-incident-identified",
        IncidentStatus::Monitoring => "status-incident-monitoring",
        IncidentStatus::Resolved => "status-incident-resolved",
    })
}

pub(crate) fn impact(tr: &Tr, impact: IncidentImpact) -> String {
    tr.t(match impact {
        IncidentImpact::None => "status-impact-none",
        IncidentImpact::Minor => "status-impact-minor",
        IncidentImpact::Major => "status-impact-major",
        IncidentImpact::Critical => "status-impact-critical",
    })
}

pub(crate) fn window_life(tr: &Tr, life: WindowLife) -> String {
    tr.t(match life {
        WindowLife::Scheduled => "status-window-scheduled",
        WindowLife::InProgress => "status-window-in_progress",
        WindowLife::Completed => "status-window-completed",
        WindowLife::Cancelled => "status-window-cancelled",
    })
}

pub(crate) fn weekday(tr: &Tr, weekday: jiff::civil::Weekday) -> String {
    tr.t(&format!(
        "hours-weekday-{}",
        guichet_domain::maintenance::weekday_name(weekday)
    ))
}

#[cfg(test)]
mod tests {
    use guichet_domain::user::Language;

    use super::*;

    #[test]
    fn every_status_has_words_in_both_languages() {
        for language in [Language::En, Language::Fr] {
            let tr = Tr::new(language);
            let mut ids = Vec::new();
            ids.extend(ComponentStatus::ALL.map(|s| format!("status-component-{}", s.as_str())));
            ids.extend(IncidentStatus::ALL.map(|s| format!("status-incident-{}", s.as_str())));
            ids.extend(IncidentImpact::ALL.map(|s| format!("status-impact-{}", s.as_str())));
            for life in [
                WindowLife::Scheduled,
                WindowLife::InProgress,
                WindowLife::Completed,
                WindowLife::Cancelled,
            ] {
                ids.push(format!("status-window-{}", life.as_str()));
            }
            for id in ids {
                assert!(tr.has(&id), "`{id}` is missing in {language:?}");
            }
        }
        assert_eq!(
            component_status(&Tr::new(Language::Fr), ComponentStatus::UnderMaintenance),
            "En maintenance"
        );
    }
}
