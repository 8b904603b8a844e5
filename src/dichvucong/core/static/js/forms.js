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
  function update(form) {
    form.querySelectorAll("[data-show-field]").forEach(function (box) {
      var values = valueOf(form, box.dataset.showField);
      var show;
      if (box.dataset.showFilled) show = (values.length > 0) === (box.dataset.showFilled === "true");
      else if (box.dataset.showIn) {
        var allowed = box.dataset.showIn.split("|");
        show = values.some(function (v) { return allowed.indexOf(v) >= 0; });
      } else show = (values[0] || "") === (box.dataset.showEquals || "");
      box.hidden = !show;
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
        fetch("/api/v1/units/" + encodeURIComponent(select.value) + "/communes")
          .then(function (r) { return r.json(); })
          .then(function (communes) {
            target.innerHTML = "";
            var blank = document.createElement("option");
            blank.value = ""; blank.textContent = "—";
            target.appendChild(blank);
            communes.forEach(function (c) {
              var o = document.createElement("option");
              o.value = c.code; o.textContent = c.name;
              target.appendChild(o);
            });
          });
      });
    });
  });
})();
