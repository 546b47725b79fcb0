// A single-page app in headless Chromium that logs in with oidc-client-ts (the
// browser OIDC library behind react-oidc-context and others), driven by
// provider-server/tests/spa_browser.rs over stdin/stdout, one JSON object per line.
// Everything the library fetches (discovery, JWKS, token, userinfo, revocation) it
// fetches from the app's own origin, so the browser enforces the provider's CORS.
//
// Environment: ISSUER, CLIENT_ID (a public client), APP (the app's origin, serving
// `/` and `/oidc-client-ts.min.js`), OTHER (an origin the client did not register),
// CHROMIUM (default /usr/bin/chromium).
//
// Prints {"authorize": URL}; reads {"callback": URL}; prints {"logout": URL}; reads
// {"callback": URL} (where the provider sent the browser after logout); prints
// {"result": {...}}, or {"error": "..."} when anything failed, and exits.
import { chromium } from 'playwright-core'
import { env, hear, say } from './conversation.mjs'

async function main () {
  const issuer = env('ISSUER')
  const app = env('APP')
  const browser = await chromium.launch({
    executablePath: env('CHROMIUM', '/usr/bin/chromium'),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-first-run']
  })
  try {
    const page = await browser.newPage()
    page.on('console', (m) => process.stderr.write(`[app console] ${m.text()}\n`))
    await page.goto(`${app}/`)
    const settings = {
      authority: issuer,
      client_id: env('CLIENT_ID'),
      redirect_uri: `${app}/cb`,
      post_logout_redirect_uri: `${app}/logged-out`,
      response_type: 'code',
      scope: 'openid email offline_access',
      loadUserInfo: true
    }
    // The library fetches the discovery document, makes the PKCE pair and state.
    const authorize = await page.evaluate(async (settings) => {
      window.rp = new oidc.OidcClient(settings)
      return (await window.rp.createSigninRequest({})).url
    }, settings)
    say({ authorize })
    const { callback } = await hear()
    // Token request (PKCE, client_id only), id_token validation against the JWKS,
    // then userinfo with the bearer token (a preflighted request).
    const signin = await page.evaluate(async (callback) => {
      const r = await window.rp.processSigninResponse(callback)
      window.tokens = r
      return {
        token_type: r.token_type,
        has_refresh_token: typeof r.refresh_token === 'string',
        profile: r.profile,
        scope: r.scope
      }
    }, callback)

    // What a page of another origin may read: public documents and error answers,
    // never the claims of a token it got hold of.
    const accessToken = await page.evaluate(() => window.tokens.access_token)
    const other = await browser.newPage()
    await other.goto(`${env('OTHER')}/`)
    const fromOther = await other.evaluate(async ({ issuer, accessToken }) => {
      const attempt = async (url, init) => {
        try {
          const r = await fetch(url, init)
          return { status: r.status, www_authenticate: r.headers.get('WWW-Authenticate') }
        } catch (e) {
          return { blocked: e.name }
        }
      }
      return {
        discovery: await attempt(`${issuer}/.well-known/openid-configuration`),
        userinfo: await attempt(`${issuer}/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } }),
        bad_token: await attempt(`${issuer}/userinfo`, { headers: { Authorization: 'Bearer not-a-token' } })
      }
    }, { issuer, accessToken })

    // The app's own userinfo request (preflighted: it sends Authorization), then RFC
    // 7009 from the app's origin, after which the token is dead for userinfo.
    const revoked = await page.evaluate(async (issuer) => {
      const userinfo = () => fetch(`${issuer}/userinfo`, { headers: { Authorization: `Bearer ${window.tokens.access_token}` } })
      const before = await (await userinfo()).json()
      await window.rp.revokeToken(window.tokens.refresh_token, 'refresh_token')
      return { userinfo_before: before, userinfo_status: (await userinfo()).status }
    }, issuer)

    // RP-Initiated Logout: the library builds the URL and later checks the state it
    // gets back.
    const logout = await page.evaluate(async () => {
      const request = await window.rp.createSignoutRequest({
        id_token_hint: window.tokens.id_token,
        state: { back_to: '/home' }
      })
      return request.url
    })
    say({ logout })
    const back = (await hear()).callback
    const signout = await page.evaluate(async (back) => {
      const r = await window.rp.processSignoutResponse(back)
      return { error: r.error ?? null, user_state: r.userState ?? null }
    }, back)
    say({ result: { origin: new URL(app).origin, signin, from_other: fromOther, revoked, signout } })
  } finally {
    await browser.close()
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    say({ error: `${e.name}: ${e.message}` })
    process.exit(1)
  }
)
