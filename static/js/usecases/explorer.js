// The needs explorer: ticks kept while the organiser pages, filters and searches.
// The server keeps the ticked needs in the URL (need=…): every link and form of the page carries
// them, and needs ticked elsewhere travel as hidden fields of the synthesis form. This script keeps
// those links and fields in step with each tick, so that a tick is never lost by moving on; without
// it the ticks of the page still reach "Create", "Merge" and "Add" from that page.

var form = document.getElementById("synthesis-form");
var filters = document.getElementById("explorer-filters");

function ticked() {
  // The needs ticked: first those ticked elsewhere (in the order ticked), then this page's.
  var ids = [];
  form.querySelectorAll("input[type='hidden'][name='need']").forEach(function (field) { ids.push(field.value); });
  document.querySelectorAll("input[type='checkbox'][name='need'][form='synthesis-form']").forEach(function (box) {
    if (box.checked && ids.indexOf(box.value) < 0) { ids.push(box.value); }
  });
  return ids;
}

function withChoice(href, ids) {
  var url = new URL(href, window.location.href);
  url.searchParams.delete("need");
  ids.forEach(function (id) { url.searchParams.append("need", id); });
  return url.pathname + url.search + url.hash;
}

function refresh() {
  var ids = ticked();
  var explorer = form.getAttribute("data-explorer-url");
  document.querySelectorAll("a[href]").forEach(function (link) {
    var url = new URL(link.href, window.location.href);
    if (url.origin === window.location.origin && url.pathname === explorer && !link.hasAttribute("data-clear-choice")) {
      link.setAttribute("href", withChoice(link.getAttribute("href"), ids));
    }
  });
  if (filters) {
    filters.querySelectorAll("input[data-chosen]").forEach(function (field) { field.remove(); });
    ids.forEach(function (id) {
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = "need";
      field.value = id;
      field.setAttribute("data-chosen", "");
      filters.appendChild(field);
    });
  }
  var count = form.querySelector("[data-chosen-count]");
  if (count) {
    var elsewhere = form.querySelectorAll("input[type='hidden'][name='need']").length;
    var text = ids.length === 0
      ? "None ticked yet: ticks stay while you page, filter and search."
      : ids.length + (ids.length === 1 ? " need ticked" : " needs ticked")
        + (elsewhere ? ", " + elsewhere + " of them on other pages or outside these filters" : "") + ". ";
    count.textContent = text;
    if (ids.length) {
      var clear = document.createElement("a");
      clear.href = withChoice(window.location.href, []);
      clear.textContent = "Untick all";
      clear.setAttribute("data-clear-choice", "");
      count.appendChild(clear);
    }
  }
}

if (form) {
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches && box.matches("input[type='checkbox'][name='need'][form='synthesis-form']")) { refresh(); }
  });
}
