//! The workbook's sheets for what only some runs have: the local cost-benefit account (`[cba]`) and the results by
//! subgroup, each as its CSV file (cba.csv, subgroups.csv) with numbers as numbers.

use super::{header, number, Formats};
use crate::analysis::cba::Cba;
use crate::analysis::subgroups::SubgroupResult;
use crate::analysis::Analysis;
use crate::output::cba::share_of;
use crate::output::subgroups::{groups, Kind};
use rust_xlsxwriter::{Worksheet, XlsxError};

/// cba.csv's content: per comparison, every line of the account with its share, mean and 95% interval, then the
/// ratios (or why each is withheld). Per person, discounted.
pub(super) fn cba_sheet(sheet: &mut Worksheet, cba: &Cba, f: &Formats) -> Result<(), XlsxError> {
    sheet.set_name("Cost-benefit")?;
    header(
        sheet,
        0,
        &[
            ("Arm", 18.0),
            ("Comparator", 18.0),
            ("Part", 14.0),
            ("Line", 44.0),
            ("Share applied", 10.0),
            ("Mean per person", 15.0),
            ("95% interval: low", 15.0),
            ("95% interval: high", 15.0),
            ("Note", 50.0),
        ],
        f,
    )?;
    let mut r = 0;
    for c in &cba.comparisons {
        for l in &c.lines {
            r += 1;
            sheet.write_string(r, 0, &c.arm)?;
            sheet.write_string(r, 1, &c.comparator)?;
            sheet.write_string(r, 2, l.group.replace('_', " "))?;
            sheet.write_string(r, 3, &l.label)?;
            number(sheet, r, 4, share_of(&cba.settings, l), &f.percent)?;
            for (k, v) in [l.figure.mean, l.figure.p2_5, l.figure.p97_5].into_iter().enumerate() {
                number(sheet, r, 5 + k as u16, Some(v), &f.money)?;
            }
        }
        for ratio in &c.ratios {
            r += 1;
            sheet.write_string(r, 0, &c.arm)?;
            sheet.write_string(r, 1, &c.comparator)?;
            sheet.write_string(r, 2, "ratio")?;
            sheet.write_string(r, 3, ratio.label)?;
            number(sheet, r, 5, ratio.value, &f.ratio)?;
            if let Some(why) = ratio.withheld {
                sheet.write_string(r, 8, why.note())?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// subgroups.csv's content: the headline figures of the whole cohort and of each subgroup run alone, per person of
/// the group, each in its own format (money, amount, share, £ per £1, cycles).
pub(super) fn subgroup_sheet(
    sheet: &mut Worksheet,
    total: (&Analysis, Option<&Cba>),
    subgroups: &[SubgroupResult],
    f: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name("By subgroup")?;
    header(
        sheet,
        0,
        &[
            ("Subgroup", 16.0),
            ("Label", 24.0),
            ("Share of cohort", 10.0),
            ("People", 10.0),
            ("Arm", 18.0),
            ("Comparator", 18.0),
            ("Figure (per person)", 40.0),
            ("Value", 15.0),
            ("95% interval: low", 15.0),
            ("95% interval: high", 15.0),
        ],
        f,
    )?;
    let mut r = 0;
    for g in groups(total, subgroups) {
        for (c, figure) in g.figures() {
            r += 1;
            sheet.write_string(r, 0, g.name)?;
            sheet.write_string(r, 1, g.label)?;
            number(sheet, r, 2, Some(g.share), &f.percent)?;
            number(sheet, r, 3, Some(g.people as f64), &f.whole)?;
            sheet.write_string(r, 4, &c.arm)?;
            sheet.write_string(r, 5, &c.comparator)?;
            sheet.write_string(r, 6, &figure.words)?;
            let format = match figure.kind {
                Kind::Money => &f.money,
                Kind::Amount => &f.decimal,
                Kind::Share => &f.percent,
                Kind::Ratio => &f.ratio,
                Kind::Cycles => &f.whole,
            };
            number(sheet, r, 7, figure.value, format)?;
            if let Some((lo, hi)) = figure.interval {
                number(sheet, r, 8, Some(lo), format)?;
                number(sheet, r, 9, Some(hi), format)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}
