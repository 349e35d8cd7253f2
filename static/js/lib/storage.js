// The browser's storage: localStorage when the browser allows it, else memory (the page still
// works, it just forgets when closed).

var memory = {};
var storage = (function () {
  try {
    window.localStorage.setItem("workshops:probe", "1");
    window.localStorage.removeItem("workshops:probe");
    return window.localStorage;
  } catch {
    return {
      getItem: function (key) { return Object.prototype.hasOwnProperty.call(memory, key) ? memory[key] : null; },
      setItem: function (key, value) { memory[key] = String(value); },
      removeItem: function (key) { delete memory[key]; }
    };
  }
})();

export function readStored(key, fallback) {
  try {
    var raw = storage.getItem(key);
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

export function writeStored(key, value) {
  try {
    storage.setItem(key, JSON.stringify(value));
  } catch {
    memory[key] = JSON.stringify(value); // quota exceeded: better kept for this page than lost
  }
}

export function forgetStored(key) {
  try { storage.removeItem(key); } catch { /* nothing to forget */ }
}
