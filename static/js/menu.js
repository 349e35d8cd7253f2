// The header's "Menu" button on small screens: a disclosure button for the main navigation
// (base.html). The stylesheet shows the button, and folds the navigation behind it, only on narrow
// screens when scripts run (@media (scripting: enabled)); without scripts the navigation stays in
// view below the logo, so every link is reachable either way. The open state lives in the button's
// aria-expanded, which the stylesheet reads too.
//
// Keyboard: Enter or Space toggles (a real <button>); the navigation follows the button in the page,
// so Tab walks into it; Escape closes it and puts focus back on the button; leaving the header (by
// Tab or by clicking elsewhere) closes it.

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
