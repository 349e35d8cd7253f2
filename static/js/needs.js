// Breakout pages: characters left under each field, the live board, votes without a reload.
// Progressive enhancement only: every form also works without this script.
(function () {
  "use strict";

  // Characters left, under every field that declares its limit.
  document.querySelectorAll("[data-count]").forEach(function (field) {
    var limit = parseInt(field.getAttribute("data-count"), 10);
    var note = document.createElement("p");
    note.className = "hint char-count";
    note.id = field.id + "-count";
    note.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", note);
    function update() {
      var left = limit - field.value.length;
      note.textContent = left + " character" + (left === 1 ? "" : "s") + " left";
      note.classList.toggle("char-count-low", left < limit * 0.1);
    }
    field.addEventListener("input", update);
    update();
  });

  // On the capture console the title takes the focus, ready for the next speaker.
  var console_ = document.querySelector(".capture-form .need-form");
  if (console_ && document.getElementById("speaker")) {
    var first = document.getElementById("speaker").value ? document.getElementById("title") : document.getElementById("speaker");
    if (first) { first.focus(); }
  }

  // The live board: ask about once a second whether anything changed (304 while nothing did).
  var board = document.getElementById("board");
  if (!board) { return; }
  var status = document.getElementById("board-status");
  var etag = board.getAttribute("data-etag");
  var url = board.getAttribute("data-url");
  var timer = null;

  function say(text) { if (status) { status.textContent = text; } }

  function poll() {
    clearTimeout(timer);
    fetch(url, { headers: { "If-None-Match": etag, "X-Requested-With": "fetch" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 200) {
          etag = response.headers.get("ETag") || etag;
          return response.text().then(function (html) { board.innerHTML = html; });
        }
        if (response.status !== 304) { say("The board could not be updated (" + response.status + ")."); }
        return null;
      })
      .then(function () { say(""); })
      .catch(function () { say("No connection: the board will update when it is back."); })
      .finally(function () { timer = setTimeout(poll, 1000); });
  }
  timer = setTimeout(poll, 1000);

  // Votes: send the form in the background and refresh the board at once.
  board.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("vote-form")) { return; }
    event.preventDefault();
    fetch(form.action, { method: "POST", body: new FormData(form), headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 422) { return response.json().then(function (data) { say(data.error); }); }
        if (!response.ok) { say("The vote could not be saved (" + response.status + ")."); }
        return null;
      })
      .catch(function () { say("No connection: your vote was not saved."); })
      .finally(poll);
  });
})();
