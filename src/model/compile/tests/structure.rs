//! What a scenario compiles into: states, arms, outcomes, parameters and draw slots, transition rows with their
//! remainders, subgroup contexts, and the columns the kernel keeps.

use super::{assert_close, compiled, constant, scenario};
use crate::dist::Distribution;
use crate::model::{Columns, Draw, Payer, ProbSource, ProgrammeKind, TIME_NAMES};

/// Three states (one dead), two arms, one sampled and one fixed parameter, two outcomes.
const MINIMAL: &str = r#"[parameters]
p_ill = { dist = "beta", alpha = 2, beta = 8 }
cost_ill = 1000
[[states]]
name = "well"
per = "year"
outcomes = { qaly = 1 }
[[states]]
name = "ill"
label = "Ill at home"
per = "year"
costs = { council = "cost_ill" }
outcomes = { qaly = 0.5, contacts = 2 }
[[states]]
name = "dead"
dead = true
[start]
well = 1
[transitions]
well = { ill = "p_ill", dead = 0.1, well = "remainder" }
ill = { dead = 0.2, ill = "remainder" }
[[arms]]
name = "usual"
[[arms]]
name = "new"
label = "New service"
[cohort]
size = 100
"#;

#[test]
fn a_minimal_scenario_compiles_to_its_states_arms_and_outcomes() {
    let m = compiled(&scenario(MINIMAL));
    let states: Vec<(&str, &str, bool)> = m
        .states
        .iter()
        .map(|s| (s.name.as_str(), s.label.as_str(), s.dead))
        .collect();
    assert_eq!(
        states,
        [
            ("well", "well", false),
            ("ill", "Ill at home", false),
            ("dead", "dead", true)
        ]
    );
    // Outcomes in order of first appearance: `qaly` in well, then ill's (read in key order: contacts, qaly).
    assert_eq!(m.outcomes, ["qaly", "contacts"]);
    assert_eq!(m.settings.primary_outcome, Some(0));
    let arms: Vec<(&str, &str, Option<usize>)> = m
        .arms
        .iter()
        .map(|a| (a.name.as_str(), a.label.as_str(), a.comparator))
        .collect();
    assert_eq!(arms, [("usual", "usual", None), ("new", "New service", Some(0))]);
    assert_eq!(m.subgroups.len(), 1);
    assert_eq!(
        (
            m.subgroups[0].name.as_str(),
            m.subgroups[0].label.as_str(),
            m.subgroups[0].share
        ),
        ("all", "Whole cohort", 1.0)
    );
    assert_eq!(m.cohort_size, 100);
    assert_eq!(m.settings.cycles(), 2);
    // Defaults: pounds, a £30,000 threshold, and £0 to £50,000 in steps of £1,000.
    assert_eq!(m.meta.currency, "GBP");
    assert_eq!(m.settings.threshold, 30_000.0);
    assert_eq!(m.settings.wtp.len(), 51);
    assert_eq!(m.settings.wtp[50], 50_000.0);
}

#[test]
fn a_minimal_scenario_samples_only_its_distributions_into_draw_slots() {
    let m = compiled(&scenario(MINIMAL));
    // Parameters in key order: cost_ill (a number, no slot), then p_ill (Beta(2, 8), slot 0, mean 2/10).
    assert_eq!(m.parameters.len(), 2);
    let cost = &m.parameters[0];
    assert_eq!(
        (cost.name.as_str(), cost.scope.as_str(), cost.draw_slot),
        ("cost_ill", "base", None)
    );
    assert!(matches!(cost.spec, crate::model::ParameterSpec::Fixed { value } if value == 1000.0));
    let p = &m.parameters[1];
    assert_eq!(
        (p.name.as_str(), p.scope.as_str(), p.draw_slot),
        ("p_ill", "base", Some(0))
    );
    match &p.spec {
        crate::model::ParameterSpec::Distribution { mean, .. } => assert_close(*mean, 0.2),
        other => panic!("p_ill should be a distribution, not {other:?}"),
    }
    assert_eq!(m.n_draws, 1);
    assert_eq!(m.draws.len(), 1);
    match &m.draws[0] {
        Draw::One { slot, distribution, .. } => {
            assert_eq!(*slot, 0);
            assert_eq!(*distribution, Distribution::Beta { alpha: 2.0, beta: 8.0 });
        }
        other => panic!("one univariate draw expected, not {other:?}"),
    }
    // p_ill is a transition probability as it stands, so an override must keep it in [0, 1].
    assert!(m.probability_slots.contains(&0));
    // Every context starts with the draw slots, then the time slots.
    let ctx = m.context(1, 0);
    assert_eq!(ctx.slot_names[0], "p_ill");
    assert_eq!(ctx.slot_names[1..4], TIME_NAMES);
}

#[test]
fn rows_point_at_slots_and_remainders_and_dead_states_have_none() {
    let m = compiled(&scenario(MINIMAL));
    assert_eq!(m.contexts.len(), 2);
    for (arm, ctx) in m.contexts.iter().enumerate() {
        assert_eq!((ctx.arm, ctx.subgroup), (arm, 0));
        // Everyone starts well.
        assert_eq!(ctx.start.entries.len(), 1);
        let (to, ProbSource::Slot(s)) = ctx.start.entries[0] else {
            panic!("the start share is a slot")
        };
        assert_eq!((to, constant(ctx, s)), (0, 1.0));
        // Rows for well and ill; none for the dead state.
        let froms: Vec<usize> = ctx.rows.iter().map(|r| r.from).collect();
        assert_eq!(froms, [0, 1]);
        // well → dead 0.1 (a constant), → ill p_ill (the draw slot itself), → well the remainder; in key order.
        let well = &ctx.rows[0].entries;
        assert_eq!(well.len(), 3);
        let (2, ProbSource::Slot(dead)) = well[0] else {
            panic!("well → dead first: {well:?}")
        };
        assert_eq!(constant(ctx, dead), 0.1);
        assert_eq!(well[1], (1, ProbSource::Slot(0)));
        assert_eq!(well[2], (0, ProbSource::Remainder));
        // ill → dead 0.2, ill → ill the remainder.
        let ill = &ctx.rows[1].entries;
        let (2, ProbSource::Slot(dead)) = ill[0] else {
            panic!("ill → dead first: {ill:?}")
        };
        assert_eq!(constant(ctx, dead), 0.2);
        assert_eq!(ill[1], (1, ProbSource::Remainder));
        assert!(!ctx.dynamic_transitions());
    }
}

#[test]
fn a_remainder_may_be_written_with_spaces_and_need_not_be_last() {
    let body = MINIMAL.replace(
        r#"well = { ill = "p_ill", dead = 0.1, well = "remainder" }"#,
        r#"well = { dead = " remainder ", ill = 0.25, well = 0.5 }"#,
    );
    let m = compiled(&scenario(&body));
    let well = &m.context(0, 0).rows[0].entries;
    assert_eq!(well[0], (2, ProbSource::Remainder));
    let ProbSource::Slot(ill) = well[1].1 else {
        panic!("ill is a slot")
    };
    let ProbSource::Slot(stay) = well[2].1 else {
        panic!("well is a slot")
    };
    assert_eq!(
        (constant(m.context(0, 0), ill), constant(m.context(0, 0), stay)),
        (0.25, 0.5)
    );
}

#[test]
fn state_values_flow_per_cycle_into_their_columns() {
    let m = compiled(&scenario(MINIMAL));
    let ctx = m.context(0, 0);
    assert!(ctx.dynamic_flows.is_empty());
    // (state, full column, is cost, value, factor): yearly values with yearly cycles have factor 1.
    let mut flows: Vec<(usize, usize, bool, f64, f64)> = ctx
        .static_flows
        .iter()
        .map(|f| {
            (
                f.state,
                m.kernel_columns[f.column],
                f.is_cost,
                constant(ctx, f.slot),
                f.factor,
            )
        })
        .collect();
    flows.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let care = Columns::BUILT_IN.care(Payer::Council);
    assert_eq!(
        flows,
        [
            (0, Columns::BUILT_IN.outcome(0), false, 1.0, 1.0),
            (1, care, true, 1000.0, 1.0),
            (1, Columns::BUILT_IN.outcome(0), false, 0.5, 1.0),
            (1, Columns::BUILT_IN.outcome(1), false, 2.0, 1.0),
        ]
    );
    assert!(!m.has_noncashable);
}

/// Base `cost` 100, overridden by the `young` subgroup (200) and by the `new` arm (300), which also pays a team.
const SUBGROUPS: &str = r#"[parameters]
cost = 100
[[states]]
name = "well"
per = "year"
costs = { council = "cost" }
[[states]]
name = "dead"
dead = true
[start]
well = 1
[transitions]
well = { dead = 0.1, well = "remainder" }
[[arms]]
name = "usual"
[[arms]]
name = "new"
parameters = { cost = 300 }
costs = [{ name = "team", kind = "annual", payer = "council", amount = "cost" }]
[cohort]
size = 10
[[cohort.subgroups]]
name = "young"
share = 0.25
parameters = { cost = 200 }
[[cohort.subgroups]]
name = "old"
label = "Older people"
share = 0.75
"#;

#[test]
fn subgroups_get_their_own_contexts_with_arm_overrides_winning() {
    let m = compiled(&scenario(SUBGROUPS));
    let groups: Vec<(&str, &str, f64)> = m
        .subgroups
        .iter()
        .map(|s| (s.name.as_str(), s.label.as_str(), s.share))
        .collect();
    assert_eq!(groups, [("young", "young", 0.25), ("old", "Older people", 0.75)]);
    // Arm-major: usual/young, usual/old, new/young, new/old.
    let contexts: Vec<(usize, usize, f64)> = m
        .contexts
        .iter()
        .map(|c| (c.arm, c.subgroup, constant(c, c.static_flows[0].slot)))
        .collect();
    assert_eq!(contexts, [(0, 0, 200.0), (0, 1, 100.0), (1, 0, 300.0), (1, 1, 300.0)]);
    assert_eq!(m.context(1, 1).arm, 1);
    assert_eq!(m.context(1, 1).subgroup, 1);
    // The report lists every scope's definition: the base first, then the arms', then the subgroups'.
    let scopes: Vec<(&str, &str)> = m
        .parameters
        .iter()
        .map(|p| (p.name.as_str(), p.scope.as_str()))
        .collect();
    assert_eq!(
        scopes,
        [("cost", "base"), ("cost", "arm:new"), ("cost", "subgroup:young")]
    );
}

#[test]
fn programme_costs_are_evaluated_with_the_arms_overrides_only() {
    let m = compiled(&scenario(SUBGROUPS));
    assert!(m.programme_costs[0].is_empty());
    let team = &m.programme_costs[1];
    assert_eq!(team.len(), 1);
    assert_eq!(team[0].name, "team");
    assert_eq!(
        m.kernel_columns[team[0].column],
        Columns::BUILT_IN.spend(Payer::Council)
    );
    // An annual cost runs over the whole horizon (two years) unless told otherwise.
    assert_eq!(
        team[0].kind,
        ProgrammeKind::Annual {
            from_year: 0.0,
            to_year: 2.0,
            capacity: None
        }
    );
    assert_eq!(constant(&m.programme_contexts[1], team[0].slot), 300.0);
    assert_eq!(m.served_states, [Vec::<usize>::new(), Vec::new()]);
}

#[test]
fn the_kernel_keeps_only_the_columns_something_writes() {
    // Council care costs, nhs one-off spend, person set-up spend and one outcome: columns 0, 7, 8 and 9 of 10.
    let body = MINIMAL
        .replace("outcomes = { qaly = 0.5, contacts = 2 }", "outcomes = { qaly = 0.5 }")
        .replace(
            "label = \"New service\"",
            r#"costs = [{ name = "visit", kind = "one_off", payer = "nhs", amount = 50 }, { name = "setup", kind = "setup", payer = "person", amount = 20 }]"#,
        );
    let m = compiled(&scenario(&body));
    assert_eq!(m.n_columns(), 10);
    let spend_nhs = Columns::BUILT_IN.spend(Payer::Nhs);
    let spend_person = Columns::BUILT_IN.spend(Payer::Person);
    assert_eq!((spend_nhs, spend_person), (7, 8));
    assert_eq!(m.kernel_columns, [0, 7, 8, 9]);
    assert_eq!(m.n_kernel_columns(), 4);
    // Flows, one-offs and programme costs are renumbered into those four.
    let new = m.context(1, 0);
    assert_eq!(new.one_offs.len(), 1);
    assert_eq!(new.one_offs[0].column, 1);
    assert_eq!(constant(new, new.one_offs[0].slot), 50.0);
    assert_eq!(m.programme_costs[1][0].column, 2);
    assert_eq!(m.programme_costs[1][0].kind, ProgrammeKind::Setup);
    let mut flow_columns: Vec<usize> = new.static_flows.iter().map(|f| f.column).collect();
    flow_columns.sort_unstable();
    assert_eq!(flow_columns, [0, 3, 3]);
}
