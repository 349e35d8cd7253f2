// The capture console's speaker: an attendee of the breakout chosen by name brings their own
// organisation, type and country (filled in and locked: the server stores the attendee's in any case);
// any other name is an outsider, whose organisation is typed or left unsaid. "Credited to" beside the
// capture button says whom the need will count for, as the speaker changes, before it is sent.
// The words are those of needs/speakers.py (credit_line), which writes the line the page starts with.

const DETAILS = ["organisation", "organisation_type", "country"];
const NOT_GIVEN = "organisation not given";

// A name as compared: case and runs of spaces ignored (the server folds the same way).
function fold(text) {
  return text.trim().split(/\s+/).join(" ").toLowerCase();
}

// Returns a function that brings the fields and the line in step with the speaker field, for when
// the form's own script has filled the form (a restored draft, the next need); it then calls ``then``
// (the characters-left notes), which it stands in for.
export function setUpSpeaker(form, then) {
  var speaker = form.elements.speaker;
  var chosenId = form.elements.attendee_id;
  var data = document.getElementById("attendee-data");
  var line = document.getElementById("credited-to");
  var hint = document.getElementById("speaker-details-hint");
  if (!speaker || !chosenId || !data || !line) { return then; }
  var attendees = JSON.parse(data.textContent);
  var fields = DETAILS.map(function (name) { return form.elements[name]; }).filter(Boolean);
  var filled = null; // the attendee's values this script put in, taken out again for an outsider

  function matching(text) {
    var wanted = fold(text);
    return attendees.filter(function (person) {
      return fold(person.name) === wanted || fold(person.label) === wanted;
    });
  }

  function fillFrom(person) {
    filled = {};
    fields.forEach(function (field) {
      field.value = person[field.name] || "";
      filled[field.name] = field.value;
      field.disabled = true;
    });
  }

  // Unlock the fields for an outsider; empty those that still hold what this script put there.
  function release() {
    fields.forEach(function (field) {
      if (filled && field.value === filled[field.name]) { field.value = ""; }
      field.disabled = false;
    });
    filled = null;
  }

  // The chosen option's words; a type's first words only ("End-user"), as the board writes them.
  function chosenText(field) {
    var option = field.options ? field.options[field.selectedIndex] : null;
    if (!option || !field.value) { return ""; }
    return field.name === "organisation_type" ? option.textContent.split(" (")[0] : option.textContent;
  }

  function outsiderLine(name) {
    var organisation = form.elements.organisation ? form.elements.organisation.value.trim() : "";
    var parts = [organisation || NOT_GIVEN];
    ["organisation_type", "country"].forEach(function (fieldName) {
      var text = form.elements[fieldName] ? chosenText(form.elements[fieldName]) : "";
      if (text) { parts.push(text); }
    });
    return "Credited to: " + name.trim() + ", an outsider, " + parts.join(" · ");
  }

  function sync() {
    var name = speaker.value;
    var found = name.trim() ? matching(name) : [];
    var person = found.length === 1 ? found[0] : null;
    chosenId.value = person ? String(person.id) : "";
    if (person) { fillFrom(person); } else { release(); }
    var text;
    if (!name.trim()) {
      text = "Credited to: no one yet. Type who said it.";
    } else if (person) {
      text = person.credit;
    } else if (found.length > 1) {
      text = "Credited to: not decided yet. " + found.length + " attendees are called " + name.trim() +
        ": choose one from the list, where each shows their organisation.";
    } else {
      text = outsiderLine(name);
    }
    // Written only when it changes, so that a screen reader hears each change once.
    if (line.textContent !== text) { line.textContent = text; }
    if (hint) {
      var kind = person ? "attendee" : name.trim() && !found.length ? "outsider" : "none";
      hint.textContent = (hint.getAttribute("data-" + kind) || "").replace("{name}", person ? person.name : "");
    }
  }

  // After the fields changed, the characters-left notes under them follow (``then``).
  function update() {
    sync();
    then();
  }

  keepFocusInView(form);
  speaker.addEventListener("input", update);
  speaker.addEventListener("change", update);
  fields.forEach(function (field) {
    field.addEventListener("input", update);
    field.addEventListener("change", update);
  });
  update();
  return update;
}

// On a laptop the capture button and the "Credited to" line stay at the bottom of the screen (CSS,
// position: sticky). A field that takes the focus behind that bar is scrolled up above it: the
// browser scrolls only what is off screen, and the bar is on screen.
function keepFocusInView(form) {
  var bar = form.querySelector(".capture-submit");
  if (!bar) { return; }
  form.addEventListener("focusin", function (event) {
    if (bar.contains(event.target) || window.getComputedStyle(bar).position !== "sticky") { return; }
    var hidden = event.target.getBoundingClientRect().bottom - bar.getBoundingClientRect().top;
    if (hidden > 0) { window.scrollBy(0, hidden + 12); }
  });
}
