//! Domain values in words, in the reader's language.

use guichet_domain::priority::{Environment, Impact, PriorityReason, Scope};

use crate::i18n::Tr;

fn impact(tr: &Tr, impact: Impact) -> String {
    tr.t(&format!("impact-{}", impact.as_str()))
}

fn scope(tr: &Tr, scope: Scope) -> String {
    tr.t(&format!("scope-{}", scope.as_str()))
}

fn environment(tr: &Tr, environment: Environment) -> String {
    tr.t(&format!("environment-{}", environment.as_str()))
}

/// The name of an SLA clock.
pub(crate) fn clock_name(tr: &Tr, clock: guichet_domain::sla::Clock) -> String {
    match clock {
        guichet_domain::sla::Clock::FirstResponse => tr.t("sla-clock-first-response"),
        guichet_domain::sla::Clock::NextUpdate => tr.t("sla-clock-next-update"),
    }
}

/// R15: the sentences that say why a case has its priority.
pub(crate) fn priority_reasons(tr: &Tr, reasons: &[PriorityReason]) -> Vec<String> {
    reasons
        .iter()
        .map(|reason| match *reason {
            PriorityReason::ImpactAndScope {
                impact: i,
                scope: s,
                priority,
            } => tr.t3(
                "priority-reason-impact",
                ("impact", &impact(tr, i)),
                ("scope", &scope(tr, s)),
                ("priority", priority.as_str()),
            ),
            PriorityReason::LoweredOutsideProduction {
                environment: e,
                steps: 1,
            } => tr.t1("priority-reason-lowered-one", "environment", environment(tr, e)),
            PriorityReason::LoweredOutsideProduction { environment: e, steps } => tr.t2(
                "priority-reason-lowered",
                ("environment", &environment(tr, e)),
                ("steps", &steps.to_string()),
            ),
            PriorityReason::CappedOutsideProduction {
                environment: e,
                ceiling,
            } => tr.t2(
                "priority-reason-capped",
                ("environment", &environment(tr, e)),
                ("ceiling", ceiling.as_str()),
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use guichet_domain::priority::{Priority, PriorityTable, assess};
    use guichet_domain::user::Language;

    use super::*;

    #[test]
    fn every_impact_scope_and_environment_has_words_in_both_languages() {
        for language in Language::ALL {
            let tr = Tr::new(language);
            for i in Impact::ALL {
                assert!(tr.has(&format!("impact-{}", i.as_str())), "{i:?} in {language:?}");
            }
            for s in Scope::ALL {
                assert!(tr.has(&format!("scope-{}", s.as_str())), "{s:?} in {language:?}");
            }
            for e in Environment::ALL {
                assert!(tr.has(&format!("environment-{}", e.as_str())), "{e:?} in {language:?}");
            }
            // The case page's SLA words are looked up by state and clock.
            for state in ["running", "paused", "met"] {
                assert!(tr.has(&format!("sla-state-{state}")), "{state} in {language:?}");
            }
            for clock in ["first-response", "next-update"] {
                assert!(tr.has(&format!("sla-clock-{clock}")), "{clock} in {language:?}");
            }
        }
    }

    #[test]
    fn r15_reasons_read_as_sentences_in_the_readers_language() {
        let assessment = assess(
            &PriorityTable::default(),
            Impact::Outage,
            Scope::Group,
            Environment::Sandbox,
        );
        assert_eq!(assessment.priority, Priority::P2);
        let en = priority_reasons(&Tr::new(Language::En), &assessment.reasons);
        assert_eq!(en.len(), 2);
        assert!(en[0].contains("cannot be used") && en[0].contains("P1"), "{en:?}");
        assert!(en[1].contains("sandbox"), "{en:?}");
        let fr = priority_reasons(&Tr::new(Language::Fr), &assessment.reasons);
        assert!(fr[0].contains("inutilisable") && fr[0].contains("P1"), "{fr:?}");
        assert!(fr[1].contains("plus bas"), "{fr:?}");
        let capped = PriorityTable {
            non_production_steps: 0,
            ..PriorityTable::default()
        };
        let reasons = assess(&capped, Impact::Outage, Scope::Group, Environment::Implementation).reasons;
        assert!(priority_reasons(&Tr::new(Language::En), &reasons)[1].contains("P2"));
    }
}
