/* Files are made small and sent in pieces before the form is; everything works without it.
   1. Phone photos are made small.
   A photo of a paper from a phone is 3–12 MB; over a commune's mobile network that is minutes,
   and the platform keeps at most 10 MB. When a JPEG or PNG over TARGET is chosen, it is decoded
   (turned upright by its EXIF orientation), scaled to at most MAX_SIDE pixels on its long side
   and re-encoded as JPEG, lowering the quality and then the size until it is under TARGET. The
   form's buttons wait while this runs. A PDF, a small image or a browser that cannot do it
   sends the file as chosen.
   2. Where the page names an upload address (data-resumable on the script tag), a file over
   RESUMABLE_FROM is sent beforehand in pieces with tus-js-client (the tus protocol,
   dossiers/resumable.py): a dropped connection resumes where it stopped. Once sent, the form
   carries the upload's address (doc-N-upload) instead of the file; if it cannot be sent, the
   file stays in the form and goes with it as usual. */
(function () {
  "use strict";
  var TARGET = 900 * 1024, MAX_SIDE = 2000, QUALITIES = [0.85, 0.75, 0.65];
  var RESUMABLE_FROM = 1024 * 1024, PIECE = 512 * 1024;
  // The words, translated by the page: data-shrinking, data-shrunk on the script tag.
  var words = (document.currentScript && document.currentScript.dataset) || {};
  var SHRINKING = words.shrinking || "Đang thu nhỏ ảnh", SHRUNK = words.shrunk || "Ảnh đã thu nhỏ để gửi nhanh";
  var SENDING = words.sending || "Đang tải lên", SENT = words.sent || "Đã tải lên";
  var RETRYING = words.retrying || "Mất kết nối, đang tải tiếp…";
  var UNSENT = words.unsent || "Chưa tải trước được: tệp sẽ gửi cùng biểu mẫu.";
  var RESUMABLE = words.resumable || "";
  var canShrink = !!(window.createImageBitmap && window.DataTransfer &&
                     HTMLCanvasElement.prototype.toBlob);
  var canResume = !!(RESUMABLE && window.tus && window.tus.isSupported);

  function encode(bitmap, side, quality) {
    var scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
    var canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    var context = canvas.getContext("2d");
    context.fillStyle = "#fff";  // a transparent PNG keeps a white page, not a black one
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return new Promise(function (done) { canvas.toBlob(done, "image/jpeg", quality); });
  }

  async function shrink(file) {
    var bitmap = await createImageBitmap(file, {imageOrientation: "from-image"});
    var side = MAX_SIDE, blob = null;
    try {
      for (var round = 0; round < 4; round++) {
        for (var i = 0; i < QUALITIES.length; i++) {
          blob = await encode(bitmap, side, QUALITIES[i]);
          if (blob && blob.size <= TARGET) return blob;
        }
        side = Math.round(side * 0.75);
      }
      return blob;
    } finally {
      if (bitmap.close) bitmap.close();
    }
  }

  function megabytes(bytes) {
    return (bytes / 1048576).toLocaleString("vi-VN", {maximumFractionDigits: 1}) + " MB";
  }

  function status(input) {
    var id = input.id + "-photo-status", box = document.getElementById(id);
    if (!box) {
      box = document.createElement("p");
      box.id = id;
      box.className = "hint";
      box.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", box);
    }
    return box;
  }

  function busy(form, on) {
    form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) {
      b.disabled = on;
    });
  }

  function csrfToken(form) {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  async function makeSmall(input, box) {
    var file = input.files[0];
    if (!canShrink || !/^image\/(jpeg|png)$/.test(file.type) || file.size <= TARGET) return;
    box.textContent = SHRINKING + " " + file.name + " (" + megabytes(file.size) + ")…";
    try {
      var blob = await shrink(file);
      if (blob && blob.size < file.size) {
        var name = file.name.replace(/\.(png|jpe?g)$/i, "") + ".jpg";
        var smaller = new DataTransfer();
        smaller.items.add(new File([blob], name, {type: "image/jpeg", lastModified: file.lastModified}));
        input.files = smaller.files;
        box.textContent = SHRUNK + ": " + megabytes(file.size) + " → " + megabytes(blob.size) + ".";
        return;
      }
    } catch (error) { /* not decodable here: the file goes as chosen, the server decides */ }
    box.textContent = "";
  }

  function sendAhead(input, box) {
    var file = input.files[0];
    return new Promise(function (done) {
      var upload = new window.tus.Upload(file, {
        endpoint: RESUMABLE, chunkSize: PIECE, metadata: {filename: file.name},
        headers: {"X-CSRFToken": csrfToken(input.form)},
        retryDelays: [0, 1000, 3000, 5000, 10000, 20000], removeFingerprintOnSuccess: true,
        onProgress: function (sent, total) {
          box.textContent = SENDING + " " + file.name + ": " + Math.floor(sent * 100 / total) + " %";
        },
        onShouldRetry: function (error) {
          // As tus-js-client's default: a network error, a server error or a conflict of
          // offsets is worth another try; a refusal (too large, logged out) is not.
          var answer = error.originalResponse, code = answer ? answer.getStatus() : 0;
          if (code >= 400 && code < 500 && code !== 409 && code !== 423) return false;
          box.textContent = RETRYING;
          return true;
        },
        onError: function () { box.textContent = UNSENT; done(false); },
        onSuccess: function () {
          var name = input.name + "-upload";
          var kept = input.form.querySelector('input[type=hidden][name="' + name + '"]');
          if (!kept) {
            kept = document.createElement("input");
            kept.type = "hidden";
            kept.name = name;
            input.insertAdjacentElement("afterend", kept);
          }
          kept.value = upload.url.replace(/\/$/, "").split("/").pop();
          input.value = "";  // the form carries the upload, not the file again
          box.textContent = SENT + ": " + file.name + " (" + megabytes(file.size) + ").";
          done(true);
        }
      });
      upload.start();
    });
  }

  document.querySelectorAll("form input[type=file]").forEach(function (input) {
    input.addEventListener("change", async function () {
      var file = input.files && input.files[0];
      if (!file) return;
      var box = status(input), form = input.form;
      var sent = form.querySelector('input[type=hidden][name="' + input.name + '-upload"]');
      if (sent) sent.remove();  // a new choice replaces what was sent before
      busy(form, true);
      try {
        await makeSmall(input, box);
        if (canResume && input.files[0].size > RESUMABLE_FROM) await sendAhead(input, box);
      } finally {
        busy(form, false);
      }
    });
  });
})();
