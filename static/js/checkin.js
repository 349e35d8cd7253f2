/* Check-in at the door, enhanced: results follow the typing, and a tap checks in without a reload.
 * Without this script the page works the same with full page loads (GET ?q=…, POST and redirect).
 * A classic script (the page's markup says so); the site's fetch helper comes in as a module. */
import("./lib/fetch.js").then(function (site) {
  "use strict";

  var search = document.querySelector("[data-checkin-search]");
  var results = document.getElementById("checkin-results");
  var announce = document.getElementById("checkin-announce");
  if (!search || !results || !window.DOMParser) {
    return;
  }
  var input = search.querySelector("input[name=q]");
  var timer = null;
  var pending = null;
  var DEBOUNCE_MS = 200;

  function say(message) {
    announce.textContent = "";
    window.setTimeout(function () { announce.textContent = message; }, 50);
  }

  function showResults(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var list = doc.getElementById("checkin-list");
    var current = document.getElementById("checkin-list");
    if (list && current) {
      current.replaceWith(document.adoptNode(list));
    }
  }

  function find() {
    var query = input.value.trim();
    var url = new URL(search.getAttribute("data-results-url"), window.location.href);
    url.searchParams.set("q", query);
    if (pending) {
      pending.abort();
    }
    pending = new AbortController();
    site.request(url, { signal: pending.signal })
      .then(function (response) {
        if (!response || !response.ok) {
          throw new Error(String(response.status));
        }
        return response.text();
      })
      .then(function (html) {
        showResults(html);
        var page = new URL(window.location.href);
        if (query) { page.searchParams.set("q", query); } else { page.searchParams.delete("q"); }
        window.history.replaceState(null, "", page);
        var found = results.querySelectorAll(".checkin-row").length;
        if (query) { say(found === 1 ? "1 person found" : found + " people found"); }
      })
      .catch(function (error) {
        if (error.name !== "AbortError") {
          say("The search did not answer. Press Find to try again.");
        }
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(find, DEBOUNCE_MS);
  });

  search.addEventListener("submit", function (event) {
    event.preventDefault();
    window.clearTimeout(timer);
    find();
  });

  // Typed before this script arrived (a slow connection at the door): search for it now.
  var served = new URL(window.location.href).searchParams.get("q") || "";
  if (input.value.trim() !== served.trim()) { find(); }

  function countArrival(change) {
    var arrivals = document.getElementById("arrivals");
    if (!arrivals || !change) {
      return;
    }
    var checkedIn = Number(arrivals.dataset.checkedIn) + change;
    var confirmed = Number(arrivals.dataset.confirmed);
    arrivals.dataset.checkedIn = String(checkedIn);
    arrivals.textContent = checkedIn + " of " + confirmed + " confirmed " +
      (confirmed === 1 ? "person" : "people") + " checked in.";
  }

  function showState(form, checkedIn, label) {
    var row = form.closest(".checkin-row");
    var before = row.classList.contains("is-checked-in");
    countArrival(checkedIn === before ? 0 : (checkedIn ? 1 : -1));
    var button = form.querySelector("button");
    var note = row.querySelector(".checkin-error");
    if (note) {
      note.remove();
    }
    row.classList.toggle("is-checked-in", checkedIn);
    row.querySelector(".checkin-status").textContent = label;
    form.action = checkedIn ? form.dataset.undoUrl : form.dataset.checkInUrl;
    button.classList.toggle("button-secondary", checkedIn);
    button.querySelector(".checkin-action").textContent = checkedIn ? "Undo check-in" : "Check in";
    say(row.querySelector(".checkin-name").textContent + ": " + label);
  }

  function showError(form, message) {
    var row = form.closest(".checkin-row");
    var note = row.querySelector(".checkin-error");
    if (!note) {
      note = document.createElement("p");
      note.className = "checkin-error";
      row.appendChild(note);
    }
    note.textContent = message;
    say(message);
  }

  results.addEventListener("submit", function (event) {
    var form = event.target.closest(".checkin-form");
    if (!form) {
      return;
    }
    event.preventDefault();
    var button = form.querySelector("button");
    if (button.disabled) {
      return;
    }
    button.disabled = true;
    site.postForm(form, { token: results.dataset.csrf })
      .then(function (response) {
        if (!response) {
          throw new TypeError("offline");
        }
        return site.readJSON(response).then(function (data) {
          if (!response.ok) {
            throw new Error(site.errorOf(data, response.status === 409
              ? "Busy, please try again."
              : "That did not work. Reload the page and try again."));
          }
          return data;
        });
      })
      .then(function (data) {
        showState(form, Boolean(data.checked_in_at), data.label);
      })
      .catch(function (error) {
        // fetch() itself fails with a TypeError when the venue's wifi drops.
        showError(form, error instanceof TypeError ? "No connection: please try again." : error.message);
      })
      .finally(function () {
        button.disabled = false;
      });
  });
});
