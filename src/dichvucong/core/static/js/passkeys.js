/* Passkeys (WebAuthn, accounts/passkeys.py): adding one on «Khóa truy cập», and using one at
   the login's second step or to re-authenticate. Shown only where the browser supports them;
   the codes from the authenticator app work everywhere without this script. */
(function () {
  "use strict";
  var supported = !!(window.PublicKeyCredential && navigator.credentials);

  function toBytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var raw = atob(b64), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }
  function toText(buffer) {
    if (!buffer) return null;
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function csrf() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) {
          var refused = new Error(data.error || "");
          refused.fromServer = true;
          throw refused;
        }
        return data;
      });
    });
  }
  function credentialsToBytes(list) {
    (list || []).forEach(function (item) { item.id = toBytes(item.id); });
  }
  function answer(credential) {
    var r = credential.response, response = {clientDataJSON: toText(r.clientDataJSON)};
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      response.userHandle = toText(r.userHandle);
    }
    return {id: credential.id, rawId: toText(credential.rawId), type: credential.type,
      response: response, clientExtensionResults: credential.getClientExtensionResults()};
  }
  function fail(box, error) {
    var line = box.querySelector("[data-passkey-error]");
    // The server's message when it gave one; the browser's own (cancelled…) is not shown.
    line.textContent = (error && error.fromServer && error.message) || box.dataset.failed;
    line.hidden = false;
  }

  document.querySelectorAll("[data-passkey-register]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!supported) {
        fail(form, {fromServer: true, message: form.dataset.unsupported});
        return;
      }
      post(form.dataset.options).then(function (options) {
        var key = options.publicKey;
        key.challenge = toBytes(key.challenge);
        key.user.id = toBytes(key.user.id);
        credentialsToBytes(key.excludeCredentials);
        return navigator.credentials.create({publicKey: key});
      }).then(function (credential) {
        return post(form.dataset.url, {credential: answer(credential),
          name: form.querySelector("[name=name]").value});
      }).then(function (data) { window.location.assign(data.redirect); })
        .catch(function (error) { fail(form, error); });
    });
  });

  document.querySelectorAll("[data-passkey-login]").forEach(function (box) {
    if (!supported) return;
    box.hidden = false;
    box.querySelector("button").addEventListener("click", function () {
      post(box.dataset.options).then(function (options) {
        var key = options.publicKey;
        key.challenge = toBytes(key.challenge);
        credentialsToBytes(key.allowCredentials);
        return navigator.credentials.get({publicKey: key});
      }).then(function (credential) {
        return post(box.dataset.url, {credential: answer(credential), next: box.dataset.next});
      }).then(function (data) {
        var form = box.dataset.thenSubmit && document.getElementById(box.dataset.thenSubmit);
        if (!form) { window.location.assign(data.redirect); return; }
        // Re-authentication: verified now, so the form goes on without a code; a download
        // asked before is simply fetched again.
        if (form.querySelector("[data-after-get]")) { window.location.assign(form.action); return; }
        form.querySelectorAll("[data-reauth-secret]").forEach(function (el) { el.remove(); });
        form.submit();
      }).catch(function (error) { fail(box, error); });
    });
  });
})();
