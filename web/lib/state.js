// The Batch panel's state, kept outside the DOM: job files, the form, the
// current preview and the runs the server reports.
//
// The sidebar tab is rebuilt every time it opens, so everything it shows lives
// here and comes from the server: runs survive closing the tab and reloading
// the page. The service listens to the websocket events
// `batch-runner.progress` and `batch-runner.update`, and refreshes from the
// server when the panel opens and when the websocket reconnects.
//
// Only exports: ComfyUI loads this file as a module of its own too.

export const EVENT_TYPES = ["batch-runner.progress", "batch-runner.update"];
export const FINAL_STATES = new Set(["done", "failed", "cancelled"]);
// The `source.choice` value that means "the Batch Source node in the graph".
export const GRAPH_SOURCE = "";
// Same rule as the server's run name check: the name becomes a folder.
export const RUN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}$/;

const POLL_INTERVAL_MS = 10000;
export const MAX_RUNS_WITH_FAILURES = 20;
const FAILURE_RELOAD_DELAY_MS = 300;

export function defaultForm() {
  return {
    name: "",
    seed_mode: "column",
    retries: "2",
    timeout: "",
    ordering: "file",
    limit: "",
    webhook_url: "",
    start_at: "",
    id_column: "",
    seed_column: "",
    retry_delay: "",
    retry_new_seed: false,
  };
}

function twoDigits(number) {
  return String(number).padStart(2, "0");
}

// A run name from the job file's name and the local time, e.g. "products-20250301-142501".
export function defaultRunName(sourceName, now = new Date()) {
  const base = (sourceName || "batch").split("/").pop().replace(/\.[^.]*$/, "");
  const stem = base.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 60) || "batch";
  const date = `${now.getFullYear()}${twoDigits(now.getMonth() + 1)}${twoDigits(now.getDate())}`;
  const time = `${twoDigits(now.getHours())}${twoDigits(now.getMinutes())}${twoDigits(now.getSeconds())}`;
  return `${stem}-${date}-${time}`;
}

function parseNumber(text, label, { integer = false, min = -Infinity } = {}, problems) {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min) {
    const kind = integer ? "a whole number" : "a number";
    problems.push(`${label} must be ${kind} of at least ${min}; "${text}" is not.`);
    return undefined;
  }
  return value;
}

// Converts the form into the `options` object of the preview and run routes.
// Blank fields are left out, so the server's defaults apply.
// Returns { options, problems } where problems are sentences about bad fields.
export function buildRunOptions(form, sourceChoice) {
  const options = {};
  const problems = [];
  const text = (key) => String(form[key] ?? "").trim();

  if (sourceChoice) {
    options.source = sourceChoice;
  }
  options.seed_mode = form.seed_mode;
  options.ordering = form.ordering;
  if (text("retries")) {
    options.retries = parseNumber(text("retries"), "Retries", { integer: true, min: 0 }, problems);
  }
  if (text("retry_delay")) {
    options.retry_delay = parseNumber(text("retry_delay"), "Retry delay", { min: 0 }, problems);
  }
  if (form.retry_new_seed) {
    options.retry_new_seed = true;
  }
  if (text("timeout")) {
    options.timeout = parseNumber(text("timeout"), "Timeout", { min: 1 }, problems);
  }
  if (text("limit")) {
    options.limit = parseNumber(text("limit"), "Test first N rows", { integer: true, min: 1 }, problems);
  }
  if (text("webhook_url")) {
    options.webhook_url = text("webhook_url");
  }
  if (text("id_column")) {
    options.id_column = text("id_column");
  }
  if (text("seed_column")) {
    options.seed_column = text("seed_column");
  }
  if (text("start_at")) {
    const when = new Date(text("start_at"));
    if (Number.isNaN(when.getTime())) {
      problems.push(`Start time "${text("start_at")}" is not a valid date and time.`);
    } else {
      // datetime-local is local time, but the server reads a time without an offset as UTC, so send UTC.
      options.start_at = when.toISOString().replace(/\.\d{3}Z$/, "+00:00");
    }
  }
  return { options, problems };
}

export function hasErrors(problems) {
  return (problems ?? []).some((problem) => (problem.severity ?? "error") === "error");
}

export class BatchPanelState {
  // api: a BatchApi. graph: { toPrompt(), hasSourceNode() } over the open workflow.
  // notify({ severity, summary, detail }): shows a toast.
  // settings: { previewRows(), notifyOnFinish() }.
  constructor({ api, graph, notify, settings }) {
    this.api = api;
    this.graph = graph;
    this.notify = notify;
    this.settings = settings;
    this.listeners = new Set();

    this.sources = { files: [], extensions: [], loading: false, error: null };
    this.source = { choice: null, explicit: false };
    this.graphHasSource = false;
    this.graphSourceFile = null; // the file widget of the graph's Batch Source node, as of the last preview
    this.form = defaultForm();
    this.nameEdited = false;
    this.nameSourceFile = null;
    this.defaultName = defaultRunName(null);
    this.formProblems = [];
    this.upload = { busy: false, error: null };
    this.preview = { status: "idle", result: null, error: null, problems: [] };
    this.starting = false;

    this.runs = new Map();
    this.runsError = null;
    this.failures = new Map();
    this.pendingActions = new Set();
    this.announced = new Set();

    this.failureTimers = new Map();
    this.pollTimer = null;
    this.eventHandler = (event) => this.applyEvent(event.detail);
    this.reconnectHandler = () => this.refreshRuns();
    this.comfyApi = null;
    this.previewCounter = 0;
  }

  // Listeners get the topic that changed: "sources", "form", "preview" or "runs".
  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(topic) {
    for (const listener of this.listeners) {
      try {
        listener(topic);
      } catch (error) {
        console.error(`[batch-runner] drawing the ${topic} section failed`, error);
      }
    }
  }

  connect(comfyApi) {
    this.comfyApi = comfyApi;
    for (const type of EVENT_TYPES) {
      comfyApi.addEventListener(type, this.eventHandler);
    }
    comfyApi.addEventListener("reconnected", this.reconnectHandler);
  }

  disconnect() {
    if (!this.comfyApi) {
      return;
    }
    for (const type of EVENT_TYPES) {
      this.comfyApi.removeEventListener(type, this.eventHandler);
    }
    this.comfyApi.removeEventListener("reconnected", this.reconnectHandler);
    this.comfyApi = null;
    this.setVisible(false);
  }

  // Source

  get sourceChoice() {
    if (this.source.explicit) {
      return this.source.choice;
    }
    return this.graphHasSource ? GRAPH_SOURCE : null;
  }

  // Records the file named on the prompt's Batch Source node.
  readGraphSourceFile(prompt) {
    const node = Object.values(prompt ?? {}).find((item) => item?.class_type === "BatchRunnerSource");
    const file = typeof node?.inputs?.file === "string" ? node.inputs.file : null;
    if (file !== this.graphSourceFile) {
      this.graphSourceFile = file;
      this.emit("sources");
    }
  }

  refreshGraphInfo() {
    const had = this.graphHasSource;
    try {
      this.graphHasSource = Boolean(this.graph.hasSourceNode());
    } catch (error) {
      console.warn("[batch-runner] could not inspect the graph for a Batch Source node", error);
      this.graphHasSource = false;
    }
    if (had !== this.graphHasSource) {
      this.emit("sources");
    }
  }

  async refreshSources() {
    this.sources.loading = true;
    this.emit("sources");
    const result = await this.api.listSources();
    this.sources.loading = false;
    if (result.ok) {
      this.sources.files = result.data.files ?? [];
      this.sources.extensions = result.data.extensions ?? [];
      this.sources.error = null;
    } else {
      this.sources.error = result.error;
    }
    this.emit("sources");
  }

  chooseSource(choice) {
    this.source = { choice, explicit: true };
    this.emit("sources");
    this.updateDefaultName(choice || null);
    return this.runPreview();
  }

  async uploadSource(file) {
    this.upload = { busy: true, error: null };
    this.emit("sources");
    const result = await this.api.uploadSource(file);
    if (!result.ok) {
      this.upload = { busy: false, error: `Upload of ${file.name} failed: ${result.error}` };
      this.emit("sources");
      return;
    }
    this.upload = { busy: false, error: null };
    await this.refreshSources();
    await this.chooseSource(result.data.name);
  }

  // Form

  setOption(key, value) {
    if (this.form[key] === value) {
      return;
    }
    this.form[key] = value;
    if (key === "name") {
      this.nameEdited = String(value).trim() !== "";
    }
    if (this.formProblems.length) {
      this.checkForm({ forRun: true }); // clears each problem as soon as its field is fixed
    }
    this.emit("form");
  }

  // Derives a fresh default run name, with the current time, from FILENAME.
  updateDefaultName(fileName) {
    this.nameSourceFile = fileName;
    this.defaultName = defaultRunName(fileName);
    if (!this.nameEdited) {
      this.form.name = "";
    }
    this.emit("form");
  }

  get runName() {
    return String(this.form.name ?? "").trim() || this.defaultName;
  }

  // Checks the options, and the run name too when FORRUN is set. The problems stay in formProblems for drawing.
  checkForm({ forRun = false } = {}) {
    const built = buildRunOptions(this.form, this.sourceChoice);
    if (forRun && (!RUN_NAME_PATTERN.test(this.runName) || /[. ]$/.test(this.runName))) {
      built.problems.push(`Run name "${this.runName}" is invalid: use 1 to 100 letters, digits, spaces, "_", "-" ` +
        `or ".", starting with a letter or digit and not ending with "." or a space.`);
    }
    this.formProblems = built.problems;
    return built;
  }

  // Preview

  async runPreview() {
    this.refreshGraphInfo();
    const built = this.checkForm();
    if (built.problems.length) {
      this.emit("form");
      return;
    }
    if (this.sourceChoice === null) {
      this.preview = { status: "idle", result: null, error: null, problems: [] };
      this.emit("preview");
      return;
    }

    const token = ++this.previewCounter;
    this.preview = { ...this.preview, status: "loading" };
    this.emit("preview");

    let graph;
    try {
      graph = await this.graph.toPrompt();
    } catch (error) {
      this.preview = { status: "failed", result: null, error: `Could not read the workflow: ${error?.message ?? error}`, problems: [] };
      this.emit("preview");
      return;
    }
    const result = await this.api.preview(graph.output, built.options, this.settings.previewRows());
    if (token !== this.previewCounter) {
      return; // a newer preview was started meanwhile
    }
    if (result.ok) {
      this.preview = { status: "ready", result: result.data, error: null, problems: result.data.problems ?? [] };
      this.readGraphSourceFile(graph.output);
      const fileName = this.sourceChoice || this.graphSourceFile;
      if (fileName !== this.nameSourceFile) {
        this.updateDefaultName(fileName);
      }
    } else {
      this.preview = { status: "failed", result: null, error: result.error, problems: result.problems };
    }
    this.emit("preview");
  }

  get canRun() {
    if (this.starting || this.preview.status === "loading" || this.sourceChoice === null) {
      return false;
    }
    if (this.preview.status === "failed") {
      return false;
    }
    return !hasErrors(this.preview.problems);
  }

  // Runs

  async startRun() {
    const built = this.checkForm({ forRun: true });
    if (built.problems.length || !this.canRun) {
      this.emit("form");
      return;
    }
    this.starting = true;
    this.emit("preview");

    try {
      const graph = await this.graph.toPrompt();
      const name = this.runName;
      const result = await this.api.startRun({ prompt: graph.output, workflow: graph.workflow, name, options: built.options });
      this.handleRunStart(name, result);
    } catch (error) {
      this.notify({ severity: "error", summary: "Batch run not started", detail: `Could not read the workflow: ${error?.message ?? error}` });
    } finally {
      this.starting = false;
      this.emit("preview");
    }
  }

  handleRunStart(name, result) {
    if (result.ok) {
      this.upsertRun(result.data);
      const counts = result.data.counts ?? {};
      const detail = result.data.message || `${counts.total ?? 0} jobs, ${counts.queued ?? 0} queued so far.`;
      this.notify({ severity: "success", summary: `Run "${name}" started`, detail });
      this.updateDefaultName(this.nameSourceFile);
      return;
    }
    if (result.status === 400 && result.problems.length) {
      this.preview = { status: "failed", result: null, error: result.error, problems: result.problems };
      this.emit("preview");
    }
    this.notify({ severity: "error", summary: "Batch run not started", detail: result.error });
  }

  sortedRuns() {
    return [...this.runs.values()].sort((a, b) => (b.created_at ?? 0) - (a.created_at ?? 0));
  }

  async refreshRuns() {
    const result = await this.api.listRuns();
    if (!result.ok) {
      this.runsError = `Could not load runs: ${result.error}`;
      this.emit("runs");
      return;
    }
    this.runsError = null;
    this.runs = new Map((result.data.runs ?? []).map((run) => [run.run_id, run]));
    for (const runId of [...this.failures.keys()]) {
      if (!this.runs.has(runId)) {
        this.failures.delete(runId);
      }
    }
    // Failed rows are loaded for the newest runs only: the panel lists no more.
    for (const run of this.sortedRuns().slice(0, MAX_RUNS_WITH_FAILURES)) {
      this.syncFailures(run);
    }
    this.emit("runs");
  }

  upsertRun(summary) {
    if (!summary?.run_id) {
      return;
    }
    this.runs.set(summary.run_id, summary);
    this.syncFailures(summary);
    this.emit("runs");
  }

  // Loads a run's failed rows again when its count of failed and suspect rows changed.
  syncFailures(summary) {
    const counts = summary.counts ?? {};
    const failedCount = (counts.failed ?? 0) + (counts.suspect ?? 0);
    const known = this.failures.get(summary.run_id);
    if (failedCount === 0) {
      this.failures.delete(summary.run_id);
    } else if (!known || known.count !== failedCount) {
      this.scheduleFailureLoad(summary.run_id);
    }
  }

  scheduleFailureLoad(runId) {
    if (this.failureTimers.has(runId)) {
      return;
    }
    this.failureTimers.set(runId, setTimeout(() => {
      this.failureTimers.delete(runId);
      this.loadFailures(runId);
    }, FAILURE_RELOAD_DELAY_MS));
  }

  async loadFailures(runId) {
    const result = await this.api.getRun(runId);
    if (!result.ok) {
      this.failures.set(runId, { count: -1, rows: [], error: result.error });
      this.emit("runs");
      return;
    }
    // The summary is not stored: a websocket event may have brought a newer one meanwhile.
    const { failed_rows: rows = [], counts = {} } = result.data;
    this.failures.set(runId, { count: (counts.failed ?? 0) + (counts.suspect ?? 0), rows, error: null });
    this.emit("runs");
  }

  // ACTION is "pause", "resume", "cancel", "stop" (cancel and interrupt the running job) or "retry-failed".
  async controlRun(runId, action) {
    const key = `${runId}:${action}`;
    if (this.pendingActions.has(key)) {
      return;
    }
    this.pendingActions.add(key);
    this.emit("runs");

    const route = action === "stop" ? "cancel" : action;
    const result = await this.api.controlRun(runId, route, { interrupt: action === "stop" });
    this.pendingActions.delete(key);
    if (result.ok) {
      const { retried, ...summary } = result.data;
      this.upsertRun(summary);
      if (action === "retry-failed") {
        const rows = retried === 1 ? "1 failed row" : `${retried ?? 0} failed rows`;
        this.notify({ severity: "info", summary: `Run "${summary.name ?? runId}"`, detail: `${rows} queued again.` });
      }
    } else {
      this.notify({ severity: "error", summary: `Could not ${route.replace("-", " ")} run "${runId}"`, detail: result.error });
      await this.refreshRuns();
    }
    this.emit("runs");
  }

  // Websocket events

  applyEvent(detail) {
    if (!detail || typeof detail !== "object" || !detail.run?.run_id) {
      return;
    }
    this.upsertRun(detail.run);
    if (detail.event === "finished") {
      this.announceFinish(detail.run);
    } else if (detail.event === "job" && detail.job?.status === "failed") {
      this.announceFirstFailure(detail.run, detail.job);
    }
  }

  announceFinish(run) {
    const key = `finished:${run.run_id}:${run.finished_at}`;
    if (this.announced.has(key) || !this.settings.notifyOnFinish()) {
      return;
    }
    this.announced.add(key);
    const counts = run.counts ?? {};
    const failed = (counts.failed ?? 0) + (counts.suspect ?? 0);
    const finished = (counts.done ?? 0) + (counts.skipped ?? 0);
    const summary = `Run "${run.name ?? run.run_id}" ${run.state}`;
    const detail = `${finished} of ${counts.total ?? 0} rows done` + (failed ? `, ${failed} failed or suspect.` : ".");
    let severity = "success";
    if (run.state === "failed") {
      severity = "error";
    } else if (failed || run.state === "cancelled") {
      severity = "warn";
    }
    this.notify({ severity, summary, detail, life: severity === "success" ? 5000 : 10000 });
  }

  // One toast per run and page load, so a batch with many bad rows does not flood the screen.
  announceFirstFailure(run, job) {
    const key = `failure:${run.run_id}`;
    if (this.announced.has(key) || !this.settings.notifyOnFinish()) {
      return;
    }
    this.announced.add(key);
    const where = job.error?.node_type ? ` in ${job.error.node_type} (node ${job.error.node_id})` : "";
    this.notify({
      severity: "error",
      summary: `Run "${run.name ?? run.run_id}": row ${job.row} (${job.row_id}) failed${where}`,
      detail: `${job.error?.message ?? "no error message"}. The run goes on; see the Batch panel for every failed row.`,
      life: 10000,
    });
  }

  // Polling is a safety net for missed websocket messages while the panel is open.
  setVisible(visible) {
    clearInterval(this.pollTimer);
    this.pollTimer = null;
    if (visible) {
      this.pollTimer = setInterval(() => {
        if (this.sortedRuns().some((run) => !FINAL_STATES.has(run.state))) {
          this.refreshRuns();
        }
      }, POLL_INTERVAL_MS);
    }
  }
}
