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
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("erreurs");
    if (summary) { summary.focus(); }
  });
})();
