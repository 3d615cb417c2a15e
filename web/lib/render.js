// Drawing of the Batch panel: the fixed layout, and which section is redrawn
// for each state topic. The render_*.js modules draw the sections. Like them,
// this module reads a BatchPanelState and builds DOM, and it changes no state
// and sends no request. User actions go to the `handlers` object the panel
// passes in.
//
// Only exports: ComfyUI loads this file as a module of its own too.

import { button, fill, h, icon } from "./dom.js";
import { buildActions, buildOptions, drawActions, syncOptions } from "./render_options.js";
import { drawPreview } from "./render_preview.js";
import { drawRuns } from "./render_runs.js";
import { buildSource, drawSource } from "./render_source.js";

// Also exported here, so code that imports them from lib/render.js keeps working.
export { h } from "./dom.js";
export { describeProblem, formatDuration, formatRate, plural } from "./format.js";

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
