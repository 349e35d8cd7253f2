// Similar needs, under the statement while typing: perhaps the need is on a board already and
// deserves a vote rather than a copy. A help, not a must: a failed look-up is silent. On the
// attendee's breakout page (inside [data-similar-votes]) each need of this board that the person may
// vote for gets "Vote for this instead", sent to the board's own vote route; the text being typed
// stays in the form, for the person to clear if the need found says it all.

import { csrfToken, errorOf, readJSON, request } from "../lib/fetch.js";

const SIMILAR_DELAY = 600; // ms of quiet typing before asking for similar needs
const SIMILAR_MIN_CHARS = 8; // title and statement together, before a look-up is worth it

export function makeSimilarNeeds(form) {
  var url = form.getAttribute("data-similar-url");
  var statement = form.elements.statement;
  if (!url || !statement) { return { clear: function () {} }; }
  // The capture console types for a speaker and the edit page changes a need: a vote there would be
  // the wrong person's, or beside the point.
  var offersVotes = Boolean(form.closest("[data-similar-votes]"));
  var votesLeft = 0;
  var region = document.createElement("div");
  region.className = "similar-needs";
  region.setAttribute("aria-live", "polite");
  var box = document.createElement("div");
  box.className = "similar-needs-box";
  box.hidden = true;
  var heading = document.createElement("h3");
  heading.textContent = "Similar needs already logged";
  var hint = document.createElement("p");
  hint.className = "hint";
  hint.textContent = offersVotes
    ? "One of them may say it already: vote for it instead of logging it again."
    : "One of them may say it already: open it to check, and vote for it if it is on this board.";
  var list = document.createElement("ul");
  list.className = "similar-needs-list";
  box.append(heading, hint, list);
  region.appendChild(box);
  (statement.closest(".field") || statement).insertAdjacentElement("afterend", region);

  var timer = null;
  var lastQuery = "";
  var lastAddress = ""; // the look-up the list shows, asked again after a refused vote
  var latest = 0; // answers may come back out of order: only the latest look-up is shown

  ["title", "statement", "context"].forEach(function (name) {
    if (form.elements[name]) { form.elements[name].addEventListener("input", later); }
  });

  function later() {
    clearTimeout(timer);
    timer = setTimeout(lookUp, SIMILAR_DELAY);
  }

  function text(name) { return form.elements[name] ? form.elements[name].value.trim() : ""; }

  function lookUp() {
    if ((text("title") + text("statement")).length < SIMILAR_MIN_CHARS) { clear(); return; }
    var address = new URL(url, window.location.href);
    ["title", "statement", "context"].forEach(function (name) { address.searchParams.set(name, text(name)); });
    var query = address.search;
    if (query === lastQuery) { return; }
    lastQuery = query;
    lastAddress = address.toString();
    latest += 1;
    var asked = latest;
    request(address.toString(), { json: true })
      .then(function (response) { return response && response.ok ? response.json() : null; })
      .then(function (answer) {
        if (!answer || asked !== latest) { return; }
        votesLeft = typeof answer.votes_left === "number" ? answer.votes_left : 0;
        show(answer.suggestions || []);
      })
      .catch(function () { lastQuery = ""; }); // ask again at the next keystroke
  }

  // Text from the server goes in with textContent only: a need's title is anyone's input.
  function show(suggestions) {
    list.textContent = "";
    suggestions.slice(0, 5).forEach(function (suggestion) {
      var item = document.createElement("li");
      var link = newTabLink(suggestion.url, suggestion.title, "");
      var where = document.createElement("p");
      where.className = "meta";
      where.textContent = suggestion.where;
      var excerpt = document.createElement("p");
      excerpt.className = "similar-needs-excerpt";
      excerpt.textContent = suggestion.statement;
      item.append(link, where, excerpt);
      if (offersVotes) {
        var actions = document.createElement("div");
        actions.className = "similar-needs-actions";
        item.appendChild(actions);
        item.similar = { suggestion: suggestion, actions: actions };
        showActions(item);
      }
      list.appendChild(item);
    });
    box.hidden = !list.children.length;
  }

  // A link to a need of this site, in a new tab (the form being typed stays as it is).
  function newTabLink(path, text, hidden) {
    var link = document.createElement("a");
    link.textContent = text;
    if (/^\/[^/]/.test(path || "")) { link.href = path; } // a path of this site only
    link.target = "_blank";
    link.rel = "noopener";
    var more = document.createElement("span");
    more.className = "visually-hidden";
    more.textContent = hidden + " (opens in a new tab)";
    link.appendChild(more);
    return link;
  }

  function line(text, className) {
    var paragraph = document.createElement("p");
    paragraph.className = className || "";
    if (text) { paragraph.textContent = text; }
    return paragraph;
  }

  // What the person can do with one suggestion: vote for it, or open it. ``outcome`` is what became
  // of a vote just sent for it ({ok} or {error}); it stays until the list changes.
  function showActions(item, outcome) {
    var suggestion = item.similar.suggestion;
    var actions = item.similar.actions;
    var title = "“" + suggestion.title + "”";
    actions.textContent = "";
    if (outcome && outcome.error) { actions.appendChild(line(outcome.error, "similar-needs-error")); }
    if (!suggestion.votable) {
      var why = suggestion.mine ? "Your own need: " : suggestion.same_board ? "" : "From another breakout: ";
      var open = line(why);
      open.appendChild(newTabLink(suggestion.url, "open it", " " + title));
      actions.appendChild(open);
    } else if (suggestion.voted && outcome && outcome.ok) {
      var left = votesLeft === 1 ? "1 vote left" : votesLeft + " votes left";
      var done = line("Your vote for it is counted (" + left + "). Your text is kept: clear it if this need says it all.", "similar-needs-done");
      done.tabIndex = -1;
      actions.appendChild(done);
      var discard = form.querySelector(".draft-line button");
      if (discard) {
        var clearButton = document.createElement("button");
        clearButton.type = "button";
        clearButton.className = "button button-small button-secondary";
        clearButton.textContent = "Clear my text";
        clearButton.addEventListener("click", function () { clearText(discard, suggestion.title); });
        actions.appendChild(clearButton);
      }
    } else if (suggestion.voted) {
      actions.appendChild(line("You have voted for it.", "similar-needs-done"));
    } else if (votesLeft < 1) {
      // After a refusal its reason is already said above: only the way to the board is added.
      var none = line(outcome && outcome.error ? "" : "You have no votes left: take one back on ");
      var board = document.createElement("a");
      board.href = "#board-title";
      board.textContent = outcome && outcome.error ? "Go to the board" : "the board";
      none.appendChild(board);
      if (!(outcome && outcome.error)) { none.append(" to vote for this one."); }
      actions.appendChild(none);
    } else {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button-small";
      button.textContent = "Vote for this instead";
      var named = document.createElement("span");
      named.className = "visually-hidden";
      named.textContent = ": " + title;
      button.appendChild(named);
      button.addEventListener("click", function () { vote(item, button); });
      actions.appendChild(button);
    }
  }

  // Through the board's vote route, as the board's Vote button would; the answer shows in place.
  function vote(item, button) {
    var suggestion = item.similar.suggestion;
    if (!/^\/[^/]/.test(suggestion.vote_url || "")) { return; }
    button.disabled = true;
    var body = new FormData();
    body.append("csrf_token", csrfToken(form));
    request(suggestion.vote_url, { method: "POST", body: body, json: true, token: csrfToken(form) })
      .then(function (response) {
        if (!response) { return { error: "No connection: your vote was not saved. Try again when the connection is back.", again: true }; }
        if (response.redirected) { return { error: "You are no longer logged in: log in again in another tab, then vote.", again: true }; }
        if (response.ok) { return { ok: true }; }
        if (response.status === 400) { return { error: "Your vote was not saved: reload the page, then vote again.", again: true }; }
        return readJSON(response).then(function (answer) {
          return { error: errorOf(answer, "Your vote was not saved (error " + response.status + ")."), status: response.status };
        });
      })
      .then(function (outcome) {
        if (outcome.ok) {
          suggestion.voted = true;
          votesLeft = Math.max(0, votesLeft - 1); // unless the server says otherwise just below
          document.dispatchEvent(new CustomEvent("board:refresh"));
        }
        // The votes left and what may be done with each need now, from the server: a vote given in
        // another tab, the limit reached, a need closed or merged meanwhile.
        return outcome.again ? outcome : refreshed().then(function () { return outcome; });
      })
      .then(function (outcome) {
        Array.prototype.forEach.call(list.children, function (other) {
          if (other.similar) { showActions(other, other === item ? outcome : null); }
        });
        var said = item.similar.actions.querySelector(".similar-needs-done, .similar-needs-error");
        var retry = item.similar.actions.querySelector("button");
        if (outcome.again && retry) { retry.focus(); } else if (said) { said.tabIndex = -1; said.focus(); }
      });
  }

  // The listed needs' standing asked again (votes left, votable, voted), kept in the items shown.
  function refreshed() {
    if (!lastAddress) { return Promise.resolve(); }
    return request(lastAddress, { json: true })
      .then(function (response) { return response && response.ok ? response.json() : null; })
      .then(function (answer) {
        if (!answer) { return; }
        votesLeft = typeof answer.votes_left === "number" ? answer.votes_left : votesLeft;
        var fresh = {};
        (answer.suggestions || []).forEach(function (suggestion) { fresh[suggestion.id] = suggestion; });
        Array.prototype.forEach.call(list.children, function (item) {
          var now = item.similar && fresh[item.similar.suggestion.id];
          if (now) { item.similar.suggestion = now; } else if (item.similar) { item.similar.suggestion.votable = false; }
        });
      })
      .catch(function () {});
  }

  // The form's own "Discard draft" (form.js): it empties the form, forgets the draft and clears this list.
  function clearText(discard, title) {
    discard.click();
    var notice = document.getElementById("need-form-notice");
    if (notice) {
      notice.textContent = "Your vote for “" + title + "” is counted; the form is empty for your next need.";
      notice.className = "form-notice form-notice-ok";
    }
  }

  function clear() {
    clearTimeout(timer);
    latest += 1;
    lastQuery = "";
    lastAddress = "";
    list.textContent = "";
    box.hidden = true;
  }

  return { clear: clear };
}
