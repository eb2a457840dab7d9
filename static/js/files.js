// Files: drop zones for file inputs, with the limits checked as files are chosen. The input
// stays a plain <input type=file multiple>: without this script, its button still works, and
// the server checks the same limits.
(function () {
  "use strict";

  function size(bytes) {
    var units = ["bytes", "KB", "MB", "GB"];
    var i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i += 1; }
    return (i === 0 ? bytes : bytes.toFixed(1)) + " " + units[i];
  }

  function check(zone, input) {
    var status = zone.querySelector(".dropzone-status");
    if (!status) return;
    var maxBytes = parseInt(input.dataset.maxBytes || "0", 10);
    var maxFiles = parseInt(input.dataset.maxFiles || "0", 10);
    var files = Array.prototype.slice.call(input.files || []);
    var problems = [];
    var tooBig = files.filter(function (f) { return maxBytes && f.size > maxBytes; });
    if (tooBig.length) {
      problems.push("Too large: " + tooBig.map(function (f) { return f.name + " (" + size(f.size) + ")"; }).join(", ") +
        ". Files may be at most " + size(maxBytes) + " each.");
    }
    if (input.dataset.maxFiles !== undefined && files.length > maxFiles) {
      problems.push(files.length + " files chosen: at most " + maxFiles + " can be added here.");
    }
    status.classList.toggle("bad", problems.length > 0);
    input.setCustomValidity(problems.join(" "));
    status.textContent = problems.length
      ? problems.join(" ")
      : files.length ? "Chosen: " + files.map(function (f) { return f.name + " (" + size(f.size) + ")"; }).join(", ") : "";
  }

  function zone(el) {
    if (el.dataset.dropReady) return;
    el.dataset.dropReady = "1";
    var input = el.querySelector("input[type=file]");
    if (!input) return;
    input.addEventListener("change", function () { check(el, input); });
    ["dragenter", "dragover"].forEach(function (name) {
      el.addEventListener(name, function (event) {
        event.preventDefault();
        el.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      el.addEventListener(name, function () { el.classList.remove("dragging"); });
    });
    el.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      // Keep what was chosen before and add the dropped files.
      var all = new DataTransfer();
      Array.prototype.forEach.call(input.files || [], function (f) { all.items.add(f); });
      Array.prototype.forEach.call(event.dataTransfer.files, function (f) { all.items.add(f); });
      input.files = all.files;
      check(el, input);
    });
  }

  function enhance(root) {
    if (root.querySelectorAll) root.querySelectorAll("[data-dropzone]").forEach(zone);
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
