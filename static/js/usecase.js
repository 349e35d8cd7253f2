// The use-case editor: a live preview of the Markdown beside the text, updated as one types.
// The server renders it with the one Markdown helper (sanitised), so the preview is exactly what the
// page will show. Progressive enhancement: without this script the "Preview without saving" button
// renders the same preview with a full page.

import { request } from "./lib/fetch.js";

var DELAY = 500; // ms without typing before the preview is asked for

function setUpPreview(target) {
  var source = document.getElementById(target.getAttribute("data-preview-for"));
  var status = document.getElementById(target.getAttribute("data-preview-status"));
  var url = target.getAttribute("data-preview-url");
  if (!source || !url) { return; }
  var form = source.form;
  var tokenField = form ? form.querySelector("input[name='csrf_token']") : null;
  var token = tokenField ? tokenField.value : "";
  var timer = null;
  var asked = 0; // the number of the latest request: older answers arriving late are ignored
  var shown = source.value;

  // The preview follows the text: scrolled as far down, in proportion, as the text box is.
  function follow() {
    var range = source.scrollHeight - source.clientHeight;
    var ratio = range > 0 ? source.scrollTop / range : 0;
    target.scrollTop = ratio * (target.scrollHeight - target.clientHeight);
  }

  function say(text) {
    if (status) { status.textContent = text; }
  }

  function refresh() {
    var body = source.value;
    if (body === shown) { return; }
    var number = ++asked;
    var data = new FormData();
    data.append("body", body);
    data.append("csrf_token", token);
    target.setAttribute("aria-busy", "true");
    request(url, { method: "POST", body: data, token: token }).then(function (response) {
      if (!response) { throw { told: "No connection: the preview updates when it is back." }; }
      if (response.status === 429) { throw { told: "The preview pauses for a moment: too many updates." }; }
      if (!response.ok) { throw { told: "The preview could not be updated (error " + response.status + ")." }; }
      return response.text();
    }).then(function (html) {
      if (number !== asked) { return; }
      // The fragment comes from our server, rendered and sanitised by the Markdown helper.
      target.innerHTML = html || "<p class=\"meta\">Nothing to preview yet.</p>";
      shown = body;
      follow();
      say("");
    }).catch(function (error) {
      if (number !== asked) { return; }
      say(error && error.told ? error.told : "No connection: the preview updates when it is back.");
    }).then(function () {
      if (number === asked) { target.removeAttribute("aria-busy"); }
    });
  }

  source.addEventListener("scroll", follow);
  source.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, DELAY);
  });

  // The page updates the preview by itself: the button that did it without JavaScript is not needed.
  if (form) {
    form.querySelectorAll("[data-preview-button]").forEach(function (button) { button.hidden = true; });
  }
}

document.querySelectorAll("[data-preview-url]").forEach(setUpPreview);
