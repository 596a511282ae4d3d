//! What an outcome is to the people who read the results: its label, its unit, and which way is better.
//!
//! The engine accrues every outcome as the raw amount (bed days, QALYs); only the decision rules (ICER, INMB, CEAC,
//! EVPI, EVPPI) and the text people read depend on the direction. For an outcome where less is better, the
//! decision rules value its negative, so that "more effective" means "fewer": ΔE is the reduction (comparator − arm)
//! and NMB(λ) = λ·(−amount) − cost.

use serde::Serialize;

/// Which way an outcome is better: more of it (QALYs, weeks at home) or less (bed days, falls, admissions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    /// More is better (the default).
    #[default]
    Higher,
    /// Less is better: the decision rules value the amount avoided.
    Lower,
}

impl Better {
    /// Parses `higher` or `lower`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "higher" => Some(Better::Higher),
            "lower" => Some(Better::Lower),
            _ => None,
        }
    }

    /// The name as written in scenarios and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Better::Higher => "higher",
            Better::Lower => "lower",
        }
    }

    /// An amount as the decision rules value it, so that a higher value is always better: the amount itself, or
    /// its negative where less is better. Negation is exact, so a difference of oriented amounts is exactly the
    /// oriented difference.
    pub fn orient(self, amount: f64) -> f64 {
        match self {
            Better::Higher => amount,
            Better::Lower => -amount,
        }
    }
}

/// An outcome: its name in the scenario and in files, how people read it, and which way is better.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutcomeInfo {
    /// The identifier the states and files use: `emergency_bed_days`.
    pub name: String,
    /// What people read: "emergency bed days".
    pub label: String,
    /// One unit of it, singular, as in "£62 per bed day avoided".
    pub unit: String,
    pub better: Better,
}

impl OutcomeInfo {
    /// An outcome with the defaults: the name made readable as its label and its unit, more is better.
    pub fn named(name: &str) -> Self {
        let label = readable_name(name);
        OutcomeInfo {
            name: name.to_string(),
            unit: label.clone(),
            label,
            better: Better::Higher,
        }
    }
}

/// A name as people read it: `_` becomes a space and the usual acronyms are capitalised ("qaly" → "QALY",
/// "qalys" → "QALYs", "bed_days" → "bed days"); other words are kept as written.
pub fn readable_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .replace('_', " ");
    let acronyms = ["qaly", "qalys", "ascot", "daly", "dalys", "ly", "lys", "lyg"];
    cleaned
        .split(' ')
        .map(|w| {
            let lower = w.to_lowercase();
            match acronyms.iter().position(|a| *a == lower) {
                // Keep a plural "s" lower case: "QALYs", not "QALYS".
                Some(_) if lower.ends_with('s') && lower.len() > 2 && lower != "ascot" => {
                    format!("{}s", lower[..lower.len() - 1].to_uppercase())
                }
                Some(_) => lower.to_uppercase(),
                None => w.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_names_and_defaults() {
        assert_eq!(readable_name("qaly"), "QALY");
        assert_eq!(readable_name("qalys"), "QALYs");
        assert_eq!(readable_name("bed_days"), "bed days");
        assert_eq!(readable_name("ASCOT"), "ASCOT");
        let o = OutcomeInfo::named("weeks_at_home");
        assert_eq!((o.label.as_str(), o.unit.as_str()), ("weeks at home", "weeks at home"));
        assert_eq!(o.better, Better::Higher);
    }

    #[test]
    fn orientation_negates_only_where_less_is_better() {
        assert_eq!(Better::Higher.orient(3.5), 3.5);
        assert_eq!(Better::Lower.orient(3.5), -3.5);
        // The oriented difference is exactly the difference of oriented amounts.
        let (a, c) = (0.1 + 0.2, 0.7);
        assert_eq!(Better::Lower.orient(a) - Better::Lower.orient(c), c - a);
        assert_eq!(Better::parse("lower"), Some(Better::Lower));
        assert_eq!(Better::parse("less"), None);
    }
}
