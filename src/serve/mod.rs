//! `carecast serve`: a local web app in which every change to a scenario's inputs runs the whole PSA again and redraws
//! the headline and plots. It is the library's what-if run ([`commands::what_if`]) behind a small HTTP server.
//!
//! The server is tiny_http: synchronous, four small dependencies, no async runtime. The work of a request is a PSA on
//! the rayon pool, so an async server would buy nothing, and a loopback tool for one analyst needs no more. A few
//! handler threads take requests; runs go on the command's one thread pool, at most `max_runs` at once, and a page's
//! new change cancels its run still going (`runs.rs`).

mod http;
mod pages;
mod runs;
mod save;
mod scenarios;

use crate::commands::{self, Context, Error};
use crate::error::InputError;
use crate::simulate::Progress;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

pub use scenarios::MAX_SCENARIOS;

/// The address a server listens on unless told otherwise: this machine only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8150";
/// Threads that take requests (runs themselves go on the thread pool).
const HANDLERS: usize = 6;

/// How a server is set up.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Scenario files, and folders whose `.toml` files are scenarios.
    pub paths: Vec<PathBuf>,
    /// Where to listen (port 0: any free port).
    pub listen: SocketAddr,
    /// The most iterations one change may run.
    pub max_iterations: usize,
    /// The most runs at once, across every page.
    pub max_runs: usize,
}

/// Starts the server, says where on `announce` (its address, once listening), and answers requests until
/// `progress` is cancelled (Ctrl-C). `ctx` gives the thread pool and where saved runs go.
pub fn serve(
    ctx: Context,
    options: ServeOptions,
    progress: Arc<Progress>,
    announce: impl FnOnce(&str, usize, &[String]),
) -> Result<(), Error> {
    let (served, unreadable) = scenarios::read_all(&options.paths)?;
    if served.is_empty() {
        let why = if unreadable.is_empty() {
            "no .toml file was found".to_string()
        } else {
            unreadable.join("\n")
        };
        return Err(InputError::usage("SCENARIO_OR_FOLDER", format!("no scenario could be served: {why}")).into());
    }
    let server = tiny_http::Server::http(options.listen)
        .map_err(|e| InputError::usage("--listen", format!("cannot listen on {}: {e}", options.listen)))?;
    let address = match server.server_addr() {
        tiny_http::ListenAddr::IP(a) => a,
        #[allow(unreachable_patterns)]
        _ => options.listen,
    };
    let state = pages::State::new(ctx, options, served, unreadable, address.port());
    announce(&format!("http://{address}/"), state.count(), state.unreadable());
    std::thread::scope(|scope| {
        for _ in 0..HANDLERS {
            scope.spawn(|| {
                while !progress.cancel.load(Ordering::Relaxed) {
                    match server.recv_timeout(Duration::from_millis(200)) {
                        Ok(Some(request)) => state.answer(request),
                        Ok(None) => {}
                        Err(_) => std::thread::sleep(Duration::from_millis(50)),
                    }
                }
            });
        }
    });
    Err(Error::Interrupted(commands::SERVE_STOPPED))
}
