// Zoom for the sequence diagram: the slider, the buttons and "fit width"
// scale the drawing (its viewBox stays the same) inside its scrolling box.
(function () {
  "use strict";
  var svg = document.getElementById("sequence");
  var scroll = document.getElementById("scroll");
  var slider = document.getElementById("zoom");
  var shown = document.getElementById("zoom-value");
  if (!svg || !scroll || !slider || !shown) {
    return;
  }
  var width = Number(svg.getAttribute("data-width"));
  var height = Number(svg.getAttribute("data-height"));
  function apply(percent) {
    var p = Math.max(10, Math.min(400, Math.round(percent)));
    slider.value = String(p);
    shown.textContent = p + "%";
    svg.setAttribute("width", String(Math.round(width * p / 100)));
    svg.setAttribute("height", String(Math.round(height * p / 100)));
  }
  slider.addEventListener("input", function () { apply(Number(slider.value)); });
  document.getElementById("zoom-in").addEventListener("click", function () {
    apply(Number(slider.value) * 1.25);
  });
  document.getElementById("zoom-out").addEventListener("click", function () {
    apply(Number(slider.value) / 1.25);
  });
  document.getElementById("zoom-reset").addEventListener("click", function () { apply(100); });
  document.getElementById("zoom-fit").addEventListener("click", function () {
    apply(100 * (scroll.clientWidth - 4) / width);
  });
  // Ctrl + wheel over the diagram zooms too.
  scroll.addEventListener("wheel", function (event) {
    if (!event.ctrlKey) {
      return;
    }
    event.preventDefault();
    apply(Number(slider.value) * (event.deltaY < 0 ? 1.1 : 1 / 1.1));
  }, { passive: false });
  // A click on a role's name dims the messages it neither sent nor
  // received; a second click on it ends the focus. `#focus=ROLE` in the
  // address focuses on ROLE when the page opens.
  var names = svg.querySelectorAll(".role-name");
  var focus = null;
  function setFocus(role) {
    focus = role;
    var arrows = svg.querySelectorAll("g.msg, g.pending");
    Array.prototype.forEach.call(arrows, function (g) {
      var mine = g.getAttribute("data-from") === role || g.getAttribute("data-to") === role;
      g.style.opacity = role === null || mine ? "" : "0.15";
    });
    Array.prototype.forEach.call(names, function (other) {
      other.style.textDecoration = other.getAttribute("data-role") === role ? "underline" : "";
    });
  }
  Array.prototype.forEach.call(names, function (label) {
    label.addEventListener("click", function () {
      var role = label.getAttribute("data-role");
      setFocus(focus === role ? null : role);
    });
  });
  var asked = /^#focus=(.+)$/.exec(window.location.hash);
  if (asked) {
    setFocus(decodeURIComponent(asked[1]));
  }
  apply(100);
  document.body.setAttribute("data-script", "ready");
})();
