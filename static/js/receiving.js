// Receiving page: drag-and-drop onto the file input's zone, a list of the chosen files, and a confirmation
// before discarding a draft. Works without it: the input is an ordinary <input type="file" multiple>.
(function () {
  "use strict";

  function formatSize(bytes) {
    if (bytes >= 1048576) return (bytes / 1048576).toFixed(1) + " MB";
    if (bytes >= 1024) return Math.round(bytes / 1024) + " KB";
    return bytes + " B";
  }

  function showFiles(input, list) {
    list.textContent = "";
    Array.prototype.forEach.call(input.files, function (file) {
      var item = document.createElement("li");
      item.textContent = file.name + " (" + formatSize(file.size) + ")";
      list.appendChild(item);
    });
  }

  function setUp(zone) {
    var input = zone.querySelector("input[type=file]");
    var list = zone.querySelector("[data-dropzone-list]");
    if (!input || !list) return;
    input.addEventListener("change", function () { showFiles(input, list); });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.remove("dragging");
      });
    });
    zone.addEventListener("drop", function (event) {
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      var transfer = new DataTransfer();
      Array.prototype.forEach.call(input.files, function (file) { transfer.items.add(file); });
      Array.prototype.forEach.call(event.dataTransfer.files, function (file) { transfer.items.add(file); });
      input.files = transfer.files;
      showFiles(input, list);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-dropzone]").forEach(setUp);
  });
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = button && button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
