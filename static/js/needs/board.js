// The live board: ask about once a second whether anything changed (304 while nothing did);
// at once when the page saved a need ("board:refresh"). Votes are sent in the background.

import { errorOf, postForm, readJSON, request } from "../lib/fetch.js";

export function setUpBoard() {
  var board = document.getElementById("board");
  if (!board) { return; }
  var status = document.getElementById("board-status");
  var etag = board.getAttribute("data-etag");
  var url = board.getAttribute("data-url");
  var timer = null;
  var polling = false;
  var again = false; // a refresh asked for while a poll was on its way

  function say(text) { if (status) { status.textContent = text; } }

  function poll() {
    clearTimeout(timer);
    if (polling) { again = true; return; }
    polling = true;
    request(url, { headers: { "If-None-Match": etag }, cache: "no-store" })
      .then(function (response) {
        if (!response) { throw new Error("offline"); }
        if (response.status === 200) {
          etag = response.headers.get("ETag") || etag;
          return response.text().then(function (html) { replaceBoard(board, html); });
        }
        if (response.status !== 304) { say("The board could not be updated (" + response.status + ")."); }
        return null;
      })
      .then(function () { say(""); })
      .catch(function () { say("No connection: the board will update when it is back."); })
      .then(function () {
        polling = false;
        if (again) { again = false; poll(); } else { timer = setTimeout(poll, 1000); }
      });
  }
  timer = setTimeout(poll, 1000);
  document.addEventListener("board:refresh", poll);

  // Votes: send the form in the background and refresh the board at once.
  board.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("vote-form")) { return; }
    event.preventDefault();
    postForm(form)
      .then(function (response) {
        if (!response) { throw new Error("offline"); }
        if (!response.ok) { return readJSON(response).then(function (data) { say(errorOf(data, "The vote could not be saved (" + response.status + ").")); }); }
        return null;
      })
      .catch(function () { say("No connection: your vote was not saved."); })
      .then(poll);
  });
}

// The board's HTML comes anew at each change: what the facilitator was doing in it survives —
// the needs ticked for merging, a reason being typed, and the focus.
function replaceBoard(board, html) {
  var ticked = Array.from(board.querySelectorAll(".merge-pick input:checked")).map(function (box) { return box.value; });
  var reasons = Array.from(board.querySelectorAll(".dismiss-form input[name=reason]")).filter(function (input) {
    return input.value;
  }).map(function (input) { return [input.id, input.value]; });
  var focus = focusedPlace(board);
  board.innerHTML = html;
  board.querySelectorAll(".merge-pick input").forEach(function (box) { box.checked = ticked.indexOf(box.value) !== -1; });
  reasons.forEach(function (pair) {
    var input = document.getElementById(pair[0]);
    if (input && board.contains(input)) { input.value = pair[1]; }
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
  var within = ["h3 a", ".merge-pick input", ".dismiss-form input", ".dismiss-form button", ".vote-form button"];
  for (var i = 0; i < within.length; i += 1) {
    if (element.matches(within[i])) { return "#" + item.id + " " + within[i]; }
  }
  return null;
}
