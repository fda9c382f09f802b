// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  function allDetails() { return document.querySelectorAll("details.part"); }

  document.querySelectorAll("[data-needs-js]").forEach(function (el) { el.hidden = false; });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-details-toggle]");
    if (!button) return;
    var open = button.getAttribute("data-details-toggle") === "open";
    allDetails().forEach(function (d) { d.open = open; });
  });

  // Printing a plan prints every part, then restores what the reader had open.
  var closedBeforePrint = [];
  window.addEventListener("beforeprint", function () {
    closedBeforePrint = Array.prototype.filter.call(allDetails(), function (d) { return !d.open; });
    closedBeforePrint.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    closedBeforePrint.forEach(function (d) { d.open = false; });
    closedBeforePrint = [];
  });

  // Opening a link to a part (#part-3) expands it.
  function openFromHash() {
    if (!location.hash) return;
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target && target.tagName === "DETAILS") target.open = true;
  }
  openFromHash();
  window.addEventListener("hashchange", openFromHash);
})();
