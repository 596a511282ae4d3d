//! `[[correlations]]`: parameters of one scope whose draws are correlated through a Gaussian copula, each keeping
//! its own distribution; and the matrices such blocks and multivariate normals are written with.
//!
//! The joint draw of a block goes after every other draw, so a scenario without correlations draws exactly what it
//! drew before, and one with them changes only the draws of its correlated parameters and those after them.

use super::Compiler;
use crate::dist::{CorrelationFactor, MatrixError};
use crate::error::{suggest, InputError};
use crate::model::{CorrelationInfo, Draw, Joint, ParameterInfo, ParameterSpec};
use crate::scenario::raw::{RawMatrix, RawScenario};
use serde_spanned::Spanned;

/// A matrix as numbers, row by row.
pub(super) fn plain(m: &RawMatrix) -> Vec<Vec<f64>> {
    m.get_ref()
        .iter()
        .map(|row| row.get_ref().iter().map(|x| *x.get_ref()).collect())
        .collect()
}

/// Every group of correlated parameters, as reports show it: the parameters by name (with the scope of the first),
/// and the correlations of the normal draws behind them.
pub(super) fn describe(draws: &[Draw], parameters: &[ParameterInfo]) -> Vec<CorrelationInfo> {
    draws
        .iter()
        .filter_map(|d| match d {
            Draw::Joint(j) => Some(j),
            _ => None,
        })
        .map(|j| {
            let of = |slot: usize| parameters.iter().find(|p| p.draw_slot == Some(slot));
            CorrelationInfo {
                kind: j.kind,
                scope: of(j.slots[0]).map_or_else(|| "base".into(), |p| p.scope.clone()),
                parameters: j
                    .slots
                    .iter()
                    .map(|&s| of(s).map_or_else(String::new, |p| p.name.clone()))
                    .collect(),
                matrix: j.factor.correlation(),
                source: j.source.clone(),
            }
        })
        .collect()
}

impl Compiler<'_> {
    /// Each `[[correlations]]` block: its parameters' draws become members of one joint draw, appended to `draws`.
    pub(super) fn correlations(
        &self,
        raw: &RawScenario,
        draws: &mut Vec<Draw>,
        parameters: &[ParameterInfo],
    ) -> Result<(), InputError> {
        for (b, block) in raw.correlations.iter().enumerate() {
            let c = block.get_ref();
            let field = format!("correlations[{b}]");
            if let Some(src) = &c.source {
                if !raw.sources.contains_key(src.get_ref()) {
                    let known: Vec<&str> = raw.sources.keys().map(String::as_str).collect();
                    return Err(self.err(
                        src.span(),
                        format!("{field}.source"),
                        format!(
                            "no source is named `{}` in [sources]{}",
                            src.get_ref(),
                            suggest(src.get_ref(), &known)
                        ),
                    ));
                }
            }
            let scope = self.correlation_scope(raw, c.scope.as_ref(), &field)?;
            let names = c.parameters.get_ref();
            if names.len() < 2 {
                return Err(self.err(
                    c.parameters.span(),
                    format!("{field}.parameters"),
                    "a correlation block needs at least two parameters",
                ));
            }
            let mut members = Vec::with_capacity(names.len());
            let mut slots = Vec::with_capacity(names.len());
            for (k, name) in names.iter().enumerate() {
                let (member, slot) = self.correlated(name, k, &field, &scope, names, draws, parameters)?;
                members.push(member);
                slots.push(slot);
            }
            let matrix = plain(&c.matrix);
            let plain_names: Vec<String> = names.iter().map(|n| n.get_ref().clone()).collect();
            let factor = CorrelationFactor::from_correlation(&matrix, names.len()).map_err(|e| {
                self.matrix_error(&c.matrix, &e, &plain_names, &matrix, false, &format!("{field}.matrix"))
            })?;
            for &m in &members {
                if let Draw::One { slot, distribution, .. } = draws[m] {
                    draws[m] = Draw::Member {
                        slot,
                        distribution,
                        marginal: distribution.marginal(),
                    };
                }
            }
            draws.push(Draw::Joint(Box::new(Joint {
                members,
                slots,
                factor,
                kind: "correlations",
                source: c.source.as_ref().map(|s| s.get_ref().clone()),
            })));
        }
        Ok(())
    }

    /// A block's `scope`: `base` (the default), `arm:<name>` or `subgroup:<name>` of an arm or subgroup the file has.
    fn correlation_scope(
        &self,
        raw: &RawScenario,
        scope: Option<&Spanned<String>>,
        field: &str,
    ) -> Result<String, InputError> {
        let Some(scope) = scope else { return Ok("base".into()) };
        let mut known = vec!["base".to_string()];
        known.extend(
            raw.arms
                .get_ref()
                .iter()
                .map(|a| format!("arm:{}", a.get_ref().name.get_ref())),
        );
        known.extend(
            raw.cohort
                .get_ref()
                .subgroups
                .iter()
                .map(|g| format!("subgroup:{}", g.get_ref().name.get_ref())),
        );
        if known.contains(scope.get_ref()) {
            return Ok(scope.get_ref().clone());
        }
        let k: Vec<&str> = known.iter().map(String::as_str).collect();
        Err(self.err(
            scope.span(),
            format!("{field}.scope"),
            format!(
                "`{}` is not a scope of this file: the scopes are {}{}",
                scope.get_ref(),
                k.join(", "),
                suggest(scope.get_ref(), &k)
            ),
        ))
    }

    /// The `k`th parameter of a block: its draw's index and its slot, refusing a name the scope does not sample
    /// with a univariate distribution of its own, or one named twice or already drawn with others.
    #[allow(clippy::too_many_arguments)]
    fn correlated(
        &self,
        name: &Spanned<String>,
        k: usize,
        field: &str,
        scope: &str,
        names: &[Spanned<String>],
        draws: &[Draw],
        parameters: &[ParameterInfo],
    ) -> Result<(usize, usize), InputError> {
        let f = format!("{field}.parameters[{k}]");
        let n = name.get_ref();
        let refuse = |message: String| Err(self.err(name.span(), &f, message));
        if names[..k].iter().any(|m| m.get_ref() == n) {
            return refuse(format!("`{n}` is named twice in this block"));
        }
        let Some(info) = parameters.iter().find(|p| p.name == *n && p.scope == scope) else {
            let in_scope: Vec<&str> = parameters
                .iter()
                .filter(|p| p.scope == scope)
                .map(|p| p.name.as_str())
                .collect();
            let elsewhere: Vec<&str> = parameters
                .iter()
                .filter(|p| p.name == *n)
                .map(|p| p.scope.as_str())
                .collect();
            return refuse(if elsewhere.is_empty() {
                format!("no parameter is named `{n}`{}", suggest(n, &in_scope))
            } else {
                format!(
                    "`{n}` is not defined in scope {scope} (it is in {}): give the block `scope = \"{}\"`",
                    elsewhere.join(", "),
                    elsewhere[0]
                )
            });
        };
        let slot = match (&info.spec, info.draw_slot) {
            (ParameterSpec::Distribution { .. }, Some(slot)) => slot,
            (ParameterSpec::DirichletComponent { .. }, _) => {
                return refuse(format!(
                    "`{n}` is a Dirichlet component: its components are already dependent (they sum to 1), and \
                     cannot be correlated with other parameters"
                ))
            }
            _ => {
                return refuse(format!(
                    "`{n}` is not uncertain (a fixed value or an expression): only parameters with a distribution \
                     can be correlated"
                ))
            }
        };
        match draws
            .iter()
            .position(|d| matches!(d, Draw::One { slot: s, .. } if *s == slot))
        {
            Some(member) => Ok((member, slot)),
            None => refuse(format!(
                "`{n}` is already drawn with other parameters (in an earlier correlation block or a multivariate \
                 normal); a parameter can be in one group only"
            )),
        }
    }

    /// A matrix's error, pointing at the entry it is about (or the row, or the matrix): `field` is the matrix's.
    pub(super) fn matrix_error(
        &self,
        m: &RawMatrix,
        e: &MatrixError,
        names: &[String],
        plain: &[Vec<f64>],
        covariance: bool,
        field: &str,
    ) -> InputError {
        let message = e.message(names, plain, covariance);
        let Some((i, j)) = e.entry() else {
            return self.err(m.span(), field, message);
        };
        match m.get_ref().get(i).map(|row| (row, row.get_ref().get(j))) {
            Some((_, Some(x))) => self.err(x.span(), format!("{field}[{i}][{j}]"), message),
            Some((row, None)) => self.err(row.span(), format!("{field}[{i}]"), message),
            None => self.err(m.span(), field, message),
        }
    }
}
