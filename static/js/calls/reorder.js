// Moving challenges and domains without a reload. A move button's form is sent in the background,
// asking for JSON; the server stores the move and answers with the call's whole order, which the page
// then shows: the items in place, their numbers, the buttons at either end, and in each form the order
// it was sent from (the server refuses a move from an order that changed meanwhile, 409, and sends the
// current one). The move is announced in the status line, and the focus stays on the button pressed.
//
// The page without this script hides the buttons that cannot move (the first's "up", the last's "down").
// Here they stay in place, marked aria-disabled: a button never slides under the pointer or away from
// the keyboard's focus when its item reaches an end, so a press too many says so and moves nothing back.

import { errorOf, postForm, readJSON } from "../lib/fetch.js";

export function setUpReorder(section) {
  if (!section || !section.hasAttribute("data-reorder")) { return; }
  var boxes = section.querySelector("[data-domains]");
  var status = document.getElementById("call-order-status");
  var queue = Promise.resolve();
  var round = 0; // moves pressed before a refusal are dropped: they were meant for the order before it

  function say(text) { if (status) { status.textContent = text; } }

  function send(form) {
    var kind = form.getAttribute("data-move");
    var id = form.getAttribute("data-id");
    var direction = form.getAttribute("data-direction");
    return postForm(form).then(function (response) {
      if (!response) { return refused("No connection: nothing moved. Try again when it is back."); }
      if (response.redirected) { return refused("You are no longer logged in: reload the page and log in again. Nothing moved."); }
      return readJSON(response).then(function (answer) {
        if (!answer) { return refused("The move could not be saved (error " + response.status + "). Reload the page and try again."); }
        if (answer.order && !redraw(boxes, answer.order)) {
          return refused("This call changed meanwhile (a challenge was added or removed): reload the page to see it as it is now.");
        }
        if (!response.ok) {
          refused(errorOf(answer, "The move could not be saved (error " + response.status + ")."));
        } else {
          say(answer.message || "");
          if (window.history && window.history.replaceState) { window.history.replaceState(null, "", "#" + kind + "-" + id); }
        }
        keepFocus(kind, id, direction);
        return null;
      });
    });
  }

  // The order the page shows, with every button in place: those at the ends are marked, not hidden.
  markAll(boxes);

  function refused(message) {
    round += 1;
    say(message);
    return null;
  }

  section.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-move")) { return; }
    event.preventDefault();
    var button = form.querySelector("button");
    if (button && button.getAttribute("aria-disabled") === "true") { say(atEnd(form, button)); return; }
    var ticket = round;
    // One move at a time, in the order pressed: each is sent from the order the one before left.
    queue = queue.then(function () { return ticket === round ? send(form) : null; }).catch(function () {
      refused("The move could not be saved. Reload the page and try again.");
    });
  });
}

// What a press on a button at an end says: "“Radar” is already first in its domain."
function atEnd(form, button) {
  var named = button.querySelector(".visually-hidden");
  var name = named ? named.textContent.trim() : "It";
  var end = form.getAttribute("data-direction") === "up" ? "first" : "last";
  if (form.getAttribute("data-move") === "domain") { return "The domain " + name + " is already " + end + "."; }
  return name + " is already " + end + " in its domain.";
}

// Mark the buttons of every domain and challenge as the page shows them now (nothing is sent).
function markAll(boxes) {
  var domains = Array.from(boxes.querySelectorAll("[data-domain-id]"));
  var domainsSeen = domains.map(function (box) { return box.getAttribute("data-domain-id"); }).join(",");
  domains.forEach(function (box, index) {
    markMoves(box.querySelectorAll(".call-domain-head form[data-move=domain]"), index, domains.length, domainsSeen);
    var items = Array.from(box.querySelectorAll("[data-challenge-id]"));
    var seen = items.map(function (item) { return item.getAttribute("data-challenge-id"); }).join(",");
    items.forEach(function (item, position) {
      markMoves(item.querySelectorAll("form[data-move=challenge]"), position, items.length, seen);
    });
  });
}

// Show the order the server sent. False when it holds other challenges or domains than the page does.
function redraw(boxes, order) {
  var count = order.reduce(function (sum, group) { return sum + group.challenges.length; }, 0);
  if (boxes.querySelectorAll("[data-domain-id]").length !== order.length) { return false; }
  if (boxes.querySelectorAll("[data-challenge-id]").length !== count) { return false; }
  var found = order.map(function (group) {
    return {
      group: group,
      box: document.getElementById("domain-" + group.domain_id),
      items: group.challenges.map(function (challenge) { return document.getElementById("challenge-" + challenge.id); }),
    };
  });
  var missing = found.some(function (place) {
    return !place.box || !boxes.contains(place.box) || place.items.some(function (item) { return !item || !boxes.contains(item); });
  });
  if (missing) { return false; }

  var domainsSeen = order.map(function (group) { return group.domain_id; }).join(",");
  found.forEach(function (place, index) {
    putAt(boxes, place.box, index);
    place.box.querySelector("h3 [data-number]").textContent = String(place.group.number);
    markMoves(place.box.querySelectorAll(".call-domain-head form[data-move=domain]"), index, found.length, domainsSeen);
    var list = place.box.querySelector("ol");
    var seen = place.group.challenges.map(function (challenge) { return challenge.id; }).join(",");
    place.items.forEach(function (item, position) {
      putAt(list, item, position);
      item.querySelector("h4 [data-number]").textContent = place.group.challenges[position].number;
      markMoves(item.querySelectorAll("form[data-move=challenge]"), position, place.items.length, seen);
    });
  });
  return true;
}

// Put ``element`` at ``index`` among its parent's children, moving it only when it is elsewhere.
function putAt(parent, element, index) {
  var current = parent.children[index];
  if (current !== element) { parent.insertBefore(element, current || null); }
}

// The buttons of the item at ``index`` of ``count``: the first's "up" and the last's "down" cannot move.
function markMoves(forms, index, count, seen) {
  forms.forEach(function (form) {
    var direction = form.getAttribute("data-direction");
    var end = (direction === "up" && index === 0) || (direction === "down" && index === count - 1);
    form.hidden = false;
    var button = form.querySelector("button");
    if (button) { button.setAttribute("aria-disabled", end ? "true" : "false"); }
    var field = form.querySelector("input[name=seen]");
    if (field) { field.value = seen; }
  });
}

// After a move the focus stays on the button pressed, which moved with its item (else on the item).
function keepFocus(kind, id, direction) {
  var item = document.getElementById(kind + "-" + id);
  if (!item) { return; }
  var form = item.querySelector("form[data-move=" + kind + "][data-direction=" + direction + "]");
  var button = form ? form.querySelector("button") : null;
  (button || item).focus();
}
