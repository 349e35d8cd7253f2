// The breakout page's anchor bar ("Log a need · The board (12)"): its count of needs follows the
// live board, whose list board.js replaces whole at each change. The anchors work without this script.

export function setUpJumpBar() {
  var count = document.querySelector(".breakout-jump [data-board-count]");
  var board = document.getElementById("board");
  if (!count || !board) { return; }
  function update() { count.textContent = String(board.querySelectorAll(".board-need").length); }
  new MutationObserver(update).observe(board, { childList: true });
}

setUpJumpBar();
