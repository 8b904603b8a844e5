/* Progressive enhancement of procedure forms; everything works without it.
   - Conditional fields (data-show-field …) show and hide as the citizen answers.
   - An address's commune list follows its province without a page reload. */
(function () {
  "use strict";
  function valueOf(form, name) {
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    var values = [];
    inputs.forEach(function (el) {
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      if (el.type === "checkbox" && el.value === "on") { values.push("on"); return; }
      if (el.value) values.push(el.value);
    });
    return values;
  }
  function holds(form, test) {
    if (test.all) return test.all.every(function (t) { return holds(form, t); });
    if (test.any) return test.any.some(function (t) { return holds(form, t); });
    if ("const" in test) return test["const"];  // an answer given on another page
    var values = valueOf(form, test.field);
    if (test.filled) return (values.length > 0) === (test.filled === "true");
    if (test["in"]) return values.some(function (v) { return test["in"].indexOf(v) >= 0; });
    return (values[0] || "") === (test.equals || "");
  }
  function update(form) {
    form.querySelectorAll("[data-show-field]").forEach(function (box) {
      box.hidden = !holds(form, {field: box.dataset.showField, filled: box.dataset.showFilled,
        "in": box.dataset.showIn ? box.dataset.showIn.split("|") : null,
        equals: box.dataset.showEquals});
    });
    // Conditions combining several answers (all_of / any_of), as a JSON tree.
    form.querySelectorAll("[data-show-when]").forEach(function (box) {
      box.hidden = !holds(form, JSON.parse(box.dataset.showWhen));
    });
  }
  document.querySelectorAll("form.procedure-form").forEach(function (form) {
    form.addEventListener("change", function () { update(form); });
    form.addEventListener("input", function () { update(form); });
    update(form);
    form.querySelectorAll(".js-hide").forEach(function (el) { el.hidden = true; });
    form.querySelectorAll("select[data-communes-target]").forEach(function (select) {
      select.addEventListener("change", function () {
        var target = document.getElementById(select.dataset.communesTarget);
        var province = select.value;
        fetch("/api/v1/units/" + encodeURIComponent(province) + "/communes")
          .then(function (r) { return r.json(); })
          .then(function (communes) {
            // An answer that arrives late must not undo the person's choices: ignore it when
            // another province was picked meanwhile, and keep the commune already chosen when
            // it belongs to this province.
            if (select.value !== province) { return; }
            var chosen = target.value;
            target.innerHTML = "";
            var blank = document.createElement("option");
            blank.value = ""; blank.textContent = "—";
            target.appendChild(blank);
            communes.forEach(function (c) {
              var o = document.createElement("option");
              o.value = c.code; o.textContent = c.name;
              target.appendChild(o);
            });
            if (communes.some(function (c) { return c.code === chosen; })) {
              target.value = chosen;
            }
          });
      });
    });
  });
})();
