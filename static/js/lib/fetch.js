// The one way the pages' scripts talk to the server.
//
// A script that wants JSON says so with "Accept: application/json" (the server's wants_json()); a
// script that wants a piece of a page asks that piece's own address. Every answer in JSON that is
// not a success has one shape: {error: "for the person", errors: {field: [...]}, form_errors: [...]}.
// No call ever rejects: a missing connection resolves with null, so callers decide what to say.

const JSON_TYPE = "application/json";
const DEFAULT_TIMEOUT = 20000; // ms: a request hanging this long counts as no connection

// The page's CSRF token: the nearest hidden field, else the data-csrf attribute of ``root``.
export function csrfToken(root = document) {
  const field = root.querySelector("input[name=csrf_token]");
  if (field && field.value) { return field.value; }
  const holder = root.closest ? root.closest("[data-csrf]") : null;
  return holder ? holder.getAttribute("data-csrf") : "";
}

// The form's pairs with this CSRF token in place of the one they hold.
export function withToken(pairs, token) {
  return pairs.map((pair) => (pair[0] === "csrf_token" ? ["csrf_token", token] : pair));
}

// Any request of the site: resolves with the response, or null when there was no connection (or it
// took longer than ``timeout``). ``json`` asks for a JSON answer; ``token`` sends the CSRF header.
export function request(url, { method = "GET", body, json = false, token, headers = {}, timeout = DEFAULT_TIMEOUT, signal, cache } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  if (signal) { signal.addEventListener("abort", () => controller.abort()); }
  const sent = { ...headers };
  if (json) { sent.Accept = JSON_TYPE; }
  if (token) { sent["X-CSRFToken"] = token; }
  return fetch(url, { method, body, headers: sent, credentials: "same-origin", signal: controller.signal, cache })
    .catch((error) => {
      if (signal && signal.aborted) { throw error; } // the caller cancelled: it wants to know
      return null;
    })
    .finally(() => clearTimeout(timer));
}

// POST [name, value] pairs as the form would, asking for JSON.
export function postPairs(url, pairs, options = {}) {
  const body = new FormData();
  pairs.forEach((pair) => body.append(pair[0], pair[1]));
  return request(url, { method: "POST", body, json: true, ...options });
}

// POST a form element as it is, asking for JSON.
export function postForm(form, options = {}) {
  return request(form.action, { method: "POST", body: new FormData(form), json: true, ...options });
}

// The error message of a JSON answer in the one shape, or ``fallback``.
export function errorOf(answer, fallback) {
  return answer && typeof answer.error === "string" && answer.error ? answer.error : fallback;
}

// Read a response's JSON, or null when it holds none.
export function readJSON(response) {
  return response.json().catch(() => null);
}
