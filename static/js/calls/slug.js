// The call form: the short name in the address follows the call's name as it is typed, until the
// person changes the short name by hand. It is made the way the server makes it (workshops/slugs.py):
// lower case, accents dropped, a few letters spelled in Latin, anything else a single hyphen. The form
// says so in its hidden "slug_from_name" field, so that the server makes it again, numbered when
// another call has it. Without this script a short name left empty is made by the server alike.

var SPELLED = { "ł": "l", "đ": "d", "ð": "d", "ø": "o", "æ": "ae", "œ": "oe", "þ": "th", "ı": "i", "ß": "ss" };

export function slugify(name, limit) {
  var folded = name.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  folded = folded.replace(/[łđðøæœþıß]/g, function (letter) { return SPELLED[letter]; });
  var slug = folded.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  if (slug.length <= limit) { return slug; }
  var cut = slug.slice(0, limit + 1);
  return (cut.indexOf("-") === -1 ? slug.slice(0, limit) : cut.slice(0, cut.lastIndexOf("-"))).replace(/-+$/, "");
}

export function setUpSlug(form) {
  if (!form) { return; }
  var slug = form.querySelector("input[data-slug-from]");
  var name = slug ? form.querySelector("input[name=" + slug.getAttribute("data-slug-from") + "]") : null;
  var marker = form.querySelector("input[name=slug_from_name]");
  if (!slug || !name || !marker) { return; }
  var limit = Number(slug.getAttribute("data-maxlength")) || 80;
  // The short name follows the name while it is empty or still the one the name gives.
  var following = slug.value === "" || slug.value === slugify(name.value, limit);

  function follow() {
    if (!following) { return; }
    slug.value = slugify(name.value, limit);
    marker.value = "1";
  }

  name.addEventListener("input", follow);
  slug.addEventListener("input", function () {
    following = slug.value === "";
    marker.value = following ? "1" : "";
  });
  if (following && slug.value === "" && name.value) { follow(); }
  if (following) { marker.value = "1"; }
}

setUpSlug(document.querySelector("form[data-call-form]"));
