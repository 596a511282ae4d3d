//! Tests of text: titles that wrap, and free text cleaned and cut to fit.

use super::super::frame::SIDE;
use super::super::render::WIDTH;
use super::super::roi::{roi_histograms, Sample};
use super::super::text::{clean, fit, measure, TITLE_PX};
use super::check_svg;

#[test]
fn a_title_too_long_for_one_line_takes_two_and_keeps_its_end() {
    let dir = tempfile::tempdir().expect("tempdir");
    let title =
        "Home care reablement (teaching example): £ back per £1 spent, Reablement first vs Conventional home care";
    assert!(
        fit(title, TITLE_PX, WIDTH as i32 - 2 * SIDE).ends_with('…'),
        "the title must not fit on one line"
    );
    let v = [1.0, 2.0];
    let paths = roi_histograms(
        dir.path().join("t"),
        title,
        &[Sample {
            label: "Savings to the council".into(),
            values: &v,
            ratio_of_means: None,
        }],
    )
    .expect("ok");
    let svg = check_svg(&paths[1], &["Home care reablement", "Conventional home care"]);
    assert!(!svg.contains('…'), "nothing is cut");
}

#[test]
fn long_unicode_titles_are_cleaned_and_truncated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let title = format!("Reablement 🏠👩‍⚕️ review\u{0}\u{7}<&> {}🎉", "x".repeat(200));
    assert!(title.chars().count() > 200);
    let v = [1.0, 2.0];
    let paths = roi_histograms(
        dir.path().join("t"),
        &title,
        &[Sample {
            label: title.clone(),
            values: &v,
            ratio_of_means: None,
        }],
    )
    .expect("ok");
    let svg = check_svg(&paths[1], &["Reablement review &lt;&amp;&gt; xxx", "…"]);
    assert!(!svg.contains('🏠'), "pictographs the font lacks are dropped");
    let fitted = fit(&title, TITLE_PX, 1000);
    assert!(fitted.ends_with('…') && measure(&fitted, TITLE_PX).0 <= 1000);
    assert_eq!(fit("", TITLE_PX, 100), "");
    assert_eq!(fit("short", TITLE_PX, 0), "…");
    let huge = "é".repeat(1_000_000);
    assert!(fit(&huge, TITLE_PX, 500).chars().count() < 100);
    assert_eq!(clean("a\u{200D}b\u{202E}c\n\td  "), "abc d");
    assert_eq!(clean("Résumé — 日本"), "Résumé — 日本", "other scripts are kept");
}
