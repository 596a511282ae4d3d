//! Parameters as definitions: each scope's `[parameters]` (the base model's, an arm's, a subgroup's) read into
//! bindings of names to fixed values, draw slots or expressions, with their draws and report entries.

use super::Compiler;
use crate::dist::Distribution;
use crate::error::{suggest, InputError};
use crate::expr::Ast;
use crate::model::{Draw, Overridable, ParameterInfo, ParameterSpec};
use crate::scenario::raw::{RawParameter, RawScenario};
use serde_spanned::Spanned;
use std::collections::BTreeMap;
use std::ops::Range;

/// A name's meaning within one context.
#[derive(Debug, Clone)]
pub(super) enum Def {
    Fixed(f64),
    Draw(usize),
    Expr {
        ast: Ast,
        /// The string holding the expression, as written (quotes included).
        span: Range<usize>,
        field: String,
        text: String,
    },
}

/// The names one scope (or one context, scopes merged) defines.
pub(super) type Bindings = BTreeMap<String, Def>;

/// A name defined by one parameter entry, with its definition, report spec, source, unit and note.
type Defined = (
    String,
    Def,
    ParameterSpec,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Names a parameter may not take: the remainder of a row, the time variables, and the cohort's age and sex.
pub(super) const RESERVED: [&str; 7] = ["remainder", "cycle", "t", "calendar_t", "time_in_state", "age", "sex"];

/// Every scope's bindings: the base model's, and each arm's and subgroup's overrides.
pub(super) struct Scopes {
    pub(super) base: Bindings,
    /// One per arm.
    pub(super) arms: Vec<Bindings>,
    /// One per subgroup (one, empty, when the cohort has no subgroups).
    pub(super) subgroups: Vec<Bindings>,
}

impl Scopes {
    /// The bindings of an arm for one subgroup, or with no subgroup's overrides (for its programme costs).
    pub(super) fn bindings(&self, arm: usize, subgroup: Option<usize>) -> Bindings {
        // Arm overrides win over subgroup overrides: the intervention's effect is a property of the arm.
        let mut bindings = self.base.clone();
        if let Some(g) = subgroup {
            bindings.extend(self.subgroups[g].clone());
        }
        bindings.extend(self.arms[arm].clone());
        bindings
    }
}

/// Number of draw slots the draws fill (a Dirichlet fills one per component).
pub(super) fn slot_count(draws: &[Draw]) -> usize {
    draws
        .iter()
        .map(|d| match d {
            Draw::One { .. } | Draw::Member { .. } => 1,
            Draw::Dirichlet { dirichlet, .. } => dirichlet.len(),
            Draw::Joint(_) => 0,
        })
        .sum()
}

/// Support (lowest, highest value) of each draw slot; a Dirichlet component's is [0, 1].
pub(super) fn draw_supports(draws: &[Draw], n_draws: usize) -> Vec<(f64, f64)> {
    let mut out = vec![(0.0, 1.0); n_draws];
    for d in draws {
        if let Draw::One { slot, distribution, .. } | Draw::Member { slot, distribution, .. } = d {
            out[*slot] = distribution.support();
        }
    }
    out
}

impl Compiler<'_> {
    /// Each arm's `parameters`, overriding the base scope.
    pub(super) fn arm_scopes(
        &self,
        raw: &RawScenario,
        base: &Bindings,
        draws: &mut Vec<Draw>,
        parameters: &mut Vec<ParameterInfo>,
    ) -> Result<Vec<Bindings>, InputError> {
        let mut arm_overrides = Vec::new();
        for (i, arm) in raw.arms.get_ref().iter().enumerate() {
            let arm = arm.get_ref();
            let scope = format!("arm:{}", arm.name.get_ref());
            let field = format!("arms[{i}].parameters");
            arm_overrides.push(self.parameter_scope(
                &arm.parameters,
                &scope,
                &field,
                Some(base),
                &raw.sources,
                draws,
                parameters,
            )?);
        }
        Ok(arm_overrides)
    }

    /// Each subgroup's `parameters`, overriding the base scope; one empty scope when there are no subgroups.
    pub(super) fn subgroup_scopes(
        &self,
        raw: &RawScenario,
        base: &Bindings,
        draws: &mut Vec<Draw>,
        parameters: &mut Vec<ParameterInfo>,
    ) -> Result<Vec<Bindings>, InputError> {
        let mut subgroup_overrides = Vec::new();
        for (i, sg) in raw.cohort.get_ref().subgroups.iter().enumerate() {
            let sg = sg.get_ref();
            let scope = format!("subgroup:{}", sg.name.get_ref());
            let field = format!("cohort.subgroups[{i}].parameters");
            subgroup_overrides.push(self.parameter_scope(
                &sg.parameters,
                &scope,
                &field,
                Some(base),
                &raw.sources,
                draws,
                parameters,
            )?);
        }
        if subgroup_overrides.is_empty() {
            subgroup_overrides.push(Bindings::new());
        }
        Ok(subgroup_overrides)
    }

    /// Reads one scope's parameters into bindings, adding their draws and report entries.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn parameter_scope(
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
        let mut next_slot: usize = slot_count(draws);
        for (name, value) in raw {
            let key = name.get_ref();
            let f = format!("{field}.{key}");
            let defined = self.definitions(key, value, &f, sources, &mut next_slot, draws)?;
            for (pname, def, spec, source, unit, note) in defined {
                self.check_binding(&pname, name.span(), &f, base, &out)?;
                // A parameter that overrides may change becomes a draw slot even where it is a number or an
                // expression, so that no expression folds it into a constant.
                let mut def = def;
                let was_expression = matches!(def, Def::Expr { .. });
                if self.overridable_names.contains(&pname) {
                    let draw = overridable_draw(&mut def, &mut next_slot, draws);
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

    /// The names one parameter entry defines (several for a Dirichlet), sampling its draws into `next_slot` on.
    fn definitions(
        &self,
        key: &str,
        value: &Spanned<RawParameter>,
        f: &str,
        sources: &BTreeMap<String, Spanned<String>>,
        next_slot: &mut usize,
        draws: &mut Vec<Draw>,
    ) -> Result<Vec<Defined>, InputError> {
        Ok(match value.get_ref() {
            RawParameter::Number(x) => {
                if !x.is_finite() {
                    return Err(self.err(value.span(), f, "a parameter value must be a finite number"));
                }
                vec![(
                    key.to_string(),
                    Def::Fixed(*x),
                    ParameterSpec::Fixed { value: *x },
                    None,
                    None,
                    None,
                )]
            }
            RawParameter::Expression(text) => {
                let ast = self
                    .parse_expr(text)
                    .map_err(|e| self.expr_error(&value.span(), text, &e, f))?;
                vec![(
                    key.to_string(),
                    Def::Expr {
                        ast,
                        span: value.span(),
                        field: f.to_string(),
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
                self.parameter_table(key, t, value.span(), f, next_slot, draws)?
                    .into_iter()
                    .map(|(n, d, s)| (n, d, s, source.clone(), t.unit.clone(), t.note.clone()))
                    .collect()
            }
        })
    }

    /// A defined name must be valid, not reserved, override a base parameter (outside the base scope), and be new.
    fn check_binding(
        &self,
        pname: &str,
        span: Range<usize>,
        f: &str,
        base: Option<&Bindings>,
        out: &Bindings,
    ) -> Result<(), InputError> {
        self.check_identifier(pname, span.clone(), f)?;
        if RESERVED.contains(&pname) {
            return Err(self.err(span, f, format!("`{pname}` is a reserved name (the time variables are cycle, t, calendar_t and time_in_state; age and sex are the cohort's); choose another name")));
        }
        if let Some(base) = base {
            if !base.contains_key(pname) {
                let known: Vec<&str> = base.keys().map(String::as_str).collect();
                return Err(self.err(
                    span,
                    f,
                    format!(
                        "`{pname}` overrides no parameter of the base model: define it under [parameters] first{}",
                        suggest(pname, &known)
                    ),
                ));
            }
        }
        if out.contains_key(pname) {
            return Err(self.err(span, f, format!("`{pname}` is defined twice in this scope")));
        }
        Ok(())
    }
}

/// Makes an overridable definition a draw slot (a fixed distribution until overridden), returning its draw's index.
fn overridable_draw(def: &mut Def, next_slot: &mut usize, draws: &mut Vec<Draw>) -> usize {
    match def {
        Def::Fixed(v) => {
            let d = Distribution::Fixed(*v);
            draws.push(Draw::One {
                slot: *next_slot,
                sampler: d.sampler(),
                distribution: d,
            });
            *def = Def::Draw(*next_slot);
            *next_slot += 1;
            draws.len() - 1
        }
        // An expression can only be replaced by a value; until then it is 0 (every override sets it).
        Def::Expr { .. } => {
            let d = Distribution::Fixed(0.0);
            draws.push(Draw::One {
                slot: *next_slot,
                sampler: d.sampler(),
                distribution: d,
            });
            *def = Def::Draw(*next_slot);
            *next_slot += 1;
            draws.len() - 1
        }
        Def::Draw(_) => draws.len() - 1,
    }
}
