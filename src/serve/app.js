// carecast serve: the what-if page's script. Every change to a field posts the page's changes; the server runs the
// whole PSA and answers with the results' HTML, which replaces the old. A change made while a run is going cancels
// it (the request is aborted, and the server stops the run when this page's next one starts). The address carries
// the changes, so a link reproduces the view. Nothing here is loaded from anywhere but the server.
"use strict";

(function () {
  const body = document.body;
  const scenario = body.dataset.scenario;
  if (!scenario) return;
  const form = document.getElementById("inputs");
  const results = document.getElementById("results-body");
  const status = document.getElementById("status");
  const progress = document.getElementById("progress");
  const saved = document.getElementById("saved");
  const session = Math.random().toString(36).slice(2) + Date.now().toString(36);
  // What the browser test reads: each redraw's times from the change to the answer, and to the new results on screen.
  window.carecast = { timings: [], phases: [], runs: 0, last: null };

  let inFlight = null;
  let pollTimer = null;
  // The number of the latest change: each keystroke's request goes on a connection of its own and may reach the
  // server after the next one's, which must not then be cancelled by it (the server refuses the earlier change).
  let lastSeq = 0;
  // The old results are dimmed only once a run has taken this long. Dimmed at once, the browser composited the whole
  // results again while the server ran, on the cores the run needs: the new results came 4 to 8 ms later in a
  // 1280 x 900 window and 32 ms later with every plot in sight (alternated changes, 2026-12-07). Most changes are
  // answered sooner, and their new results replace the old at once.
  const DIM_AFTER_MS = 150;
  // A change not answered within the target time says so in the status line. Not at once: the status line is read out
  // by screen readers (role="status"), and most changes are answered sooner, each keystroke being a change.
  const SAY_RUNNING_AFTER_MS = 100;

  function fields() {
    return Array.from(form.querySelectorAll("input[data-original]"));
  }

  function sameNumber(a, b) {
    if (a.trim() === b.trim()) return true;
    const x = Number(a), y = Number(b);
    return a.trim() !== "" && b.trim() !== "" && Number.isFinite(x) && Number.isFinite(y) && x === y;
  }

  // The page's changes: every field whose text differs from the file's, as [name, text] (iterations and seed apart).
  function collect() {
    const request = { session: session, changes: [], iterations: "", seed: "", seq: 0 };
    for (const input of fields()) {
      const changed = input.value.trim() !== "" && !sameNumber(input.value, input.dataset.original);
      input.classList.toggle("changed", changed);
      if (!changed) continue;
      if (input.name === "iterations") request.iterations = input.value.trim();
      else if (input.name === "seed") request.seed = input.value.trim();
      else request.changes.push([input.name, input.value.trim()]);
    }
    return request;
  }

  function address(request) {
    const params = new URLSearchParams();
    for (const [name, text] of request.changes) params.append("set", name + "=" + text);
    if (request.iterations) params.set("iterations", request.iterations);
    if (request.seed) params.set("seed", request.seed);
    const query = params.toString();
    return window.location.pathname + (query ? "?" + query : "");
  }

  function showErrors(errors) {
    for (const p of document.querySelectorAll("p.error")) {
      p.hidden = true;
      p.textContent = "";
    }
    for (const input of fields()) {
      input.removeAttribute("aria-invalid");
      input.parentElement.classList.remove("invalid");
    }
    for (const [key, message] of errors) {
      const p = document.getElementById("e-" + key) || document.getElementById("e-");
      p.textContent = message;
      p.hidden = false;
      const input = document.getElementById("f-" + key);
      if (input) {
        input.setAttribute("aria-invalid", "true");
        input.parentElement.classList.add("invalid");
      }
    }
  }

  function stopPolling() {
    if (pollTimer) clearInterval(pollTimer);
    pollTimer = null;
    progress.hidden = true;
  }

  // Long runs show how far they have gone, asked for every fifth of a second.
  function startPolling() {
    pollTimer = setInterval(async function () {
      try {
        const r = await fetch("/s/" + scenario + "/progress?session=" + encodeURIComponent(session));
        const p = await r.json();
        if (p.total > 0) {
          progress.hidden = false;
          progress.max = p.total;
          progress.value = p.done;
          status.textContent = "Running: " + p.done.toLocaleString("en-GB") + " of " + p.total.toLocaleString("en-GB") +
            " iterations (a change now cancels this run)";
        }
      } catch (e) { /* the next poll will tell */ }
    }, 200);
  }

  async function run(changedAt) {
    const request = collect();
    lastSeq += 1;
    request.seq = lastSeq;
    if (inFlight) inFlight.abort();
    const controller = new AbortController();
    inFlight = controller;
    stopPolling();
    const dim = setTimeout(function () { results.classList.add("stale"); }, DIM_AFTER_MS);
    const running = setTimeout(function () { status.textContent = "Running…"; }, SAY_RUNNING_AFTER_MS);
    const slow = setTimeout(startPolling, 300);
    let answer;
    try {
      const r = await fetch("/s/" + scenario + "/run", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(request),
        signal: controller.signal,
      });
      answer = await r.json();
      answer.received = performance.now() - changedAt;
    } catch (e) {
      if (controller.signal.aborted) return;
      answer = { ok: false, errors: [["", "The server did not answer: is carecast serve still running?"]] };
    } finally {
      clearTimeout(dim);
      clearTimeout(running);
      clearTimeout(slow);
      if (inFlight === controller) {
        inFlight = null;
        stopPolling();
      }
    }
    if (controller.signal.aborted || answer.cancelled) return;
    history.replaceState(null, "", address(request));
    if (!answer.ok) {
      // The results shown are from before this change: dimmed until one runs.
      results.classList.add("stale");
      showErrors(answer.errors || []);
      status.textContent = "Not run: see the message beside the field. The results below are from before.";
      return;
    }
    showErrors([]);
    // The headline, table and plots (the report's SVG, inlined) in one insertion.
    results.innerHTML = answer.html;
    const inserted = performance.now() - changedAt;
    results.classList.remove("stale");
    for (const [name, words] of Object.entries(answer.specs || {})) {
      const p = form.querySelector('p.spec[data-spec="' + CSS.escape(name) + '"]');
      if (p) p.textContent = words;
    }
    window.carecast.last = answer;
    window.carecast.runs += 1;
    // On screen once the browser has drawn the next frame: its animation callbacks run before it lays the new results
    // out and paints them, and a task they queue runs after.
    requestAnimationFrame(function () {
      setTimeout(function () {
        const ms = Math.round(performance.now() - changedAt);
        status.textContent = answer.status + " · shown " + ms + " ms after the change";
        window.carecast.timings.push(ms);
        window.carecast.phases.push({ received: Math.round(answer.received), inserted: Math.round(inserted), shown: ms });
      }, 0);
    });
  }

  form.addEventListener("input", function (event) {
    if (event.target.matches("input[data-original]")) run(performance.now());
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
  });

  document.getElementById("undo-all").addEventListener("click", function () {
    for (const input of fields()) input.value = input.dataset.original;
    run(performance.now());
  });

  async function post(action) {
    const r = await fetch("/s/" + scenario + "/" + action, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(collect()),
    });
    return r;
  }

  document.getElementById("save-scenario").addEventListener("click", async function () {
    saved.textContent = "Writing the scenario file…";
    try {
      const r = await post("save-scenario");
      if ((r.headers.get("Content-Type") || "").startsWith("application/json")) {
        const answer = await r.json();
        showErrors(answer.errors || []);
        saved.textContent = "Not saved: see the message beside the field.";
        return;
      }
      const name = (r.headers.get("Content-Disposition") || "").replace(/^.*filename="([^"]+)".*$/, "$1") || "what-if.toml";
      const link = document.createElement("a");
      link.href = URL.createObjectURL(await r.blob());
      link.download = name;
      document.body.appendChild(link);
      link.click();
      link.remove();
      saved.textContent = "Saved as " + name + " (in your downloads): it runs as these changes do.";
    } catch (e) {
      saved.textContent = "Not saved: the server did not answer.";
    }
  });

  document.getElementById("save-run").addEventListener("click", async function () {
    saved.textContent = "Running and writing the run directory…";
    try {
      const answer = await (await post("save-run")).json();
      if (!answer.ok) {
        showErrors(answer.errors || []);
        saved.textContent = "Not saved: see the message beside the field.";
        return;
      }
      saved.textContent = "Saved to " + answer.dir + ". ";
      const link = document.createElement("a");
      link.href = answer.report;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = "Open its report";
      saved.appendChild(link);
    } catch (e) {
      saved.textContent = "Not saved: the server did not answer.";
    }
  });

  // Fields the address changed are marked as changed from the start.
  collect();
})();
