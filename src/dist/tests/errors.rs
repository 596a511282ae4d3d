//! Error paths: invalid parameters are rejected with messages that give the numbers and a way out.
use super::*;

#[test]
fn invalid_parameters_are_rejected() {
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    let bad: Vec<(&str, Result<Distribution, FitError>)> = vec![
        ("fixed NaN", Distribution::fixed(nan)),
        ("uniform low = high", Distribution::uniform(1.0, 1.0)),
        ("uniform low > high", Distribution::uniform(2.0, 1.0)),
        ("uniform infinite", Distribution::uniform(0.0, inf)),
        ("normal sd 0", Distribution::normal(1.0, 0.0)),
        ("normal sd < 0", Distribution::normal(1.0, -1.0)),
        ("normal NaN mean", Distribution::normal(nan, 1.0)),
        ("lognormal sdlog 0", Distribution::lognormal(0.0, 0.0)),
        ("lognormal NaN", Distribution::lognormal(0.0, nan)),
        ("gamma shape 0", Distribution::gamma(0.0, 1.0)),
        ("gamma scale < 0", Distribution::gamma(1.0, -1.0)),
        ("beta alpha < 0", Distribution::beta(-1.0, 1.0)),
        ("beta beta NaN", Distribution::beta(1.0, nan)),
        ("triangular mode > max", Distribution::triangular(1.0, 5.0, 3.0)),
        ("triangular mode < min", Distribution::triangular(1.0, 0.0, 3.0)),
        ("triangular min = max", Distribution::triangular(1.0, 1.0, 1.0)),
        ("pert mode outside", Distribution::pert(0.0, 2.0, 1.0, 4.0)),
        ("pert lambda 0", Distribution::pert(0.0, 0.5, 1.0, 0.0)),
        ("pert NaN", Distribution::pert(0.0, nan, 1.0, 4.0)),
        (
            "lognormal moments mean 0",
            Distribution::lognormal_from_moments(0.0, 1.0),
        ),
        ("lognormal moments sd 0", Distribution::lognormal_from_moments(1.0, 0.0)),
        ("gamma moments mean < 0", Distribution::gamma_from_moments(-5.0, 1.0)),
        ("gamma moments sd < 0", Distribution::gamma_from_moments(5.0, -1.0)),
        ("gamma moments NaN", Distribution::gamma_from_moments(nan, 1.0)),
        ("beta moments impossible", Distribution::beta_from_moments(0.5, 0.6)),
        ("beta moments at the limit", Distribution::beta_from_moments(0.5, 0.5)),
        ("beta moments mean 1", Distribution::beta_from_moments(1.0, 0.1)),
        ("beta moments mean 0", Distribution::beta_from_moments(0.0, 0.1)),
        ("beta moments sd 0", Distribution::beta_from_moments(0.5, 0.0)),
        ("beta moments NaN", Distribution::beta_from_moments(0.5, nan)),
        ("normal interval reversed", Distribution::normal_from_interval(3.0, 1.0)),
        ("normal interval equal", Distribution::normal_from_interval(1.0, 1.0)),
        (
            "lognormal interval at 0",
            Distribution::lognormal_from_interval(0.0, 1.0),
        ),
        (
            "lognormal interval reversed",
            Distribution::lognormal_from_interval(1.07, 0.75),
        ),
        ("gamma interval negative", Distribution::gamma_from_interval(-1.0, 1.0)),
        ("gamma interval reversed", Distribution::gamma_from_interval(2.0, 1.0)),
        (
            "gamma interval too narrow",
            Distribution::gamma_from_interval(1.0, 1.000_001),
        ),
        ("gamma interval NaN", Distribution::gamma_from_interval(nan, 1.0)),
        ("beta interval above 1", Distribution::beta_from_interval(53.0, 68.0)),
        ("beta interval at 0", Distribution::beta_from_interval(0.0, 0.5)),
        ("beta interval reversed", Distribution::beta_from_interval(0.68, 0.53)),
        (
            "beta interval too narrow",
            Distribution::beta_from_interval(0.6, 0.600_000_1),
        ),
        ("beta interval infinite", Distribution::beta_from_interval(0.5, inf)),
    ];
    for (what, result) in bad {
        let err = result.expect_err(what);
        assert!(
            err.0.ends_with('.') && err.0.len() > 40,
            "{what}: message too terse: {err}"
        );
    }
}

#[test]
fn error_messages_give_the_numbers_and_a_way_out() {
    let e = Distribution::beta_from_moments(0.5, 0.6).unwrap_err().to_string();
    for needed in ["0.36", "0.25", "mean·(1−mean)", "percentage", "standard error"] {
        assert!(e.contains(needed), "missing {needed:?} in: {e}");
    }
    let e = Distribution::beta_from_moments(76.0, 3.0).unwrap_err().to_string();
    assert!(e.contains("percentage") && e.contains("0.76"), "{e}");
    let e = Distribution::normal(3.0, 0.0).unwrap_err().to_string();
    assert!(e.contains("fixed value (3)"), "{e}");
    let e = Distribution::normal(f64::NAN, 1.0).unwrap_err().to_string();
    assert!(e.contains("mean is NaN"), "{e}");
    let e = Distribution::triangular(1.0, 5.0, 3.0).unwrap_err().to_string();
    assert!(
        e.contains("mode (5)") && e.contains("min (1)") && e.contains("max (3)"),
        "{e}"
    );
    let e = Distribution::uniform(2.0, 1.0).unwrap_err().to_string();
    assert!(e.contains("wrong way round"), "{e}");
    let e = Distribution::gamma_from_interval(1.0, 1.000_001)
        .unwrap_err()
        .to_string();
    assert!(e.contains("a normal distribution with the same ci95"), "{e}");
    let e = Distribution::gamma_from_interval(1.0, 1e300).unwrap_err().to_string();
    assert!(
        e.contains("same units") && e.contains("or use a lognormal distribution."),
        "{e}"
    );
    // Messages read as sentences in the user's terms: no run of spaces from a lost line continuation, no Rust names.
    for e in [
        Distribution::gamma_from_interval(1.0, 1.000_001),
        Distribution::gamma_from_interval(1.0, 1e300),
        Distribution::beta_from_interval(0.6, 0.600_000_1),
        Distribution::lognormal_from_interval(-1.0, 1.0),
    ] {
        let e = e.unwrap_err().to_string();
        assert!(!e.contains("  ") && !e.contains("_from_"), "{e}");
    }
    let e = Distribution::beta_from_interval(0.6, 0.600_000_1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("a normal distribution with the same ci95"), "{e}");
    let e = Distribution::beta_from_interval(53.0, 68.0).unwrap_err().to_string();
    assert!(e.contains("percentages"), "{e}");
}

#[test]
fn validated_rechecks_directly_built_variants() {
    assert!(Distribution::Normal { mean: 0.0, sd: -1.0 }.validated().is_err());
    let ok = Distribution::Beta { alpha: 2.0, beta: 3.0 };
    assert_eq!(ok.validated(), Ok(ok));
}
