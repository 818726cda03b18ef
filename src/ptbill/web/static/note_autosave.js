// Autosave of the note form, so nothing typed is lost: not to a failed check, a failed save, a server that
// stops in the middle of one, nor a lost connection.
//
// Every change is written at once to this browser's localStorage (per user and note), and a second after
// typing stops, or when a field is left or the page hidden, posted to /notes/drafts, which keeps it as the
// user's draft on the server. The line under the save button says which: "Draft saved 14:02" (the clinic's
// time), or "Not saved to the server (offline) — kept in this browser", retried until it goes through.
// Opening the note again, the server fills the form with its draft; a copy only this browser has (typed
// while offline) is sent to the server first and the page opened again with it. A successful save or
// "Discard them" clears the browser's copy. Signed notes have none.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("note");
  if (!form || !form.dataset.draftKey) return;
  const KEY = `ptbill.draft.${form.dataset.draftOwner}.${form.dataset.draftKey}`;
  const SUBMITTED = "ptbill.draft.submitted"; // sessionStorage: the copy whose save was sent
  const RESTORED = "ptbill.draft.restored"; // sessionStorage: when the copy put back from this browser was typed
  // Not the note: the token, the button pressed, the sign confirmation, the draft key, the template picker.
  const SKIP = new Set(["csrf_token", "action", "confirm_warnings", "draft_key", "template"]);
  const RETRY_MS = 10_000;
  const status = document.getElementById("autosave-status");
  const zone = form.dataset.zone || "UTC";
  const clock = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const moment = new Intl.DateTimeFormat("en-US", {
    timeZone: zone, month: "short", day: "numeric", year: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short",
  });

  // Storage can be switched off or full: the server's copy still counts, so every access is guarded.
  function local() { try { return window.localStorage; } catch { return null; } }
  function session() { try { return window.sessionStorage; } catch { return null; } }
  function read() { try { return JSON.parse(local()?.getItem(KEY) || "null"); } catch { return null; } }
  function write(entry) { try { local()?.setItem(KEY, JSON.stringify(entry)); } catch { /* full or blocked */ } }
  function forget(key = KEY) { try { local()?.removeItem(key); } catch { /* blocked */ } }
  function take(name) {
    try {
      const value = session()?.getItem(name) ?? null;
      session()?.removeItem(name);
      return value;
    } catch { return null; }
  }

  function values() {
    const out = {};
    for (const [name, value] of new FormData(form)) {
      if (!SKIP.has(name) && typeof value === "string") out[name] = value;
    }
    return out;
  }

  function same(a, b) {
    const entries = (v) => Object.entries(v || {}).filter(([n, x]) => !SKIP.has(n) && String(x).trim())
      .map(([n, x]) => `${n}=${String(x).trim()}`).sort().join("\n");
    return entries(a) === entries(b);
  }

  function show(state, text) {
    if (!status) return;
    status.dataset.state = state;
    status.textContent = text;
  }

  // What the page was opened after ---------------------------------------------------------------
  const submitted = take(SUBMITTED);
  if (submitted && new URLSearchParams(location.search).has("outcome")) forget(submitted); // that save went through
  if (form.dataset.autosave !== "on") {
    forget(); // a signed note keeps no copy: it is corrected by an addendum
    return;
  }
  if (form.dataset.draftBanner === "discarded") forget();
  const restoredAt = take(RESTORED);
  const restoredText = document.querySelector("[data-draft-restored-text]");
  if (restoredAt && restoredText) {
    restoredText.textContent = `Unsaved changes from ${moment.format(new Date(Number(restoredAt)))}, kept in this browser, were restored.`;
  }

  let timer = null;
  let dirty = false;
  let sending = false;
  let again = false;
  let leaving = false; // the form is being saved, or the draft discarded: nothing more to keep

  function failed(response, detail) {
    if (!response) return "Not saved to the server (offline) — kept in this browser";
    if (response.redirected || response.status === 401 || response.status === 403) {
      return "Not saved to the server (logged out: log in again in another tab) — kept in this browser";
    }
    return `Not saved to the server (${detail || `it answered ${response.status}`}) — kept in this browser`;
  }

  async function post(body) {
    body.set("csrf_token", form.elements.csrf_token.value);
    body.set("draft_key", form.dataset.draftKey);
    let response = null;
    try {
      response = await fetch("/notes/drafts", { method: "POST", body, credentials: "same-origin" });
    } catch {
      return { error: failed(null) };
    }
    const json = (response.headers.get("content-type") || "").includes("application/json");
    const data = json ? await response.json().catch(() => null) : null;
    if (!response.ok || response.redirected || !data || !data.saved) return { error: failed(response, data?.detail) };
    return { saved: data.saved };
  }

  async function send() {
    clearTimeout(timer);
    if (!dirty || leaving) return;
    if (sending) {
      again = true;
      return;
    }
    sending = true;
    dirty = false;
    const snapshot = values();
    const body = new FormData();
    for (const [name, value] of Object.entries(snapshot)) body.set(name, value);
    const answer = await post(body);
    sending = false;
    if (answer.saved) {
      const entry = read();
      if (entry && same(entry.values, snapshot)) write({ ...entry, acked: true });
      if (!dirty) show("saved", `Draft saved ${answer.saved}`);
    } else {
      dirty = true;
      show("local", answer.error);
      timer = setTimeout(send, RETRY_MS);
    }
    if (again) {
      again = false;
      send();
    }
  }

  function changed(event) {
    if (!event.target.name || SKIP.has(event.target.name)) return;
    leaving = false;
    dirty = true;
    write({ values: values(), at: Date.now(), acked: false });
    clearTimeout(timer);
    timer = setTimeout(send, 1000);
  }

  function beacon() {
    if (!dirty || leaving || !navigator.sendBeacon) return;
    const body = new FormData(form);
    body.set("draft_key", form.dataset.draftKey);
    body.delete("action");
    if (navigator.sendBeacon("/notes/drafts", body)) dirty = false;
  }

  // Put a copy only this browser has back into the form ---------------------------------------------
  function fill(saved) {
    for (const [name, value] of Object.entries(saved)) {
      for (const input of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
        if (input.type === "radio" || input.type === "checkbox") input.checked = input.value === value;
        else if (input.type !== "hidden") input.value = value;
      }
    }
  }

  async function restore(entry) {
    const body = new FormData();
    for (const [name, value] of Object.entries(entry.values)) body.set(name, value);
    const answer = await post(body);
    if (answer.saved) {
      write({ ...entry, acked: true });
      try { session()?.setItem(RESTORED, String(entry.at)); } catch { /* the banner then gives the server's time */ }
      location.replace(form.dataset.draftHref); // the server fills the form with it, every row included
      return;
    }
    fill(entry.values);
    dirty = true;
    show("local", `Unsaved changes from ${moment.format(new Date(entry.at))} were put back from this browser. ${answer.error}`);
    timer = setTimeout(send, RETRY_MS);
  }

  const kept = read();
  if (kept && kept.values) {
    if (same(kept.values, values())) write({ ...kept, acked: true }); // the page shows it: the server has it
    else if (kept.acked) forget(); // the server had it and has moved on: saved, discarded or newer
    else restore(kept);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  // Leaving a field sends what it held, after a moment: a click on "Save draft" also leaves one, and that
  // save sends the form itself.
  form.addEventListener("focusout", () => {
    if (!dirty) return;
    clearTimeout(timer);
    timer = setTimeout(send, 300);
  });
  form.addEventListener("submit", () => {
    leaving = true;
    clearTimeout(timer);
    try { session()?.setItem(SUBMITTED, KEY); } catch { /* then the copy is cleared when it matches the note */ }
  });
  document.getElementById("discard-draft")?.addEventListener("submit", () => {
    leaving = true;
    clearTimeout(timer);
    forget();
  });
  window.addEventListener("online", () => { if (dirty) send(); });
  window.addEventListener("pagehide", beacon);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") beacon(); });
});
