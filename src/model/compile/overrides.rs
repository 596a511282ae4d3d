//! Parameters changed after compiling: `--set` overrides applied to a model compiled with the names kept
//! overridable, and the scenario's own `[sweep]` axes, checked against the parameters it defines.

use super::parameters::Def;
use super::Compiler;
use crate::dist::Distribution;
use crate::error::{suggest, InputError};
use crate::model::{Draw, Model, Overridable, ParameterInfo, ParameterSpec};
use crate::scenario::overrides::set_field;
use crate::scenario::raw::{RawParameterTable, RawScenario};
use crate::scenario::{Override, Scenario, SweepAxis};

/// Changes parameters of a model compiled with [`compile_with`](super::compile_with) (which must have named them):
/// a name alone sets every definition of it (base, arms, subgroups) to a fixed value; `name.field` changes that
/// field of each definition written as a distribution table, refitted as the file's own would be. Errors point at
/// the definition being changed in the scenario's text.
pub fn apply_overrides(model: &mut Model, scenario: &Scenario, overrides: &[Override]) -> Result<(), InputError> {
    let compiler = Compiler::new(scenario, &[]);
    for o in overrides {
        let what = format!("--set {}", o.describe());
        let matching: Vec<usize> = (0..model.overridable.len())
            .filter(|&i| model.overridable[i].name == o.name)
            .collect();
        if matching.is_empty() {
            return Err(InputError::usage(what, model.unknown_parameter(&o.name)));
        }
        let mut changed = 0;
        let (mut changed_scopes, mut arms_replaced) = (Vec::new(), Vec::new());
        for i in matching {
            let entry = model.overridable[i].clone();
            let Some((distribution, table)) = compiler.overridden(o, &entry, &what)? else {
                continue;
            };
            // A later change of another field starts from this one's table: `--set x.low=1 --set x.high=9` sets both.
            if let Some(table) = table {
                model.overridable[i].table = Some(Box::new(table));
            }
            let (slot, correlated) = match model.draws[entry.draw] {
                Draw::One { slot, .. } => (slot, false),
                // A correlated parameter stays correlated: its group reaches the new distribution instead.
                Draw::Member { slot, .. } => (slot, true),
                Draw::Dirichlet { .. } | Draw::Joint(_) => {
                    return Err(InputError::usage(
                        &what,
                        format!(
                            "`{}` is a component of a Dirichlet or a multivariate normal: change the whole \
                             distribution in the file",
                            o.name
                        ),
                    ))
                }
            };
            check_probability(model, slot, distribution, o, &what)?;
            model.draws[entry.draw] = if correlated {
                Draw::Member {
                    slot,
                    marginal: distribution.marginal(),
                    distribution,
                }
            } else {
                Draw::One {
                    slot,
                    sampler: distribution.sampler(),
                    distribution,
                }
            };
            let before = spec_words(&model.parameters[entry.info].spec);
            model.parameters[entry.info].spec = match distribution {
                Distribution::Fixed(value) => ParameterSpec::Fixed { value },
                d => ParameterSpec::Distribution {
                    distribution: d.describe(),
                    mean: d.mean(),
                    low95: d.quantile(0.025),
                    high95: d.quantile(0.975),
                },
            };
            let after = spec_words(&model.parameters[entry.info].spec);
            changed_scopes.push(format!("{}: {before} → {after}", scope_words(&entry.scope)));
            if o.field.is_none() && entry.scope.starts_with("arm:") {
                arms_replaced.push(format!("{} ({before})", scope_words(&entry.scope)));
            }
            changed += 1;
        }
        if !changed_scopes.is_empty() {
            model
                .set_changes
                .push(format!("--set {}: {}", o.describe(), changed_scopes.join("; ")));
        }
        if !arms_replaced.is_empty() {
            model.warnings.push(format!(
                "--set {} replaced the value that {} set{} for itself, so every arm now has {} = {}: if the arms \
                 differed in `{}`, they no longer do. To change one definition, give a field (--set {}.mean=...) \
                 or edit the file",
                o.describe(),
                arms_replaced.join(" and "),
                if arms_replaced.len() == 1 { "s" } else { "" },
                o.name,
                o.value,
                o.name,
                o.name,
            ));
        }
        if changed == 0 {
            return Err(InputError::usage(
                what,
                format!(
                    "`{}` is a number or an expression in the scenario, not a distribution: set its value with --set {}=VALUE",
                    o.name, o.name
                ),
            ));
        }
    }
    Ok(())
}

/// A definition in words for the terminal's echo of `--set`: "0.25", "Beta(α = 2, β = 6), mean 0.25", "= a * b".
fn spec_words(spec: &ParameterSpec) -> String {
    match spec {
        ParameterSpec::Fixed { value } => format!("{value}"),
        ParameterSpec::Distribution { distribution, mean, .. } => format!("{distribution}, mean {}", readable(*mean)),
        ParameterSpec::DirichletComponent { mean, .. } => format!("a Dirichlet component, mean {}", readable(*mean)),
        ParameterSpec::Expression { expression } => format!("= {expression}"),
    }
}

/// A mean with the decimals its size needs ("2088", "12.35", "0.2500"), with a minus sign where it is negative.
fn readable(x: f64) -> String {
    let text = match x.abs() {
        a if a >= 100.0 => format!("{x:.0}"),
        a if a >= 1.0 => format!("{x:.2}"),
        _ => format!("{x:.4}"),
    };
    text.strip_prefix('-')
        .map_or(text.clone(), |digits| format!("−{digits}"))
}

/// A scope in words: "the base value", "arm reablement", "subgroup frail".
fn scope_words(scope: &str) -> String {
    match scope.split_once(':') {
        Some((kind, name)) => format!("{kind} {name}"),
        None => "the base value".to_string(),
    }
}

/// A draw used directly as a transition probability must stay inside [0, 1].
fn check_probability(
    model: &Model,
    slot: usize,
    distribution: Distribution,
    o: &Override,
    what: &str,
) -> Result<(), InputError> {
    if model.probability_slots.contains(&slot) {
        let (low, high) = distribution.support();
        if low < 0.0 || high > 1.0 {
            let what_it_becomes = match distribution {
                Distribution::Fixed(v) => format!("sets it to {v}, outside [0, 1]"),
                d => format!("makes it {} ({low} to {high}), which can leave [0, 1]", d.describe()),
            };
            return Err(InputError::usage(
                what,
                format!("`{}` is used as a probability, but this {what_it_becomes}", o.name),
            ));
        }
    }
    Ok(())
}

impl Compiler<'_> {
    /// The distribution an override gives one definition, with the definition's table as changed where it changes a
    /// field; None where it changes a field and the definition is a plain number (which has no fields).
    fn overridden(
        &self,
        o: &Override,
        entry: &Overridable,
        what: &str,
    ) -> Result<Option<(Distribution, Option<RawParameterTable>)>, InputError> {
        Ok(Some(match (&o.field, &entry.table) {
            (None, _) => (
                Distribution::fixed(o.value).map_err(|e| InputError::usage(what, e.0))?,
                None,
            ),
            (Some(_), None) if entry.expression => {
                return Err(InputError::usage(
                    what,
                    format!(
                        "`{}` is an expression in {}; only its value can be set (--set {}=VALUE)",
                        o.name, entry.scope, o.name
                    ),
                ))
            }
            (Some(_), None) => return Ok(None),
            (Some(field), Some(table)) => {
                let mut t = (**table).clone();
                set_field(&mut t, field, o.value, entry.span.clone())
                    .map_err(|m| InputError::usage(what, format!("`{}` ({}): {m}", o.name, entry.scope)))?;
                let mut draws = Vec::new();
                let mut slot = 0;
                let fitted = self
                    .parameter_table(
                        &o.name,
                        &t,
                        entry.span.clone(),
                        &format!("{}.{field}", o.name),
                        &mut slot,
                        &mut draws,
                    )
                    .map_err(|e| InputError::usage(what, format!("`{}` ({}): {}", o.name, entry.scope, e.message)))?;
                let distribution = match (fitted.first(), draws.first()) {
                    (Some((_, Def::Fixed(v), _)), _) => Distribution::Fixed(*v),
                    (_, Some(Draw::One { distribution, .. })) => *distribution,
                    _ => {
                        return Err(InputError::usage(
                            what,
                            format!(
                                "`{}` is a Dirichlet component: change the whole Dirichlet in the file",
                                o.name
                            ),
                        ))
                    }
                };
                (distribution, Some(t))
            }
        }))
    }

    /// `[sweep]`: each entry parsed like `--vary`, naming a parameter the file defines.
    pub(super) fn sweep(&self, raw: &RawScenario, parameters: &[ParameterInfo]) -> Result<Vec<SweepAxis>, InputError> {
        let Some(sweep) = &raw.sweep else { return Ok(Vec::new()) };
        let known: Vec<&str> = parameters.iter().map(|p| p.name.as_str()).collect();
        let mut axes: Vec<SweepAxis> = Vec::new();
        for (i, v) in sweep.vary.iter().enumerate() {
            let field = format!("sweep.vary[{i}]");
            let axis = SweepAxis::parse(v.get_ref()).map_err(|m| self.err(v.span(), &field, m))?;
            if !known.contains(&axis.name.as_str()) {
                return Err(self.err(
                    v.span(),
                    &field,
                    format!("no parameter is named `{}`{}", axis.name, suggest(&axis.name, &known)),
                ));
            }
            if axes.iter().any(|a| a.label() == axis.label()) {
                return Err(self.err(v.span(), &field, format!("`{}` is varied twice", axis.label())));
            }
            axes.push(axis);
        }
        if axes.is_empty() {
            return Err(self.err(0..0, "sweep.vary", "a [sweep] table needs at least one entry in `vary`"));
        }
        Ok(axes)
    }
}
