// The request page's keyboard: j and k move to the next and previous file, v to your vote.
// A plain enhancement: without it every move is a link and every vote a form.
(function () {
  "use strict";
  var KEYS = { j: "next", k: "prev" };

  function typing(element) {
    return element && element.closest && element.closest("input, textarea, select, [contenteditable]");
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) {
      return;
    }
    if (KEYS[event.key]) {
      var link = document.querySelector('a[data-haven-file-nav="' + KEYS[event.key] + '"]');
      if (link) {
        event.preventDefault();
        window.location.assign(link.href);
      }
    } else if (event.key === "v") {
      var choice = document.querySelector("form.haven-vote fieldset:not([disabled]) input[type=radio]");
      if (choice) {
        event.preventDefault();
        choice.focus();
      }
    }
  });

  // Land where the last action was: the file, the comments or the decision the address
  // names (after a form), or the form a refusal is about (the page says which).
  var refused = document.getElementById("haven-place");
  var place = refused ? refused.getAttribute("data-place") : window.location.hash.slice(1);
  var target = place && document.getElementById(place);
  if (target) {
    if (!target.hasAttribute("tabindex")) {
      target.setAttribute("tabindex", "-1");
    }
    target.scrollIntoView({ block: "start" });
    target.focus({ preventScroll: true });
  }
})();
