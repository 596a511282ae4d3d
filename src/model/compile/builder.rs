//! The [`ContextBuilder`]: assigns the slots of one context and compiles its expressions on first use, tracking
//! dependencies and time-dependence, then orders and splits the programs a context needs.

use super::parameters::{Bindings, Def};
use super::Compiler;
use crate::error::InputError;
use crate::expr::{self, Ast, Program};
use crate::model::{Context, Flow, OneOff, ProbSource, Row, TIME_NAMES};
use crate::scenario::raw::ExprText;
use serde_spanned::Spanned;
use std::collections::HashMap;

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
    /// Slot of each bound name that has been compiled.
    named: HashMap<String, usize>,
    /// Names being compiled (cycle detection).
    in_progress: Vec<String>,
    known: Vec<String>,
}

impl<'c, 'a> ContextBuilder<'c, 'a> {
    pub(super) fn new(compiler: &'c Compiler<'a>, bindings: &'c Bindings, n_draws: usize) -> Self {
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

    pub(super) fn is_dynamic(&self, slot: usize) -> bool {
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
    pub(super) fn quantity(&mut self, value: &Spanned<ExprText>, field: &str, what: &str) -> Result<usize, InputError> {
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

    #[allow(clippy::too_many_arguments)]
    /// Orders the programs by dependency and splits them into per-iteration and per-boundary lists.
    pub(super) fn finish(
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
        let needed = self.needed(&start, &rows, &flows, &one_offs, extra_roots);
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
            if let Some(p) = &self.programs[s] {
                stack.extend_from_slice(p.reads());
            }
        }
        needed
    }
}
