// Adding use cases in the order they are ticked. A browser sends the ticked boxes in the page's order,
// whatever the order they were ticked in: that order goes along in the form's hidden "order" field,
// and a number beside each ticked box shows its turn. Without this script the list's order is used.

export function setUpPicking(form) {
  if (!form) { return; }
  var field = form.querySelector("input[name=order]");
  var boxes = Array.from(form.querySelectorAll("input[name=use_case_id]"));
  if (!field || !boxes.length) { return; }
  // Boxes the browser ticked again by itself (back to the page) come first, in the list's order.
  var order = boxes.filter(function (box) { return box.checked; }).map(function (box) { return box.value; });

  function show() {
    field.value = order.join(",");
    boxes.forEach(function (box) {
      var badge = box.closest("label").querySelector(".call-pick-turn");
      if (!badge) { return; }
      var turn = order.indexOf(box.value);
      badge.hidden = turn === -1;
      badge.querySelector("[data-turn]").textContent = turn === -1 ? "" : String(turn + 1);
    });
  }

  form.addEventListener("change", function (event) {
    var box = event.target;
    if (boxes.indexOf(box) === -1) { return; }
    var at = order.indexOf(box.value);
    if (box.checked && at === -1) { order.push(box.value); }
    if (!box.checked && at !== -1) { order.splice(at, 1); }
    show();
  });

  var hint = form.querySelector("[data-hint-ticked]");
  if (hint) { hint.textContent = hint.getAttribute("data-hint-ticked"); }
  show();
}
