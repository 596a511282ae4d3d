//! The arithmetic, comparison and function operations shared by constant folding and evaluation.
//!
//! Folding calls exactly the same functions as the interpreter (whose specialised `+ - * /`
//! instructions are the same IEEE operations), so a folded constant is bit-identical to what
//! the unfolded program would have computed at run time.
//!

#[inline(always)]
pub(super) fn truth(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

// f64::min/max return the other operand when one is NaN; a model input that went NaN
// would then vanish silently, so these propagate it instead.
#[inline(always)]
fn min_nan(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

#[inline(always)]
fn max_nan(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// One-operand operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Un {
    Neg,
    Not,
    /// Normalises a value to 1.0/0.0; ends the right operand of `and`/`or`.
    Truthy,
    Exp,
    Ln,
    Log10,
    Sqrt,
    Abs,
    Floor,
    Ceil,
    Round,
}

impl Un {
    #[inline(always)]
    pub(super) fn apply(self, x: f64) -> f64 {
        match self {
            Un::Neg => -x,
            Un::Not => truth(x == 0.0),
            Un::Truthy => truth(x != 0.0),
            Un::Exp => x.exp(),
            Un::Ln => x.ln(),
            Un::Log10 => x.log10(),
            Un::Sqrt => x.sqrt(),
            Un::Abs => x.abs(),
            Un::Floor => x.floor(),
            Un::Ceil => x.ceil(),
            Un::Round => x.round(),
        }
    }
}

/// Two-operand operations (left operand first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    Min,
    Max,
    RateToProb,
    ProbToRate,
}

impl Bin {
    #[inline(always)]
    pub(super) fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            Bin::Add => a + b,
            Bin::Sub => a - b,
            Bin::Mul => a * b,
            Bin::Div => a / b,
            Bin::Pow => a.powf(b),
            Bin::Lt => truth(a < b),
            Bin::Le => truth(a <= b),
            Bin::Gt => truth(a > b),
            Bin::Ge => truth(a >= b),
            Bin::Eq => truth(a == b),
            Bin::Ne => truth(a != b),
            Bin::Min => min_nan(a, b),
            Bin::Max => max_nan(a, b),
            // 1 - exp(-r t), written with exp_m1 so small rates keep full precision.
            Bin::RateToProb => -(-a * b).exp_m1(),
            // -ln(1 - p) / t, written with ln_1p for the same reason.
            Bin::ProbToRate => -(-a).ln_1p() / b,
        }
    }
}

/// Three-operand operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tri {
    Clamp,
    ConvertProb,
}

impl Tri {
    #[inline(always)]
    pub(super) fn apply(self, a: f64, b: f64, c: f64) -> f64 {
        match self {
            // f64::clamp panics when lo > hi; a sampled pair can cross, and that must
            // show up as NaN in the output rather than abort a run.
            Tri::Clamp => {
                if a.is_nan() || b.is_nan() || c.is_nan() || b > c {
                    f64::NAN
                } else if a < b {
                    b
                } else if a > c {
                    c
                } else {
                    a
                }
            }
            // 1 - (1 - p)^(to / from) = -expm1((to / from) * ln(1 - p)).
            Tri::ConvertProb => -((c / b) * (-a).ln_1p()).exp_m1(),
        }
    }
}
