// Assistant Studio: replies that stream into the chat pane as they are written.
//
// A form marked data-stream (the composer, the tool-call card) is posted with fetch, asking for
// text/event-stream; the view answers with server-sent events (see views/stream.py for the
// list) and this file applies them. An answer that is not a stream (a form error) is swapped
// in as htmx would. If the stream breaks off, the pane is fetched again and follows the run by
// polling. Without fetch streams, htmx posts the form as before; without JavaScript, the form
// posts and the page refreshes.
(function () {
  "use strict";

  if (!window.fetch || !window.ReadableStream || !window.TextDecoder) return;

  var announcedId = null;  // the last reply read out (or there when the page opened)

  function byId(id) { return document.getElementById(id); }

  function swap(selector, html, style) {
    var target = document.querySelector(selector);
    if (!target) return;
    window.htmx.swap(target, html, { swapStyle: style, swapDelay: 0, settleDelay: 0 });
  }

  // The element that scrolls the conversation: the list itself if it scrolls, else the page.
  function scroller() {
    var list = byId("messages");
    if (list && list.scrollHeight > list.clientHeight + 1 && getComputedStyle(list).overflowY !== "visible") return list;
    return document.scrollingElement || document.documentElement;
  }

  // Keep the newest text in view only for someone who was already reading the end: a person
  // who scrolled up to read is not pulled down (the page must not jump under them).
  function keepingEnd(change) {
    var box = scroller();
    var atEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    change();
    if (atEnd) box.scrollTop = box.scrollHeight;
  }

  function liveTurn() {
    var turn = byId("live-turn");
    if (turn && turn.hidden) turn.hidden = false;
    return byId("live-parts");
  }

  function upsertPart(data) {
    var holder = document.createElement("div");
    holder.innerHTML = data.html;
    var part = holder.firstElementChild;
    var old = byId(data.id);
    if (old) { old.replaceWith(part); return; }
    var parts = liveTurn();
    if (parts) parts.appendChild(part);
  }

  function writeText(data) {
    var part = byId(data.id);
    if (!part) return;
    liveTurn();
    if (data.settled) part.querySelector(".settled").insertAdjacentHTML("beforeend", data.settled);
    part.querySelector(".tail").innerHTML = data.tail;
  }

  // Screen readers hear each complete reply once, not every token. `quiet`: note the reply
  // the page opened with, without reading it out.
  function announce(quiet) {
    var turns = document.querySelectorAll("#messages > li.turn.assistant:not(.live)");
    var last = turns[turns.length - 1];
    var box = byId("reply-announcer");
    var id = last ? last.id : "";
    if (!box || id === announcedId) return;
    if (last && !quiet) {
      var who = last.querySelector(".who");
      var body = last.querySelector(".markdown");
      box.textContent = (who ? who.textContent + ": " : "") + (body ? body.textContent.trim().slice(0, 1000) : "");
    }
    announcedId = id;
  }

  function focusComposer() {
    var box = document.querySelector("#composer textarea");
    if (box && !box.disabled) box.focus();
  }

  function conversationChanged(html, event) {
    keepingEnd(function () { swap("#conversation", html, "innerHTML"); });
    if (event === "done") {
      announce(false);
      focusComposer();
      document.dispatchEvent(new CustomEvent("chat:answered"));  // chat.js: the sidebar
    }
  }

  var handlers = {
    pane: function (data) {
      // A new chat's first message made the thread: the page becomes the thread's own.
      if (data.url && window.history.replaceState) window.history.replaceState(null, "", data.url);
      conversationChanged(data.html, "pane");
    },
    done: function (data) { conversationChanged(data.html, "done"); return true; },
    status: function (data) { swap("#run-status", data.html, "outerHTML"); },
    fallback: function (data) { swap("#run-status", data.html, "outerHTML"); return true; },
    part: function (data) { keepingEnd(function () { upsertPart(data); }); },
    text: function (data) { keepingEnd(function () { writeText(data); }); }
  };

  // The pane as it is now: a run still going is followed by polling from there. The page's
  // address at that moment (a new chat's first update gives it the thread's).
  function recover() {
    window.htmx.ajax("GET", window.location.pathname, { target: "#conversation", swap: "innerHTML" });
  }

  function readEvents(response) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    var ended = false;
    function dispatch(block) {
      var name = "message";
      var data = [];
      block.split("\n").forEach(function (line) {
        if (line.indexOf("event:") === 0) name = line.slice(6).trim();
        else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
      });
      var handler = handlers[name];
      if (handler && data.length && handler(JSON.parse(data.join("\n")))) ended = true;
    }
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) {
          if (!ended) recover();
          return;
        }
        buffer += decoder.decode(chunk.value, { stream: true });
        var blocks = buffer.split("\n\n");
        buffer = blocks.pop();
        blocks.forEach(dispatch);
        return pump();
      });
    }
    return pump().catch(function () { if (!ended) recover(); });
  }

  function post(form, submitter) {
    if (form.dataset.posting) return;  // a second Enter before the answer: one message only
    form.dataset.posting = "1";
    var body = new FormData(form);
    if (submitter && submitter.name) body.append(submitter.name, submitter.value);
    var buttons = form.querySelectorAll("button[type=submit]");
    buttons.forEach(function (button) { button.disabled = true; });
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "text/event-stream", "HX-Request": "true", "HX-Current-URL": window.location.href }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (response.ok && type.indexOf("text/event-stream") === 0) return readEvents(response);
      return response.text().then(function (html) {
        delete form.dataset.posting;
        buttons.forEach(function (button) { button.disabled = false; });
        if (response.ok || response.status === 422) {
          // As htmx would have swapped it: the form's own target.
          var target = form.getAttribute("hx-target") || "#conversation";
          swap(target, html, form.getAttribute("hx-swap") || "innerHTML");
        } else {
          recover();
        }
      });
    }).catch(function () {
      delete form.dataset.posting;
      buttons.forEach(function (button) { button.disabled = false; });
      recover();
    });
  }

  // Capture phase, so htmx's own handler on the form never sees a submit this file takes.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-stream") || !window.htmx) return;
    var submitter = event.submitter;
    if (submitter && submitter.hasAttribute("formaction")) return;  // e.g. "Cancel run"
    event.preventDefault();
    event.stopImmediatePropagation();
    post(form, submitter);
  }, true);

  document.addEventListener("DOMContentLoaded", function () { announce(true); });
  // A reply that arrived by polling (after a reload or a broken stream) is announced too.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id === "conversation") announce(false);
  });
})();
