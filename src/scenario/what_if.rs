//! What `carecast serve`'s live page needs from a scenario file: the headings the file groups its parameters under,
//! the numbers each definition writes (the fields a change can set), and the file written again with changes in it
//! ("save as scenario"), every comment and layout kept.

use super::overrides::Override;
use super::raw::{RawAlpha, RawMean, RawParameter, RawParameterTable, RawScenario};
use serde_spanned::Spanned;
use std::collections::BTreeMap;
use std::ops::Range;

/// Every entry of `[parameters]` in the order the file writes them, with the heading it is written under, if any: the
/// nearest comment line above it of the form `# --- Unit costs (council) ---` (dashes or equals signs around the words;
/// a ruled comment that runs on as prose gives its first sentence).
pub fn parameter_entries(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let (mut in_parameters, mut heading) = (false, None::<String>);
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_parameters = line == "[parameters]";
            heading = None;
        } else if let Some(comment) = line.strip_prefix('#') {
            let ruled = comment.trim_start().starts_with("---") || comment.trim_start().starts_with("===");
            if let Some(words) = heading_words(comment).filter(|_| in_parameters && ruled) {
                heading = Some(words);
            }
        } else if let (true, Some((key, _))) = (in_parameters, line.split_once('=')) {
            let key = key.trim().trim_matches('"');
            if !key.is_empty() && !key.contains(['.', ' ']) {
                out.push((key.to_string(), heading.clone()));
            }
        }
    }
    out
}

/// A ruled comment's words as a heading: all of them where a rule closes them (`# --- Costs ---`); where they run on
/// as prose with no closing rule (`# --- Older people. Alternative: a care home, ...`), only their first sentence, or
/// what comes before a colon if that is shorter, so that the heading is not cut off where the comment's line ends.
/// None for a rule alone.
fn heading_words(comment: &str) -> Option<String> {
    let is_rule = |c: char| c == '-' || c == '=';
    let closed = comment.trim_end().ends_with(is_rule);
    let words = comment.trim().trim_matches(is_rule).trim();
    let words = if closed {
        words
    } else {
        let end = [". ", ": "].iter().filter_map(|stop| words.find(stop)).min();
        end.map_or(words, |end| &words[..end]).trim_end_matches(['.', ':'])
    };
    (!words.is_empty()).then(|| words.to_string())
}

/// Each single number a parameter table writes, by the field name `--set NAME.FIELD=` takes, with its place in the
/// file, in a fixed order. A list-valued mean or alpha (multivariate normal, Dirichlet) and `ci95` (two numbers) are
/// not among them.
fn numbers(t: &RawParameterTable) -> Vec<(&'static str, Range<usize>, f64)> {
    let plain = |v: &Option<Spanned<f64>>| v.as_ref().map(|v| (v.span(), *v.get_ref()));
    let mean = t.mean.as_ref().and_then(|m| match m.get_ref() {
        RawMean::One(v) => Some((m.span(), *v)),
        RawMean::Many(_) => None,
    });
    let alpha = t.alpha.as_ref().and_then(|a| match a.get_ref() {
        RawAlpha::One(v) => Some((a.span(), *v)),
        RawAlpha::Many(_) => None,
    });
    [
        ("value", plain(&t.value)),
        ("mean", mean),
        ("median", plain(&t.median)),
        ("sd", plain(&t.sd)),
        ("low", plain(&t.low)),
        ("high", plain(&t.high)),
        ("min", plain(&t.min)),
        ("mode", plain(&t.mode)),
        ("max", plain(&t.max)),
        ("lambda", plain(&t.lambda)),
        ("alpha", alpha),
        ("beta", plain(&t.beta)),
        ("shape", plain(&t.shape)),
        ("scale", plain(&t.scale)),
        ("rate", plain(&t.rate)),
        ("meanlog", plain(&t.meanlog)),
        ("sdlog", plain(&t.sdlog)),
    ]
    .into_iter()
    .filter_map(|(name, found)| found.map(|(span, v)| (name, span, v)))
    .collect()
}

/// The numbers a parameter table writes, by the field name `--set NAME.FIELD=` takes: its single numbers
/// (`numbers`), then `ci95` as `ci95_low` and `ci95_high`.
pub fn written_fields(t: &RawParameterTable) -> Vec<(&'static str, f64)> {
    let mut out: Vec<(&'static str, f64)> = numbers(t).into_iter().map(|(name, _, v)| (name, v)).collect();
    if let Some([lo, hi]) = t.ci95.as_ref().map(|c| c.get_ref().as_slice()) {
        out.extend([("ci95_low", *lo), ("ci95_high", *hi)]);
    }
    out
}

/// A number as the file will hold it: the shortest text that reads back to the same bits, always as a TOML float
/// (`120.0`, `1e-7`, `1e300`: Rust's `{:?}`), never as an integer that could overflow.
fn toml_number(v: f64) -> String {
    format!("{v:?}")
}

/// Each price-converted definition's money values at the scenario's price year, by where it is in the file
/// (`parameters.x`, `arms[1].parameters.x`, `cohort.subgroups[0].parameters.x`), as `(field, value)`: what a model
/// compiled from the file holds (`model::prices::ConvertedCost`).
pub type Converted = [(String, Vec<(String, f64)>)];

/// Every definition of `name` in the file (base, arms, subgroups): where it is, and its value with its span.
fn definitions<'a>(raw: &'a RawScenario, name: &str) -> Vec<(String, &'a Spanned<RawParameter>)> {
    let find = |map: &'a BTreeMap<Spanned<String>, Spanned<RawParameter>>| {
        map.iter().find(|(k, _)| k.get_ref() == name).map(|(_, v)| v)
    };
    let mut out: Vec<(String, &Spanned<RawParameter>)> = find(&raw.parameters)
        .map(|d| (format!("parameters.{name}"), d))
        .into_iter()
        .collect();
    for (i, arm) in raw.arms.get_ref().iter().enumerate() {
        out.extend(find(&arm.get_ref().parameters).map(|d| (format!("arms[{i}].parameters.{name}"), d)));
    }
    for (i, group) in raw.cohort.get_ref().subgroups.iter().enumerate() {
        out.extend(find(&group.get_ref().parameters).map(|d| (format!("cohort.subgroups[{i}].parameters.{name}"), d)));
    }
    out
}

type Edit = (Range<usize>, String);

/// Where a change of `field` to `value` goes in the definition at `span` written as table `t`: a span to replace
/// and its new text. `ci95_low` and `ci95_high` are handled by [`table_edits`].
fn field_edit(text: &str, span: &Range<usize>, t: &RawParameterTable, field: &str, value: f64) -> Option<Edit> {
    let number = toml_number(value);
    let found = numbers(t)
        .into_iter()
        .find(|(name, _, _)| *name == field)
        .map(|(_, at, _)| (at, number.clone()));
    if found.is_some() {
        return found;
    }
    // A field the table does not write yet goes in before the inline table's closing brace.
    let definition = text.get(span.clone())?;
    let close = definition.trim_end().strip_suffix('}')?;
    let end = span.start + close.len();
    let separator = if close.trim_end().ends_with('{') { " " } else { ", " };
    Some((end..end, format!("{separator}{field} = {number} ")))
}

/// The edits that give the table at `span` the numbers `values` (by field name), the rest as written.
fn table_edits(text: &str, span: &Range<usize>, t: &RawParameterTable, values: &[(String, f64)]) -> Option<Vec<Edit>> {
    let get = |f: &str| values.iter().find(|(k, _)| k == f).map(|(_, v)| *v);
    let mut out = Vec::new();
    if get("ci95_low").is_some() || get("ci95_high").is_some() {
        let c = t.ci95.as_ref()?;
        let [lo, hi] = c.get_ref().as_slice() else { return None };
        let (lo, hi) = (get("ci95_low").unwrap_or(*lo), get("ci95_high").unwrap_or(*hi));
        out.push((c.span(), format!("[{}, {}]", toml_number(lo), toml_number(hi))));
    }
    for (field, value) in values.iter().filter(|(f, _)| !f.starts_with("ci95_")) {
        out.push(field_edit(text, span, t, field, *value)?);
    }
    Some(out)
}

/// The file's text with one change written into every definition it changes, as `--set` applies it: a name alone
/// replaces each definition with the number; `name.field` sets that field of each definition written as a table
/// (a definition written as a number is left as it is, as `--set` leaves it). A table with a price year of its own
/// is written at the scenario's price year (`converted`), since that is what `--set` changes.
fn apply_one(text: &str, o: &Override, converted: &Converted) -> Result<String, String> {
    let raw: RawScenario = toml::from_str(text).map_err(|e| e.to_string())?;
    let cannot = || {
        format!(
            "cannot write {} into the file's definition of `{}`",
            o.describe(),
            o.name
        )
    };
    let mut edits: Vec<Edit> = Vec::new();
    for (path, def) in definitions(&raw, &o.name) {
        let span = def.span();
        match (&o.field, def.get_ref()) {
            (None, _) => edits.push((span, toml_number(o.value))),
            (Some(_), RawParameter::Number(_)) => {}
            (Some(_), RawParameter::Expression(_)) => {
                return Err(format!("`{}` is an expression: only its value can be set", o.name))
            }
            (Some(field), RawParameter::Table(t)) => {
                let mut values: Vec<(String, f64)> = Vec::new();
                // Written at a price year of its own (not yet moved to the scenario's by an earlier change).
                let scenario_year = raw.scenario.price_year.as_ref().and_then(|y| text.get(y.span()));
                let own_year = (t.price_year.as_ref()).filter(|y| text.get(y.span()) != scenario_year);
                if let Some(year) = own_year {
                    let (_, at_scenario) = converted.iter().find(|(p, _)| *p == path).ok_or_else(cannot)?;
                    values.extend(at_scenario.iter().map(|(f, v)| (f.replace(' ', "_"), *v)));
                    edits.push((year.span(), scenario_year.ok_or_else(cannot)?.to_string()));
                }
                values.retain(|(f, _)| f != field);
                values.push((field.clone(), o.value));
                edits.extend(table_edits(text, &span, t, &values).ok_or_else(cannot)?);
            }
        }
    }
    if edits.is_empty() {
        return Err(format!("the file has no definition that {} changes", o.describe()));
    }
    // From the end, so that each edit leaves the spans before it where they were.
    edits.sort_by_key(|(span, _)| std::cmp::Reverse(span.start));
    let mut out = text.to_string();
    for (span, new) in edits {
        out.replace_range(span, &new);
    }
    Ok(out)
}

/// The file's text with `overrides` (checked already, as `model::compile_with_overrides` checks them) written in,
/// in order, and the run's iterations and seed where given; `header`
/// (comment lines, each starting with `#`) goes first. The result reads as the file with the changes: running it
/// gives what `carecast run --set ...` gives on the original.
pub fn with_changes(
    text: &str,
    overrides: &[Override],
    converted: &Converted,
    run: (Option<u64>, Option<u64>),
    header: &str,
) -> Result<String, String> {
    let mut out = text.to_string();
    for o in overrides {
        out = apply_one(&out, o, converted)?;
    }
    let raw: RawScenario = toml::from_str(&out).map_err(|e| e.to_string())?;
    let mut edits = Vec::new();
    if let Some(n) = run.0 {
        edits.push((raw.settings.iterations.span(), n.to_string()));
    }
    if let Some(seed) = run.1 {
        edits.push((raw.settings.seed.span(), seed.to_string()));
    }
    edits.sort_by_key(|(span, _)| std::cmp::Reverse(span.start));
    for (span, new) in edits {
        out.replace_range(span, &new);
    }
    Ok(format!("{header}{out}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[parameters]\n# --- Unit costs (council) ---\n# a note\nweekly = { dist = \"gamma\", mean = 96, sd = 14.4 }\np = { dist = \"beta\", ci95 = [0.53, 0.68] }\n\n# --- Quality of life ===\nu = 0.7\n[settings]\nx = 1\n";

    #[test]
    fn headings_are_the_ruled_comments_above_each_parameter() {
        let heading = |h: &str| Some(h.to_string());
        assert_eq!(
            parameter_entries(TEXT),
            vec![
                ("weekly".to_string(), heading("Unit costs (council)")),
                ("p".to_string(), heading("Unit costs (council)")),
                ("u".to_string(), heading("Quality of life")),
            ]
        );
    }

    #[test]
    fn entries_come_in_the_files_order_headed_or_not() {
        let text = "[parameters]\nzeta = 1\n# --- Costs ---\nalpha = 2\n[settings]\nbeta = 3\n";
        assert_eq!(
            parameter_entries(text),
            vec![
                ("zeta".to_string(), None),
                ("alpha".to_string(), Some("Costs".to_string()))
            ]
        );
    }

    #[test]
    fn a_ruled_comment_that_runs_on_as_prose_gives_its_first_sentence_as_the_heading() {
        let text = "[parameters]\n# --- Older people. Alternative: a care home, uniform between the floor and (mean £500 a week,\n# and more).\na = 1\n# --- The scheme (programme spend): staff £310,000 a year\nb = 2\n# --- Mental health, CV 0.2 assumed.\nc = 3\n# --- Costs -- staff and rooms ---\nd = 4\n# -------\ne = 5\n";
        let headings: Vec<String> = parameter_entries(text).into_iter().filter_map(|(_, h)| h).collect();
        assert_eq!(
            headings,
            [
                "Older people",
                "The scheme (programme spend)",
                "Mental health, CV 0.2 assumed",
                "Costs -- staff and rooms",
                "Costs -- staff and rooms",
            ]
        );
    }

    fn table(text: &str) -> RawParameterTable {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn written_fields_are_the_numbers_the_table_writes() {
        let t = table("dist = \"beta\"\nci95 = [0.53, 0.68]\nsource = \"x\"");
        assert_eq!(written_fields(&t), vec![("ci95_low", 0.53), ("ci95_high", 0.68)]);
        let t = table("dist = \"gamma\"\nmean = 96\nsd = 14.4");
        assert_eq!(written_fields(&t), vec![("mean", 96.0), ("sd", 14.4)]);
    }

    #[test]
    fn a_field_missing_from_an_inline_table_goes_before_its_closing_brace() {
        let text = "x = { dist = \"gamma\", mean = 2 }";
        let t = table("dist = \"gamma\"\nmean = 2");
        let (span, new) = field_edit(text, &(4..text.len()), &t, "sd", 0.5).unwrap();
        let mut out = text.to_string();
        out.replace_range(span, &new);
        assert_eq!(out, "x = { dist = \"gamma\", mean = 2 , sd = 0.5 }");
    }
}
