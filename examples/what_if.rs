//! A what-if from code, through the library API alone: the reablement scenario's £ back per £1 spent and net
//! savings as the weekly price of home care varies, each point a full PSA. Nothing is written to disk.
//!
//! `cargo run --release --example what_if [ITERATIONS]` (default 2,000 per point).

use carecast::output::format::{money, per_pound};
use carecast::scenario::{Override, Scenario};
use carecast::{analysis, model, simulate};
use std::path::Path;

fn main() {
    let iterations: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let path = Path::new("scenarios/reablement.toml");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let scenario = Scenario::parse(path, &text).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "{:>22} {:>18} {:>34}",
        "home care £/week", "£ back per £1", "net savings per person (95% interval)"
    );
    for weekly in [70.0, 85.0, 100.0, 115.0, 130.0] {
        let change = Override::parse(&format!("home_care_weekly={weekly}")).unwrap_or_else(|e| panic!("{e}"));
        let model = model::compile_with_overrides(&scenario, &[change]).unwrap_or_else(|e| panic!("{e}"));
        let run = model::RunSettings {
            iterations,
            ..model.run_defaults
        };
        let results = simulate::run(&model, &run, None).unwrap_or_else(|e| panic!("{e}"));
        let analysed = analysis::analyse_run(&model, &results);
        for c in &analysed.analysis.comparisons {
            let net = c.net_savings;
            println!(
                "{weekly:>22} {:>18} {:>34}",
                c.bcr.map_or("–".to_string(), per_pound),
                format!("{} ({} to {})", money(net.mean), money(net.p2_5), money(net.p97_5))
            );
        }
    }
}
