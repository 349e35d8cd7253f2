// Breakout pages: characters left under each field, the need form (drafts kept in the browser, saving
// in the background, an outbox while offline, similar needs), the live board and votes without a reload.
// Progressive enhancement only: every form also works without this script.
(function () {
  "use strict";

  var DRAFT_PREFIX = "workshops:draft:";
  var OUTBOX_PREFIX = "workshops:outbox:";
  var RETRY_EVERY = 5000; // ms between two attempts to empty the outbox
  var SEND_TIMEOUT = 20000; // a request hanging this long counts as no connection
  var SIMILAR_DELAY = 600; // ms of quiet typing before asking for similar needs
  var SIMILAR_MIN_CHARS = 8; // title and statement together, before a look-up is worth it
  var GATEWAY_ERRORS = [502, 503, 504]; // the proxy could not reach the app: as good as offline
  // Only these pages answer the form in JSON; the edit and merge pages keep their classic POST.
  var FETCH_PAGES = [/^\/b\/[^/]+$/, /^\/manage\/breakouts\/\d+\/capture$/];
  var NO_CONNECTION = "No connection: your need is kept on this device and will be sent when the connection is back";
  var refreshCounters = function () {}; // set once the counters exist

  // Characters left, under every field that declares its limit. Returns a function that updates them
  // all, for when the script itself changes the fields (a reset does not fire "input").
  function setUpCounters() {
    var updates = [];
    document.querySelectorAll("[data-count]").forEach(function (field) {
      var limit = parseInt(field.getAttribute("data-count"), 10);
      var note = document.createElement("p");
      note.className = "hint char-count";
      note.id = field.id + "-count";
      note.setAttribute("aria-live", "polite");
      field.insertAdjacentElement("afterend", note);
      function update() {
        var left = limit - field.value.length;
        note.textContent = left + " character" + (left === 1 ? "" : "s") + " left";
        note.classList.toggle("char-count-low", left < limit * 0.1);
      }
      field.addEventListener("input", update);
      update();
      updates.push(update);
    });
    return function () { updates.forEach(function (update) { update(); }); };
  }

  // On the capture console the title takes the focus, ready for the next speaker.
  function focusConsole() {
    var speaker = document.getElementById("speaker");
    if (!document.querySelector(".capture-form .need-form") || !speaker) { return; }
    var first = speaker.value ? document.getElementById("title") : speaker;
    if (first) { first.focus(); }
  }

  // ---------------------------------------------------------------------------------------------
  // Storage: localStorage when the browser allows it, else memory (the page still works, it just
  // forgets when closed).

  var memory = {};
  var storage = (function () {
    try {
      window.localStorage.setItem("workshops:probe", "1");
      window.localStorage.removeItem("workshops:probe");
      return window.localStorage;
    } catch (unavailable) {
      return {
        getItem: function (key) { return Object.prototype.hasOwnProperty.call(memory, key) ? memory[key] : null; },
        setItem: function (key, value) { memory[key] = String(value); },
        removeItem: function (key) { delete memory[key]; }
      };
    }
  })();

  function readStored(key, fallback) {
    try {
      var raw = storage.getItem(key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (damaged) {
      return fallback;
    }
  }

  function writeStored(key, value) {
    try {
      storage.setItem(key, JSON.stringify(value));
    } catch (full) {
      memory[key] = JSON.stringify(value); // quota exceeded: better kept for this page than lost
    }
  }

  function forgetStored(key) {
    try { storage.removeItem(key); } catch (ignored) { /* nothing to forget */ }
  }

  // ---------------------------------------------------------------------------------------------
  // Reading and filling the form.

  // The form's values as [name, value] pairs, in order: what a POST would send.
  function formPairs(form) {
    return Array.from(new FormData(form).entries()).filter(function (pair) { return typeof pair[1] === "string"; });
  }

  function withoutNames(pairs, names) {
    return pairs.filter(function (pair) { return names.indexOf(pair[0]) === -1; });
  }

  function valueOf(pairs, name) {
    for (var i = 0; i < pairs.length; i += 1) { if (pairs[i][0] === name) { return pairs[i][1]; } }
    return "";
  }

  // Put saved pairs back into the fields they came from (never the CSRF token: the page's is fresher).
  function fillForm(form, pairs) {
    var values = {};
    pairs.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
    Array.prototype.forEach.call(form.elements, function (element) {
      var name = element.name;
      if (!name || name === "csrf_token" || !Object.prototype.hasOwnProperty.call(values, name)) { return; }
      if (element.type === "radio" || element.type === "checkbox") {
        element.checked = values[name].indexOf(element.value) !== -1;
      } else if (element.type !== "submit" && element.type !== "button") {
        element.value = values[name][0];
      }
    });
  }

  // 32 hex characters; crypto.randomUUID exists only on https, getRandomValues everywhere.
  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (byte) { return (byte < 16 ? "0" : "") + byte.toString(16); }).join("");
  }

  // ---------------------------------------------------------------------------------------------
  // The need form.

  function setUpNeedForm(form) {
    var path = new URL(form.action, window.location.href).pathname;
    var sendsInBackground = FETCH_PAGES.some(function (pattern) { return pattern.test(path); });
    var onConsole = Boolean(form.elements.speaker);
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
    var baseline = comparable(formPairs(form));
    // A hidden field's default is its value: a reset would keep a restored version, so keep the rendered one.
    var renderedHidden = Array.from(form.querySelectorAll("input[type=hidden][name]")).map(function (input) {
      return [input.name, input.value];
    });

    restoreDraft();
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
      var kept = onConsole ? ["speaker", "organisation", "organisation_type"].map(function (name) {
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

  // ---------------------------------------------------------------------------------------------
  // Sending: at once when the outbox is empty, else behind the needs already waiting, so that needs
  // reach the server in the order they were typed. Each carries its idempotency key: sending one
  // twice (a lost answer, two tabs) stores it once.

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
      return post(entry.url, withToken(entry.pairs, form.elements.csrf_token.value)).then(function (response) {
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
      return fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.text(); })
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

  function withToken(pairs, token) {
    return pairs.map(function (pair) { return pair[0] === "csrf_token" ? ["csrf_token", token] : pair; });
  }

  // POST pairs as the form would; resolves with the response, or null when there was no connection.
  function post(url, pairs) {
    var body = new FormData();
    pairs.forEach(function (pair) { body.append(pair[0], pair[1]); });
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, SEND_TIMEOUT) : null;
    return fetch(url, {
      method: "POST",
      body: body,
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined
    })
      .catch(function () { return null; })
      .then(function (response) { clearTimeout(timer); return response; });
  }

  // ---------------------------------------------------------------------------------------------
  // Similar needs, under the statement while typing: perhaps the need is on a board already and
  // deserves a vote rather than a copy. A help, not a must: failures are silent.

  function makeSimilarNeeds(form) {
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
      fetch(address.toString(), { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
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

  // ---------------------------------------------------------------------------------------------
  // The live board: ask about once a second whether anything changed (304 while nothing did);
  // at once when the page saved a need ("board:refresh").

  function setUpBoard() {
    var board = document.getElementById("board");
    if (!board) { return; }
    var status = document.getElementById("board-status");
    var etag = board.getAttribute("data-etag");
    var url = board.getAttribute("data-url");
    var timer = null;
    var polling = false;
    var again = false; // a refresh asked for while a poll was on its way

    function say(text) { if (status) { status.textContent = text; } }

    function poll() {
      clearTimeout(timer);
      if (polling) { again = true; return; }
      polling = true;
      fetch(url, { headers: { "If-None-Match": etag, "X-Requested-With": "fetch" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (response.status === 200) {
            etag = response.headers.get("ETag") || etag;
            return response.text().then(function (html) { replaceBoard(board, html); });
          }
          if (response.status !== 304) { say("The board could not be updated (" + response.status + ")."); }
          return null;
        })
        .then(function () { say(""); })
        .catch(function () { say("No connection: the board will update when it is back."); })
        .then(function () {
          polling = false;
          if (again) { again = false; poll(); } else { timer = setTimeout(poll, 1000); }
        });
    }
    timer = setTimeout(poll, 1000);
    document.addEventListener("board:refresh", poll);

    // Votes: send the form in the background and refresh the board at once.
    board.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.classList.contains("vote-form")) { return; }
      event.preventDefault();
      fetch(form.action, { method: "POST", body: new FormData(form), headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then(function (response) {
          if (response.status === 422) { return response.json().then(function (data) { say(data.error); }); }
          if (!response.ok) { say("The vote could not be saved (" + response.status + ")."); }
          return null;
        })
        .catch(function () { say("No connection: your vote was not saved."); })
        .then(poll);
    });
  }

  // The board's HTML comes anew at each change: what the facilitator was doing in it survives —
  // the needs ticked for merging, a reason being typed, and the focus.
  function replaceBoard(board, html) {
    var ticked = Array.from(board.querySelectorAll(".merge-pick input:checked")).map(function (box) { return box.value; });
    var reasons = Array.from(board.querySelectorAll(".dismiss-form input[name=reason]")).filter(function (input) {
      return input.value;
    }).map(function (input) { return [input.id, input.value]; });
    var focus = focusedPlace(board);
    board.innerHTML = html;
    board.querySelectorAll(".merge-pick input").forEach(function (box) { box.checked = ticked.indexOf(box.value) !== -1; });
    reasons.forEach(function (pair) {
      var input = document.getElementById(pair[0]);
      if (input && board.contains(input)) { input.value = pair[1]; }
    });
    if (focus) {
      var again = board.querySelector(focus);
      if (again) { again.focus(); }
    }
  }

  // Where the focus was in the board, as a selector that finds the same control in the new HTML.
  function focusedPlace(board) {
    var element = document.activeElement;
    var item = element && board.contains(element) ? element.closest(".board-need") : null;
    if (!item || !item.id) { return null; }
    var within = ["h3 a", ".merge-pick input", ".dismiss-form input", ".dismiss-form button", ".vote-form button"];
    for (var i = 0; i < within.length; i += 1) {
      if (element.matches(within[i])) { return "#" + item.id + " " + within[i]; }
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Start, once everything above is defined (the storage first of all).

  refreshCounters = setUpCounters();
  var needForm = document.querySelector("form.need-form");
  if (needForm) { setUpNeedForm(needForm); }
  focusConsole();
  setUpBoard();
})();
