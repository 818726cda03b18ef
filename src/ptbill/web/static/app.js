// Small helpers for every page: "select all" checkboxes and the selected count and amount on
// the queue and claims forms, and busy buttons. Pages work without it; it only saves clicks.
"use strict";

// A button with data-busy="Signing…" says what it is doing once its form is sent, and a second click
// sends nothing. It changes after the submit event, once the browser has read the button's name and
// value (a disabled button is left out of the form).
document.addEventListener("submit", (event) => {
  const form = event.target;
  const button = event.submitter;
  if (event.defaultPrevented || !button || !button.dataset.busy) return;
  if (form.dataset.busy) {
    event.preventDefault();
    return;
  }
  form.dataset.busy = "1";
  setTimeout(() => {
    button.dataset.idle = button.textContent;
    button.textContent = button.dataset.busy;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  }, 0);
});

// A table wider than its card scrolls inside it; the keyboard can reach it to scroll it too.
function focusableScrollers() {
  const named = new Map(); // each region's name is unique on the page
  for (const box of document.querySelectorAll(".table-scroll")) {
    if (box.scrollWidth > box.clientWidth + 1) {
      const part = box.closest("section, form, .card");
      const title = part?.querySelector("h2, h3, .denial-reason")?.textContent.trim().replace(/\s+/g, " ") || "Table";
      const seen = (named.get(title) || 0) + 1;
      named.set(title, seen);
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", `${title}${seen > 1 ? ` (${seen})` : ""}: table, scrolls sideways`);
    } else if (box.hasAttribute("tabindex")) {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  }
}
document.addEventListener("DOMContentLoaded", focusableScrollers);
window.addEventListener("resize", () => {
  clearTimeout(focusableScrollers.timer);
  focusableScrollers.timer = setTimeout(focusableScrollers, 150);
});
document.addEventListener("toggle", focusableScrollers, true); // a <details> opened shows its table

// Back to a page kept in the browser's memory: its buttons work again.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  for (const button of document.querySelectorAll("button[aria-busy=true]")) {
    button.textContent = button.dataset.idle || button.textContent;
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
  for (const form of document.querySelectorAll("form[data-busy]")) delete form.dataset.busy;
});

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("[data-select-form]")) {
    const all = form.querySelector("[data-select-all]");
    const boxes = () => [...form.querySelectorAll("tbody input[type=checkbox]")];
    const summary = form.querySelector("[data-selected-summary]");
    const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
    const update = () => {
      const chosen = boxes().filter((box) => box.checked);
      const amount = chosen.reduce((sum, box) => sum + Number(box.dataset.amount || 0), 0);
      if (summary) summary.textContent = `${chosen.length} selected · ${money.format(amount)}`;
      if (all) all.checked = chosen.length > 0 && chosen.length === boxes().length;
      const submit = form.querySelector("button[type=submit]");
      if (submit) submit.disabled = chosen.length === 0;
    };
    if (all) all.addEventListener("change", () => { boxes().forEach((box) => { box.checked = all.checked; }); update(); });
    form.addEventListener("change", update);
    update();
  }
});

// Logging out leaves no note text in this browser that the server already keeps: the note page's autosave
// copies the server has confirmed are removed (one typed offline, never confirmed, stays until it is sent).
document.addEventListener("submit", (event) => {
  if (!(event.target instanceof HTMLFormElement) || event.target.getAttribute("action") !== "/logout") return;
  try {
    for (const key of Object.keys(localStorage)) {
      if (key.startsWith("ptbill.draft.") && JSON.parse(localStorage.getItem(key) || "{}").acked) localStorage.removeItem(key);
    }
  } catch { /* storage blocked: nothing was kept */ }
});
