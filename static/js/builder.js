// Assistant Studio: the assistant builder. Every part works without this file.
(function () {
  "use strict";

  function builderForm() { return document.querySelector("form[data-builder]"); }

  // What the form holds, to tell whether anything changed since the page was opened or saved.
  function snapshot(form) {
    var pairs = [];
    new FormData(form).forEach(function (value, key) {
      if (key === "csrfmiddlewaretoken") return;
      pairs.push(key + "=" + (typeof value === "string" ? value : value.name));
    });
    return pairs.join("&");
  }

  var saved = null;
  var leaving = false;  // the form itself is being submitted: no question

  function dirty() {
    var form = builderForm();
    return !!form && saved !== null && !leaving && snapshot(form) !== saved;
  }

  // Leaving the page with unsaved changes asks first.
  window.addEventListener("beforeunload", function (event) {
    if (!dirty()) return;
    event.preventDefault();
    event.returnValue = "";
  });

  document.addEventListener("submit", function (event) {
    if (event.target === builderForm()) leaving = true;
  });

  document.addEventListener("DOMContentLoaded", function () {
    var form = builderForm();
    if (!form) return;
    // A page showing errors (or a draft) already holds unsaved work.
    saved = form.hasAttribute("data-unsaved") ? "" : snapshot(form);
  });

  window.StudioBuilder = { dirty: dirty, markSaved: function () { var f = builderForm(); if (f) saved = snapshot(f); } };
})();
