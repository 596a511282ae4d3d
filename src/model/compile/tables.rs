//! `[tables]` as names expressions call: each table's name must be free for it (no function, reserved name or
//! parameter has it). The tables themselves are read and checked by the scenario layer.

use super::parameters::RESERVED;
use super::Compiler;
use crate::error::InputError;
use crate::expr;
use crate::scenario::raw::RawScenario;

impl Compiler<'_> {
    /// Every table's name is a valid name that no function, reserved name or base parameter has.
    pub(super) fn check_table_names(&self, raw: &RawScenario) -> Result<(), InputError> {
        for table in self.tables {
            let field = format!("tables.{}", table.name);
            self.check_identifier(&table.name, table.span.clone(), &field)?;
            let clash = if expr::function_names().any(|f| f == table.name) {
                Some("a built-in function")
            } else if RESERVED.contains(&table.name.as_str()) {
                Some("a reserved name")
            } else if raw.parameters.keys().any(|p| p.get_ref() == &table.name) {
                Some("a parameter")
            } else {
                None
            };
            if let Some(what) = clash {
                return Err(self.err(
                    table.span.clone(),
                    field,
                    format!("`{}` is {what}; a table needs a name of its own", table.name),
                ));
            }
        }
        Ok(())
    }
}
