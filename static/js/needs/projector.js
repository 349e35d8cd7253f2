// The projector wall. It asks about once a second whether the board changed (304 while nothing did,
// the same poll as the breakout page's board, copied from needs/board.js without its votes and
// facilitator tools), and turns the pages of the needs that do not fit on the screen every PAGE_MS,
// while the most-voted ones stay pinned above them. A change keeps the page the room is reading and
// the time it has left: new needs slip in without a jump back to page 1.
//
// Nothing on the wall is a link or a control, since the room only reads it. A facilitator leaves it
// with the browser's Back or with Esc, which a hint says for a few seconds at the start and again
// whenever the keyboard or the mouse is touched.

import { request } from "../lib/fetch.js";

const POLL_MS = 1000;
const PAGE_MS = 12000;
const HINT_MS = 6000;
const NEW_MS = 30000; // how long a need that just arrived is marked as new
// The screens on which the page never scrolls and pages instead (the same query as projector.css).
const WALL = window.matchMedia("(min-width: 1000px) and (min-height: 560px)");

function setUpWall() {
  const board = document.getElementById("board");
  if (!board) { return; }
  const status = document.getElementById("board-status");
  const url = board.getAttribute("data-url");
  let etag = board.getAttribute("data-etag");
  let page = 0;
  let pages = 1;
  let pageStart = Date.now();
  let turnTimer = null;
  // When each need was first on the wall: those there at the start count as old.
  const arrived = new Map();
  board.querySelectorAll(".wall-need").forEach((card) => arrived.set(card.getAttribute("data-need"), 0));

  function say(text) { if (status) { status.textContent = text; } }

  function layOut() {
    markNew(board, arrived);
    const list = board.querySelector(".wall-list-paged");
    if (!list) { pages = 1; page = 0; return; }
    const cards = Array.from(list.children);
    list.classList.toggle("is-fitted", WALL.matches);
    const perPage = WALL.matches ? fit(list) : cards.length;
    pages = Math.max(1, Math.ceil(cards.length / perPage));
    // Fewer pages than a moment ago: stay as near as can be to where the room was reading.
    page = Math.min(page, pages - 1);
    cards.forEach((card, index) => { card.hidden = Math.floor(index / perPage) !== page; });
    showPager(list.closest(".wall-paged"));
    giveLongTitlesALine(board);
  }

  // The page indicator and its bar, which goes on where it was when the board's HTML came anew.
  function showPager(part) {
    const label = part.querySelector(".wall-page");
    const progress = part.querySelector(".wall-progress");
    label.hidden = progress.hidden = pages < 2;
    label.textContent = "Page " + (page + 1) + " of " + pages;
    const bar = document.createElement("span");
    bar.className = "wall-progress-bar";
    bar.style.animationDuration = PAGE_MS + "ms";
    bar.style.animationDelay = -(Date.now() - pageStart) + "ms";
    bar.style.setProperty("--fraction", String((page + 1) / pages));
    progress.replaceChildren(bar);
  }

  function turn() {
    pageStart = Date.now();
    if (pages > 1) {
      page = (page + 1) % pages;
      const list = board.querySelector(".wall-list-paged");
      if (list) { list.classList.add("is-turning"); } // only now: a poll's new HTML never fades in
    }
    layOut();
    turnTimer = setTimeout(turn, PAGE_MS);
  }

  function poll() {
    request(url, { headers: { "If-None-Match": etag }, cache: "no-store" })
      .then((response) => {
        if (!response) { throw new Error("offline"); }
        if (response.status === 200) {
          etag = response.headers.get("ETag") || etag;
          return response.text().then((html) => {
            board.innerHTML = html;
            layOut(); // before the next paint: the wall never shows the new HTML unpaged
            say("");
          });
        }
        say(response.status === 304 ? "" : "The board could not be updated (" + response.status + ").");
        return null;
      })
      .catch(() => say("No connection: the board will update when it is back."))
      .then(() => { setTimeout(poll, POLL_MS); });
  }

  layOut();
  turnTimer = setTimeout(turn, PAGE_MS);
  setTimeout(poll, POLL_MS);

  let pending = false;
  function layOutSoon() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(() => {
      pending = false;
      giveLongTitlesALine(board, true);
      layOut();
    });
  }
  window.addEventListener("resize", layOutSoon);
  WALL.addEventListener("change", layOutSoon);
  // A page left in the background comes back on a fresh page turn, not half-way through an old one.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") { return; }
    clearTimeout(turnTimer);
    pageStart = Date.now();
    layOut();
    turnTimer = setTimeout(turn, PAGE_MS);
  });
}

// How many cards fit in the list's height, in whole rows of its columns; the rows then share the height.
function fit(list) {
  const style = window.getComputedStyle(list);
  const columns = style.gridTemplateColumns.split(" ").filter(Boolean).length || 1;
  const row = parseFloat(style.gridAutoRows) || 1;
  const gap = parseFloat(style.rowGap) || 0;
  const rows = Math.max(1, Math.floor((list.clientHeight + gap) / (row + gap)));
  list.style.setProperty("--rows", String(rows));
  return rows * columns;
}

// A title cut after two lines takes a third from the statement: what the need is matters more from afar.
// Measured once a card is on screen (a hidden one has no size); ``forget`` measures all again.
function giveLongTitlesALine(board, forget = false) {
  board.querySelectorAll(".wall-need").forEach((card) => {
    if (forget) { card.classList.remove("has-long-title"); delete card.dataset.measured; }
    if (card.hidden || card.dataset.measured) { return; }
    const title = card.querySelector(".wall-title");
    card.dataset.measured = "1";
    card.classList.toggle("has-long-title", title.scrollHeight > title.clientHeight + 1);
  });
}

function markNew(board, arrived) {
  const now = Date.now();
  board.querySelectorAll(".wall-need").forEach((card) => {
    const id = card.getAttribute("data-need");
    if (!arrived.has(id)) { arrived.set(id, now); }
    card.classList.toggle("is-new", arrived.get(id) > 0 && now - arrived.get(id) < NEW_MS);
  });
}

// Esc leaves the wall: for the capture console if a facilitator opened it, else for the breakout page.
function setUpLeaving() {
  const hint = document.getElementById("wall-hint");
  const leave = document.body.getAttribute("data-leave-url");
  let hideTimer = null;
  function showHint() {
    if (!hint) { return; }
    hint.hidden = false;
    clearTimeout(hideTimer);
    hideTimer = setTimeout(() => { hint.hidden = true; }, HINT_MS);
  }
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && leave && !event.defaultPrevented) {
      window.location.assign(leave);
      return;
    }
    showHint();
  });
  let lastMove = 0;
  document.addEventListener("pointermove", () => {
    const now = Date.now();
    if (now - lastMove > 1000) { lastMove = now; showHint(); }
  });
  showHint();
}

setUpWall();
setUpLeaving();
