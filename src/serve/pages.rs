//! The server's addresses and what each answers:
//!
//! | address | answer |
//! |---|---|
//! | `GET /` | the list of scenarios |
//! | `GET /s/<id>?set=...&iterations=...&seed=...` | a scenario's page, with the results for the changes its address carries |
//! | `POST /s/<id>/run` | the results for the changes posted, as JSON (the page's HTML for them, and the numbers) |
//! | `GET /s/<id>/progress?session=...` | how far a page's run has gone |
//! | `POST /s/<id>/save-scenario` | the scenario file with the changes written in, to download |
//! | `POST /s/<id>/save-run` | the run directory `carecast run` writes, made under the output folder |
//! | `GET /runs/<n>/report.html` | the report of a run this server saved |
//! | `GET /app.js` | the page's script |

use super::http::{self, Answer};
use super::runs::{place, Refused, Request, Runs};
use super::scenarios::Served;
use super::ServeOptions;
use crate::commands::{self, Context, Error, ScenarioChanges, WhatIf};
use crate::output::format::thousands;
use crate::output::plots::{Canvas, SvgSink};
use crate::output::report::live::{self, ListedScenario, LivePage};
use crate::output::report::{Figures, ReportInput, ScenarioFacts};
use serde_json::json;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// The page's script, compiled into the binary: the page needs nothing from anywhere else.
const APP_JS: &str = include_str!("app.js");

/// Everything the handlers share.
pub struct State {
    ctx: Context,
    options: ServeOptions,
    served: Vec<Served>,
    unreadable: Vec<String>,
    port: u16,
    runs: Runs,
    /// Run directories saved from the pages, by number.
    saved: Mutex<Vec<PathBuf>>,
}

impl State {
    pub fn new(ctx: Context, options: ServeOptions, served: Vec<Served>, unreadable: Vec<String>, port: u16) -> State {
        State {
            ctx,
            runs: Runs::new(options.max_runs),
            options,
            served,
            unreadable,
            port,
            saved: Mutex::new(Vec::new()),
        }
    }

    /// How many scenarios are served.
    pub fn count(&self) -> usize {
        self.served.len()
    }

    /// The files that could not be read, and why.
    pub fn unreadable(&self) -> &[String] {
        &self.unreadable
    }

    /// Answers one request; a client that has gone away is no error.
    pub fn answer(&self, mut request: tiny_http::Request) {
        let answer = match http::admit(&mut request, self.port) {
            Ok(body) => self.route(&request, body.as_deref()),
            Err(refusal) => refusal,
        };
        let _ = request.respond(answer);
    }

    fn route(&self, request: &tiny_http::Request, body: Option<&[u8]>) -> Answer {
        let url = request.url();
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let post = body.is_some();
        match (post, parts.as_slice()) {
            (false, [""]) => self.index(),
            (false, ["app.js"]) => http::answer(200, "text/javascript; charset=utf-8", APP_JS.as_bytes().to_vec()),
            (false, ["s", id]) => self.with_scenario(id, |s| self.page(s, &Request::from_query(query))),
            (false, ["s", id, "progress"]) => self.with_scenario(id, |_| self.progress(query)),
            (true, ["s", id, action]) => self.with_scenario(id, |s| {
                let request: Request = match serde_json::from_slice(body.unwrap_or_default()) {
                    Ok(r) => r,
                    Err(e) => return http::refuse(400, &format!("the request is not what the page sends: {e}")),
                };
                match *action {
                    "run" => self.run(s, &request),
                    "save-scenario" => self.save_scenario(s, &request),
                    "save-run" => self.save_run(s, &request),
                    _ => http::refuse(404, "no such address"),
                }
            }),
            (false, ["runs", n, "report.html"]) => self.saved_report(n),
            (false, ["favicon.ico"]) => http::answer(204, "text/plain", Vec::new()),
            (true, _) => http::refuse(404, "no such address"),
            _ => http::refuse(404, "no such address: the scenarios are listed at /"),
        }
    }

    fn with_scenario(&self, id: &str, then: impl FnOnce(&Served) -> Answer) -> Answer {
        match self.served.iter().find(|s| s.id == id) {
            Some(s) => then(s),
            None => http::refuse(404, "no such scenario: the scenarios are listed at /"),
        }
    }

    fn index(&self) -> Answer {
        let listed: Vec<ListedScenario> = (self.served.iter())
            .map(|s| {
                let meta = &s.scenario.raw.scenario;
                ListedScenario {
                    id: s.id.clone(),
                    title: meta.title.clone().unwrap_or_else(|| meta.name.get_ref().clone()),
                    summary: meta.summary.clone(),
                    file: s.path.display().to_string(),
                }
            })
            .collect();
        html(live::render_index(&listed, &self.unreadable))
    }

    /// Runs `request`'s changes of scenario `s` in a slot of page `session` and hands the run, the changes and the
    /// seconds it took to `then`, still in the slot (drawing the results is work too); or gives the messages to show
    /// beside the fields, with the HTTP status. A run cancelled by the page's next change is not drawn.
    fn what_if<R>(
        &self,
        s: &Served,
        request: &Request,
        then: impl FnOnce(&WhatIf, &ScenarioChanges, f64) -> R,
    ) -> Result<R, (u16, Vec<(String, String)>)> {
        let changes = request.changes(self.options.max_iterations).map_err(|e| (400, e))?;
        let cancelled = || (409, vec![(String::new(), "cancelled by a later change".to_string())]);
        let slot = match self.runs.start(&request.session, request.seq) {
            Ok(slot) => slot,
            // The page has sent a later change, whose run this one must not cancel.
            Err(Refused::Overtaken) => return Err(cancelled()),
            Err(Refused::Busy) => {
                let busy = format!(
                    "the server is running {} changes already: try again in a moment",
                    self.options.max_runs
                );
                return Err((503, vec![(String::new(), busy)]));
            }
        };
        let started = Instant::now();
        let ctx = self.ctx.beside(Arc::clone(&slot.progress));
        let w = match commands::what_if(&ctx, &s.scenario, &changes) {
            Ok(w) => w,
            Err(Error::Interrupted(_)) => return Err(cancelled()),
            Err(e) => return Err((400, vec![place(&e, &changes)])),
        };
        if slot.progress.cancel.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(cancelled());
        }
        Ok(then(&w, &changes, started.elapsed().as_secs_f64()))
    }

    /// The results of a what-if as the page shows them, plots inlined (see [`live::render_results`]).
    fn results_html(&self, s: &Served, w: &WhatIf) -> Result<String, String> {
        let model = &w.model;
        let title = model.meta.title.as_deref().unwrap_or(&model.meta.name);
        let a = &w.analysed;
        let arms: Vec<(String, String)> = model.arms.iter().map(|a| (a.name.clone(), a.label.clone())).collect();
        let sink = Arc::new(SvgSink::default());
        self.ctx.install(|| {
            crate::output::figures::write_figures(Canvas::Memory(&sink), title, &a.table, &a.analysis, &a.plot_data)
                .map_err(|e| e.to_string())
        })?;
        let input = ReportInput {
            title: title.to_string(),
            analysis: &a.analysis,
            arms,
            budget: w.budget.as_ref(),
            cba: None,
            subgroups: &[],
            scenario: Some(ScenarioFacts {
                model,
                as_written: &s.as_written,
            }),
            provenance: Vec::new(),
            figures: Figures::Memory(&sink),
            studies: &[],
        };
        live::render_results(&input)
    }

    /// A line on a run: "10,000 iterations, seed 2010, 2 changes: 41 ms on the server".
    fn status(w: &WhatIf, changes: &ScenarioChanges, seconds: f64) -> String {
        let n = changes.overrides.len();
        format!(
            "{} iterations, seed {}, {}: {:.0} ms on the server",
            thousands(w.run.iterations as u64),
            w.run.seed,
            match n {
                0 => "the file as written".to_string(),
                1 => "1 change".to_string(),
                n => format!("{n} changes"),
            },
            seconds * 1e3
        )
    }

    fn page(&self, s: &Served, request: &Request) -> Answer {
        let page =
            |model: &crate::model::Model, results: Option<String>, errors: &[(String, String)], status: String| {
                let run = model.run_defaults;
                html(live::render_page(&LivePage {
                    id: &s.id,
                    facts: ScenarioFacts {
                        model,
                        as_written: &s.as_written,
                    },
                    inputs: &s.inputs,
                    changes: &request.changes,
                    errors,
                    iterations: (value_or(&request.iterations, run.iterations), run.iterations),
                    seed: (value_or(&request.seed, run.seed as usize), run.seed),
                    max_iterations: self.options.max_iterations,
                    results,
                    status,
                }))
            };
        let ran = self.what_if(s, request, |w, changes, seconds| {
            let status = Self::status(w, changes, seconds);
            match self.results_html(s, w) {
                Ok(html) => page(&w.model, Some(html), &[], status),
                Err(e) => page(&w.model, None, &[(String::new(), e)], status),
            }
        });
        match ran {
            Ok(answer) => answer,
            Err((_, errors)) => page(&s.model, None, &errors, String::new()),
        }
    }

    fn run(&self, s: &Served, request: &Request) -> Answer {
        let ran = self.what_if(s, request, |w, changes, seconds| match self.results_html(s, w) {
            Ok(body) => {
                let specs: serde_json::Map<String, serde_json::Value> = (s.inputs.iter())
                    .map(|input| {
                        let spec = (w.model.parameters.iter())
                            .find(|p| p.name == input.info.name && p.scope == input.info.scope)
                            .map_or(&input.info.spec, |p| &p.spec);
                        (input.info.name.clone(), json!(live::spec_words(spec)))
                    })
                    .collect();
                http::json(
                    200,
                    &json!({
                        "ok": true,
                        "html": body,
                        "specs": specs,
                        "status": Self::status(w, changes, seconds),
                        "iterations": w.run.iterations,
                        "seed": w.run.seed,
                        "set": changes.overrides.iter().map(|o| o.describe()).collect::<Vec<_>>(),
                        "results": w.analysed.analysis,
                    }),
                )
            }
            Err(e) => http::json(500, &json!({"ok": false, "errors": [["", e]]})),
        });
        ran.unwrap_or_else(|(status, errors)| {
            http::json(
                status,
                &json!({"ok": false, "cancelled": status == 409, "errors": errors}),
            )
        })
    }

    fn progress(&self, query: &str) -> Answer {
        let session = (form_urlencoded::parse(query.as_bytes()))
            .find(|(k, _)| k == "session")
            .map(|(_, v)| v.to_string())
            .unwrap_or_default();
        let (done, total) = self.runs.progress_of(&session);
        http::json(200, &json!({ "done": done, "total": total }))
    }

    fn save_scenario(&self, s: &Served, request: &Request) -> Answer {
        match super::save::scenario_text(s, request, self.options.max_iterations) {
            Ok((name, text)) => http::download("application/toml; charset=utf-8", &name, text.into_bytes()),
            Err(errors) => http::json(400, &json!({"ok": false, "errors": errors})),
        }
    }

    fn save_run(&self, s: &Served, request: &Request) -> Answer {
        let changes = match request.changes(self.options.max_iterations) {
            Ok(c) => c,
            Err(errors) => return http::json(400, &json!({"ok": false, "errors": errors})),
        };
        if let Err(e) = super::save::unchanged_on_disk(s) {
            return http::json(409, &json!({"ok": false, "errors": [["", e]]}));
        }
        let Ok(slot) = self.runs.start("", 0) else {
            return http::json(
                503,
                &json!({"ok": false, "errors": [["", "the server is busy: try again in a moment"]]}),
            );
        };
        let ctx = self.ctx.beside(Arc::clone(&slot.progress));
        match commands::run(&ctx, &s.path, &changes) {
            Ok(outcome) => {
                let mut saved = self.saved.lock().unwrap_or_else(PoisonError::into_inner);
                saved.push(outcome.dir.clone());
                http::json(
                    200,
                    &json!({"ok": true, "dir": outcome.dir.display().to_string(), "report": format!("/runs/{}/report.html", saved.len())}),
                )
            }
            Err(e) => http::json(400, &json!({"ok": false, "errors": [place(&e, &changes)]})),
        }
    }

    fn saved_report(&self, n: &str) -> Answer {
        let saved = self.saved.lock().unwrap_or_else(PoisonError::into_inner);
        let dir = n
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| saved.get(i));
        match dir.map(|d| std::fs::read(d.join("report.html"))) {
            Some(Ok(bytes)) => http::answer(200, "text/html; charset=utf-8", bytes),
            Some(Err(e)) => http::refuse(404, &format!("the saved run's report cannot be read: {e}")),
            None => http::refuse(404, "no run of that number was saved by this server"),
        }
    }
}

/// What a field shows: the text typed, or the file's value.
fn value_or(typed: &str, file: impl ToString) -> String {
    if typed.trim().is_empty() {
        file.to_string()
    } else {
        typed.to_string()
    }
}

fn html(page: Result<String, String>) -> Answer {
    match page {
        Ok(text) => http::answer(200, "text/html; charset=utf-8", text.into_bytes()),
        Err(e) => http::refuse(500, &format!("the page could not be drawn: {e}")),
    }
}
