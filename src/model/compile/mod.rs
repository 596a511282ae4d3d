//! Loading a scenario file and compiling it into a [`Model`]: every check that needs the file's text happens here,
//! so every error can point at a line and column.
//!
//! The entry points and the [`Compiler`] that carries the file's text live here; each topic file adds the checks
//! of one part of the scenario to it, in the order [`Compiler::compile`] calls them (the first error found is the
//! one reported, so that order is behaviour).

use crate::error::InputError;
use crate::expr;
use crate::model::{Meta, Model, Overridable, Payers, RunSettings, Settings, Table};
use crate::scenario::positions;
use crate::scenario::raw::RawScenario;
use crate::scenario::Scenario;
use std::ops::Range;
use std::path::Path;

mod arms;
mod cba;
pub(super) use cohort::wave;
mod builder;
mod cohort;
mod contexts;
mod correlations;
mod distributions;
mod editable;
mod limits;
mod outcomes;
mod overrides;
mod parameters;
mod payers;
mod prices;
mod reproduce;
mod series;
mod service;
mod settings;
mod states;
mod tables;
mod timed_costs;
mod transitions;
mod tunnel;

#[cfg(test)]
mod tests;

pub use editable::{editable_inputs, EditableInput, InputForm};
pub use limits::{MAX_COHORT, MAX_CYCLES, MAX_ITERATIONS, MAX_NAME_LENGTH, MAX_STATES};
pub use overrides::apply_overrides;

use contexts::{compact_columns, Structure};
use parameters::{draw_supports, slot_count, Scopes};

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
    Compiler::new(scenario, overridable).compile(raw)
}

/// Checks a scenario's tables against its text, so that every error can say where it is.
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
    /// Fits that kept a point estimate but missed its published interval, as messages with their place.
    fit_messages: std::cell::RefCell<Vec<String>>,
    /// The scenario's tables, and each one's name and number of keys (the functions expressions may call).
    tables: &'a [Table],
    table_keys: Vec<(&'a str, usize)>,
    /// The model's payers, read from `[payers]` before anything that names one.
    payers: std::cell::RefCell<Payers>,
    /// The index `[prices]` names, read with the scenario.
    price_index: Option<&'a crate::scenario::PriceIndex>,
}

impl<'a> Compiler<'a> {
    /// A compiler for the scenario's text, keeping the parameters named in `overridable_names` changeable.
    fn new(scenario: &'a Scenario, overridable_names: &'a [String]) -> Self {
        Compiler {
            path: &scenario.path,
            src: &scenario.text,
            supports: Default::default(),
            overridable_names,
            overridable: Default::default(),
            probability_slots: Default::default(),
            fit_messages: Default::default(),
            tables: &scenario.tables,
            payers: Default::default(),
            price_index: scenario.price_index.as_ref(),
            table_keys: scenario
                .tables
                .iter()
                .map(|t| (t.name.as_str(), t.keys.len()))
                .collect(),
        }
    }
}

impl Compiler<'_> {
    fn err(&self, span: Range<usize>, field: impl Into<String>, message: impl Into<String>) -> InputError {
        InputError::at(self.path, self.src, span, field, message)
    }

    /// Where `part` of a string value is written in the file: `token` is the string as written (quotes included) and
    /// `value` its text. Never empty, so that there is a character to point at; when the text cannot be mapped (a
    /// value that was not read from this file), the token's start.
    fn in_string(&self, token: &Range<usize>, value: &str, part: Range<usize>) -> Range<usize> {
        let range = positions::value_range(self.src, token.clone(), value, part).unwrap_or(token.start..token.start);
        range.start..range.end.max(range.start + 1)
    }

    /// Parses an expression, whose calls may be of the scenario's tables.
    fn parse_expr(&self, text: &str) -> Result<expr::Ast, expr::ExprError> {
        expr::parse_with(text, &self.table_keys)
    }

    /// An expression's error, placed where it is written: `token` and `text` are the string holding the expression.
    fn expr_error(&self, token: &Range<usize>, text: &str, e: &expr::ExprError, field: &str) -> InputError {
        let at = self.in_string(token, text, e.offset..e.offset + e.len);
        self.err(at, field, e.message.clone())
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
        if name.len() > MAX_NAME_LENGTH {
            return Err(self.err(
                span,
                field,
                format!(
                    "`{name}` is {} characters long; names are used in file names, so at most {MAX_NAME_LENGTH}",
                    name.len()
                ),
            ));
        }
        Ok(())
    }

    /// The scenario's description, and the scenario with every cost in another price year converted to its own:
    /// conversion comes first, so everything after reads costs at the scenario's prices.
    fn meta_at_scenario_prices<'r>(
        &self,
        raw: &'r RawScenario,
    ) -> Result<(Meta, std::borrow::Cow<'r, RawScenario>), InputError> {
        let mut meta = self.meta(raw)?;
        let (converted, prices) = self.prices(raw, meta.price_year)?;
        meta.prices = prices;
        Ok((meta, converted))
    }

    /// The settings completed with what depends on the outcomes and the costs: the primary outcome, each outcome's
    /// accrual and the one-off costs' delays.
    fn settings_for_outcomes(
        &self,
        raw: &RawScenario,
        partial: Settings,
        outcomes: &[String],
    ) -> Result<Settings, InputError> {
        Ok(Settings {
            primary_outcome: self.primary_outcome(&raw.settings, outcomes)?,
            accrual_of: self.accrual_of(raw, outcomes)?,
            one_off_delays: self.one_off_delays(raw, &partial)?,
            ..partial
        })
    }

    /// Every check, in the order the file's parts depend on each other, then the model.
    fn compile(&self, raw: &RawScenario) -> Result<Model, InputError> {
        let (meta, converted) = self.meta_at_scenario_prices(raw)?;
        let raw: &RawScenario = &converted;
        let (settings_partial, run_defaults) = self.settings(&raw.settings)?;
        *self.payers.borrow_mut() = self.payers(&raw.payers)?;
        let states = self.states(&raw.states)?;
        let outcomes = self.outcomes(&raw.states);
        let settings = self.settings_for_outcomes(raw, settings_partial, &outcomes)?;
        let outcome_info = self.outcome_info(&raw.outcomes, &outcomes)?;
        let weight_sets = settings::weight_sets(&settings);
        self.check_table_names(raw)?;

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
        let arm_overrides = self.arm_scopes(raw, &base, &mut draws, &mut parameters)?;
        let cohort = raw.cohort.get_ref();
        let subgroups = self.subgroups(cohort)?;
        let subgroup_overrides = self.subgroup_scopes(raw, &base, &mut draws, &mut parameters)?;
        let scopes = Scopes {
            base,
            arms: arm_overrides,
            subgroups: subgroup_overrides,
        };
        self.correlations(raw, &mut draws, &parameters)?;
        let correlations = correlations::describe(&draws, &parameters);
        let n_draws = slot_count(&draws);

        *self.supports.borrow_mut() = draw_supports(&draws, n_draws);
        let cohort_size = self.cohort_size(&raw.cohort, meta.results_for)?;
        self.check_service(raw, &settings, meta.results_for)?;
        let strata = self.strata(cohort)?;
        let waves = self.waves(cohort, &settings, &weight_sets)?;

        let structure = Structure {
            raw,
            states: &states,
            outcomes: &outcomes,
            n_draws,
            has_noncashable: states::has_noncashable(raw) || timed_costs::has_noncashable_saving(raw),
            settings: &settings,
            strata: &strata,
            waves: &waves,
            weight_sets: &weight_sets,
        };
        let has_noncashable = structure.has_noncashable;
        let subgroup_shares: Vec<f64> = subgroups.iter().map(|g| g.share).collect();
        let mut compiled = self.contexts(&structure, &scopes, &subgroup_shares)?;

        let sweep = self.sweep(raw, &parameters)?;
        let kernel_columns = compact_columns(&mut compiled.contexts, &mut compiled.programme_costs);
        // Targets name states as declared: a share of people in a tunnel state counts every step of it.
        let targets = self.targets(raw, &states.declared, &outcomes, &arms, &subgroups, &settings)?;
        let cba = self.cba(raw, &outcomes)?;
        Ok(Model {
            meta,
            settings,
            run_defaults,
            states: states.model,
            payers: self.payers.take(),
            outcomes,
            outcome_info,
            arms,
            subgroups,
            strata,
            tables: self.tables.to_vec(),
            weight_sets,
            parameters,
            draws,
            n_draws,
            contexts: compiled.contexts,
            programme_contexts: compiled.programme_contexts,
            programme_costs: compiled.programme_costs,
            served_states: compiled.served_states,
            waves,
            cohort_size,
            programme_share: 1.0,
            has_noncashable,
            kernel_columns,
            targets,
            overridable: self.overridable.take(),
            probability_slots: self.probability_slots.take(),
            sweep,
            correlations,
            warnings: self.fit_messages.take(),
            set_changes: Vec::new(),
            cba,
        })
    }
}
