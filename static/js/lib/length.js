// Length limits that never cut what people type or paste. The form macro gives a limited field
// data-maxlength (instead of maxlength, with which the browser silently drops whatever is pasted
// beyond the limit) and an empty note, #<id>-length, that the field is described by. This module
// writes in that note how long the text is once it nears the limit ("950 of 1,000 characters") and
// by how much to shorten it once past ("1,034 of 1,000 characters: shorten by 34"), and tells screen
// readers when the person pauses, not at every keystroke. The server refuses an over-long text and
// shows the form again with it, so nothing depends on this script.
//
// Loaded on every page (base.html's head). It listens at the document, so that fields added later (a form
// fetched into the page) are followed too. Fields with data-count keep the counter their own page
// script gives them (js/needs/fields.js).

var NEAR = 0.9; // the note appears from this share of the limit on
var PAUSE = 1000; // ms without typing before a screen reader is told
var format = new Intl.NumberFormat("en");

// The length the server counts: characters (not UTF-16 units: an emoji is one), and a line break in
// a text area as two, because the browser sends it as CR LF.
export function textLength(field) {
  var length = Array.from(field.value).length;
  if (field.tagName === "TEXTAREA") { length += (field.value.match(/\n/g) || []).length; }
  return length;
}

// What the note says for ``length`` characters of ``limit``: nothing while far from it.
export function describeLength(length, limit) {
  if (length > limit) {
    return format.format(length) + " of " + format.format(limit) + " characters: shorten by " + format.format(length - limit);
  }
  if (length >= Math.ceil(limit * NEAR)) { return format.format(length) + " of " + format.format(limit) + " characters"; }
  return "";
}

function noteOf(field) {
  var id = (field.id || field.name) + "-length";
  var note = document.getElementById(id);
  if (!note) { // a field drawn without the form macro
    note = document.createElement("p");
    note.className = "hint length-note";
    note.id = id;
    field.insertAdjacentElement("afterend", note);
    var described = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", described ? described + " " + id : id);
  }
  return note;
}

// The visually hidden region that screen readers announce, one per field, next to its note.
function announcerOf(note) {
  var next = note.nextElementSibling;
  if (next && next.classList.contains("length-status")) { return next; }
  var announcer = document.createElement("span");
  announcer.className = "visually-hidden length-status";
  announcer.setAttribute("aria-live", "polite");
  note.insertAdjacentElement("afterend", announcer);
  return announcer;
}

var timers = new WeakMap();

// Bring one field's note up to date; ``announce`` also tells screen readers, after a pause.
export function updateLength(field, announce) {
  var limit = parseInt(field.getAttribute("data-maxlength"), 10);
  if (!limit) { return; }
  if (field.hasAttribute("data-count")) { // its page's counter follows it; the server's note is stale now
    var served = document.getElementById(field.id + "-length");
    if (served && announce) { served.textContent = ""; }
    return;
  }
  var note = noteOf(field);
  var length = textLength(field);
  var text = describeLength(length, limit);
  note.textContent = text;
  note.classList.toggle("length-over", length > limit);
  if (!announce) { return; }
  var announcer = announcerOf(note);
  clearTimeout(timers.get(field));
  timers.set(field, setTimeout(function () { announcer.textContent = text; }, PAUSE));
}

// Follow every limited field under ``root``, as the page shows it and as people type, paste or reset
// a form. Loaded in the page's head, this runs before the pages' own scripts, which may fill fields
// (a restored draft): the first look waits until they have run.
export function setUpLengthLimits(root = document) {
  function scan() {
    root.querySelectorAll("[data-maxlength]").forEach(function (field) { updateLength(field, false); });
  }
  if (document.readyState === "complete") { scan(); } else { document.addEventListener("DOMContentLoaded", scan); }
  root.addEventListener("input", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-maxlength")) { updateLength(event.target, true); }
  });
  root.addEventListener("reset", function (event) {
    // The fields take their reset values only after the event.
    setTimeout(function () {
      event.target.querySelectorAll("[data-maxlength]").forEach(function (field) { updateLength(field, false); });
    }, 0);
  });
}

setUpLengthLimits();
