/* The room screen (helper "room"): empty the "new vote" form once the server says the vote was created
   (htmx response header HX-Trigger: voteCreated). Everything else works without JavaScript. */
(function () {
  "use strict";
  document.addEventListener("voteCreated", function (event) {
    var form = event.target && event.target.closest ? event.target.closest("form[data-reset-on='voteCreated']") : null;
    if (form) { form.reset(); }
  });
})();
