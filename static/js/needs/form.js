// The need form: drafts kept in the browser, saving in the background, an outbox while offline.
// Progressive enhancement only: the form also works without this script.

import { postPairs, request, withToken } from "../lib/fetch.js";
import { forgetStored, readStored, writeStored } from "../lib/storage.js";
import { fillForm, formPairs, newKey, renderedPairs, valueOf, withoutNames } from "./fields.js";
import { makeSimilarNeeds } from "./similar.js";
import { setUpSpeaker } from "./speaker.js";

const DRAFT_PREFIX = "workshops:draft:";
const OUTBOX_PREFIX = "workshops:outbox:";
const RETRY_EVERY = 5000; // ms between two attempts to empty the outbox
const GATEWAY_ERRORS = [502, 503, 504]; // the proxy could not reach the app: as good as offline
const NO_CONNECTION = "No connection: your need is kept on this device and will be sent when the connection is back";

export function setUpNeedForm(form, refreshCounters) {
  var path = new URL(form.action, window.location.href).pathname;
  // The breakout page and the capture console send in the background; edit and merge pages post.
  var sendsInBackground = form.hasAttribute("data-background");
  var onConsole = Boolean(form.elements.speaker);
  // On the console the speaker's organisation follows the speaker, also when this script fills the form.
  if (onConsole) { refreshCounters = setUpSpeaker(form, refreshCounters); }
  // The merge page's form lives at one address for every merge: the needs merged tell drafts apart.
  var mergedNeeds = form.elements.needs ? "?needs=" + form.elements.needs.value : "";
  // Drafts and the outbox belong to the account that typed them: on a shared device, someone who
  // logs in next must neither see them nor send them as their own.
  var account = form.getAttribute("data-account") || "";
  var storageName = account + ":" + path;
  var draftKey = DRAFT_PREFIX + storageName + mergedNeeds;
  var notes = makeNotes(form);
  var errors = makeErrorDisplay(form);
  var similar = makeSimilarNeeds(form);
  // What the draft compares with: the form as the server rendered it, even if a person on a slow
  // connection typed before this script arrived.
  var baseline = comparable(renderedPairs(form));
  // A hidden field's default is its value: a reset would keep a restored version, so keep the rendered one.
  var renderedHidden = Array.from(form.querySelectorAll("input[type=hidden][name]")).map(function (input) {
    return [input.name, input.value];
  });

  if (comparable(formPairs(form)) === baseline) {
    restoreDraft();
  } else {
    // Typed before the script ran: that text is the newest, so it becomes the draft.
    var kept = readStored(draftKey, null);
    saveDraft();
    notes.showDraftLine(Boolean(kept));
  }
  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
  form.addEventListener("keydown", submitOnCtrlEnter);
  notes.onDiscard(discardDraft);

  if (!sendsInBackground) {
    // The browser posts the form itself: it holds the text from now on (the server shows it again
    // with any error), so the draft has done its job.
    form.addEventListener("submit", forgetDraft);
    return;
  }
  var sender = makeSender(form, storageName, notes, errors, {
    saved: afterSaved,
    handedOver: startNextNeed,
    ready: readyForNext,
    isEmpty: isEmpty,
    putBack: putBack
  });
  form.addEventListener("submit", sender.submit);

  // What the draft compares with: the form as the server rendered it, idempotency key aside.
  function comparable(pairs) {
    return JSON.stringify(withoutNames(pairs, ["csrf_token", "idempotency_key"]));
  }

  function saveDraft() {
    var pairs = formPairs(form);
    if (comparable(pairs) === baseline) {
      forgetDraft();
    } else {
      writeStored(draftKey, { savedAt: new Date().toISOString(), pairs: withoutNames(pairs, ["csrf_token"]) });
    }
  }

  function forgetDraft() {
    forgetStored(draftKey);
    notes.showDraftLine(false);
  }

  // A page shown again with the server's errors holds what was just sent: that wins over the draft.
  function restoreDraft() {
    var draft = readStored(draftKey, null);
    if (!draft || !Array.isArray(draft.pairs) || document.querySelector(".error-summary")) { return; }
    fillForm(form, draft.pairs);
    refreshCounters();
    notes.showDraftLine(true);
  }

  function discardDraft() {
    forgetDraft();
    form.reset();
    fillForm(form, renderedHidden);
    // A fresh key: the draft's one may belong to a need the server already has.
    form.elements.idempotency_key.value = newKey();
    refreshCounters();
    similar.clear();
    errors.clear();
    baseline = comparable(formPairs(form));
    var first = form.querySelector("input[type=text], textarea");
    if (first) { first.focus(); }
  }

  // Ctrl+Enter (Cmd+Enter on a Mac) sends the form from any field, textareas included.
  function submitOnCtrlEnter(event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) { return; }
    event.preventDefault();
    if (form.requestSubmit) { form.requestSubmit(); } else { form.querySelector("[type=submit]").click(); }
  }

  function isEmpty() {
    return !form.elements.title.value.trim() && !form.elements.statement.value.trim();
  }

  // An empty form for the next need: the speaker and their organisation stay on the console,
  // the rendered defaults (organisation, test bed) on the attendee's page.
  function startNextNeed() {
    var kept = onConsole ? ["speaker", "attendee_id", "organisation", "organisation_type", "country"].map(function (name) {
      return [name, form.elements[name].value];
    }) : [];
    form.reset();
    fillForm(form, kept);
    form.elements.idempotency_key.value = newKey();
    forgetDraft();
    refreshCounters();
    similar.clear();
    baseline = comparable(formPairs(form));
  }

  function afterSaved(data) {
    startNextNeed();
    notes.say(data.message || "Saved: " + data.title, "ok");
    readyForNext();
    document.dispatchEvent(new CustomEvent("board:refresh"));
  }

  // The console types on at once; on a phone the person is at the button, far below the message.
  function readyForNext() {
    if (onConsole) {
      form.elements.title.focus();
    } else {
      notes.bringIntoView();
    }
  }

  // A need refused from the outbox, back into the empty form with what to correct.
  function putBack(pairs, answer) {
    fillForm(form, pairs);
    refreshCounters();
    saveDraft();
    errors.show(answer);
  }
}

// The lines above the fields (in the template, so that the live region exists before it speaks):
// what became of the last need, and whether a draft was restored.
function makeNotes(form) {
  var box = form.querySelector(".need-form-notes") || form.insertAdjacentElement("afterbegin", document.createElement("div"));
  var notice = box.querySelector(".form-notice");
  var draftLine = document.createElement("p");
  draftLine.className = "draft-line";
  draftLine.hidden = true;
  var label = document.createElement("span");
  label.textContent = "Draft kept on this device";
  var discard = document.createElement("button");
  discard.type = "button";
  discard.className = "link-button";
  discard.textContent = "Discard draft";
  draftLine.append(label, " ", discard);
  box.appendChild(draftLine);

  return {
    say: function (text, tone) {
      if (!notice) { return; }
      notice.textContent = text;
      notice.className = "form-notice" + (tone ? " form-notice-" + tone : "");
    },
    showDraftLine: function (shown) { draftLine.hidden = !shown; },
    onDiscard: function (handler) { discard.addEventListener("click", handler); },
    bringIntoView: function () { if (notice) { notice.scrollIntoView({ block: "nearest" }); } }
  };
}

// Errors next to their fields and in a summary above the form, as the server's form macro shows them.
function makeErrorDisplay(form) {
  function clear() {
    var summary = form.previousElementSibling;
    if (summary && summary.classList.contains("error-summary")) { summary.remove(); }
    form.querySelectorAll(".error-message").forEach(function (message) { message.remove(); });
    form.querySelectorAll(".has-error").forEach(function (wrapper) { wrapper.classList.remove("has-error"); });
    form.querySelectorAll("[aria-invalid]").forEach(function (element) { element.removeAttribute("aria-invalid"); });
    form.querySelectorAll("[aria-describedby]").forEach(function (element) {
      var kept = element.getAttribute("aria-describedby").split(" ").filter(function (id) { return !/-error$/.test(id); });
      if (kept.length) { element.setAttribute("aria-describedby", kept.join(" ")); } else { element.removeAttribute("aria-describedby"); }
    });
  }

  function describedBy(element, id) {
    var ids = (element.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (ids.indexOf(id) === -1) { ids.push(id); }
    element.setAttribute("aria-describedby", ids.join(" "));
  }

  // Returns the link target of the field for the summary, or null for a field the page does not show.
  function markField(name, messages) {
    var inputs = form.querySelectorAll("[name='" + name + "']:not([type=hidden])");
    var wrapper = inputs.length ? inputs[0].closest(".field") : null;
    if (!wrapper) { return null; }
    var message = document.createElement("p");
    message.className = "error-message";
    message.id = name + "-error";
    messages.forEach(function (text, index) {
      var span = document.createElement("span");
      span.textContent = text;
      if (index) { message.append(" "); }
      message.appendChild(span);
    });
    var anchor = document.getElementById(name + "-hint") || wrapper.querySelector("legend, label");
    anchor.insertAdjacentElement("afterend", message);
    wrapper.classList.add("has-error");
    inputs.forEach(function (input) { input.setAttribute("aria-invalid", "true"); });
    describedBy(wrapper.tagName === "FIELDSET" ? wrapper : inputs[0], message.id);
    var details = wrapper.closest("details");
    if (details) { details.open = true; }
    return inputs[0].id;
  }

  function show(answer) {
    clear();
    var items = (answer.form_errors || []).map(function (text) { return { text: text }; });
    Object.keys(answer.errors || {}).forEach(function (name) {
      var messages = answer.errors[name];
      var target = markField(name, messages);
      if (target) { items.push({ text: messages[0], target: target }); }
      else if (name !== "csrf_token") { items = items.concat(messages.map(function (text) { return { text: text }; })); }
    });
    if (!items.length) { items.push({ text: "The need could not be saved. Reload the page and try again." }); }
    var summary = makeSummary(items);
    form.insertAdjacentElement("beforebegin", summary);
    summary.focus();
  }

  function makeSummary(items) {
    var summary = document.createElement("div");
    summary.className = "error-summary";
    summary.setAttribute("role", "alert");
    summary.tabIndex = -1;
    var heading = document.createElement("h2");
    heading.textContent = items.length === 1 ? "Please correct this problem" : "Please correct these " + items.length + " problems";
    var list = document.createElement("ul");
    items.forEach(function (item) {
      var line = document.createElement("li");
      if (item.target) {
        var link = document.createElement("a");
        link.href = "#" + item.target;
        link.textContent = item.text;
        line.appendChild(link);
      } else {
        line.textContent = item.text;
      }
      list.appendChild(line);
    });
    summary.append(heading, list);
    return summary;
  }

  return { show: show, clear: clear };
}

function makeSender(form, storageName, notes, errors, page) {
  var outboxKey = OUTBOX_PREFIX + storageName;
  var busy = false; // a need typed in the form is on its way
  var flushing = false; // the oldest need of the outbox is on its way
  var offline = !navigator.onLine;
  var retryTimer = null;
  var notSaved = []; // outbox needs the server refused while the form was in use, named for the person

  window.addEventListener("online", function () { offline = false; flush(); });
  window.addEventListener("offline", function () { offline = true; if (waiting().length) { tellOutbox(); } });
  // Another tab of the same page may add to or empty the outbox.
  window.addEventListener("storage", function (event) { if (event.key === outboxKey && !busy) { tellOutbox(); } });
  if (waiting().length) { tellOutbox(); flush(); }

  function waiting() { return readStored(outboxKey, []); }

  function submit(event) {
    event.preventDefault();
    if (busy) { return; } // the same text is already on its way
    if (!form.elements.idempotency_key.value) { form.elements.idempotency_key.value = newKey(); }
    var entry = { key: form.elements.idempotency_key.value, url: form.action, pairs: formPairs(form) };
    entry.title = valueOf(entry.pairs, "title");
    errors.clear();
    notSaved = [];
    if (waiting().length) {
      queue(entry);
      flush();
      return;
    }
    busy = true;
    send(entry).then(function (outcome) {
      busy = false;
      if (outcome.saved) { page.saved(outcome.answer); }
      else if (outcome.refused) { errors.show(outcome.answer); }
      else if (outcome.offline) { queue(entry); }
      else { notes.say(failure(outcome, "The need could not be saved") + " Your text is still in the form: try again.", "error"); }
    });
  }

  function queue(entry) {
    writeStored(outboxKey, waiting().concat([entry]));
    page.handedOver();
    tellOutbox();
    page.ready();
  }

  function unqueue(key) {
    var left = waiting().filter(function (entry) { return entry.key !== key; });
    if (left.length) { writeStored(outboxKey, left); } else { forgetStored(outboxKey); }
  }

  // One at a time, oldest first; the next one only once the previous one is stored.
  function flush() {
    var entry = waiting()[0];
    if (flushing || !entry) { return; }
    flushing = true;
    send(entry).then(function (outcome) {
      flushing = false;
      if (outcome.saved || outcome.refused) {
        unqueue(entry.key);
        if (outcome.saved) { document.dispatchEvent(new CustomEvent("board:refresh")); }
        if (outcome.refused) { refused(entry, outcome.answer); }
        tellOutbox();
        flush();
      } else if (!outcome.offline) {
        notes.say(failure(outcome, "The needs kept on this device could not be sent yet") + " Trying again shortly.", "error");
      } else {
        tellOutbox();
      }
    });
  }

  // Back into the form when it is empty; else only named, so that what is being typed stays.
  function refused(entry, answer) {
    if (page.isEmpty()) {
      page.putBack(entry.pairs, answer);
      notSaved.push("“" + entry.title + "” was not saved: it is back in the form to be corrected.");
    } else {
      var reasons = (answer.form_errors || []).concat(Object.keys(answer.errors || {}).map(function (name) {
        return answer.errors[name].join(" ");
      }));
      notSaved.push("“" + entry.title + "” was not saved: " + reasons.join(" "));
    }
  }

  function tellOutbox() {
    var count = waiting().length;
    if (count) { startRetrying(); } else { stopRetrying(); }
    var lines = notSaved.slice();
    if (count && offline) {
      lines.push(NO_CONNECTION + " (" + count + " waiting).");
    } else if (count) {
      lines.push("Sending the needs kept on this device (" + count + " waiting)…");
    } else {
      lines.push(notSaved.length ? "All your other needs are saved." : "All your needs are saved.");
    }
    var tone = count && offline ? "offline" : notSaved.length ? "error" : count ? "" : "ok";
    notes.say(lines.join(" "), tone);
  }

  function startRetrying() {
    if (!retryTimer) { retryTimer = setInterval(flush, RETRY_EVERY); }
  }

  function stopRetrying() {
    clearInterval(retryTimer);
    retryTimer = null;
  }

  function failure(outcome, what) {
    if (outcome.loggedOut) { return what + ": you are no longer logged in. Log in again in another tab."; }
    return what + " (error " + outcome.status + ").";
  }

  // One need to the server. Resolves with what became of it, never rejects:
  // {saved, answer} | {refused, answer} | {offline} | {status, loggedOut}.
  // A stale CSRF token (400 from the site's CSRF check, or a csrf_token error) is renewed once.
  function send(entry, renewed) {
    var retry = function (token) { return token ? send(entry, true) : { offline: true }; };
    return postPairs(entry.url, withToken(entry.pairs, form.elements.csrf_token.value)).then(function (response) {
      if (!response) { offline = true; return { offline: true }; }
      offline = false;
      if (GATEWAY_ERRORS.indexOf(response.status) !== -1) { offline = true; return { offline: true }; }
      if (response.redirected) { return { status: response.status, loggedOut: true }; }
      if (response.status === 400 && !renewed) { return renewToken().then(retry); }
      if (response.status !== 201 && response.status !== 422) { return { status: response.status }; }
      return response.json().then(function (answer) {
        if (answer.saved) { return { saved: true, answer: answer }; }
        if (answer.errors && answer.errors.csrf_token && !renewed) { return renewToken().then(retry); }
        return { refused: true, answer: answer };
      }, function () { return { status: response.status }; });
    });
  }

  // A fresh token from the page itself; it replaces the form's and those of the waiting needs.
  function renewToken() {
    return request(window.location.href, { cache: "no-store" })
      .then(function (response) { return response ? response.text() : ""; })
      .then(function (html) {
        var field = new DOMParser().parseFromString(html, "text/html").querySelector("input[name=csrf_token]");
        if (!field || !field.value) { return null; }
        form.elements.csrf_token.value = field.value;
        var entries = waiting();
        if (entries.length) {
          writeStored(outboxKey, entries.map(function (entry) {
            entry.pairs = withToken(entry.pairs, field.value);
            return entry;
          }));
        }
        return field.value;
      })
      .catch(function () { return null; });
  }

  return { submit: submit };
}
