// classemobile's only script: an enhancement, never required. It disables
// a form's submit button while the form is sent, so a double click does
// not send it twice, and moves focus to the error summary of a form
// returned with errors.
(function () {
  "use strict";
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    var btn = ev.submitter;
    if (!btn || btn.disabled) { return; }
    if (btn.name) {
      // A disabled button is not sent: keep its value in a hidden field.
      var keep = document.createElement("input");
      keep.type = "hidden"; keep.name = btn.name; keep.value = btn.value;
      form.appendChild(keep);
    }
    window.setTimeout(function () { btn.disabled = true; btn.setAttribute("aria-disabled", "true"); }, 0);
  });
  // Back on a page kept by the browser (after a lost connection, say):
  // its buttons work again, and the form posts its same key once more.
  window.addEventListener("pageshow", function (ev) {
    if (!ev.persisted) { return; }
    document.querySelectorAll("button[aria-disabled='true']").forEach(function (b) {
      b.disabled = false; b.removeAttribute("aria-disabled");
    });
  });
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("erreurs");
    if (summary) { summary.focus(); }
  });
})();
