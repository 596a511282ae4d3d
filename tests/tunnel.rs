//! Tunnel states against the same models written out by hand, state by state: bit for bit on the lane path and on
//! the general path, in cohort and individual mode. Then values worked out by hand for tunnels with a cost in the
//! first cycle of a stay and with exits that depend on time in the state, and what the outputs say of tunnels.

mod common;

use carecast::analysis::reproduce::Reproduced;
use carecast::commands::reproduce_scenario;
use carecast::model::{Metric, Model, RunSettings};
use carecast::simulate::kernel::{lanes_supported, sample_parameters, simulate_iteration, Workspace};
use carecast::simulate::{iteration_rng, Results};
use common::{model, rel, scenario_text};

/// The model's parameters, `home`, then the care state(s), then `dead`, start, rows, arms and cohort; `{care}`,
/// `{care_start}`, `{care_rows}`, `{into_care}`, `{visited}` and `{first}` are filled by [`compact`] and [`by_hand`].
/// Every expression that reads `time_in_state` in the compact form reads the step's number by hand.
const TEMPLATE: &str = r#"
[parameters]
p_in = { dist = "beta", mean = 0.15, sd = 0.03 }
p_die = { dist = "beta", mean = 0.05, sd = 0.01 }
p_out = { dist = "beta", mean = 0.3, sd = 0.05 }
c_care = { dist = "gamma", mean = 900, sd = 200 }
u_care = { dist = "beta", mean = 0.6, sd = 0.05 }
rr = 1

[[states]]
name = "home"
per = "year"
costs = { council = 100, nhs = "50 * TIME" }
outcomes = { qaly = 0.8 }
{care}
[[states]]
name = "dead"
dead = true

[start]
{care_start} = 0.4
home = "remainder"

[transitions]
home = { {into_care} = "p_in * rr", dead = "p_die", home = "remainder" }
{care_rows}

[[arms]]
name = "usual"

[[arms]]
name = "new"
parameters = { rr = { dist = "lognormal", ci95 = [0.6, 0.9] } }
costs = [
  { name = "visits", kind = "recurring", payer = "council", amount = 300, per = "year", states = {visited} },
  { name = "first weeks", kind = "recurring", payer = "nhs", amount = 200, per = "year", states = {first} },
  { name = "package", kind = "one_off", payer = "council", amount = 500 },
]

[cohort]
size = 1000
entry = [0.6, 0.4]
subgroups = [{ name = "a", share = 0.3, parameters = { c_care = 1200 } }, { name = "b", share = 0.7 }]
"#;

/// The care state's values and row; `K` stands for `time_in_state` (or, by hand, the step's number).
const CARE_VALUES: &str = r#"costs = { council = "c_care * if(K == 1, 2, 1)", person = { amount = "40 * K", cashable = 0.5 } }
outcomes = { qaly = "u_care - 0.05 * (K == 1)" }"#;
const CARE_ROW: &str = r#"dead = "p_die * if(K == 1, 2, 1)", home = "p_out / K""#;

/// The model with a tunnel state `care` of 3 cycles; `time` is what `TIME` in home's NHS cost becomes (`1` keeps
/// every value constant in time, `(1 + 0.01 * t)` does not).
fn compact(settings: &[(&str, &str)], time: &str) -> String {
    let care = format!(
        "\n[[states]]\nname = \"care\"\nper = \"year\"\ntunnel = {{ cycles = 3 }}\n{}\n",
        CARE_VALUES.replace('K', "time_in_state")
    );
    let rows = format!(
        "care = {{ care = \"remainder\", {} }}",
        CARE_ROW.replace('K', "time_in_state")
    );
    let body = TEMPLATE
        .replace("{care}", &care)
        .replace("{care_start}", "care")
        .replace("{care_rows}", &rows)
        .replace("{into_care}", "care")
        .replace("{visited}", "[\"care\"]")
        .replace("{first}", "[\"care[1]\"]")
        .replace("TIME", time);
    scenario_text("tunnel", settings, &body)
}

/// The same model with the tunnel written out by hand as states `care_1`, `care_2` and `care_3`. Their names sort
/// as `care` does among the other destinations, so every row lists its destinations in the same order.
fn by_hand(settings: &[(&str, &str)], time: &str) -> String {
    let mut care = String::new();
    let mut rows = Vec::new();
    for k in 1..=3 {
        care.push_str(&format!(
            "\n[[states]]\nname = \"care_{k}\"\nper = \"year\"\n{}\n",
            CARE_VALUES.replace('K', &k.to_string())
        ));
        rows.push(format!(
            "care_{k} = {{ care_{} = \"remainder\", {} }}",
            (k + 1).min(3),
            CARE_ROW.replace('K', &k.to_string())
        ));
    }
    let body = TEMPLATE
        .replace("{care}", &care)
        .replace("{care_start}", "care_1")
        .replace("{care_rows}", &rows.join("\n"))
        .replace("{into_care}", "care_1")
        .replace("{visited}", "[\"care_1\", \"care_2\", \"care_3\"]")
        .replace("{first}", "[\"care_1\"]")
        .replace("TIME", time);
    scenario_text("tunnel", settings, &body)
}

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// Checks that two runs gave the same results, bit for bit.
fn assert_same_results(a: &Results, b: &Results, case: &str) {
    let flat = |x: &ndarray::Array3<f64>| bits(&x.iter().copied().collect::<Vec<_>>());
    assert_eq!(flat(&a.kernel_totals), flat(&b.kernel_totals), "totals, {case}");
    assert_eq!(flat(&a.yearly_mean), flat(&b.yearly_mean), "yearly means, {case}");
    let sample = |r: &Results| r.yearly_sample.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(sample(a), sample(b), "yearly sample, {case}");
    assert_eq!(a.payback_year, b.payback_year, "payback, {case}");
    assert_eq!(a.kernel_columns, b.kernel_columns, "columns, {case}");
    let draws = |r: &Results| bits(&r.draws.iter().copied().collect::<Vec<_>>());
    assert_eq!(draws(a), draws(b), "draws, {case}");
}

/// Checks that the general path gives both models the same per-year values, bit for bit, in `iterations`.
fn assert_same_general_path(compact: &Model, by_hand: &Model, iterations: u64, case: &str) {
    let (mut a, mut b) = (Workspace::new(compact), Workspace::new(by_hand));
    for i in 0..iterations {
        let rng = iteration_rng(7, i);
        sample_parameters(compact, &mut rng.clone(), &mut a.draws);
        sample_parameters(by_hand, &mut rng.clone(), &mut b.draws);
        simulate_iteration(compact, &mut a, &rng).expect("simulates");
        simulate_iteration(by_hand, &mut b, &rng).expect("simulates");
        assert_eq!(bits(&a.bins), bits(&b.bins), "iteration {i}, {case}");
    }
}

/// A `[settings]` key and its value as written.
type Setting<'a> = (&'a str, &'a str);

#[test]
fn a_tunnel_gives_exactly_the_results_of_its_states_written_out_by_hand() {
    let cases: [(&str, &[Setting], &str); 5] = [
        ("yearly, start accrual", &[], "1"),
        (
            "half-cycle, quarterly",
            &[("accrual", "\"half-cycle\""), ("cycle", "\"quarter\"")],
            "1",
        ),
        (
            "simpson, values changing with time",
            &[("accrual", "\"simpson\"")],
            "(1 + 0.01 * t)",
        ),
        ("individual mode", &[("mode", "\"individual\"")], "1"),
        (
            "individual mode, values changing with time",
            &[("mode", "\"individual\""), ("accrual", "\"end\"")],
            "(1 + 0.01 * t)",
        ),
    ];
    for (case, settings, time) in cases {
        let settings: Vec<(&str, &str)> = [("iterations", "203")]
            .into_iter()
            .chain(settings.iter().copied())
            .collect();
        let (a, b) = (model(&compact(&settings, time)), model(&by_hand(&settings, time)));
        assert_eq!(a.states.len(), 5, "{case}");
        // Five states in cohort mode: the lane path runs these (not the general path), values changing with time too.
        let lanes = !case.contains("individual");
        assert_eq!(lanes_supported(&a), lanes, "{case}");
        assert_eq!(lanes_supported(&b), lanes, "{case}");
        let run = RunSettings {
            iterations: 203,
            seed: 7,
        };
        assert_same_results(&common::run_with(&a, &run, 2), &common::run_with(&b, &run, 2), case);
        assert_same_general_path(&a, &b, 24, case);
    }
}

/// A model with states `well`, a tunnel `care` of 3 cycles and `dead`-free rows, followed 10 yearly cycles with
/// values at cycle starts and no discounting.
fn deterministic(body: &str) -> Model {
    model(&scenario_text(
        "by_hand",
        &[("discount_rate_costs", "0"), ("discount_rate_outcomes", "0")],
        body,
    ))
}

#[test]
fn a_cost_in_the_first_cycle_of_a_stay_counts_the_entries() {
    // Into care with a = 0.2 a cycle, back home with b = 0.5; £1,000 in the first cycle of a stay, nothing after.
    // By hand: the share at home is w_k = π + (1 − π)·r^k with π = b / (a + b) = 5/7 and r = 1 − a − b = 0.3
    // (w_0 = 1); the entries at boundary k ≥ 1 are a·w_(k−1), so over boundaries 0..9 the cost is
    // 1000 · a · Σ_(j=0..8) w_j = 1000 · a · (9π + (1 − π)(1 − r^9)/(1 − r)).
    let m = deterministic(
        r#"
[[states]]
name = "well"
[[states]]
name = "care"
per = "cycle"
tunnel = { cycles = 3 }
costs = { council = "if(time_in_state == 1, 1000, 0)" }
[start]
well = 1
[transitions]
well = { care = 0.2, well = "remainder" }
care = { well = 0.5, care = "remainder" }
[[arms]]
name = "usual"
[[arms]]
name = "same"
[cohort]
size = 1
"#,
    );
    let (a, b) = (0.2_f64, 0.5_f64);
    let (pi, r) = (b / (a + b), 1.0 - a - b);
    let by_hand = 1000.0 * a * (9.0 * pi + (1.0 - pi) * (1.0 - r.powi(9)) / (1.0 - r));
    let results = common::run(&m, 1);
    let council = carecast::model::Columns::BUILT_IN.care(carecast::model::Payer::Council);
    assert!(
        rel(results.total(0, 0, council), by_hand) < 1e-12,
        "{} against {by_hand}",
        results.total(0, 0, council)
    );
    assert!((by_hand - 1367.345).abs() < 1e-3, "{by_hand}");
}

/// Everyone starts in a reablement episode, a tunnel of 3 cycles, and leaves it for good with probability
/// time_in_state / 4: a quarter after the first cycle, half after the second, three quarters after each later one.
const EPISODE: &str = r#"
[[states]]
name = "reablement"
per = "cycle"
tunnel = { cycles = 3 }
costs = { council = "100 * time_in_state" }
outcomes = { cycles_in_episode = 1 }
[[states]]
name = "after"
[start]
reablement = 1
[transitions]
reablement = { after = "time_in_state / 4", reablement = "remainder" }
after = { after = 1 }
[[arms]]
name = "usual"
[[arms]]
name = "same"
[cohort]
size = 1
"#;

#[test]
fn exits_that_depend_on_time_in_the_state_follow_each_step() {
    // By hand: in the episode at boundaries 0, 1, 2, 3, ...: 1, 3/4, 3/8, 3/32, ... (3/8 · (1/4)^(k−2) from k = 2,
    // all in the last step). Over boundaries 0..9: 1 + 3/4 + (3/8)(1 − 4^−8)/(3/4) = 2.25 − 0.5 · 4^−8 cycles,
    // and £100 × (1·1 + 2·3/4 + 3·(1/2)(1 − 4^−8)) = £100 × (4 − 1.5 · 4^−8).
    let m = deterministic(EPISODE);
    let names: Vec<&str> = m.states.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["reablement[1]", "reablement[2]", "reablement[3+]", "after"]);
    let results = common::run(&m, 1);
    let tail = 4f64.powi(-8);
    let council = carecast::model::Columns::BUILT_IN.care(carecast::model::Payer::Council);
    let cycles = carecast::model::Columns::BUILT_IN.outcome(0);
    assert!(rel(results.total(0, 0, cycles), 2.25 - 0.5 * tail) < 1e-14);
    assert!(rel(results.total(0, 0, council), 100.0 * (4.0 - 1.5 * tail)) < 1e-14);
}

#[test]
fn a_share_of_people_in_a_tunnel_state_counts_every_step() {
    // In the episode at the end of programme year 1 (boundary 1): 3/4; at the end of year 2: 3/8 (all of them in
    // the second step at the first, the third at the second, so the share must sum over steps).
    let target = |year: usize, by_hand: f64| {
        format!(
            "\n[[reproduce]]\nfigure = \"in the episode, year {year}\"\nsource = \"hand\"\npublished = {by_hand}\n\
             metric = \"state_share\"\nstates = [\"reablement\"]\nyear = {year}\narm = \"same\"\n\
             accept = [{}, {}]\nwhy = \"worked by hand\"\n",
            by_hand - 1e-12,
            by_hand + 1e-12
        )
    };
    let text = format!(
        "{}\n[sources]\nhand = \"worked by hand\"\n{}{}",
        scenario_text("by_hand", &[], EPISODE),
        target(1, 0.75),
        target(2, 0.375)
    );
    let loaded = common::loaded("by_hand.toml", &text);
    assert!(matches!(&loaded.model.targets[0].metric, Metric::StateShare { states, .. } if states == &[0]));
    let reproduced: Vec<Reproduced> = reproduce_scenario(&loaded).unwrap_or_else(|e| panic!("{e}"));
    let values: Vec<f64> = reproduced.iter().map(|r| r.value).collect();
    assert!(
        rel(values[0], 0.75) < 1e-12 && rel(values[1], 0.375) < 1e-12,
        "{values:?}"
    );
    // A step is not a state a target can name.
    let e = common::compile_error(&text.replace("states = [\"reablement\"]", "states = [\"reablement[2]\"]"));
    assert!(
        e.contains("no state is named `reablement[2]`; did you mean `reablement`?"),
        "{e}"
    );
}

#[test]
fn a_run_that_fails_in_a_step_names_the_step() {
    // 0.3 × time_in_state × p: a probability in the first two steps, above 1 in the third when p > 1/0.9.
    let text = scenario_text(
        "fails",
        &[("iterations", "50")],
        &EPISODE
            .replace("\"time_in_state / 4\"", "\"0.3 * time_in_state * p\"")
            .replace(
                "[[states]]\nname = \"reablement\"",
                "[parameters]\np = { dist = \"uniform\", low = 1, high = 1.5 }\n[[states]]\nname = \"reablement\"",
            ),
    );
    let m = model(&text);
    let e = carecast::simulate::run(&m, &m.run_defaults, None).expect_err("a probability above 1");
    let message = e.to_string();
    assert!(
        message.contains("P(reablement[3+] → after) = \"0.3 * time_in_state * p\" (transitions.reablement.after) = "),
        "{message}"
    );
}

#[test]
fn check_and_the_summary_say_how_a_tunnel_was_followed() {
    let tmp = common::tempdir();
    let path = tmp.path().join("episode.toml");
    std::fs::write(&path, scenario_text("episode", &[("iterations", "20")], EPISODE)).expect("writes");
    let out = common::carecast().args(["check"]).arg(&path).output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("ok — 2 states (4 with each cycle of a tunnel counted), 2 arms"),
        "{stdout}"
    );
    let runs = tmp.path().join("runs");
    let out = common::carecast()
        .args(["run", "--quiet", "--out"])
        .arg(&runs)
        .arg(&path)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dir = std::fs::read_dir(runs.join("episode"))
        .expect("a run")
        .next()
        .expect("one run")
        .expect("an entry");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).expect("summary.json"))
            .expect("json");
    let states = summary["states"].as_array().expect("states");
    assert_eq!(states.len(), 4);
    assert_eq!(states[2]["name"], "reablement[3+]");
    assert_eq!(states[2]["tunnel"]["state"], "reablement");
    assert_eq!(states[2]["tunnel"]["time_in_state"], 3);
    assert_eq!(states[2]["tunnel"]["rest_of_stay"], true);
    assert!(states[3].get("tunnel").is_none(), "no tunnel, no key: {}", states[3]);
}

/// `carecast check` and `carecast run` on the bundled example with its tunnel written wrongly: exit code 2, no
/// output folder, and an error naming the file, line, column and field.
#[test]
fn bad_tunnels_are_refused_with_their_place_and_exit_code_2() {
    let example = std::fs::read_to_string(common::bundled_path("example")).expect("the example is readable");
    let tunnel = "tunnel = { cycles = 2 }";
    // What is replaced, by what, the line of the error counted from the replaced text's line, and the error after
    // the line.
    let cases = [
        (tunnel, "tunnel = { cycles = 1 }", 0, ":21: field `states[2].tunnel.cycles`: a tunnel follows the first cycles of a stay one by one: from 2 to 256 cycles (the last holds the rest of the stay), not 1"),
        (tunnel, "tunnel = { cycles = 2.5 }", 0, ":21: field `states.tunnel`: a tunnel follows whole cycles of a stay: give a whole number of cycles, not 2.5"),
        (tunnel, "tunnel = 2", 0, ":10: field `states.tunnel`: give the tunnel's length with its unit, `tunnel = { cycles = 2 }`: units are never guessed"),
        (tunnel, "tunnel = { years = 2 }", 0, ":12: field `states.tunnel`: unknown field `years`, expected `cycles`"),
        ("dead = true", "dead = true\ntunnel = { cycles = 3 }", 1, ":10: field `states[3].tunnel`: state `dead` is marked `dead = true`"),
        (
            "outcomes = { qaly = \"u_independent\" }",
            "outcomes = { qaly = \"u_independent * time_in_state\" }",
            0,
            ":38: field `states[0].outcomes.qaly`: `time_in_state` has a value only in the costs, outcomes and transition row of a state with a tunnel",
        ),
        (
            "residential = { dead = \"p_die_residential\"",
            "residential = { dead = \"0.6 * time_in_state\"",
            0,
            ":24: field `transitions.residential.dead`: a probability must be between 0 and 1, not 1.2 (where time_in_state = 2)",
        ),
    ];
    let tmp = common::tempdir();
    let path = tmp.path().join("broken.toml");
    for (from, to, below, error) in cases {
        assert_eq!(example.matches(from).count(), 1, "{from}");
        let line = example[..example.find(from).expect("in the example")].lines().count() + 1 + below;
        let error = format!("broken.toml:{line}{error}");
        std::fs::write(&path, example.replace(from, to)).expect("writes");
        let out = tmp.path().join("out");
        for command in [
            &["check"][..],
            &["run", "--quiet", "--out", out.to_str().expect("a UTF-8 path")],
        ] {
            let output = common::carecast().args(command).arg(&path).output().expect("runs");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{command:?}, {to}: {stderr}");
            assert!(stderr.contains(&error), "{command:?}, {to}: {stderr}");
            assert!(!out.exists(), "{command:?}, {to}: bad input creates no output folder");
        }
    }
}
