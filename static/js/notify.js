// Tool calls waiting for an answer: browser notifications (opt-in, asked for only after a
// click), saved replies and endpoint answers put into a card's box, and keeping a claim
// alive while its claimer types. Every page works without this file.
(function () {
  "use strict";

  var OPT_IN = "waiting-notify";
  var SEEN = "waiting-notified";

  function enabled() {
    return "Notification" in window && Notification.permission === "granted" &&
      localStorage.getItem(OPT_IN) === "on";
  }

  function seen() {
    try { return JSON.parse(localStorage.getItem(SEEN) || "[]"); } catch (e) { return []; }
  }

  // One notification per run (and round of calls), for runs that start waiting while this
  // tab is in the background; runs already waiting when the page loaded are not announced.
  var known = null;
  function announce(link) {
    var runs;
    try { runs = JSON.parse(link.dataset.waitingRuns || "[]"); } catch (e) { return; }
    var keys = runs.map(function (run) { return run.key; });
    if (known === null) { known = keys; return; }
    var fresh = runs.filter(function (run) { return known.indexOf(run.key) < 0; });
    known = keys;
    if (!fresh.length || !enabled() || !document.hidden) return;
    var told = seen();
    fresh.forEach(function (run) {
      if (told.indexOf(run.key) >= 0) return;
      told.push(run.key);
      var note = new Notification("A tool call waits for an answer", {
        body: run.title + " · " + run.calls + " call" + (run.calls === 1 ? "" : "s"),
        tag: run.key,
      });
      note.onclick = function () { window.focus(); window.location.href = run.url; note.close(); };
    });
    localStorage.setItem(SEEN, JSON.stringify(told.slice(-200)));
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.elt;
    if (target && target.id === "waiting-count") announce(target);
    fillFromEndpoints(document);
  });

  // The opt-in button on the waiting page.
  function setUpToggle() {
    var button = document.getElementById("notify-toggle");
    var state = document.getElementById("notify-state");
    if (!button || !("Notification" in window)) return;
    function show() {
      var on = enabled();
      button.textContent = on ? "Stop notifications" : "Notify me when a call waits";
      if (state) {
        state.textContent = Notification.permission === "denied"
          ? "Notifications are blocked for this site in your browser's settings."
          : on ? "You are notified when a call starts waiting while this tab is in the background." : "";
      }
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      if (enabled()) { localStorage.setItem(OPT_IN, "off"); show(); return; }
      Notification.requestPermission().then(function (answer) {
        localStorage.setItem(OPT_IN, answer === "granted" ? "on" : "off");
        show();
      });
    });
    show();
  }

  // A saved reply's button puts its text into the call's box (to edit before submitting).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-use-reply]");
    if (!button) return;
    var box = document.querySelector('[data-output-for="' + button.dataset.useReply + '"]');
    if (box) { box.value = button.dataset.replyText; box.dispatchEvent(new Event("input", { bubbles: true })); box.focus(); }
  });

  // An endpoint's answer that arrived after the card was drawn fills an empty box.
  function fillFromEndpoints(root) {
    root.querySelectorAll("[data-endpoint-output]").forEach(function (block) {
      var answer = block.querySelector("template[data-answer]");
      var box = document.querySelector('[data-output-for="' + block.dataset.endpointOutput + '"]');
      if (answer && box && box.value.trim() === "") box.value = answer.content.textContent;
    });
  }

  // Typing in a card on the waiting page keeps this person's claim alive (at most twice a minute).
  var lastKept = {};
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("form[data-keep-claim]");
    if (!form || !window.htmx) return;
    var url = form.dataset.keepClaim;
    if (lastKept[url] && Date.now() - lastKept[url] < 30000) return;
    lastKept[url] = Date.now();
    htmx.ajax("POST", url, { swap: "none", source: form });
  });

  document.addEventListener("DOMContentLoaded", function () {
    setUpToggle();
    fillFromEndpoints(document);
  });
})();
