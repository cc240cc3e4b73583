// The draft form of an outgoing document: a small rich-text editor for the body (the server sanitizes what it
// receives again), the switch between a composed text and an uploaded file, and "add a recipient".
// Without JavaScript the body is an ordinary textarea taking the same HTML subset.
(function () {
  "use strict";

  var ALLOWED = {
    P: 1, BR: 1, STRONG: 1, B: 1, EM: 1, I: 1, U: 1, UL: 1, OL: 1, LI: 1,
    TABLE: 1, THEAD: 1, TBODY: 1, TR: 1, TD: 1, TH: 1, H3: 1, H4: 1, BLOCKQUOTE: 1
  };
  var DROPPED = { SCRIPT: 1, STYLE: 1, TEMPLATE: 1, IFRAME: 1, OBJECT: 1, NOSCRIPT: 1, TITLE: 1, TEXTAREA: 1, SELECT: 1 };

  // Copy only the allowed elements (no attributes but cell spans) of an inert document into `target`.
  function copyClean(source, target) {
    Array.prototype.forEach.call(source.childNodes, function (node) {
      if (node.nodeType === 3) {
        target.appendChild(document.createTextNode(node.nodeValue));
      } else if (node.nodeType === 1) {
        if (DROPPED[node.nodeName]) return;
        if (ALLOWED[node.nodeName]) {
          var element = document.createElement(node.nodeName.toLowerCase());
          ["colspan", "rowspan"].forEach(function (name) {
            var value = node.getAttribute(name);
            if ((node.nodeName === "TD" || node.nodeName === "TH") && value && /^\d{1,2}$/.test(value)) {
              element.setAttribute(name, value);
            }
          });
          copyClean(node, element);
          target.appendChild(element);
        } else {
          copyClean(node, target);
        }
      }
    });
  }

  function cleanHtml(html) {
    var parsed = new DOMParser().parseFromString("<body>" + (html || "") + "</body>", "text/html");
    var holder = document.createElement("div");
    copyClean(parsed.body, holder);
    return holder.innerHTML;
  }

  function setUpEditor(wrapper) {
    var textarea = wrapper.querySelector("textarea");
    if (!textarea || !document.execCommand) return;
    var toolbar = document.createElement("div");
    toolbar.className = "body-toolbar";
    toolbar.setAttribute("role", "toolbar");
    var editor = document.createElement("div");
    editor.className = "body-editable";
    editor.id = "outgoing-body-editor";
    editor.contentEditable = "true";
    editor.setAttribute("role", "textbox");
    editor.setAttribute("aria-multiline", "true");
    editor.setAttribute("aria-label", wrapper.dataset.labelEditor || "");
    editor.innerHTML = cleanHtml(textarea.value) || "<p><br></p>";
    var buttons = [
      ["bold", "B", "bold"], ["italic", "I", "italic"], ["underline", "U", "underline"],
      ["insertUnorderedList", "•", "ul"], ["insertOrderedList", "1.", "ol"],
      ["formatBlock:h3", "H3", "h3"], ["formatBlock:h4", "H4", "h4"], ["formatBlock:p", "¶", "p"],
      ["formatBlock:blockquote", "❝", "quote"]
    ];
    buttons.forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button secondary body-tool";
      button.textContent = spec[1];
      var label = wrapper.dataset["label" + spec[2].charAt(0).toUpperCase() + spec[2].slice(1)] || spec[2];
      button.title = label;
      button.setAttribute("aria-label", label);
      button.dataset.command = spec[0];
      button.addEventListener("mousedown", function (event) { event.preventDefault(); });
      button.addEventListener("click", function () {
        var parts = spec[0].split(":");
        editor.focus();
        document.execCommand(parts[0], false, parts[1] ? "<" + parts[1] + ">" : null);
        sync();
      });
      toolbar.appendChild(button);
    });
    var timer = null;
    function sync() {
      textarea.value = editor.innerHTML;
      clearTimeout(timer);
      timer = setTimeout(function () {
        document.body.dispatchEvent(new CustomEvent("body-edited", { bubbles: true }));
      }, 300);
    }
    editor.addEventListener("input", sync);
    editor.addEventListener("paste", function (event) {
      var data = event.clipboardData;
      if (!data) return;
      event.preventDefault();
      var html = data.getData("text/html");
      if (html) {
        document.execCommand("insertHTML", false, cleanHtml(html));
      } else {
        document.execCommand("insertText", false, data.getData("text/plain"));
      }
      sync();
    });
    textarea.hidden = true;
    textarea.setAttribute("aria-hidden", "true");
    textarea.tabIndex = -1;
    wrapper.insertBefore(toolbar, textarea);
    wrapper.insertBefore(editor, textarea);
    var label = document.querySelector("label[for='" + textarea.id + "']");
    if (label) label.addEventListener("click", function () { editor.focus(); });
    var form = textarea.form;
    if (form) form.addEventListener("submit", function () { textarea.value = editor.innerHTML; });
  }

  function setUpSource(form) {
    var radios = form.querySelectorAll("input[name='source']");
    if (!radios.length) return;
    function show() {
      var chosen = form.querySelector("input[name='source']:checked");
      var value = chosen ? chosen.value : "composed";
      form.querySelectorAll("[data-source-panel]").forEach(function (panel) {
        panel.hidden = panel.dataset.sourcePanel !== value;
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", show); });
    show();
  }

  function setUpRecipients(form) {
    var add = form.querySelector("[data-recipient-add]");
    var rows = form.querySelector("[data-recipient-rows]");
    var template = document.getElementById("recipient-empty-form");
    var total = form.querySelector("input[name='recipients-TOTAL_FORMS']");
    if (!add || !rows || !template || !total) return;
    add.hidden = false;
    add.addEventListener("click", function () {
      var index = parseInt(total.value, 10) || 0;
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      var holder = document.createElement("ol");
      holder.innerHTML = html;
      var row = holder.firstElementChild;
      rows.appendChild(row);
      total.value = String(index + 1);
      var first = row.querySelector("select, input");
      if (first) first.focus();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("outgoing-form");
    if (!form) return;
    form.querySelectorAll("[data-body-editor]").forEach(setUpEditor);
    setUpSource(form);
    setUpRecipients(form);
  });
})();
