//! "Save as scenario": the scenario file with the page's changes written into it, with a comment at the top saying
//! where it came from and what changed, checked to compile to the model `--set` gives before it is offered.

use super::runs::{place, Request};
use super::scenarios::Served;
use crate::model::{compile, compile_with_overrides, InputForm};
use crate::scenario::what_if::with_changes;
use crate::scenario::Scenario;

/// Whether the file on disk is still the one the server read (a saved run reads it again).
pub fn unchanged_on_disk(s: &Served) -> Result<(), String> {
    let now = Scenario::read(&s.path).map_err(|e| e.to_string())?;
    if now.sha256 == s.scenario.sha256 {
        Ok(())
    } else {
        Err(format!(
            "{} has changed since the server read it: restart carecast serve to use the new version",
            s.path.display()
        ))
    }
}

/// What a change replaced: the number the file writes for `name[.field]`, in words.
fn was(s: &Served, name: &str, field: Option<&str>) -> String {
    let Some(input) = s.inputs.iter().find(|i| i.info.name == name) else {
        return "?".into();
    };
    match (&input.form, field) {
        (InputForm::Number(v), _) => format!("{v}"),
        (InputForm::Expression(e), _) => format!("= {e}"),
        (InputForm::Table { fields, .. }, Some(f)) => fields
            .iter()
            .find(|(k, _)| *k == f)
            .map_or("not written".into(), |(_, v)| format!("{v}")),
        (InputForm::Table { dist, .. }, None) => format!("a {dist} distribution"),
        (InputForm::Locked, _) => "?".into(),
    }
}

/// The file's name and text with `request`'s changes written in, or the messages to show beside the fields.
pub fn scenario_text(
    s: &Served,
    request: &Request,
    max_iterations: usize,
) -> Result<(String, String), Vec<(String, String)>> {
    let changes = request.changes(max_iterations)?;
    let general = |m: String| vec![(String::new(), m)];
    let changed = compile_with_overrides(&s.scenario, &changes.overrides)
        .map_err(|e| vec![place(&crate::commands::Error::Input(e), &changes)])?;
    let run = changed.run_defaults;
    let mut lines = vec![format!(
        "# What-if of {} (SHA-256 {}), saved by carecast {} serve on {}.",
        s.path.display(),
        s.scenario.sha256,
        env!("CARGO_PKG_VERSION"),
        humantime::format_rfc3339_seconds(std::time::SystemTime::now())
    )];
    let set: Vec<String> = changes
        .overrides
        .iter()
        .map(|o| format!("--set {}", o.describe()))
        .collect();
    if changes.overrides.is_empty() && changes.iterations.is_none() && changes.seed.is_none() {
        lines.push("# Nothing was changed: this is the file as written.".into());
    } else {
        let size = [("--iterations", changes.iterations), ("--seed", changes.seed)]
            .iter()
            .filter_map(|(flag, v)| v.map(|v| format!(" {flag} {v}")))
            .collect::<String>();
        lines.push(format!(
            "# Changed from that file (what `carecast run {}{}{size}` runs):",
            s.path.display(),
            set.iter().map(|s| format!(" {s}")).collect::<String>()
        ));
        for o in &changes.overrides {
            let target = o.field.as_ref().map_or(o.name.clone(), |f| format!("{}.{f}", o.name));
            lines.push(format!(
                "#   {target}: {} -> {}",
                was(s, &o.name, o.field.as_deref()),
                o.value
            ));
        }
        // A cost the file gave at a price year of its own is now written at the scenario's, where a field changed.
        for p in changed.meta.prices.iter() {
            for c in p
                .costs
                .iter()
                .filter(|c| changes.overrides.iter().any(|o| o.name == c.name && o.field.is_some()))
            {
                lines.push(format!(
                    "#   {} ({}) is now written at {} prices, as the page showed and changed it (the file gave it at {} prices)",
                    c.name, c.field, p.to, c.from
                ));
            }
        }
        if let Some(n) = changes.iterations.filter(|&n| n as usize != run.iterations) {
            lines.push(format!("#   iterations: {} -> {n}", run.iterations));
        }
        if let Some(seed) = changes.seed.filter(|&seed| seed != run.seed) {
            lines.push(format!("#   seed: {} -> {seed}", run.seed));
        }
        lines.push("# Everything else is as that file wrote it.".into());
    }
    let header = lines.iter().map(|l| format!("{l}\n")).collect::<String>();
    // Costs the file gives at a price year of their own are written at the scenario's, as `--set` changes them.
    let converted: Vec<(String, Vec<(String, f64)>)> = (changed.meta.prices.iter())
        .flat_map(|p| p.costs.iter().map(|c| (c.field.clone(), c.converted.clone())))
        .collect();
    let text = with_changes(
        &s.scenario.text,
        &changes.overrides,
        &converted,
        (changes.iterations, changes.seed),
        &header,
    )
    .map_err(|m| general(format!("error: cannot write the changes into the file: {m}")))?;
    // The file must say what `--set` did: the same parameters with the same distributions.
    let saved = Scenario::parse(&s.path, &text)
        .and_then(|sc| compile(&sc))
        .map_err(|e| general(format!("error: the file with the changes does not read back: {e}")))?;
    let describe = |m: &crate::model::Model| serde_json::to_string(&m.parameters).unwrap_or_default();
    if describe(&saved) != describe(&changed) {
        return Err(general(
            "error: the file with the changes would not give the same parameters as the changes do; edit the file by hand"
                .into(),
        ));
    }
    let name = format!("{}-what-if.toml", s.scenario.raw.scenario.name.get_ref());
    Ok((name, text))
}
