// The mapping assistant's upload: send the chosen file's bytes with the session's CSRF
// token, then open the review page the server names. No inline script (the CSP forbids it).
(function () {
  "use strict";
  var form = document.querySelector("form[data-assistant-upload]");
  if (!form) { return; }
  var shown = document.querySelector("[data-testid=assistant-error]");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = form.querySelector("input[type=file]").files[0];
    if (!file) { return; }
    var token = form.querySelector("input[name=csrf_token]");
    var kind = form.querySelector("select[name=kind]").value;
    var url = form.action + "?kind=" + encodeURIComponent(kind) + "&filename=" + encodeURIComponent(file.name);
    var headers = { "Content-Type": "application/octet-stream" };
    if (token) { headers["X-CSRF-Token"] = token.value; }
    form.querySelector("button").disabled = true;
    fetch(url, { method: "POST", body: file, headers: headers, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (answer.next) { window.location.assign(answer.next); return; }
        shown.textContent = answer.error || answer.message || "The upload was refused.";
        shown.hidden = false;
        form.querySelector("button").disabled = false;
      })
      .catch(function () {
        shown.textContent = "The upload did not reach the server.";
        shown.hidden = false;
        form.querySelector("button").disabled = false;
      });
  });
}());
