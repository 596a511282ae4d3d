//! Checking `[[reproduce]]` targets against the rest of the scenario.

use super::Compiler;
use crate::error::{suggest, InputError};
use crate::model::{ArmInfo, Metric, Payer, Settings, StateInfo, SubgroupInfo, Target};
use crate::scenario::raw::{RawScenario, RawTarget};
use serde_spanned::Spanned;

impl Compiler<'_> {
    /// Compiles every `[[reproduce]]` target, checking every name it uses.
    pub(super) fn targets(
        &self,
        raw: &RawScenario,
        states: &[StateInfo],
        outcomes: &[String],
        arms: &[ArmInfo],
        subgroups: &[SubgroupInfo],
        settings: &Settings,
    ) -> Result<Vec<Target>, InputError> {
        raw.reproduce
            .iter()
            .enumerate()
            .map(|(i, t)| {
                TargetReader {
                    compiler: self,
                    i,
                    t: t.get_ref(),
                    raw,
                    states,
                    outcomes,
                    arms,
                    subgroups,
                    settings,
                }
                .target()
            })
            .collect()
    }
}

/// `reproduce[i]` being read, with the model structure its names refer to.
struct TargetReader<'r, 'a> {
    compiler: &'r Compiler<'a>,
    i: usize,
    t: &'r RawTarget,
    raw: &'r RawScenario,
    states: &'r [StateInfo],
    outcomes: &'r [String],
    arms: &'r [ArmInfo],
    subgroups: &'r [SubgroupInfo],
    settings: &'r Settings,
}

impl TargetReader<'_, '_> {
    fn field(&self, key: &str) -> String {
        format!("reproduce[{}].{key}", self.i)
    }

    fn err(&self, span: std::ops::Range<usize>, key: &str, message: impl Into<String>) -> InputError {
        self.compiler.err(span, self.field(key), message)
    }

    /// Compiles `reproduce[i]`, checking every name it uses.
    fn target(&self) -> Result<Target, InputError> {
        let t = self.t;
        self.check_source()?;
        let arm = self.arm()?;
        let accept = self.pair(&t.accept, "accept")?;
        let published_interval = t
            .published_interval
            .as_ref()
            .map(|v| self.pair(v, "published_interval"))
            .transpose()?;
        for (value, key) in [(&t.published, "published")] {
            if !value.get_ref().is_finite() {
                return Err(self.err(value.span(), key, "must be a finite number"));
            }
        }
        for (text, key) in [(&t.figure, "figure"), (&t.why, "why")] {
            if text.get_ref().trim().is_empty() {
                return Err(self.err(text.span(), key, "must say something"));
            }
        }
        let scale = match &t.scale {
            Some(s) if !(s.get_ref().is_finite() && *s.get_ref() != 0.0) => {
                return Err(self.err(s.span(), "scale", "must be a finite, non-zero number"))
            }
            Some(s) => *s.get_ref(),
            None => 1.0,
        };
        let subgroup = self.subgroup()?;
        let year = self.year()?;

        // Keys that only some metrics read: using one where it means nothing is an error, not silently ignored.
        let mut allowed: Vec<&str> = Vec::new();
        let metric = self.metric(year, &mut allowed)?;
        self.check_unused_keys(&allowed)?;
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

    fn check_source(&self) -> Result<(), InputError> {
        let (t, raw) = (self.t, self.raw);
        if !raw.sources.contains_key(t.source.get_ref()) {
            let known: Vec<&str> = raw.sources.keys().map(String::as_str).collect();
            return Err(self.err(
                t.source.span(),
                "source",
                format!(
                    "no source is named `{}` in [sources]{}",
                    t.source.get_ref(),
                    suggest(t.source.get_ref(), &known)
                ),
            ));
        }
        Ok(())
    }

    /// The intervention arm the target is about.
    fn arm(&self) -> Result<usize, InputError> {
        let t = self.t;
        let arm_names: Vec<&str> = self.arms.iter().map(|a| a.name.as_str()).collect();
        let arm = arm_names.iter().position(|n| n == t.arm.get_ref()).ok_or_else(|| {
            self.err(
                t.arm.span(),
                "arm",
                format!(
                    "no arm is named `{}`{}",
                    t.arm.get_ref(),
                    suggest(t.arm.get_ref(), &arm_names)
                ),
            )
        })?;
        if self.arms[arm].comparator.is_none() {
            return Err(self.err(
                t.arm.span(),
                "arm",
                format!(
                    "`{}` is the comparator; a target needs an intervention arm, which is compared with its comparator",
                    t.arm.get_ref()
                ),
            ));
        }
        Ok(arm)
    }

    fn pair(&self, v: &Spanned<Vec<f64>>, key: &str) -> Result<[f64; 2], InputError> {
        match v.get_ref().as_slice() {
            [a, b] if a.is_finite() && b.is_finite() && a <= b => Ok([*a, *b]),
            _ => Err(self.err(v.span(), key, "must be two finite numbers [low, high] with low ≤ high")),
        }
    }

    fn subgroup(&self) -> Result<Option<usize>, InputError> {
        let Some(name) = &self.t.subgroup else {
            return Ok(None);
        };
        let known: Vec<&str> = self
            .raw
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
                "subgroup",
                format!("no subgroup is named `{}`{hint}", name.get_ref()),
            )
        })?;
        debug_assert_eq!(self.subgroups[position].name, *name.get_ref());
        Ok(Some(position))
    }

    /// The programme year (0-based) the target is about, if any.
    fn year(&self) -> Result<Option<usize>, InputError> {
        let horizon_years = self.settings.horizon_years;
        match &self.t.year {
            None => Ok(None),
            Some(y) if (1..=horizon_years as i64).contains(y.get_ref()) => Ok(Some(*y.get_ref() as usize - 1)),
            Some(y) => Err(self.err(
                y.span(),
                "year",
                format!("must be a programme year from 1 to {horizon_years}"),
            )),
        }
    }

    /// The metric, adding to `allowed` the keys it reads.
    fn metric(&self, year: Option<usize>, allowed: &mut Vec<&'static str>) -> Result<Metric, InputError> {
        let t = self.t;
        let name = t.metric.get_ref().as_str();
        Ok(match name {
            "bcr" => {
                allowed.extend(["savings", "spend"]);
                Metric::Bcr {
                    savings: self.payer("savings", &t.savings)?,
                    spend: self.payer("spend", &t.spend)?,
                }
            }
            "net_savings" | "care_savings" | "care_cost_change" | "incremental_cost" => {
                allowed.push("payer");
                let payer = self.payer("payer", &t.payer)?;
                match name {
                    "net_savings" => Metric::NetSavings { payer },
                    "care_savings" => Metric::CareSavings { payer },
                    "care_cost_change" => Metric::CareCostChange { payer },
                    _ => Metric::IncrementalCost { payer },
                }
            }
            "outcome_change" => Metric::OutcomeChange {
                outcome: self.outcome(allowed)?,
            },
            "incremental_outcome" => Metric::IncrementalOutcome {
                outcome: self.outcome(allowed)?,
            },
            "icer" | "prob_cost_effective" => self.whole_horizon_metric(name, allowed)?,
            "state_share" => self.state_share(year, allowed)?,
            "payback" => match &t.year {
                Some(y) => return Err(self.err(y.span(), "year", "`payback` is over the whole horizon")),
                None => Metric::Payback,
            },
            other => {
                return Err(self.err(
                    t.metric.span(),
                    "metric",
                    format!(
                        "unknown metric `{other}`{}; the metrics are {}",
                        suggest(other, &Metric::NAMES),
                        Metric::NAMES.join(", ")
                    ),
                ))
            }
        })
    }

    /// `icer` or `prob_cost_effective`: over the whole horizon, in the primary outcome.
    fn whole_horizon_metric(&self, name: &str, allowed: &mut Vec<&'static str>) -> Result<Metric, InputError> {
        let t = self.t;
        if self.settings.primary_outcome.is_none() {
            return Err(self.err(
                t.metric.span(),
                "metric",
                format!("`{name}` needs an outcome, and no state has one"),
            ));
        }
        if let Some(y) = &t.year {
            return Err(self.err(y.span(), "year", format!("`{name}` is over the whole horizon")));
        }
        if name == "icer" {
            return Ok(Metric::Icer);
        }
        allowed.push("lambda");
        let lambda = match &t.lambda {
            Some(l) if !l.get_ref().is_finite() || *l.get_ref() < 0.0 => {
                return Err(self.err(l.span(), "lambda", "must be a non-negative £ per unit"))
            }
            Some(l) => *l.get_ref(),
            None => self.settings.threshold,
        };
        Ok(Metric::ProbCostEffective { lambda })
    }

    /// `state_share`: the share of people in some states at the end of a year, optionally among others.
    fn state_share(&self, year: Option<usize>, allowed: &mut Vec<&'static str>) -> Result<Metric, InputError> {
        let t = self.t;
        allowed.extend(["states", "among"]);
        let states_key = t
            .states
            .as_ref()
            .ok_or_else(|| self.err(t.metric.span(), "metric", "`state_share` needs `states` and `year`"))?;
        if year.is_none() {
            return Err(self.err(
                t.metric.span(),
                "metric",
                "`state_share` needs `year`: the share at the end of which programme year",
            ));
        }
        let among = t
            .among
            .as_ref()
            .map(|a| self.state_list("among", a))
            .transpose()?
            .unwrap_or_default();
        Ok(Metric::StateShare {
            states: self.state_list("states", states_key)?,
            among,
        })
    }

    /// A payer key: a payer, or all payers (None) when absent or `all`.
    fn payer(&self, key: &str, v: &Option<Spanned<String>>) -> Result<Option<Payer>, InputError> {
        match v {
            None => Ok(None),
            Some(p) if p.get_ref() == "all" => Ok(None),
            Some(p) => {
                let payers = self.compiler.payers.borrow();
                payers.parse(p.get_ref()).map(Some).ok_or_else(|| {
                    self.err(
                        p.span(),
                        key,
                        format!(
                            "`{}` is not a payer: use {} or all{}",
                            p.get_ref(),
                            payers.names().join(", "),
                            suggest(p.get_ref(), &payers.names())
                        ),
                    )
                })
            }
        }
    }

    /// The `outcome` key, which the metric needs.
    fn outcome(&self, allowed: &mut Vec<&'static str>) -> Result<usize, InputError> {
        let t = self.t;
        let name = t.metric.get_ref().as_str();
        allowed.push("outcome");
        let o = t
            .outcome
            .as_ref()
            .ok_or_else(|| self.err(t.metric.span(), "metric", format!("`{name}` needs `outcome`")))?;
        (self.outcomes.iter().position(|n| n == o.get_ref())).ok_or_else(|| {
            self.err(
                o.span(),
                "outcome",
                super::outcomes::no_such_outcome(o.get_ref(), self.outcomes),
            )
        })
    }

    /// A non-empty list of living states.
    fn state_list(&self, key: &str, v: &Spanned<Vec<Spanned<String>>>) -> Result<Vec<usize>, InputError> {
        let known: Vec<&str> = self.states.iter().map(|s| s.name.as_str()).collect();
        if v.get_ref().is_empty() {
            return Err(self.err(v.span(), key, "must name at least one state"));
        }
        v.get_ref()
            .iter()
            .map(|s| {
                let k = known.iter().position(|n| n == s.get_ref()).ok_or_else(|| {
                    self.err(
                        s.span(),
                        key,
                        format!("no state is named `{}`{}", s.get_ref(), suggest(s.get_ref(), &known)),
                    )
                })?;
                if self.states[k].dead {
                    return Err(self.err(
                        s.span(),
                        key,
                        format!(
                            "`{}` is a dead state, where nothing accrues; count the living states instead",
                            s.get_ref()
                        ),
                    ));
                }
                Ok(k)
            })
            .collect()
    }

    /// Rejects the metric-specific keys the metric does not read.
    fn check_unused_keys(&self, allowed: &[&str]) -> Result<(), InputError> {
        let t = self.t;
        let name = t.metric.get_ref().as_str();
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
                    return Err(self.err(span, key, format!("`{key}` means nothing for the metric `{name}`")));
                }
            }
        }
        Ok(())
    }
}
