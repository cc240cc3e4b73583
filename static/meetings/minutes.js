/* The minutes editor (helper "room"): progressive enhancement of the minutes' <textarea> into an editable
   page with a small toolbar (bold, italics, underline, lists). The server sanitizes whatever is sent (nh3),
   so this only makes editing comfortable; without JavaScript the textarea (HTML) still works. */
(function () {
  "use strict";
  function enhance(form) {
    var source = form.querySelector("textarea[name='body']");
    if (!source || !document.execCommand) { return; }
    var editable = document.createElement("div");
    editable.className = "minutes-editable";
    editable.contentEditable = "true";
    editable.setAttribute("role", "textbox");
    editable.setAttribute("aria-multiline", "true");
    editable.setAttribute("aria-label", form.querySelector("label[for='" + source.id + "']").textContent);
    editable.innerHTML = source.value;
    var toolbar = document.createElement("div");
    toolbar.className = "minutes-toolbar";
    [["bold", "B", "labelBold"], ["italic", "I", "labelItalic"], ["underline", "U", "labelUnderline"],
     ["insertUnorderedList", "•", "labelBullets"], ["insertOrderedList", "1.", "labelNumbers"]]
      .forEach(function (pair) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = pair[1];
        button.title = form.dataset[pair[2]] || pair[0];
        button.setAttribute("aria-label", button.title);
        button.addEventListener("click", function () { editable.focus(); document.execCommand(pair[0], false, null); });
        toolbar.appendChild(button);
      });
    source.hidden = true;
    source.parentNode.insertBefore(toolbar, source);
    source.parentNode.insertBefore(editable, source);
    form.addEventListener("submit", function () { source.value = editable.innerHTML; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-minutes-editor]").forEach(enhance);
  });
})();
