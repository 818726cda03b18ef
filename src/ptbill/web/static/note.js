// The traction note's live check. Half a second after the therapist stops typing, the form is
// posted to /notes/check; the server builds the encounter document from it and runs the same
// engine as a save. Each finding is put in the findings box of the input its `field` names (or
// of the nearest enclosing part of the form, or the top of the note). Values carried forward
// from the last visit say what they were once changed. Nothing is saved here.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("note");
  if (!form || form.dataset.live !== "on") return;

  const boxes = new Map([...form.querySelectorAll("[data-findings-for]")].map((el) => [el.dataset.findingsFor, el]));
  const touched = new Set();
  const WORDS = { error: "Must fix", warning: "Check", info: "Note" };
  const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  let timer = null;
  let sequence = 0;

  // The nearest place on the form for a document path: services[1].units -> services[1].
  function place(name) {
    while (name) {
      if (boxes.has(name)) return name;
      const match = name.match(/^(.*)(\[\d+\]|\.[^.[\]]+)$/);
      if (!match) break;
      name = match[1];
    }
    return "";
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A finding about an input nobody has filled in yet is a to-do, not a mistake: it stays grey
  // until the input is touched or the note has been saved once.
  function isTodo(name) {
    if (form.dataset.attempted) return false;
    const wrapper = boxes.get(name)?.closest("[data-field]");
    if (!wrapper || !name) return false;
    const inputs = [...wrapper.querySelectorAll("input:not([type=hidden]), select, textarea")];
    if (inputs.some((input) => touched.has(input.name))) return false;
    return inputs.every((input) => (input.type === "radio" || input.type === "checkbox" ? !input.checked : !input.value));
  }

  function findingNode(finding, todo) {
    const node = element("div", `finding sev-${finding.severity}${todo ? " todo" : ""}`);
    const head = element("p", "finding-head");
    head.append(element("span", "sev", todo ? "To document" : WORDS[finding.severity] || finding.severity));
    head.append(element("code", "rule", finding.rule || "NOT READABLE"));
    node.append(head, element("p", "finding-msg", finding.message));
    if (finding.fix) {
      const fix = element("p", "finding-fix");
      fix.append(element("span", "k", "Fix"), document.createTextNode(finding.fix));
      node.append(fix);
    }
    if (finding.reference) {
      const source = element("p", "finding-src");
      source.append(element("span", "k", "Source"), document.createTextNode(finding.reference));
      node.append(source);
    }
    return node;
  }

  // Returns what the side panel counts: mistakes to fix, warnings to check, inputs still to fill.
  function showFindings(findings) {
    const counts = { fix: 0, check: 0, todo: 0 };
    for (const box of boxes.values()) {
      box.replaceChildren();
      box.closest("[data-field]")?.classList.remove("has-error");
    }
    for (const finding of findings) {
      const name = place(finding.field || "");
      const todo = isTodo(name);
      boxes.get(name).append(findingNode(finding, todo));
      if (finding.severity === "error" && !todo) boxes.get(name).closest("[data-field]")?.classList.add("has-error");
      if (todo && finding.severity !== "info") counts.todo += 1;
      else if (finding.severity === "error") counts.fix += 1;
      else if (finding.severity === "warning") counts.check += 1;
    }
    return counts;
  }

  function showSummary(data, counts) {
    const verdict = document.getElementById("check-verdict");
    const line = document.getElementById("check-counts");
    const words = { ready: "Ready", needs_attention: "Needs attention", blocked: "Blocked" };
    // A note that is only unfinished is "in progress", not "blocked": red is kept for mistakes.
    const state = data.verdict === "blocked" && counts.fix === 0 ? "none" : data.verdict;
    const label = state === "none" ? "In progress" : words[data.verdict] || "Not checked";
    if (verdict) verdict.replaceChildren(element("span", `badge badge-${state}`, label));
    if (line) {
      const parts = [];
      if (counts.fix) parts.push(element("span", "count-error", `${counts.fix} to fix`));
      if (counts.todo) parts.push(element("span", "count-todo", `${counts.todo} to document`));
      if (counts.check) parts.push(element("span", "count-warning", `${counts.check} to check`));
      if (!parts.length) parts.push(element("span", "count-ok", "Nothing to fix or check."));
      line.replaceChildren(...parts.flatMap((part, index) => (index ? [document.createTextNode(" · "), part] : [part])));
    }
    const sign = document.getElementById("sign-button");
    if (sign) sign.disabled = data.verdict === "blocked";
  }

  function showClaim(lines) {
    const body = document.querySelector("#claim-preview tbody");
    if (!body) return;
    body.replaceChildren();
    if (!lines.length) {
      const row = element("tr");
      const cell = element("td", "muted small", "Lines appear once the note can be read.");
      cell.colSpan = 3;
      row.append(cell);
      body.append(row);
    }
    for (const line of lines) {
      const row = element("tr");
      const code = element("td");
      code.append(element("span", "code-chip", line.code), document.createTextNode(" "),
        element("span", "muted small", (line.modifiers || []).join(" ")));
      const payment = line.expected_payment === undefined || line.expected_payment === null ? "—" : money.format(line.expected_payment);
      row.append(code, element("td", "num", `${line.units} u`), element("td", "num", payment));
      body.append(row);
    }
  }

  function showHints(data) {
    for (const [name, label] of Object.entries(data.diagnoses || {})) {
      const slot = form.querySelector(`[data-dx-label-for="${CSS.escape(name)}"]`);
      if (slot) slot.textContent = label;
    }
    const total = form.querySelector('[data-field="total_treatment_minutes"] .hint');
    if (total && data.total_hint !== null && data.total_hint !== undefined) {
      total.textContent = `The services above add up to ${data.total_hint} min.`;
    }
  }

  async function check() {
    const mine = ++sequence;
    const status = document.getElementById("check-status");
    if (status) status.textContent = "Checking…";
    const body = new FormData(form);
    try {
      const response = await fetch("/notes/check", { method: "POST", body, credentials: "same-origin" });
      if (mine !== sequence) return; // a newer check is on its way
      if (!response.ok) throw new Error(`check answered ${response.status}`);
      const data = await response.json();
      if (data.verdict) {
        showSummary(data, showFindings(data.findings));
        showClaim(data.claim_lines || []);
        showHints(data);
      }
      form.dataset.checked = String(mine);
      form.dispatchEvent(new CustomEvent("note-checked", { detail: data })); // note_keys.js: the confirm box
      if (status) status.textContent = data.ruleset_version ? `Checked with rule set ${data.ruleset_version}.` : "";
    } catch (error) {
      if (status && mine === sequence) status.textContent = "Could not check just now; saving still checks the note.";
    }
  }

  // "was 65 lb last visit" beside a carried-forward value once it differs from the last visit.
  function currentValue(wrapper) {
    const radios = [...wrapper.querySelectorAll("input[type=radio]")];
    if (radios.length) return radios.find((radio) => radio.checked)?.value || "";
    return wrapper.querySelector("input, select, textarea")?.value.trim() || "";
  }

  function updateWas(target) {
    const wrapper = target.closest("[data-was]");
    const note = wrapper?.querySelector("[data-was-note]");
    if (note) note.hidden = currentValue(wrapper) === wrapper.dataset.was;
  }

  function changed(event) {
    if (!event.target.name || event.target.name === "csrf_token") return;
    touched.add(event.target.name);
    updateWas(event.target);
    clearTimeout(timer);
    timer = setTimeout(check, 500);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", (event) => {
    if (form.dataset.sending) event.preventDefault(); // one save per click, however impatient
    form.dataset.sending = "1";
  });
  check();
});
