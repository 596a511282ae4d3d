//! Parameter tables: the distribution a `{ dist = ... }` table describes, fitted from the keys it gives (its natural
//! parameters, its mean and sd, a 95% interval, or a point estimate with its 95% interval), a Dirichlet or a
//! multivariate normal over several names, or a cited expression.

use super::parameters::Def;
use super::Compiler;
use crate::dist::{CorrelationFactor, Dirichlet, Distribution, FitError, Point, PointFit};
use crate::error::{suggest, InputError};
use crate::model::{Draw, Joint, ParameterSpec};
use crate::scenario::raw::{RawAlpha, RawMean, RawParameterTable};
use serde_spanned::Spanned;
use std::ops::Range;

/// A name a parameter table defines, with its definition and report spec.
pub(super) type Entry = (String, Def, ParameterSpec);

impl Compiler<'_> {
    /// Builds the distribution described by a parameter table.
    pub(super) fn parameter_table(
        &self,
        name: &str,
        t: &RawParameterTable,
        span: Range<usize>,
        field: &str,
        next_slot: &mut usize,
        draws: &mut Vec<Draw>,
    ) -> Result<Vec<Entry>, InputError> {
        let dist = t.dist.as_ref().map(|d| d.get_ref().as_str());
        let mean = match t.mean.as_ref().map(|m| (m.span(), m.get_ref())) {
            Some((at, RawMean::One(v))) => Some(Spanned::new(at, *v)),
            Some((_, RawMean::Many(_))) if dist == Some("mvnormal") => None,
            Some((at, RawMean::Many(_))) => {
                return Err(self.err(
                    at,
                    format!("{field}.mean"),
                    "`mean` is one number here (a list of means, one per name, is for dist = \"mvnormal\")",
                ))
            }
            None => None,
        };
        let table = Table {
            compiler: self,
            t,
            span,
            field,
            present: present_keys(t),
            mean,
        };
        let d = match dist {
            None if table.has("expr") => return table.expression(name),
            None if table.has("value") => {
                table.allow(&["value"], "a fixed parameter")?;
                table.fit(
                    Distribution::fixed(table.need(&t.value, "value", "a fixed parameter")?),
                    table.span.clone(),
                )?
            }
            None => return Err(table.no_distribution()),
            Some("fixed") => {
                table.allow(&["value"], "dist = \"fixed\"")?;
                table.fit(
                    Distribution::fixed(table.need(&t.value, "value", "dist = \"fixed\"")?),
                    table.span.clone(),
                )?
            }
            Some("uniform") => {
                table.allow(&["low", "high"], "a uniform distribution")?;
                let form = "a uniform distribution";
                table.fit(
                    Distribution::uniform(table.need(&t.low, "low", form)?, table.need(&t.high, "high", form)?),
                    table.span.clone(),
                )?
            }
            Some("normal") => table.normal()?,
            Some("lognormal") => table.lognormal()?,
            Some("gamma") => table.gamma()?,
            Some("beta") => table.beta()?,
            Some("triangular") => {
                table.allow(&["min", "mode", "max"], "a triangular distribution")?;
                let form = "a triangular distribution";
                table.fit(
                    Distribution::triangular(
                        table.need(&t.min, "min", form)?,
                        table.need(&t.mode, "mode", form)?,
                        table.need(&t.max, "max", form)?,
                    ),
                    table.span.clone(),
                )?
            }
            Some("pert") => {
                table.allow(&["min", "mode", "max", "lambda"], "a PERT distribution")?;
                let form = "a PERT distribution";
                let lambda = t.lambda.as_ref().map_or(4.0, |l| *l.get_ref());
                table.fit(
                    Distribution::pert(
                        table.need(&t.min, "min", form)?,
                        table.need(&t.mode, "mode", form)?,
                        table.need(&t.max, "max", form)?,
                        lambda,
                    ),
                    table.span.clone(),
                )?
            }
            Some("dirichlet") => return table.dirichlet(next_slot, draws),
            Some("mvnormal") => return table.mvnormal(next_slot, draws),
            Some(other) => return Err(table.unknown_distribution(other)),
        };
        Ok(one(name, d, next_slot, draws))
    }
}

/// The name of a univariate distribution: fixed as a constant, otherwise sampled into the next draw slot.
fn one(name: &str, d: Distribution, next_slot: &mut usize, draws: &mut Vec<Draw>) -> Vec<Entry> {
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
    vec![(name.to_string(), Def::Draw(slot), spec_of(d))]
}

/// How a sampled distribution is reported: its native parameters, mean and 95% interval.
fn spec_of(d: Distribution) -> ParameterSpec {
    ParameterSpec::Distribution {
        distribution: d.describe(),
        mean: d.mean(),
        low95: d.quantile(0.025),
        high95: d.quantile(0.975),
    }
}

/// The keys a parameter table gives, with where each is written.
fn present_keys(t: &RawParameterTable) -> Vec<(&'static str, Range<usize>)> {
    let mut v: Vec<(&'static str, Range<usize>)> = Vec::new();
    macro_rules! key {
        ($($f:ident),*) => { $( if let Some(x) = &t.$f { v.push((stringify!($f), x.span())); } )* };
    }
    key!(
        dist, value, expr, mean, median, sd, ci95, low, high, min, mode, max, lambda, alpha, beta, shape, scale, rate,
        meanlog, sdlog, names, cov, source
    );
    v
}

/// One parameter table being read: the keys it gives, where it is, and its field path for messages.
struct Table<'t, 'a> {
    compiler: &'t Compiler<'a>,
    t: &'t RawParameterTable,
    span: Range<usize>,
    field: &'t str,
    present: Vec<(&'static str, Range<usize>)>,
    /// `mean` when it is one number.
    mean: Option<Spanned<f64>>,
}

impl Table<'_, '_> {
    /// A fitted distribution, or the fit's message at `at`.
    fn fit(&self, r: Result<Distribution, FitError>, at: Range<usize>) -> Result<Distribution, InputError> {
        r.map_err(|e| self.compiler.err(at, self.field, e.0))
    }

    /// The value of a key the form needs.
    fn need(&self, v: &Option<Spanned<f64>>, key: &str, form: &str) -> Result<f64, InputError> {
        v.as_ref().map(|x| *x.get_ref()).ok_or_else(|| {
            self.compiler.err(
                self.span.clone(),
                format!("{}.{key}", self.field),
                format!("{form} needs `{key}`"),
            )
        })
    }

    /// Rejects any key the form does not use (besides dist, source, unit and note).
    fn allow(&self, allowed: &[&str], form: &str) -> Result<(), InputError> {
        for (key, at) in &self.present {
            if !allowed.contains(key) && !["dist", "source", "unit", "note"].contains(key) {
                return Err(self.compiler.err(
                    at.clone(),
                    format!("{}.{key}", self.field),
                    format!("`{key}` is not used by {form}; it takes {}", allowed.join(", ")),
                ));
            }
        }
        Ok(())
    }

    fn has(&self, key: &str) -> bool {
        self.present.iter().any(|(k, _)| *k == key)
    }

    /// The 95% interval `ci95` as (low, high, where it is written).
    fn ci(&self, form: &str) -> Result<(f64, f64, Range<usize>), InputError> {
        let field = self.field;
        let c = self.t.ci95.as_ref().ok_or_else(|| {
            self.compiler.err(
                self.span.clone(),
                format!("{field}.ci95"),
                format!("{form} needs `ci95`"),
            )
        })?;
        match c.get_ref().as_slice() {
            [lo, hi] if lo < hi => Ok((*lo, *hi, c.span())),
            [lo, hi] => Err(self.compiler.err(
                c.span(),
                format!("{field}.ci95"),
                format!("a 95% interval needs low < high, but it is [{lo}, {hi}]"),
            )),
            _ => Err(self.compiler.err(
                c.span(),
                format!("{field}.ci95"),
                "a 95% interval is written as two numbers, [low, high]",
            )),
        }
    }

    /// A table with neither `dist`, `value` nor `expr`.
    fn no_distribution(&self) -> InputError {
        self.compiler.err(self.span.clone(), format!("{}.dist", self.field), "a parameter table needs `dist` (fixed, uniform, normal, lognormal, gamma, beta, triangular, pert, dirichlet, mvnormal), or `value`, or `expr`")
    }

    /// A `dist` that names no distribution.
    fn unknown_distribution(&self, other: &str) -> InputError {
        let at = self.t.dist.as_ref().map_or(self.span.clone(), |d| d.span());
        let known = [
            "fixed",
            "uniform",
            "normal",
            "lognormal",
            "gamma",
            "beta",
            "triangular",
            "pert",
            "dirichlet",
            "mvnormal",
        ];
        self.compiler.err(
            at,
            format!("{}.dist", self.field),
            format!(
                "unknown distribution `{other}`: use one of {}{}",
                known.join(", "),
                suggest(other, &known)
            ),
        )
    }

    /// `{ expr = "..." }`: an expression with a source, unit or note.
    fn expression(&self, name: &str) -> Result<Vec<Entry>, InputError> {
        let field = self.field;
        self.allow(&["expr"], "an expression parameter")?;
        let e = self.t.expr.as_ref().expect("checked by has()");
        let ast = self.compiler.parse_expr(e.get_ref()).map_err(|err| {
            self.compiler
                .expr_error(&e.span(), e.get_ref(), &err, &format!("{field}.expr"))
        })?;
        Ok(vec![(
            name.to_string(),
            Def::Expr {
                ast,
                span: e.span(),
                field: format!("{field}.expr"),
                text: e.get_ref().clone(),
            },
            ParameterSpec::Expression {
                expression: e.get_ref().clone(),
            },
        )])
    }

    fn normal(&self) -> Result<Distribution, InputError> {
        let t = self.t;
        if self.has("ci95") {
            if let Some(fitted) = self.point_and_interval("a normal distribution", Distribution::normal_from_point)? {
                return Ok(fitted);
            }
            self.allow(&["ci95"], "a normal distribution given by its 95% interval")?;
            let (lo, hi, at) = self.ci("a normal distribution")?;
            return self.fit(Distribution::normal_from_interval(lo, hi), at);
        }
        self.no_median_alone()?;
        self.allow(&["mean", "sd"], "a normal distribution")?;
        let form = "a normal distribution";
        self.fit(
            Distribution::normal(self.need(&self.mean, "mean", form)?, self.need(&t.sd, "sd", form)?),
            self.span.clone(),
        )
    }

    /// With `ci95` and a point estimate (`mean` or `median`) beside it: the fit that keeps the point, with a
    /// warning when its interval misses the published one. None when no point is given (`ci95` alone).
    fn point_and_interval(
        &self,
        form: &str,
        fit: fn(Point, f64, f64) -> Result<PointFit, FitError>,
    ) -> Result<Option<Distribution>, InputError> {
        let point = match (&self.mean, &self.t.median) {
            (None, None) => return Ok(None),
            (Some(m), None) => {
                self.allow(&["mean", "ci95"], &format!("{form} given by its mean and 95% interval"))?;
                Point::Mean(*m.get_ref())
            }
            (None, Some(m)) => {
                self.allow(
                    &["median", "ci95"],
                    &format!("{form} given by its median and 95% interval"),
                )?;
                Point::Median(*m.get_ref())
            }
            (Some(_), Some(m)) => {
                return Err(self.compiler.err(
                    m.span(),
                    format!("{}.median", self.field),
                    "give the point estimate as `mean` or as `median`, not both: the fit keeps one of them exactly",
                ))
            }
        };
        let (lo, hi, at) = self.ci(form)?;
        let fitted = fit(point, lo, hi).map_err(|e| self.compiler.err(at.clone(), self.field, e.0))?;
        if let Some(warning) = fitted.warning(point, lo, hi) {
            let e = self.compiler.err(at, format!("{}.ci95", self.field), warning);
            self.compiler.fit_messages.borrow_mut().push(format!(
                "{}:{}:{}: field `{}`: {}",
                e.file.display(),
                e.line,
                e.column,
                e.field,
                e.message
            ));
        }
        Ok(Some(fitted.distribution))
    }

    /// `median` is only read beside `ci95`.
    fn no_median_alone(&self) -> Result<(), InputError> {
        match &self.t.median {
            Some(m) => Err(self.compiler.err(
                m.span(),
                format!("{}.median", self.field),
                "`median` is a point estimate fitted together with its 95% interval: give `ci95` beside it",
            )),
            None => Ok(()),
        }
    }

    fn lognormal(&self) -> Result<Distribution, InputError> {
        let t = self.t;
        let form = "a lognormal distribution";
        if self.has("ci95") {
            if let Some(fitted) = self.point_and_interval(form, Distribution::lognormal_from_point)? {
                return Ok(fitted);
            }
            self.allow(&["ci95"], "a lognormal distribution given by its 95% interval")?;
            let (lo, hi, at) = self.ci(form)?;
            return self.fit(Distribution::lognormal_from_interval(lo, hi), at);
        }
        self.no_median_alone()?;
        if self.has("mean") || self.has("sd") {
            self.allow(&["mean", "sd"], "a lognormal distribution given by its mean and sd")?;
            return self.fit(
                Distribution::lognormal_from_moments(
                    self.need(&self.mean, "mean", form)?,
                    self.need(&t.sd, "sd", form)?,
                ),
                self.span.clone(),
            );
        }
        self.allow(
            &["meanlog", "sdlog"],
            "a lognormal distribution (meanlog and sdlog, or mean and sd, or ci95)",
        )?;
        self.fit(
            Distribution::lognormal(
                self.need(&t.meanlog, "meanlog", form)?,
                self.need(&t.sdlog, "sdlog", form)?,
            ),
            self.span.clone(),
        )
    }

    fn gamma(&self) -> Result<Distribution, InputError> {
        let t = self.t;
        let form = "a gamma distribution";
        if self.has("ci95") {
            if let Some(fitted) = self.point_and_interval(form, Distribution::gamma_from_point)? {
                return Ok(fitted);
            }
            self.allow(&["ci95"], "a gamma distribution given by its 95% interval")?;
            let (lo, hi, at) = self.ci(form)?;
            return self.fit(Distribution::gamma_from_interval(lo, hi), at);
        }
        self.no_median_alone()?;
        if self.has("mean") || self.has("sd") {
            self.allow(&["mean", "sd"], "a gamma distribution given by its mean and sd")?;
            return self.fit(
                Distribution::gamma_from_moments(self.need(&self.mean, "mean", form)?, self.need(&t.sd, "sd", form)?),
                self.span.clone(),
            );
        }
        if self.has("rate") {
            self.allow(&["shape", "rate"], "a gamma distribution given by shape and rate")?;
            let rate = self.need(&t.rate, "rate", form)?;
            if !(rate.is_finite() && rate > 0.0) {
                return Err(self.compiler.err(
                    self.span.clone(),
                    format!("{}.rate", self.field),
                    "a gamma rate must be positive",
                ));
            }
            return self.fit(
                Distribution::gamma(self.need(&t.shape, "shape", form)?, 1.0 / rate),
                self.span.clone(),
            );
        }
        self.allow(
            &["shape", "scale"],
            "a gamma distribution (shape and scale, shape and rate, mean and sd, or ci95)",
        )?;
        self.fit(
            Distribution::gamma(self.need(&t.shape, "shape", form)?, self.need(&t.scale, "scale", form)?),
            self.span.clone(),
        )
    }

    fn beta(&self) -> Result<Distribution, InputError> {
        let t = self.t;
        let field = self.field;
        let form = "a beta distribution";
        if self.has("ci95") {
            if let Some(fitted) = self.point_and_interval(form, Distribution::beta_from_point)? {
                return Ok(fitted);
            }
            self.allow(&["ci95"], "a beta distribution given by its 95% interval")?;
            let (lo, hi, at) = self.ci(form)?;
            return self.fit(Distribution::beta_from_interval(lo, hi), at);
        }
        self.no_median_alone()?;
        if self.has("mean") || self.has("sd") {
            self.allow(&["mean", "sd"], "a beta distribution given by its mean and sd")?;
            return self.fit(
                Distribution::beta_from_moments(self.need(&self.mean, "mean", form)?, self.need(&t.sd, "sd", form)?),
                self.span.clone(),
            );
        }
        self.allow(
            &["alpha", "beta"],
            "a beta distribution (alpha and beta, mean and sd, or ci95)",
        )?;
        let alpha = match t.alpha.as_ref().map(|a| a.get_ref()) {
            Some(RawAlpha::One(a)) => *a,
            Some(RawAlpha::Many(_)) => {
                return Err(self.compiler.err(
                    self.span.clone(),
                    format!("{field}.alpha"),
                    "a beta distribution's alpha is one number (a list of alphas is a Dirichlet)",
                ))
            }
            None => {
                return Err(self.compiler.err(
                    self.span.clone(),
                    format!("{field}.alpha"),
                    "a beta distribution needs `alpha` and `beta` (or `mean` and `sd`, or `ci95`)",
                ))
            }
        };
        self.fit(
            Distribution::beta(alpha, self.need(&t.beta, "beta", form)?),
            self.span.clone(),
        )
    }

    /// `{ dist = "dirichlet", alpha = [...], names = [...] }`: one name per component, in consecutive draw slots.
    fn dirichlet(&self, next_slot: &mut usize, draws: &mut Vec<Draw>) -> Result<Vec<Entry>, InputError> {
        let (t, span, field) = (self.t, &self.span, self.field);
        self.allow(&["alpha", "names"], "a Dirichlet distribution")?;
        let alpha = match t.alpha.as_ref().map(|a| a.get_ref()) {
            Some(RawAlpha::Many(a)) => a.clone(),
            _ => return Err(self.compiler.err(span.clone(), format!("{field}.alpha"), "a Dirichlet needs `alpha`, a list of counts (one per category), and `names`, one parameter name per category")),
        };
        let names = t.names.as_ref().ok_or_else(|| {
            self.compiler.err(
                span.clone(),
                format!("{field}.names"),
                "a Dirichlet needs `names`: one parameter name per category, in the order of `alpha`",
            )
        })?;
        if names.get_ref().len() != alpha.len() {
            return Err(self.compiler.err(
                names.span(),
                format!("{field}.names"),
                format!(
                    "`names` has {} entries but `alpha` has {}",
                    names.get_ref().len(),
                    alpha.len()
                ),
            ));
        }
        let dirichlet =
            Dirichlet::new(alpha).map_err(|e| self.compiler.err(span.clone(), format!("{field}.alpha"), e.0))?;
        let first_slot = *next_slot;
        *next_slot += dirichlet.len();
        let out = names
            .get_ref()
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let m = dirichlet.marginal(i);
                let spec = ParameterSpec::DirichletComponent {
                    alpha: dirichlet.alpha().to_vec(),
                    component: i,
                    mean: m.mean(),
                    low95: m.quantile(0.025),
                    high95: m.quantile(0.975),
                };
                (n.clone(), Def::Draw(first_slot + i), spec)
            })
            .collect();
        draws.push(Draw::Dirichlet { first_slot, dirichlet });
        Ok(out)
    }

    /// `{ dist = "mvnormal", names = [...], mean = [...], cov = [[...], ...] }`: normal coefficients drawn together
    /// (one standard normal each, combined through the Cholesky factor of their correlations), one name per row of
    /// the covariance matrix, each in its own draw slot.
    fn mvnormal(&self, next_slot: &mut usize, draws: &mut Vec<Draw>) -> Result<Vec<Entry>, InputError> {
        let (t, span, field) = (self.t, &self.span, self.field);
        self.allow(&["names", "mean", "cov"], "a multivariate normal distribution")?;
        let names = t.names.as_ref().ok_or_else(|| {
            self.compiler.err(
                span.clone(),
                format!("{field}.names"),
                "a multivariate normal needs `names`: one parameter name per coefficient, in the order of `mean` and \
                 of the rows of `cov`",
            )
        })?;
        let n = names.get_ref().len();
        let means = match t.mean.as_ref().map(|m| (m.span(), m.get_ref())) {
            Some((at, RawMean::Many(v))) if v.len() == n => {
                if v.iter().any(|x| !x.is_finite()) {
                    return Err(self
                        .compiler
                        .err(at, format!("{field}.mean"), "every mean must be a finite number"));
                }
                v.clone()
            }
            Some((at, RawMean::Many(v))) => {
                return Err(self.compiler.err(
                    at,
                    format!("{field}.mean"),
                    format!("`mean` has {} entries but `names` has {n}: one mean per name", v.len()),
                ))
            }
            _ => {
                return Err(self.compiler.err(
                    span.clone(),
                    format!("{field}.mean"),
                    "a multivariate normal needs `mean`, a list of means, one per name",
                ))
            }
        };
        if n < 2 {
            return Err(self.compiler.err(
                names.span(),
                format!("{field}.names"),
                "a multivariate normal needs at least two names; one coefficient is a normal distribution",
            ));
        }
        let cov = t.cov.as_ref().ok_or_else(|| {
            self.compiler.err(
                span.clone(),
                format!("{field}.cov"),
                "a multivariate normal needs `cov`: the covariance matrix, one row per name",
            )
        })?;
        let matrix = super::correlations::plain(cov);
        let (sds, factor) = CorrelationFactor::from_covariance(&matrix, n).map_err(|e| {
            self.compiler
                .matrix_error(cov, &e, names.get_ref(), &matrix, true, &format!("{field}.cov"))
        })?;
        let mut members = Vec::with_capacity(n);
        let mut slots = Vec::with_capacity(n);
        let mut out = Vec::with_capacity(n);
        for (i, name) in names.get_ref().iter().enumerate() {
            let d = Distribution::normal(means[i], sds[i])
                .map_err(|e| self.compiler.err(span.clone(), format!("{field}.mean"), e.0))?;
            let slot = *next_slot;
            *next_slot += 1;
            members.push(draws.len());
            slots.push(slot);
            draws.push(Draw::Member {
                slot,
                distribution: d,
                marginal: d.marginal(),
            });
            out.push((name.clone(), Def::Draw(slot), spec_of(d)));
        }
        draws.push(Draw::Joint(Box::new(Joint {
            members,
            slots,
            factor,
            kind: "mvnormal",
            source: t.source.as_ref().map(|s| s.get_ref().clone()),
        })));
        Ok(out)
    }
}
