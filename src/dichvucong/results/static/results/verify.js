// Camera scanning on the verification page, as an enhancement: the page works without it
// (paste or upload). jsQR (vendored, Apache-2.0) is loaded only when the camera is started.
(function () {
  "use strict";
  var section = document.getElementById("scanner");
  var script = document.currentScript;
  if (!section || !script || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  section.hidden = false;
  var start = document.getElementById("scan-start");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var form = document.getElementById("paste-form");
  var text = document.getElementById("verify-text");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", {willReadFrequently: true});
  var stream = null;

  function loadJsQR() {
    return new Promise(function (resolve, reject) {
      if (window.jsQR) { resolve(window.jsQR); return; }
      var tag = document.createElement("script");
      tag.src = script.getAttribute("data-jsqr");
      tag.onload = function () { resolve(window.jsQR); };
      tag.onerror = reject;
      document.head.appendChild(tag);
    });
  }

  function stop() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    video.hidden = true;
  }

  function scan(jsQR) {
    if (!stream) { return; }
    if (video.readyState === video.HAVE_ENOUGH_DATA) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var found = jsQR(image.data, image.width, image.height, {inversionAttempts: "dontInvert"});
      if (found && found.data) {
        stop();
        status.textContent = start.getAttribute("data-found") || "";
        text.value = found.data;
        form.submit();
        return;
      }
    }
    window.requestAnimationFrame(function () { scan(jsQR); });
  }

  start.addEventListener("click", function () {
    status.textContent = "…";
    loadJsQR().then(function (jsQR) {
      return navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}})
        .then(function (media) {
          stream = media;
          video.srcObject = media;
          video.hidden = false;
          status.textContent = "";
          return video.play().then(function () { scan(jsQR); });
        });
    }).catch(function () {
      stop();
      status.textContent = section.getAttribute("data-error") || "";
    });
  });
})();
