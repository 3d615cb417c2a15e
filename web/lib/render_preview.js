// Drawing of the Preview section: the job file's rows, columns and format, its
// problems, and the first rows with the values they will use.
//
// Only exports: ComfyUI loads this file as a module of its own too.

import { fill, h, icon } from "./dom.js";
import { describeProblem, formatValue, plural } from "./format.js";

export function drawPreview(section, state) {
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
