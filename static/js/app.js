// Assistant Studio: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Enter sends the composer; Shift+Enter (or an IME composition) makes a new line.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    if (!(target instanceof HTMLTextAreaElement) || !target.hasAttribute("data-enter-sends")) return;
    event.preventDefault();
    if (target.form && !target.disabled && target.value.trim() !== "") target.form.requestSubmit();
  });

  // A live character count against the API's limit.
  function counter(field) {
    if (field.dataset.counted) return;
    field.dataset.counted = "1";
    var limit = parseInt(field.dataset.countLimit, 10);
    var out = document.createElement("small");
    out.className = "char-count";
    out.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", out);
    function update() {
      var n = field.value.length;
      out.textContent = n.toLocaleString() + " / " + limit.toLocaleString() + " characters";
      out.classList.toggle("over", n > limit);
    }
    field.addEventListener("input", update);
    update();
  }

  // A slider beside a number field; the number field is what the form submits.
  function slider(field) {
    if (field.dataset.slid) return;
    field.dataset.slid = "1";
    var bounds = field.dataset.slider.split("-");
    var range = document.createElement("input");
    range.type = "range";
    range.min = bounds[0];
    range.max = bounds[1];
    range.step = "0.01";
    range.value = field.value === "" ? "1" : field.value;
    range.setAttribute("aria-label", (field.labels[0] ? field.labels[0].textContent : "Value") + " slider");
    var wrap = document.createElement("div");
    wrap.className = "slider-field";
    field.parentNode.insertBefore(wrap, field);
    wrap.appendChild(range);
    wrap.appendChild(field);
    range.addEventListener("input", function () { field.value = range.value; });
    field.addEventListener("input", function () { if (field.value !== "") range.value = field.value; });
  }

  // Tool outputs may be plain text; say so when what was typed is not JSON.
  function jsonHint(field) {
    if (field.dataset.hinted) return;
    field.dataset.hinted = "1";
    var hint = document.createElement("p");
    hint.className = "json-hint";
    hint.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", hint);
    function update() {
      var text = field.value.trim();
      var ok = true;
      if (text !== "") { try { JSON.parse(text); } catch (e) { ok = false; } }
      hint.textContent = ok ? "" : "This is not JSON; it will be sent as plain text.";
    }
    field.addEventListener("input", update);
    update();
  }

  // "Expires in 9 min 12 s" on a run that waits for tool outputs.
  function countdown(el) {
    if (el.dataset.ticking) return;
    el.dataset.ticking = "1";
    var deadline = parseInt(el.dataset.expiresAt, 10) * 1000;
    function tick() {
      if (!el.isConnected) return;
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      el.textContent = left > 0
        ? Math.floor(left / 60) + " min " + (left % 60) + " s left before this run expires"
        : "This run has expired";
      if (left > 0) setTimeout(tick, 1000);
    }
    tick();
  }

  // Keep the newest message in view after the conversation changes.
  function scrollChat(root) {
    var list = root.querySelector ? root.querySelector("[data-scroll-end]") : null;
    if (list) list.scrollIntoView({ block: "end" });
  }

  function enhance(root) {
    root.querySelectorAll("[data-count-limit]").forEach(counter);
    root.querySelectorAll("input[data-slider]").forEach(slider);
    root.querySelectorAll("textarea[data-json-hint]").forEach(jsonHint);
    root.querySelectorAll("[data-expires-at]").forEach(countdown);
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    scrollChat(document);
  });
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id !== "conversation") return;
    scrollChat(event.target);
    // Ready for the next message as soon as the composer is enabled again.
    var box = event.target.querySelector("textarea[data-enter-sends]");
    if (box && !box.disabled) box.focus();
  });
})();
