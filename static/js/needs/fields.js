// The need form's fields: characters left, its values as pairs, filling it back, idempotency keys.

import { describeLength, textLength } from "../lib/length.js";

// Characters left, under every field that declares its limit. Returns a function that updates them
// all, for when the script itself changes the fields (a reset does not fire "input").
export function setUpCounters() {
  var updates = [];
  document.querySelectorAll("[data-count]").forEach(function (field) {
    var limit = parseInt(field.getAttribute("data-count"), 10);
    var note = document.createElement("p");
    note.className = "hint char-count";
    note.id = field.id + "-count";
    note.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", note);
    function update() {
      // Counted as the server counts (lib/length.js); past the limit, by how much to shorten it.
      var length = textLength(field);
      var left = limit - length;
      note.textContent = left >= 0
        ? left + " character" + (left === 1 ? "" : "s") + " left"
        : describeLength(length, limit);
      note.classList.toggle("char-count-low", left < limit * 0.1);
      note.classList.toggle("length-over", left < 0);
    }
    field.addEventListener("input", update);
    update();
    updates.push(update);
  });
  return function () { updates.forEach(function (update) { update(); }); };
}

// On the capture console the title takes the focus, ready for the next speaker.
export function focusConsole() {
  var speaker = document.getElementById("speaker");
  if (!document.querySelector(".capture-form .need-form") || !speaker) { return; }
  // Never take the focus from a field the facilitator is already typing in (the page may be used
  // before this script arrives on a slow connection).
  var active = document.activeElement;
  if (active && active !== document.body && active !== document.documentElement) { return; }
  var first = speaker.value ? document.getElementById("title") : speaker;
  if (first) { first.focus(); }
}

// The form's values as [name, value] pairs, in order: what a POST would send.
export function formPairs(form) {
  return Array.from(new FormData(form).entries()).filter(function (pair) { return typeof pair[1] === "string"; });
}

// The form's values as the server rendered them, whatever was typed since: a reset copy's pairs.
export function renderedPairs(form) {
  var copy = form.cloneNode(true);
  copy.reset();
  return formPairs(copy);
}

export function withoutNames(pairs, names) {
  return pairs.filter(function (pair) { return names.indexOf(pair[0]) === -1; });
}

export function valueOf(pairs, name) {
  for (var i = 0; i < pairs.length; i += 1) { if (pairs[i][0] === name) { return pairs[i][1]; } }
  return "";
}

// Put saved pairs back into the fields they came from (never the CSRF token: the page's is fresher).
export function fillForm(form, pairs) {
  var values = {};
  pairs.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
  Array.prototype.forEach.call(form.elements, function (element) {
    var name = element.name;
    if (!name || name === "csrf_token" || !Object.prototype.hasOwnProperty.call(values, name)) { return; }
    if (element.type === "radio" || element.type === "checkbox") {
      element.checked = values[name].indexOf(element.value) !== -1;
    } else if (element.type !== "submit" && element.type !== "button") {
      element.value = values[name][0];
    }
  });
}

// 32 hex characters; crypto.randomUUID exists only on https, getRandomValues everywhere.
export function newKey() {
  var bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.prototype.map.call(bytes, function (byte) { return (byte < 16 ? "0" : "") + byte.toString(16); }).join("");
}
