// Drawing of the Options section and the Run button below it.
//
// Only exports: ComfyUI loads this file as a module of its own too.

import { button, fill, h, setLabel } from "./dom.js";
import { plural } from "./format.js";
import { hasErrors } from "./state.js";

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

function field(label, control, hint, { wide = false } = {}) {
  return h("label", { class: `batch-runner-field${wide ? " batch-runner-field-wide" : ""}` }, h("span", {}, label), control,
    hint ? h("small", { class: "batch-runner-muted" }, hint) : null);
}

export function buildOptions(section, handlers) {
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
export function syncOptions(inputs, state) {
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

export function buildActions(section, handlers) {
  const run = button("Run", "pi-play", handlers.onRun, { kind: "batch-runner-primary", test: "run" });
  const hint = h("span", { class: "batch-runner-hint" });
  section.append(run, hint);
  return { run, hint };
}

export function drawActions(controls, state) {
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
