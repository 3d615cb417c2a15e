// Requests to the /batch-runner/ routes, made through ComfyUI's `api.fetchApi`.
//
// ComfyUI loads every .js file under web/ as an extension module, so this file
// only exports: nothing runs when it is loaded on its own.
//
// Every request resolves to a result value and never throws:
//   { ok: true, status, data }
//   { ok: false, status, error, problems }
// `status` is 0 when the server could not be reached at all.

const PREFIX = "/batch-runner";

// File types the server reads, used until GET /sources returns its own list.
export const DEFAULT_SOURCE_EXTENSIONS = [".csv", ".json", ".jsonl", ".tsv", ".txt", ".xlsx"];

function success(status, data) {
  return { ok: true, status, data };
}

function failure(status, error, problems = []) {
  return { ok: false, status, error, problems: Array.isArray(problems) ? problems : [] };
}

async function readBody(response) {
  let text;
  try {
    text = await response.text();
  } catch (error) {
    return { error: `the response body could not be read (${error?.message ?? error})` };
  }
  if (!text) {
    return null;
  }
  try {
    return JSON.parse(text);
  } catch {
    return { error: text.slice(0, 500) };
  }
}

// Reads a File or Blob as base64 without building one huge binary string.
export async function fileToBase64(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const chunkSize = 0x8000;
  let binary = "";
  for (let start = 0; start < bytes.length; start += chunkSize) {
    binary += String.fromCharCode.apply(null, bytes.subarray(start, start + chunkSize));
  }
  return btoa(binary);
}

export class BatchApi {
  // `comfyApi` is ComfyUI's `api` object from scripts/api.js.
  constructor(comfyApi) {
    this.comfyApi = comfyApi;
  }

  async request(method, path, body) {
    const init = { method };
    if (body !== undefined) {
      // The server rejects mutating requests that are not JSON.
      init.headers = { "Content-Type": "application/json" };
      try {
        init.body = JSON.stringify(body);
      } catch (error) {
        return failure(0, `The request to ${PREFIX}${path} could not be encoded as JSON: ${error?.message ?? error}`);
      }
    }

    let response;
    try {
      response = await this.comfyApi.fetchApi(PREFIX + path, init);
    } catch (error) {
      return failure(0, `Could not reach ComfyUI (${error?.message ?? error}). Check that the server is running.`);
    }

    const data = await readBody(response);
    if (response.ok) {
      return success(response.status, data);
    }
    const message = data?.error ?? `${method} ${PREFIX}${path} failed with HTTP ${response.status}`;
    return failure(response.status, message, data?.problems);
  }

  listSources() {
    return this.request("GET", "/sources");
  }

  async uploadSource(file, { overwrite = false } = {}) {
    let content;
    try {
      content = await fileToBase64(file);
    } catch (error) {
      return failure(0, `Could not read ${file.name}: ${error?.message ?? error}`);
    }
    return this.request("POST", "/sources", { name: file.name, content_base64: content, overwrite });
  }

  preview(prompt, options, limit) {
    return this.request("POST", "/preview", { prompt, options, limit });
  }

  startRun({ prompt, workflow, name, options }) {
    return this.request("POST", "/runs", { prompt, workflow, name, options });
  }

  listRuns() {
    return this.request("GET", "/runs");
  }

  getRun(runId) {
    return this.request("GET", `/runs/${encodeURIComponent(runId)}`);
  }

  // ACTION is one of "pause", "resume", "cancel" or "retry-failed".
  controlRun(runId, action, body = {}) {
    return this.request("POST", `/runs/${encodeURIComponent(runId)}/${action}`, body);
  }

  // Returns the download URL of a run's manifest. FORMAT is "csv" or "jsonl".
  manifestUrl(runId, format) {
    return this.url(`${PREFIX}/runs/${encodeURIComponent(runId)}/manifest?format=${format}`);
  }

  // Returns the /view URL of FILE, a path relative to the run folder <output>/<run id>/.
  imageUrl(runId, file) {
    const slash = file.lastIndexOf("/");
    const folder = slash === -1 ? "" : file.slice(0, slash);
    const params = new URLSearchParams({
      filename: file.slice(slash + 1),
      subfolder: folder ? `${runId}/${folder}` : runId,
      type: "output",
    });
    return this.url(`/view?${params}`);
  }

  url(path) {
    if (typeof this.comfyApi.apiURL === "function") {
      return this.comfyApi.apiURL(path);
    }
    return `${this.comfyApi.api_base ?? ""}/api${path}`;
  }
}
