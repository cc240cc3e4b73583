/* The agenda editor: show only the picker of the chosen source in the "Add a document" form. */
(function () {
  "use strict";
  var form = document.querySelector("[data-document-form]");
  if (!form) { return; }
  var sources = { incoming: ["incoming"], outgoing: ["outgoing"], publication: ["publication"],
    upload: ["upload", "confidentiality"], paper: ["confidentiality"] };
  var all = ["incoming", "outgoing", "publication", "upload", "confidentiality"];
  function fieldOf(name) {
    var input = form.querySelector("[name='doc-" + name + "']");
    return input ? input.closest(".field") : null;
  }
  function update() {
    var checked = form.querySelector("input[name='doc-source']:checked");
    var wanted = checked ? (sources[checked.value] || []) : [];
    all.forEach(function (name) {
      var field = fieldOf(name);
      if (field) { field.hidden = checked ? wanted.indexOf(name) < 0 : false; }
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "doc-source") { update(); }
  });
  update();
}());
