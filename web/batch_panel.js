// The Batch sidebar tab: pick a job file, preview how its rows bind to the
// open workflow, start a run, and follow every run the server reports.
//
// This module wires ComfyUI's app and api to the panel's three parts:
// lib/api.js (requests), lib/state.js (state and websocket events) and
// lib/render.js (drawing). It also hides the Batch Source node's `batch_row`
// input, which only the server fills.

import { app } from "../../scripts/app.js";
import { api } from "../../scripts/api.js";
import { BatchApi } from "./lib/api.js";
import { mountPanel } from "./lib/render.js";
import { BatchPanelState } from "./lib/state.js";

const EXTENSION_NAME = "comfyui-batch-runner.panel";
const TAB_ID = "batch-runner";
const OPEN_COMMAND = "BatchRunner.OpenPanel";
const SOURCE_NODE = "BatchRunnerSource";
const ROW_INPUT = "batch_row";
const SETTING_PREVIEW_ROWS = "BatchRunner.Panel.PreviewRows";
const SETTING_NOTIFY = "BatchRunner.Panel.Notify";
// Node modes whose nodes graphToPrompt leaves out: 2 is muted ("never"), 4 is bypassed.
const INACTIVE_MODES = new Set([2, 4]);

function readSetting(id, fallback) {
  const value = app.extensionManager?.setting?.get?.(id);
  return value === undefined || value === null ? fallback : value;
}

function showToast({ severity, summary, detail, life = 6000 }) {
  const toast = app.extensionManager?.toast;
  if (typeof toast?.add === "function") {
    toast.add({ severity, summary, detail, life });
  } else {
    console.info(`[batch-runner] ${summary}: ${detail}`);
  }
}

// Graph access

function nodesOf(graph) {
  return graph?.nodes ?? graph?._nodes ?? [];
}

function subgraphsOf(graph) {
  const subgraphs = graph?.subgraphs;
  if (!subgraphs) {
    return [];
  }
  return typeof subgraphs.values === "function" ? [...subgraphs.values()] : Object.values(subgraphs);
}

function graphHasSourceNode() {
  const graphs = [app.graph, ...subgraphsOf(app.graph)];
  return graphs.some((graph) => nodesOf(graph).some(
    (node) => (node.comfyClass ?? node.type) === SOURCE_NODE && !INACTIVE_MODES.has(node.mode)));
}

// The server sets `batch_row` on every batch job and overwrites whatever the
// graph put there, so the canvas does not offer the socket. The input is
// optional, so a workflow without it still queues and validates.
function hideRowInput(node) {
  const index = node.inputs?.findIndex((input) => input.name === ROW_INPUT) ?? -1;
  if (index === -1) {
    return;
  }
  // Newer frontends deprecate reading `input.link`; they offer isInputConnected.
  const linked = typeof node.isInputConnected === "function"
    ? node.isInputConnected(index)
    : node.inputs[index].link !== null && node.inputs[index].link !== undefined;
  if (!linked) {
    node.removeInput(index);
  }
}

function hideRowInputOnNodeType(nodeType) {
  const prototype = nodeType.prototype;
  const onNodeCreated = prototype.onNodeCreated;
  prototype.onNodeCreated = function (...args) {
    const result = onNodeCreated?.apply(this, args);
    hideRowInput(this);
    return result;
  };
  // Saved workflows list the input, and configure() restores it before onConfigure runs.
  const onConfigure = prototype.onConfigure;
  prototype.onConfigure = function (...args) {
    const result = onConfigure?.apply(this, args);
    hideRowInput(this);
    return result;
  };
}

// Panel

class BatchPanel {
  constructor() {
    this.batchApi = new BatchApi(api);
    this.state = new BatchPanelState({
      api: this.batchApi,
      graph: { toPrompt: () => app.graphToPrompt(), hasSourceNode: graphHasSourceNode },
      notify: showToast,
      settings: {
        previewRows: () => Number(readSetting(SETTING_PREVIEW_ROWS, 5)) || 5,
        notifyOnFinish: () => Boolean(readSetting(SETTING_NOTIFY, true)),
      },
    });
    this.view = null;
    this.root = null;
    this.unsubscribe = null;
  }

  // Follows run events from now on, so finish toasts appear while the tab is closed too.
  start() {
    this.state.connect(api);
  }

  // The frontend may call render again with the same element, so only a new element is mounted.
  render(element) {
    if (this.root === element && this.view) {
      return;
    }
    this.destroy();
    this.root = element;
    this.view = mountPanel(element, this.handlers());
    this.unsubscribe = this.state.subscribe((topic) => this.view?.draw(this.state, topic));
    this.state.refreshGraphInfo();
    this.view.draw(this.state);
    this.state.setVisible(true);

    this.state.refreshSources();
    this.state.refreshRuns();
    // The graph may have changed while the tab was closed.
    if (this.state.sourceChoice !== null) {
      this.state.runPreview();
    }
  }

  destroy() {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.view = null;
    this.root = null;
    this.state.setVisible(false);
  }

  handlers() {
    const state = this.state;
    return {
      onChooseSource: (choice) => state.chooseSource(choice),
      onUpload: (file) => state.uploadSource(file),
      onRefreshSources: () => state.refreshSources(),
      onPreview: () => state.runPreview(),
      onOptionChange: (key, value) => state.setOption(key, value),
      onRun: () => state.startRun(),
      onControl: async (runId, action) => {
        if ((action === "cancel" || action === "stop") && !(await confirmCancel(runId, action))) {
          return;
        }
        await state.controlRun(runId, action);
      },
      onRefreshRuns: () => state.refreshRuns(),
    };
  }
}

async function confirmCancel(runId, action) {
  const message = action === "stop"
    ? `Stop run "${runId}" now? The job that is running is interrupted as well. Rows already saved stay saved.`
    : `Cancel run "${runId}"? Its queued jobs are removed and the job that is running finishes. `
      + "Rows already saved stay saved.";
  const dialog = app.extensionManager?.dialog;
  if (typeof dialog?.confirm === "function") {
    return Boolean(await dialog.confirm({ title: "Batch runner", message }));
  }
  return window.confirm(message);
}

function openPanel() {
  const sidebar = app.extensionManager?.sidebarTab;
  if (sidebar?.activeSidebarTabId === TAB_ID) {
    return;
  }
  if (typeof sidebar?.toggleSidebarTab === "function") {
    sidebar.toggleSidebarTab(TAB_ID);
  } else {
    app.extensionManager?.command?.execute?.(`Workspace.ToggleSidebarTab.${TAB_ID}`);
  }
}

function addStylesheet() {
  const href = new URL("./batch_panel.css", import.meta.url).href;
  if (document.querySelector(`link[href="${href}"]`)) {
    return;
  }
  document.head.append(Object.assign(document.createElement("link"), { rel: "stylesheet", href }));
}

app.registerExtension({
  name: EXTENSION_NAME,

  commands: [
    { id: OPEN_COMMAND, label: "Open the Batch panel", icon: "pi pi-list", function: openPanel },
  ],
  keybindings: [
    { combo: { key: "b", alt: true }, commandId: OPEN_COMMAND },
  ],
  settings: [
    {
      id: SETTING_PREVIEW_ROWS,
      category: ["Batch Runner", "Panel", "Preview rows"],
      name: "Rows shown in the preview",
      tooltip: "How many of the first rows the Batch panel's preview lists with their resolved inputs. Every row is checked either way.",
      type: "number",
      defaultValue: 5,
      attrs: { min: 1, max: 100, step: 1 },
    },
    {
      id: SETTING_NOTIFY,
      category: ["Batch Runner", "Panel", "Notifications"],
      name: "Notify when a run finishes or a row fails",
      type: "boolean",
      defaultValue: true,
    },
  ],

  async beforeRegisterNodeDef(nodeType, nodeData) {
    if (nodeData?.name === SOURCE_NODE) {
      hideRowInputOnNodeType(nodeType);
    }
  },

  async setup() {
    addStylesheet();
    const manager = app.extensionManager;
    if (typeof manager?.registerSidebarTab !== "function") {
      console.warn("[batch-runner] This ComfyUI frontend has no sidebar tab API, so the Batch panel is unavailable. "
        + "Use the /batch-runner/ routes or the headless command (python -m batch_runner) instead.");
      return;
    }
    const panel = new BatchPanel();
    manager.registerSidebarTab({
      id: TAB_ID,
      icon: "pi pi-list",
      title: "Batch",
      label: "Batch",
      tooltip: "Batch runner: run this workflow once per row of a job file (Alt+B)",
      type: "custom",
      render: (element) => panel.render(element),
      destroy: () => panel.destroy(),
    });
    panel.start();
  },
});
