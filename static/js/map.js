// The 五色图, the big screen and the bulletin: a tooltip with each unit's facts, the period switcher, the big
// screen's cycling through tracks, the print button. Every page works without this file (links, <title>, a submit
// button inside <noscript>).
(function () {
  "use strict";
  var tip = document.getElementById("map-tip");

  function show(el, x, y) {
    if (!tip) return;
    tip.textContent = el.getAttribute("data-tip") || "";
    tip.hidden = false;
    var box = tip.parentElement.getBoundingClientRect();
    var left = Math.min(Math.max(x - box.left + 14, 4), Math.max(box.width - tip.offsetWidth - 4, 4));
    tip.style.left = left + "px";  // CSSOM, which the policy allows (no inline style attribute is written)
    tip.style.top = (y - box.top + 14) + "px";
  }
  function hide() { if (tip) tip.hidden = true; }

  document.querySelectorAll("[data-tip]").forEach(function (el) {
    el.addEventListener("mouseenter", function (event) { show(el, event.clientX, event.clientY); });
    el.addEventListener("mousemove", function (event) { show(el, event.clientX, event.clientY); });
    el.addEventListener("mouseleave", hide);
    el.addEventListener("focus", function () {
      var r = el.getBoundingClientRect();
      show(el, r.left + r.width / 2, r.top + r.height / 2);
    });
    el.addEventListener("blur", hide);
  });

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // The big screen: one track at a time, its units lit on the map and the others dimmed.
  var cycle = document.querySelector("[data-screen-cycle]");
  if (cycle) {
    var tracks = Array.prototype.slice.call(cycle.querySelectorAll(".screen-track"));
    var seconds = parseInt(cycle.getAttribute("data-screen-cycle"), 10) || 12;
    var current = 0, paused = false;
    var showTrack = function (n) {
      current = n % tracks.length;
      var units = {};
      tracks.forEach(function (t, i) { t.hidden = i !== current; });
      tracks[current].querySelectorAll("[data-unit]").forEach(function (li) { units[li.getAttribute("data-unit")] = true; });
      document.querySelectorAll(".cq-map [data-unit]").forEach(function (el) {
        el.classList.toggle("is-dim", !units[el.getAttribute("data-unit")]);
      });
      document.body.setAttribute("data-current-track", tracks[current].getAttribute("data-track"));
    };
    if (tracks.length) {
      showTrack(0);
      window.setInterval(function () { if (!paused && tracks.length > 1) showTrack(current + 1); }, seconds * 1000);
    }
    var pause = document.querySelector("[data-screen-pause]");
    if (pause) pause.addEventListener("click", function () {
      paused = !paused;
      pause.textContent = pause.getAttribute(paused ? "data-label-play" : "data-label-pause");
    });
    var full = document.querySelector("[data-screen-full]");
    if (full) full.addEventListener("click", function () {
      if (document.fullscreenElement) document.exitFullscreen(); else document.documentElement.requestFullscreen();
    });
  }
})();
