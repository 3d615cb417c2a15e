// Drawing of the Runs section: one card per run with its progress, controls,
// latest images, failed rows and manifest links.
//
// Only exports: ComfyUI loads this file as a module of its own too.

import { button, fill, h, patchChildren } from "./dom.js";
import { formatDuration, formatRate, formatTime, plural } from "./format.js";
import { FINAL_STATES, MAX_RUNS_WITH_FAILURES } from "./state_runs.js";

const IMAGE_EXTENSIONS = /\.(png|jpe?g|webp|gif|bmp)$/i;
const MAX_RUNS_LISTED = MAX_RUNS_WITH_FAILURES;
const MAX_FAILED_ROWS_LISTED = 50;

export function drawRuns(list, message, state, handlers) {
  const runs = state.sortedRuns();
  const notes = [];
  if (state.runsError) {
    notes.push(h("p", { class: "batch-runner-error" }, state.runsError));
  }
  if (!runs.length) {
    notes.push(h("p", { class: "batch-runner-hint" }, "No runs yet."));
  } else if (runs.length > MAX_RUNS_LISTED) {
    notes.push(h("p", { class: "batch-runner-hint" }, `The newest ${MAX_RUNS_LISTED} of ${runs.length} runs are listed.`));
  }
  fill(message, notes);

  const listed = runs.slice(0, MAX_RUNS_LISTED);
  // The signature is the run id, so each run keeps its article and only its parts are redrawn.
  patchChildren(list, listed.map((run) => ({
    key: run.run_id,
    signature: run.run_id,
    build: () => h("article", { dataset: { runId: run.run_id } }),
  })));
  listed.forEach((run, index) => drawRun(list.children[index], run, state, handlers));
}

function runStats(run) {
  const counts = run.counts ?? {};
  const finished = (counts.done ?? 0) + (counts.skipped ?? 0);
  const stats = [`${finished} / ${counts.total ?? 0} done`];
  if (counts.skipped) {
    stats.push(`${counts.skipped} already complete`);
  }
  if (counts.failed) {
    stats.push(`${counts.failed} failed`);
  }
  if (counts.suspect) {
    stats.push(`${counts.suspect} suspect`);
  }
  if (!FINAL_STATES.has(run.state)) {
    if (counts.queued) {
      stats.push(`${counts.queued} queued`);
    }
    const rate = formatRate(run.rate);
    const eta = formatDuration(run.eta_seconds);
    if (rate) {
      stats.push(rate);
    }
    if (eta && run.state === "running") {
      stats.push(`about ${eta} left`);
    }
  }
  return stats.join(" - ");
}

function drawProgress(run) {
  const counts = run.counts ?? {};
  const total = counts.total || 0;
  const finished = (counts.done ?? 0) + (counts.skipped ?? 0);
  const failed = (counts.failed ?? 0) + (counts.suspect ?? 0);
  const percent = (part) => (total ? `${(100 * part) / total}%` : "0%");
  return h("div", {},
    h("div", {
      class: "batch-runner-progress", role: "progressbar", "aria-valuemin": "0",
      "aria-valuemax": String(total), "aria-valuenow": String(finished),
    },
    h("div", { class: "batch-runner-progress-done", style: `width: ${percent(finished)}` }),
    h("div", { class: "batch-runner-progress-failed", style: `width: ${percent(failed)}` })),
    h("div", { class: "batch-runner-stats", dataset: { test: "run-stats" } }, runStats(run)));
}

function drawRunHead(run) {
  return h("div", {},
    h("div", { class: "batch-runner-run-head" },
      h("strong", { class: "batch-runner-run-name", title: run.folder ?? "" }, run.name ?? run.run_id),
      h("span", { class: `batch-runner-badge batch-runner-badge-${run.state}`, dataset: { test: "run-state" } }, run.state)),
    h("div", { class: "batch-runner-muted" }, formatTime(run.created_at), run.source ? ` - ${run.source.split(/[\\/]/).pop()}` : ""),
    run.note ? h("p", { class: "batch-runner-note" }, run.note) : null);
}

// Redraws the parts of a run's ARTICLE whose data changed, so a progress
// update leaves the buttons and thumbnails in place.
function drawRun(article, run, state, handlers) {
  const counts = run.counts ?? {};
  const failed = (counts.failed ?? 0) + (counts.suspect ?? 0);
  const failures = state.failures.get(run.run_id);
  const pending = [...state.pendingActions].filter((key) => key.startsWith(`${run.run_id}:`)).sort();
  const part = (key, data, build) => ({
    key, signature: JSON.stringify(data), build: () => build() ?? h("div", { class: "batch-runner-hidden" }),
  });

  article.className = `batch-runner-run batch-runner-state-${run.state}`;
  patchChildren(article, [
    part("head", [run.name, run.state, run.folder, run.created_at, run.source, run.note], () => drawRunHead(run)),
    part("progress", [counts, run.rate, run.eta_seconds, run.state], () => drawProgress(run)),
    part("buttons", [run.state, failed > 0, pending], () => drawRunButtons(run, failed, state, handlers)),
    part("thumbnails", run.latest_outputs ?? [], () => drawThumbnails(run, state)),
    part("failures", failures ?? null, () => drawFailures(failures)),
    part("links", [counts.done, counts.failed, counts.suspect].some(Boolean), () => drawManifestLinks(run, state)),
  ]);
}

function drawRunButtons(run, failed, state, handlers) {
  const busy = (action) => state.pendingActions.has(`${run.run_id}:${action}`);
  const control = (label, iconName, action, kind = "") =>
    button(label, iconName, () => handlers.onControl(run.run_id, action), { disabled: busy(action), kind, test: action });
  const buttons = [];
  if (run.state === "scheduled") {
    buttons.push(control("Start now", "pi-play", "resume"), control("Pause", "pi-pause", "pause"));
  } else if (run.state === "running") {
    buttons.push(control("Pause", "pi-pause", "pause"));
  } else if (run.state === "paused") {
    buttons.push(control("Resume", "pi-play", "resume"));
  }
  if (!FINAL_STATES.has(run.state) && run.state !== "cancelling") {
    buttons.push(control("Cancel", "pi-times", "cancel", "batch-runner-danger"));
  }
  if (run.state === "cancelling") {
    buttons.push(control("Stop now", "pi-stop", "stop", "batch-runner-danger"));
  }
  if (failed && run.state !== "running" && run.state !== "cancelling") {
    buttons.push(control("Retry failed", "pi-replay", "retry-failed"));
  }
  return buttons.length ? h("div", { class: "batch-runner-row" }, buttons) : null;
}

function drawThumbnails(run, state) {
  const images = [];
  for (const output of run.latest_outputs ?? []) {
    for (const file of output.files ?? []) {
      if (IMAGE_EXTENSIONS.test(file)) {
        images.push({ rowId: output.row_id, file });
      }
    }
  }
  if (!images.length) {
    return null;
  }
  return h("div", { class: "batch-runner-thumbnails" }, images.slice(-8).map(({ rowId, file }) => {
    const url = state.api.imageUrl(run.run_id, file);
    return h("a", { href: url, target: "_blank", rel: "noopener", title: `${rowId}: ${file}` },
      h("img", { src: url, alt: rowId, loading: "lazy" }));
  }));
}

function drawFailures(failures) {
  if (!failures) {
    return null;
  }
  if (failures.error) {
    return h("p", { class: "batch-runner-error" }, `Could not load the failed rows: ${failures.error}`);
  }
  if (!failures.rows.length) {
    return null;
  }
  // The server returns a limited number of failed rows, so the run's counts give the total.
  const total = Math.max(failures.count, failures.rows.length);
  const listed = failures.rows.slice(0, MAX_FAILED_ROWS_LISTED);
  return h("details", { class: "batch-runner-failures", open: true, dataset: { test: "failures" } },
    h("summary", {}, `Failed rows (${total})`),
    h("ul", {}, listed.map((row) => {
      const error = row.error ?? {};
      const where = error.node_type ? ` in ${error.node_type} (node ${error.node_id})` : "";
      const attempts = plural(row.attempts, "attempt");
      return h("li", { class: row.status === "suspect" ? "batch-runner-warning" : "batch-runner-error" },
        h("strong", {}, `Row ${row.row} (${row.row_id})`), ` ${row.status}${where}, ${attempts}: `,
        error.message ?? "no error message");
    })),
    total > listed.length
      ? h("p", { class: "batch-runner-hint" }, `${total - listed.length} more are listed in the manifest.`) : null);
}

function drawManifestLinks(run, state) {
  const counts = run.counts ?? {};
  const recorded = (counts.done ?? 0) + (counts.failed ?? 0) + (counts.suspect ?? 0);
  if (!recorded) {
    return null;
  }
  return h("div", { class: "batch-runner-links" }, "Manifest: ",
    h("a", { href: state.api.manifestUrl(run.run_id, "csv"), download: "", dataset: { test: "manifest-csv" } }, "CSV"),
    " ",
    h("a", { href: state.api.manifestUrl(run.run_id, "jsonl"), download: "", dataset: { test: "manifest-jsonl" } }, "JSONL"));
}
