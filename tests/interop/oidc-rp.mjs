// A relying party built on `openid-client` (panva; OpenID Certified), driven by
// provider-server/tests/oidc_node_rp.rs over stdin/stdout, one JSON object per line.
//
// Environment: ISSUER, CLIENT_ID, CLIENT_SECRET (empty for a public client),
// REDIRECT_URI, POST_LOGOUT_REDIRECT_URI, FLOW (`code`, `par`: the code flow with the
// request pushed first (RFC 9126), `dpop`: the code flow with DPoP-bound tokens
// (RFC 9449, an ES256 key made by the library), or `implicit`).
//
// Prints {"authorize": URL}; reads {"callback": URL} (where the provider sent the
// browser); prints {"result": {...}} with what the library validated, or
// {"error": "..."} when it refused anything, and exits. The code flow ends by
// introspecting the refreshed access token (RFC 7662, confidential clients) and revoking
// the refresh token (RFC 7009), then says how the refresh grant and userinfo fail, and
// builds the RP-Initiated Logout URL from the discovery document's end_session_endpoint.
import * as client from 'openid-client'
import { env, hear, say } from './conversation.mjs'

async function main () {
  const issuer = new URL(env('ISSUER'))
  const secret = env('CLIENT_SECRET')
  const redirectUri = env('REDIRECT_URI')
  const flow = env('FLOW')
  // Plain HTTP is allowed only because the test provider listens on 127.0.0.1.
  const metadata = { response_types: [flow === 'implicit' ? 'id_token' : 'code'] }
  if (secret !== '') metadata.client_secret = secret
  // INTROSPECTION_ALG (optional): ask for signed introspection answers (RFC 9701), which
  // the library then checks (typ, iss, aud, iat, alg, and the signature against the JWKS).
  const introspectionAlg = process.env.INTROSPECTION_ALG ?? ''
  if (introspectionAlg !== '') metadata.introspection_signed_response_alg = introspectionAlg
  // Every response passes through here, so the result can say which form introspection took.
  let introspectionContentType = null
  const recordingFetch = async (url, options) => {
    const response = await fetch(url, options)
    if (new URL(url).pathname === '/introspect') introspectionContentType = response.headers.get('content-type')
    return response
  }
  const config = await client.discovery(
    issuer,
    env('CLIENT_ID'),
    metadata,
    secret === '' ? client.None() : client.ClientSecretBasic(secret),
    { execute: [client.allowInsecureRequests], [client.customFetch]: recordingFetch }
  )
  if (introspectionAlg !== '') client.enableNonRepudiationChecks(config)
  const state = client.randomState()
  const nonce = client.randomNonce()
  if (flow === 'implicit') {
    client.useIdTokenResponseType(config)
    say({
      authorize: client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        response_type: 'id_token',
        scope: 'openid email',
        state,
        nonce
      }).href
    })
    const { callback } = await hear()
    const claims = await client.implicitAuthentication(config, new URL(callback), nonce, {
      expectedState: state
    })
    say({ result: { id_token_claims: claims } })
    return
  }
  const verifier = client.randomPKCECodeVerifier()
  const parameters = {
    redirect_uri: redirectUri,
    scope: 'openid email offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce
  }
  // With PAR the library posts the parameters to the pushed_authorization_request_endpoint
  // and the URL carries only client_id and the request_uri it got back.
  const authorize = flow === 'par'
    ? await client.buildAuthorizationUrlWithPAR(config, parameters)
    : client.buildAuthorizationUrl(config, parameters)
  say({ authorize: authorize.href })
  const { callback } = await hear()
  // With DPoP the library sends a proof with every token and userinfo request.
  const dpop = flow === 'dpop'
    ? { DPoP: client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256')) }
    : undefined
  // Checks state, iss (RFC 9207), the code exchange with PKCE, and the id_token:
  // signature against the JWKS, iss, aud, nonce, exp, iat, at_hash when present.
  const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true
  }, undefined, dpop)
  const claims = tokens.claims()
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub, dpop)
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, undefined, dpop)
  // RFC 7662 (confidential clients only): the refreshed access token is live.
  const introspection = secret === ''
    ? null
    : await client.tokenIntrospection(config, refreshed.access_token, { token_type_hint: 'access_token' })
  // RFC 7009: revoking the refresh token ends its grant, the access tokens included.
  await client.tokenRevocation(config, refreshed.refresh_token, { token_type_hint: 'refresh_token' })
  // The OAuth error code: of the JSON body, or of the WWW-Authenticate challenge.
  const failure = (p) => p.then(
    () => 'accepted',
    (e) => e.error ?? e.cause?.[0]?.parameters?.error ?? e.code ?? e.name
  )
  const revoked = {
    refresh: await failure(client.refreshTokenGrant(config, refreshed.refresh_token, undefined, dpop)),
    userinfo: await failure(client.fetchUserInfo(config, refreshed.access_token, claims.sub, dpop))
  }
  // RP-Initiated Logout 1.0: the harness follows this URL and checks where it leads.
  const logoutState = client.randomState()
  const endSession = client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token,
    post_logout_redirect_uri: env('POST_LOGOUT_REDIRECT_URI'),
    state: logoutState
  })
  say({
    result: {
      authorize_url: authorize.href,
      end_session_url: endSession.href,
      logout_state: logoutState,
      id_token_alg: JSON.parse(Buffer.from(tokens.id_token.split('.')[0], 'base64url')).alg,
      id_token_claims: claims,
      token_type: tokens.token_type,
      userinfo,
      refreshed_claims: refreshed.claims() ?? null,
      refresh_rotated: refreshed.refresh_token !== undefined && refreshed.refresh_token !== tokens.refresh_token,
      introspection,
      introspection_content_type: introspectionContentType,
      revoked
    }
  })
}

main().then(
  () => process.exit(0),
  (e) => {
    const cause = e.cause instanceof Error ? `${e.cause.name}: ${e.cause.message}` : JSON.stringify(e.cause)
    say({ error: `${e.name}: ${e.message}${e.code ? ` (${e.code})` : ''}${e.cause ? `; cause: ${cause}` : ''}` })
    process.exit(1)
  }
)
