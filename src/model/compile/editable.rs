//! The inputs `carecast serve`'s page offers for change: every parameter a `--set` can reach, with the numbers its
//! file writes, where it is defined, and the heading the file groups it under.

use super::compile_with;
use crate::error::InputError;
use crate::model::{Draw, Model, ParameterInfo};
use crate::scenario::raw::RawParameterTable;
use crate::scenario::what_if::{parameter_headings, written_fields};
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
    let headings = parameter_headings(&scenario.text);
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
            .then(|| headings.iter().find(|(n, _)| *n == entry.name).map(|(_, h)| h.clone()))
            .flatten();
        out.push(EditableInput {
            scopes: vec![entry.scope.clone()],
            heading,
            form,
            info,
        });
    }
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
