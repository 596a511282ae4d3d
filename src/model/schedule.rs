//! Time in the model: cycle length, accrual conventions (how a cycle's value is taken from the trace) and discounting.

use serde::Serialize;

/// The length of one model cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CycleLength {
    Year,
    Quarter,
    Month,
    /// One week is 1/52 of a model year, so 52 weekly cycles make a year exactly.
    Week,
}

impl CycleLength {
    /// How many cycles make one year.
    pub fn per_year(self) -> usize {
        match self {
            CycleLength::Year => 1,
            CycleLength::Quarter => 4,
            CycleLength::Month => 12,
            CycleLength::Week => 52,
        }
    }

    /// The cycle length in years.
    pub fn years(self) -> f64 {
        1.0 / self.per_year() as f64
    }

    /// The scenario's spelling.
    pub fn name(self) -> &'static str {
        match self {
            CycleLength::Year => "year",
            CycleLength::Quarter => "quarter",
            CycleLength::Month => "month",
            CycleLength::Week => "week",
        }
    }

    /// Parses the scenario's spelling (`year`, `quarter`, `month`, `week`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "year" => Some(CycleLength::Year),
            "quarter" => Some(CycleLength::Quarter),
            "month" => Some(CycleLength::Month),
            "week" => Some(CycleLength::Week),
            _ => None,
        }
    }
}

/// How the value of a cycle is taken from the state occupancy at its two boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Accrual {
    /// Occupancy at the start of each cycle.
    Start,
    /// Occupancy at the end of each cycle.
    End,
    /// Mean of start and end occupancy (trapezoid rule, the life-table method, "half-cycle correction").
    HalfCycle,
    /// Simpson's 1/3 rule over pairs of cycles (3/8 rule for a final odd triple; trapezoid for a single cycle).
    Simpson,
}

impl Accrual {
    /// Parses the scenario's spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "start" => Some(Accrual::Start),
            "end" => Some(Accrual::End),
            "half-cycle" | "trapezoid" => Some(Accrual::HalfCycle),
            "simpson" => Some(Accrual::Simpson),
            _ => None,
        }
    }

    /// The name as written in scenarios and outputs.
    pub fn name(self) -> &'static str {
        match self {
            Accrual::Start => "start",
            Accrual::End => "end",
            Accrual::HalfCycle => "half-cycle",
            Accrual::Simpson => "simpson",
        }
    }

    /// For each of `n` cycles, the weights of the boundary values (boundary index, weight) that make up its value.
    ///
    /// A cycle's value is Σ weight × f(boundary), where f(k) is the per-cycle flow at boundary k. Summed over all
    /// cycles these give the composite rule; split per cycle they let per-year figures add up to the total exactly.
    pub fn cycle_weights(self, n: usize) -> Vec<Vec<(usize, f64)>> {
        match self {
            Accrual::Start => (0..n).map(|c| vec![(c, 1.0)]).collect(),
            Accrual::End => (0..n).map(|c| vec![(c + 1, 1.0)]).collect(),
            Accrual::HalfCycle => (0..n).map(|c| vec![(c, 0.5), (c + 1, 0.5)]).collect(),
            Accrual::Simpson => simpson_cycle_weights(n),
        }
    }
}

/// Simpson's rule split into per-cycle pieces by integrating the interpolating polynomial over each cycle.
fn simpson_cycle_weights(n: usize) -> Vec<Vec<(usize, f64)>> {
    if n < 2 {
        return Accrual::HalfCycle.cycle_weights(n);
    }
    let mut cycles = Vec::with_capacity(n);
    // Pairs of cycles by the 1/3 rule; when n is odd the last three cycles use the 3/8 rule instead.
    let pairs_end = if n.is_multiple_of(2) { n } else { n - 3 };
    let mut c = 0;
    while c < pairs_end {
        // ∫ over [0,1] and [1,2] of the quadratic through f0, f1, f2.
        cycles.push(vec![(c, 5.0 / 12.0), (c + 1, 8.0 / 12.0), (c + 2, -1.0 / 12.0)]);
        cycles.push(vec![(c, -1.0 / 12.0), (c + 1, 8.0 / 12.0), (c + 2, 5.0 / 12.0)]);
        c += 2;
    }
    if !n.is_multiple_of(2) {
        // ∫ over each of three intervals of the cubic through f0..f3; together 3/8·(f0 + 3f1 + 3f2 + f3).
        cycles.push(vec![
            (c, 9.0 / 24.0),
            (c + 1, 19.0 / 24.0),
            (c + 2, -5.0 / 24.0),
            (c + 3, 1.0 / 24.0),
        ]);
        cycles.push(vec![
            (c, -1.0 / 24.0),
            (c + 1, 13.0 / 24.0),
            (c + 2, 13.0 / 24.0),
            (c + 3, -1.0 / 24.0),
        ]);
        cycles.push(vec![
            (c, 1.0 / 24.0),
            (c + 1, -5.0 / 24.0),
            (c + 2, 19.0 / 24.0),
            (c + 3, 9.0 / 24.0),
        ]);
    }
    cycles
}

/// When a cycle's value is discounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiscountTiming {
    /// Each boundary's value at its own time: a cycle's value under half-cycle accrual is half its start discounted to
    /// its start and half its end discounted to its end.
    Boundary,
    /// Each cycle's value at the cycle's start, whatever boundaries it is taken from (as heemod discounts).
    CycleStart,
}

impl DiscountTiming {
    /// Parses the scenario's spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "boundary" => Some(DiscountTiming::Boundary),
            "cycle-start" => Some(DiscountTiming::CycleStart),
            _ => None,
        }
    }

    /// The name as written in scenarios and outputs.
    pub fn name(self) -> &'static str {
        match self {
            DiscountTiming::Boundary => "boundary",
            DiscountTiming::CycleStart => "cycle-start",
        }
    }

    /// What it means, in words for outputs.
    pub fn describe(self) -> &'static str {
        match self {
            DiscountTiming::Boundary => "each boundary at its own time",
            DiscountTiming::CycleStart => "each cycle at its start",
        }
    }
}

/// Discrete (annual compounding) or continuous discounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Discounting {
    /// Factor (1 + r)^−t for t years, compounding annually (fractional years allowed).
    Discrete,
    /// Factor e^(−r·t).
    Continuous,
}

impl Discounting {
    /// Parses the scenario's spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "discrete" => Some(Discounting::Discrete),
            "continuous" => Some(Discounting::Continuous),
            _ => None,
        }
    }

    /// The scenario's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Discounting::Discrete => "discrete",
            Discounting::Continuous => "continuous",
        }
    }
}

/// An annual discount rate schedule: `rate` applies from `from_year` until the next step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiscountSchedule {
    /// Steps sorted by `from_year`; the first starts at year 0.
    pub steps: Vec<RateStep>,
}

/// One step of a discount schedule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RateStep {
    /// The year (from the start of the programme) at which this rate starts to apply.
    pub from_year: f64,
    /// The annual rate (0.035 for 3.5%).
    pub rate: f64,
}

impl DiscountSchedule {
    /// One rate for all years.
    pub fn flat(rate: f64) -> Self {
        DiscountSchedule {
            steps: vec![RateStep { from_year: 0.0, rate }],
        }
    }

    /// HM Treasury Green Book declining long-term schedule: 3.5% for years 0–30, 3.0% to 75, 2.5% to 125,
    /// 2.0% to 200, 1.5% to 300, 1.0% beyond (evidence.md §8a, source S42).
    pub fn treasury() -> Self {
        let steps = [
            (0.0, 0.035),
            (30.0, 0.03),
            (75.0, 0.025),
            (125.0, 0.02),
            (200.0, 0.015),
            (300.0, 0.01),
        ];
        DiscountSchedule {
            steps: steps
                .iter()
                .map(|&(from_year, rate)| RateStep { from_year, rate })
                .collect(),
        }
    }

    /// The discount factor for a value at `t` years from the start: each year is discounted at the rate in force then.
    pub fn factor(&self, t: f64, mode: Discounting) -> f64 {
        let mut log_factor = 0.0;
        for (i, step) in self.steps.iter().enumerate() {
            let end = self.steps.get(i + 1).map_or(f64::INFINITY, |next| next.from_year);
            let span = (t.min(end) - step.from_year).max(0.0);
            if span == 0.0 {
                continue;
            }
            log_factor -= match mode {
                Discounting::Discrete => span * (1.0 + step.rate).ln(),
                Discounting::Continuous => span * step.rate,
            };
        }
        log_factor.exp()
    }

    /// A short description for outputs ("3.5% a year", or the steps).
    pub fn describe(&self) -> String {
        // Rounded so that 0.035 reads "3.5%", not "3.5000000000000004%".
        let percent = |rate: f64| (rate * 100.0 * 1e9).round() / 1e9;
        if self.steps.len() == 1 {
            format!("{}% a year", percent(self.steps[0].rate))
        } else {
            let parts: Vec<String> = self
                .steps
                .iter()
                .map(|s| format!("{}% from year {}", percent(s.rate), s.from_year))
                .collect();
            parts.join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_discrete_factor_is_compound() {
        let d = DiscountSchedule::flat(0.035);
        assert!((d.factor(30.0, Discounting::Discrete) - 1.035f64.powi(-30)).abs() < 1e-12);
        assert!((d.factor(0.5, Discounting::Discrete) - 1.035f64.powf(-0.5)).abs() < 1e-12);
        assert_eq!(d.factor(0.0, Discounting::Discrete), 1.0);
    }

    #[test]
    fn treasury_schedule_steps_down_after_thirty_years() {
        // evidence.md T22: DF(30) = 1.035^-30 = 0.3563; DF(31) = DF(30)/1.03.
        let d = DiscountSchedule::treasury();
        let df30 = d.factor(30.0, Discounting::Discrete);
        assert!((df30 - 0.356_278_6).abs() < 1e-6, "{df30}");
        assert!((d.factor(31.0, Discounting::Discrete) - df30 / 1.03).abs() < 1e-12);
        let df75 = df30 / 1.03f64.powi(45);
        assert!((d.factor(76.0, Discounting::Discrete) - df75 / 1.025).abs() < 1e-12);
    }

    #[test]
    fn descriptions_read_as_people_write_rates() {
        assert_eq!(DiscountSchedule::flat(0.035).describe(), "3.5% a year");
        assert!(DiscountSchedule::treasury()
            .describe()
            .starts_with("3.5% from year 0, 3% from year 30"));
    }

    #[test]
    fn continuous_discounting_is_exponential() {
        let d = DiscountSchedule::flat(0.05);
        assert!((d.factor(2.0, Discounting::Continuous) - (-0.1f64).exp()).abs() < 1e-15);
    }

    fn total_weights(accrual: Accrual, n: usize) -> Vec<f64> {
        let mut w = vec![0.0; n + 1];
        for cycle in accrual.cycle_weights(n) {
            for (k, x) in cycle {
                w[k] += x;
            }
        }
        w
    }

    #[test]
    fn composite_rules_have_the_textbook_weights() {
        assert_eq!(total_weights(Accrual::Start, 3), vec![1.0, 1.0, 1.0, 0.0]);
        assert_eq!(total_weights(Accrual::End, 3), vec![0.0, 1.0, 1.0, 1.0]);
        assert_eq!(total_weights(Accrual::HalfCycle, 3), vec![0.5, 1.0, 1.0, 0.5]);
        let s4 = total_weights(Accrual::Simpson, 4);
        let expect = [1.0, 4.0, 2.0, 4.0, 1.0].map(|x| x / 3.0);
        for (a, b) in s4.iter().zip(expect) {
            assert!((a - b).abs() < 1e-12, "{s4:?}");
        }
        // n = 3: Simpson's 3/8 rule.
        let s3 = total_weights(Accrual::Simpson, 3);
        let expect = [1.0, 3.0, 3.0, 1.0].map(|x| x * 3.0 / 8.0);
        for (a, b) in s3.iter().zip(expect) {
            assert!((a - b).abs() < 1e-12, "{s3:?}");
        }
    }

    #[test]
    fn simpson_integrates_cubics_exactly_per_cycle() {
        // f(x) = x^3 on boundaries 0..=5: each cycle's piece must be exact where a cubic/quadratic rule applies.
        let f = |x: f64| x * x * x;
        let n = 5;
        let weights = Accrual::Simpson.cycle_weights(n);
        let total: f64 = weights.iter().flatten().map(|&(k, w)| w * f(k as f64)).sum();
        assert!((total - 5f64.powi(4) / 4.0).abs() < 1e-9, "{total}");
        // The last three cycles (3/8 rule on a cubic) are exact one by one.
        for (c, cycle) in weights.iter().enumerate().skip(2) {
            let piece: f64 = cycle.iter().map(|&(k, w)| w * f(k as f64)).sum();
            let exact = ((c + 1) as f64).powi(4) / 4.0 - (c as f64).powi(4) / 4.0;
            assert!((piece - exact).abs() < 1e-9, "cycle {c}: {piece} vs {exact}");
        }
    }
}
