// Login page glue (DESIGN §4): set up window.kilt, list injected wallets, run the
// Credential API 4.0 key exchange and credential request, then follow redirect_to.
// Wallet apps (OID4VP): show the openid4vp:// link and poll for the answer.
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
  // A wallet app on this or another device (OID4VP): show the openid4vp:// link
  // and poll until the wallet has answered.
  const oid4vpButton = document.getElementById('oid4vp-start');
  const oid4vpLink = document.getElementById('oid4vp-link');
  let polling = null;

  function stopPolling() {
    if (polling !== null) { clearInterval(polling); polling = null; }
    oid4vpButton.disabled = false;
  }

  async function poll() {
    try {
      const s = await api('GET', 'oid4vp/status');
      if (s.status === 'complete') {
        stopPolling();
        window.location.assign(s.redirect_to);
      } else if (s.status === 'delivered') {
        stopPolling();
        say('The login continued in another window.');
      } else if (s.status === 'failed') {
        stopPolling();
        say('The wallet answer was refused: ' + s.error_description + ' You can try again.');
      } else if (s.status === 'expired') {
        stopPolling();
        oid4vpLink.textContent = '';
        say('The wallet link has expired. You can show a new one.');
      }
    } catch (e) {
      stopPolling();
      say('Login failed: ' + e.message);
    }
  }

  oid4vpButton.addEventListener('click', async function () {
    try {
      stopPolling();
      oid4vpButton.disabled = true;
      const r = await api('GET', 'oid4vp/request');
      oid4vpLink.textContent = '';
      const a = document.createElement('a');
      a.href = r.authorization_request;
      a.textContent = 'Open in your wallet app';
      const copy = document.createElement('input');
      copy.type = 'text';
      copy.readOnly = true;
      copy.size = 60;
      copy.value = r.authorization_request;
      copy.setAttribute('aria-label', 'Wallet link to copy to another device');
      oid4vpLink.append(a, document.createElement('br'), copy);
      say('Waiting for your wallet…');
      polling = setInterval(poll, 2000);
    } catch (e) {
      stopPolling();
      say('Login failed: ' + e.message);
    }
  });

  // Extensions may inject after this script runs.
  setTimeout(render, 300);
  window.addEventListener('kilt-extension#initialized', render);
})();
