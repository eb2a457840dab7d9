// Assistant Studio: the page chrome. The top navigation folds behind "Menu" on narrow screens,
// a multiple <select> becomes a searchable list of checkboxes with the chosen items as chips,
// and a box a table scrolls in takes the keyboard focus. Without this file the links simply
// wrap and the native select is used.
(function () {
  "use strict";

  // A part of the page folded behind its toggle button on narrow screens (the CSS hides it
  // while the part is .collapsible without `openClass`); Escape folds it again. Shared as
  // Studio.foldable for the other folding parts (chat.js's sidebar).
  function foldable(box, toggle, openClass, onOpen) {
    var button = box.querySelector(toggle);
    if (!button || box.dataset.foldReady) return;
    box.dataset.foldReady = "1";
    box.classList.add("collapsible");
    button.hidden = false;
    function set(open) {
      box.classList.toggle(openClass, open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
      if (open && onOpen) onOpen();
    }
    button.addEventListener("click", function () { set(!box.classList.contains(openClass)); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && box.classList.contains(openClass)) { set(false); button.focus(); }
    });
  }
  window.Studio = window.Studio || {};
  window.Studio.foldable = foldable;

  function menu(nav) { foldable(nav, ".nav-toggle", "open"); }

  var pickers = 0;

  // <select multiple> → chips of what is chosen, a search box and a list of checkboxes. The
  // select stays in the form (hidden) and is what the form submits.
  function picker(select) {
    if (select.dataset.picker) return;
    select.dataset.picker = "1";
    pickers += 1;
    var id = select.id || "picker-" + pickers;
    var label = select.labels && select.labels[0];
    var name = label ? label.textContent.trim() : "Choices";

    var box = document.createElement("div");
    box.className = "picker";
    var chips = document.createElement("ul");
    chips.className = "chips";
    chips.setAttribute("aria-label", "Chosen");
    var search = document.createElement("input");
    search.type = "search";
    search.id = id + "-search";
    search.className = "picker-search";
    search.placeholder = "Search…";
    search.autocomplete = "off";
    search.setAttribute("aria-controls", id + "-options");
    var list = document.createElement("div");
    list.className = "picker-options";
    list.id = id + "-options";
    list.setAttribute("role", "group");
    list.setAttribute("aria-label", "Choices: " + name);
    var none = document.createElement("p");
    none.className = "picker-none muted";
    none.textContent = "Nothing matches.";
    none.hidden = true;

    var boxes = [];
    Array.prototype.forEach.call(select.options, function (option, i) {
      var item = document.createElement("div");
      var row = document.createElement("label");
      var check = document.createElement("input");
      check.type = "checkbox";
      check.id = id + "-option-" + i;
      check.checked = option.selected;
      check.addEventListener("change", function () {
        option.selected = check.checked;
        select.dispatchEvent(new Event("change", { bubbles: true }));
        draw();
      });
      row.appendChild(check);
      row.appendChild(document.createTextNode(" " + option.text));
      item.appendChild(row);
      list.appendChild(item);
      boxes.push({ option: option, check: check, item: item });
    });

    function draw() {
      chips.textContent = "";
      boxes.forEach(function (b) {
        b.check.checked = b.option.selected;
        if (!b.option.selected) return;
        var chip = document.createElement("li");
        chip.className = "chip";
        chip.appendChild(document.createTextNode(b.option.text));
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "chip-remove";
        remove.setAttribute("aria-label", "Remove " + b.option.text);
        remove.textContent = "×";
        remove.addEventListener("click", function () {
          b.option.selected = false;
          select.dispatchEvent(new Event("change", { bubbles: true }));
          draw();
          search.focus();
        });
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
      chips.hidden = !chips.children.length;
    }

    search.addEventListener("input", function () {
      var words = search.value.trim().toLowerCase();
      var shown = 0;
      boxes.forEach(function (b) {
        var match = b.option.text.toLowerCase().indexOf(words) !== -1;
        b.item.hidden = !match;
        if (match) shown += 1;
      });
      none.hidden = shown > 0;
    });
    // Enter in the search box ticks the only match instead of submitting the form.
    search.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      var shown = boxes.filter(function (b) { return !b.item.hidden; });
      if (shown.length === 1) shown[0].check.click();
    });

    box.appendChild(chips);
    box.appendChild(search);
    box.appendChild(list);
    box.appendChild(none);
    select.insertAdjacentElement("afterend", box);
    select.hidden = true;
    if (label) label.htmlFor = search.id;
    draw();
  }

  // A box a table scrolls in (.table-scroll) is reached with Tab and scrolled with the arrow
  // keys, named after the heading of its section.
  function scrollBox(box) {
    if (box.hasAttribute("tabindex")) return;
    box.setAttribute("tabindex", "0");
    if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
      var section = box.closest("section, .card");
      var heading = section && section.querySelector("h1, h2, h3");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", (heading ? heading.textContent.trim() + ": " : "") + "table");
    }
  }

  function enhance(root) {
    if (!root.querySelectorAll) return;
    root.querySelectorAll("select[multiple]").forEach(picker);
    root.querySelectorAll(".table-scroll").forEach(scrollBox);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".nav").forEach(menu);
    enhance(document);
  });
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
