// The demo page's only script: send what the person does to the demo server (which signs it
// as Slack would and posts it to the app), then show the fragments it answers with. Polls
// while anything may still change (the worker updates modals and messages on its own).
"use strict";

const POLL_MS = 500;

function formValues(form) {
  // block id -> action id -> [values], the shape payloads::FormValues reads.
  const values = {};
  if (!form) return values;
  form.querySelectorAll("[data-action]:not([data-press])").forEach((el) => {
    const block = el.dataset.block, action = el.dataset.action;
    values[block] = values[block] || {};
    const list = (values[block][action] = values[block][action] || []);
    if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
    if (el.value !== "") list.push(el.value);
  });
  return values;
}

function apply(f) {
  if (!f) return;
  // Each part is replaced only when its key says it changed (render.rs, Fragments).
  for (const id of ["conversation", "panel", "hint"]) {
    const el = document.getElementById(id);
    if (f[id + "_key"] !== el.dataset.key) {
      el.innerHTML = f[id];
      el.dataset.key = f[id + "_key"];
      if (id === "conversation") el.scrollTop = el.scrollHeight;
    }
  }
  const banner = document.getElementById("banner");
  if (banner.textContent !== f.banner) banner.textContent = f.banner;
  const root = document.getElementById("modal-root");
  if (f.modal_key !== root.dataset.key) {
    // Slack keeps what was typed when a view is updated with the same block and action ids.
    const kept = formValues(document.getElementById("modal"));
    root.innerHTML = f.modal;
    root.dataset.key = f.modal_key;
    const form = document.getElementById("modal");
    if (form) {
      form.querySelectorAll("input[type=text], textarea, select").forEach((el) => {
        const v = (kept[el.dataset.block] || {})[el.dataset.action];
        if (v && v.length && !el.value) el.value = v[0];
      });
    }
  }
}

async function call(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
  try {
    const res = await fetch(path, options);
    if (res.ok) apply(await res.json());
  } catch (e) {
    document.getElementById("banner").textContent = "The demo server is not answering.";
  }
}

document.addEventListener("submit", (ev) => {
  ev.preventDefault();
  if (ev.target.id === "composer") {
    const input = document.getElementById("composer-input");
    const text = input.value;
    input.value = "";
    call("/demo/type", { text });
  } else if (ev.target.id === "modal") {
    call("/demo/submit", { view_id: ev.target.dataset.viewId, values: formValues(ev.target) });
  }
});

document.addEventListener("click", (ev) => {
  const close = ev.target.closest("[data-close]");
  const form = document.getElementById("modal");
  if (close && form) {
    call("/demo/close", { view_id: form.dataset.viewId });
    return;
  }
  const button = ev.target.closest("[data-press]");
  if (!button) return;
  if (button.dataset.url) window.open(button.dataset.url, "_blank", "noopener");
  const inModal = button.closest("#modal");
  call("/demo/press", {
    view_id: inModal ? inModal.dataset.viewId : null,
    ts: inModal ? null : button.dataset.ts,
    block_id: button.dataset.block,
    action_id: button.dataset.action,
    values: formValues(inModal),
  });
});

document.addEventListener("DOMContentLoaded", () => {
  setInterval(() => call("/demo/state"), POLL_MS);
});
