// The Options form as plain data: its defaults, the default run name, and
// its conversion into the `options` object of the preview and run routes.
//
// Only exports: ComfyUI loads this file as a module of its own too.

// Same rule as the server's run name check: the name becomes a folder.
export const RUN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}$/;

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
