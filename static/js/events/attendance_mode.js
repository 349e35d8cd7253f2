// Registration pages: what only the venue needs to know (dietary requirements) is asked only of people
// attending on site. A part marked data-shown-when="mode=on_site" is hidden, and its fields disabled
// (so neither sent nor required), while another choice of the form's "mode" radios is made; with no
// choice made yet it stays shown. Without this script the part stays visible and the server neither
// checks nor keeps its answers for online attendance.

export function setUpShownWhen(root = document) {
  root.querySelectorAll("[data-shown-when]").forEach(function (part) {
    var rule = part.getAttribute("data-shown-when").split("=");
    var form = part.closest("form");
    if (!form || rule.length !== 2) { return; }
    var radios = Array.prototype.filter.call(form.elements, function (element) {
      return element.type === "radio" && element.name === rule[0];
    });
    function update() {
      var chosen = radios.filter(function (radio) { return radio.checked; })[0];
      var shown = !chosen || chosen.value === rule[1];
      part.hidden = !shown;
      part.querySelectorAll("input, textarea, select").forEach(function (field) { field.disabled = !shown; });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  });
}

setUpShownWhen();
