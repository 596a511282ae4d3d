//! Tests of text: titles that wrap, and free text cleaned and cut to fit.

use super::super::frame::SIDE;
use super::super::render::WIDTH;
use super::super::roi::{roi_histograms, Sample};
use super::super::text::{clean, fit, measure, wrap_clauses, LEGEND_PX, TITLE_PX};
use super::{check_svg, draw_both_usual};

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
    // The word of 200 x's takes a line of its own, cut to fit.
    let svg = check_svg(&paths[1], &["Reablement review &lt;&amp;&gt;", "xxx", "…"]);
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

#[test]
fn clauses_wrap_whole_and_lose_nothing_while_there_is_room() {
    let clauses: Vec<String> = [
        "95% interval −£0.48 to −£0.07",
        "£1 or more back in 0% of 10,000 iterations",
    ]
    .map(String::from)
    .into();
    // Room for both on one line: joined by "; ".
    assert_eq!(
        wrap_clauses(&clauses, LEGEND_PX, 2000, 4),
        ["95% interval −£0.48 to −£0.07; £1 or more back in 0% of 10,000 iterations"]
    );
    // Room for either but not both: each clause on a line of its own, whole, within the width.
    let widest = clauses.iter().map(|c| measure(c, LEGEND_PX).0).max().unwrap_or(0);
    let width = widest * 7 / 6 + 7;
    assert!(measure(&clauses.join("; "), LEGEND_PX).0 > width * 6 / 7);
    let lines = wrap_clauses(&clauses, LEGEND_PX, width, 4);
    assert_eq!(lines, clauses);
    for line in &lines {
        assert!(measure(line, LEGEND_PX).0 <= width * 6 / 7, "{line} fits");
    }
    // Narrower than the second clause: it is wrapped by words, every word kept.
    let lines = wrap_clauses(&clauses, LEGEND_PX, 200, 6);
    assert!(lines.len() >= 3, "{lines:?}");
    assert_eq!(
        lines.join(" ").split_whitespace().collect::<Vec<_>>().join(" "),
        clauses.join(" ")
    );
    assert!(lines.iter().all(|l| !l.ends_with('…')));
    // Out of lines: the last one says that something was cut.
    let lines = wrap_clauses(&clauses, LEGEND_PX, 200, 2);
    assert_eq!(lines.len(), 2);
    assert!(lines[1].ends_with('…'), "{lines:?}");
    assert!(wrap_clauses(&[], LEGEND_PX, 200, 2).is_empty());
}

#[test]
fn three_panels_of_return_show_their_statistics_whole() {
    // Telecare (WSD)'s three payers side by side: until 2026-12-07 each head was cut to one line per statistic,
    // which lost the median and the share of iterations returning £1 ("£1 or more back in 0…").
    let council: Vec<f64> = (0..1000).map(|i| -0.48 + 0.41 * i as f64 / 999.0).collect();
    let nhs: Vec<f64> = (0..1000).map(|i| -0.07 + 0.35 * i as f64 / 999.0).collect();
    let panels: Vec<Sample> = [
        ("Savings to the council per £1 the council spends", &council, -0.23),
        ("Savings to the NHS per £1 the council spends", &nhs, 0.09),
        ("Savings to all payers per £1 the council spends", &council, -0.14),
    ]
    .map(|(label, values, r)| Sample {
        label: label.into(),
        values,
        ratio_of_means: Some(r),
    })
    .into();
    let svg = draw_both_usual(&super::super::roi::RoiFigure::new("Telecare", &panels));
    let texts: String = (svg.split("</text>").map(|t| t.rsplit('>').next().unwrap_or("").trim()))
        .collect::<Vec<_>>()
        .join(" ");
    for whole in [
        "Savings to the council per £1 the council spends",
        "mean savings ÷ mean spend −£0.23",
        "median of the iterations −£0.27",
        "95% interval −£0.47 to −£0.08",
        "£1 or more back in 0% of 1,000 iterations",
        "break-even off the chart",
    ] {
        let words = whole.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(texts.contains(&words), "{whole} is shown whole in {texts}");
    }
    assert!(!texts.contains('…'), "nothing is cut: {texts}");
}

#[test]
fn a_measured_size_is_plotters_own_whether_kept_or_not() {
    use plotters::style::IntoFont;
    let own = |text: &str, px: f64| {
        let (w, h) = (super::super::font::FONT, px)
            .into_font()
            .box_size(text)
            .expect("measured");
        (w as i32, h as i32)
    };
    super::super::font::ensure_font().expect("the embedded font");
    let texts = [
        "£1,234",
        "Savings to the council",
        "−£0.23",
        "QALYs gained per person",
        "0",
    ];
    for px in [TITLE_PX, LEGEND_PX, 13.5] {
        for text in texts {
            // Measured afresh, then read back from what is kept.
            assert_eq!(measure(text, px), own(text, px), "{text} at {px}");
            assert_eq!(measure(text, px), own(text, px), "{text} at {px}, kept");
        }
    }
    // More texts than are kept: the sizes are emptied and measured again, and stay right.
    for i in 0..5_000 {
        let text = format!("£{i},000");
        assert_eq!(measure(&text, LEGEND_PX), own(&text, LEGEND_PX), "{text}");
    }
    for text in texts {
        assert_eq!(measure(text, LEGEND_PX), own(text, LEGEND_PX), "{text} after emptying");
    }
}
