// Patient search as you type. An input with data-patient-search asks /patients/search and shows the
// matches: in a <select> (the note's patient field, data-target-select) or as rows of links (the
// patients page, data-patient-search names the table body). Without this script both forms still
// search when submitted.
"use strict";

(() => {
  const MIN_LETTERS = 2;

  const rowFor = (patient) => {
    const row = document.createElement("tr");
    const name = document.createElement("td");
    const link = document.createElement("a");
    link.href = patient.url;
    link.textContent = patient.name;
    name.append(link);
    const chart = document.createElement("td");
    chart.className = "mono";
    chart.textContent = patient.chart_number;
    const born = document.createElement("td");
    born.className = "nowrap";
    born.textContent = patient.birth_date;
    row.append(name, chart, born);
    return row;
  };

  const showRows = (body, patients) => {
    const rows = patients.map(rowFor);
    if (!rows.length) {
      const row = document.createElement("tr");
      const cell = document.createElement("td");
      cell.colSpan = 3;
      cell.className = "empty";
      cell.textContent = "No patient matches.";
      row.append(cell);
      rows.push(row);
    }
    body.replaceChildren(...rows);
  };

  const showOptions = (select, patients) => {
    const first = select.options[0] && select.options[0].value === "" ? select.options[0] : null;
    const options = patients.map((patient) => {
      const option = document.createElement("option");
      option.value = String(patient.id);
      option.textContent = `${patient.name} · ${patient.chart_number} · born ${patient.birth_date}`;
      return option;
    });
    select.replaceChildren(...(first ? [first] : []), ...options);
    if (patients.length === 1) select.value = String(patients[0].id);
  };

  const attach = (input) => {
    const status = document.getElementById(input.dataset.status || "");
    const select = document.getElementById(input.dataset.targetSelect || "");
    const body = document.getElementById(input.dataset.patientSearch || "");
    let timer = null;
    let asked = 0;
    const search = async () => {
      const text = input.value.trim();
      if (text.length < MIN_LETTERS) return;
      const ticket = ++asked;
      const response = await fetch(`/patients/search?q=${encodeURIComponent(text)}`, { credentials: "same-origin" });
      if (!response.ok || ticket !== asked) return;
      const { patients } = await response.json();
      if (select) showOptions(select, patients);
      if (body) showRows(body, patients);
      if (status) status.textContent = `${patients.length} found.`;
    };
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
  };

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-patient-search]").forEach(attach);
  });
})();
