//! Checking `[[reproduce]]` targets against the rest of the scenario.

use super::{suggest, Compiler};
use crate::error::InputError;
use crate::model::{ArmInfo, Metric, Payer, Settings, StateInfo, SubgroupInfo, Target};
use crate::scenario::raw::{RawScenario, RawTarget};
use serde_spanned::Spanned;

impl Compiler<'_> {
    /// Compiles `reproduce[i]`, checking every name it uses.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn target(
        &self,
        i: usize,
        t: &RawTarget,
        raw: &RawScenario,
        states: &[StateInfo],
        outcomes: &[String],
        arms: &[ArmInfo],
        subgroups: &[SubgroupInfo],
        settings: &Settings,
    ) -> Result<Target, InputError> {
        let field = |key: &str| format!("reproduce[{i}].{key}");
        if !raw.sources.contains_key(t.source.get_ref()) {
            let known: Vec<&str> = raw.sources.keys().map(String::as_str).collect();
            return Err(self.err(
                t.source.span(),
                field("source"),
                format!(
                    "no source is named `{}` in [sources]{}",
                    t.source.get_ref(),
                    suggest(t.source.get_ref(), &known)
                ),
            ));
        }
        let arm_names: Vec<&str> = arms.iter().map(|a| a.name.as_str()).collect();
        let arm = arm_names.iter().position(|n| n == t.arm.get_ref()).ok_or_else(|| {
            self.err(
                t.arm.span(),
                field("arm"),
                format!(
                    "no arm is named `{}`{}",
                    t.arm.get_ref(),
                    suggest(t.arm.get_ref(), &arm_names)
                ),
            )
        })?;
        if arms[arm].comparator.is_none() {
            return Err(self.err(
                t.arm.span(),
                field("arm"),
                format!(
                    "`{}` is the comparator; a target needs an intervention arm, which is compared with its comparator",
                    t.arm.get_ref()
                ),
            ));
        }
        let pair = |v: &Spanned<Vec<f64>>, key: &str| -> Result<[f64; 2], InputError> {
            match v.get_ref().as_slice() {
                [a, b] if a.is_finite() && b.is_finite() && a <= b => Ok([*a, *b]),
                _ => Err(self.err(
                    v.span(),
                    field(key),
                    "must be two finite numbers [low, high] with low ≤ high",
                )),
            }
        };
        let accept = pair(&t.accept, "accept")?;
        let published_interval = t
            .published_interval
            .as_ref()
            .map(|v| pair(v, "published_interval"))
            .transpose()?;
        for (value, key) in [(&t.published, "published")] {
            if !value.get_ref().is_finite() {
                return Err(self.err(value.span(), field(key), "must be a finite number"));
            }
        }
        for (text, key) in [(&t.figure, "figure"), (&t.why, "why")] {
            if text.get_ref().trim().is_empty() {
                return Err(self.err(text.span(), field(key), "must say something"));
            }
        }
        let scale = match &t.scale {
            Some(s) if !(s.get_ref().is_finite() && *s.get_ref() != 0.0) => {
                return Err(self.err(s.span(), field("scale"), "must be a finite, non-zero number"))
            }
            Some(s) => *s.get_ref(),
            None => 1.0,
        };
        let subgroup = match &t.subgroup {
            None => None,
            Some(name) => {
                let known: Vec<&str> = raw
                    .cohort
                    .get_ref()
                    .subgroups
                    .iter()
                    .map(|s| s.get_ref().name.get_ref().as_str())
                    .collect();
                let position = known.iter().position(|n| n == name.get_ref()).ok_or_else(|| {
                    let hint = if known.is_empty() {
                        "; this scenario has no [cohort] subgroups".to_string()
                    } else {
                        suggest(name.get_ref(), &known)
                    };
                    self.err(
                        name.span(),
                        field("subgroup"),
                        format!("no subgroup is named `{}`{hint}", name.get_ref()),
                    )
                })?;
                debug_assert_eq!(subgroups[position].name, *name.get_ref());
                Some(position)
            }
        };
        let year = match &t.year {
            None => None,
            Some(y) if (1..=settings.horizon_years as i64).contains(y.get_ref()) => Some(*y.get_ref() as usize - 1),
            Some(y) => {
                return Err(self.err(
                    y.span(),
                    field("year"),
                    format!("must be a programme year from 1 to {}", settings.horizon_years),
                ))
            }
        };

        let name = t.metric.get_ref().as_str();
        // Keys that only some metrics read: using one where it means nothing is an error, not silently ignored.
        let mut allowed: Vec<&str> = Vec::new();
        let payer = |key: &str, v: &Option<Spanned<String>>| -> Result<Option<Payer>, InputError> {
            match v {
                None => Ok(None),
                Some(p) if p.get_ref() == "all" => Ok(None),
                Some(p) => Payer::parse(p.get_ref()).map(Some).ok_or_else(|| {
                    self.err(
                        p.span(),
                        field(key),
                        format!("`{}` is not a payer: use council, nhs, person or all", p.get_ref()),
                    )
                }),
            }
        };
        let outcome = |allowed: &mut Vec<&str>| -> Result<usize, InputError> {
            allowed.push("outcome");
            let o = t
                .outcome
                .as_ref()
                .ok_or_else(|| self.err(t.metric.span(), field("metric"), format!("`{name}` needs `outcome`")))?;
            outcomes.iter().position(|n| n == o.get_ref()).ok_or_else(|| {
                let known: Vec<&str> = outcomes.iter().map(String::as_str).collect();
                self.err(
                    o.span(),
                    field("outcome"),
                    format!(
                        "no state has an outcome named `{}`{}",
                        o.get_ref(),
                        suggest(o.get_ref(), &known)
                    ),
                )
            })
        };
        let state_list = |key: &str, v: &Spanned<Vec<Spanned<String>>>| -> Result<Vec<usize>, InputError> {
            let known: Vec<&str> = states.iter().map(|s| s.name.as_str()).collect();
            if v.get_ref().is_empty() {
                return Err(self.err(v.span(), field(key), "must name at least one state"));
            }
            v.get_ref()
                .iter()
                .map(|s| {
                    let k = known.iter().position(|n| n == s.get_ref()).ok_or_else(|| {
                        self.err(
                            s.span(),
                            field(key),
                            format!("no state is named `{}`{}", s.get_ref(), suggest(s.get_ref(), &known)),
                        )
                    })?;
                    if states[k].dead {
                        return Err(self.err(
                            s.span(),
                            field(key),
                            format!(
                                "`{}` is a dead state, where nothing accrues; count the living states instead",
                                s.get_ref()
                            ),
                        ));
                    }
                    Ok(k)
                })
                .collect()
        };
        let metric = match name {
            "bcr" => {
                allowed.extend(["savings", "spend"]);
                Metric::Bcr {
                    savings: payer("savings", &t.savings)?,
                    spend: payer("spend", &t.spend)?,
                }
            }
            "net_savings" | "care_savings" | "care_cost_change" | "incremental_cost" => {
                allowed.push("payer");
                let payer = payer("payer", &t.payer)?;
                match name {
                    "net_savings" => Metric::NetSavings { payer },
                    "care_savings" => Metric::CareSavings { payer },
                    "care_cost_change" => Metric::CareCostChange { payer },
                    _ => Metric::IncrementalCost { payer },
                }
            }
            "outcome_change" => Metric::OutcomeChange {
                outcome: outcome(&mut allowed)?,
            },
            "incremental_outcome" => Metric::IncrementalOutcome {
                outcome: outcome(&mut allowed)?,
            },
            "icer" | "prob_cost_effective" => {
                if settings.primary_outcome.is_none() {
                    return Err(self.err(
                        t.metric.span(),
                        field("metric"),
                        format!("`{name}` needs an outcome, and no state has one"),
                    ));
                }
                if let Some(y) = &t.year {
                    return Err(self.err(y.span(), field("year"), format!("`{name}` is over the whole horizon")));
                }
                if name == "icer" {
                    Metric::Icer
                } else {
                    allowed.push("lambda");
                    let lambda = match &t.lambda {
                        Some(l) if !l.get_ref().is_finite() || *l.get_ref() < 0.0 => {
                            return Err(self.err(l.span(), field("lambda"), "must be a non-negative £ per unit"))
                        }
                        Some(l) => *l.get_ref(),
                        None => settings.threshold,
                    };
                    Metric::ProbCostEffective { lambda }
                }
            }
            "state_share" => {
                allowed.extend(["states", "among"]);
                let states_key = t.states.as_ref().ok_or_else(|| {
                    self.err(
                        t.metric.span(),
                        field("metric"),
                        "`state_share` needs `states` and `year`",
                    )
                })?;
                if year.is_none() {
                    return Err(self.err(
                        t.metric.span(),
                        field("metric"),
                        "`state_share` needs `year`: the share at the end of which programme year",
                    ));
                }
                let among = t
                    .among
                    .as_ref()
                    .map(|a| state_list("among", a))
                    .transpose()?
                    .unwrap_or_default();
                Metric::StateShare {
                    states: state_list("states", states_key)?,
                    among,
                }
            }
            other => {
                return Err(self.err(
                    t.metric.span(),
                    field("metric"),
                    format!(
                        "unknown metric `{other}`{}; the metrics are {}",
                        suggest(other, &Metric::NAMES),
                        Metric::NAMES.join(", ")
                    ),
                ))
            }
        };
        let extras: [(&str, Option<std::ops::Range<usize>>); 7] = [
            ("payer", t.payer.as_ref().map(Spanned::span)),
            ("savings", t.savings.as_ref().map(Spanned::span)),
            ("spend", t.spend.as_ref().map(Spanned::span)),
            ("outcome", t.outcome.as_ref().map(Spanned::span)),
            ("lambda", t.lambda.as_ref().map(Spanned::span)),
            ("states", t.states.as_ref().map(Spanned::span)),
            ("among", t.among.as_ref().map(Spanned::span)),
        ];
        for (key, span) in extras {
            if let Some(span) = span {
                if !allowed.contains(&key) {
                    return Err(self.err(
                        span,
                        field(key),
                        format!("`{key}` means nothing for the metric `{name}`"),
                    ));
                }
            }
        }
        Ok(Target {
            figure: t.figure.get_ref().clone(),
            source: t.source.get_ref().clone(),
            published: *t.published.get_ref(),
            published_interval,
            metric,
            arm,
            accept,
            why: t.why.get_ref().clone(),
            reproducible: t.reproducible.unwrap_or(true),
            input: t.input.unwrap_or(false),
            scale,
            subgroup,
            year,
            undiscounted: t.undiscounted.unwrap_or(false),
        })
    }
}
