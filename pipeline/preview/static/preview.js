/* offres preview: search and filters over the JSON index embedded in the page.
   Progressive enhancement: without this script every offer is listed and the form stays hidden. */
(function () {
  "use strict";
  var form = document.getElementById("filtres");
  var data = document.getElementById("index-offres");
  if (!form || !data) { return; }
  var offers = JSON.parse(data.textContent);
  var panels = {};
  Array.prototype.forEach.call(document.querySelectorAll("#offres [data-offer-id]"), function (el) {
    panels[el.getAttribute("data-offer-id")] = el;
  });
  // A theme is a heading followed by its .wrapper of panels; an employer of the second
  // section is a paragraph followed by its list: both hidden when none of their offers shows.
  var groups = Array.prototype.map.call(document.querySelectorAll("#offres .wrapper, #offres ul"), function (box) {
    return { box: box, heading: box.previousElementSibling };
  });
  var count = document.getElementById("compte");
  var empty = document.getElementById("aucune");
  var fields = { q: form.elements.q, family: form.elements.famille, region: form.elements.region,
                 category: form.elements.categorie, remote: form.elements.teletravail };

  function fold(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function apply() {
    var words = fold(fields.q.value).split(/\s+/).filter(Boolean);
    var shown = 0;
    offers.forEach(function (offer) {
      var ok = (!fields.family.value || offer.family === fields.family.value) &&
               (!fields.region.value || offer.region === fields.region.value) &&
               (!fields.category.value || offer.category === fields.category.value) &&
               (!fields.remote.value || offer.remote === fields.remote.value) &&
               words.every(function (w) { return offer.text.indexOf(w) !== -1; });
      var panel = panels[offer.id];
      if (panel) { panel.hidden = !ok; }
      if (ok) { shown += 1; }
    });
    groups.forEach(function (group) {
      var none = group.box.querySelector("[data-offer-id]:not([hidden])") === null;
      group.box.hidden = none;
      if (group.heading) { group.heading.hidden = none; }
    });
    count.textContent = shown + (shown > 1 ? " offres affichées" : " offre affichée") + " sur " + offers.length;
    empty.hidden = shown !== 0;
    var params = new URLSearchParams();
    Object.keys(fields).forEach(function (key) {
      if (fields[key].value) { params.set(fields[key].name, fields[key].value); }
    });
    var query = params.toString();
    try { history.replaceState(null, "", query ? "?" + query : location.pathname); } catch (e) { /* file:// */ }
  }

  var initial = new URLSearchParams(location.search);
  Object.keys(fields).forEach(function (key) {
    var value = initial.get(fields[key].name);
    if (value) { fields[key].value = value; }
  });
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
  form.addEventListener("reset", function () { setTimeout(apply, 0); });
  form.hidden = false;
  apply();
})();
