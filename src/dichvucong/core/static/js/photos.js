/* Phone photos are made small before they are sent; everything works without it.
   A photo of a paper from a phone is 3–12 MB; over a commune's mobile network that is minutes,
   and the platform keeps at most 10 MB. When a JPEG or PNG over TARGET is chosen, it is decoded
   (turned upright by its EXIF orientation), scaled to at most MAX_SIDE pixels on its long side
   and re-encoded as JPEG, lowering the quality and then the size until it is under TARGET. The
   form's buttons wait while this runs. A PDF, a small image or a browser that cannot do it
   sends the file as chosen. */
(function () {
  "use strict";
  var TARGET = 900 * 1024, MAX_SIDE = 2000, QUALITIES = [0.85, 0.75, 0.65];
  // The words, translated by the page: data-shrinking, data-shrunk on the script tag.
  var words = (document.currentScript && document.currentScript.dataset) || {};
  var SHRINKING = words.shrinking || "Đang thu nhỏ ảnh", SHRUNK = words.shrunk || "Ảnh đã thu nhỏ để gửi nhanh";
  if (!window.createImageBitmap || !window.DataTransfer || !HTMLCanvasElement.prototype.toBlob) return;

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

  document.querySelectorAll("form input[type=file]").forEach(function (input) {
    input.addEventListener("change", async function () {
      var file = input.files && input.files[0];
      if (!file || !/^image\/(jpeg|png)$/.test(file.type) || file.size <= TARGET) return;
      var box = status(input), form = input.form;
      box.textContent = SHRINKING + " " + file.name + " (" + megabytes(file.size) + ")…";
      busy(form, true);
      try {
        var blob = await shrink(file);
        if (blob && blob.size < file.size) {
          var name = file.name.replace(/\.(png|jpe?g)$/i, "") + ".jpg";
          var smaller = new DataTransfer();
          smaller.items.add(new File([blob], name, {type: "image/jpeg", lastModified: file.lastModified}));
          input.files = smaller.files;
          box.textContent = SHRUNK + ": " + megabytes(file.size) + " → " +
            megabytes(blob.size) + ".";
        } else {
          box.textContent = "";
        }
      } catch (error) {
        box.textContent = "";  // not decodable here: the file goes as chosen, the server decides
      } finally {
        busy(form, false);
      }
    });
  });
})();
