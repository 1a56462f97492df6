// The outcome survey's answers saved as they are given: each rating is posted to the
// link's /answer address when it is chosen, so a closed tab or a reload loses nothing.
// Without JavaScript the form's button still saves every rating. No inline script.
"use strict";
(function () {
  var form = document.querySelector("form[data-answer-url]");
  if (!form) return;
  var url = form.getAttribute("data-answer-url");
  var status = form.querySelector("[data-testid=survey-saved]");
  var csrf = form.querySelector("input[name=csrf_token]");
  form.addEventListener("change", function (event) {
    var input = event.target;
    if (!input || input.type !== "radio") return;
    var parts = input.name.split(":");
    var body = new URLSearchParams();
    body.set("field", parts[0]);
    body.set("outcome", parts.slice(1).join(":"));
    body.set("value", input.value);
    if (csrf) body.set("csrf_token", csrf.value);
    status.textContent = "Saving…";
    fetch(url, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (answer) {
        status.textContent = answer.ok ? "Saved." : "Not saved: this link may have expired.";
        status.setAttribute("data-saved", answer.ok ? "true" : "false");
      })
      .catch(function () {
        status.textContent = "Not saved (no connection): your answer is sent with the button.";
        status.setAttribute("data-saved", "false");
      });
  });
})();
