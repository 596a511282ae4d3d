//! The server's side of a change on `carecast serve`'s page, for every bundled scenario at its own iterations: the
//! what-if run (`commands::what_if`: the same simulations and analyses as `carecast run`) and the figures drawn as
//! SVG text in memory, as the page's server does before it answers. The page's own time (its request, the browser's
//! drawing) is measured by `tests/serve_browser.rs` in Chromium.

use carecast::commands::{self, Context, ScenarioChanges};
use carecast::output::plots::{Canvas, SvgSink};
use carecast::scenario::Scenario;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::path::Path;
use std::sync::Arc;

fn what_if(c: &mut Criterion) {
    let ctx = Context::new(None, None).expect("a thread pool");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("scenarios/ is readable")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    let mut group = c.benchmark_group("what_if");
    group.sample_size(10);
    for path in paths {
        let name = path.file_stem().expect("a file name").to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).expect("readable");
        let scenario = Scenario::parse(&path, &text).unwrap_or_else(|e| panic!("{e}"));
        let unchanged = ScenarioChanges {
            iterations: None,
            seed: None,
            overrides: Vec::new(),
        };
        group.bench_function(BenchmarkId::new("run_and_figures", &name), |b| {
            b.iter(|| {
                let w = commands::what_if(&ctx, &scenario, &unchanged).unwrap_or_else(|e| panic!("{e}"));
                let sink = Arc::new(SvgSink::default());
                let a = &w.analysed;
                ctx.install(|| {
                    let canvas = Canvas::Memory(&sink);
                    carecast::output::figures::write_figures(canvas, &name, &a.table, &a.analysis, &a.plot_data)
                })
                .expect("figures draw");
                sink
            })
        });
    }
    group.finish();
}

criterion_group!(benches, what_if);
criterion_main!(benches);
