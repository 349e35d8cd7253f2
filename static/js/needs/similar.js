// Similar needs, under the statement while typing: perhaps the need is on a board already and
// deserves a vote rather than a copy. A help, not a must: failures are silent.

import { request } from "../lib/fetch.js";

const SIMILAR_DELAY = 600; // ms of quiet typing before asking for similar needs
const SIMILAR_MIN_CHARS = 8; // title and statement together, before a look-up is worth it

export function makeSimilarNeeds(form) {
  var url = form.getAttribute("data-similar-url");
  var statement = form.elements.statement;
  if (!url || !statement) { return { clear: function () {} }; }
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
  hint.textContent = "One of them may say it already: open it to check, and vote for it if it is on this board.";
  var list = document.createElement("ul");
  list.className = "similar-needs-list";
  box.append(heading, hint, list);
  region.appendChild(box);
  (statement.closest(".field") || statement).insertAdjacentElement("afterend", region);

  var timer = null;
  var lastQuery = "";
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
    latest += 1;
    var asked = latest;
    request(address.toString(), { json: true })
      .then(function (response) { return response && response.ok ? response.json() : null; })
      .then(function (answer) { if (answer && asked === latest) { show(answer.suggestions || []); } })
      .catch(function () { lastQuery = ""; }); // ask again at the next keystroke
  }

  // Text from the server goes in with textContent only: a need's title is anyone's input.
  function show(suggestions) {
    list.textContent = "";
    suggestions.slice(0, 5).forEach(function (suggestion) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.textContent = suggestion.title;
      if (/^\/[^/]/.test(suggestion.url)) { link.href = suggestion.url; } // a path of this site only
      link.target = "_blank";
      link.rel = "noopener";
      var newTab = document.createElement("span");
      newTab.className = "visually-hidden";
      newTab.textContent = " (opens in a new tab)";
      link.appendChild(newTab);
      var where = document.createElement("p");
      where.className = "meta";
      where.textContent = suggestion.where;
      var excerpt = document.createElement("p");
      excerpt.className = "similar-needs-excerpt";
      excerpt.textContent = suggestion.statement;
      item.append(link, where, excerpt);
      list.appendChild(item);
    });
    box.hidden = !list.children.length;
  }

  function clear() {
    clearTimeout(timer);
    latest += 1;
    lastQuery = "";
    list.textContent = "";
    box.hidden = true;
  }

  return { clear: clear };
}
