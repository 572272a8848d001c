//! Priority (R15): from the business impact, its scope and the kind of
//! environment, P1 to P4, with the reasons that explain it. The SLA contract
//! tier sets target times, not the priority.

use serde::{Deserialize, Serialize};

use crate::{Invalid, InvalidKind};

/// P1 is the most urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Priority {
    P1,
    P2,
    P3,
    P4,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::P1, Priority::P2, Priority::P3, Priority::P4];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::P1 => "P1",
            Self::P2 => "P2",
            Self::P3 => "P3",
            Self::P4 => "P4",
        }
    }

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(input.trim()))
            .ok_or_else(|| {
                Invalid::new(
                    InvalidKind::Unknown,
                    format!("`{}` is not a priority (P1 to P4)", input.trim()),
                )
            })
    }

    /// One level less urgent; P4 stays P4.
    pub fn lower(self) -> Self {
        match self {
            Self::P1 => Self::P2,
            Self::P2 => Self::P3,
            Self::P3 | Self::P4 => Self::P4,
        }
    }
}

macro_rules! keyed_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $key:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $key),+ }
            }

            pub fn parse(input: &str) -> Result<Self, Invalid> {
                match input.trim() {
                    $($key => Ok($name::$variant),)+
                    "" => Err(Invalid::new(InvalidKind::Empty, concat!("the ", $what, " is missing"))),
                    other => Err(Invalid::new(
                        InvalidKind::Unknown,
                        format!(concat!("`{}` is not a ", $what, " (", $($key, " "),+ , ")"), other),
                    )),
                }
            }
        }
    };
}

keyed_enum! {
    /// How badly the problem hurts the business.
    Impact, "business impact" {
        /// The product cannot be used.
        Outage => "outage",
        /// A business process cannot be completed.
        Blocked => "blocked",
        /// It works, with difficulty or a workaround.
        Degraded => "degraded",
        /// How-to or information.
        Question => "question",
    }
}

keyed_enum! {
    /// Who is affected.
    Scope, "scope" {
        Organization => "organization",
        Group => "group",
        Individual => "individual",
    }
}

keyed_enum! {
    /// The kind of environment the problem is in.
    Environment, "environment" {
        Production => "production",
        Sandbox => "sandbox",
        Implementation => "implementation",
    }
}

/// The priority of each impact and scope in production, and how other
/// environments follow from it. Configurable; the default is R15's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorityTable {
    /// `production[impact][scope]`, in the order of `Impact::ALL` and
    /// `Scope::ALL`.
    pub production: [[Priority; 3]; 4],
    /// How many levels lower sandbox and implementation are.
    pub non_production_steps: u8,
    /// The most urgent priority outside production.
    pub non_production_ceiling: Priority,
}

impl Default for PriorityTable {
    fn default() -> Self {
        use Priority::*;
        Self {
            production: [
                // organization, group, individual
                [P1, P1, P1], // outage
                [P1, P2, P3], // blocked
                [P2, P3, P3], // degraded
                [P4, P4, P4], // question
            ],
            non_production_steps: 1,
            non_production_ceiling: P2,
        }
    }
}

/// Why a case has its priority: each reason is a sentence the reader sees
/// in their language ("P2 because …").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum PriorityReason {
    /// The impact and scope give this priority in production.
    ImpactAndScope {
        impact: Impact,
        scope: Scope,
        priority: Priority,
    },
    /// Outside production it is lowered by this many levels.
    LoweredOutsideProduction { environment: Environment, steps: u8 },
    /// Outside production it is never more urgent than the ceiling.
    CappedOutsideProduction {
        environment: Environment,
        ceiling: Priority,
    },
}

/// The assessed priority and its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub priority: Priority,
    pub reasons: Vec<PriorityReason>,
}

fn index<T: PartialEq + Copy>(all: &[T], value: T) -> usize {
    all.iter().position(|v| *v == value).expect("every value is in ALL")
}

/// R15: assesses the priority of a problem.
pub fn assess(table: &PriorityTable, impact: Impact, scope: Scope, environment: Environment) -> Assessment {
    let base = table.production[index(Impact::ALL, impact)][index(Scope::ALL, scope)];
    let mut reasons = vec![PriorityReason::ImpactAndScope {
        impact,
        scope,
        priority: base,
    }];
    if environment == Environment::Production {
        return Assessment {
            priority: base,
            reasons,
        };
    }
    let mut priority = base;
    for _ in 0..table.non_production_steps {
        priority = priority.lower();
    }
    if priority != base {
        reasons.push(PriorityReason::LoweredOutsideProduction {
            environment,
            steps: table.non_production_steps,
        });
    }
    if priority < table.non_production_ceiling {
        priority = table.non_production_ceiling;
        reasons.push(PriorityReason::CappedOutsideProduction {
            environment,
            ceiling: table.non_production_ceiling,
        });
    }
    Assessment { priority, reasons }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Environment::*;
    use Impact::*;
    use Priority::*;
    use Scope::*;

    fn priority(impact: Impact, scope: Scope, environment: Environment) -> Priority {
        assess(&PriorityTable::default(), impact, scope, environment).priority
    }

    #[test]
    fn r15_production_follows_the_table() {
        for scope in Scope::ALL {
            assert_eq!(priority(Outage, *scope, Production), P1);
            assert_eq!(priority(Question, *scope, Production), P4);
        }
        assert_eq!(priority(Blocked, Organization, Production), P1);
        assert_eq!(priority(Blocked, Group, Production), P2);
        assert_eq!(priority(Blocked, Individual, Production), P3);
        assert_eq!(priority(Degraded, Organization, Production), P2);
        assert_eq!(priority(Degraded, Group, Production), P3);
        assert_eq!(priority(Degraded, Individual, Production), P3);
    }

    #[test]
    fn r15_other_environments_are_one_level_lower_and_never_p1() {
        for environment in [Sandbox, Implementation] {
            assert_eq!(priority(Outage, Organization, environment), P2);
            assert_eq!(priority(Blocked, Group, environment), P3);
            assert_eq!(priority(Degraded, Individual, environment), P4);
            assert_eq!(priority(Question, Individual, environment), P4);
        }
    }

    #[test]
    fn outside_production_is_never_more_urgent_than_production() {
        for impact in Impact::ALL {
            for scope in Scope::ALL {
                let production = priority(*impact, *scope, Production);
                for environment in [Sandbox, Implementation] {
                    let other = priority(*impact, *scope, environment);
                    assert!(
                        other >= production && other != P1,
                        "{impact:?} {scope:?} {environment:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_reasons_say_why() {
        let assessment = assess(&PriorityTable::default(), Outage, Group, Sandbox);
        assert_eq!(assessment.priority, P2);
        assert_eq!(
            assessment.reasons,
            vec![
                PriorityReason::ImpactAndScope {
                    impact: Outage,
                    scope: Group,
                    priority: P1
                },
                PriorityReason::LoweredOutsideProduction {
                    environment: Sandbox,
                    steps: 1
                },
            ]
        );
        let capped = assess(
            &PriorityTable {
                non_production_steps: 0,
                ..PriorityTable::default()
            },
            Outage,
            Group,
            Sandbox,
        );
        assert_eq!(capped.priority, P2);
        assert!(matches!(
            capped.reasons[1],
            PriorityReason::CappedOutsideProduction { ceiling: P2, .. }
        ));
        let production = assess(&PriorityTable::default(), Question, Individual, Production);
        assert_eq!(production.reasons.len(), 1);
    }

    #[test]
    fn keys_parse_and_name_what_is_wrong() {
        assert_eq!(Impact::parse("outage").unwrap(), Outage);
        assert_eq!(Environment::parse(" sandbox ").unwrap(), Sandbox);
        assert_eq!(Scope::parse("").unwrap_err().kind, InvalidKind::Empty);
        let unknown = Impact::parse("apocalypse").unwrap_err();
        assert_eq!(unknown.kind, InvalidKind::Unknown);
        assert!(unknown.message.contains("outage"), "{}", unknown.message);
        assert_eq!(Priority::parse("p2").unwrap(), P2);
    }
}
