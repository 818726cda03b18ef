// The note by keyboard alone. A returning patient's daily note starts from the last visit, so what is left to
// type is today's: the shortcuts go there, save and sign without the mouse.
//   Alt+N, Alt+Shift+N   the next (previous) entry still to fill: today's (subjective, pain now, the traction's
//                        start and end, monitoring, response, justification, each service's minutes, the total,
//                        the assessment) or one a finding asks for; when none is left, the Sign button
//   Ctrl+S (⌘S)          save the draft; it is checked on every save
//   Ctrl+Enter (⌘Enter)  sign; with findings marked "Check" open, the box that confirms them comes first
//   Alt+X                clear the grid row the focus is in (an exercise, a goal, a measure, a service): it is
//                        left out when saved, and a row carried from the last visit says "removed today"
// Clock times may be typed 0905, 905, 9:05 or 2:30 pm: they read 09:05 on leaving the input, as the server
// reads them. The page's hint (#keys-hint) and docs/notes.md list the same keys.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("note");
  if (!form || form.dataset.live !== "on") return;
  const status = document.getElementById("check-status");
  const confirmBox = document.querySelector("[data-confirm-warnings]");
  const TODAY = [
    /^subjective\.text$/,
    /^subjective\.pain_now$/,
    /^services\[0\]\.start_time$/,
    /^services\[0\]\.end_time$/,
    /^services\[0\]\.traction\.monitoring_checks$/,
    /^services\[0\]\.patient_response$/,
    /^services\[0\]\.clinical_justification$/,
    /^services\[[1-9]\d*\]\.minutes$/,
    /^total_treatment_minutes$/,
    /^assessment$/,
  ];
  const CLOCK = /^([0-9]{1,2})(?:[:.h]?([0-9]{2}))?\s*(am|pm|a|p)?$/;
  let verdict = document.getElementById("check-panel")?.dataset.verdict || "";

  function say(text) {
    if (status) status.textContent = text;
  }

  function fields() {
    return [...form.querySelectorAll("input[name], select[name], textarea[name]")].filter(
      (input) => input.type !== "hidden" && !input.disabled && input.getClientRects().length > 0,
    );
  }

  function isEmpty(input) {
    if (input.type === "radio") return !form.querySelector(`[name="${CSS.escape(input.name)}"]:checked`);
    if (input.type === "checkbox") return false;
    return !input.value.trim();
  }

  function isToday(input) {
    if (!TODAY.some((pattern) => pattern.test(input.name))) return false;
    const service = input.name.match(/^services\[([1-9]\d*)\]\.minutes$/);
    return !service || Boolean(form.elements[`services[${service[1]}].code`]?.value); // a service given today
  }

  function asked(input) {
    const box = form.querySelector(`[data-findings-for="${CSS.escape(input.name)}"]`);
    return Boolean(box?.querySelector(".finding.sev-error, .finding.todo"));
  }

  function toFill() {
    const seen = new Set();
    return fields().filter((input) => {
      if (seen.has(input.name)) return false; // one stop per radio group
      seen.add(input.name);
      return isEmpty(input) && (isToday(input) || asked(input));
    });
  }

  function focusOn(input) {
    input.focus();
    if (typeof input.select === "function" && input.type !== "radio") input.select();
  }

  function jump(step) {
    const list = toFill();
    if (!list.length) {
      const sign = document.getElementById("sign-button");
      (sign && !sign.disabled ? sign : button("save"))?.focus();
      say(sign && !sign.disabled ? "Nothing left to fill: Ctrl+Enter signs." : "Nothing left to fill: Ctrl+S saves.");
      return;
    }
    const here = document.activeElement;
    const after = (input) => here && form.contains(here) && (here.compareDocumentPosition(input) & Node.DOCUMENT_POSITION_FOLLOWING);
    const before = (input) => here && form.contains(here) && (here.compareDocumentPosition(input) & Node.DOCUMENT_POSITION_PRECEDING);
    const next = step > 0 ? list.find(after) || list[0] : [...list].reverse().find(before) || list[list.length - 1];
    focusOn(next);
    say(`${list.length} ${list.length === 1 ? "entry" : "entries"} left to fill.`);
  }

  function button(value) {
    return document.querySelector(`button[form="note"][value="${value}"]`);
  }

  function save() {
    const saveButton = button("save");
    if (saveButton && !form.dataset.sending) form.requestSubmit(saveButton);
  }

  function sign() {
    const signButton = document.getElementById("sign-button");
    if (!signButton) {
      say("Only a therapist signs: Ctrl+S saves the draft.");
      return;
    }
    if (signButton.disabled) {
      say("Not signed: fix what is marked “Must fix” first (Alt+N goes there).");
      return;
    }
    const box = confirmBox?.querySelector("input");
    if (!form.dataset.checkStale && verdict === "needs_attention" && box && !box.checked) {
      confirmBox.hidden = false;
      box.focus();
      say("Findings marked “Check” are open: Space ticks the box to sign with them, then Ctrl+Enter.");
      return;
    }
    if (!form.dataset.sending) form.requestSubmit(signButton);
  }

  function clearRow() {
    const row = document.activeElement?.closest("tr[data-field]");
    if (!row || !form.contains(row)) {
      say("Alt+X clears a row of a table: an exercise, a goal, a measure or a service.");
      return;
    }
    for (const input of row.querySelectorAll("input[name], select[name], textarea[name]")) {
      if (input.type === "radio" || input.type === "checkbox") input.checked = false;
      else input.value = "";
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
    say("Row cleared: it is left out when the note is saved.");
  }

  // "905" -> "09:05", as web/inputs.py clock_time reads it; anything else is left for the check to name.
  function clock(text) {
    const match = text.trim().toLowerCase().match(CLOCK);
    if (!match || (match[2] === undefined && match[3] === undefined)) return text;
    let hour = Number(match[1]);
    const minute = Number(match[2] || 0);
    if (match[3]) {
      if (hour < 1 || hour > 12) return text;
      hour = (hour % 12) + (match[3].startsWith("p") ? 12 : 0);
    }
    if (hour > 23 || minute > 59) return text;
    return `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`;
  }

  form.addEventListener("change", (event) => {
    const input = event.target;
    if (/\.(start_time|end_time)$/.test(input.name || "")) input.value = clock(input.value);
    else if (/monitoring_checks$/.test(input.name || "")) {
      input.value = input.value.split(/[\s,;]+/).filter(Boolean).map(clock).join(", ");
    }
  });
  form.addEventListener("input", () => {
    form.dataset.checkStale = "true"; // typed since the last check answered: Ctrl+Enter sends, the server decides
  });
  form.addEventListener("note-checked", (event) => {
    const data = event.detail || {};
    delete form.dataset.checkStale;
    verdict = data.verdict || "";
    if (!confirmBox) return;
    const open = verdict === "needs_attention";
    if (!open) confirmBox.querySelector("input").checked = false; // a yes is for the findings it was given to
    confirmBox.hidden = !open;
    const count = confirmBox.querySelector("[data-warning-count]");
    if (count && data.warnings) count.textContent = `${data.warnings} finding${data.warnings === 1 ? "" : "s"}`;
  });

  document.querySelector("[data-jump-today]")?.addEventListener("click", (event) => {
    event.preventDefault();
    jump(1);
  });

  document.addEventListener("keydown", (event) => {
    if (event.isComposing || event.defaultPrevented) return;
    const command = event.ctrlKey || event.metaKey;
    if (command && !event.altKey && !event.shiftKey && event.code === "KeyS") {
      event.preventDefault();
      save();
    } else if (command && !event.altKey && event.key === "Enter") {
      event.preventDefault();
      sign();
    } else if (event.altKey && !command && event.code === "KeyN") {
      event.preventDefault();
      jump(event.shiftKey ? -1 : 1);
    } else if (event.altKey && !command && !event.shiftKey && event.code === "KeyX") {
      event.preventDefault();
      clearRow();
    }
  });
});
