// The live board: ask about once a second whether anything changed (304 while nothing did);
// at once when the page saved a need ("board:refresh"). Votes are sent in the background.
//
// Two places speak, and neither wipes the other: the poll's status (#board-status: the connection)
// and the person's message (#board-message, #merge-message: what their own last action did), which
// stays on screen until their next click or key press, however many polls come in between.

import { errorOf, postForm, readJSON, request } from "../lib/fetch.js";

export function setUpBoard() {
  setUpMergeCheck();
  var board = document.getElementById("board");
  if (!board) { return; }
  var status = document.getElementById("board-status");
  var etag = board.getAttribute("data-etag");
  var url = board.getAttribute("data-url");
  var timer = null;
  var polling = false;
  var again = false; // a refresh asked for while a poll was on its way
  var waiting = []; // what to do once the board shows the latest change (see refreshThen)

  function setStatus(text) { if (status) { status.textContent = text; } }

  function poll() {
    clearTimeout(timer);
    if (polling) { again = true; return; }
    polling = true;
    var after = waiting;
    waiting = [];
    request(url, { headers: { "If-None-Match": etag }, cache: "no-store" })
      .then(function (response) {
        if (!response) { throw new Error("offline"); }
        if (response.status === 200) {
          etag = response.headers.get("ETag") || etag;
          return response.text().then(function (html) { replaceBoard(board, html); });
        }
        if (response.status !== 304) { throw new Error("status " + response.status); }
        return null;
      })
      .then(function () { setStatus(""); }, function (error) {
        setStatus(error.message === "offline"
          ? "No connection: the board will update when it is back."
          : "The board could not be updated (" + error.message.replace("status ", "") + ").");
      })
      .then(function () {
        after.forEach(function (callback) { callback(); });
        polling = false;
        if (again) { again = false; poll(); } else { timer = setTimeout(poll, 1000); }
      });
  }
  // Run ``callback`` after a poll that starts from now on, so that it reads the board as it is after
  // the person's change (a poll already under way may have left before the change was made).
  function refreshThen(callback) {
    waiting.push(callback);
    poll();
  }
  timer = setTimeout(poll, 1000);
  document.addEventListener("board:refresh", poll);

  // Votes: send the form in the background, refresh the board, then say what happened.
  board.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("vote-form")) { return; }
    event.preventDefault();
    // One vote per press, even pressed twice (not by disabling the button: it would lose the focus).
    if (form.sending) { return; }
    form.sending = true;
    var taking = /\/unvote$/.test(form.action);
    var title = needTitle(form);
    postForm(form)
      .then(function (response) {
        if (!response) { return function () { return "No connection: your vote was not saved. Try again when it is back."; }; }
        if (!response.ok) {
          return readJSON(response).then(function (data) {
            var refusal = errorOf(data, "The vote could not be saved (" + response.status + ").");
            return function () { return refusal; };
          });
        }
        return function () { return (taking ? "You took back your vote for “" : "Your vote for “") + title + (taking ? "”. " : "” is saved. ") + votesLeftSentence(board); };
      })
      .then(function (message) {
        refreshThen(function () {
          form.sending = false; // the board was not replaced: the same form may be sent again
          tellPerson(document.getElementById("board-message"), message());
        });
      });
  });

  // Dismissing: opening the disclosure goes to its reason; Escape closes it and goes back to Dismiss.
  // A disclosure opened again by replaceBoard leaves the focus where it is.
  board.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.classList || !details.classList.contains("dismiss")) { return; }
    if (details.reopened) { details.reopened = false; return; }
    if (!details.open) { return; }
    var reason = details.querySelector("input[name=reason]");
    if (reason) { reason.focus(); }
  }, true);
  board.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var details = event.target.closest ? event.target.closest("details.dismiss[open]") : null;
    if (!details) { return; }
    details.open = false;
    details.querySelector("summary").focus();
  });
}

// The title of the need a form acts on, as the board shows it.
function needTitle(form) {
  var heading = form.closest(".board-need");
  var link = heading ? heading.querySelector("h3") : null;
  return link ? link.textContent.trim() : "this need";
}

// "You have 1 vote left of 3." from the board as it now is (the server's count, not a guess).
function votesLeftSentence(board) {
  var line = board.querySelector("#votes-left");
  if (!line || !line.hasAttribute("data-left")) { return ""; }
  var left = parseInt(line.getAttribute("data-left"), 10);
  var of = parseInt(line.getAttribute("data-of"), 10);
  if (left <= 0) { return "That was your last vote: take one back to vote for another need."; }
  return "You have " + left + " vote" + (left === 1 ? "" : "s") + " left of " + of + ".";
}

// Show a message meant for the person until their next click or key press (modifier keys alone,
// as when starting a shortcut, do not count). The poll never touches it.
function tellPerson(place, text) {
  if (!place) { return; }
  place.textContent = text;
  if (place.clearsOnNextAction) { return; }
  place.clearsOnNextAction = true;
  function clear(event) {
    if (event.type === "keydown" && ["Shift", "Control", "Alt", "Meta"].indexOf(event.key) !== -1) { return; }
    place.textContent = "";
    place.clearsOnNextAction = false;
    document.removeEventListener("click", clear, true);
    document.removeEventListener("keydown", clear, true);
  }
  // Listening from the next turn on: the click or key press that led to this message is over.
  setTimeout(function () {
    document.addEventListener("click", clear, true);
    document.addEventListener("keydown", clear, true);
  }, 0);
}

// "Merge the ticked needs" with fewer than two ticked: said beside the button, nothing sent. The
// server says the same when the script is not there (and goes back to the console).
function setUpMergeCheck() {
  var form = document.getElementById("merge-form");
  if (!form) { return; }
  form.addEventListener("submit", function (event) {
    var ticked = document.querySelectorAll("input[name=need][form=merge-form]:checked").length;
    if (ticked >= 2) { return; }
    event.preventDefault();
    var message = document.getElementById("merge-message");
    tellPerson(message, "Tick at least two needs on the board to merge them: " + (ticked ? "only one is ticked." : "none is ticked."));
  });
}

// The board's HTML comes anew at each change: what the facilitator was doing in it survives —
// the needs ticked for merging, a dismiss box opened and its reason being typed, and the focus.
function replaceBoard(board, html) {
  var ticked = Array.from(board.querySelectorAll(".merge-pick input:checked")).map(function (box) { return box.value; });
  var opened = Array.from(board.querySelectorAll("details.dismiss[open]")).map(function (details) { return details.id; });
  var reasons = Array.from(board.querySelectorAll(".dismiss-form input[name=reason]")).filter(function (input) {
    return input.value;
  }).map(function (input) { return [input.id, input.value, input.selectionStart, input.selectionEnd]; });
  var focus = focusedPlace(board);
  board.innerHTML = html;
  board.querySelectorAll(".merge-pick input").forEach(function (box) { box.checked = ticked.indexOf(box.value) !== -1; });
  opened.forEach(function (id) {
    var details = document.getElementById(id);
    if (details && board.contains(details)) { details.reopened = true; details.open = true; }
  });
  reasons.forEach(function (kept) {
    var input = document.getElementById(kept[0]);
    if (input && board.contains(input)) {
      input.value = kept[1];
      input.dispatchEvent(new Event("input", { bubbles: true })); // its length note
      input.setSelectionRange(kept[2], kept[3]);
    }
  });
  if (focus) {
    var again = board.querySelector(focus);
    if (again) { again.focus(); }
  }
}

// Where the focus was in the board, as a selector that finds the same control in the new HTML.
function focusedPlace(board) {
  var element = document.activeElement;
  var item = element && board.contains(element) ? element.closest(".board-need") : null;
  if (!item || !item.id) { return null; }
  var within = ["h3 a", ".merge-pick input", ".dismiss summary", ".dismiss-form input", ".dismiss-form button", ".vote-form button"];
  for (var i = 0; i < within.length; i += 1) {
    if (element.matches(within[i])) { return "#" + item.id + " " + within[i]; }
  }
  return null;
}
