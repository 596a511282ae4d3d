//! The checks every constructor and fit runs on its inputs, and the number formatting their error messages use.
use super::FitError;

/// Builds a `FitError` from a message, so every check below stays a single expression.
pub(super) fn fail<T>(message: String) -> Result<T, FitError> {
    Err(FitError(message))
}

/// Formats a number for an error message: six significant digits, so that 0.6² reads 0.36 and not 0.35999999999999993.
pub(super) fn num(x: f64) -> String {
    if x.is_nan() {
        return "NaN (not a number)".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "infinity" } else { "minus infinity" }.to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let a = x.abs();
    if (1e-4..1e9).contains(&a) {
        let decimals = (5 - a.log10().floor() as i32).max(0) as usize;
        let s = format!("{x:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    } else {
        let s = format!("{x:.5e}");
        match s.split_once('e') {
            Some((mantissa, exponent)) if mantissa.contains('.') => {
                format!("{}e{exponent}", mantissa.trim_end_matches('0').trim_end_matches('.'))
            }
            _ => s,
        }
    }
}

/// Rejects NaN and infinite inputs first, so later comparisons (which NaN always fails) cannot give misleading messages.
pub(super) fn check_finite(what: &str, params: &[(&str, f64)]) -> Result<(), FitError> {
    for &(name, value) in params {
        if !value.is_finite() {
            return fail(format!(
                "{what}: {name} is {}, but every parameter must be a finite number. \
                 Check the input for a blank, non-numeric or overflowing value.",
                num(value)
            ));
        }
    }
    Ok(())
}

/// Checks a spread parameter, pointing to a fixed value when it is zero because that is nearly always what was meant.
pub(super) fn check_spread(what: &str, name: &str, value: f64, centre: Option<f64>) -> Result<(), FitError> {
    if value > 0.0 {
        return Ok(());
    }
    if value == 0.0 {
        let fixed = match centre {
            Some(c) => format!("use a fixed value ({}) instead", num(c)),
            None => "use a fixed value instead".to_string(),
        };
        return fail(format!(
            "{what}: {name} is 0, but it must be greater than 0. \
             If this parameter is known exactly, {fixed}."
        ));
    }
    fail(format!(
        "{what}: {name} is {}, but it must be greater than 0. \
         A standard deviation or standard error cannot be negative; check the sign of the input.",
        num(value)
    ))
}

/// Checks a strictly positive shape or scale parameter.
pub(super) fn check_positive(what: &str, name: &str, value: f64) -> Result<(), FitError> {
    if value > 0.0 {
        Ok(())
    } else {
        fail(format!(
            "{what}: {name} is {}, but it must be greater than 0.",
            num(value)
        ))
    }
}

/// Checks `low < high` for bounds and intervals, naming the likely slip (swapped or equal bounds).
pub(super) fn check_ordered(what: &str, low_name: &str, low: f64, high_name: &str, high: f64) -> Result<(), FitError> {
    if low < high {
        return Ok(());
    }
    let hint = if low == high {
        "If the value is known exactly, use a fixed value instead."
    } else {
        "The bounds may have been entered the wrong way round."
    };
    fail(format!(
        "{what}: {low_name} ({}) must be below {high_name} ({}). {hint}",
        num(low),
        num(high)
    ))
}

/// Checks that a mode lies within `[min, max]`.
pub(super) fn check_mode(what: &str, min: f64, mode: f64, max: f64) -> Result<(), FitError> {
    check_ordered(what, "min", min, "max", max)?;
    if (min..=max).contains(&mode) {
        Ok(())
    } else {
        fail(format!(
            "{what}: the mode ({}) must lie between min ({}) and max ({}). \
             Check that the three values are in the order min, mode, max.",
            num(mode),
            num(min),
            num(max)
        ))
    }
}
