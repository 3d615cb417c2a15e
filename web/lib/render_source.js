// Drawing of the Job file section: the list of job files, the upload and the
// Preview button.
//
// Only exports: ComfyUI loads this file as a module of its own too.

import { DEFAULT_SOURCE_EXTENSIONS } from "./api.js";
import { button, fill, h, setLabel } from "./dom.js";
import { GRAPH_SOURCE } from "./state.js";

export function buildSource(section, handlers) {
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

export function drawSource(controls, state) {
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
