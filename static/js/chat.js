// Assistant Studio: the chat layout's small behaviours. Everything here has a plain fallback:
// the sidebar shows below the chat, Edit is a <details> with a form, the tool card's button
// submits it, and without clipboard access there is simply no Copy button.
//
// - On narrow screens the conversation sidebar folds behind the "Chats" button.
// - Copy: a message's text as written (Markdown), and each code block on its own.
// - The tool-call card takes the focus when it appears (its first output box); Ctrl+Enter
//   (Cmd+Enter on a Mac) submits it. stream.js gives the focus back to the composer after.
(function () {
  "use strict";

  var root = document.documentElement;
  if (navigator.clipboard && window.isSecureContext) root.classList.add("can-copy");

  // The sidebar folds like the top navigation (ui.js); opened, its search takes the focus.
  function sidebar(layout) {
    window.Studio.foldable(layout, ".sidebar-toggle", "sidebar-open", function () {
      var search = layout.querySelector(".chat-sidebar input[type=search]");
      if (search) search.focus();
    });
  }

  function said(button, words) {
    var label = button.querySelector(".copy-words") || button;
    var before = label.dataset.words || label.textContent;
    label.dataset.words = before;
    label.textContent = words;
    setTimeout(function () { label.textContent = before; }, 1500);
  }

  function copy(text, button) {
    navigator.clipboard.writeText(text).then(
      function () { said(button, "Copied"); },
      function () { said(button, "Could not copy"); }
    );
  }

  // A Copy button on each code block of a stored message (not on the reply still streaming).
  function codeButtons(scope) {
    scope.querySelectorAll(".turn:not(.live) .markdown pre").forEach(function (pre) {
      if (pre.dataset.copyReady) return;
      pre.dataset.copyReady = "1";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button subtle small copy-code";
      button.setAttribute("data-copy-code", "");
      button.innerHTML = '<span class="copy-words">Copy code</span>';
      pre.insertAdjacentElement("beforebegin", button);
    });
  }

  // The tool-call card that just appeared gets the focus, once.
  function focusCard(scope) {
    var card = scope.querySelector("form.tool-calls:not([data-focused])");
    if (!card) return;
    card.setAttribute("data-focused", "");
    var box = card.querySelector("textarea");
    if (box) box.focus({ preventScroll: false });
  }

  function enhance() {
    document.querySelectorAll(".chat-layout").forEach(sidebar);
    codeButtons(document);
    focusCard(document);
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    var messageButton = target.closest("[data-copy-message]");
    if (messageButton) {
      var source = messageButton.parentElement.querySelector("template.message-source");
      var shown = messageButton.closest(".turn").querySelector(":scope > .markdown");
      if (source) copy(source.content.textContent, messageButton);
      else if (shown) copy(shown.innerText.trim(), messageButton);
      return;
    }
    var codeButton = target.closest("[data-copy-code]");
    if (codeButton) {
      var pre = codeButton.nextElementSibling;
      if (pre) copy(pre.textContent, codeButton);
    }
  });

  // Ctrl+Enter / Cmd+Enter in the tool-call card submits every output at once.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var form = event.target instanceof Element ? event.target.closest("form.tool-calls") : null;
    if (!form) return;
    event.preventDefault();
    var submit = form.querySelector("button[type=submit]:not([formaction])");
    if (submit && !submit.disabled) form.requestSubmit(submit);
  });

  // The edit box of a message takes the focus when it is opened.
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.open || !details.classList.contains("edit-message")) return;
    var box = details.querySelector("textarea");
    if (box) { box.focus(); box.setSelectionRange(box.value.length, box.value.length); }
  }, true);

  // After an answer the open chat has the newest activity: the sidebar's list is read again
  // (with the search typed, if any).
  function refreshSidebar() {
    var form = document.querySelector(".chat-sidebar .sidebar-search");
    if (!form || !window.htmx || !document.getElementById("sidebar-threads")) return;
    var query = new URLSearchParams(new FormData(form)).toString();
    window.htmx.ajax("GET", form.getAttribute("hx-get") + "?" + query, { target: "#sidebar-threads", swap: "outerHTML" });
  }
  document.addEventListener("chat:answered", refreshSidebar);
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id === "conversation" && !event.target.querySelector("#run-status")) refreshSidebar();
  });

  // The pane changes by htmx swaps and by stream.js: look again after each batch of changes.
  var pending = false;
  function later() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; enhance(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance();
    var pane = document.getElementById("chat-layout");
    if (pane) new MutationObserver(later).observe(pane, { childList: true, subtree: true });
  });
})();
