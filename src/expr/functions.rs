//! The built-in function table (names, arities, usage) and typo suggestions for names.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Func {
    Min,
    Max,
    Exp,
    Ln,
    Log10,
    Sqrt,
    Abs,
    Floor,
    Ceil,
    Round,
    Pow,
    Clamp,
    If,
    RateToProb,
    ProbToRate,
    ConvertProb,
}

pub(super) struct FuncInfo {
    pub(super) name: &'static str,
    pub(super) func: Func,
    pub(super) min_args: usize,
    pub(super) max_args: usize,
    pub(super) usage: &'static str,
}

const fn info(name: &'static str, func: Func, min_args: usize, max_args: usize, usage: &'static str) -> FuncInfo {
    FuncInfo {
        name,
        func,
        min_args,
        max_args,
        usage,
    }
}

pub(super) const FUNCTIONS: &[FuncInfo] = &[
    info("min", Func::Min, 2, usize::MAX, "min(a, b, ...)"),
    info("max", Func::Max, 2, usize::MAX, "max(a, b, ...)"),
    info("exp", Func::Exp, 1, 1, "exp(x)"),
    info("ln", Func::Ln, 1, 1, "ln(x)"),
    info("log10", Func::Log10, 1, 1, "log10(x)"),
    info("sqrt", Func::Sqrt, 1, 1, "sqrt(x)"),
    info("abs", Func::Abs, 1, 1, "abs(x)"),
    info("floor", Func::Floor, 1, 1, "floor(x)"),
    info("ceil", Func::Ceil, 1, 1, "ceil(x)"),
    info("round", Func::Round, 1, 1, "round(x)"),
    info("pow", Func::Pow, 2, 2, "pow(base, exponent)"),
    info("clamp", Func::Clamp, 3, 3, "clamp(x, lo, hi)"),
    info("if", Func::If, 3, 3, "if(condition, value_if_true, value_if_false)"),
    info("rate_to_prob", Func::RateToProb, 2, 2, "rate_to_prob(rate, years)"),
    info("prob_to_rate", Func::ProbToRate, 2, 2, "prob_to_rate(prob, years)"),
    info(
        "convert_prob",
        Func::ConvertProb,
        3,
        3,
        "convert_prob(prob, from_years, to_years)",
    ),
];

/// Names of every built-in function, e.g. for editor completion or documentation.
pub fn function_names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|f| f.name)
}

/// The closest candidate to `name`, if it is close enough to be a plausible typo.
pub(super) fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    // One edit is always a plausible typo (except for one-letter names, where every other
    // one-letter name would qualify); longer names tolerate about one edit per three chars.
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    let mut all = Vec::new();
    for cand in candidates {
        if cand == name {
            continue;
        }
        let d = strsim::damerau_levenshtein(&lower, &cand.to_lowercase());
        let plausible = d <= limit && (d < name.chars().count() || d == 0);
        if plausible && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, cand));
        }
        all.push(cand);
    }
    // Beyond one edit, a name with the same words ("p_dead" for "p_die") is the likelier meaning.
    match best {
        Some((d, c)) if d <= 1 => Some(c),
        _ => crate::error::closest_by_words(name, &all).or(best.map(|(_, c)| c)),
    }
}
