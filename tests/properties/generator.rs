//! The generator of random valid scenarios: each scenario is built from a list of small numbers ("choices"), 0
//! always meaning the simplest option, so that proptest's shrinking (towards zeros) shrinks the scenario.

#![allow(dead_code)]

/// The choices a scenario is built from; past the end of the list every choice is 0.
pub(crate) struct Choices {
    pub(crate) values: Vec<u8>,
    pub(crate) at: usize,
}

impl Choices {
    pub(crate) fn byte(&mut self) -> u32 {
        let v = self.values.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        u32::from(v)
    }

    /// A number from 0 to n − 1.
    pub(crate) fn below(&mut self, n: u32) -> u32 {
        match n {
            0 | 1 => 0,
            2..=256 => self.byte() % n,
            _ => (self.byte() | self.byte() << 8) % n,
        }
    }

    /// A number from lo to hi, both included.
    pub(crate) fn between(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below(hi - lo + 1)
    }

    /// True with about this percentage (false for the choice 0).
    pub(crate) fn chance(&mut self, percent: u32) -> bool {
        self.below(100) >= 100 - percent
    }

    pub(crate) fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize].clone()
    }
}

/// `k / scale` as the shortest decimal that reads back to the same number (so 3 / 10 is written `0.3`).
pub(crate) fn dec(k: u32, scale: u32) -> String {
    format!("{:?}", f64::from(k) / f64::from(scale))
}

/// The parameters of a scenario, and which names can stand where.
#[derive(Default)]
pub(crate) struct Params {
    pub(crate) lines: Vec<String>,
    /// Names whose every value lies in [0, 1].
    pub(crate) probs: Vec<String>,
    /// Names of costs (any finite value, not time-dependent).
    pub(crate) costs: Vec<String>,
    /// Names of utilities (in [0, 1]).
    pub(crate) utilities: Vec<String>,
    /// Distribution parameters that arms and subgroups may override, with their kind.
    pub(crate) overridable: Vec<(String, Kind)>,
}

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    Prob,
    Cost,
    Utility,
}

/// A parameter whose every value lies in [0, 0.9] (beta: [0, 1]), in one of several families.
pub(crate) fn prob_value(c: &mut Choices) -> String {
    let (lo, width) = (c.between(0, 60), c.between(1, 30));
    let (low, mode, high) = (dec(lo, 100), dec(lo + c.below(width + 1), 100), dec(lo + width, 100));
    let (value, lambda, alpha, beta) = (
        dec(c.between(0, 90), 100),
        c.between(1, 8),
        c.between(5, 400),
        c.between(5, 400),
    );
    let (alpha, beta, ci_low, ci_high) = (
        dec(alpha, 10),
        dec(beta, 10),
        dec(lo + 5, 100),
        dec(lo + 5 + width, 100),
    );
    // A beta's sd is a fraction of the largest its mean allows, so that α and β are positive.
    let m = f64::from(c.between(2, 90)) / 100.0;
    let sd = ((m * (1.0 - m)).sqrt() * f64::from(c.between(5, 50)) / 100.0 * 1e4).floor() / 1e4;
    match c.below(8) {
        0 => value,
        1 => format!("{{ dist = \"fixed\", value = {value} }}"),
        2 => format!("{{ dist = \"uniform\", low = {low}, high = {high} }}"),
        3 => format!("{{ dist = \"beta\", mean = {m:?}, sd = {sd:?} }}"),
        4 => format!("{{ dist = \"beta\", alpha = {alpha}, beta = {beta} }}"),
        5 => format!("{{ dist = \"triangular\", min = {low}, mode = {mode}, max = {high} }}"),
        6 => format!("{{ dist = \"pert\", min = {low}, mode = {mode}, max = {high}, lambda = {lambda} }}"),
        _ => format!("{{ dist = \"beta\", ci95 = [{ci_low}, {ci_high}] }}"),
    }
}

/// A cost parameter in one of several families (positive apart from a normal's far tail).
pub(crate) fn cost_value(c: &mut Choices) -> String {
    let mean = c.between(1, 5000);
    let sd = f64::from(mean * c.between(5, 100)) / 100.0;
    let (low, high, quarter_sd) = (mean / 2, mean + c.between(1, 2000), sd / 4.0);
    let (shape, rate, meanlog, sdlog) = (c.between(5, 100), c.between(1, 100), c.between(0, 80), c.between(1, 10));
    let (shape, rate, meanlog, sdlog) = (dec(shape, 10), dec(rate, 1000), dec(meanlog, 10), dec(sdlog, 10));
    let (family, ci_low) = (c.pick(&["gamma", "lognormal", "normal"]), low.max(1));
    match c.below(11) {
        0 => mean.to_string(),
        1 => format!("{{ dist = \"gamma\", mean = {mean}, sd = {sd:?} }}"),
        2 => format!("{{ dist = \"gamma\", shape = {shape}, scale = {mean} }}"),
        3 => format!("{{ dist = \"gamma\", shape = {shape}, rate = {rate} }}"),
        4 => format!("{{ dist = \"normal\", mean = {mean}, sd = {quarter_sd:?} }}"),
        5 => format!("{{ dist = \"lognormal\", mean = {mean}, sd = {sd:?} }}"),
        6 => format!("{{ dist = \"lognormal\", meanlog = {meanlog}, sdlog = {sdlog} }}"),
        7 => format!("{{ dist = \"uniform\", low = {low}, high = {high} }}"),
        8 => format!("{{ dist = \"triangular\", min = {low}, mode = {mean}, max = {high} }}"),
        9 => format!("{{ dist = \"pert\", min = {low}, mode = {mean}, max = {high} }}"),
        _ => format!("{{ dist = \"{family}\", ci95 = [{ci_low}, {high}] }}"),
    }
}

/// A utility parameter: fixed, uniform or beta, within [0, 1].
pub(crate) fn utility_value(c: &mut Choices) -> String {
    let (m, low, sd) = (
        dec(c.between(30, 95), 100),
        dec(c.between(10, 30), 100),
        dec(c.between(1, 5), 100),
    );
    match c.below(3) {
        0 => m,
        1 => format!("{{ dist = \"uniform\", low = {low}, high = {m} }}"),
        _ => format!("{{ dist = \"beta\", mean = {m}, sd = {sd} }}"),
    }
}

pub(crate) fn value_of(kind: Kind, c: &mut Choices) -> String {
    match kind {
        Kind::Prob => prob_value(c),
        Kind::Cost => cost_value(c),
        Kind::Utility => utility_value(c),
    }
}

/// The parameters: probabilities, costs and utilities of every family, and expressions of them.
pub(crate) fn parameters(c: &mut Choices) -> Params {
    let mut p = Params::default();
    for (kind, prefix, count) in [
        (Kind::Prob, "p", c.between(1, 4)),
        (Kind::Cost, "c", c.between(1, 4)),
        (Kind::Utility, "u", c.between(0, 2)),
    ] {
        for i in 0..count {
            let name = format!("{prefix}{i}");
            p.lines.push(format!("{name} = {}", value_of(kind, c)));
            p.overridable.push((name.clone(), kind));
            match kind {
                Kind::Prob => p.probs.push(name),
                Kind::Cost => p.costs.push(name),
                Kind::Utility => p.utilities.push(name),
            }
        }
    }
    // Expressions of parameters defined before them, so that no cycle is possible.
    for i in 0..c.below(3) {
        let (a, b) = (c.pick(&p.probs), c.pick(&p.probs));
        let text = c.pick(&[
            format!("{a} * {b}"),
            format!("min({a}, {b})"),
            format!("({a} + {b}) / 2"),
            format!("convert_prob({a}, 1, 0.5)"),
            format!("clamp({a} * 1.5, 0, 1)"),
        ]);
        p.lines.push(format!("pe{i} = \"{text}\""));
        p.probs.push(format!("pe{i}"));
    }
    for i in 0..c.below(3) {
        let (a, b) = (c.pick(&p.costs), c.pick(&p.costs));
        let text = c.pick(&[
            format!("{a} * 1.2 + 10"),
            format!("{a} + {b}"),
            format!("max({a}, {b}) / 2"),
        ]);
        p.lines.push(format!("ce{i} = \"{text}\""));
        p.costs.push(format!("ce{i}"));
    }
    p
}

/// A state of the scenario as generated.
#[derive(Clone, Debug)]
pub(crate) struct State {
    pub(crate) name: String,
    pub(crate) dead: bool,
    pub(crate) per: Option<&'static str>,
    /// `payer = value` lines.
    pub(crate) costs: Vec<String>,
    /// `outcome = value` lines.
    pub(crate) outcomes: Vec<String>,
}

/// An intervention cost of an arm.
#[derive(Clone, Debug)]
pub(crate) struct ArmCost {
    pub(crate) name: String,
    pub(crate) kind: &'static str,
    pub(crate) payer: &'static str,
    pub(crate) amount: String,
    pub(crate) per: Option<&'static str>,
    pub(crate) states: Option<Vec<String>>,
    pub(crate) years: (Option<String>, Option<String>),
    pub(crate) capacity: Option<u32>,
}

#[derive(Clone, Debug)]
pub(crate) struct Arm {
    pub(crate) name: String,
    /// `name = value` overrides.
    pub(crate) overrides: Vec<String>,
    pub(crate) start: Option<Vec<String>>,
    pub(crate) transitions: Vec<(String, String)>,
    pub(crate) costs: Vec<ArmCost>,
}

/// A generated scenario, kept in parts so that the checks can write variants of it.
#[derive(Clone, Debug)]
pub(crate) struct Spec {
    /// `key = value` lines of [settings] other than mode.
    pub(crate) settings: Vec<String>,
    pub(crate) horizon: usize,
    pub(crate) per_year: usize,
    pub(crate) accrual: &'static str,
    pub(crate) continuous: bool,
    pub(crate) rate_outcomes: f64,
    pub(crate) parameters: Vec<String>,
    pub(crate) states: Vec<State>,
    pub(crate) start: Vec<String>,
    pub(crate) rows: Vec<(String, String)>,
    pub(crate) arms: Vec<Arm>,
    pub(crate) size: u64,
    /// Entry shares in tenths, by programme year (None: all at the start).
    pub(crate) entry: Option<Vec<u32>>,
    /// Name, share in twentieths, overrides.
    pub(crate) subgroups: Vec<(String, u32, Vec<String>)>,
}

pub(crate) const PERS: [&str; 5] = ["year", "quarter", "month", "week", "cycle"];
pub(crate) const PAYERS: [&str; 3] = ["council", "nhs", "person"];

/// A cost amount: a number, a cost parameter, or (where `dynamic`) an expression that may depend on time.
pub(crate) fn amount(c: &mut Choices, p: &Params, dynamic: bool) -> String {
    let a = c.pick(&p.costs);
    match c.below(if dynamic { 5 } else { 4 }) {
        0 => c.between(0, 3000).to_string(),
        1 => format!("\"{a}\""),
        2 => format!("\"{a} * 0.5 + 100\""),
        3 => format!("\"{a} + {}\"", c.pick(&p.costs)),
        _ => format!("\"{a} * (1 + 0.05 * t) * (calendar_t < {})\"", c.between(1, 10)),
    }
}

pub(crate) fn states(c: &mut Choices, p: &Params) -> Vec<State> {
    let n = c.between(2, 6) as usize;
    let dead = c.chance(70).then(|| c.below(n as u32) as usize);
    let two_outcomes = c.chance(50);
    (0..n)
        .map(|i| {
            let mut s = State {
                name: format!("s{i}"),
                dead: dead == Some(i),
                per: None,
                costs: Vec::new(),
                outcomes: Vec::new(),
            };
            if s.dead {
                return s;
            }
            for payer in PAYERS {
                if c.chance(50) {
                    let value = amount(c, p, true);
                    s.costs.push(match c.chance(25) {
                        true => format!(
                            "{payer} = {{ amount = {value}, cashable = {} }}",
                            dec(c.between(0, 10), 10)
                        ),
                        false => format!("{payer} = {value}"),
                    });
                }
            }
            // The first live state has every outcome, so the scenario has them all.
            let first_live = (0..n).find(|&j| dead != Some(j)) == Some(i);
            if first_live || c.chance(70) {
                let u = if p.utilities.is_empty() {
                    "0.7".to_string()
                } else {
                    c.pick(&p.utilities)
                };
                let number = dec(c.between(0, 100), 100);
                let qaly = c.pick(&[number, format!("\"{u}\""), format!("\"{u} * 0.9\"")]);
                s.outcomes.push(format!("qaly = {qaly}"));
            }
            if two_outcomes && (first_live || c.chance(50)) {
                s.outcomes.push(format!("o2 = {}", amount(c, p, true)));
            }
            if !s.costs.is_empty() || !s.outcomes.is_empty() || c.chance(30) {
                s.per = Some(c.pick(&PERS));
            }
            s
        })
        .collect()
}

/// A starting distribution over the live states (`state = share` entries): numbers summing to at most 0.9 and one
/// remainder.
pub(crate) fn start(c: &mut Choices, states: &[State]) -> Vec<String> {
    let live: Vec<&State> = states.iter().filter(|s| !s.dead).collect();
    let remainder = c.below(live.len() as u32) as usize;
    let others: Vec<&&State> = live
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != remainder)
        .filter(|_| c.chance(50))
        .map(|(_, s)| s)
        .collect();
    let k = others.len().max(1) as u32;
    let mut entries: Vec<String> = others
        .iter()
        .map(|s| format!("{} = {}", s.name, dec(c.between(0, 900) / k, 1000)))
        .collect();
    entries.push(format!("{} = \"remainder\"", live[remainder].name));
    entries
}

/// A transition row from state `from`: up to three other destinations whose probabilities sum to at most 1 in every
/// draw (each at most 1/k of a value in [0, 1]), and one remainder; or, sometimes, a Dirichlet over the row.
pub(crate) fn row(c: &mut Choices, p: &mut Params, states: &[State], from: usize, dirichlet_ok: bool) -> String {
    let n = states.len();
    let mut dest: Vec<usize> = vec![if c.chance(70) { from } else { c.below(n as u32) as usize }];
    for _ in 0..c.below(4) {
        let d = c.below(n as u32) as usize;
        if !dest.contains(&d) {
            dest.push(d);
        }
    }
    let k = dest.len() - 1;
    let name = |d: usize| &states[d].name;
    let mut entries: Vec<String> = Vec::new();
    if dirichlet_ok && k > 0 && c.chance(20) {
        let names: Vec<String> = (0..=k).map(|i| format!("d{from}_{i}")).collect();
        let alpha: Vec<String> = (0..=k).map(|_| dec(c.between(5, 200), 10)).collect();
        p.lines.push(format!(
            "d{from} = {{ dist = \"dirichlet\", alpha = [{}], names = [{}] }}",
            alpha.join(", "),
            names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
        ));
        for (i, &d) in dest[1..].iter().enumerate() {
            entries.push(format!("{} = \"{}\"", name(d), names[i]));
        }
    } else {
        for &d in &dest[1..] {
            let a = c.pick(&p.probs);
            let value = match c.below(6) {
                0 => dec(c.between(0, 900) / k as u32, 1000),
                1 if k == 1 => format!("\"{a}\""),
                1 | 2 => format!("\"{a} / {k}\""),
                3 => format!("\"{a} * max(0, 1 - t / {}) / {k}\"", c.between(1, 10)),
                4 => format!(
                    "\"if(calendar_t < {}, {a}, {}) / {k}\"",
                    c.between(1, 5),
                    c.pick(&p.probs)
                ),
                _ => format!("\"min(1, {a} * (1 + cycle / 50)) / {k}\""),
            };
            entries.push(format!("{} = {value}", name(d)));
        }
    }
    entries.push(format!("{} = \"remainder\"", name(dest[0])));
    format!("{{ {} }}", entries.join(", "))
}

/// Overrides of up to three distribution parameters, each by a value of the same kind.
pub(crate) fn overrides(c: &mut Choices, p: &Params) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for _ in 0..c.below(4) {
        let (name, kind) = c.pick(&p.overridable);
        if !out.iter().any(|o| o.starts_with(&format!("{name} "))) {
            out.push(format!("{name} = {}", value_of(kind, c)));
        }
    }
    out
}

/// Live states, some of them (None: the default, every live state).
pub(crate) fn some_states(c: &mut Choices, states: &[State]) -> Option<Vec<String>> {
    c.chance(40).then(|| {
        let live: Vec<String> = states.iter().filter(|s| !s.dead).map(|s| s.name.clone()).collect();
        let first = c.pick(&live);
        let mut chosen = vec![first];
        for s in live {
            if !chosen.contains(&s) && c.chance(50) {
                chosen.push(s);
            }
        }
        chosen
    })
}

pub(crate) fn arm_costs(c: &mut Choices, p: &Params, states: &[State], horizon: u32) -> Vec<ArmCost> {
    let mut costs: Vec<ArmCost> = Vec::new();
    let mut served: Option<Option<Vec<String>>> = None;
    for i in 0..c.below(5) {
        let mut cost = ArmCost {
            name: format!("cost {i}"),
            kind: c.pick(&["one_off", "recurring", "setup", "annual"]),
            payer: c.pick(&PAYERS),
            amount: amount(c, p, false),
            per: None,
            states: None,
            years: (None, None),
            capacity: None,
        };
        match cost.kind {
            "recurring" => {
                cost.per = Some(c.pick(&PERS));
                cost.states = some_states(c, states);
            }
            "annual" => {
                let from = c.below(horizon);
                let to = c.between(from + 1, horizon + 2);
                cost.years = (
                    c.chance(50).then(|| from.to_string()),
                    c.chance(50).then(|| to.to_string()),
                );
                if c.chance(40) {
                    // Every capacity-limited cost of an arm serves the same states.
                    let states = served.get_or_insert_with(|| some_states(c, states)).clone();
                    cost.capacity = Some(c.between(1, 200));
                    cost.states = states;
                }
            }
            _ => {}
        }
        costs.push(cost);
    }
    costs
}

pub(crate) fn arms(c: &mut Choices, p: &mut Params, states: &[State], horizon: u32) -> Vec<Arm> {
    (0..c.between(2, 3))
        .map(|i| {
            let mut arm = Arm {
                name: format!("arm{i}"),
                overrides: if i > 0 { overrides(c, p) } else { Vec::new() },
                start: c.chance(20).then(|| start(c, states)),
                transitions: Vec::new(),
                costs: if i > 0 || c.chance(20) {
                    arm_costs(c, p, states, horizon)
                } else {
                    Vec::new()
                },
            };
            if c.chance(20) {
                let live: Vec<usize> = (0..states.len()).filter(|&s| !states[s].dead).collect();
                let from = c.pick(&live);
                arm.transitions
                    .push((states[from].name.clone(), row(c, p, states, from, false)));
            }
            arm
        })
        .collect()
}

/// Splits `total` into `parts` positive whole numbers.
pub(crate) fn split(c: &mut Choices, total: u32, parts: u32, zero_ok: bool) -> Vec<u32> {
    let mut left = total;
    let mut out = Vec::new();
    for i in 0..parts {
        let keep = if zero_ok { 0 } else { parts - i - 1 };
        let v = if i + 1 == parts {
            left
        } else {
            c.between(u32::from(!zero_ok), left - keep)
        };
        out.push(v);
        left -= v;
    }
    out
}

pub(crate) fn scenario_spec(c: &mut Choices) -> Spec {
    let horizon = c.between(1, 15);
    let (cycle, per_year) = c.pick(&[("year", 1), ("quarter", 4), ("month", 12)]);
    let accrual = c.pick(&["start", "end", "half-cycle", "simpson"]);
    let continuous = c.chance(30);
    let (rate_costs, rate_outcomes) = (c.between(0, 12), c.between(0, 12));
    let mut p = parameters(c);
    let states = states(c, &p);
    let start = start(c, &states);
    let rows: Vec<(String, String)> = (0..states.len())
        .filter(|&s| !states[s].dead)
        .map(|s| (states[s].name.clone(), row(c, &mut p, &states, s, true)))
        .collect();
    let arms = arms(c, &mut p, &states, horizon);
    let entry = c.chance(50).then(|| {
        let years = c.between(1, horizon.min(3));
        split(c, 10, years, true)
    });
    let subgroups = match c.below(4) {
        0 => Vec::new(),
        n => split(c, 20, n, false)
            .into_iter()
            .enumerate()
            .map(|(i, share)| (format!("g{i}"), share, overrides(c, &p)))
            .collect(),
    };
    let two = states.iter().any(|s| s.outcomes.iter().any(|o| o.starts_with("o2")));
    let primary = if two && c.chance(30) { "o2" } else { "qaly" };
    let mut settings = vec![
        format!("horizon_years = {horizon}"),
        format!("cycle = \"{cycle}\""),
        format!("iterations = {}", c.between(257, 400)),
        format!("seed = {}", c.below(65536)),
        format!("accrual = \"{accrual}\""),
        format!(
            "discounting = \"{}\"",
            if continuous { "continuous" } else { "discrete" }
        ),
        format!("discount_rate_costs = {}", dec(rate_costs * 5, 1000)),
        format!("discount_rate_outcomes = {}", dec(rate_outcomes * 5, 1000)),
        format!("primary_outcome = \"{primary}\""),
    ];
    match c.below(3) {
        0 => {}
        1 => settings.push("wtp = [0, 20000, 30000]".to_string()),
        _ => settings.push("wtp = { from = 0, to = 50000, step = 5000 }".to_string()),
    }
    settings.extend(c.chance(30).then(|| "threshold = 20000".to_string()));
    settings.extend(c.chance(30).then(|| "population = 10000".to_string()));
    Spec {
        settings,
        horizon: horizon as usize,
        per_year,
        accrual,
        continuous,
        rate_outcomes: f64::from(rate_outcomes * 5) / 1000.0,
        parameters: p.lines,
        states,
        start,
        rows,
        arms,
        size: u64::from(c.between(1, 5000)),
        entry,
        subgroups,
    }
}

/// How a check changes the generated scenario.
#[derive(Clone, Copy, Default)]
pub(crate) struct Variant {
    /// The mass check: the dead state made an ordinary absorbing state (spend that defaults to the live states
    /// listing them), and an outcome `occupancy` worth 1 per cycle in every state.
    pub(crate) mass: bool,
    pub(crate) individual: bool,
    /// This cohort size instead of the scenario's.
    pub(crate) size: Option<u64>,
    /// This many iterations instead of the scenario's.
    pub(crate) iterations: Option<u32>,
    /// Capacity limits removed (they make spend a non-linear function of the number of people).
    pub(crate) no_capacity: bool,
}

/// The name of the outcome the mass check adds.
pub(crate) const OCCUPANCY: &str = "occupancy";

pub(crate) fn inline(entries: &[String]) -> String {
    format!("{{ {} }}", entries.join(", "))
}

pub(crate) fn quoted(names: &[String]) -> String {
    format!(
        "[{}]",
        names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
    )
}

impl Spec {
    pub(crate) fn live_states(&self) -> Vec<String> {
        self.states.iter().filter(|s| !s.dead).map(|s| s.name.clone()).collect()
    }

    /// The scenario's text, changed as `v` says.
    pub(crate) fn text(&self, v: Variant) -> String {
        let mut settings = self.settings.clone();
        if let Some(n) = v.iterations {
            settings.retain(|l| !l.starts_with("iterations"));
            settings.push(format!("iterations = {n}"));
        }
        settings.push(format!(
            "mode = \"{}\"",
            if v.individual { "individual" } else { "cohort" }
        ));
        let mut out = format!(
            "[scenario]\nname = \"prop\"\n\n[settings]\n{}\n\n[parameters]\n{}\n",
            settings.join("\n"),
            self.parameters.join("\n")
        );
        for s in &self.states {
            out += &format!("\n[[states]]\nname = \"{}\"\n", s.name);
            if s.dead && !v.mass {
                out += "dead = true\n";
            }
            let per = s.per.or(v.mass.then_some("cycle"));
            if let Some(per) = per {
                out += &format!("per = \"{per}\"\n");
            }
            if !s.costs.is_empty() {
                out += &format!("costs = {}\n", inline(&s.costs));
            }
            let mut outcomes = s.outcomes.clone();
            if let Some(per) = per.filter(|_| v.mass) {
                // Per cycle, an amount per `per` is multiplied by the cycle's length in those units.
                let units_per_year = match per {
                    "year" => 1.0,
                    "quarter" => 4.0,
                    "month" => 12.0,
                    "week" => 52.0,
                    _ => self.per_year as f64,
                };
                outcomes.push(format!("{OCCUPANCY} = {:?}", self.per_year as f64 / units_per_year));
            }
            if !outcomes.is_empty() {
                out += &format!("outcomes = {}\n", inline(&outcomes));
            }
        }
        out += &format!("\n[start]\n{}\n\n[transitions]\n", self.start.join("\n"));
        for (from, row) in &self.rows {
            out += &format!("{from} = {row}\n");
        }
        if v.mass {
            for s in self.states.iter().filter(|s| s.dead) {
                out += &format!("{0} = {{ {0} = \"remainder\" }}\n", s.name);
            }
        }
        for arm in &self.arms {
            out += &self.arm_text(arm, v);
        }
        out += &format!("\n[cohort]\nsize = {}\n", v.size.unwrap_or(self.size));
        if let Some(entry) = &self.entry {
            out += &format!(
                "entry = [{}]\n",
                entry.iter().map(|&e| dec(e, 10)).collect::<Vec<_>>().join(", ")
            );
        }
        if !self.subgroups.is_empty() {
            out += "subgroups = [\n";
            for (name, share, overrides) in &self.subgroups {
                out += &format!(
                    "  {{ name = \"{name}\", share = {}, parameters = {} }},\n",
                    dec(*share, 20),
                    inline(overrides)
                );
            }
            out += "]\n";
        }
        out
    }

    pub(crate) fn arm_text(&self, arm: &Arm, v: Variant) -> String {
        let mut out = format!("\n[[arms]]\nname = \"{}\"\n", arm.name);
        if !arm.overrides.is_empty() {
            out += &format!("parameters = {}\n", inline(&arm.overrides));
        }
        if let Some(start) = &arm.start {
            out += &format!("start = {}\n", inline(start));
        }
        if !arm.transitions.is_empty() {
            let rows: Vec<String> = arm
                .transitions
                .iter()
                .map(|(from, row)| format!("{from} = {row}"))
                .collect();
            out += &format!("transitions = {}\n", inline(&rows));
        }
        if arm.costs.is_empty() {
            return out;
        }
        out += "costs = [\n";
        for cost in &arm.costs {
            let mut fields = vec![
                format!("name = \"{}\"", cost.name),
                format!("kind = \"{}\"", cost.kind),
                format!("payer = \"{}\"", cost.payer),
                format!("amount = {}", cost.amount),
            ];
            fields.extend(cost.per.map(|p| format!("per = \"{p}\"")));
            fields.extend(cost.years.0.as_ref().map(|y| format!("from_year = {y}")));
            fields.extend(cost.years.1.as_ref().map(|y| format!("to_year = {y}")));
            let capacity = cost.capacity.filter(|_| !v.no_capacity);
            fields.extend(capacity.map(|c| format!("capacity = {c}")));
            let serves = cost.kind == "recurring" || capacity.is_some();
            match &cost.states {
                Some(states) if serves => fields.push(format!("states = {}", quoted(states))),
                None if serves && v.mass => fields.push(format!("states = {}", quoted(&self.live_states()))),
                _ => {}
            }
            out += &format!("  {},\n", inline(&fields));
        }
        out + "]\n"
    }
}
