//! Loading a scenario file and compiling it into a [`Model`]: every check that needs the file's text happens here,
//! so every error can point at a line and column.

use super::*;
use crate::dist::{Dirichlet, Distribution, FitError};
use crate::error::suggest;
use crate::error::InputError;
use crate::expr::{self, Ast, Program};
use crate::model::schedule::{Accrual, CycleLength, DiscountSchedule, Discounting, RateStep};
use crate::scenario::overrides::set_field;
use crate::scenario::raw::*;
use crate::scenario::{Override, Scenario, SweepAxis};
use serde_spanned::Spanned;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::Path;

mod reproduce;

/// A scenario read and compiled, with the settings of the run to make of it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub scenario: Scenario,
    pub model: Model,
    /// The run's iterations and seed: the file's, unless changed on the command line.
    pub run: RunSettings,
}

/// Reads and compiles a scenario file.
pub fn load(path: &Path) -> Result<Loaded, InputError> {
    let scenario = Scenario::read(path)?;
    let model = compile(&scenario)?;
    Ok(Loaded {
        run: model.run_defaults,
        model,
        scenario,
    })
}

/// Checks a parsed scenario and compiles it into a model.
pub fn compile(scenario: &Scenario) -> Result<Model, InputError> {
    compile_with(scenario, &[])
}

/// Parses and compiles scenario text (no file system); `path` names it in messages.
pub fn compile_text(path: &Path, text: &str) -> Result<Model, InputError> {
    compile(&Scenario::parse(path, text)?)
}

/// [`compile`], keeping the parameters named in `overridable` changeable by [`apply_overrides`]: each of their
/// definitions becomes a draw slot (a fixed value draws no random number), so that changing one is a matter of
/// replacing its distribution, not of compiling the scenario again.
pub fn compile_with(scenario: &Scenario, overridable: &[String]) -> Result<Model, InputError> {
    compile_raw(scenario, &scenario.raw, overridable)
}

/// [`compile_with`] on tables derived from the scenario's (a variant), with the scenario's text for messages.
pub fn compile_raw(scenario: &Scenario, raw: &RawScenario, overridable: &[String]) -> Result<Model, InputError> {
    Compiler {
        path: &scenario.path,
        src: &scenario.text,
        supports: Default::default(),
        overridable_names: overridable,
        overridable: Default::default(),
        probability_slots: Default::default(),
    }
    .compile(raw)
}

/// Changes parameters of a model compiled with [`compile_with`] (which must have named them): a name alone sets
/// every definition of it (base, arms, subgroups) to a fixed value; `name.field` changes that field of each
/// definition written as a distribution table, refitted as the file's own would be. Errors point at the definition
/// being changed in the scenario's text.
pub fn apply_overrides(model: &mut Model, scenario: &Scenario, overrides: &[Override]) -> Result<(), InputError> {
    let compiler = Compiler {
        path: &scenario.path,
        src: &scenario.text,
        supports: Default::default(),
        overridable_names: &[],
        overridable: Default::default(),
        probability_slots: Default::default(),
    };
    for o in overrides {
        let what = format!("--set {}", o.describe());
        let matching: Vec<usize> = (0..model.overridable.len())
            .filter(|&i| model.overridable[i].name == o.name)
            .collect();
        if matching.is_empty() {
            return Err(InputError::usage(what, model.unknown_parameter(&o.name)));
        }
        let mut changed = 0;
        for i in matching {
            let entry = model.overridable[i].clone();
            let distribution = match (&o.field, &entry.table) {
                (None, _) => Distribution::fixed(o.value).map_err(|e| InputError::usage(&what, e.0))?,
                (Some(_), None) if entry.expression => {
                    return Err(InputError::usage(
                        &what,
                        format!(
                            "`{}` is an expression in {}; only its value can be set (--set {}=VALUE)",
                            o.name, entry.scope, o.name
                        ),
                    ))
                }
                (Some(_), None) => continue,
                (Some(field), Some(table)) => {
                    let mut t = (**table).clone();
                    set_field(&mut t, field, o.value, entry.span.clone())
                        .map_err(|m| InputError::usage(&what, format!("`{}` ({}): {m}", o.name, entry.scope)))?;
                    let mut draws = Vec::new();
                    let mut slot = 0;
                    let fitted = compiler
                        .parameter_table(
                            &o.name,
                            &t,
                            entry.span.clone(),
                            &format!("{}.{field}", o.name),
                            &mut slot,
                            &mut draws,
                        )
                        .map_err(|e| {
                            InputError::usage(&what, format!("`{}` ({}): {}", o.name, entry.scope, e.message))
                        })?;
                    match (fitted.first(), draws.first()) {
                        (Some((_, Def::Fixed(v), _)), _) => Distribution::Fixed(*v),
                        (_, Some(Draw::One { distribution, .. })) => *distribution,
                        _ => {
                            return Err(InputError::usage(
                                &what,
                                format!(
                                    "`{}` is a Dirichlet component: change the whole Dirichlet in the file",
                                    o.name
                                ),
                            ))
                        }
                    }
                }
            };
            let Draw::One { slot, .. } = model.draws[entry.draw] else {
                return Err(InputError::usage(
                    &what,
                    format!(
                        "`{}` is a Dirichlet component: change the whole Dirichlet in the file",
                        o.name
                    ),
                ));
            };
            if model.probability_slots.contains(&slot) {
                let (low, high) = distribution.support();
                if low < 0.0 || high > 1.0 {
                    let what_it_becomes = match distribution {
                        Distribution::Fixed(v) => format!("sets it to {v}, outside [0, 1]"),
                        d => format!("makes it {} ({low} to {high}), which can leave [0, 1]", d.describe()),
                    };
                    return Err(InputError::usage(
                        &what,
                        format!("`{}` is used as a probability, but this {what_it_becomes}", o.name),
                    ));
                }
            }
            model.draws[entry.draw] = Draw::One {
                slot,
                sampler: distribution.sampler(),
                distribution,
            };
            model.parameters[entry.info].spec = match distribution {
                Distribution::Fixed(value) => ParameterSpec::Fixed { value },
                d => ParameterSpec::Distribution {
                    distribution: d.describe(),
                    mean: d.mean(),
                    low95: d.quantile(0.025),
                    high95: d.quantile(0.975),
                },
            };
            changed += 1;
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

/// A name's meaning within one context.
#[derive(Debug, Clone)]
enum Def {
    Fixed(f64),
    Draw(usize),
    Expr {
        ast: Ast,
        offset: usize,
        field: String,
        text: String,
    },
}

struct Compiler<'a> {
    path: &'a Path,
    src: &'a str,
    /// Support (lowest, highest value) of each draw slot, filled once the parameters are read.
    supports: std::cell::RefCell<Vec<(f64, f64)>>,
    /// Parameters to keep changeable after compiling (see [`compile_with`]).
    overridable_names: &'a [String],
    overridable: std::cell::RefCell<Vec<Overridable>>,
    /// Draw slots used directly as transition probabilities.
    probability_slots: std::cell::RefCell<Vec<usize>>,
}

type Bindings = BTreeMap<String, Def>;

/// A name defined by one parameter entry, with its definition, report spec, source, unit and note.
type Defined = (
    String,
    Def,
    ParameterSpec,
    Option<String>,
    Option<String>,
    Option<String>,
);

const RESERVED: [&str; 4] = ["remainder", "cycle", "t", "calendar_t"];

impl Compiler<'_> {
    fn err(&self, span: Range<usize>, field: impl Into<String>, message: impl Into<String>) -> InputError {
        InputError::at(self.path, self.src, span, field, message)
    }

    /// Byte offset of the first character inside a string value's quotes (0 quotes for bare values).
    fn string_content_offset(&self, span: &Range<usize>) -> usize {
        let text = self.src.get(span.clone()).unwrap_or("");
        let quotes = if text.starts_with("\"\"\"") || text.starts_with("'''") {
            3
        } else if text.starts_with('"') || text.starts_with('\'') {
            1
        } else {
            0
        };
        span.start + quotes
    }

    fn compile(&self, raw: &RawScenario) -> Result<Model, InputError> {
        let meta = self.meta(raw)?;
        let (settings_partial, run_defaults) = self.settings(&raw.settings)?;
        let states = self.states(&raw.states)?;
        let state_names: Vec<&str> = states.iter().map(|s| s.name.as_str()).collect();
        let outcomes = self.outcomes(&raw.states);
        let primary_outcome = match &raw.settings.primary_outcome {
            Some(name) => Some(outcomes.iter().position(|o| o == name.get_ref()).ok_or_else(|| {
                let known: Vec<&str> = outcomes.iter().map(String::as_str).collect();
                self.err(
                    name.span(),
                    "settings.primary_outcome",
                    format!(
                        "no state has an outcome named `{}`{}",
                        name.get_ref(),
                        suggest(name.get_ref(), &known)
                    ),
                )
            })?),
            None => outcomes
                .iter()
                .position(|o| o == "qaly")
                .or(if outcomes.is_empty() { None } else { Some(0) }),
        };
        let settings = Settings {
            primary_outcome,
            ..settings_partial
        };

        // Parameters: the base scope first, then arm and subgroup overrides, each sampled into its own slots.
        let mut draws = Vec::new();
        let mut parameters = Vec::new();
        let base = self.parameter_scope(
            &raw.parameters,
            "base",
            "parameters",
            None,
            &raw.sources,
            &mut draws,
            &mut parameters,
        )?;
        let arms = self.arms(&raw.arms)?;
        let mut arm_overrides = Vec::new();
        for (i, arm) in raw.arms.get_ref().iter().enumerate() {
            let arm = arm.get_ref();
            let scope = format!("arm:{}", arm.name.get_ref());
            let field = format!("arms[{i}].parameters");
            arm_overrides.push(self.parameter_scope(
                &arm.parameters,
                &scope,
                &field,
                Some(&base),
                &raw.sources,
                &mut draws,
                &mut parameters,
            )?);
        }
        let cohort = raw.cohort.get_ref();
        let subgroups = self.subgroups(cohort)?;
        let mut subgroup_overrides = Vec::new();
        for (i, sg) in cohort.subgroups.iter().enumerate() {
            let sg = sg.get_ref();
            let scope = format!("subgroup:{}", sg.name.get_ref());
            let field = format!("cohort.subgroups[{i}].parameters");
            subgroup_overrides.push(self.parameter_scope(
                &sg.parameters,
                &scope,
                &field,
                Some(&base),
                &raw.sources,
                &mut draws,
                &mut parameters,
            )?);
        }
        if subgroup_overrides.is_empty() {
            subgroup_overrides.push(Bindings::new());
        }
        let n_draws: usize = draws
            .iter()
            .map(|d| match d {
                Draw::One { .. } => 1,
                Draw::Dirichlet { dirichlet, .. } => dirichlet.len(),
            })
            .sum();

        *self.supports.borrow_mut() = draw_supports(&draws, n_draws);
        let cohort_size = self.cohort_size(cohort)?;
        let waves = self.waves(cohort, &settings)?;

        let has_noncashable = raw.states.iter().any(|s| {
            s.get_ref().costs.values().any(
                |c| matches!(c.get_ref(), RawCost::Table(t) if t.cashable.as_ref().is_some_and(|v| *v.get_ref() < 1.0)),
            )
        });

        let mut contexts = Vec::new();
        let mut programme_contexts = Vec::new();
        let mut programme_costs = Vec::new();
        let mut served_states = Vec::new();
        for (a, raw_arm) in raw.arms.get_ref().iter().enumerate() {
            for (g, sg_bindings) in subgroup_overrides.iter().enumerate() {
                // Arm overrides win over subgroup overrides: the intervention's effect is a property of the arm.
                let mut bindings = base.clone();
                bindings.extend(sg_bindings.clone());
                bindings.extend(arm_overrides[a].clone());
                contexts.push(self.context(
                    a,
                    g,
                    raw_arm.get_ref(),
                    raw,
                    &bindings,
                    &state_names,
                    &outcomes,
                    n_draws,
                    has_noncashable,
                    &settings,
                )?);
            }
            let mut bindings = base.clone();
            bindings.extend(arm_overrides[a].clone());
            let (ctx, costs, served) = self.programme_context(
                a,
                raw_arm.get_ref(),
                &bindings,
                &state_names,
                &states,
                n_draws,
                &settings,
            )?;
            programme_contexts.push(ctx);
            programme_costs.push(costs);
            served_states.push(served);
        }

        let sweep = self.sweep(raw, &parameters)?;
        let kernel_columns = compact_columns(&mut contexts, &mut programme_costs);
        let targets = raw
            .reproduce
            .iter()
            .enumerate()
            .map(|(i, t)| self.target(i, t.get_ref(), raw, &states, &outcomes, &arms, &subgroups, &settings))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Model {
            meta,
            settings,
            run_defaults,
            states,
            outcomes,
            arms,
            subgroups,
            parameters,
            draws,
            n_draws,
            contexts,
            programme_contexts,
            programme_costs,
            served_states,
            waves,
            cohort_size,
            has_noncashable,
            kernel_columns,
            targets,
            overridable: self.overridable.take(),
            probability_slots: self.probability_slots.take(),
            sweep,
        })
    }

    /// `[sweep]`: each entry parsed like `--vary`, naming a parameter the file defines.
    fn sweep(&self, raw: &RawScenario, parameters: &[ParameterInfo]) -> Result<Vec<SweepAxis>, InputError> {
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

    fn meta(&self, raw: &RawScenario) -> Result<Meta, InputError> {
        let name = raw.scenario.name.get_ref();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(self.err(
                raw.scenario.name.span(),
                "scenario.name",
                "the scenario name names the output directory, so it must be non-empty and use only letters, digits, '-' and '_'",
            ));
        }
        Ok(Meta {
            name: name.clone(),
            title: raw.scenario.title.clone(),
            summary: raw.scenario.summary.clone(),
            currency: raw.scenario.currency.clone().unwrap_or_else(|| "GBP".to_string()),
            price_year: raw.scenario.price_year.as_ref().map(|y| *y.get_ref()),
            sources: raw
                .sources
                .iter()
                .map(|(k, v)| (k.clone(), v.get_ref().clone()))
                .collect(),
        })
    }

    fn settings(&self, s: &RawSettings) -> Result<(Settings, RunSettings), InputError> {
        let horizon = *s.horizon_years.get_ref();
        if !(1..=1000).contains(&horizon) {
            return Err(self.err(
                s.horizon_years.span(),
                "settings.horizon_years",
                format!("must be a whole number of years from 1 to 1000, not {horizon}"),
            ));
        }
        let cycle = CycleLength::parse(s.cycle.get_ref()).ok_or_else(|| {
            self.err(
                s.cycle.span(),
                "settings.cycle",
                format!(
                    "unknown cycle length `{}`: use one of year, quarter, month, week (a cycle must divide a year){}",
                    s.cycle.get_ref(),
                    suggest(s.cycle.get_ref(), &["year", "quarter", "month", "week"])
                ),
            )
        })?;
        let iterations = *s.iterations.get_ref();
        if !(1..=MAX_ITERATIONS as i64).contains(&iterations) {
            return Err(self.err(
                s.iterations.span(),
                "settings.iterations",
                format!("must be from 1 to {MAX_ITERATIONS}, not {iterations}"),
            ));
        }
        let seed = *s.seed.get_ref();
        if seed < 0 {
            return Err(self.err(s.seed.span(), "settings.seed", "must be a non-negative integer"));
        }
        let mode = match s.mode.get_ref().as_str() {
            "cohort" => Mode::Cohort,
            "individual" => Mode::Individual,
            other => return Err(self.err(s.mode.span(), "settings.mode", format!("unknown mode `{other}`: use `cohort` (expected-value Markov trace) or `individual` (exact stochastic finite cohort){}", suggest(other, &["cohort", "individual"])))),
        };
        let accrual = Accrual::parse(s.accrual.get_ref()).ok_or_else(|| {
            self.err(
                s.accrual.span(),
                "settings.accrual",
                format!(
                    "unknown accrual convention `{}`: use start, end, half-cycle (trapezoid) or simpson{}",
                    s.accrual.get_ref(),
                    suggest(s.accrual.get_ref(), &["start", "end", "half-cycle", "simpson"])
                ),
            )
        })?;
        let discounting = Discounting::parse(s.discounting.get_ref()).ok_or_else(|| {
            self.err(
                s.discounting.span(),
                "settings.discounting",
                format!(
                    "unknown discounting `{}`: use discrete or continuous",
                    s.discounting.get_ref()
                ),
            )
        })?;
        let discount_costs = self.rate(&s.discount_rate_costs, "settings.discount_rate_costs")?;
        let discount_outcomes = self.rate(&s.discount_rate_outcomes, "settings.discount_rate_outcomes")?;
        let wtp = match &s.wtp {
            None => (0..=50).map(|i| i as f64 * 1000.0).collect(),
            Some(w) => {
                let values: Vec<f64> = match w.get_ref() {
                    RawWtp::List(v) => v.clone(),
                    RawWtp::Range { from, to, step } => {
                        if !(step.is_finite() && *step > 0.0 && from.is_finite() && to.is_finite() && to >= from)
                            || (to - from) / step > 100_000.0
                        {
                            return Err(self.err(
                                w.span(),
                                "settings.wtp",
                                "a range needs from ≤ to and a positive step giving at most 100,000 points",
                            ));
                        }
                        let n = ((to - from) / step + 1e-9).floor() as usize;
                        (0..=n).map(|i| from + i as f64 * step).collect()
                    }
                };
                if values.is_empty()
                    || values.iter().any(|v| !v.is_finite() || *v < 0.0)
                    || values.windows(2).any(|p| p[1] <= p[0])
                {
                    return Err(self.err(
                        w.span(),
                        "settings.wtp",
                        "willingness-to-pay values must be non-negative, finite and increasing",
                    ));
                }
                values
            }
        };
        let threshold = match &s.threshold {
            Some(t) if !(t.get_ref().is_finite() && *t.get_ref() >= 0.0) => {
                return Err(self.err(
                    t.span(),
                    "settings.threshold",
                    "must be a non-negative amount per unit of the primary outcome",
                ))
            }
            Some(t) => *t.get_ref(),
            None => 30_000.0,
        };
        let population = match &s.population {
            Some(p) if !(p.get_ref().is_finite() && *p.get_ref() > 0.0) => {
                return Err(self.err(p.span(), "settings.population", "must be a positive number of people"))
            }
            p => p.as_ref().map(|p| *p.get_ref()),
        };
        let cycles = horizon as usize * cycle.per_year();
        if cycles > MAX_CYCLES {
            return Err(self.err(
                s.horizon_years.span(),
                "settings.horizon_years",
                format!(
                    "{horizon} years of {}ly cycles make {cycles} cycles; at most {MAX_CYCLES} are supported",
                    s.cycle.get_ref()
                ),
            ));
        }
        let run = RunSettings {
            iterations: iterations as usize,
            seed: seed as u64,
        };
        let settings = Settings {
            horizon_years: horizon as usize,
            cycle,
            mode,
            accrual,
            discounting,
            discount_costs,
            discount_outcomes,
            wtp,
            threshold,
            primary_outcome: None,
            population,
        };
        Ok((settings, run))
    }

    fn rate(&self, r: &Spanned<RawRate>, field: &str) -> Result<DiscountSchedule, InputError> {
        let bad_rate = |x: f64| !(x.is_finite() && (0.0..1.0).contains(&x));
        match r.get_ref() {
            RawRate::Flat(x) if bad_rate(*x) => Err(self.err(r.span(), field, format!("a discount rate is an annual fraction from 0 to 1 (0.035 for 3.5%), not {x}"))),
            RawRate::Flat(x) => Ok(DiscountSchedule::flat(*x)),
            RawRate::Named(n) if n == "treasury" => Ok(DiscountSchedule::treasury()),
            RawRate::Named(n) => Err(self.err(r.span(), field, format!("unknown discount schedule `{n}`: give a rate such as 0.035, \"treasury\" (HM Treasury declining schedule), or a list of {{ from_year, rate }} steps"))),
            RawRate::Steps(steps) => {
                if steps.is_empty() || steps[0].from_year != 0.0 || steps.windows(2).any(|w| w[1].from_year <= w[0].from_year) || steps.iter().any(|s| bad_rate(s.rate)) {
                    return Err(self.err(r.span(), field, "a discount schedule's steps must start at from_year = 0, increase in from_year, and have rates from 0 to 1"));
                }
                Ok(DiscountSchedule { steps: steps.iter().map(|s| RateStep { from_year: s.from_year, rate: s.rate }).collect() })
            }
        }
    }

    fn states(&self, raw: &[Spanned<RawState>]) -> Result<Vec<StateInfo>, InputError> {
        if raw.is_empty() {
            return Err(InputError::at(
                self.path,
                self.src,
                0..0,
                "states",
                "the scenario has no [[states]]; a model needs at least two",
            ));
        }
        let mut out: Vec<StateInfo> = Vec::new();
        for (i, s) in raw.iter().enumerate() {
            let st = s.get_ref();
            let name = st.name.get_ref();
            self.check_identifier(name, st.name.span(), &format!("states[{i}].name"))?;
            if out.iter().any(|o| &o.name == name) {
                return Err(self.err(
                    st.name.span(),
                    format!("states[{i}].name"),
                    format!("the state `{name}` is defined twice"),
                ));
            }
            let has_values = !st.costs.is_empty() || !st.outcomes.is_empty();
            if has_values && st.per.is_none() {
                return Err(self.err(s.span(), format!("states[{i}].per"), format!("state `{name}` has costs or outcomes but no `per`: say whether they are per year, quarter, month, week or cycle (units are never guessed)")));
            }
            out.push(StateInfo {
                name: name.clone(),
                label: st.label.clone().unwrap_or_else(|| name.clone()),
                dead: st.dead,
            });
        }
        if out.len() > MAX_STATES {
            return Err(self.err(
                raw[MAX_STATES].span(),
                "states",
                format!("at most {MAX_STATES} states are supported"),
            ));
        }
        Ok(out)
    }

    fn outcomes(&self, raw: &[Spanned<RawState>]) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for s in raw {
            for k in s.get_ref().outcomes.keys() {
                if !names.contains(k.get_ref()) {
                    names.push(k.get_ref().clone());
                }
            }
        }
        names
    }

    fn check_identifier(&self, name: &str, span: Range<usize>, field: &str) -> Result<(), InputError> {
        let mut chars = name.chars();
        let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return Err(self.err(
                span,
                field,
                format!("`{name}` is not a valid name: use letters, digits and '_', starting with a letter"),
            ));
        }
        Ok(())
    }

    fn arms(&self, raw: &Spanned<Vec<Spanned<RawArm>>>) -> Result<Vec<ArmInfo>, InputError> {
        let list = raw.get_ref();
        if list.len() < 2 {
            return Err(self.err(raw.span(), "arms", "a scenario needs at least two [[arms]]: the comparator (usual care) first, then one or more interventions"));
        }
        let names: Vec<&str> = list.iter().map(|a| a.get_ref().name.get_ref().as_str()).collect();
        let mut out = Vec::new();
        for (i, a) in list.iter().enumerate() {
            let arm = a.get_ref();
            let name = arm.name.get_ref();
            self.check_identifier(name, arm.name.span(), &format!("arms[{i}].name"))?;
            if names[..i].contains(&name.as_str()) {
                return Err(self.err(
                    arm.name.span(),
                    format!("arms[{i}].name"),
                    format!("the arm `{name}` is defined twice"),
                ));
            }
            let comparator = match (&arm.compare_to, i) {
                (Some(c), _) => {
                    let j = names.iter().position(|n| n == c.get_ref()).ok_or_else(|| {
                        self.err(
                            c.span(),
                            format!("arms[{i}].compare_to"),
                            format!("no arm is named `{}`{}", c.get_ref(), suggest(c.get_ref(), &names)),
                        )
                    })?;
                    if j == i {
                        return Err(self.err(
                            c.span(),
                            format!("arms[{i}].compare_to"),
                            "an arm cannot be compared with itself",
                        ));
                    }
                    Some(j)
                }
                (None, 0) => None,
                (None, _) => Some(0),
            };
            out.push(ArmInfo {
                name: name.clone(),
                label: arm.label.clone().unwrap_or_else(|| name.clone()),
                comparator,
            });
        }
        Ok(out)
    }

    fn subgroups(&self, cohort: &RawCohort) -> Result<Vec<SubgroupInfo>, InputError> {
        if cohort.subgroups.is_empty() {
            return Ok(vec![SubgroupInfo {
                name: "all".into(),
                label: "Whole cohort".into(),
                share: 1.0,
            }]);
        }
        let mut out: Vec<SubgroupInfo> = Vec::new();
        for (i, s) in cohort.subgroups.iter().enumerate() {
            let sg = s.get_ref();
            self.check_identifier(
                sg.name.get_ref(),
                sg.name.span(),
                &format!("cohort.subgroups[{i}].name"),
            )?;
            let share = *sg.share.get_ref();
            if !(share.is_finite() && share > 0.0 && share <= 1.0) {
                return Err(self.err(
                    sg.share.span(),
                    format!("cohort.subgroups[{i}].share"),
                    format!("a subgroup's share of the cohort must be above 0 and at most 1, not {share}"),
                ));
            }
            if out.iter().any(|o| &o.name == sg.name.get_ref()) {
                return Err(self.err(
                    sg.name.span(),
                    format!("cohort.subgroups[{i}].name"),
                    "this subgroup is defined twice",
                ));
            }
            out.push(SubgroupInfo {
                name: sg.name.get_ref().clone(),
                label: sg.label.clone().unwrap_or_else(|| sg.name.get_ref().clone()),
                share,
            });
        }
        let total: f64 = out.iter().map(|s| s.share).sum();
        if (total - 1.0).abs() > 1e-9 {
            return Err(self.err(
                cohort.subgroups[0].span(),
                "cohort.subgroups",
                format!("subgroup shares must sum to 1, but they sum to {total}"),
            ));
        }
        Ok(out)
    }

    fn cohort_size(&self, cohort: &RawCohort) -> Result<u64, InputError> {
        let size = *cohort.size.get_ref();
        if !(1..=MAX_COHORT as i64).contains(&size) {
            return Err(self.err(
                cohort.size.span(),
                "cohort.size",
                format!("the cohort must have from 1 to {MAX_COHORT} people, not {size}"),
            ));
        }
        Ok(size as u64)
    }

    fn waves(&self, cohort: &RawCohort, settings: &Settings) -> Result<Vec<Wave>, InputError> {
        let shares = match &cohort.entry {
            None => vec![1.0],
            Some(e) => {
                let v = e.get_ref();
                if v.is_empty()
                    || v.len() > settings.horizon_years
                    || v.iter().any(|x| !x.is_finite() || *x < 0.0)
                    || (v.iter().sum::<f64>() - 1.0).abs() > 1e-9
                {
                    return Err(self.err(e.span(), "cohort.entry", format!("entry gives the share of the cohort entering in each programme year: non-negative shares summing to 1, at most one per year of the horizon ({} years)", settings.horizon_years)));
                }
                v.clone()
            }
        };
        let per_year = settings.cycle.per_year();
        let dt = settings.cycle.years();
        let mut waves = Vec::new();
        for (entry_year, &share) in shares.iter().enumerate() {
            if share == 0.0 {
                continue;
            }
            let offset = entry_year * per_year;
            let cycles = settings.cycles() - offset;
            let mut boundary_weights = vec![Vec::new(); cycles + 1];
            for (c, weights) in settings.accrual.cycle_weights(cycles).into_iter().enumerate() {
                let year = (offset + c) / per_year;
                for (k, w) in weights {
                    let calendar_t = (offset + k) as f64 * dt;
                    let wc = w * settings.discount_costs.factor(calendar_t, settings.discounting);
                    let wo = w * settings.discount_outcomes.factor(calendar_t, settings.discounting);
                    let list: &mut Vec<(usize, f64, f64)> = &mut boundary_weights[k];
                    match list.iter_mut().find(|(y, _, _)| *y == year) {
                        Some(entry) => {
                            entry.1 += wc;
                            entry.2 += wo;
                        }
                        None => list.push((year, wc, wo)),
                    }
                }
            }
            let entry_cost_factor = settings.discount_costs.factor(offset as f64 * dt, settings.discounting);
            let same_weights = boundary_weights.iter().flatten().all(|(_, wc, wo)| wc == wo);
            let weights_flat: Vec<(usize, f64, f64)> = boundary_weights.iter().flatten().copied().collect();
            let weights_start: Vec<usize> = std::iter::once(0)
                .chain(boundary_weights.iter().scan(0, |n, list| {
                    *n += list.len();
                    Some(*n)
                }))
                .collect();
            waves.push(Wave {
                entry_year,
                share,
                cycles,
                boundary_weights,
                weights_flat,
                weights_start,
                same_weights,
                entry_cost_factor,
            });
        }
        Ok(waves)
    }

    /// Reads one scope's parameters into bindings, adding their draws and report entries.
    #[allow(clippy::too_many_arguments)]
    fn parameter_scope(
        &self,
        raw: &BTreeMap<Spanned<String>, Spanned<RawParameter>>,
        scope: &str,
        field: &str,
        base: Option<&Bindings>,
        sources: &BTreeMap<String, Spanned<String>>,
        draws: &mut Vec<Draw>,
        infos: &mut Vec<ParameterInfo>,
    ) -> Result<Bindings, InputError> {
        let mut out = Bindings::new();
        let mut next_slot: usize = draws
            .iter()
            .map(|d| match d {
                Draw::One { .. } => 1,
                Draw::Dirichlet { dirichlet, .. } => dirichlet.len(),
            })
            .sum();
        for (name, value) in raw {
            let key = name.get_ref();
            let f = format!("{field}.{key}");
            let defined: Vec<Defined> = match value.get_ref() {
                RawParameter::Number(x) => {
                    if !x.is_finite() {
                        return Err(self.err(value.span(), f, "a parameter value must be a finite number"));
                    }
                    vec![(
                        key.clone(),
                        Def::Fixed(*x),
                        ParameterSpec::Fixed { value: *x },
                        None,
                        None,
                        None,
                    )]
                }
                RawParameter::Expression(text) => {
                    let offset = self.string_content_offset(&value.span());
                    let ast = expr::parse(text).map_err(|e| self.expr_error(offset, &e, &f))?;
                    vec![(
                        key.clone(),
                        Def::Expr {
                            ast,
                            offset,
                            field: f.clone(),
                            text: text.clone(),
                        },
                        ParameterSpec::Expression {
                            expression: text.clone(),
                        },
                        None,
                        None,
                        None,
                    )]
                }
                RawParameter::Table(t) => {
                    if let Some(src) = &t.source {
                        if !sources.contains_key(src.get_ref()) {
                            let known: Vec<&str> = sources.keys().map(String::as_str).collect();
                            return Err(self.err(
                                src.span(),
                                format!("{f}.source"),
                                format!(
                                    "no source is named `{}` in [sources]{}",
                                    src.get_ref(),
                                    suggest(src.get_ref(), &known)
                                ),
                            ));
                        }
                    }
                    let source = t.source.as_ref().map(|s| s.get_ref().clone());
                    self.parameter_table(key, t, value.span(), &f, &mut next_slot, draws)?
                        .into_iter()
                        .map(|(n, d, s)| (n, d, s, source.clone(), t.unit.clone(), t.note.clone()))
                        .collect()
                }
            };
            for (pname, def, spec, source, unit, note) in defined {
                self.check_identifier(&pname, name.span(), &f)?;
                if RESERVED.contains(&pname.as_str()) {
                    return Err(self.err(name.span(), &f, format!("`{pname}` is a reserved name (the time variables are cycle, t and calendar_t); choose another name")));
                }
                if let Some(base) = base {
                    if !base.contains_key(&pname) {
                        let known: Vec<&str> = base.keys().map(String::as_str).collect();
                        return Err(self.err(name.span(), &f, format!("`{pname}` overrides no parameter of the base model: define it under [parameters] first{}", suggest(&pname, &known))));
                    }
                }
                if out.contains_key(&pname) {
                    return Err(self.err(name.span(), &f, format!("`{pname}` is defined twice in this scope")));
                }
                // A parameter that overrides may change becomes a draw slot even where it is a number or an
                // expression, so that no expression folds it into a constant.
                let mut def = def;
                let was_expression = matches!(def, Def::Expr { .. });
                if self.overridable_names.contains(&pname) {
                    let draw = match def {
                        Def::Fixed(v) => {
                            let d = Distribution::Fixed(v);
                            draws.push(Draw::One {
                                slot: next_slot,
                                sampler: d.sampler(),
                                distribution: d,
                            });
                            def = Def::Draw(next_slot);
                            next_slot += 1;
                            draws.len() - 1
                        }
                        // An expression can only be replaced by a value; until then it is 0 (every override sets it).
                        Def::Expr { .. } => {
                            let d = Distribution::Fixed(0.0);
                            draws.push(Draw::One {
                                slot: next_slot,
                                sampler: d.sampler(),
                                distribution: d,
                            });
                            def = Def::Draw(next_slot);
                            next_slot += 1;
                            draws.len() - 1
                        }
                        Def::Draw(_) => draws.len() - 1,
                    };
                    let table = match value.get_ref() {
                        RawParameter::Table(t) if t.expr.is_none() => Some(t.clone()),
                        _ => None,
                    };
                    self.overridable.borrow_mut().push(Overridable {
                        name: pname.clone(),
                        scope: scope.to_string(),
                        draw,
                        info: infos.len(),
                        expression: was_expression,
                        table,
                        span: value.span(),
                    });
                }
                let draw_slot = if let Def::Draw(s) = def { Some(s) } else { None };
                infos.push(ParameterInfo {
                    name: pname.clone(),
                    scope: scope.to_string(),
                    spec,
                    source,
                    unit,
                    note,
                    draw_slot,
                });
                out.insert(pname, def);
            }
        }
        Ok(out)
    }

    fn expr_error(&self, offset: usize, e: &expr::ExprError, field: &str) -> InputError {
        let start = offset + e.offset;
        self.err(start..start + e.len.max(1), field, e.message.clone())
    }

    /// Builds the distribution described by a parameter table.
    fn parameter_table(
        &self,
        name: &str,
        t: &RawParameterTable,
        span: Range<usize>,
        field: &str,
        next_slot: &mut usize,
        draws: &mut Vec<Draw>,
    ) -> Result<Vec<(String, Def, ParameterSpec)>, InputError> {
        let present = present_keys(t);
        let dist = t.dist.as_ref().map(|d| d.get_ref().as_str());
        let fit = |r: Result<Distribution, FitError>, at: Range<usize>| r.map_err(|e| self.err(at, field, e.0));
        let need = |v: &Option<Spanned<f64>>, key: &str, form: &str| -> Result<f64, InputError> {
            v.as_ref()
                .map(|x| *x.get_ref())
                .ok_or_else(|| self.err(span.clone(), format!("{field}.{key}"), format!("{form} needs `{key}`")))
        };
        let allow = |allowed: &[&str], form: &str| -> Result<(), InputError> {
            for (key, at) in &present {
                if !allowed.contains(key) && !["dist", "source", "unit", "note"].contains(key) {
                    return Err(self.err(
                        at.clone(),
                        format!("{field}.{key}"),
                        format!("`{key}` is not used by {form}; it takes {}", allowed.join(", ")),
                    ));
                }
            }
            Ok(())
        };
        let has = |key: &str| present.iter().any(|(k, _)| *k == key);
        let ci = |form: &str| -> Result<(f64, f64, Range<usize>), InputError> {
            let c = t
                .ci95
                .as_ref()
                .ok_or_else(|| self.err(span.clone(), format!("{field}.ci95"), format!("{form} needs `ci95`")))?;
            match c.get_ref().as_slice() {
                [lo, hi] if lo < hi => Ok((*lo, *hi, c.span())),
                [lo, hi] => Err(self.err(
                    c.span(),
                    format!("{field}.ci95"),
                    format!("a 95% interval needs low < high, but it is [{lo}, {hi}]"),
                )),
                _ => Err(self.err(
                    c.span(),
                    format!("{field}.ci95"),
                    "a 95% interval is written as two numbers, [low, high]",
                )),
            }
        };
        let one =
            |d: Distribution, next_slot: &mut usize, draws: &mut Vec<Draw>| -> Vec<(String, Def, ParameterSpec)> {
                if let Distribution::Fixed(v) = d {
                    return vec![(name.to_string(), Def::Fixed(v), ParameterSpec::Fixed { value: v })];
                }
                let slot = *next_slot;
                *next_slot += 1;
                draws.push(Draw::One {
                    slot,
                    sampler: d.sampler(),
                    distribution: d,
                });
                let spec = ParameterSpec::Distribution {
                    distribution: d.describe(),
                    mean: d.mean(),
                    low95: d.quantile(0.025),
                    high95: d.quantile(0.975),
                };
                vec![(name.to_string(), Def::Draw(slot), spec)]
            };
        let d = match dist {
            None if has("expr") => {
                allow(&["expr"], "an expression parameter")?;
                let e = t.expr.as_ref().expect("checked by has()");
                let offset = self.string_content_offset(&e.span());
                let ast = expr::parse(e.get_ref()).map_err(|err| self.expr_error(offset, &err, &format!("{field}.expr")))?;
                return Ok(vec![(name.to_string(), Def::Expr { ast, offset, field: format!("{field}.expr"), text: e.get_ref().clone() }, ParameterSpec::Expression { expression: e.get_ref().clone() })]);
            }
            None if has("value") => {
                allow(&["value"], "a fixed parameter")?;
                fit(Distribution::fixed(need(&t.value, "value", "a fixed parameter")?), span.clone())?
            }
            None => return Err(self.err(span, format!("{field}.dist"), "a parameter table needs `dist` (fixed, uniform, normal, lognormal, gamma, beta, triangular, pert, dirichlet), or `value`, or `expr`")),
            Some("fixed") => {
                allow(&["value"], "dist = \"fixed\"")?;
                fit(Distribution::fixed(need(&t.value, "value", "dist = \"fixed\"")?), span.clone())?
            }
            Some("uniform") => {
                allow(&["low", "high"], "a uniform distribution")?;
                fit(Distribution::uniform(need(&t.low, "low", "a uniform distribution")?, need(&t.high, "high", "a uniform distribution")?), span.clone())?
            }
            Some("normal") if has("ci95") => {
                allow(&["ci95"], "a normal distribution given by its 95% interval")?;
                let (lo, hi, at) = ci("a normal distribution")?;
                fit(Distribution::normal_from_interval(lo, hi), at)?
            }
            Some("normal") => {
                allow(&["mean", "sd"], "a normal distribution")?;
                fit(Distribution::normal(need(&t.mean, "mean", "a normal distribution")?, need(&t.sd, "sd", "a normal distribution")?), span.clone())?
            }
            Some("lognormal") if has("ci95") => {
                allow(&["ci95"], "a lognormal distribution given by its 95% interval")?;
                let (lo, hi, at) = ci("a lognormal distribution")?;
                fit(Distribution::lognormal_from_interval(lo, hi), at)?
            }
            Some("lognormal") if has("mean") || has("sd") => {
                allow(&["mean", "sd"], "a lognormal distribution given by its mean and sd")?;
                fit(Distribution::lognormal_from_moments(need(&t.mean, "mean", "a lognormal distribution")?, need(&t.sd, "sd", "a lognormal distribution")?), span.clone())?
            }
            Some("lognormal") => {
                allow(&["meanlog", "sdlog"], "a lognormal distribution (meanlog and sdlog, or mean and sd, or ci95)")?;
                fit(Distribution::lognormal(need(&t.meanlog, "meanlog", "a lognormal distribution")?, need(&t.sdlog, "sdlog", "a lognormal distribution")?), span.clone())?
            }
            Some("gamma") if has("ci95") => {
                allow(&["ci95"], "a gamma distribution given by its 95% interval")?;
                let (lo, hi, at) = ci("a gamma distribution")?;
                fit(Distribution::gamma_from_interval(lo, hi), at)?
            }
            Some("gamma") if has("mean") || has("sd") => {
                allow(&["mean", "sd"], "a gamma distribution given by its mean and sd")?;
                fit(Distribution::gamma_from_moments(need(&t.mean, "mean", "a gamma distribution")?, need(&t.sd, "sd", "a gamma distribution")?), span.clone())?
            }
            Some("gamma") if has("rate") => {
                allow(&["shape", "rate"], "a gamma distribution given by shape and rate")?;
                let rate = need(&t.rate, "rate", "a gamma distribution")?;
                if !(rate.is_finite() && rate > 0.0) {
                    return Err(self.err(span, format!("{field}.rate"), "a gamma rate must be positive"));
                }
                fit(Distribution::gamma(need(&t.shape, "shape", "a gamma distribution")?, 1.0 / rate), span.clone())?
            }
            Some("gamma") => {
                allow(&["shape", "scale"], "a gamma distribution (shape and scale, shape and rate, mean and sd, or ci95)")?;
                fit(Distribution::gamma(need(&t.shape, "shape", "a gamma distribution")?, need(&t.scale, "scale", "a gamma distribution")?), span.clone())?
            }
            Some("beta") if has("ci95") => {
                allow(&["ci95"], "a beta distribution given by its 95% interval")?;
                let (lo, hi, at) = ci("a beta distribution")?;
                fit(Distribution::beta_from_interval(lo, hi), at)?
            }
            Some("beta") if has("mean") || has("sd") => {
                allow(&["mean", "sd"], "a beta distribution given by its mean and sd")?;
                fit(Distribution::beta_from_moments(need(&t.mean, "mean", "a beta distribution")?, need(&t.sd, "sd", "a beta distribution")?), span.clone())?
            }
            Some("beta") => {
                allow(&["alpha", "beta"], "a beta distribution (alpha and beta, mean and sd, or ci95)")?;
                let alpha = match t.alpha.as_ref().map(|a| a.get_ref()) {
                    Some(RawAlpha::One(a)) => *a,
                    Some(RawAlpha::Many(_)) => return Err(self.err(span, format!("{field}.alpha"), "a beta distribution's alpha is one number (a list of alphas is a Dirichlet)")),
                    None => return Err(self.err(span, format!("{field}.alpha"), "a beta distribution needs `alpha` and `beta` (or `mean` and `sd`, or `ci95`)")),
                };
                fit(Distribution::beta(alpha, need(&t.beta, "beta", "a beta distribution")?), span.clone())?
            }
            Some("triangular") => {
                allow(&["min", "mode", "max"], "a triangular distribution")?;
                let form = "a triangular distribution";
                fit(Distribution::triangular(need(&t.min, "min", form)?, need(&t.mode, "mode", form)?, need(&t.max, "max", form)?), span.clone())?
            }
            Some("pert") => {
                allow(&["min", "mode", "max", "lambda"], "a PERT distribution")?;
                let form = "a PERT distribution";
                let lambda = t.lambda.as_ref().map_or(4.0, |l| *l.get_ref());
                fit(Distribution::pert(need(&t.min, "min", form)?, need(&t.mode, "mode", form)?, need(&t.max, "max", form)?, lambda), span.clone())?
            }
            Some("dirichlet") => {
                allow(&["alpha", "names"], "a Dirichlet distribution")?;
                let alpha = match t.alpha.as_ref().map(|a| a.get_ref()) {
                    Some(RawAlpha::Many(a)) => a.clone(),
                    _ => return Err(self.err(span, format!("{field}.alpha"), "a Dirichlet needs `alpha`, a list of counts (one per category), and `names`, one parameter name per category")),
                };
                let names = t.names.as_ref().ok_or_else(|| self.err(span.clone(), format!("{field}.names"), "a Dirichlet needs `names`: one parameter name per category, in the order of `alpha`"))?;
                if names.get_ref().len() != alpha.len() {
                    return Err(self.err(names.span(), format!("{field}.names"), format!("`names` has {} entries but `alpha` has {}", names.get_ref().len(), alpha.len())));
                }
                let dirichlet = Dirichlet::new(alpha).map_err(|e| self.err(span.clone(), format!("{field}.alpha"), e.0))?;
                let first_slot = *next_slot;
                *next_slot += dirichlet.len();
                let out = names
                    .get_ref()
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        let m = dirichlet.marginal(i);
                        let spec = ParameterSpec::DirichletComponent { alpha: dirichlet.alpha().to_vec(), component: i, mean: m.mean(), low95: m.quantile(0.025), high95: m.quantile(0.975) };
                        (n.clone(), Def::Draw(first_slot + i), spec)
                    })
                    .collect();
                draws.push(Draw::Dirichlet { first_slot, dirichlet });
                return Ok(out);
            }
            Some(other) => {
                let at = t.dist.as_ref().map_or(span.clone(), |d| d.span());
                let known = ["fixed", "uniform", "normal", "lognormal", "gamma", "beta", "triangular", "pert", "dirichlet"];
                return Err(self.err(at, format!("{field}.dist"), format!("unknown distribution `{other}`: use one of {}{}", known.join(", "), suggest(other, &known))));
            }
        };
        Ok(one(d, next_slot, draws))
    }

    /// Compiles one arm × subgroup context.
    #[allow(clippy::too_many_arguments)]
    fn context(
        &self,
        arm_index: usize,
        subgroup: usize,
        arm: &RawArm,
        raw: &RawScenario,
        bindings: &Bindings,
        states: &[&str],
        outcomes: &[String],
        n_draws: usize,
        has_noncashable: bool,
        settings: &Settings,
    ) -> Result<Context, InputError> {
        let mut b = ContextBuilder::new(self, bindings, n_draws);
        let afield = format!("arms[{arm_index}]");

        // Starting distribution: the arm's own, or the scenario's.
        let start_table = arm.start.as_ref().unwrap_or(&raw.start);
        let start_field = if arm.start.is_some() {
            format!("{afield}.start")
        } else {
            "start".to_string()
        };
        let start = b.row(
            usize::MAX,
            start_table.get_ref(),
            start_table.span(),
            &start_field,
            states,
            true,
        )?;

        // Transition rows: the arm's rows replace the scenario's rows for the same state.
        let mut rows = Vec::new();
        for (i, from) in states.iter().enumerate() {
            let arm_row = arm.transitions.iter().find(|(k, _)| k.get_ref() == from);
            let base_row = raw.transitions.get_ref().iter().find(|(k, _)| k.get_ref() == from);
            let (row, field) = match (arm_row, base_row) {
                (Some((_, r)), _) => (r, format!("{afield}.transitions.{from}")),
                (None, Some((_, r))) => (r, format!("transitions.{from}")),
                (None, None) => {
                    if raw.is_dead(i) {
                        continue;
                    }
                    return Err(self.err(raw.transitions.span(), "transitions", format!("state `{from}` has no transition row: give one (use `{from} = \"remainder\"` for staying), or mark the state `dead = true` if nobody leaves it")));
                }
            };
            rows.push(b.row(i, row.get_ref(), row.span(), &field, states, false)?);
        }
        for (k, _) in raw.transitions.get_ref().iter().chain(arm.transitions.iter()) {
            if !states.contains(&k.get_ref().as_str()) {
                return Err(self.err(
                    k.span(),
                    "transitions",
                    format!("no state is named `{}`{}", k.get_ref(), suggest(k.get_ref(), states)),
                ));
            }
        }

        // State values: care costs (with their cashable part) and outcomes, converted to per-cycle amounts.
        let mut flows = Vec::new();
        for (si, s) in raw.states.iter().enumerate() {
            let st = s.get_ref();
            let sfield = format!("states[{si}]");
            let factor = match &st.per {
                Some(per) => self.per_cycle_factor(per, settings, &format!("{sfield}.per"))?,
                None => 1.0,
            };
            for (payer_name, cost) in &st.costs {
                let payer = Payer::parse(payer_name.get_ref()).ok_or_else(|| {
                    self.err(
                        payer_name.span(),
                        format!("{sfield}.costs"),
                        format!(
                            "unknown payer `{}`: costs are split by council, nhs and person{}",
                            payer_name.get_ref(),
                            suggest(payer_name.get_ref(), &["council", "nhs", "person"])
                        ),
                    )
                })?;
                let cfield = format!("{sfield}.costs.{}", payer.name());
                let (amount, cashable) = match cost.get_ref() {
                    RawCost::Amount(e) => (Spanned::new(cost.span(), e.clone()), 1.0),
                    RawCost::Table(t) => {
                        let share = t.cashable.as_ref().map_or(1.0, |c| *c.get_ref());
                        if !(0.0..=1.0).contains(&share) {
                            let at = t.cashable.as_ref().map_or(cost.span(), |c| c.span());
                            return Err(self.err(at, format!("{cfield}.cashable"), format!("the cashable share is the fraction of a saving that is released as cash, from 0 to 1, not {share}")));
                        }
                        (Spanned::new(t.amount.span(), t.amount.get_ref().clone()), share)
                    }
                };
                let slot = b.quantity(
                    &amount,
                    &cfield,
                    &format!("{} cost in {}", payer.name(), st.name.get_ref()),
                )?;
                flows.push(Flow {
                    state: si,
                    column: columns::care(payer),
                    is_cost: true,
                    slot,
                    factor,
                });
                if has_noncashable {
                    flows.push(Flow {
                        state: si,
                        column: columns::cashable(payer),
                        is_cost: true,
                        slot,
                        factor: factor * cashable,
                    });
                }
            }
            for (oname, value) in &st.outcomes {
                let oi = outcomes
                    .iter()
                    .position(|o| o == oname.get_ref())
                    .expect("outcomes were collected from the states");
                let slot = b.quantity(
                    value,
                    &format!("{sfield}.outcomes.{}", oname.get_ref()),
                    &format!("{} in {}", oname.get_ref(), st.name.get_ref()),
                )?;
                flows.push(Flow {
                    state: si,
                    column: columns::outcome(oi),
                    is_cost: false,
                    slot,
                    factor,
                });
            }
        }

        // Intervention costs of the arm that are paid per person.
        let mut one_offs = Vec::new();
        for (ci, c) in arm.costs.iter().enumerate() {
            let cost = c.get_ref();
            let cfield = format!("{afield}.costs[{ci}]");
            let payer = self.payer(&cost.payer, &format!("{cfield}.payer"))?;
            match cost.kind.get_ref().as_str() {
                "one_off" => {
                    self.forbid(
                        cost,
                        &["per", "states", "from_year", "to_year", "capacity"],
                        &cfield,
                        "a one-off cost",
                    )?;
                    let slot = b.quantity(
                        &cost.amount,
                        &format!("{cfield}.amount"),
                        &format!("one-off cost {}", cost.name.get_ref()),
                    )?;
                    if b.is_dynamic(slot) {
                        return Err(self.err(
                            cost.amount.span(),
                            format!("{cfield}.amount"),
                            "a one-off cost is paid at entry, so its amount cannot depend on time",
                        ));
                    }
                    one_offs.push(OneOff {
                        column: columns::spend(payer),
                        slot,
                    });
                }
                "recurring" => {
                    self.forbid(
                        cost,
                        &["from_year", "to_year", "capacity"],
                        &cfield,
                        "a recurring cost (use an expression of t to limit it in time)",
                    )?;
                    let per = cost.per.as_ref().ok_or_else(|| self.err(c.span(), format!("{cfield}.per"), "a recurring cost needs `per` (year, quarter, month, week or cycle): units are never guessed"))?;
                    let factor = self.per_cycle_factor(per, settings, &format!("{cfield}.per"))?;
                    let slot = b.quantity(
                        &cost.amount,
                        &format!("{cfield}.amount"),
                        &format!("recurring cost {}", cost.name.get_ref()),
                    )?;
                    for s in self.cost_states(cost, raw, states, &cfield)? {
                        flows.push(Flow {
                            state: s,
                            column: columns::spend(payer),
                            is_cost: true,
                            slot,
                            factor,
                        });
                    }
                }
                "setup" | "annual" => {}
                other => {
                    let kinds = ["one_off", "recurring", "setup", "annual"];
                    return Err(self.err(cost.kind.span(), format!("{cfield}.kind"), format!("unknown cost kind `{other}`: use one_off or recurring (per person), setup or annual (programme-level){}", suggest(other, &kinds))));
                }
            }
        }

        let ctx = b.finish(arm_index, subgroup, start, rows, flows, one_offs, &[])?;
        Ok(ctx)
    }

    /// The context that evaluates an arm's programme-level costs (arm overrides, no subgroup overrides).
    #[allow(clippy::too_many_arguments)]
    fn programme_context(
        &self,
        arm_index: usize,
        arm: &RawArm,
        bindings: &Bindings,
        state_names: &[&str],
        states: &[StateInfo],
        n_draws: usize,
        settings: &Settings,
    ) -> Result<(Context, Vec<ProgrammeCost>, Vec<usize>), InputError> {
        let mut b = ContextBuilder::new(self, bindings, n_draws);
        let afield = format!("arms[{arm_index}]");
        let mut costs = Vec::new();
        let mut served: Vec<usize> = Vec::new();
        for (ci, c) in arm.costs.iter().enumerate() {
            let cost = c.get_ref();
            let cfield = format!("{afield}.costs[{ci}]");
            let kind = match cost.kind.get_ref().as_str() {
                "setup" => {
                    self.forbid(
                        cost,
                        &["per", "states", "from_year", "to_year", "capacity"],
                        &cfield,
                        "a set-up cost",
                    )?;
                    ProgrammeKind::Setup
                }
                "annual" => {
                    self.forbid(
                        cost,
                        &["per"],
                        &cfield,
                        "an annual programme cost (its amount is per year)",
                    )?;
                    let from_year = cost.from_year.as_ref().map_or(0.0, |v| *v.get_ref());
                    let to_year = cost
                        .to_year
                        .as_ref()
                        .map_or(settings.horizon_years as f64, |v| *v.get_ref());
                    if !(from_year >= 0.0 && to_year > from_year && to_year.is_finite()) {
                        return Err(self.err(c.span(), format!("{cfield}.from_year"), format!("an annual cost runs from from_year to to_year (0 ≤ from < to), not {from_year} to {to_year}")));
                    }
                    let capacity = match &cost.capacity {
                        Some(cap) if !(cap.get_ref().is_finite() && *cap.get_ref() >= 1.0) => {
                            return Err(self.err(
                                cap.span(),
                                format!("{cfield}.capacity"),
                                "capacity is the number of people one unit of this cost serves: at least 1",
                            ))
                        }
                        Some(cap) => {
                            let states = self.cost_states(cost, &RawScenarioStates(states), state_names, &cfield)?;
                            if !served.is_empty() && served != states {
                                return Err(self.err(
                                    c.span(),
                                    format!("{cfield}.states"),
                                    "all capacity-limited costs of an arm must serve the same states",
                                ));
                            }
                            served = states;
                            Some(*cap.get_ref())
                        }
                        None => None,
                    };
                    ProgrammeKind::Annual {
                        from_year,
                        to_year,
                        capacity,
                    }
                }
                _ => continue,
            };
            let payer = self.payer(&cost.payer, &format!("{cfield}.payer"))?;
            let slot = b.quantity(
                &cost.amount,
                &format!("{cfield}.amount"),
                &format!("programme cost {}", cost.name.get_ref()),
            )?;
            if b.is_dynamic(slot) {
                return Err(self.err(cost.amount.span(), format!("{cfield}.amount"), "a programme cost's amount cannot depend on time: use from_year and to_year, or split it into several costs"));
            }
            costs.push(ProgrammeCost {
                name: cost.name.get_ref().clone(),
                column: columns::spend(payer),
                slot,
                kind,
            });
        }
        let roots: Vec<usize> = costs.iter().map(|c| c.slot).collect();
        let ctx = b.finish(
            arm_index,
            0,
            Row {
                from: usize::MAX,
                entries: vec![],
            },
            vec![],
            vec![],
            vec![],
            &roots,
        )?;
        Ok((ctx, costs, served))
    }

    fn payer(&self, p: &Spanned<String>, field: &str) -> Result<Payer, InputError> {
        Payer::parse(p.get_ref()).ok_or_else(|| {
            self.err(
                p.span(),
                field,
                format!(
                    "unknown payer `{}`: use council, nhs or person{}",
                    p.get_ref(),
                    suggest(p.get_ref(), &["council", "nhs", "person"])
                ),
            )
        })
    }

    fn forbid(&self, cost: &RawArmCost, keys: &[&str], field: &str, what: &str) -> Result<(), InputError> {
        let given: [(&str, Option<Range<usize>>); 5] = [
            ("per", cost.per.as_ref().map(|v| v.span())),
            ("states", cost.states.as_ref().map(|v| v.span())),
            ("from_year", cost.from_year.as_ref().map(|v| v.span())),
            ("to_year", cost.to_year.as_ref().map(|v| v.span())),
            ("capacity", cost.capacity.as_ref().map(|v| v.span())),
        ];
        for (key, span) in given {
            if let (true, Some(span)) = (keys.contains(&key), span) {
                return Err(self.err(
                    span,
                    format!("{field}.{key}"),
                    format!("`{key}` does not apply to {what}"),
                ));
            }
        }
        Ok(())
    }

    /// The states a recurring or capacity cost applies to: those listed, or every state not marked dead.
    fn cost_states(
        &self,
        cost: &RawArmCost,
        raw: &dyn DeadStates,
        states: &[&str],
        field: &str,
    ) -> Result<Vec<usize>, InputError> {
        match &cost.states {
            None => Ok((0..states.len()).filter(|&i| !raw.is_dead(i)).collect()),
            Some(list) => list
                .get_ref()
                .iter()
                .map(|s| {
                    states.iter().position(|n| n == s.get_ref()).ok_or_else(|| {
                        self.err(
                            s.span(),
                            format!("{field}.states"),
                            format!("no state is named `{}`{}", s.get_ref(), suggest(s.get_ref(), states)),
                        )
                    })
                })
                .collect(),
        }
    }

    fn per_cycle_factor(&self, per: &Spanned<String>, settings: &Settings, field: &str) -> Result<f64, InputError> {
        let dt = settings.cycle.years();
        match per.get_ref().as_str() {
            "cycle" => Ok(1.0),
            "year" => Ok(dt),
            "quarter" => Ok(4.0 * dt),
            "month" => Ok(12.0 * dt),
            "week" => Ok(52.0 * dt),
            other => Err(self.err(
                per.span(),
                field,
                format!(
                    "unknown unit `{other}`: amounts are per year, quarter, month, week or cycle{}",
                    suggest(other, &["year", "quarter", "month", "week", "cycle"])
                ),
            )),
        }
    }
}

/// Which states are marked dead; lets cost_states work from either the raw file or compiled states.
trait DeadStates {
    fn is_dead(&self, i: usize) -> bool;
}

impl DeadStates for RawScenario {
    fn is_dead(&self, i: usize) -> bool {
        self.states.get(i).is_some_and(|s| s.get_ref().dead)
    }
}

struct RawScenarioStates<'a>(&'a [StateInfo]);

impl DeadStates for RawScenarioStates<'_> {
    fn is_dead(&self, i: usize) -> bool {
        self.0.get(i).is_some_and(|s| s.dead)
    }
}

fn present_keys(t: &RawParameterTable) -> Vec<(&'static str, Range<usize>)> {
    let mut v: Vec<(&'static str, Range<usize>)> = Vec::new();
    macro_rules! key {
        ($($f:ident),*) => { $( if let Some(x) = &t.$f { v.push((stringify!($f), x.span())); } )* };
    }
    key!(
        dist, value, expr, mean, sd, ci95, low, high, min, mode, max, lambda, alpha, beta, shape, scale, rate, meanlog,
        sdlog, names, source
    );
    v
}

/// Largest supported number of iterations.
pub const MAX_ITERATIONS: usize = 100_000_000;
/// Largest supported number of cycles in a horizon.
pub const MAX_CYCLES: usize = 100_000;
/// Largest supported number of states.
pub const MAX_STATES: usize = 256;
/// Largest supported cohort (counts stay exact in f64 below 2^53).
pub const MAX_COHORT: u64 = 1_000_000_000_000;

/// Assigns slots and compiles the expressions of one context, tracking dependencies and time-dependence.
struct ContextBuilder<'c, 'a> {
    compiler: &'c Compiler<'a>,
    bindings: &'c Bindings,
    n_draws: usize,
    /// Slot names for messages (draws and time slots first).
    slot_names: Vec<String>,
    /// Programs by slot (None for draws and time slots).
    programs: Vec<Option<Program>>,
    /// Whether each slot changes with time.
    dynamic: Vec<bool>,
    /// Slot of each bound name that has been compiled.
    named: HashMap<String, usize>,
    /// Names being compiled (cycle detection).
    in_progress: Vec<String>,
    known: Vec<String>,
}

impl<'c, 'a> ContextBuilder<'c, 'a> {
    fn new(compiler: &'c Compiler<'a>, bindings: &'c Bindings, n_draws: usize) -> Self {
        let mut slot_names: Vec<String> = (0..n_draws).map(|i| format!("draw{i}")).collect();
        let mut named = HashMap::new();
        for (name, def) in bindings {
            if let Def::Draw(s) = def {
                slot_names[*s] = name.clone();
                named.insert(name.clone(), *s);
            }
        }
        let mut dynamic = vec![false; n_draws];
        for (i, t) in TIME_NAMES.iter().enumerate() {
            slot_names.push(t.to_string());
            dynamic.push(true);
            named.insert(t.to_string(), n_draws + i);
        }
        let programs = vec![None; slot_names.len()];
        let mut known: Vec<String> = bindings.keys().cloned().collect();
        known.extend(TIME_NAMES.iter().map(|s| s.to_string()));
        ContextBuilder {
            compiler,
            bindings,
            n_draws,
            slot_names,
            programs,
            dynamic,
            named,
            in_progress: Vec::new(),
            known,
        }
    }

    fn is_dynamic(&self, slot: usize) -> bool {
        self.dynamic[slot]
    }

    fn new_slot(&mut self, name: String, program: Program) -> usize {
        let dynamic = program.reads().iter().any(|&r| self.dynamic[r]);
        self.slot_names.push(name);
        self.programs.push(Some(program));
        self.dynamic.push(dynamic);
        self.slot_names.len() - 1
    }

    /// The slot of a bound name, compiling it (and what it needs) on first use.
    fn resolve_name(&mut self, name: &str) -> Result<Option<usize>, InputError> {
        if let Some(&s) = self.named.get(name) {
            return Ok(Some(s));
        }
        let Some(def) = self.bindings.get(name) else {
            return Ok(None);
        };
        if let Some(pos) = self.in_progress.iter().position(|n| n == name) {
            let cycle = self.in_progress[pos..].join(" → ");
            let (offset, field) = match def {
                Def::Expr { offset, field, .. } => (*offset, field.clone()),
                _ => (0, String::new()),
            };
            return Err(self.compiler.err(
                offset..offset + 1,
                field,
                format!("parameters depend on each other in a cycle: {cycle} → {name}"),
            ));
        }
        let slot = match def.clone() {
            Def::Draw(s) => s,
            Def::Fixed(v) => self.new_slot(name.to_string(), Program::constant(v)),
            Def::Expr {
                ast,
                offset,
                field,
                text,
            } => {
                self.in_progress.push(name.to_string());
                let program = self.compile_ast(&ast, offset, &field)?;
                self.in_progress.pop();
                // The name carries the expression and where it is written, for run-time error messages.
                self.new_slot(format!("{name} = \"{text}\" ({field})"), program)
            }
        };
        self.named.insert(name.to_string(), slot);
        Ok(Some(slot))
    }

    fn compile_ast(&mut self, ast: &Ast, offset: usize, field: &str) -> Result<Program, InputError> {
        // Resolve every name first (compiling dependencies), so the resolver passed to expr::compile is a plain lookup.
        for (name, _) in ast.names() {
            self.resolve_name(name)?;
        }
        let named = &self.named;
        let known: Vec<&str> = self.known.iter().map(String::as_str).collect();
        expr::compile(ast, &mut |n| named.get(n).copied(), &known)
            .map_err(|e| self.compiler.expr_error(offset, &e, field))
    }

    /// Compiles a number or expression into a new slot.
    fn quantity(&mut self, value: &Spanned<ExprText>, field: &str, what: &str) -> Result<usize, InputError> {
        let program = match value.get_ref() {
            ExprText::Number(x) if x.is_finite() => Program::constant(*x),
            ExprText::Number(_) => return Err(self.compiler.err(value.span(), field, "must be a finite number")),
            ExprText::Text(text) => {
                let offset = self.compiler.string_content_offset(&value.span());
                let ast = expr::parse(text).map_err(|e| self.compiler.expr_error(offset, &e, field))?;
                self.compile_ast(&ast, offset, field)?
            }
        };
        // A bare name needs no program of its own: the quantity reads the name's slot directly.
        if let Some(slot) = program.as_slot() {
            return Ok(slot);
        }
        let name = match value.get_ref() {
            ExprText::Text(text) => format!("{what} = \"{text}\" ({field})"),
            ExprText::Number(_) => what.to_string(),
        };
        Ok(self.new_slot(name, program))
    }

    /// Compiles a transition row (or the start distribution when `is_start`).
    fn row(
        &mut self,
        from: usize,
        table: &BTreeMap<Spanned<String>, Spanned<ExprText>>,
        span: Range<usize>,
        field: &str,
        states: &[&str],
        is_start: bool,
    ) -> Result<Row, InputError> {
        let mut entries = Vec::new();
        let mut remainder_seen = false;
        let mut constant_sum = 0.0;
        let mut all_constant = true;
        for (to, value) in table {
            let efield = format!("{field}.{}", to.get_ref());
            let ti = states.iter().position(|s| s == to.get_ref()).ok_or_else(|| {
                self.compiler.err(
                    to.span(),
                    &efield,
                    format!("no state is named `{}`{}", to.get_ref(), suggest(to.get_ref(), states)),
                )
            })?;
            if matches!(value.get_ref(), ExprText::Text(t) if t.trim() == "remainder") {
                if remainder_seen {
                    return Err(self.compiler.err(
                        value.span(),
                        &efield,
                        "a row may have only one \"remainder\" entry (it is one minus the others)",
                    ));
                }
                remainder_seen = true;
                entries.push((ti, ProbSource::Remainder));
                continue;
            }
            let what = if is_start {
                format!("start share of {}", to.get_ref())
            } else {
                format!("P({} → {})", states[from], to.get_ref())
            };
            let slot = self.quantity(value, &efield, &what)?;
            match self.programs[slot].as_ref().and_then(Program::as_constant) {
                Some(p) if !(0.0..=1.0).contains(&p) => {
                    return Err(self.compiler.err(
                        value.span(),
                        &efield,
                        format!("a probability must be between 0 and 1, not {}", pretty(p)),
                    ));
                }
                Some(p) => constant_sum += p,
                None => {
                    all_constant = false;
                    self.check_probability_support(slot, value.span(), &efield)?;
                }
            }
            if is_start && self.dynamic[slot] {
                return Err(self.compiler.err(
                    value.span(),
                    &efield,
                    "the starting distribution cannot depend on time",
                ));
            }
            entries.push((ti, ProbSource::Slot(slot)));
        }
        if entries.is_empty() {
            return Err(self
                .compiler
                .err(span, field, "this row is empty: give at least one destination state"));
        }
        if constant_sum > 1.0 + 1e-9 {
            return Err(self.compiler.err(
                span,
                field,
                format!("the probabilities in this row sum to {}, above 1", pretty(constant_sum)),
            ));
        }
        if all_constant && !remainder_seen && (constant_sum - 1.0).abs() > 1e-9 {
            return Err(self.compiler.err(
                span,
                field,
                format!(
                    "the probabilities in this row sum to {}, not 1: make one entry \"remainder\" or correct them",
                    pretty(constant_sum)
                ),
            ));
        }
        Ok(Row { from, entries })
    }

    /// A transition probability that is just a sampled parameter must come from a distribution inside [0, 1].
    fn check_probability_support(&self, slot: usize, span: Range<usize>, field: &str) -> Result<(), InputError> {
        if slot < self.n_draws {
            self.compiler.probability_slots.borrow_mut().push(slot);
            let (low, high) = self.compiler.supports.borrow()[slot];
            if low < 0.0 || high > 1.0 {
                return Err(self.compiler.err(span, field, format!("`{}` is used as a probability but its distribution can take values outside [0, 1] ({low} to {high}); use a beta distribution (or a Dirichlet for a whole row)", self.slot_names[slot])));
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    /// Orders the programs by dependency and splits them into per-iteration and per-boundary lists.
    fn finish(
        mut self,
        arm: usize,
        subgroup: usize,
        start: Row,
        rows: Vec<Row>,
        flows: Vec<Flow>,
        one_offs: Vec<OneOff>,
        extra_roots: &[usize],
    ) -> Result<Context, InputError> {
        // Compile every parameter, used or not, so that a mistake in an unused one is still reported.
        let names: Vec<String> = self.bindings.keys().cloned().collect();
        for name in names {
            self.resolve_name(&name)?;
        }
        // Keep only the programs that a model quantity needs, directly or through other parameters.
        let mut needed = vec![false; self.programs.len()];
        let mut stack: Vec<usize> = start
            .entries
            .iter()
            .chain(rows.iter().flat_map(|r| &r.entries))
            .filter_map(|(_, src)| match src {
                ProbSource::Slot(s) => Some(*s),
                ProbSource::Remainder => None,
            })
            .collect();
        stack.extend(flows.iter().map(|f| f.slot));
        stack.extend(one_offs.iter().map(|o| o.slot));
        stack.extend_from_slice(extra_roots);
        while let Some(s) = stack.pop() {
            if std::mem::replace(&mut needed[s], true) {
                continue;
            }
            if let Some(p) = &self.programs[s] {
                stack.extend_from_slice(p.reads());
            }
        }
        // Slots are created after their dependencies, so slot order is a dependency order.
        let mut static_programs = Vec::new();
        let mut dynamic_programs = Vec::new();
        let mut constants = Vec::new();
        for (slot, program) in self.programs.into_iter().enumerate() {
            if let (Some(p), true) = (program, needed[slot]) {
                if let Some(value) = p.as_constant() {
                    constants.push((slot, value));
                } else if self.dynamic[slot] {
                    dynamic_programs.push((slot, p));
                } else {
                    static_programs.push((slot, p));
                }
            }
        }
        let (dynamic_flows, static_flows): (Vec<Flow>, Vec<Flow>) =
            flows.into_iter().partition(|f| self.dynamic[f.slot]);
        let dynamic_transitions = rows
            .iter()
            .flat_map(|r| &r.entries)
            .any(|(_, src)| matches!(src, ProbSource::Slot(s) if self.dynamic[*s]));
        Ok(Context {
            arm,
            subgroup,
            n_slots: self.slot_names.len(),
            constants,
            static_programs,
            dynamic_programs,
            dynamic_transitions,
            start,
            rows,
            static_flows,
            dynamic_flows,
            one_offs,
            slot_names: self.slot_names,
        })
    }
}

/// Renumbers every flow and cost into the columns actually used, returning the full column of each.
fn compact_columns(contexts: &mut [Context], programme_costs: &mut [Vec<ProgrammeCost>]) -> Vec<usize> {
    let mut used: Vec<usize> = contexts
        .iter()
        .flat_map(|c| {
            c.static_flows
                .iter()
                .chain(&c.dynamic_flows)
                .map(|f| f.column)
                .chain(c.one_offs.iter().map(|o| o.column))
        })
        .chain(programme_costs.iter().flatten().map(|c| c.column))
        .collect();
    used.sort_unstable();
    used.dedup();
    let index = |full: usize| used.iter().position(|&u| u == full).expect("collected above");
    for c in contexts.iter_mut() {
        for f in c.static_flows.iter_mut().chain(c.dynamic_flows.iter_mut()) {
            f.column = index(f.column);
        }
        for o in &mut c.one_offs {
            o.column = index(o.column);
        }
    }
    for cost in programme_costs.iter_mut().flatten() {
        cost.column = index(cost.column);
    }
    used
}

/// A number as people write it: 1.3, not 1.2999999999999998.
fn pretty(x: f64) -> String {
    let rounded = (x * 1e12).round() / 1e12;
    format!("{rounded}")
}

fn draw_supports(draws: &[Draw], n_draws: usize) -> Vec<(f64, f64)> {
    let mut out = vec![(0.0, 1.0); n_draws];
    for d in draws {
        if let Draw::One { slot, distribution, .. } = d {
            out[*slot] = distribution.support();
        }
    }
    out
}
