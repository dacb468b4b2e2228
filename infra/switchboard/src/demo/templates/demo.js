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

// An external select's search field: what is typed goes to the app's options URL (through
// /demo/suggest, signed there) a moment after the person stops typing, and the select then
// lists what the app offered, keeping the pick made so far.
const SUGGEST_MS = 250;
let suggestTimer = null;

async function suggest(input) {
  const form = document.getElementById("modal");
  const select = form && form.querySelector(
    `select[data-block="${CSS.escape(input.dataset.block)}"][data-action="${CSS.escape(input.dataset.suggest)}"]`);
  if (!select) return;
  let answer;
  try {
    const res = await fetch("/demo/suggest", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        view_id: form.dataset.viewId,
        block_id: input.dataset.block,
        action_id: input.dataset.suggest,
        value: input.value,
        values: formValues(form),
      }),
    });
    if (!res.ok) return;
    answer = await res.json();
  } catch (e) {
    document.getElementById("banner").textContent = "The demo server is not answering.";
    return;
  }
  if (!Array.isArray(answer.options)) {
    apply(answer); // the app could not be reached: the banner says so
    return;
  }
  const options = answer.options;
  const picked = select.selectedOptions[0];
  const keep = picked && picked.value !== "" ? picked : null;
  const first = select.options[0];
  select.replaceChildren(first);
  if (keep && !options.some((o) => o.value === keep.value)) select.append(keep);
  for (const o of options) select.append(new Option(o.text, o.value));
  if (keep) select.value = keep.value;
  else if (options.length) select.value = options[0].value;
  if (first.dataset.placeholder === undefined) first.dataset.placeholder = first.textContent;
  first.textContent = options.length || input.value.trim().length < 2
    ? first.dataset.placeholder : "No matches";
}

document.addEventListener("keydown", (ev) => {
  // Enter in a search field searches now; it does not submit the modal.
  const input = ev.target.closest("[data-suggest]");
  if (!input || ev.key !== "Enter") return;
  ev.preventDefault();
  clearTimeout(suggestTimer);
  suggest(input);
});

document.addEventListener("input", (ev) => {
  const input = ev.target.closest("[data-suggest]");
  if (!input) return;
  clearTimeout(suggestTimer);
  suggestTimer = setTimeout(() => suggest(input), SUGGEST_MS);
});

document.addEventListener("DOMContentLoaded", () => {
  setInterval(() => call("/demo/state"), POLL_MS);
});
