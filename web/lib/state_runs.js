// The runs part of the Batch panel's state: every run the server reports,
// the failed rows of the newest runs and the run controls in flight.
//
// RunsState listens to the websocket events `batch-runner.progress` and
// `batch-runner.update`. It reloads the runs from the server when the
// websocket reconnects, and polls while the panel is visible and a run has not
// finished. The panel also reloads them each time it opens. BatchPanelState in
// state.js extends RunsState with job files, the form and the preview.
//
// Only exports: ComfyUI loads this file as a module of its own too.

export const EVENT_TYPES = ["batch-runner.progress", "batch-runner.update"];
export const FINAL_STATES = new Set(["done", "failed", "cancelled"]);

const POLL_INTERVAL_MS = 10000;
export const MAX_RUNS_WITH_FAILURES = 20;
const FAILURE_RELOAD_DELAY_MS = 300;

export class RunsState {
  // api: a BatchApi. notify({ severity, summary, detail }): shows a toast.
  // settings: { notifyOnFinish() }.
  constructor({ api, notify, settings }) {
    this.api = api;
    this.notify = notify;
    this.settings = settings;
    this.listeners = new Set();

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
