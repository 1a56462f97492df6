// The segment builder's live preview: as the filter is typed (debounced), ask
// /api/v1/segments/preview for the count, ARR and first members; show a problem with its
// column and a caret under the place. No inline script: the page loads this file.
"use strict";
(function () {
  var input = document.getElementById("segment-expression");
  if (!input) return;
  var problem = document.getElementById("segment-problem");
  var count = document.querySelector("[data-testid=preview-count]");
  var arr = document.querySelector("[data-testid=preview-arr]");
  var body = document.querySelector("[data-testid=preview-rows] tbody");
  var currency = input.getAttribute("data-currency") || "USD";
  var money = new Intl.NumberFormat(undefined, { style: "currency", currency: currency, maximumFractionDigits: 0 });
  var timer = null;
  var asked = 0;

  function cell(text, numeric) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "—" : String(text);
    if (numeric) td.className = "num";
    return td;
  }

  function clear() {
    while (body.firstChild) body.removeChild(body.firstChild);
  }

  function showProblem(error, text) {
    problem.hidden = false;
    input.setAttribute("aria-invalid", "true");
    while (problem.firstChild) problem.removeChild(problem.firstChild);
    var details = error.details || {};
    var p = document.createElement("p");
    p.textContent = details.problem ? "Column " + (details.position + 1) + ": " + details.problem +
      (details.suggestion ? " (did you mean " + details.suggestion + "?)" : "") : error.message;
    problem.appendChild(p);
    if (typeof details.position === "number") {
      var pre = document.createElement("pre");
      pre.className = "caret";
      pre.textContent = text + "\n" + " ".repeat(details.position) + "^";
      problem.appendChild(pre);
    }
    count.textContent = "—";
    arr.textContent = "";
    clear();
  }

  function showResult(data) {
    problem.hidden = true;
    input.removeAttribute("aria-invalid");
    count.textContent = data.accounts.toLocaleString() + (data.accounts === 1 ? " account" : " accounts");
    arr.textContent = "· ARR " + money.format(Number(data.arr));
    clear();
    data.rows.forEach(function (row) {
      var tr = document.createElement("tr");
      var first = document.createElement("td");
      var link = document.createElement("a");
      link.href = "/accounts/" + encodeURIComponent(row.account_id);
      link.textContent = row.name || row.account_id;
      first.appendChild(link);
      tr.appendChild(first);
      tr.appendChild(cell(row.segment));
      tr.appendChild(cell(row.lifecycle_status));
      tr.appendChild(cell(row.health === null || row.health === undefined ? null : Math.round(row.health), true));
      body.appendChild(tr);
    });
    document.querySelector("[data-testid=preview]").setAttribute("data-state", "done");
  }

  function ask() {
    var text = input.value;
    var mine = ++asked;
    if (!text.trim()) {
      problem.hidden = true;
      count.textContent = "—";
      arr.textContent = "";
      clear();
      return;
    }
    var url = input.getAttribute("data-preview") + "?limit=10&expression=" + encodeURIComponent(text);
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (answer) {
        if (mine !== asked) return; // a newer request is on its way
        if (answer.ok) showResult(answer.data);
        else showProblem(answer.data.error || { message: "the preview failed" }, text);
      })
      .catch(function () {
        if (mine === asked) showProblem({ message: "the server did not answer" }, text);
      });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 300);
  });
  if (input.value.trim()) ask();
})();
