//! A scenario's inputs as its file writes them, on one line each, for reports: state costs and outcomes,
//! transition rows, arm cost lines and the cohort's entry. Reports show these rather than the compiled numbers so
//! that a reader can match each row to the file.

use serde::Serialize;

/// The inputs of a scenario as written (empty where the text does not parse).
#[derive(Debug, Clone, Default, Serialize)]
pub struct AsWritten {
    /// `[cohort] entry`, the share of people entering in each programme year.
    pub entry: Option<String>,
    pub states: Vec<StateAsWritten>,
    /// Starting shares (from `(start)`) and transition rows, base model first, then each arm's.
    pub transitions: Vec<TransitionAsWritten>,
    pub arms: Vec<ArmAsWritten>,
}

/// One `[[states]]` entry.
#[derive(Debug, Clone, Serialize)]
pub struct StateAsWritten {
    pub name: String,
    pub label: String,
    pub dead: bool,
    /// The unit its costs and outcomes are per (`year`, `week`, ...), and its tunnel if it has one.
    pub per: String,
    pub costs: String,
    pub outcomes: String,
}

/// One entry of a transition row or of a starting distribution.
#[derive(Debug, Clone, Serialize)]
pub struct TransitionAsWritten {
    /// `all arms` or `arm <name>`.
    pub scope: String,
    /// The origin state, or `(start)`.
    pub from: String,
    pub to: String,
    pub probability: String,
}

/// One `[[arms]]` entry: the names of the parameters it overrides and its cost lines.
#[derive(Debug, Clone, Serialize)]
pub struct ArmAsWritten {
    pub name: String,
    pub overrides: String,
    pub costs: String,
}

impl AsWritten {
    /// Reads the inputs from scenario text.
    pub fn of(text: &str) -> Self {
        let Ok(raw) = text.parse::<toml::Table>() else {
            return AsWritten::default();
        };
        let get = |path: &[&str]| -> Option<toml::Value> {
            let mut v = toml::Value::Table(raw.clone());
            for p in path {
                v = v.get(p)?.clone();
            }
            Some(v)
        };
        let mut out = AsWritten {
            entry: get(&["cohort", "entry"]).map(|e| toml_text(&e)),
            ..AsWritten::default()
        };
        if let Some(toml::Value::Array(states)) = get(&["states"]) {
            out.states = states.iter().map(state).collect();
        }
        if let Some(start) = get(&["start"]) {
            out.push_rows("all arms", &start_row(start));
        }
        if let Some(rows) = get(&["transitions"]) {
            out.push_rows("all arms", &rows);
        }
        if let Some(toml::Value::Array(arms)) = get(&["arms"]) {
            for arm in arms {
                out.push_arm(&arm);
            }
        }
        out
    }

    fn push_rows(&mut self, scope: &str, rows: &toml::Value) {
        let Some(t) = rows.as_table() else { return };
        for (from, row) in t {
            let Some(r) = row.as_table() else { continue };
            for (to, p) in r {
                self.transitions.push(TransitionAsWritten {
                    scope: scope.to_string(),
                    from: from.clone(),
                    to: to.clone(),
                    probability: toml_text(p).trim_matches('"').to_string(),
                });
            }
        }
    }

    fn push_arm(&mut self, arm: &toml::Value) {
        let name = arm.get("name").and_then(toml::Value::as_str).unwrap_or("").to_string();
        if let Some(start) = arm.get("start") {
            self.push_rows(&format!("arm {name}"), &start_row(start.clone()));
        }
        if let Some(rows) = arm.get("transitions") {
            self.push_rows(&format!("arm {name}"), rows);
        }
        let costs = arm
            .get("costs")
            .and_then(toml::Value::as_array)
            .map(|list| list.iter().map(cost_line).collect::<Vec<_>>().join("; "))
            .unwrap_or_default();
        let overrides = arm
            .get("parameters")
            .and_then(toml::Value::as_table)
            .map(|t| t.keys().cloned().collect::<Vec<_>>().join(", "))
            .unwrap_or_default();
        self.arms.push(ArmAsWritten { name, overrides, costs });
    }
}

/// A starting distribution as a row from the pseudo-state `(start)`.
fn start_row(start: toml::Value) -> toml::Value {
    toml::Value::Table(toml::Table::from_iter([("(start)".to_string(), start)]))
}

fn state(st: &toml::Value) -> StateAsWritten {
    let field = |k: &str| st.get(k).map(toml_text).unwrap_or_default();
    StateAsWritten {
        name: field("name").trim_matches('"').to_string(),
        label: field("label").trim_matches('"').to_string(),
        dead: st.get("dead").and_then(toml::Value::as_bool) == Some(true),
        per: per_and_tunnel(
            field("per").trim_matches('"'),
            st.get("tunnel").and_then(|t| t.get("cycles")),
        ),
        costs: field("costs"),
        outcomes: field("outcomes"),
    }
}

/// A state's unit and its tunnel: `week; a tunnel of 6 cycles`.
fn per_and_tunnel(per: &str, tunnel_cycles: Option<&toml::Value>) -> String {
    match tunnel_cycles {
        Some(n) if per.is_empty() => format!("a tunnel of {n} cycles"),
        Some(n) => format!("{per}; a tunnel of {n} cycles"),
        None => per.to_string(),
    }
}

/// "name (kind, payer, amount per unit)", with a one-off cost's delay ("after 7 months"), for a saving, that it
/// was entered as one and its cashable share, and "at 2016/17 prices" where the cost states its own price year.
fn cost_line(c: &toml::Value) -> String {
    let f = |k: &str| {
        c.get(k)
            .map(toml_text)
            .unwrap_or_default()
            .trim_matches('"')
            .to_string()
    };
    let delay = c
        .get("delay")
        .map_or(String::new(), |_| format!(", after {}", f("delay")));
    let saving = match (f("kind").as_str(), c.get("cashable")) {
        ("saving", None) => ", entered as a saving: lowers care costs, all cashable".to_string(),
        ("saving", Some(_)) => format!(
            ", entered as a saving: lowers care costs, cashable share {}",
            f("cashable")
        ),
        _ => String::new(),
    };
    format!(
        "{} ({}, {}, {}{}{}{delay}{saving})",
        f("name"),
        f("kind"),
        f("payer"),
        f("amount"),
        c.get("per")
            .map_or(String::new(), |p| format!(" per {}", toml_text(p).trim_matches('"'))),
        c.get("price_year").map_or(String::new(), |y| format!(
            " at {} prices",
            toml_text(y).trim_matches('"')
        ))
    )
}

/// A TOML value as written in a scenario, on one line.
fn toml_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("\"{s}\""),
        toml::Value::Table(t) => {
            let parts: Vec<String> = t.iter().map(|(k, v)| format!("{k} = {}", toml_text(v))).collect();
            format!("{{ {} }}", parts.join(", "))
        }
        toml::Value::Array(a) => format!("[{}]", a.iter().map(toml_text).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_read_as_the_file_writes_them() {
        let text = r#"
[[states]]
name = "home"
per = "week"
costs = { council = "weekly_cost", nhs = 12 }
[[states]]
name = "dead"
dead = true
[start]
home = 1
[transitions]
home = { dead = "p_die", home = "remainder" }
[[arms]]
name = "usual"
[[arms]]
name = "new"
parameters = { p_die = 0.1, rr = 2 }
costs = [{ name = "visit", kind = "recurring", payer = "council", amount = 30, per = "week" }]
[cohort]
entry = [0.5, 0.5]
"#;
        let w = AsWritten::of(text);
        assert_eq!(w.entry.as_deref(), Some("[0.5, 0.5]"));
        assert_eq!(w.states[0].costs, "{ council = \"weekly_cost\", nhs = 12 }");
        assert_eq!(w.states[0].per, "week");
        assert!(w.states[1].dead);
        let rows: Vec<String> = w
            .transitions
            .iter()
            .map(|t| format!("{}|{}|{}|{}", t.scope, t.from, t.to, t.probability))
            .collect();
        assert_eq!(
            rows,
            [
                "all arms|(start)|home|1",
                "all arms|home|dead|p_die",
                "all arms|home|home|remainder"
            ]
        );
        assert_eq!(w.arms[1].overrides, "p_die, rr");
        assert_eq!(w.arms[1].costs, "visit (recurring, council, 30 per week)");
        let timed = text.replace(
            r#"costs = [{ name = "visit", kind = "recurring", payer = "council", amount = 30, per = "week" }]"#,
            r#"costs = [{ name = "door", kind = "one_off", payer = "council", amount = 300, delay = "7 months" }, { name = "care home", kind = "saving", payer = "council", amount = 490, per = "week", cashable = 0.5 }]"#,
        );
        assert_eq!(
            AsWritten::of(&timed).arms[1].costs,
            "door (one_off, council, 300, after 7 months); care home (saving, council, 490 per week, entered as a saving: lowers care costs, cashable share 0.5)"
        );
        assert!(AsWritten::of("not = [toml").states.is_empty());
        let tunnel = AsWritten::of("[[states]]\nname = \"care\"\nper = \"week\"\ntunnel = { cycles = 6 }\n");
        assert_eq!(tunnel.states[0].per, "week; a tunnel of 6 cycles");
        let tunnel = AsWritten::of("[[states]]\nname = \"care\"\ntunnel = { cycles = 6 }\n");
        assert_eq!(tunnel.states[0].per, "a tunnel of 6 cycles");
    }
}
