// Copy-forward marks. A returning patient's note starts from the last visit (web/note_changes.py); the page
// hands over what it carried in <script id="note-carried" type="application/json">: each input's value and
// how it reads ("fields"), and each carried row's words ("rows": a flowsheet exercise, a goal, another
// service). Once a carried value is changed it says what it was, in a calm mark:
//   - a diagnosis: "was M54.16";
//   - a row of the flowsheet, the goals or the other services: "was Bridges 2 × 10, neutral spine", with the
//     changed cells underlined; a row added today says "new today", a carried row emptied "removed today".
// Inputs drawn with a mark of their own (the traction settings, the plan of care: [data-was], fx.was_note)
// are marked by note.js. Nothing here changes what is sent.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("note");
  const source = document.getElementById("note-carried");
  if (!form || !source || form.dataset.live !== "on") return;
  let carried;
  try {
    carried = JSON.parse(source.textContent);
  } catch (error) {
    return; // the page still works; only the marks are missing
  }
  const fields = carried.fields || {};
  const rows = carried.rows || {};
  const ROW = /^(flowsheet|goals|services)\[(\d+)\]/;
  const TODAYS_COLUMN = /^services\[\d+\]\.minutes$/; // a carried service's minutes are today's
  const DIAGNOSIS = /^diagnoses\[\d+\]$/;

  function rowKey(name) {
    const match = name.match(ROW);
    if (!match || (match[1] === "services" && match[2] === "0")) return null; // services[0] is the traction card
    return `${match[1]}[${match[2]}]`;
  }

  function value(input) {
    if (input.type === "radio" || input.type === "checkbox") return input.checked ? input.value : "";
    return (input.value || "").trim();
  }

  function mark(className) {
    const node = document.createElement("span");
    node.className = `was was-mark ${className}`;
    node.dataset.carryMark = "";
    return node;
  }

  // A single input outside the rows (the diagnoses): "was M54.16" beside it while it differs; one that
  // was empty last visit, "new today".
  function markField(input) {
    const carriedValue = fields[input.name] || { value: "", text: "" };
    const wrapper = input.closest(`[data-field="${CSS.escape(input.name)}"]`) || input.parentElement;
    let note = wrapper.querySelector(":scope > [data-carry-mark]");
    const changed = value(input) !== carriedValue.value;
    input.classList.toggle("is-changed", changed);
    if (!changed) {
      if (note) note.hidden = true;
      return;
    }
    if (!note) {
      note = mark("was-field");
      const findings = wrapper.querySelector(":scope > [data-findings-for]");
      wrapper.insertBefore(note, findings);
    }
    if (!carriedValue.value) note.textContent = "new today";
    else note.textContent = value(input) ? `was ${carriedValue.text}` : `was ${carriedValue.text}; now empty`;
    note.hidden = false;
  }

  function rowInputs(row) {
    return [...row.querySelectorAll("input[name], select[name], textarea[name]")];
  }

  // A row: changed (what it was), new today, or removed today (every cell emptied, or the service's code).
  function markRow(row) {
    const key = row.dataset.field;
    const inputs = rowInputs(row);
    const compared = inputs.filter((input) => !TODAYS_COLUMN.test(input.name));
    const isService = key.startsWith("services[");
    const code = isService ? row.querySelector(`[name="${CSS.escape(key)}.code"]`) : null;
    const emptied = isService ? !value(code) : inputs.every((input) => !value(input));
    let state = "";
    for (const input of compared) {
      const changed = key in rows && !emptied && value(input) !== (fields[input.name]?.value || "");
      input.classList.toggle("is-changed", changed);
      if (changed) state = "changed";
    }
    if (key in rows && emptied) state = "removed";
    if (!(key in rows) && !emptied) state = "new";
    row.classList.toggle("row-removed", state === "removed");
    row.classList.toggle("row-new", state === "new");
    const holder = row.nextElementSibling?.classList.contains("row-findings") ? row.nextElementSibling.firstElementChild : null;
    if (!holder) return;
    let note = holder.querySelector(":scope > [data-carry-mark]");
    if (!state) {
      if (note) note.hidden = true;
      return;
    }
    if (!note) {
      note = mark("was-row");
      holder.prepend(note);
    }
    note.className = `was was-mark was-row was-${state}`;
    note.textContent = {
      changed: `was ${rows[key]}`,
      removed: `removed today · was ${rows[key]}`,
      new: "new today",
    }[state];
    note.hidden = false;
  }

  // The side panel's list of what differs from the last visit so far, as the marks say it: read before signing.
  const aside = document.getElementById("check-panel");
  const board = document.createElement("div");
  board.className = "side-card carry-changes";
  board.dataset.carryChanges = "";
  board.hidden = true;
  board.append(Object.assign(document.createElement("p"), { className: "side-label", textContent: "Changed from the last visit" }));
  const list = document.createElement("ul");
  list.className = "change-list change-list-side";
  board.append(list);
  aside?.after(board);
  const PARTS = { flowsheet: "Exercise flowsheet", goals: "Goals", services: "Other services" };

  function labelOf(wrapper) {
    const label = wrapper.querySelector(":scope > label, :scope > legend, .dx-num");
    const text = (label?.textContent || "").trim();
    return wrapper.classList.contains("dx-row") ? `Diagnosis ${text}` : text;
  }

  function refreshBoard() {
    const entries = [];
    for (const note of form.querySelectorAll("[data-was-note]:not([hidden]), .was-field:not([hidden])")) {
      const wrapper = note.closest("[data-field]");
      const checked = wrapper.querySelector("input[type=radio]:checked")?.closest("label");
      const input = wrapper.querySelector("input:not([type=radio]), select, textarea");
      const now = (checked ? checked.textContent : input?.value || "").trim().replace(/\s+/g, " ");
      const was = note.textContent.replace(/ last visit$/, "").trim();
      entries.push([labelOf(wrapper), now && !was.startsWith("new") ? `${now} · ${was}` : was]);
    }
    for (const note of form.querySelectorAll(".was-row:not([hidden])")) {
      const row = note.closest("tr").previousElementSibling;
      const key = row?.dataset.field || "";
      const first = row?.querySelector("input[name], select[name]");
      const name = first?.tagName === "SELECT" ? first.value : (first?.value || "").trim();
      entries.push([[PARTS[key.split("[")[0]] || "", name].filter(Boolean).join(" · "), note.textContent.trim()]);
    }
    list.replaceChildren(
      ...entries.map(([label, text]) => {
        const item = document.createElement("li");
        item.append(Object.assign(document.createElement("span"), { className: "change-part", textContent: label }));
        item.append(Object.assign(document.createElement("span"), { textContent: text }));
        return item;
      }),
    );
    board.hidden = entries.length === 0;
  }

  function update(input) {
    if (!input?.name || input.closest("[data-was]")) return; // note.js marks these
    const key = rowKey(input.name);
    if (key) {
      const row = form.querySelector(`tr[data-field="${CSS.escape(key)}"]`);
      if (row) markRow(row);
    } else if (input.name in fields || DIAGNOSIS.test(input.name)) {
      markField(input);
    }
  }

  // After note.js has shown or hidden its own marks for the same event.
  form.addEventListener("input", (event) => {
    update(event.target);
    refreshBoard();
  });
  form.addEventListener("change", (event) => {
    update(event.target);
    refreshBoard();
  });
  // A draft saved with changes, or a refused save, shows its marks from the start.
  for (const input of form.querySelectorAll("input[name], select[name], textarea[name]")) {
    if (input.name in fields && !rowKey(input.name)) update(input);
  }
  for (const row of form.querySelectorAll("tr[data-field]")) {
    if (rowKey(row.dataset.field) === row.dataset.field) markRow(row);
  }
  refreshBoard();
});
