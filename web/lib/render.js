// Drawing of the Batch panel. These functions read a BatchPanelState and build
// DOM; they change no state and send no request. User actions go to the
// `handlers` object the panel passes in.
//
// Only exports: ComfyUI loads this file as a module of its own too.

import { DEFAULT_SOURCE_EXTENSIONS } from "./api.js";
import { FINAL_STATES, GRAPH_SOURCE, MAX_RUNS_WITH_FAILURES, hasErrors } from "./state.js";

const IMAGE_EXTENSIONS = /\.(png|jpe?g|webp|gif|bmp)$/i;
const MAX_RUNS_LISTED = MAX_RUNS_WITH_FAILURES;
const MAX_FAILED_ROWS_LISTED = 50;

const SEED_MODES = [
  ["column", "Seed column"],
  ["random", "Random"],
  ["derived", "From row ID"],
  ["workflow", "Workflow's own"],
];
const ORDERINGS = [
  ["file", "File order"],
  ["group_models", "Group by model"],
];

// Creates an element. PROPS keys starting with "on" add listeners, "class" and
// "dataset" are set as such, everything else is assigned as a property.
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null) {
      continue;
    }
    if (key === "class") {
      element.className = value;
    } else if (key === "dataset") {
      Object.assign(element.dataset, value);
    } else if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "for" || key.startsWith("aria-") || key === "role") {
      element.setAttribute(key, value);
    } else {
      element[key] = value;
    }
  }
  appendChildren(element, children);
  return element;
}

function appendChildren(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    element.append(child instanceof Node ? child : String(child));
  }
}

// Replaces ELEMENT's content; CHILDREN may hold nested arrays and nulls, as h() takes them.
function fill(element, ...children) {
  element.replaceChildren();
  appendChildren(element, children);
}

function icon(name) {
  return h("i", { class: `pi ${name}`, "aria-hidden": "true" });
}

function button(label, iconName, onClick, { disabled = false, kind = "", title, test } = {}) {
  return h("button", {
    type: "button", class: `batch-runner-button ${kind}`.trim(), disabled, title,
    dataset: test ? { test } : undefined, onClick,
  }, iconName ? icon(iconName) : null, label ? h("span", {}, label) : null);
}

// Replaces CONTAINER's children by ITEMS, reusing a child whose key and
// signature are unchanged, so frequent progress updates do not rebuild
// buttons or images the user is looking at.
function patchChildren(container, items) {
  const existing = new Map();
  for (const child of container.children) {
    existing.set(child.dataset.key, child);
  }
  const ordered = items.map(({ key, signature, build }) => {
    const old = existing.get(key);
    if (old && old.batchRunnerSignature === signature) {
      return old;
    }
    const fresh = build();
    fresh.dataset.key = key;
    fresh.batchRunnerSignature = signature;
    return fresh;
  });
  ordered.forEach((child, index) => {
    if (container.children[index] !== child) {
      container.insertBefore(child, container.children[index] ?? null);
    }
  });
  while (container.children.length > ordered.length) {
    container.lastElementChild.remove();
  }
}

// Formatting

export function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) {
    return null;
  }
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) {
    return `${whole} s`;
  }
  const minutes = Math.round(whole / 60);
  if (minutes < 60) {
    return `${minutes} min`;
  }
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function formatRate(rate) {
  if (!rate || !Number.isFinite(rate)) {
    return null;
  }
  return rate >= 1 ? `${rate.toFixed(1)} jobs/s` : `${(rate * 60).toFixed(1)} jobs/min`;
}

function formatTime(epochSeconds) {
  if (!epochSeconds) {
    return "";
  }
  return new Date(epochSeconds * 1000).toLocaleString();
}

function formatValue(value) {
  if (value === null || value === undefined) {
    return "(empty)";
  }
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

// Describes a problem in one line, e.g. "Row 5 (tote-002), column blur: ...", from the fields the record contains.
export function describeProblem(problem) {
  const place = [];
  if (problem.row !== undefined && problem.row !== null) {
    place.push(problem.row_id ? `Row ${problem.row} (${problem.row_id})` : `Row ${problem.row}`);
  } else if (problem.file) {
    place.push(problem.file);
  }
  if (problem.column) {
    place.push(`column ${problem.column}`);
  }
  let text = place.length ? `${place.join(", ")}: ${problem.message}` : problem.message;
  if (problem.value !== undefined && problem.value !== null) {
    text += `. Value: ${formatValue(problem.value)}`;
  }
  if (problem.allowed) {
    text += `. Allowed: ${problem.allowed}`;
  }
  return text;
}

// Panel

// Builds the panel's fixed layout in ROOT and returns a view with draw(state, topic).
// Controls are created once and updated in place: a control rebuilt between
// mousedown and mouseup would lose the click.
export function mountPanel(root, handlers) {
  const sections = {
    source: h("section", { class: "batch-runner-section", dataset: { section: "source" } }),
    preview: h("section", { class: "batch-runner-section", dataset: { section: "preview" } }),
    options: h("section", { class: "batch-runner-section", dataset: { section: "options" } }),
    actions: h("section", { class: "batch-runner-section batch-runner-actions", dataset: { section: "actions" } }),
    runs: h("section", { class: "batch-runner-section", dataset: { section: "runs" } }),
  };
  const sourceControls = buildSource(sections.source, handlers);
  const optionInputs = buildOptions(sections.options, handlers);
  const actionControls = buildActions(sections.actions, handlers);
  const runList = h("div", { class: "batch-runner-run-list" });
  const runMessage = h("div");
  sections.runs.append(
    h("div", { class: "batch-runner-heading" }, h("h3", {}, "Runs"),
      button("", "pi-refresh", handlers.onRefreshRuns, { kind: "batch-runner-icon-button", title: "Reload runs from the server" })),
    runMessage, runList);

  const panel = h("div", { class: "batch-runner-panel" },
    h("div", { class: "batch-runner-title" }, icon("pi-list"), h("h2", {}, "Batch runner")),
    Object.values(sections));
  fill(root, panel);

  return {
    panel,
    draw(state, topic) {
      if (!topic || topic === "sources" || topic === "preview") {
        drawSource(sourceControls, state);
      }
      if (!topic || topic === "preview") {
        drawPreview(sections.preview, state);
      }
      if (!topic || topic === "form") {
        syncOptions(optionInputs, state);
      }
      if (!topic || topic === "preview" || topic === "form" || topic === "sources") {
        drawActions(actionControls, state);
      }
      if (!topic || topic === "runs") {
        drawRuns(runList, runMessage, state, handlers);
      }
    },
  };
}

function setLabel(buttonElement, label) {
  const span = buttonElement.querySelector("span");
  if (span && span.textContent !== label) {
    span.textContent = label;
  }
}

// Source

function buildSource(section, handlers) {
  const select = h("select", {
    class: "batch-runner-input", id: "batch-runner-source",
    onChange: (event) => handlers.onChooseSource(event.target.value),
  });
  const fileInput = h("input", {
    type: "file", class: "batch-runner-hidden", dataset: { test: "upload-input" },
    onChange: (event) => {
      const [file] = event.target.files ?? [];
      event.target.value = ""; // so choosing the same file again uploads it again
      if (file) {
        handlers.onUpload(file);
      }
    },
  });
  const upload = button("Upload file", "pi-upload", () => fileInput.click());
  const preview = button("Preview", "pi-eye", handlers.onPreview, { test: "preview" });
  const messages = h("div");
  section.append(
    h("h3", {}, "Job file"),
    h("div", { class: "batch-runner-row" }, select,
      button("", "pi-refresh", handlers.onRefreshSources, {
        kind: "batch-runner-icon-button", title: "Reload the list of job files in the input folder",
      })),
    h("div", { class: "batch-runner-row" }, upload, preview, fileInput),
    messages);
  return { select, fileInput, upload, preview, messages };
}

function drawSource(controls, state) {
  const choice = state.sourceChoice;
  const files = [...state.sources.files];
  if (choice && !files.includes(choice)) {
    files.unshift(choice);
  }
  const signature = JSON.stringify([choice, files, state.graphHasSource]);
  if (controls.select.batchRunnerSignature !== signature) {
    controls.select.batchRunnerSignature = signature;
    fill(controls.select,
      choice === null ? h("option", { value: "__none__", disabled: true }, "Choose a job file...") : null,
      h("option", { value: GRAPH_SOURCE, disabled: !state.graphHasSource },
        state.graphHasSource ? "Source node in the graph" : "Source node in the graph (none)"),
      files.map((file) => h("option", { value: file }, file)));
    controls.select.value = choice === null ? "__none__" : choice;
  }

  const extensions = (state.sources.extensions.length ? state.sources.extensions : DEFAULT_SOURCE_EXTENSIONS).join(",");
  controls.fileInput.accept = extensions;
  controls.upload.disabled = state.upload.busy;
  controls.upload.title = `Upload a job file (${extensions}) into ComfyUI's input folder`;
  setLabel(controls.upload, state.upload.busy ? "Uploading..." : "Upload file");
  controls.preview.disabled = choice === null;

  fill(controls.messages,
    state.sources.error ? h("p", { class: "batch-runner-error" }, `Could not list job files: ${state.sources.error}`) : null,
    state.upload.error ? h("p", { class: "batch-runner-error" }, state.upload.error) : null,
    choice === GRAPH_SOURCE && state.graphSourceFile ? h("p", { class: "batch-runner-hint" },
      "Reads ", h("code", {}, state.graphSourceFile), ", the file set on the Batch Source node.") : null,
    choice === null ? h("p", { class: "batch-runner-hint" },
      "This workflow has no Batch Source node: choose or upload a job file. Columns named ",
      h("code", {}, "<node title>.<input>"), " set that input directly.") : null);
}

// Preview

function drawPreview(section, state) {
  const { preview } = state;
  section.dataset.status = preview.status;
  const heading = h("h3", {}, "Preview");
  if (preview.status === "idle") {
    fill(section, heading, h("p", { class: "batch-runner-hint" },
      "Preview checks every row against the workflow and shows the values the first rows will use."));
    return;
  }
  if (preview.status === "loading" && !preview.result) {
    fill(section, heading, h("p", { class: "batch-runner-hint" }, icon("pi-spin pi-spinner"), " Checking every row..."));
    return;
  }
  if (preview.status === "failed") {
    fill(section, heading, h("p", { class: "batch-runner-error", dataset: { test: "preview-error" } }, preview.error),
      drawProblems(preview.problems, preview.problems.length));
    return;
  }

  const result = preview.result;
  const source = result.source ?? {};
  const format = [source.format, source.encoding, source.delimiter ? `delimiter ${JSON.stringify(source.delimiter)}` : null,
    source.sheet ? `sheet ${source.sheet}` : null].filter(Boolean).join(", ");
  fill(section,
    heading,
    h("p", { class: "batch-runner-summary", dataset: { test: "preview-summary" } },
      h("strong", {}, plural(result.count, "row")), `, ${plural(result.columns.length, "column")}`, format ? ` (${format})` : "",
      preview.status === "loading" ? " - checking again..." : ""),
    h("div", { class: "batch-runner-chips" }, result.columns.map((column) =>
      h("span", { class: "batch-runner-chip", title: result.column_types?.[column] ?? "" }, column))),
    (source.notes ?? []).map((note) => h("p", { class: "batch-runner-warning" }, note)),
    drawProblems(preview.problems, result.problem_count ?? preview.problems.length),
    result.jobs.length ? h("h4", {}, `First ${result.jobs.length} rows as they will run`) : null,
    result.jobs.map(drawJob),
  );
}

function drawProblems(problems, total) {
  if (!problems?.length) {
    return null;
  }
  const errors = problems.filter((problem) => (problem.severity ?? "error") === "error").length;
  const warnings = problems.length - errors;
  const counts = [errors ? plural(errors, "error") : null, warnings ? plural(warnings, "warning") : null]
    .filter(Boolean).join(", ");
  return h("div", { class: "batch-runner-problems", dataset: { test: "problems" } },
    h("p", { class: errors ? "batch-runner-error" : "batch-runner-warning" },
      counts, total > problems.length ? ` (first ${problems.length} of ${total} listed)` : ""),
    h("ul", {}, problems.map((problem) => h("li", {
      class: (problem.severity ?? "error") === "error" ? "batch-runner-error" : "batch-runner-warning",
    }, describeProblem(problem)))));
}

function drawJob(job) {
  const inputs = (job.inputs ?? []).map((input) => h("div", { class: "batch-runner-input-value" },
    h("div", { class: "batch-runner-muted", title: `node ${input.node_id}` },
      `${input.node} \u203a ${input.input}`, input.column ? ` \u2190 ${input.column}` : " (template)"),
    h("div", { class: "batch-runner-value" }, formatValue(input.value))));
  return h("details", { class: "batch-runner-job", open: job.row === 1 },
    h("summary", {}, `Row ${job.row}`, h("span", { class: "batch-runner-muted" }, ` ${job.row_id}`)),
    inputs.length ? inputs : h("p", { class: "batch-runner-hint" }, "No input of the graph reads this row."));
}

// Options

function field(label, control, hint, { wide = false } = {}) {
  return h("label", { class: `batch-runner-field${wide ? " batch-runner-field-wide" : ""}` }, h("span", {}, label), control,
    hint ? h("small", { class: "batch-runner-muted" }, hint) : null);
}

function buildOptions(section, handlers) {
  const inputs = {};
  const onInput = (key) => (event) => {
    const target = event.target;
    handlers.onOptionChange(key, target.type === "checkbox" ? target.checked : target.value);
  };
  const text = (key, props = {}) => {
    inputs[key] = h("input", { class: "batch-runner-input", name: key, onInput: onInput(key), onChange: onInput(key), ...props });
    return inputs[key];
  };
  const choice = (key, choices) => {
    inputs[key] = h("select", { class: "batch-runner-input", name: key, onChange: onInput(key) },
      choices.map(([value, label]) => h("option", { value }, label)));
    return inputs[key];
  };

  const problems = h("div", { class: "batch-runner-form-problems" });
  section.append(
    h("h3", {}, "Options"),
    h("div", { class: "batch-runner-grid" },
      field("Run name", text("name", { type: "text", maxLength: 100 }),
        "Folder in the output directory. Reusing a name skips the rows it already finished.", { wide: true }),
      field("Seed", choice("seed_mode", SEED_MODES)),
      field("Retries", text("retries", { type: "number", min: 0, step: 1 })),
      field("Test first N rows", text("limit", { type: "number", min: 1, step: 1, placeholder: "all rows" }),
        "Pauses after N jobs"),
      field("Order", choice("ordering", ORDERINGS))),
    h("details", { class: "batch-runner-more" }, h("summary", {}, "More options"),
      h("div", { class: "batch-runner-grid" },
        field("Timeout per job (s)", text("timeout", { type: "number", min: 1, placeholder: "none" })),
        field("Retry delay (s)", text("retry_delay", { type: "number", min: 0, placeholder: "2" })),
        field("New seed on retry", text("retry_new_seed", { type: "checkbox" })),
        field("Seed column", text("seed_column", { type: "text", placeholder: "seed" })),
        field("ID column", text("id_column", { type: "text", placeholder: "id" }), "Used when the graph has no Batch Source node"),
        field("Start at", text("start_at", { type: "datetime-local" }), "Empty starts now", { wide: true }),
        field("Webhook URL", text("webhook_url", { type: "url", placeholder: "https://..." }),
          "Receives JSON on start, progress, finish and failure, shaped for Slack and Discord", { wide: true }))),
    problems);
  inputs.problems = problems;
  return inputs;
}

// Writes the state's form into the inputs, except the one the user is typing in.
function syncOptions(inputs, state) {
  for (const [key, value] of Object.entries(state.form)) {
    const input = inputs[key];
    if (!input || input === document.activeElement) {
      continue;
    }
    if (input.type === "checkbox") {
      input.checked = Boolean(value);
    } else if (key === "name") {
      input.value = value || state.defaultName;
    } else {
      input.value = value;
    }
  }
  fill(inputs.problems, state.formProblems.map((problem) => h("p", { class: "batch-runner-error" }, problem)));
}

function buildActions(section, handlers) {
  const run = button("Run", "pi-play", handlers.onRun, { kind: "batch-runner-primary", test: "run" });
  const hint = h("span", { class: "batch-runner-hint" });
  section.append(run, hint);
  return { run, hint };
}

function drawActions(controls, state) {
  const count = state.preview.result?.count;
  const limit = Number(state.form.limit);
  let label = "Run";
  if (state.starting) {
    label = "Starting...";
  } else if (count !== undefined && state.preview.status === "ready") {
    label = limit > 0 && limit < count ? `Run first ${limit} of ${count} jobs` : `Run ${plural(count, "job")}`;
  }
  let hint = "";
  if (state.sourceChoice === null) {
    hint = "Choose a job file first.";
  } else if (state.preview.status === "failed" || hasErrors(state.preview.problems)) {
    hint = "Fix the errors in the preview, then preview again.";
  }
  setLabel(controls.run, label);
  controls.run.disabled = !state.canRun;
  controls.hint.textContent = hint;
}

// Runs

function drawRuns(list, message, state, handlers) {
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
