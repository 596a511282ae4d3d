//! Unit tests of the analyses on small hand-made PSA tables.

use super::*;
use ndarray::{Array2, Array3};

/// Two arms, three iterations, costs split by payer: the council spends, the NHS saves.
fn table() -> PsaTable {
    // spend [i, arm, payer]: arm 1 council spend 100, 200, 300.
    let mut spend = Array3::zeros((3, 2, 3));
    let mut care = Array3::zeros((3, 2, 3));
    for (i, s) in [100.0, 200.0, 300.0].iter().enumerate() {
        spend[[i, 1, 0]] = *s;
        // NHS care: comparator 1,000; intervention 1,000 − saving (150, 150, 450).
        care[[i, 0, 1]] = 1000.0;
        care[[i, 1, 1]] = 1000.0 - [150.0, 150.0, 450.0][i];
        // Council care: 500 in both arms.
        care[[i, 0, 0]] = 500.0;
        care[[i, 1, 0]] = 500.0;
    }
    // Half of the NHS saving is cashable.
    let cashable = care.mapv(|v| v * 0.5);
    let payers = PayerCosts {
        payers: Payers::default(),
        spend,
        care,
        cashable: Some(cashable),
        may_spend: vec![true; 3],
    };
    let mut cost = Array2::zeros((3, 2));
    for i in 0..3 {
        for a in 0..2 {
            cost[[i, a]] = (0..3).map(|p| payers.spend[[i, a, p]] + payers.care[[i, a, p]]).sum();
        }
    }
    let effect = Array3::from_shape_vec((3, 2, 1), vec![1.0, 1.1, 1.0, 1.0, 1.0, 0.9]).unwrap();
    PsaTable {
        arms: vec!["usual".into(), "new".into()],
        labels: vec!["usual".into(), "new".into()],
        comparators: vec![None, Some(0)],
        outcomes: vec![OutcomeInfo::named("qaly")],
        primary: Some(0),
        cost,
        outcome_values: effect,
        payers: Some(payers),
        payback: None,
        yearly: None,
    }
}

#[test]
fn bcr_and_net_savings_by_hand() {
    let a = analyse(
        &table(),
        &AnalysisOptions {
            wtp: vec![0.0, 1000.0],
            threshold: 1000.0,
            population: None,
        },
    );
    let c = &a.comparisons[0];
    // Spend 100, 200, 300 (mean 200); savings 150, 150, 450 (mean 250): BCR = 250/200 = 1.25.
    assert_eq!(c.bcr, Some(1.25));
    // Per iteration 1.5, 0.75, 1.5 → P(> 1) = 2/3; net savings 50, −50, 150 → mean 50, P(≥ 0) = 2/3.
    assert!((c.prob_bcr_above_one.unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert!((c.net_savings.mean - 50.0).abs() < 1e-12);
    assert!((c.prob_cost_saving - 2.0 / 3.0).abs() < 1e-12);
    // ΔE = 0.1, 0, −0.1 (mean 0); ΔC = −50, 50, −150 (mean −50): INMB at 1000 = 1000·ΔE − ΔC = 150, −50, 50.
    let inmb = c.inmb.unwrap();
    assert!((inmb.mean - 50.0).abs() < 1e-9);
    assert!((c.prob_cost_effective.unwrap() - 2.0 / 3.0).abs() < 1e-12);
    // Council net savings = −spend (care equal): −200 on average; NHS net savings = savings: 250.
    let by_payer = c.net_savings_by_payer.as_ref().unwrap();
    assert!((by_payer[0].net_savings.mean + 200.0).abs() < 1e-12);
    assert!((by_payer[1].net_savings.mean - 250.0).abs() < 1e-12);
}

#[test]
fn cross_payer_and_cashable_roi_rows() {
    let a = analyse(
        &table(),
        &AnalysisOptions {
            wtp: vec![0.0],
            threshold: 0.0,
            population: None,
        },
    );
    let row = |savings: &str, spend: &str, basis: &str| {
        a.roi
            .iter()
            .find(|r| r.savings_payer == savings && r.spend_payer == spend && r.basis == basis)
            .unwrap_or_else(|| panic!("no row {savings}/{spend}/{basis}"))
    };
    // The council spends, the NHS saves: NHS savings per £1 of council spend = 250/200.
    assert!((row("nhs", "council", "all").bcr - 1.25).abs() < 1e-12);
    // The council's own return: no council savings → BCR 0, net ROI −1.
    assert_eq!(row("council", "council", "all").bcr, 0.0);
    assert_eq!(row("council", "council", "all").net_roi, -1.0);
    // Cashable only: half the NHS saving → 125/200.
    assert!((row("nhs", "council", "cashable").bcr - 0.625).abs() < 1e-12);
    assert!((row("total", "total", "all").bcr - 1.25).abs() < 1e-12);
    // No NHS spend: no rows with NHS as the spender.
    assert!(a.roi.iter().all(|r| r.spend_payer != "nhs"));
}

#[test]
fn a_payer_that_cannot_spend_gives_the_same_returns_whether_or_not_its_spend_is_summed() {
    // The NHS and the person spend nothing in this table: marked as payers that cannot spend, their spend
    // perspectives are not fed, and every row and withheld ratio must come out as when they are fed and dropped.
    let options = AnalysisOptions {
        wtp: vec![0.0, 1000.0],
        threshold: 1000.0,
        population: None,
    };
    let fed = analyse(&table(), &options);
    let mut marked = table();
    marked.payers.as_mut().expect("split by payer").may_spend = vec![true, false, false];
    let skipped = analyse(&marked, &options);
    assert_eq!(format!("{:?}", fed.roi), format!("{:?}", skipped.roi));
    assert_eq!(
        format!("{:?}", fed.withheld_ratios),
        format!("{:?}", skipped.withheld_ratios)
    );
    assert!(fed.roi.iter().any(|r| r.spend_payer == "council"));
    assert!(fed
        .roi
        .iter()
        .all(|r| r.spend_payer != "nhs" && r.spend_payer != "person"));
}

#[test]
fn cashable_perspectives_worked_out_as_their_twins_give_the_rows_worked_out_on_their_own() {
    // Every care cost cashable: marked so, each cashable perspective reads its twin on all care costs; unmarked, it
    // is fed and summarised on its own. Rows with a ratio (as built) and withheld ones (a spend that is negative in
    // one of three iterations) must come out the same both ways, basis and all.
    let options = AnalysisOptions {
        wtp: vec![0.0, 1000.0],
        threshold: 1000.0,
        population: None,
    };
    for negative_spend in [false, true] {
        let mut unmarked = table();
        let p = unmarked.payers.as_mut().expect("split by payer");
        p.cashable = Some(p.care.clone());
        if negative_spend {
            p.spend[[1, 1, 0]] = -100.0;
        }
        let mut marked = unmarked.clone();
        marked.payers.as_mut().expect("split by payer").cashable = None;
        let (on_own, as_twins) = (analyse(&unmarked, &options), analyse(&marked, &options));
        assert_eq!(format!("{:?}", on_own.roi), format!("{:?}", as_twins.roi));
        assert_eq!(
            format!("{:?}", on_own.withheld_ratios),
            format!("{:?}", as_twins.withheld_ratios)
        );
        let cashable = |a: &Analysis| a.roi.iter().filter(|r| r.basis == "cashable").count();
        let withheld = |a: &Analysis| (a.withheld_ratios.iter()).filter(|w| w.basis == "cashable").count();
        if negative_spend {
            assert!(withheld(&as_twins) > 0 && cashable(&as_twins) == 0);
        } else {
            assert!(cashable(&as_twins) > 0);
            // All of the NHS saving is cashable now: 250/200 on either basis.
            let nhs = |basis: &str| {
                (as_twins.roi.iter())
                    .find(|r| r.savings_payer == "nhs" && r.spend_payer == "council" && r.basis == basis)
                    .map(|r| r.bcr)
            };
            assert_eq!(nhs("cashable"), Some(1.25));
            assert_eq!(nhs("all"), Some(1.25));
        }
    }
}

#[test]
fn icer_quadrants_are_never_a_bare_negative_ratio() {
    assert_eq!(Icer::new(100.0, 0.01).quadrant, Quadrant::MoreCostlyMoreEffective);
    assert_eq!(Icer::new(100.0, 0.01).value, Some(10_000.0));
    assert_eq!(Icer::new(-100.0, 0.01).quadrant, Quadrant::Dominant);
    assert_eq!(Icer::new(100.0, -0.01).quadrant, Quadrant::Dominated);
    assert_eq!(Icer::new(-100.0, -0.01).quadrant, Quadrant::LessCostlyLessEffective);
    assert_eq!(Icer::new(5.0, 0.0).value, None);
}
