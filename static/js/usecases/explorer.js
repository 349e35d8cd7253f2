// The needs explorer: filters applied as soon as they change, ticks kept while the organiser pages,
// filters and searches, and synthesis buttons that say why they wait.
//
// Filters. The sidebar's checkboxes and the sort belong to the search form (GET: the URL is what the
// page shows). Without this script they apply with "Apply filters"; with it, each change sends the
// form at once and the button goes. The page comes back with the focus on the checkbox (or list)
// just changed, and the number of needs found is said again, so that keyboard and screen-reader
// users carry on where they were. The search itself applies with Enter or its "Search" button, not
// at every keystroke. The chips above the results are plain links: they need nothing from here.
//
// Ticks. The server keeps the ticked needs in the URL (need=…): every link and form of the page
// carries them, and needs ticked elsewhere travel as hidden fields of the synthesis form. This
// script keeps those links and fields in step with each tick, so that a tick is never lost by
// moving on; without it the ticks of the page still reach "Create", "Merge" and "Add" from that page.
//
// Buttons. While too few needs are ticked for one of them, it is marked aria-disabled (it stays
// focusable, and is described by its reason: "Tick at least one need…"), and pressing it says that
// reason in an alert instead of opening an empty use case. Without this script the server says it.

var form = document.getElementById("synthesis-form");
var filters = document.getElementById("explorer-filters");
var FOCUS_KEY = "workshops:explorer-focus";
var NONE_TICKED = "None ticked yet: tick a need to create a use case from it or add it to one, two to merge them. "
  + "Ticks stay while you page, filter and search.";

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

function guardButtons(ids) {
  // A button that needs more ticks than there are says so instead of sending the form.
  form.querySelectorAll("button[data-needs-at-least]").forEach(function (button) {
    if (ids.length < Number(button.getAttribute("data-needs-at-least"))) {
      button.setAttribute("aria-disabled", "true");
      button.setAttribute("aria-describedby", button.getAttribute("data-reason"));
    } else {
      button.removeAttribute("aria-disabled");
      button.removeAttribute("aria-describedby");
    }
  });
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
      ? NONE_TICKED
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
  var refusal = form.querySelector("[data-refusal-line]");
  if (refusal) { refusal.textContent = ""; }
  guardButtons(ids);
}

function remember(field) {
  try {
    window.sessionStorage.setItem(FOCUS_KEY, JSON.stringify({ name: field.name, value: field.value }));
  } catch {
    // No storage (private mode): the page still filters, the focus just starts at the top.
  }
}

function recalled() {
  try {
    var raw = window.sessionStorage.getItem(FOCUS_KEY);
    window.sessionStorage.removeItem(FOCUS_KEY);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

function restoreFocus() {
  // Back from a filter change: focus what was changed (or, gone or greyed, its first sibling left),
  // then say the number of needs found again through its status line.
  var last = recalled();
  if (!last || !filters) { return; }
  var fields = Array.prototype.filter.call(filters.elements, function (field) {
    return field.name === last.name && !field.disabled && field.type !== "hidden";
  });
  var same = fields.filter(function (field) { return field.type !== "checkbox" || field.value === last.value; });
  var target = same[0] || fields[0] || document.getElementById("explorer-facets");
  var folded = target && target.closest("details:not([open])");
  if (folded) { target = folded.querySelector("summary"); }  // unticked in a folded list: its "more" line
  if (target) { target.focus(); }
  var count = document.querySelector("[data-count]");
  if (count) {
    var said = Array.prototype.slice.call(count.childNodes);
    count.replaceChildren();
    window.setTimeout(function () { count.replaceChildren.apply(count, said); }, 150);
  }
}

if (form) {
  guardButtons(ticked());
  form.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-needs-at-least]");
    if (!button || button.getAttribute("aria-disabled") !== "true") { return; }
    event.preventDefault();
    var reason = document.getElementById(button.getAttribute("data-reason"));
    form.querySelector("[data-refusal-line]").textContent = reason ? reason.textContent : "";
  });
}

if (filters) {
  document.querySelectorAll("[data-apply]").forEach(function (button) { button.hidden = true; });
  restoreFocus();
}

document.addEventListener("change", function (event) {
  var field = event.target;
  if (form && field.matches && field.matches("input[type='checkbox'][name='need'][form='synthesis-form']")) {
    refresh();
    return;
  }
  if (filters && field.form === filters && field.name !== "q" && field.type !== "hidden") {
    remember(field);
    filters.requestSubmit();
  }
});
