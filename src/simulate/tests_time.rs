//! Tests of how the engine follows time: a condition on time computed before sampling, the values of a boundary kept
//! where nothing it reads has changed, and rows out of states no one enters left out. Each gives the same bits as the
//! model written so that the compiler cannot see what it relies on.

use super::tests::{assert_same_bits, bundled, reference};
use crate::model::Model;
use crate::simulate::engine::run_with;

#[test]
fn a_conditional_on_time_gives_the_same_bits_with_its_condition_computed_before_sampling() {
    // The prevention arm's effect, and a care cost, change after two years. Written `t < lasts`, the condition
    // reads only time and a fixed value: the compiler computes it before sampling and the lane path evaluates only
    // the branch taken. Written `t < lasts + 0 * p_die_home`, the same value reads a sampled parameter, so the whole
    // conditional is evaluated in every iteration. The two must give the same bits.
    let edits = |condition: &'static str| -> Vec<(String, String)> {
        vec![
            ("cycle = \"year\"".into(), "cycle = \"quarter\"".into()),
            ("rr = 1\n".into(), "rr = 1\nlasts = 2\n".into()),
            (
                "\"p_independent_to_home * rr\"".into(),
                format!("\"if({condition}, p_independent_to_home * rr / 4, p_independent_to_home / 4)\""),
            ),
            (
                "costs = { council = \"cost_home_care\"".into(),
                format!("costs = {{ council = \"if({condition}, cost_home_care * 1.25, cost_home_care)\""),
            ),
        ]
    };
    let model_of = |condition: &'static str| {
        let owned = edits(condition);
        let borrowed: Vec<(&str, &str)> = owned.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        reference(1003, &borrowed)
    };
    let (hoisted, settings) = model_of("t < lasts");
    let (whole, _) = model_of("t < lasts + 0 * p_die_home");
    let split = |m: &Model| {
        m.contexts
            .iter()
            .map(|c| c.branches.iter().flatten().count())
            .sum::<usize>()
    };
    // Each arm's care cost and probability (usual care's branches give the same probability, rr being 1 there).
    assert_eq!(split(&hoisted), 2 + 2);
    assert_eq!(split(&whole), 0);
    // Hoisted, the values change only where the condition does (after two years), and the lane path keeps them from
    // one boundary to the next in between; whole, they read time itself.
    assert!(hoisted.contexts.iter().all(|c| c.per_boundary && c.time_through_series));
    assert!(whole.contexts.iter().all(|c| c.per_boundary && !c.time_through_series));
    let hoisted_lanes = run_with(&hoisted, &settings, None, true).expect("runs");
    let hoisted_general = run_with(&hoisted, &settings, None, false).expect("runs");
    let whole_lanes = run_with(&whole, &settings, None, true).expect("runs");
    for other in [&hoisted_general, &whole_lanes] {
        assert_same_bits(&hoisted_lanes, other);
    }
}

#[test]
fn rows_out_of_states_no_one_enters_are_left_out_and_change_no_bit() {
    // The adaptations scenario's row out of "delayed" changes when the delay ends, and only its adaptation arm's
    // "margin" group enters that state: usual care has no way in, and the "visits" group starts there with the
    // probability `at_margin`, which that group fixes at 0. Written `at_margin + 0 * p_die_year`, the same start
    // reads a sampled parameter, so the compiler cannot see the zero; and usual care given a start there of
    // `0 * p_die_year` has a way in that it cannot see is closed. Then every context keeps the row, traced boundary by
    // boundary as before rows were left out. The two must give the same bits.
    let hidden = [
        ("delayed = \"at_margin\"", "delayed = \"at_margin + 0 * p_die_year\""),
        (
            "care_home = \"at_margin\"\n",
            "care_home = \"at_margin\"\ndelayed = \"0 * p_die_year\"\n",
        ),
    ];
    let (seen, settings) = bundled("adaptations", 1003, &[]);
    let (unseen, _) = bundled("adaptations", 1003, &hidden);
    let delayed = seen
        .states
        .iter()
        .position(|s| s.name == "delayed")
        .expect("a delayed state");
    let shape = |m: &Model| -> Vec<(bool, bool)> {
        (0..2)
            .flat_map(|arm| (0..2).map(move |group| (arm, group)))
            .map(|(arm, group)| {
                let ctx = m.context(arm, group);
                (ctx.rows.iter().any(|r| r.from == delayed), ctx.per_boundary)
            })
            .collect()
    };
    // (usual care, adaptation) × (visits, margin): whether the context has the row, and is traced boundary by boundary.
    let only_margin = [(false, false), (false, false), (false, false), (true, true)];
    assert_eq!(shape(&seen), only_margin);
    assert_eq!(shape(&unseen), [(true, true); 4]);
    // Where the row is left out, the context says so (`carecast check` lists it), and nowhere else.
    let unentered = |m: &Model| -> Vec<Vec<usize>> {
        (0..2)
            .flat_map(|arm| (0..2).map(move |group| (arm, group)))
            .map(|(arm, group)| m.context(arm, group).unentered.clone())
            .collect()
    };
    assert_eq!(unentered(&seen), [vec![delayed], vec![delayed], vec![delayed], vec![]]);
    assert!(unentered(&unseen).iter().all(Vec::is_empty));
    let seen_lanes = run_with(&seen, &settings, None, true).expect("runs");
    for other in [
        run_with(&seen, &settings, None, false).expect("runs"),
        run_with(&unseen, &settings, None, true).expect("runs"),
        run_with(&unseen, &settings, None, false).expect("runs"),
    ] {
        assert_same_bits(&seen_lanes, &other);
    }
    // Binned by cycle too (payback in weeks).
    let (seen, unseen) = (seen.by_cycle().expect("weekly"), unseen.by_cycle().expect("weekly"));
    let a = run_with(&seen, &settings, None, true).expect("runs");
    let b = run_with(&unseen, &settings, None, true).expect("runs");
    assert_same_bits(&a, &b);
}
