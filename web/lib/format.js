// Text formatting for the panel: counts, durations, rates, times, values and
// problems. Pure functions over plain data, with no DOM.
//
// Only exports: ComfyUI loads this file as a module of its own too.

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

export function formatTime(epochSeconds) {
  if (!epochSeconds) {
    return "";
  }
  return new Date(epochSeconds * 1000).toLocaleString();
}

export function formatValue(value) {
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
