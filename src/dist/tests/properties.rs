//! Moments and quantiles against hand-computed values; support and descriptions.
use super::*;

#[test]
fn mean_and_sd_match_closed_forms() {
    let cases: [(Distribution, f64, f64); 10] = [
        (Distribution::Fixed(4.0), 4.0, 0.0),
        (Distribution::Uniform { low: 2.0, high: 5.0 }, 3.5, 3.0 / 12f64.sqrt()),
        (Distribution::Normal { mean: 10.0, sd: 3.0 }, 10.0, 3.0),
        // exp(μ + σ²/2) and mean·sqrt(exp(σ²) − 1) with μ = 0.1, σ = 0.5.
        (
            Distribution::LogNormal {
                meanlog: 0.1,
                sdlog: 0.5,
            },
            0.225f64.exp(),
            0.225f64.exp() * (0.25f64.exp() - 1.0).sqrt(),
        ),
        (Distribution::Gamma { shape: 2.0, scale: 3.0 }, 6.0, 2f64.sqrt() * 3.0),
        // 2/7 and sqrt(2·5 / (7²·8)).
        (
            Distribution::Beta { alpha: 2.0, beta: 5.0 },
            2.0 / 7.0,
            (10.0f64 / 392.0).sqrt(),
        ),
        // (1+2+6)/3 and sqrt((1+4+36−2−6−12)/18).
        (
            Distribution::Triangular {
                min: 1.0,
                mode: 2.0,
                max: 6.0,
            },
            3.0,
            (21.0f64 / 18.0).sqrt(),
        ),
        // PERT mean (min + λ·mode + max)/(λ+2) = (10 + 80 + 60)/6; Beta(1.8, 4.2) var = 7.56/(36·7) = 0.03.
        (
            Distribution::Pert {
                min: 10.0,
                mode: 20.0,
                max: 60.0,
                lambda: 4.0,
            },
            25.0,
            50.0 * 0.03f64.sqrt(),
        ),
        // λ = 2: Beta(1 + 2·0.25, 1 + 2·0.75) = Beta(1.5, 2.5) on [0, 4]: mean (0 + 2 + 4)/4 = 1.5.
        (
            Distribution::Pert {
                min: 0.0,
                mode: 1.0,
                max: 4.0,
                lambda: 2.0,
            },
            1.5,
            4.0 * (1.5f64 * 2.5 / (16.0 * 5.0)).sqrt(),
        ),
        (
            Distribution::Beta { alpha: 0.5, beta: 3.0 },
            0.5 / 3.5,
            (1.5f64 / (3.5 * 3.5 * 4.5)).sqrt(),
        ),
    ];
    for (d, mean, sd) in cases {
        assert_rel(d.mean(), mean, 1e-14, &format!("{} mean", d.describe()));
        assert_close(d.sd(), sd, 1e-14 * sd, &format!("{} sd", d.describe()));
    }
}

#[test]
fn quantiles_match_known_values() {
    let z = 1.959_963_984_540_054;
    let n = Distribution::normal(10.0, 3.0).unwrap();
    assert_rel(n.quantile(0.975), 10.0 + z * 3.0, 1e-12, "normal 97.5%");
    assert_rel(n.quantile(0.025), 10.0 - z * 3.0, 1e-12, "normal 2.5%");
    assert_rel(n.quantile(0.5), 10.0, 1e-14, "normal median");

    let l = Distribution::lognormal(0.1, 0.5).unwrap();
    assert_rel(l.quantile(0.5), 0.1f64.exp(), 1e-12, "lognormal median");
    assert_rel(l.quantile(0.975), (0.1 + 0.5 * z).exp(), 1e-12, "lognormal 97.5%");

    // Gamma(1, θ) is exponential: −θ·ln(1 − p). Gamma(1.5, 2) is χ² with 3 df (95%: 7.814727903251178).
    let e = Distribution::gamma(1.0, 2.0).unwrap();
    for p in [0.01, 0.3, 0.9, 0.999] {
        assert_rel(e.quantile(p), -2.0 * (-p).ln_1p(), 1e-12, "exponential quantile");
    }
    assert_rel(
        Distribution::gamma(1.5, 2.0).unwrap().quantile(0.95),
        7.814_727_903_251_178,
        1e-12,
        "chi2(3)",
    );
    // Small-shape lower tail, where statrs' own inverse stops near 1e-9 (reference: mpmath).
    assert_rel(
        Distribution::gamma(0.2, 1.0).unwrap().quantile(0.025),
        6.372_539_920_029_758e-9,
        1e-12,
        "Gamma(0.2)",
    );
    assert_rel(
        Distribution::gamma(0.1, 1.0).unwrap().quantile(0.025),
        5.791_710_245_521_434e-17,
        1e-12,
        "Gamma(0.1)",
    );

    assert_rel(
        Distribution::beta(2.0, 5.0).unwrap().quantile(0.5),
        0.264_449_983_295_66,
        1e-12,
        "Beta(2, 5) median",
    );
    let b21 = Distribution::beta(2.0, 1.0).unwrap();
    assert_rel(b21.quantile(0.3), 0.3f64.sqrt(), 1e-12, "Beta(2, 1) = sqrt(p)");
    // Large shapes, beyond statrs' 140-term continued fraction (reference: mpmath).
    let big = Distribution::beta(1e5, 3e5).unwrap();
    assert_rel(big.quantile(0.025), 0.248_659_291_108_810_5, 1e-12, "Beta(1e5, 3e5)");

    assert_rel(
        Distribution::uniform(2.0, 5.0).unwrap().quantile(0.3),
        2.9,
        1e-14,
        "uniform",
    );
    let t = Distribution::triangular(0.0, 0.5, 1.0).unwrap();
    assert_rel(t.quantile(0.125), 0.25, 1e-14, "triangular left");
    assert_rel(t.quantile(0.5), 0.5, 1e-14, "triangular mode");
    assert_rel(t.quantile(0.875), 0.75, 1e-14, "triangular right");
    // PERT(0, 0, 10, λ=4) = 10·Beta(1, 5): quantile 10·(1 − (1 − p)^(1/5)).
    let p = Distribution::pert(0.0, 0.0, 10.0, 4.0).unwrap();
    assert_rel(p.quantile(0.4), 10.0 * (1.0 - 0.6f64.powf(0.2)), 1e-12, "PERT");
    assert_rel(
        Distribution::pert(0.0, 0.5, 1.0, 4.0).unwrap().quantile(0.5),
        0.5,
        1e-12,
        "PERT median",
    );
    assert_eq!(Distribution::fixed(3.0).unwrap().quantile(0.9), 3.0);

    assert_eq!(Distribution::gamma(2.0, 3.0).unwrap().quantile(0.0), 0.0);
    assert_eq!(Distribution::beta(2.0, 3.0).unwrap().quantile(1.0), 1.0);
    assert!(n.quantile(1.5).is_nan() && n.quantile(f64::NAN).is_nan());
}

#[test]
fn support_and_describe() {
    assert_eq!(
        Distribution::normal(0.0, 1.0).unwrap().support(),
        (f64::NEG_INFINITY, f64::INFINITY)
    );
    assert_eq!(Distribution::gamma(2.0, 1.0).unwrap().support(), (0.0, f64::INFINITY));
    assert_eq!(Distribution::pert(1.0, 2.0, 5.0, 4.0).unwrap().support(), (1.0, 5.0));
    assert_eq!(
        Distribution::beta_from_moments(0.76, 0.03).unwrap().describe(),
        "Beta(α = 153.27, β = 48.40)"
    );
    assert_eq!(
        Distribution::normal(0.0012, 0.0003).unwrap().describe(),
        "Normal(mean = 0.0012, sd = 0.0003)"
    );
    assert_eq!(
        Distribution::gamma_from_moments(250_000.0, 50_000.0)
            .unwrap()
            .to_string(),
        "Gamma(shape = 25.00, scale = 10000.00)"
    );
}
