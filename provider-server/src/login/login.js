// Login page glue (DESIGN §4): set up window.kilt, list injected wallets, run the
// Credential API 4.0 key exchange and credential request, then follow redirect_to.
'use strict';
(function () {
  const script = document.currentScript;
  const loginChallenge = script.getAttribute('data-login-challenge');
  const q = 'login_challenge=' + encodeURIComponent(loginChallenge);
  const status = document.getElementById('status');
  const list = document.getElementById('wallets');

  // Wallet extensions inject themselves into window.kilt when it exists.
  window.kilt = window.kilt || {};
  Object.defineProperty(window.kilt, 'meta', {
    value: { versions: { credentials: '4.0' } },
    enumerable: false,
  });
  window.dispatchEvent(new CustomEvent('kilt-dapp#initialized'));

  function say(text) { status.textContent = text; }

  async function api(method, path, body) {
    const init = { method, headers: {}, credentials: 'same-origin' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch('/api/v1/' + path + '?' + q, init);
    const text = await response.text();
    const json = text ? JSON.parse(text) : null;
    if (!response.ok) {
      throw new Error((json && json.error_description) || response.statusText);
    }
    return json;
  }

  async function login(wallet) {
    try {
      say('Connecting to ' + wallet.name + '…');
      const c = await api('GET', 'challenge');
      const session = await wallet.startSession(c.dAppName, c.dAppEncryptionKeyUri, c.challenge);
      await api('POST', 'challenge', {
        encryptionKeyUri: session.encryptionKeyUri,
        encryptedChallenge: session.encryptedChallenge,
        nonce: session.nonce,
      });
      const request = await api('GET', 'credentials');
      const answer = new Promise(function (resolve) {
        session.listen(async function (message) { resolve(message); });
      });
      await session.send(request);
      say('Waiting for your approval in the wallet…');
      const result = await api('POST', 'credentials', await answer);
      window.location.assign(result.redirect_to);
    } catch (e) {
      say('Login failed: ' + e.message);
    }
  }

  function render() {
    list.textContent = '';
    const wallets = Object.keys(window.kilt)
      .map(function (k) { return window.kilt[k]; })
      .filter(function (w) { return w && typeof w.startSession === 'function'; });
    if (wallets.length === 0) {
      const li = document.createElement('li');
      li.textContent = 'No wallet extension found. Install one and reload this page.';
      list.appendChild(li);
      return;
    }
    wallets.forEach(function (w) {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Log in with ' + String(w.name || 'wallet');
      button.addEventListener('click', function () { login(w); });
      li.appendChild(button);
      list.appendChild(li);
    });
  }
  // Extensions may inject after this script runs.
  setTimeout(render, 300);
  window.addEventListener('kilt-extension#initialized', render);
})();
