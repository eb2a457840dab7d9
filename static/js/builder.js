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

  // --- Rows added or removed in place (htmx): focus the new row's first field, or after a
  // removal the section's Add button, so the keyboard stays where the person was.
  var refocus = "";  // after a removal: the section whose Add button gets the focus
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.closest || !elt.closest(".builder-rows")) return;  // not a row button
    refocus = elt.value && elt.value.indexOf("remove_") === 0 ? elt.getAttribute("hx-target") : "";
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!event.detail.target || !event.detail.target.classList || !event.detail.target.classList.contains("builder-rows")) return;
    var fresh = document.querySelector("[data-new-row]");
    if (fresh) {
      fresh.removeAttribute("data-new-row");
      var first = fresh.querySelector("input:not([type=hidden]), textarea, select");
      if (first) first.focus();
    } else if (refocus) {
      var add = document.querySelector(refocus + " button[value^=add_]") || document.querySelector(refocus + " .notice");
      if (add) add.focus();
    }
    refocus = "";
  });

  // "JSON matching a schema" opens its fields at once (and another choice folds them).
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (!(field instanceof HTMLSelectElement) || field.name !== "response_format") return;
    var details = document.getElementById("json-schema-fields");
    if (details) details.open = field.value === "json_schema";
  });

  // --- Function parameters as a form, writing the JSON Schema in the text area beside it.
  // The text area stays the source of truth (it is what the form posts and the server
  // checks); the "Form" view is drawn from it and writes it back on every change.
  var TYPES = ["string", "number", "integer", "boolean", "array", "object"];
  var KNOWN = ["type", "description", "enum", "properties", "required", "items"];

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function isPlain(value) { return value !== null && typeof value === "object" && !Array.isArray(value); }

  // Why a schema cannot be drawn as rows ("" if it can).
  function unshowable(schema, where) {
    if (!isPlain(schema)) return where + " is not an object";
    if (schema.type !== undefined && schema.type !== "object") return where + " is not of type object";
    if (schema.properties !== undefined && !isPlain(schema.properties)) return where + ".properties is not an object";
    var props = schema.properties || {};
    for (var name in props) {
      var prop = props[name];
      var at = where + "." + name;
      if (!isPlain(prop) || TYPES.indexOf(prop.type) < 0) return at + " has no single type the form knows";
      if (prop.enum !== undefined && (!Array.isArray(prop.enum) || prop.enum.some(function (v) {
        return typeof v === "object" || String(v).indexOf(",") >= 0;
      }))) return at + ".enum holds values the form cannot list";
      if (prop.type === "object") { var why = unshowable(prop, at); if (why) return why; }
    }
    if (schema.required !== undefined && !Array.isArray(schema.required)) return where + ".required is not a list";
    return "";
  }

  function extras(schema) {
    var rest = {};
    Object.keys(schema).forEach(function (key) { if (KNOWN.indexOf(key) < 0) rest[key] = schema[key]; });
    return rest;
  }

  function typeSelect(value, label, withNone) {
    var select = el("select", { "aria-label": label });
    if (withNone) select.appendChild(el("option", { value: "", text: "any" }));
    TYPES.forEach(function (type) { select.appendChild(el("option", { value: type, text: type })); });
    select.value = value || "";
    return select;
  }

  function paramRow(name, prop, required) {
    var row = el("div", { className: "param-row", role: "group", "aria-label": "Parameter " + (name || "(new)") });
    var itemsSimple = isPlain(prop.items) && Object.keys(prop.items).length === 1 && TYPES.indexOf(prop.items.type) >= 0;
    var keep = extras(prop);
    if (prop.items !== undefined && !itemsSimple) keep.items = prop.items;
    row.dataset.extra = JSON.stringify(keep);
    var nameBox = el("input", { type: "text", "aria-label": "Parameter name", "data-p": "name", spellcheck: "false", placeholder: "Parameter name" });
    nameBox.value = name;
    var type = typeSelect(prop.type || "string", "Type");
    type.dataset.p = "type";
    var description = el("input", { type: "text", "aria-label": "Description", "data-p": "description", placeholder: "What it is, for the model" });
    description.value = prop.description || "";
    var req = el("input", { type: "checkbox", "data-p": "required" });
    req.checked = !!required;
    var enumBox = el("input", { type: "text", "aria-label": "Allowed values", "data-p": "enum", placeholder: "Allowed values, comma-separated (optional)" });
    enumBox.value = (prop.enum || []).join(", ");
    var items = typeSelect(itemsSimple ? prop.items.type : "", "Item type", true);
    items.dataset.p = "items";
    var remove = el("button", { type: "button", className: "button subtle", "data-remove-param": "" , text: "Remove" });
    remove.setAttribute("aria-label", "Remove parameter " + (name || "(new)"));
    row.appendChild(el("div", { className: "param-main" }, [
      nameBox, type,
      el("label", { className: "switch" }, [req, document.createTextNode(" Required")]),
      remove
    ]));
    row.appendChild(el("div", { className: "param-more" }, [
      description,
      el("span", { className: "param-enum" }, [enumBox]),
      el("span", { className: "param-items" }, [el("span", { className: "muted", text: "Items:" }), items])
    ]));
    var children = el("div", { className: "param-children" });
    children.appendChild(level(prop.type === "object" ? prop : { type: "object", properties: {} }, true));
    row.appendChild(children);
    showFor(row, prop.type || "string");
    return row;
  }

  function showFor(row, type) {
    row.querySelector(".param-enum").hidden = ["string", "number", "integer"].indexOf(type) < 0;
    row.querySelector(".param-items").hidden = type !== "array";
    row.querySelector(".param-children").hidden = type !== "object";
  }

  function level(schema, nested) {
    var box = el("div", { className: "param-level" });
    var rest = extras(schema);
    delete rest.type;
    box.dataset.extra = JSON.stringify(rest);
    var rows = el("div", { className: "param-rows" });
    var props = schema.properties || {};
    var required = schema.required || [];
    Object.keys(props).forEach(function (name) {
      rows.appendChild(paramRow(name, props[name], required.indexOf(name) >= 0));
    });
    box.appendChild(rows);
    box.appendChild(el("button", { type: "button", className: "button", "data-add-param": "", text: nested ? "Add a property" : "Add a parameter" }));
    return box;
  }

  function enumValues(text, type) {
    var parts = text.split(",").map(function (part) { return part.trim(); }).filter(Boolean);
    if (type === "number" || type === "integer") {
      return parts.map(function (part) { var n = Number(part); return isNaN(n) ? part : n; });
    }
    return parts;
  }

  function readLevel(box) {
    var schema = { type: "object", properties: {} };
    var required = [];
    box.querySelector(":scope > .param-rows").querySelectorAll(":scope > .param-row").forEach(function (row) {
      var get = function (p) { return row.querySelector(":scope > div > [data-p=" + p + "], :scope > div > label > [data-p=" + p + "], :scope > div > span > [data-p=" + p + "]"); };
      var name = get("name").value.trim();
      if (!name) return;
      var type = get("type").value;
      var prop = { type: type };
      var description = get("description").value.trim();
      if (description) prop.description = description;
      if (["string", "number", "integer"].indexOf(type) >= 0) {
        var values = enumValues(get("enum").value, type);
        if (values.length) prop.enum = values;
      }
      var extra = JSON.parse(row.dataset.extra || "{}");
      if (type === "array") {
        var itemType = get("items").value;
        if (itemType) prop.items = { type: itemType };
        else if (extra.items !== undefined) prop.items = extra.items;
      }
      delete extra.items;
      if (type === "object") {
        var inner = readLevel(row.querySelector(":scope > .param-children > .param-level"));
        prop.properties = inner.properties;
        if (inner.required) prop.required = inner.required;
        Object.keys(inner).forEach(function (key) { if (KNOWN.indexOf(key) < 0) prop[key] = inner[key]; });
      }
      Object.keys(extra).forEach(function (key) { prop[key] = extra[key]; });
      schema.properties[name] = prop;
      if (get("required").checked) required.push(name);
    });
    if (required.length) schema.required = required;
    var rest = JSON.parse(box.dataset.extra || "{}");
    Object.keys(rest).forEach(function (key) { schema[key] = rest[key]; });
    return schema;
  }

  function paramEditor(textarea) {
    if (textarea.dataset.paramEditor) return;
    textarea.dataset.paramEditor = "1";
    var field = textarea.closest(".field");
    var formTab = el("button", { type: "button", className: "button subtle", "aria-pressed": "true", text: "Form" });
    var jsonTab = el("button", { type: "button", className: "button subtle", "aria-pressed": "false", text: "JSON" });
    var tabs = el("div", { className: "param-tabs", role: "group", "aria-label": "Edit the parameters as" }, [formTab, jsonTab]);
    var panel = el("div", { className: "param-form" });
    var note = el("p", { className: "help param-note", "aria-live": "polite" });
    textarea.insertAdjacentElement("beforebegin", tabs);
    textarea.insertAdjacentElement("beforebegin", panel);
    textarea.insertAdjacentElement("beforebegin", note);

    function write() {
      var schema = readLevel(panel.firstElementChild);
      textarea.value = JSON.stringify(schema, null, 2);
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }

    function show(asForm) {
      note.textContent = "";
      if (asForm) {
        var text = textarea.value.trim();
        var schema;
        try { schema = text ? JSON.parse(text) : { type: "object", properties: {} }; } catch (e) {
          note.textContent = "The JSON is not valid yet, so it cannot be shown as a form: correct it in the JSON view.";
          asForm = false;
        }
        var why = asForm ? unshowable(schema, "$") : "";
        if (why) {
          note.textContent = "This schema can only be edited as JSON: " + why + ".";
          asForm = false;
        }
        if (asForm) panel.replaceChildren(level(schema, false));
      }
      panel.hidden = !asForm;
      textarea.hidden = asForm;
      formTab.setAttribute("aria-pressed", String(asForm));
      jsonTab.setAttribute("aria-pressed", String(!asForm));
      if (field) field.classList.toggle("as-form", asForm);
    }

    formTab.addEventListener("click", function () { show(true); });
    jsonTab.addEventListener("click", function () { show(false); });
    panel.addEventListener("input", function (event) {
      if (event.target.dataset.p === "name") {
        var row = event.target.closest(".param-row");
        var label = "Parameter " + (event.target.value || "(new)");
        row.setAttribute("aria-label", label);
        row.querySelector("[data-remove-param]").setAttribute("aria-label", "Remove " + label.toLowerCase());
      }
      write();
    });
    panel.addEventListener("change", function (event) {
      if (event.target.dataset.p === "type") showFor(event.target.closest(".param-row"), event.target.value);
      write();
    });
    panel.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) return;
      if (button.hasAttribute("data-add-param")) {
        var row = paramRow("", { type: "string" }, false);
        button.previousElementSibling.appendChild(row);
        row.querySelector("[data-p=name]").focus();
        write();
      } else if (button.hasAttribute("data-remove-param")) {
        var gone = button.closest(".param-row");
        var add = gone.parentNode.nextElementSibling;
        gone.remove();
        add.focus();
        write();
      }
    });
    // A field with errors opens on the JSON, where the server's message points.
    show(!(field && field.classList.contains("has-error")));
  }

  function enhance(root) {
    root.querySelectorAll("textarea[name$='-parameters']").forEach(paramEditor);
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });

  // --- The test chat: a message there runs with what the form holds now. Its composer is
  // the thread page's own, so it is pointed at the test chat's view here, with the settings,
  // before stream.js (loaded after this file) or htmx post it.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var chat = form.closest ? form.closest("#test-chat") : null;
    var builder = builderForm();
    if (!chat || !builder || form.id !== "composer") return;
    var settings = new URLSearchParams();
    new FormData(builder).forEach(function (value, key) {
      if (typeof value === "string" && key !== "csrfmiddlewaretoken") settings.append(key, value);
    });
    var box = form.querySelector("input[name=settings]");
    if (!box) {
      box = el("input", { type: "hidden", name: "settings" });
      form.appendChild(box);
    }
    box.value = settings.toString();
    form.action = chat.dataset.tryUrl;
  }, true);

  // "Discard changes" goes back to the saved assistant without asking: that is what it says.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-discard]")) leaving = true;
  });

  // "Copy" beside each code sample of "Use from code".
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy-code]") : null;
    if (!button || !navigator.clipboard) return;
    var code = document.getElementById(button.dataset.copyCode);
    navigator.clipboard.writeText(code.textContent).then(function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy"; }, 1500);
    });
  });
  document.addEventListener("DOMContentLoaded", function () {
    if (navigator.clipboard) document.querySelectorAll("[data-copy-code]").forEach(function (b) { b.hidden = false; });
  });

  // The first message titles the test chat (an out-of-band swap of #thread-title): show it.
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var name = document.querySelector("#test-chat .test-chat-name");
    if (name && name.querySelector("#thread-title")) name.hidden = false;
  });

  window.StudioBuilder = { dirty: dirty, markSaved: function () { var f = builderForm(); if (f) saved = snapshot(f); } };
})();
