// Follows the background signing of a result and reloads the page once it is done.
// Without JavaScript, the page's "reload" link does the same.
(function () {
  "use strict";
  var items = document.querySelectorAll("[data-result-progress]");
  if (!items.length) { return; }
  var tries = 0;
  function poll() {
    tries += 1;
    var pending = Array.prototype.map.call(items, function (item) {
      return fetch(item.getAttribute("data-result-progress"), {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (data) { item.textContent = data.label; return data.done; })
        .catch(function () { return false; });
    });
    Promise.all(pending).then(function (done) {
      if (done.every(Boolean)) { window.location.reload(); }
      else if (tries < 120) { window.setTimeout(poll, 1500); }
    });
  }
  window.setTimeout(poll, 1000);
})();
