/* PartyHub — small enhancements; every page works without them. */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function setUpMenu() {
    var toggle = document.querySelector("[data-menu-toggle]");
    var menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
    if (!toggle || !menu) return;
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("is-open", open);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.classList.contains("is-open")) {
        toggle.setAttribute("aria-expanded", "false");
        menu.classList.remove("is-open");
        toggle.focus();
      }
    });
  }

  function closeUserMenuOutside() {
    document.addEventListener("click", function (event) {
      document.querySelectorAll("details.user-menu[open]").forEach(function (details) {
        if (!details.contains(event.target)) details.removeAttribute("open");
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpMenu();
    closeUserMenuOutside();
  });
})();
