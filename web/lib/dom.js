// Element helpers shared by the panel's drawing modules.
//
// Only exports: ComfyUI loads this file as a module of its own too.

// Creates an element. PROPS keys starting with "on" add listeners, "class" and
// "dataset" are set as such, everything else is assigned as a property.
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null) {
      continue;
    }
    if (key === "class") {
      element.className = value;
    } else if (key === "dataset") {
      Object.assign(element.dataset, value);
    } else if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "for" || key.startsWith("aria-") || key === "role") {
      element.setAttribute(key, value);
    } else {
      element[key] = value;
    }
  }
  appendChildren(element, children);
  return element;
}

function appendChildren(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    element.append(child instanceof Node ? child : String(child));
  }
}

// Replaces ELEMENT's content; CHILDREN may hold nested arrays and nulls, as h() takes them.
export function fill(element, ...children) {
  element.replaceChildren();
  appendChildren(element, children);
}

export function icon(name) {
  return h("i", { class: `pi ${name}`, "aria-hidden": "true" });
}

export function button(label, iconName, onClick, { disabled = false, kind = "", title, test } = {}) {
  return h("button", {
    type: "button", class: `batch-runner-button ${kind}`.trim(), disabled, title,
    dataset: test ? { test } : undefined, onClick,
  }, iconName ? icon(iconName) : null, label ? h("span", {}, label) : null);
}

// Replaces CONTAINER's children by ITEMS, reusing a child whose key and
// signature are unchanged, so frequent progress updates do not rebuild
// buttons or images the user is looking at.
export function patchChildren(container, items) {
  const existing = new Map();
  for (const child of container.children) {
    existing.set(child.dataset.key, child);
  }
  const ordered = items.map(({ key, signature, build }) => {
    const old = existing.get(key);
    if (old && old.batchRunnerSignature === signature) {
      return old;
    }
    const fresh = build();
    fresh.dataset.key = key;
    fresh.batchRunnerSignature = signature;
    return fresh;
  });
  ordered.forEach((child, index) => {
    if (container.children[index] !== child) {
      container.insertBefore(child, container.children[index] ?? null);
    }
  });
  while (container.children.length > ordered.length) {
    container.lastElementChild.remove();
  }
}

export function setLabel(buttonElement, label) {
  const span = buttonElement.querySelector("span");
  if (span && span.textContent !== label) {
    span.textContent = label;
  }
}
