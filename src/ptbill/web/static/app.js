// Small helpers for every page: "select all" checkboxes and the selected count and amount on
// the queue and claims forms. Pages work without it; it only saves clicks.
"use strict";

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
