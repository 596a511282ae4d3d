//! The inputs `carecast serve`'s page offers for change: every parameter a `--set` can reach, with the numbers its
//! file writes, where it is defined, and the heading the file groups it under.

use super::compile_with;
use crate::error::InputError;
use crate::model::{Draw, Model, ParameterInfo};
use crate::scenario::raw::RawParameterTable;
use crate::scenario::what_if::{parameter_entries, written_fields};
use crate::scenario::Scenario;

/// How a change may set a parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum InputForm {
    /// Written as a number: a change sets it (`--set NAME=VALUE`).
    Number(f64),
    /// Written as an expression: a change replaces it with a number.
    Expression(String),
    /// Written as a distribution table: a change sets one of the numbers it writes (`--set NAME.FIELD=VALUE`), and
    /// the distribution is fitted again as the file's own would be.
    Table {
        /// The distribution's name as written (`gamma`, `beta`, ...).
        dist: String,
        /// The numbers the table writes, by field name (`mean`, `sd`, `ci95_low`, ...).
        fields: Vec<(&'static str, f64)>,
    },
    /// A member of a Dirichlet or multivariate normal: only the file can change it.
    Locked,
}

/// One parameter as the page offers it.
#[derive(Debug, Clone)]
pub struct EditableInput {
    /// Its first definition (name, scope, unit, source key, note and distribution).
    pub info: ParameterInfo,
    /// Every scope that defines it (`base`, `arm:<name>`, `subgroup:<name>`): a change reaches them all.
    pub scopes: Vec<String>,
    /// The heading the file writes it under in `[parameters]` (a ruled comment), if any.
    pub heading: Option<String>,
    pub form: InputForm,
}

/// Every parameter of `scenario` (compiled as `plain`) that a change can reach, in the order the file defines them
/// (base first, then arms and subgroups), one entry per name. Reproduction targets' own parameters are left out.
pub fn editable_inputs(scenario: &Scenario, plain: &Model) -> Result<Vec<EditableInput>, InputError> {
    let mut names: Vec<String> = (plain.parameters.iter())
        .map(|p| p.name.clone())
        .filter(|n| !n.starts_with("reproduce_"))
        .collect();
    names.dedup();
    let model = compile_with(scenario, &names)?;
    let entries = parameter_entries(&scenario.text);
    let mut out: Vec<EditableInput> = Vec::new();
    for entry in &model.overridable {
        if let Some(known) = out.iter_mut().find(|e| e.info.name == entry.name) {
            known.scopes.push(entry.scope.clone());
            continue;
        }
        if !names.contains(&entry.name) {
            continue;
        }
        let info = model.parameters[entry.info].clone();
        let locked = matches!(
            model.draws.get(entry.draw),
            Some(Draw::Dirichlet { .. } | Draw::Joint(_))
        );
        let form = match (&entry.table, &info.spec) {
            _ if locked => InputForm::Locked,
            (Some(t), _) => table_form(t),
            (None, crate::model::ParameterSpec::Expression { expression }) => InputForm::Expression(expression.clone()),
            (None, crate::model::ParameterSpec::Fixed { value }) => InputForm::Number(*value),
            (None, _) => InputForm::Locked,
        };
        let heading = (entry.scope == "base")
            .then(|| {
                entries
                    .iter()
                    .find(|(n, _)| *n == entry.name)
                    .and_then(|(_, h)| h.clone())
            })
            .flatten();
        out.push(EditableInput {
            scopes: vec![entry.scope.clone()],
            heading,
            form,
            info,
        });
    }
    // The file's `[parameters]` in its own order (the compiled model holds them by name), then arms' and subgroups'.
    let place = |input: &EditableInput| {
        let base = input.scopes.first().is_some_and(|s| s == "base");
        let at = entries.iter().position(|(n, _)| *n == input.info.name);
        (!base, at.filter(|_| base).unwrap_or(usize::MAX))
    };
    out.sort_by_cached_key(place);
    Ok(out)
}

/// A table's form: its distribution and written numbers (a Dirichlet or multivariate normal, whose numbers are
/// lists, is locked).
fn table_form(t: &RawParameterTable) -> InputForm {
    let fields = written_fields(t);
    let dist = t.dist.as_ref().map_or("fixed", |d| d.get_ref().as_str()).to_string();
    if fields.is_empty() || matches!(dist.as_str(), "dirichlet" | "mvnormal") {
        return InputForm::Locked;
    }
    InputForm::Table { dist, fields }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::compile;

    #[test]
    fn the_inputs_come_in_the_files_order_under_its_headings() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/shared-lives.toml");
        let scenario = Scenario::read(&path).expect("the bundled scenario reads");
        let model = compile(&scenario).expect("compiles");
        let inputs = editable_inputs(&scenario, &model).expect("its inputs");
        let base: Vec<&str> = (inputs.iter())
            .filter(|i| i.scopes[0] == "base")
            .map(|i| i.info.name.as_str())
            .collect();
        // The file writes `in_shared_lives` and `group` first (under "Which arm ..."), its two expressions later.
        assert_eq!(&base[..2], ["in_shared_lives", "group"], "{base:?}");
        let order: Vec<String> = parameter_entries(&scenario.text).into_iter().map(|(n, _)| n).collect();
        let at: Vec<usize> = (base.iter())
            .map(|n| order.iter().position(|o| o == n).unwrap())
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{base:?}");
        // Arms' and subgroups' own come after the file's.
        let first_other = inputs
            .iter()
            .position(|i| i.scopes[0] != "base")
            .unwrap_or(inputs.len());
        assert!(inputs[first_other..].iter().all(|i| i.scopes[0] != "base"));
        assert_eq!(
            inputs[0].heading.as_deref(),
            Some("Which arm and which client group (set by the arms and by [cohort] subgroups)")
        );
    }
}
