// "Start from template" on the note page. The list comes from /notes/templates/choices, ranked for the note as
// it stands (its diagnoses, the patient's plans of care, the traction body region). Applying posts the form as
// it stands to /notes/templates/apply, which answers with the values for the inputs that are still empty; they
// are filled here, in place, without a reload, and each is marked "from template: <name>". An input that holds
// something (typed, or carried forward from the last visit) is never changed, even if it was typed while the
// answer was on its way. Grid rows the form does not have yet are added by copying its last row.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("note");
  const picker = document.querySelector("[data-template-picker]");
  if (!form || !picker) return;
  const choice = picker.querySelector("[data-template-choice]");
  const apply = picker.querySelector("[data-template-apply]");
  const status = picker.querySelector("[data-template-status]");
  const REGION = "services[0].traction.body_region";
  let ranked = null; // what the list was ranked for
  let timer = null;
  let sequence = 0;
  picker.hidden = false;

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function basis() {
    const named = [...form.elements].filter((e) => e.name && (e.name.startsWith("diagnoses[") || e.name === REGION));
    return named.map((e) => `${e.name}=${e.value}`).join("&");
  }

  async function loadChoices() {
    const key = basis();
    if (key === ranked) return;
    ranked = key;
    const mine = ++sequence;
    try {
      const response = await fetch("/notes/templates/choices", { method: "POST", body: new FormData(form), credentials: "same-origin" });
      if (!response.ok) throw new Error(`choices answered ${response.status}`);
      const data = await response.json();
      if (mine !== sequence) return; // a newer list is on its way
      const kept = choice.value;
      const groups = [];
      for (const [label, items] of [["Fits this patient", data.matching], ["Other templates", data.other]]) {
        if (!items.length) continue;
        const group = element("optgroup");
        group.label = label;
        for (const item of items) {
          const words = [item.name];
          if (item.why) words.push(`matches ${item.why}`);
          if (item.source === "clinic") words.push("your clinic");
          const option = new Option(words.join(" · "), item.key);
          if (item.summary) option.title = item.summary;
          group.append(option);
        }
        groups.push(group);
      }
      choice.replaceChildren(new Option("Choose a template…", ""), ...groups);
      if (kept && [...choice.options].some((option) => option.value === kept)) choice.value = kept;
      else if (data.matching.length) choice.value = data.matching[0].key; // the best fit, ready to apply
    } catch (error) {
      ranked = null;
      status.textContent = "Could not list the templates just now.";
    }
  }

  // The row of a grid a name belongs to: flowsheet[5].sets -> ["flowsheet", 5].
  function rowOf(name) {
    const match = name.match(/^(.*)\[(\d+)\]$/);
    return match ? [match[1], Number(match[2])] : null;
  }

  function domId(name) {
    return `f-${name.replaceAll("[", "-").replaceAll("]", "").replaceAll(".", "-")}`;
  }

  // Add rows to a grid until it has row `index`, each a copy of its last row, emptied and renumbered.
  function ensureRow(grid, index) {
    const rows = [...form.querySelectorAll("tr[data-field]")].filter((tr) => rowOf(tr.dataset.field)?.[0] === grid);
    if (!rows.length) return;
    let last = rows.reduce((a, b) => (rowOf(a.dataset.field)[1] >= rowOf(b.dataset.field)[1] ? a : b));
    let number = rowOf(last.dataset.field)[1];
    while (number < index) {
      const findings = last.nextElementSibling?.classList.contains("row-findings") ? last.nextElementSibling : null;
      const from = `${grid}[${number}]`;
      const to = `${grid}[${number + 1}]`;
      const copies = [last, findings].filter(Boolean).map((row) => row.cloneNode(true));
      for (const copy of copies) {
        for (const node of [copy, ...copy.querySelectorAll("*")]) {
          for (const attribute of ["name", "data-field", "data-findings-for"]) {
            const value = node.getAttribute(attribute);
            if (value && value.startsWith(from)) node.setAttribute(attribute, to + value.slice(from.length));
          }
          if (node.name) node.id = domId(node.name);
          const label = node.getAttribute("aria-label");
          if (label) node.setAttribute("aria-label", label.replace(/row (\d+)$/, (_, n) => `row ${Number(n) + 1}`));
          if (node.matches("input, textarea")) node.value = "";
          if (node.matches("select")) node.selectedIndex = 0;
          if (node.matches("[data-findings-for]")) node.replaceChildren();
          node.classList.remove("from-template", "has-error");
        }
        copy.querySelectorAll(".from-template-note").forEach((note) => note.remove());
      }
      (findings || last).after(...copies);
      last = copies[0];
      number += 1;
    }
  }

  function inputsNamed(name) {
    let found = [...form.querySelectorAll(`[name="${CSS.escape(name)}"]`)];
    if (!found.length) {
      const match = name.match(/^(.*)\[(\d+)\]\.[a-z_]+$/);
      if (match) ensureRow(match[1], Number(match[2]));
      found = [...form.querySelectorAll(`[name="${CSS.escape(name)}"]`)];
    }
    return found;
  }

  function mark(target, where, template) {
    target.classList.add("from-template");
    target.title = `from template: ${template}`;
    const row = where.closest("tr");
    const holder = row ? row.nextElementSibling?.querySelector("td") : where.closest(".field, [data-field]");
    if (row) row.classList.add("from-template");
    if (holder && !holder.querySelector(":scope > .from-template-note")) {
      const note = element("p", "from-template-note", `from template: ${template}`);
      const findings = holder.querySelector(":scope > .findings");
      if (row) holder.prepend(note); // under its row, above the row's findings
      else if (findings) findings.before(note); // under its input, above its findings
      else holder.append(note);
    }
  }

  // Fill one input (or radio group) when it is empty; false when it holds something.
  function fillIfEmpty(found, value, template) {
    if (found[0].type === "radio") {
      if (found.some((radio) => radio.checked)) return false;
      const radio = found.find((r) => r.value === value);
      if (!radio) return false;
      radio.checked = true;
      mark(radio.closest("fieldset") || radio, radio, template);
      radio.dispatchEvent(new Event("change", { bubbles: true }));
      return true;
    }
    const input = found[0];
    if (input.value.trim()) return false;
    if (input.tagName === "SELECT" && ![...input.options].some((option) => option.value === value)) {
      input.append(new Option(value, value)); // a code the list does not offer yet
    }
    input.value = value;
    mark(input, input, template);
    input.dispatchEvent(new Event("input", { bubbles: true }));
    return true;
  }

  async function applyTemplate() {
    if (!choice.value) {
      status.textContent = "Choose a template first.";
      choice.focus();
      return;
    }
    if (apply.getAttribute("aria-busy") === "true") return; // one at a time; the button keeps its focus
    apply.setAttribute("aria-busy", "true");
    status.textContent = "Applying…";
    try {
      const response = await fetch("/notes/templates/apply", { method: "POST", body: new FormData(form), credentials: "same-origin" });
      if (!response.ok) throw new Error(`apply answered ${response.status}`);
      const data = await response.json();
      let filled = 0;
      let kept = data.kept;
      for (const [name, value] of Object.entries(data.values)) {
        const found = inputsNamed(name);
        if (found.length && fillIfEmpty(found, value, data.template)) filled += 1;
        else kept += 1;
      }
      const parts = [`Filled ${filled} empty ${filled === 1 ? "entry" : "entries"} from “${data.template}”.`];
      if (kept) parts.push(`${kept} already typed or carried forward ${kept === 1 ? "was" : "were"} kept as ${kept === 1 ? "it was" : "they were"}.`);
      if (data.left_out.length) parts.push(`Not taken on this note type: ${data.left_out.join("; ")}.`);
      if (filled && /___/.test(Object.values(data.values).join(" "))) parts.push("Complete the blanks (___) before signing.");
      status.textContent = parts.join(" ");
      form.dataset.template = data.template;
    } catch (error) {
      status.textContent = "Could not apply the template just now; nothing was changed.";
    } finally {
      apply.removeAttribute("aria-busy");
    }
  }

  // What the therapist types over a filled value is theirs: the input is no longer marked.
  form.addEventListener("input", (event) => {
    if (event.isTrusted) event.target.classList?.remove("from-template");
    if (event.target.name?.startsWith("diagnoses[")) {
      clearTimeout(timer);
      timer = setTimeout(loadChoices, 600);
    }
  });
  form.addEventListener("change", (event) => {
    if (event.target.name === REGION || event.target.name?.startsWith("diagnoses[")) loadChoices();
  });
  apply.addEventListener("click", applyTemplate);
  loadChoices();
});
