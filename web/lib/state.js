// The Batch panel's state, kept outside the DOM: job files, the form, the
// current preview and the runs the server reports.
//
// The sidebar tab is rebuilt every time it opens, so everything it shows lives
// here and comes from the server: runs survive closing the tab and reloading
// the page. The runs, websocket events and polling are in RunsState
// (state_runs.js), which BatchPanelState extends.
//
// Only exports: ComfyUI loads this file as a module of its own too.

import { RUN_NAME_PATTERN, buildRunOptions, defaultForm, defaultRunName } from "./run_options.js";
import { RunsState } from "./state_runs.js";

// Also exported here, so code that imports them from lib/state.js keeps working.
export { EVENT_TYPES, FINAL_STATES, MAX_RUNS_WITH_FAILURES } from "./state_runs.js";
export { RUN_NAME_PATTERN, buildRunOptions, defaultForm, defaultRunName } from "./run_options.js";

// The `source.choice` value that means "the Batch Source node in the graph".
export const GRAPH_SOURCE = "";

export function hasErrors(problems) {
  return (problems ?? []).some((problem) => (problem.severity ?? "error") === "error");
}

export class BatchPanelState extends RunsState {
  // api: a BatchApi. graph: { toPrompt(), hasSourceNode() } over the open workflow.
  // notify({ severity, summary, detail }): shows a toast.
  // settings: { previewRows(), notifyOnFinish() }.
  constructor({ api, graph, notify, settings }) {
    super({ api, notify, settings });
    this.graph = graph;

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
    this.previewCounter = 0;
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
}
