// OID4VP callback (the wallet's redirect_uri after direct_post): post the
// fragment's response_code for the login this browser started, then follow
// redirect_to. The fragment never reaches a server log; it is removed from the
// address bar before anything else happens.
'use strict';
(function () {
  const status = document.getElementById('status');
  function say(text) { status.textContent = text; }

  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const code = fragment.get('response_code');
  history.replaceState(null, '', window.location.pathname);
  if (!code) {
    say('This page finishes a wallet login, but the link it was opened with is incomplete.');
    return;
  }

  fetch('/api/v1/oid4vp/response_code', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ response_code: code }),
  }).then(async function (response) {
    const json = await response.json().catch(function () { return null; });
    if (response.ok && json && json.redirect_to) {
      window.location.assign(json.redirect_to);
    } else if (json && json.error === 'invalid_request') {
      // No login session of this browser: the wallet was used from another device.
      say('Your wallet has answered. Go back to the device where you started the login: it continues there.');
    } else {
      say('This login cannot be finished here: ' + ((json && json.error_description) || response.statusText));
    }
  }, function () {
    say('The login service cannot be reached. Try again.');
  });
})();
