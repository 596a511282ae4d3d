//! The [`ContextBuilder`]: assigns the slots of one context and compiles its expressions on first use, tracking
//! dependencies, time-dependence and dependence on sampled parameters, then orders and splits the programs a context
//! needs. Table lookups and `age` are slots of their own, computed before sampling (see `series.rs`).

use super::parameters::{Bindings, Def};
use super::series::{Frame, Lookup, Special};
use super::tunnel::{in_step, reads_time_in_state, TIME_IN_STATE};
use super::Compiler;
use crate::error::InputError;
use crate::expr::{self, Ast, Program, UserValue};
use crate::model::{Branches, Context, Flow, OneOff, ProbSource, Row, Stratum, TimeSeries, TIME_NAMES};
use crate::scenario::raw::ExprText;
use serde_spanned::Spanned;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;

/// Assigns slots and compiles the expressions of one context, tracking dependencies and time-dependence.
pub(super) struct ContextBuilder<'c, 'a> {
    pub(super) compiler: &'c Compiler<'a>,
    bindings: &'c Bindings,
    pub(super) n_draws: usize,
    /// Slot names for messages (draws and time slots first).
    pub(super) slot_names: Vec<String>,
    /// Programs by slot (None for draws and time slots).
    pub(super) programs: Vec<Option<Program>>,
    /// Whether each slot changes with time.
    pub(super) dynamic: Vec<bool>,
    /// Whether each slot's value depends on a sampled parameter (else it is known before sampling).
    pub(super) sampled: Vec<bool>,
    /// Slots computed by something other than a program (table lookups, `age`), by slot.
    pub(super) specials: Vec<(usize, Special)>,
    /// Slot of each bound name that has been compiled.
    named: HashMap<String, usize>,
    /// Every name an expression may read (for suggestions when it reads another).
    known: Vec<&'c str>,
    /// The context's starting age and sex, when the cohort gives them.
    pub(super) stratum: Option<&'c Stratum>,
    /// Transition entries that are not constant: (slot, where written, field), checked against [0, 1] when their
    /// values are known before sampling.
    pub(super) probability_entries: Vec<(usize, Range<usize>, String)>,
    /// The tunnel step whose expressions are being compiled: `time_in_state` reads as this number (None: outside a
    /// tunnel state, where it may not be read).
    time_in_state: Option<u32>,
}

/// A definition waiting to be compiled until the names it reads have slots (see [`ContextBuilder::resolve_name`]).
struct Pending<'c> {
    name: &'c str,
    ast: &'c Ast,
    span: &'c Range<usize>,
    field: &'c str,
    text: &'c str,
    /// The names its expression reads, in order of appearance, that are still to visit.
    reads: std::vec::IntoIter<(&'c str, usize)>,
}

impl<'c, 'a> ContextBuilder<'c, 'a> {
    /// A builder for a context with these bindings, `n_draws` sampled slots, and the starting age and sex of
    /// `stratum` (`age` and `sex` are names only where the cohort gives them).
    pub(super) fn new(
        compiler: &'c Compiler<'a>,
        bindings: &'c Bindings,
        n_draws: usize,
        stratum: Option<&'c Stratum>,
    ) -> Self {
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
        let sampled = (0..slot_names.len()).map(|s| s < n_draws).collect();
        let mut known: Vec<&'c str> = bindings.keys().map(String::as_str).collect();
        known.extend(TIME_NAMES.iter().copied());
        known.push(TIME_IN_STATE);
        let mut b = ContextBuilder {
            compiler,
            bindings,
            n_draws,
            slot_names,
            programs,
            dynamic,
            sampled,
            specials: Vec::new(),
            named,
            known,
            stratum,
            probability_entries: Vec::new(),
            time_in_state: None,
        };
        if let Some(age) = stratum.and_then(|s| s.age) {
            let slot = b.new_special("age".into(), Special::Age(age));
            b.named.insert("age".into(), slot);
            b.known.push("age");
        }
        if let Some(sex) = stratum.and_then(|s| s.sex) {
            let slot = b.new_slot("sex".into(), Program::constant(sex.code()));
            b.named.insert("sex".into(), slot);
            b.known.push("sex");
        }
        b
    }

    /// Compiles what follows for a step of a tunnel state, where `time_in_state` is `k` (None: outside tunnels).
    pub(super) fn set_time_in_state(&mut self, k: Option<u32>) {
        self.time_in_state = k;
    }

    /// The tunnel step being compiled (see [`ContextBuilder::set_time_in_state`]).
    pub(super) fn time_in_state(&self) -> Option<u32> {
        self.time_in_state
    }

    /// Refuses `time_in_state` where it has no value: in a parameter's definition (`in_parameter`), or in an
    /// expression compiled outside a tunnel step.
    fn check_time_in_state(
        &self,
        ast: &Ast,
        span: &Range<usize>,
        text: &str,
        field: &str,
        in_parameter: bool,
    ) -> Result<(), InputError> {
        let Some((_, offset)) = ast.names().into_iter().find(|&(n, _)| n == TIME_IN_STATE) else {
            return Ok(());
        };
        let message = if in_parameter {
            format!("`{TIME_IN_STATE}` cannot be read by a parameter, which has one value in an iteration whichever state people are in: write the expression where it is used, in a tunnel state's costs, outcomes or transition row")
        } else if self.time_in_state.is_none() {
            format!("`{TIME_IN_STATE}` has a value only in the costs, outcomes and transition row of a state with a tunnel (`tunnel = {{ cycles = N }}` in its [[states]] entry)")
        } else {
            return Ok(());
        };
        let at = self
            .compiler
            .in_string(span, text, offset..offset + TIME_IN_STATE.len());
        Err(self.compiler.err(at, field, message))
    }

    pub(super) fn is_dynamic(&self, slot: usize) -> bool {
        self.dynamic[slot]
    }

    fn new_slot(&mut self, name: String, program: Program) -> usize {
        let program = self.hoist_condition(&name, program);
        let dynamic = program.reads().iter().any(|&r| self.dynamic[r]);
        let sampled = program.reads().iter().any(|&r| self.sampled[r]);
        self.slot_names.push(name);
        self.programs.push(Some(program));
        self.dynamic.push(dynamic);
        self.sampled.push(sampled);
        self.slot_names.len() - 1
    }

    /// `if(condition, then, otherwise)` whose condition reads time but no sampled parameter, while a branch reads
    /// one: the condition gets a slot of its own, computed before sampling for every boundary (a
    /// [`crate::model::TimeSeries`] value), which the program reads instead. Its values, branches and bits are the
    /// same; the lane path then evaluates only the branch taken ([`crate::model::Context::branches`]), where it
    /// interpreted the whole conditional for every 8 iterations at every boundary (29% of a run of the adaptations
    /// scenario, `perf`).
    fn hoist_condition(&mut self, name: &str, program: Program) -> Program {
        let Some([condition, then, otherwise]) = program.split_if() else {
            return program;
        };
        let sampled = |p: &Program| p.reads().iter().any(|&r| self.sampled[r]);
        let timed = condition.reads().iter().any(|&r| self.dynamic[r]);
        if !timed || sampled(&condition) || !(sampled(&then) || sampled(&otherwise)) {
            return program;
        }
        let slot = self.new_slot(format!("the condition of {name}"), condition);
        Program::if_slot(slot, &then, &otherwise)
    }

    /// A slot computed before sampling by something other than a program: a table lookup or `age`.
    fn new_special(&mut self, name: String, special: Special) -> usize {
        let dynamic = match &special {
            Special::Age(_) => true,
            Special::Lookup(l) => l.args.iter().flat_map(Program::reads).any(|&r| self.dynamic[r]),
        };
        self.slot_names.push(name);
        self.programs.push(None);
        self.dynamic.push(dynamic);
        self.sampled.push(false);
        self.specials.push((self.slot_names.len() - 1, special));
        self.slot_names.len() - 1
    }

    /// The slots a slot's value is computed from.
    pub(super) fn reads_of(&self, slot: usize) -> Vec<usize> {
        if let Some(p) = &self.programs[slot] {
            return p.reads().to_vec();
        }
        match self.specials.iter().find(|(s, _)| *s == slot) {
            Some((_, Special::Age(_))) => vec![self.n_draws + 1],
            Some((_, Special::Lookup(l))) => l.args.iter().flat_map(|a| a.reads().iter().copied()).collect(),
            None => Vec::new(),
        }
    }

    /// Whether `slot` is computed from `target`, directly or through other slots.
    pub(super) fn depends_on(&self, slot: usize, target: usize) -> bool {
        let mut seen = vec![false; self.slot_names.len()];
        let mut stack = vec![slot];
        while let Some(s) = stack.pop() {
            if s == target {
                return true;
            }
            if !std::mem::replace(&mut seen[s], true) {
                stack.extend(self.reads_of(s));
            }
        }
        false
    }

    /// The slot of `age` or `sex`, where the context has one.
    pub(super) fn person_slot(&self, name: &str) -> Option<usize> {
        self.named.get(name).copied()
    }

    /// The slot of a bound name, compiling it (and what it needs) on first use.
    ///
    /// A depth-first walk over the names each definition reads, on a stack of its own rather than the thread's: the
    /// file decides how deep it goes (`p0 = "p1 + 1"`, `p1 = "p2 + 1"`, ... is as deep as it is long). A definition
    /// is compiled once every name it reads has a slot, so slots are created in dependency order.
    fn resolve_name(&mut self, name: &str) -> Result<Option<usize>, InputError> {
        if let Some(&s) = self.named.get(name) {
            return Ok(Some(s));
        }
        let bindings: &'c Bindings = self.bindings;
        let Some((root, def)) = bindings.get_key_value(name) else {
            return Ok(None);
        };
        // The definitions being compiled, each waiting for the names it reads, and where each is on that path.
        let mut path: Vec<Pending<'c>> = Vec::new();
        let mut on_path: HashMap<&'c str, usize> = HashMap::new();
        self.begin(root, def, &mut path, &mut on_path);
        while let Some(top) = path.last_mut() {
            if let Some((read, _)) = top.reads.next() {
                if self.named.contains_key(read) {
                    continue;
                }
                // A name nothing defines is reported when the expression reading it is compiled.
                let Some((read, def)) = bindings.get_key_value(read) else {
                    continue;
                };
                if let Some(&at) = on_path.get(read.as_str()) {
                    return Err(self.cycle_error(&path[at..]));
                }
                self.begin(read, def, &mut path, &mut on_path);
            } else if let Some(done) = path.pop() {
                on_path.remove(done.name);
                self.check_time_in_state(done.ast, done.span, done.text, done.field, true)?;
                let program = self.compile_resolved(done.ast, done.span, done.text, done.field, &[])?;
                // The name carries the expression and where it is written, for run-time error messages.
                let slot = self.new_slot(format!("{} = \"{}\" ({})", done.name, done.text, done.field), program);
                self.named.insert(done.name.to_string(), slot);
            }
        }
        Ok(self.named.get(name).copied())
    }

    /// Starts compiling a bound name that has no slot yet: a fixed value gets its slot now, an expression waits on
    /// `path` for the names it reads.
    fn begin(
        &mut self,
        name: &'c str,
        def: &'c Def,
        path: &mut Vec<Pending<'c>>,
        on_path: &mut HashMap<&'c str, usize>,
    ) {
        match def {
            Def::Fixed(v) => {
                let slot = self.new_slot(name.to_string(), Program::constant(*v));
                self.named.insert(name.to_string(), slot);
            }
            // Draws have their slots from the start (see `new`).
            Def::Draw(s) => {
                self.named.insert(name.to_string(), *s);
            }
            Def::Expr { ast, span, field, text } => {
                on_path.insert(name, path.len());
                path.push(Pending {
                    name,
                    ast,
                    span,
                    field,
                    text,
                    reads: ast.names().into_iter(),
                });
            }
        }
    }

    /// The error for definitions that read each other in a circle, `cycle[0]` reading `cycle[1]` and so on, the last
    /// reading the first; it points at the first one's expression. A long circle is named by its ends.
    fn cycle_error(&self, cycle: &[Pending<'c>]) -> InputError {
        const SHOWN_AT_START: usize = 5;
        const SHOWN_AT_END: usize = 2;
        let names: Vec<&str> = cycle
            .iter()
            .map(|p| p.name)
            .chain(cycle.first().map(|p| p.name))
            .collect();
        let message = if cycle.len() <= SHOWN_AT_START + SHOWN_AT_END + 1 {
            format!("parameters depend on each other in a cycle: {}", names.join(" → "))
        } else {
            format!(
                "parameters depend on each other in a cycle of {} parameters: {} → … → {}",
                cycle.len(),
                names[..SHOWN_AT_START].join(" → "),
                names[names.len() - SHOWN_AT_END - 1..].join(" → ")
            )
        };
        let Some(first) = cycle.first() else {
            return self.compiler.err(0..1, "", message);
        };
        let at = self.compiler.in_string(first.span, first.text, 0..0);
        self.compiler.err(at, first.field, message)
    }

    /// Compiles an expression whose names all have slots already (or are defined nowhere, which it reports), reading
    /// each name in `constants` as its number. Each table lookup it makes gets a slot of its own, just before the
    /// expression's.
    fn compile_resolved(
        &mut self,
        ast: &Ast,
        span: &Range<usize>,
        text: &str,
        field: &str,
        constants: &[(&str, f64)],
    ) -> Result<Program, InputError> {
        let pending: RefCell<Vec<(String, Special)>> = RefCell::new(Vec::new());
        let result = {
            let me = &*self;
            let named = &me.named;
            let mut lookup = |name: &str, args: Vec<Program>, call: (usize, usize)| {
                let at = me.compiler.in_string(span, text, call.0..call.0 + call.1);
                let lookup = me.lookup(name, args, at, field)?;
                let mut pending = pending.borrow_mut();
                let call_text = text.get(call.0..call.0 + call.1).unwrap_or(name);
                pending.push((format!("{call_text} ({field})"), Special::Lookup(lookup)));
                Ok(UserValue::Slot(me.slot_names.len() + pending.len() - 1))
            };
            expr::compile_full(ast, constants, &mut |n| named.get(n).copied(), &me.known, &mut lookup)
        };
        let program = result.map_err(|e| {
            let mut error = self.compiler.expr_error(span, text, &e, field);
            for (name, key) in [("age", "age"), ("sex", "male")] {
                if e.message.starts_with(&format!("unknown name `{name}`")) {
                    error.message = format!(
                        "`{name}` is the age or sex of the cohort's people, which [cohort] gives with `{key}`: this                          scenario's [cohort] has no `{key}`"
                    );
                }
            }
            error
        })?;
        for (name, special) in pending.into_inner() {
            self.new_special(name, special);
        }
        Ok(program)
    }

    /// A table lookup: the table's index and its key arguments, which must be known before sampling (an argument
    /// may read the slot of a lookup not yet made, which is not sampled).
    fn lookup(&self, name: &str, args: Vec<Program>, at: Range<usize>, field: &str) -> Result<Lookup, String> {
        let table = self
            .compiler
            .tables
            .iter()
            .position(|t| t.name == name)
            .ok_or_else(|| format!("no table `{name}`"))?;
        let existing = self.slot_names.len();
        for arg in &args {
            let sampled = arg.reads().iter().find(|&&r| r < existing && self.sampled[r]);
            if let Some(&r) = sampled {
                let culprit = self.sampled_culprit(r);
                return Err(format!(
                    "a table's keys must be known before sampling (age, sex, cycle, t, numbers and fixed                      parameters), but this one depends on the sampled parameter `{culprit}`"
                ));
            }
        }
        Ok(Lookup {
            table,
            args,
            at,
            field: field.to_string(),
        })
    }

    /// The sampled parameter a sampled slot depends on (its own name when it is one).
    fn sampled_culprit(&self, slot: usize) -> String {
        let mut s = slot;
        while s >= self.n_draws {
            match self.reads_of(s).into_iter().find(|&r| self.sampled[r]) {
                Some(r) => s = r,
                None => break,
            }
        }
        self.slot_names[s].split(" = ").next().unwrap_or("").to_string()
    }

    /// Compiles an expression written in `span` as `text`, compiling the definitions it reads first; in a tunnel
    /// step, `time_in_state` is read as the step's number, so what it feeds is folded as a written number would be.
    fn compile_ast(&mut self, ast: &Ast, span: &Range<usize>, text: &str, field: &str) -> Result<Program, InputError> {
        self.check_time_in_state(ast, span, text, field, false)?;
        for (name, _) in ast.names() {
            if name != TIME_IN_STATE {
                self.resolve_name(name)?;
            }
        }
        let step = self.time_in_state.map(|k| (TIME_IN_STATE, f64::from(k)));
        self.compile_resolved(ast, span, text, field, step.as_slice())
    }

    /// Compiles a number or expression into a new slot.
    pub(super) fn quantity(&mut self, value: &Spanned<ExprText>, field: &str, what: &str) -> Result<usize, InputError> {
        let program = match value.get_ref() {
            ExprText::Number(x) if x.is_finite() => Program::constant(*x),
            ExprText::Number(_) => return Err(self.compiler.err(value.span(), field, "must be a finite number")),
            ExprText::Text(text) => {
                let span = value.span();
                let ast = self
                    .compiler
                    .parse_expr(text)
                    .map_err(|e| self.compiler.expr_error(&span, text, &e, field))?;
                let step = self.time_in_state.filter(|_| reads_time_in_state(&ast));
                self.compile_ast(&ast, &span, text, field)
                    .map_err(|e| in_step(e, step))?
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

    /// Orders the programs by dependency and splits them into per-iteration and per-boundary lists, the values known
    /// before sampling computed for every boundary of `frame`'s waves.
    #[allow(clippy::too_many_arguments)] // The parts of a context, each built by a different caller.
    pub(super) fn finish(
        mut self,
        place: Place,
        start: Row,
        rows: Vec<Row>,
        flows: Vec<Flow>,
        one_offs: Vec<OneOff>,
        extra_roots: &[usize],
        frame: &Frame,
    ) -> Result<Context, InputError> {
        // Compile every parameter, used or not, so that a mistake in an unused one is still reported.
        let names: Vec<String> = self.bindings.keys().cloned().collect();
        for name in names {
            self.resolve_name(&name)?;
        }
        let (rows, unentered) = self.rows_entered(&start, rows);
        let needed = self.needed(&start, &rows, &flows, &one_offs, extra_roots);
        let (series, known_constants) = self.known_values(&needed, frame)?;
        // Slots are created after their dependencies, so slot order is a dependency order.
        let mut static_programs = Vec::new();
        let mut dynamic_programs = Vec::new();
        let mut constants = known_constants;
        for (slot, program) in std::mem::take(&mut self.programs).into_iter().enumerate() {
            if let (Some(p), true) = (program, needed[slot]) {
                if let Some(value) = p.as_constant() {
                    constants.push((slot, value));
                } else if series.slots.contains(&slot) {
                    // Computed before sampling, boundary by boundary.
                } else if self.dynamic[slot] {
                    dynamic_programs.push((slot, p));
                } else {
                    static_programs.push((slot, p));
                }
            }
        }
        constants.sort_unstable_by_key(|c| c.0);
        let branches = (dynamic_programs.iter())
            .map(|(_, p)| branches_on_series(p, &series))
            .collect();
        let (own_accrual_flows, flows): (Vec<Flow>, Vec<Flow>) =
            flows.into_iter().partition(|f| f.weight_set.is_some());
        let (dynamic_flows, static_flows): (Vec<Flow>, Vec<Flow>) =
            flows.into_iter().partition(|f| self.dynamic[f.slot]);
        let changes =
            |r: &Row| (r.entries.iter()).any(|(_, src)| matches!(src, ProbSource::Slot(s) if self.dynamic[*s]));
        let changing_rows: Vec<(usize, usize)> = (rows.iter().zip(crate::model::first_entries(&rows)).enumerate())
            .filter(|(_, (r, _))| changes(r))
            .map(|(i, (_, first))| (i, first))
            .collect();
        // Whether anything computed at a boundary reads the time slots (cycle, t, calendar t) directly: a program that
        // changes with time, or a changing probability or flow that is a bare time name.
        let time = self.n_draws..self.n_draws + TIME_NAMES.len();
        let reads_time = (dynamic_programs.iter())
            .any(|(_, p): &(usize, Program)| p.reads().iter().any(|r| time.contains(r)))
            || (changing_rows.iter())
                .flat_map(|&(r, _)| &rows[r].entries)
                .any(|(_, src)| matches!(src, ProbSource::Slot(s) if time.contains(s)))
            || (dynamic_flows.iter().chain(&own_accrual_flows)).any(|f| time.contains(&f.slot));
        let per_boundary = !dynamic_programs.is_empty()
            || !dynamic_flows.is_empty()
            || !changing_rows.is_empty()
            || !series.slots.is_empty()
            || !own_accrual_flows.is_empty();
        Ok(Context {
            arm: place.arm,
            subgroup: place.subgroup,
            stratum: place.stratum,
            share: place.share,
            n_slots: self.slot_names.len(),
            constants,
            static_programs,
            dynamic_programs,
            branches,
            changing_rows,
            start,
            rows,
            static_flows,
            dynamic_flows,
            own_accrual_flows,
            series,
            per_boundary,
            time_through_series: !reads_time,
            one_offs,
            unentered,
            slot_names: self.slot_names,
        })
    }

    /// The rows out of the states some of the cohort can enter: from the start, through entries whose probability is
    /// not the constant 0. The others are left out, their states keeping their mass (which is +0) as a state without
    /// a row does: a row out of a state no one enters moves no mass and so changes no value, but one that changes with
    /// time would make the whole context recompute its rows at every boundary. (The adaptations scenario's row out of
    /// "delayed", which changes when the delay ends, is needed only in its adaptation arm's "margin" group; its run as
    /// written took 25.0 ms with all four contexts traced boundary by boundary, and 8.0 ms with that row made fixed in
    /// time.) Such a row is then not checked either: its probabilities could not move anyone. Returns the rows kept
    /// and the states whose rows were left out (which `check` lists).
    fn rows_entered(&self, start: &Row, rows: Vec<Row>) -> (Vec<Row>, Vec<usize>) {
        let zero = |src: &ProbSource| match src {
            ProbSource::Slot(s) => self.programs[*s].as_ref().and_then(Program::as_constant) == Some(0.0),
            ProbSource::Remainder => false,
        };
        let states = (rows.iter())
            .flat_map(|r| std::iter::once(r.from).chain(r.entries.iter().map(|e| e.0)))
            .chain(start.entries.iter().map(|e| e.0))
            .max()
            .map_or(0, |most| most + 1);
        let mut entered = vec![false; states];
        let mut stack: Vec<usize> = (start.entries.iter()).filter(|e| !zero(&e.1)).map(|e| e.0).collect();
        while let Some(state) = stack.pop() {
            if std::mem::replace(&mut entered[state], true) {
                continue;
            }
            for row in rows.iter().filter(|r| r.from == state) {
                stack.extend((row.entries.iter()).filter(|e| !zero(&e.1)).map(|e| e.0));
            }
        }
        let (kept, left): (Vec<Row>, Vec<Row>) = rows.into_iter().partition(|r| entered[r.from]);
        let mut unentered: Vec<usize> = left.iter().map(|r| r.from).collect();
        unentered.sort_unstable();
        unentered.dedup();
        (kept, unentered)
    }

    /// Which slots a model quantity needs, directly or through other parameters.
    fn needed(
        &self,
        start: &Row,
        rows: &[Row],
        flows: &[Flow],
        one_offs: &[OneOff],
        extra_roots: &[usize],
    ) -> Vec<bool> {
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
            stack.extend(self.reads_of(s));
        }
        needed
    }
}

/// The branches of a conditional whose condition is a value known before sampling (see
/// `ContextBuilder::hoist_condition`), so the same in every iteration.
fn branches_on_series(program: &Program, series: &TimeSeries) -> Option<Branches> {
    let [condition, then, otherwise] = program.split_if()?;
    let condition = condition.as_slot().filter(|s| series.slots.contains(s))?;
    Some(Branches {
        condition,
        then,
        otherwise,
    })
}

/// Where a context sits in the model: its arm, subgroup and stratum, and its share of the cohort.
pub(super) struct Place {
    pub(super) arm: usize,
    pub(super) subgroup: usize,
    pub(super) stratum: usize,
    pub(super) share: f64,
}

impl Place {
    /// An arm's programme context.
    pub(super) fn programme(arm: usize) -> Self {
        Place {
            arm,
            subgroup: 0,
            stratum: 0,
            share: 1.0,
        }
    }
}
