// The header's "Menu" button on small screens: a disclosure button for the main navigation
// (base.html). The stylesheet shows the button, and folds the navigation behind it, only on narrow
// screens when scripts run (@media (scripting: enabled)); without scripts the navigation stays in
// view below the logo, so every link is reachable either way. The open state lives in the button's
// aria-expanded, which the stylesheet reads too.
//
// Keyboard: Enter or Space toggles (a real <button>); the navigation follows the button in the page,
// so Tab walks into it; Escape closes it and puts focus back on the button; leaving the header (by
// Tab or by clicking elsewhere) closes it.
//
// On wide screens a facilitator's or organiser's menu folds two groups ("Manage", their name) behind
// buttons of their own (.nav-fold), so that the header keeps to one row. Each is a disclosure button
// too: its list follows it, one is open at a time, and Escape, a click elsewhere or Tab out of the
// group closes it (Escape putting focus back on its button). The stylesheet shows those buttons only
// on wide screens with scripts; in the phone menu and without scripts their links are all listed.

var button = document.querySelector(".site-header .menu-button");
var nav = button && document.getElementById(button.getAttribute("aria-controls"));
var header = button && button.closest(".site-header");

function isOpen() {
  return button.getAttribute("aria-expanded") === "true";
}

function setOpen(open) {
  button.setAttribute("aria-expanded", open ? "true" : "false");
}

// The button is out of sight on wide screens, where the navigation is always shown.
function folds() {
  return window.getComputedStyle(button).display !== "none";
}

if (button && nav && header) {
  button.addEventListener("click", function () { setOpen(!isOpen()); });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !isOpen() || !folds()) { return; }
    var within = header.contains(document.activeElement);
    setOpen(false);
    if (within || document.activeElement === document.body) { button.focus(); }
  });

  document.addEventListener("click", function (event) {
    if (isOpen() && !header.contains(event.target)) { setOpen(false); }
  });

  header.addEventListener("focusout", function (event) {
    // relatedTarget is null when focus leaves the page (another window): keep the menu then.
    if (isOpen() && folds() && event.relatedTarget && !header.contains(event.relatedTarget)) { setOpen(false); }
  });

  window.addEventListener("resize", function () {
    if (isOpen() && !folds()) { setOpen(false); }
  });
}

var foldButtons = Array.prototype.slice.call(document.querySelectorAll(".site-header .nav-fold"));

function foldShown(fold) {
  return window.getComputedStyle(fold).display !== "none";
}

function setFold(fold, open) {
  fold.setAttribute("aria-expanded", open ? "true" : "false");
}

function openFold() {
  return foldButtons.filter(function (fold) { return fold.getAttribute("aria-expanded") === "true"; })[0];
}

foldButtons.forEach(function (fold) {
  var group = fold.closest(".nav-group");
  fold.addEventListener("click", function () {
    var open = fold.getAttribute("aria-expanded") !== "true";
    foldButtons.forEach(function (other) { setFold(other, false); });
    setFold(fold, open);
  });
  group.addEventListener("focusout", function (event) {
    if (event.relatedTarget && !group.contains(event.relatedTarget)) { setFold(fold, false); }
  });
});

if (foldButtons.length) {
  document.addEventListener("keydown", function (event) {
    var fold = event.key === "Escape" && openFold();
    if (!fold || !foldShown(fold)) { return; }
    var group = fold.closest(".nav-group");
    var within = group.contains(document.activeElement);
    setFold(fold, false);
    if (within || document.activeElement === document.body) { fold.focus(); }
  });

  document.addEventListener("click", function (event) {
    var fold = openFold();
    if (fold && !fold.closest(".nav-group").contains(event.target)) { setFold(fold, false); }
  });
}
