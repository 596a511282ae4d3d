//! Tests of the labels: money, numbers, percentages and outcome names as people write them.

use super::super::labels::{
    count_label, display_outcome, number_label, ordinal, percent_label, ratio_label, signed_number, Fmt,
};
use crate::output::format::{money_label, money_tick, signed_money_label as signed_money};

#[test]
fn money_and_number_labels_read_like_people_write_them() {
    assert_eq!(money_tick(10_000.0, 5_000.0), "£10k");
    assert_eq!(money_tick(1_500_000.0, 500_000.0), "£1.5m");
    assert_eq!(money_tick(-2_000.0, 1_000.0), "−£2k");
    assert_eq!(money_tick(2_500.0, 500.0), "£2.5k");
    assert_eq!(money_tick(500.0, 500.0), "£500");
    assert_eq!(money_tick(0.0, 0.2), "£0");
    assert_eq!(money_tick(0.8, 0.2), "£0.80");
    assert_eq!(money_tick(1e-12, 0.2), "£0");
    assert_eq!(Fmt::Ratio.tick(1.0, 1.0), "£1.00");
    assert_eq!(Fmt::Ratio.tick(15.0, 5.0), "£15");
    assert_eq!(money_label(1234.0), "£1.23k");
    assert_eq!(money_label(-300.0), "−£300");
    assert_eq!(money_label(0.8), "£0.80");
    assert_eq!(money_label(28_700_000.0), "£28.7m");
    assert_eq!(money_label(30_000.0), "£30k");
    assert_eq!(money_label(f64::NAN), "n/a");
    assert_eq!(ratio_label(1.2), "£1.20");
    assert_eq!(number_label(-0.02, 2), "−0.02");
    assert_eq!(number_label(-0.0001, 2), "0.00");
    assert_eq!(number_label(12_000.0, 0), "12,000");
    assert_eq!(Fmt::Number.tick(0.0, 0.005), "0");
    assert_eq!(Fmt::Probability.tick(0.2, 0.2), "20%");
    assert_eq!(signed_number(0.0213), "+0.0213");
    assert_eq!(signed_money(1200.0), "+£1.2k");
    assert_eq!(percent_label(0.999), ">99.5%");
    assert_eq!(percent_label(0.001), "<0.5%");
    assert_eq!((percent_label(1.0), percent_label(0.0)), ("100%".into(), "0%".into()));
    assert_eq!(percent_label(0.87), "87%");
    assert_eq!(count_label(1_000_000), "1,000,000");
    assert_eq!(ordinal(50), "50th");
    assert_eq!(ordinal(2), "2nd");
    assert_eq!(ordinal(11), "11th");
    assert_eq!(display_outcome("qaly"), "QALY");
    assert_eq!(display_outcome("qalys"), "QALYs");
    assert_eq!(display_outcome("bed_days"), "bed days");
    assert_eq!(display_outcome("ASCOT"), "ASCOT");
}
