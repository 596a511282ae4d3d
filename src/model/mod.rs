//! The compiled model: everything the simulation needs, as index arrays and compiled programs (no strings on the hot path).

pub mod cba;
mod compile;
pub mod grid;
mod shard_env;
pub use shard_env::{SCHEDULER_VARIABLES, SHARDS_VARIABLE};
mod outcome;
mod payers;
pub mod prices;
pub mod schedule;
mod subgroup;
mod target;
mod variants;

pub use compile::{
    apply_overrides, compile, compile_raw, compile_text, compile_with, editable_inputs, load, EditableInput, InputForm,
    Loaded, MAX_COHORT, MAX_CYCLES, MAX_ITERATIONS, MAX_NAME_LENGTH, MAX_STATES,
};
pub use grid::{Grid, GridAxis, Shard};
pub use outcome::{readable_name, Better, OutcomeInfo};
pub use payers::{is_reserved_column, Columns, Payer, PayerInfo, Payers, MAX_PAYERS};
pub use target::{Metric, Target};

use crate::dist::{CorrelationFactor, Dirichlet, Distribution, Marginal, Sampler};
use crate::expr::Program;
use crate::model::schedule::{Accrual, CycleLength, DiscountSchedule, DiscountTiming, Discounting};
use crate::scenario::SweepAxis;

/// A scenario's lookup tables (`[tables]`), as its file gives them: keys, values, the rule past the last row, origin.
pub use crate::scenario::tables::{Beyond, Key, KeyKind, Origin, Table};

/// The scenario's inputs as its file writes them, which reports show beside the compiled values.
pub use crate::scenario::echo::AsWritten;
use serde::Serialize;

/// Expected-value cohort trace or exact stochastic finite cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// State occupancy fractions (the standard PSA Markov trace).
    Cohort,
    /// A finite cohort simulated exactly: multinomial draws on state counts each cycle.
    Individual,
}

/// Simulation settings after validation.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub horizon_years: usize,
    pub cycle: CycleLength,
    pub mode: Mode,
    pub accrual: Accrual,
    /// Conventions of single outcomes and cost groups that differ from `accrual`.
    pub accrual_of: AccrualOf,
    pub discounting: Discounting,
    /// When a cycle's value is discounted.
    pub discount_timing: DiscountTiming,
    pub discount_costs: DiscountSchedule,
    pub discount_outcomes: DiscountSchedule,
    /// Willingness-to-pay values (£ per unit of the primary outcome).
    pub wtp: Vec<f64>,
    /// The λ at which headline INMB and probabilities are reported.
    pub threshold: f64,
    /// Index of the primary outcome (ICER denominator), if the model has outcomes.
    pub primary_outcome: Option<usize>,
    /// Population for population EVPI, if given.
    pub population: Option<f64>,
    /// How many cycles each of the engine's bins holds: a year's worth (`per_year`) for every run, one for the run
    /// that finds payback in the model's own time unit (see [`Model::by_cycle`]).
    #[serde(skip)]
    pub cycles_per_bin: usize,
    /// Bins per arm and kernel column: the horizon's cycles over `cycles_per_bin`, kept as a number so that the hot
    /// path reads it as it read the horizon's years (computing it there cost 1.4% of the reference workload).
    #[serde(skip)]
    pub n_bins: usize,
    /// Whether a run keeps per-bin values of its first iterations ([`crate::simulate::Results::yearly_sample`]): not
    /// for the run binned by cycle ([`Model::by_cycle`]), whose payback cycles are all that is read of it.
    #[serde(skip)]
    pub keeps_sample: bool,
    /// The calendar year of the 1 April on which the programme starts (`start_date`), when given: programme year 1
    /// is the financial year that starts then. Setting it asks for the budget impact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_year: Option<i32>,
    /// The distinct delays, in years after entry, at which the arms' delayed one-off costs are paid (`delay`), in the
    /// order [`OneOff::timing`] numbers them from 1. Each wave works out when each is paid ([`Wave::one_off_paid`]).
    #[serde(skip)]
    pub one_off_delays: Vec<f64>,
}

/// Accrual conventions set for single quantities (`[accrual]`); None where the scenario's applies.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AccrualOf {
    /// Care costs (the states' costs and their cashable part).
    pub care_costs: Option<Accrual>,
    /// Recurring intervention costs.
    pub intervention_costs: Option<Accrual>,
    /// By outcome, in the model's outcome order.
    pub outcomes: Vec<Option<Accrual>>,
}

impl Settings {
    /// The accrual conventions in words: the scenario's, then each one set apart from it ("end; qaly: half-cycle").
    pub fn describe_accrual(&self, outcomes: &[String]) -> String {
        let mut parts = vec![self.accrual.name().to_string()];
        let mut apart = |what: &str, a: Option<Accrual>| {
            if let Some(a) = a {
                parts.push(format!("{what}: {}", a.name()));
            }
        };
        apart("care costs", self.accrual_of.care_costs);
        apart("intervention costs", self.accrual_of.intervention_costs);
        for (name, a) in outcomes.iter().zip(&self.accrual_of.outcomes) {
            apart(name, *a);
        }
        parts.join("; ")
    }

    /// Total number of cycles in the horizon.
    pub fn cycles(&self) -> usize {
        self.horizon_years * self.cycle.per_year()
    }

    /// How many bins the engine keeps per arm and kernel column: the years of the horizon, or its cycles.
    pub fn bins(&self) -> usize {
        self.n_bins
    }
}

/// How many PSA iterations to run and from which seed: settings of a run, not of the model. The engine takes them
/// as an argument, so sweeps, reproduction checks and deterministic analyses choose their own without changing the
/// model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RunSettings {
    pub iterations: usize,
    pub seed: u64,
}

/// Descriptive metadata of a scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub name: String,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub currency: String,
    /// The price year of every cost (as given, or converted to it).
    pub price_year: Option<crate::scenario::PriceYear>,
    /// Source key and citation, in key order.
    pub sources: Vec<(String, String)>,
    /// Whom the results are for: each person of the cohort, or the service as a whole.
    #[serde(skip_serializing_if = "ResultsFor::is_person")]
    pub results_for: ResultsFor,
    /// Costs converted from their own price year, and the index used (absent when nothing names one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prices: Option<prices::PriceConversions>,
}

/// Whom a scenario's results are for (`[cohort] results`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultsFor {
    /// Each person of the cohort: per-person values, and programme costs divided by the cohort's size.
    #[default]
    Person,
    /// The service as a whole: only programme (set-up and annual) costs, not divided by anything.
    Service,
}

impl ResultsFor {
    /// Whether results are per person (the default, which summary.json leaves out).
    pub fn is_person(&self) -> bool {
        *self == ResultsFor::Person
    }

    /// How the amounts read: "per person", or "for the service".
    pub fn per(self) -> &'static str {
        match self {
            ResultsFor::Person => "per person",
            ResultsFor::Service => "for the service",
        }
    }
}

/// A state of the model: a state as the file declares it, or one step of a declared state's tunnel.
#[derive(Debug, Clone, Serialize)]
pub struct StateInfo {
    /// The declared name, or for a tunnel step `name[k]` (`name[N+]` for the last, which holds the rest of the stay).
    pub name: String,
    pub label: String,
    pub dead: bool,
    /// For a step of a tunnel: the declared state and the cycle of the stay it holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<TunnelStep>,
}

/// One step of a tunnel state: the people in the k-th cycle of their stay in the declared state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TunnelStep {
    /// The state as declared in the file.
    pub state: String,
    /// The value of `time_in_state` here: k in the k-th cycle of a stay (1 in the first).
    pub time_in_state: u32,
    /// Whether this is the tunnel's last step, which holds the rest of the stay (`time_in_state` cycles or more).
    pub rest_of_stay: bool,
}

impl StateInfo {
    /// The name of the state as the file declares it (the tunnel's state for a step of a tunnel).
    pub fn declared_name(&self) -> &str {
        self.tunnel.as_ref().map_or(&self.name, |t| &t.state)
    }
}

/// An arm: usual care or an intervention.
#[derive(Debug, Clone, Serialize)]
pub struct ArmInfo {
    pub name: String,
    pub label: String,
    /// The arm this one is compared with (None for the comparator itself).
    pub comparator: Option<usize>,
    /// The names of its costs entered as savings (`kind = "saving"`): care costs avoided, which lower its care costs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub savings: Vec<String>,
}

/// Sex, as a cohort's sex mix splits it and as tables and expressions read it (`sex` is 0 for male, 1 for female).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// The value of `sex` in expressions and table lookups.
    pub fn code(self) -> f64 {
        match self {
            Sex::Male => 0.0,
            Sex::Female => 1.0,
        }
    }

    /// The name as written in tables and outputs.
    pub fn name(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

/// A part of every subgroup with one starting age and sex (`[cohort] age` and `male`): the cohort's people split by
/// what they bring, each simulated with `age` and `sex` of its own.
#[derive(Debug, Clone, Serialize)]
pub struct Stratum {
    /// Starting age in years, when the cohort gives ages.
    pub age: Option<f64>,
    /// When the cohort gives a sex mix.
    pub sex: Option<Sex>,
    /// Its share of each subgroup.
    pub share: f64,
}

impl Stratum {
    /// "age 65, male", for messages; empty for the one stratum of a cohort with neither ages nor a sex mix.
    pub fn describe(&self) -> String {
        let age = self.age.map(|a| format!("age {a}"));
        let sex = self.sex.map(|s| s.name().to_string());
        age.into_iter().chain(sex).collect::<Vec<_>>().join(", ")
    }
}

/// A subgroup (client group) with its share of the cohort.
#[derive(Debug, Clone, Serialize)]
pub struct SubgroupInfo {
    pub name: String,
    pub label: String,
    pub share: f64,
}

/// How a parameter is specified, for reports.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ParameterSpec {
    Fixed {
        value: f64,
    },
    Distribution {
        distribution: String,
        mean: f64,
        low95: f64,
        high95: f64,
    },
    DirichletComponent {
        alpha: Vec<f64>,
        component: usize,
        mean: f64,
        low95: f64,
        high95: f64,
    },
    Expression {
        expression: String,
    },
}

/// A parameter as declared in one scope (the base model, an arm, or a subgroup).
#[derive(Debug, Clone, Serialize)]
pub struct ParameterInfo {
    pub name: String,
    /// `base`, `arm:<name>` or `subgroup:<name>`.
    pub scope: String,
    pub spec: ParameterSpec,
    pub source: Option<String>,
    pub unit: Option<String>,
    pub note: Option<String>,
    /// The draw slot of a sampled parameter.
    #[serde(skip)]
    pub draw_slot: Option<usize>,
}

/// One sampled quantity: a univariate draw into one slot, a Dirichlet draw into consecutive slots, or correlated
/// parameters (each a [`Draw::Member`], all drawn by the [`Draw::Joint`] that lists them).
// An explicit tag: without it the variants are told apart through a niche in their fields, which costs the
// sampling loop a few instructions per draw.
#[derive(Debug, Clone)]
#[repr(u8)]
pub enum Draw {
    One {
        slot: usize,
        sampler: Sampler,
        distribution: Distribution,
    },
    Dirichlet {
        first_slot: usize,
        dirichlet: Dirichlet,
    },
    /// A parameter drawn with others: nothing is drawn where it stands; its group's [`Draw::Joint`], later in the
    /// list, writes its slot.
    Member {
        slot: usize,
        distribution: Distribution,
        /// The distribution as its group reaches it from a normal draw.
        marginal: Marginal,
    },
    /// Correlated parameters, drawn together.
    Joint(Box<Joint>),
}

/// Correlated parameters: one standard normal per member, in member order, from the iteration's own stream,
/// combined through the Cholesky factor of their correlation matrix, and each taken to its member's distribution
/// through its quantile function (a Gaussian copula; for a multivariate normal the same thing with normal members).
#[derive(Debug, Clone)]
pub struct Joint {
    /// Indices into [`Model::draws`] of the members (each a [`Draw::Member`]), in the order of the factor's rows.
    pub members: Vec<usize>,
    /// The members' slots, in the same order.
    pub slots: Vec<usize>,
    pub factor: CorrelationFactor,
    /// `correlations` (a `[[correlations]]` block) or `mvnormal` (a multivariate normal parameter table).
    pub kind: &'static str,
    /// The source the block cites.
    pub source: Option<String>,
}

/// A group of correlated parameters as reports show it.
#[derive(Debug, Clone, Serialize)]
pub struct CorrelationInfo {
    /// `correlations` (a `[[correlations]]` block: each parameter keeps its own distribution, their ranks are
    /// correlated through a Gaussian copula) or `mvnormal` (a multivariate normal).
    pub kind: &'static str,
    /// `base`, `arm:<name>` or `subgroup:<name>`.
    pub scope: String,
    pub parameters: Vec<String>,
    /// The correlations of the normal draws behind them (for a multivariate normal, those of its covariance).
    pub matrix: Vec<Vec<f64>>,
    pub source: Option<String>,
}

/// Where a transition probability comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ProbSource {
    /// A computed slot of the context.
    Slot(usize),
    /// One minus the other entries of its row.
    Remainder,
}

/// A row of transition probabilities out of one state.
#[derive(Debug, Clone)]
pub struct Row {
    pub from: usize,
    /// Destination states and probability sources; at most one is the remainder.
    pub entries: Vec<(usize, ProbSource)>,
}

/// A value accrued per cycle while in a state: `slot value × factor` into a column.
#[derive(Debug, Clone, Copy)]
pub struct Flow {
    pub state: usize,
    /// The value column: a [`Columns`] index when compiled, a kernel column once [`Model::kernel_columns`] is set.
    pub column: usize,
    /// Whether this is a cost (discounted at the cost rate) or an outcome.
    pub is_cost: bool,
    pub slot: usize,
    /// Unit conversion to "per cycle" times the cashable share where relevant.
    pub factor: f64,
    /// For a flow with an accrual convention of its own (see [`Context::own_accrual_flows`]), its weights: an index
    /// into [`Model::weight_sets`] and each wave's [`Wave::weight_sets`]. None for the others.
    pub weight_set: Option<usize>,
}

/// A cost paid once per person who enters: at entry, or after a delay.
#[derive(Debug, Clone, Copy)]
pub struct OneOff {
    pub column: usize,
    pub slot: usize,
    /// When it is paid: 0 at entry, i + 1 after the delay [`Settings::one_off_delays`]\[i\]; an index into each
    /// wave's [`Wave::one_off_paid`].
    pub timing: usize,
}

/// A per-boundary program `if(condition, then, otherwise)` whose condition is a [`TimeSeries`] value, the same in
/// every iteration: the condition's slot and the two branches.
#[derive(Debug, Clone)]
pub struct Branches {
    pub condition: usize,
    pub then: Program,
    pub otherwise: Program,
}

/// Everything needed to simulate one arm for one subgroup: its compiled programs and the model structure.
#[derive(Debug, Clone)]
pub struct Context {
    pub arm: usize,
    pub subgroup: usize,
    /// Its stratum of the subgroup (see [`Model::strata`]).
    pub stratum: usize,
    /// Its share of the cohort: the subgroup's share times the stratum's.
    pub share: f64,
    /// Length of this context's slot vector.
    pub n_slots: usize,
    /// Slots whose value is a constant, written once when a workspace is made.
    pub constants: Vec<(usize, f64)>,
    /// Programs evaluated once per iteration, in dependency order.
    pub static_programs: Vec<(usize, Program)>,
    /// Programs evaluated at every cycle boundary (they read time), in dependency order.
    pub dynamic_programs: Vec<(usize, Program)>,
    /// For each of `dynamic_programs`, its branches where it is a conditional on a value known before sampling: the
    /// lane path evaluates only the branch taken.
    pub branches: Vec<Option<Branches>>,
    /// The rows some of whose probabilities change with time, each as (its index in `rows`, the index of its first
    /// entry counted across all rows' entries); the lane path recomputes only these at every boundary.
    pub changing_rows: Vec<(usize, usize)>,
    pub start: Row,
    pub rows: Vec<Row>,
    /// Flows whose value is fixed within an iteration (accrued through yearly occupancy).
    pub static_flows: Vec<Flow>,
    /// Flows whose value changes with time (accrued boundary by boundary).
    pub dynamic_flows: Vec<Flow>,
    /// Flows with an accrual convention of their own (`[accrual]`), accrued boundary by boundary with their own
    /// weights, whether their value changes with time or not.
    pub own_accrual_flows: Vec<Flow>,
    /// Values that change with time but are known before sampling (table lookups, `age`, and expressions of them and
    /// of time): computed once, when compiling, for every boundary of every wave.
    pub series: TimeSeries,
    /// Whether the context needs work at every boundary: time-dependent values, probabilities or flows, or flows with
    /// an accrual of their own. Otherwise its trace is a fixed matrix raised to each cycle.
    pub per_boundary: bool,
    /// Whether its values at a boundary depend on time only through its [`Context::series`]: nothing it computes at
    /// a boundary reads the time slots themselves. Its values and changing probabilities at a boundary whose series are
    /// those of the boundary before are then those of the boundary before (see [`TimeSeries::same_as_before`]).
    pub time_through_series: bool,
    pub one_offs: Vec<OneOff>,
    /// The states with a row that no one in this context can enter (start and rows give them only the constant 0):
    /// their rows are left out, so neither evaluated nor checked here (see `carecast check`).
    pub unentered: Vec<usize>,
    /// Human-readable name of each slot (for error messages).
    pub slot_names: Vec<String>,
}

impl Context {
    /// Whether any transition probability changes with time.
    pub fn dynamic_transitions(&self) -> bool {
        !self.changing_rows.is_empty()
    }

    /// Whether boundary `k` of wave `wave` has the values and changing probabilities of the boundary before, so that
    /// the lane path keeps them rather than computing and checking them again (see [`Context::time_through_series`]).
    pub fn keeps_boundary(&self, wave: usize, k: usize) -> bool {
        self.time_through_series && self.series.same_as_before(wave, k)
    }

    /// The rows whose probabilities are fixed in time, in order, each as `changing_rows` gives its rows: computed once
    /// per iteration where other rows change at every boundary.
    pub fn fixed_rows(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let mut changing = self.changing_rows.iter().map(|&(r, _)| r).peekable();
        first_entries(&self.rows)
            .enumerate()
            .filter(move |&(r, _)| changing.next_if_eq(&r).is_none())
    }
}

/// The index of each row's first entry, counted across all the rows' entries.
pub(crate) fn first_entries(rows: &[Row]) -> impl Iterator<Item = usize> + '_ {
    rows.iter().scan(0, |e, r| {
        let first = *e;
        *e += r.entries.len();
        Some(first)
    })
}

/// A context's values known before sampling that change with time, boundary by boundary.
#[derive(Debug, Clone, Default)]
pub struct TimeSeries {
    /// The slots they fill, in slot order.
    pub slots: Vec<usize>,
    /// Per wave: boundary k's values are `values[wave][k * slots.len()..(k + 1) * slots.len()]`.
    pub values: Vec<Vec<f64>>,
    /// Per wave and boundary: whether its values are those of the boundary before, bit for bit (never the first);
    /// worked out once when compiling, for the lane path to read at every boundary of every block.
    pub unchanged: Vec<Vec<bool>>,
}

impl TimeSeries {
    /// The values at boundary `k` of wave `wave`, one per slot of [`TimeSeries::slots`].
    pub fn at(&self, wave: usize, k: usize) -> &[f64] {
        let n = self.slots.len();
        if n == 0 {
            return &[];
        }
        &self.values[wave][k * n..(k + 1) * n]
    }

    /// Whether boundary `k` of wave `wave` has the same values, bit for bit, as boundary `k - 1` (never for the
    /// first; always after it where there are no values).
    pub fn same_as_before(&self, wave: usize, k: usize) -> bool {
        k > 0 && self.unchanged.get(wave).is_none_or(|u| u[k])
    }

    /// [`TimeSeries::unchanged`] of one wave's values, `n` per boundary.
    pub fn unchanged_of(values: &[f64], n: usize) -> Vec<bool> {
        let same = |(a, b): (&f64, &f64)| a.to_bits() == b.to_bits();
        let boundaries: Vec<&[f64]> = values.chunks_exact(n.max(1)).collect();
        (0..boundaries.len())
            .map(|k| k > 0 && boundaries[k].iter().zip(boundaries[k - 1]).all(same))
            .collect()
    }
}

/// A programme-level cost of an arm (set-up or annual running cost), evaluated once per iteration.
#[derive(Debug, Clone)]
pub struct ProgrammeCost {
    pub name: String,
    pub column: usize,
    /// Program evaluated in the arm's programme context.
    pub slot: usize,
    pub kind: ProgrammeKind,
}

/// When a programme cost is paid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ProgrammeKind {
    /// Once, at the start of the programme.
    Setup,
    /// Per year from `from_year` to `to_year`, paid at the start of each cycle; with `capacity`, per block of that
    /// many people in the served states.
    Annual {
        from_year: f64,
        to_year: f64,
        capacity: Option<f64>,
    },
}

/// Entry of people in one year of the programme.
#[derive(Debug, Clone)]
pub struct Wave {
    /// The programme year (0-based) in which these people enter.
    pub entry_year: usize,
    /// The engine's bin in which they enter: `entry_year`, or its first cycle in a model [`Model::by_cycle`].
    pub entry_bin: usize,
    pub share: f64,
    /// Cycles simulated for them (to the end of the horizon).
    pub cycles: usize,
    /// For each boundary k (0..=cycles), the (bin: calendar year or cycle, cost weight, outcome weight) entries it contributes to:
    /// accrual weight × discount factor at the boundary's calendar time.
    pub boundary_weights: Vec<Vec<(usize, f64, f64)>>,
    /// The same entries flattened: boundary k's are `weights_flat[weights_start[k]..weights_start[k + 1]]`.
    pub weights_flat: Vec<(usize, f64, f64)>,
    pub weights_start: Vec<usize>,
    /// Whether cost and outcome weights are equal everywhere (the same discounting), so one occupancy serves both.
    pub same_weights: bool,
    /// Discount factor for costs at entry (one-off costs).
    pub entry_cost_factor: f64,
    /// For each one-off timing ([`OneOff::timing`]: at entry, then each of [`Settings::one_off_delays`]), the bin it
    /// is paid in and its discount factor; a payment that falls at or after the end of the horizon has factor 0.
    pub one_off_paid: Vec<(usize, f64)>,
    /// The boundary weights of each of [`Model::weight_sets`], for flows with an accrual of their own.
    pub weight_sets: Vec<BoundaryWeights>,
}

/// Boundary weights of one accrual convention and discounting: boundary k contributes `entries[start[k]..start[k + 1]]`,
/// each (calendar year, accrual weight × discount factor).
#[derive(Debug, Clone)]
pub struct BoundaryWeights {
    pub entries: Vec<(usize, f64)>,
    pub start: Vec<usize>,
}

impl BoundaryWeights {
    /// The entries boundary `k` contributes.
    pub fn at(&self, k: usize) -> &[(usize, f64)] {
        &self.entries[self.start[k]..self.start[k + 1]]
    }
}

/// An accrual convention and discounting that some flows use apart from the scenario's (see [`Wave::weight_sets`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WeightSet {
    pub accrual: Accrual,
    /// Discounted as a cost (else as an outcome).
    pub is_cost: bool,
}

/// A scenario compiled for simulation.
#[derive(Debug, Clone)]
pub struct Model {
    pub meta: Meta,
    pub settings: Settings,
    /// The iterations and seed the scenario file gives: what a run uses unless told otherwise. Nothing in the model
    /// depends on them.
    pub run_defaults: RunSettings,
    pub states: Vec<StateInfo>,
    /// Who pays: the council, the NHS and the person, then the payers the scenario declares.
    pub payers: Payers,
    pub outcomes: Vec<String>,
    /// Each outcome's label, unit and direction (the `[outcomes]` table, or the defaults), in `outcomes` order.
    pub outcome_info: Vec<OutcomeInfo>,
    pub arms: Vec<ArmInfo>,
    pub subgroups: Vec<SubgroupInfo>,
    /// The strata every subgroup splits into by starting age and sex (one, with neither, by default).
    pub strata: Vec<Stratum>,
    /// The scenario's lookup tables.
    pub tables: Vec<Table>,
    /// The accrual conventions some flows use apart from the scenario's.
    pub weight_sets: Vec<WeightSet>,
    pub parameters: Vec<ParameterInfo>,
    pub draws: Vec<Draw>,
    /// Number of draw slots (the first slots of every context).
    pub n_draws: usize,
    /// Contexts in arm-major order: index = (arm × subgroups + subgroup) × strata + stratum.
    pub contexts: Vec<Context>,
    /// Per arm: a context with the arm's overrides but no subgroup's, for programme costs.
    pub programme_contexts: Vec<Context>,
    pub programme_costs: Vec<Vec<ProgrammeCost>>,
    /// Per arm: the states whose occupants count towards programme capacity.
    pub served_states: Vec<Vec<usize>>,
    pub waves: Vec<Wave>,
    pub cohort_size: u64,
    /// The share of the programme's set-up and annual costs that this model's people bear: 1, except in a model of
    /// one subgroup ([`Model::for_subgroup`]), whose people bear their share of them. Per person, those costs are
    /// `amount × programme_share / cohort_size`.
    pub programme_share: f64,
    /// Whether any cost line has a cashable share below 1 (otherwise cashable = all care costs).
    pub has_noncashable: bool,
    /// The full column (see [`Columns`]) of each column the kernel accumulates: only columns some flow or cost
    /// writes, so per-year work scales with what the model uses, not with every payer × kind × outcome.
    pub kernel_columns: Vec<usize>,
    /// Published figures the scenario claims to reproduce.
    pub targets: Vec<Target>,
    /// The parameter definitions that overrides may change without recompiling (those named when compiling).
    pub overridable: Vec<Overridable>,
    /// Draw slots used directly as transition probabilities: an override must keep them inside [0, 1].
    pub probability_slots: Vec<usize>,
    /// The scenario's own `[sweep]`: the parameters to vary and their values.
    pub sweep: Vec<SweepAxis>,
    /// Correlated parameters, as reports show them.
    pub correlations: Vec<CorrelationInfo>,
    /// What the analyst should know about how the file was read, though it is not an error (a point estimate
    /// whose fitted 95% interval misses the published one), each with its file, line, column and field.
    pub warnings: Vec<String>,
    /// What each `--set` changed, definition by definition, before and after ("--set effect=0.2: arm new: Beta(...),
    /// mean 0.3000 → 0.2"), for the terminal to echo; empty without overrides.
    pub set_changes: Vec<String>,
    /// The local cost-benefit conventions of `[cba]`, when the scenario asks for them.
    pub cba: Option<cba::CbaSettings>,
}

/// One scope's definition of a parameter that overrides (`--set`, sweeps) can change in the compiled model: it was
/// compiled as a draw slot even where the file gives a plain number or an expression.
#[derive(Debug, Clone)]
pub struct Overridable {
    pub name: String,
    /// `base`, `arm:<name>` or `subgroup:<name>`.
    pub scope: String,
    /// Index into [`Model::draws`].
    pub draw: usize,
    /// Index into [`Model::parameters`].
    pub info: usize,
    /// Whether the file defines it by an expression (which only a whole value can replace).
    pub expression: bool,
    /// The table as written, for overrides of one of its fields; None for a number or an expression.
    pub table: Option<Box<crate::scenario::raw::RawParameterTable>>,
    /// Where the definition is in the file.
    pub span: std::ops::Range<usize>,
}

/// Index of the first time slot: slots `n_draws`, `+1`, `+2` hold cycle, t and calendar_t.
pub const TIME_NAMES: [&str; 3] = ["cycle", "t", "calendar_t"];

/// Compiles a scenario with parameter changes (`--set`) applied: the parameters named are kept changeable and each
/// change is checked as the file's own value would be.
pub fn compile_with_overrides(
    scenario: &crate::scenario::Scenario,
    overrides: &[crate::scenario::Override],
) -> Result<Model, crate::error::InputError> {
    let names: Vec<String> = overrides.iter().map(|o| o.name.clone()).collect();
    let mut model = compile_with(scenario, &names)?;
    apply_overrides(&mut model, scenario, overrides)?;
    Ok(model)
}

impl Model {
    /// Number of value columns per arm.
    pub fn n_columns(&self) -> usize {
        self.columns().cost_columns() + self.outcomes.len()
    }

    /// The layout of the value columns for this model's payers.
    pub fn columns(&self) -> Columns {
        self.payers.columns()
    }

    /// Number of columns the kernel accumulates per arm and year.
    pub fn n_kernel_columns(&self) -> usize {
        self.kernel_columns.len()
    }

    /// Whether payback reads kernel column `k`: a cost column other than the cashable share of care costs.
    pub fn payback_reads(&self, k: usize) -> bool {
        let (columns, column) = (self.columns(), self.kernel_columns[k]);
        column < columns.cost_columns() && !columns.is_cashable(column)
    }

    /// Whether some scope of the model defines a parameter of this name.
    pub fn has_parameter(&self, name: &str) -> bool {
        self.parameters.iter().any(|p| p.name == name)
    }

    /// "no parameter is named `x`; did you mean `y`?", for a name the model does not define.
    pub fn unknown_parameter(&self, name: &str) -> String {
        let known: Vec<&str> = self.parameters.iter().map(|p| p.name.as_str()).collect();
        format!("no parameter is named `{name}`{}", crate::error::suggest(name, &known))
    }

    /// The context of an arm and subgroup (its first stratum).
    pub fn context(&self, arm: usize, subgroup: usize) -> &Context {
        &self.contexts[(arm * self.subgroups.len() + subgroup) * self.strata.len()]
    }

    /// How many contexts each arm has (subgroups × strata).
    pub fn contexts_per_arm(&self) -> usize {
        self.subgroups.len() * self.strata.len()
    }
}
