import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Keyward } from '@keyward/core'
import { keyManagementRouter } from '@keyward/express'
import express, { type Express, type Request, type Response } from 'express'
import { protectedApi } from './api.js'
import { refuseForeignHosts } from './host-check.js'
import { apiKeysTab, endpointsTab, keysRegion } from './pages/developers.js'
import { fallbacks } from './fallbacks.js'
import { LIMITS } from './limits.js'
import { errorPage, homePage, notFoundPage, settingsPage } from './pages/home.js'
import type { Html } from './pages/html.js'
import { layout, type Section } from './pages/layout.js'
import { ROLE_NAMES } from './roles.js'
import { SCOPES, type DemoScope } from './scopes.js'

/** The page scripts, inlined with a CSP nonce (no build step): the key list, each key's usage and activity, its access rules, the team panel. */
const KEYS_SCRIPT = [
  new URL('./client/keys.js', import.meta.url),
  new URL('./client/key-details.js', import.meta.url),
  new URL('./client/access-rules.js', import.meta.url),
  new URL('./client/team.js', import.meta.url),
]
  .map((file) => readFileSync(file, 'utf8'))
  .join('\n')

/** Chart.js's browser build, served from node_modules (the page loads nothing from other sites). */
const require = createRequire(import.meta.url)
const CHART_JS = readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'))
const CHART_PATH = '/assets/chart.umd.min.js'

export interface DemoAppOptions {
  /** The signed-in team of this demo: every key is created for it. */
  owner: string
  /**
   * The origins this demo is served at (`http://localhost:3000`, `http://127.0.0.1:3000`): the
   * only hosts it answers (DNS-rebinding defence) and the only pages that may change keys.
   */
  origins: readonly string[]
}

function sendPage(res: Response, owner: string, title: string, section: Section | null, body: Html, script?: string): void {
  const scriptFiles = script === undefined ? [] : [CHART_PATH]
  const nonce = randomBytes(16).toString('base64')
  res.set({
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  })
  res.send(layout({ title, section, owner, nonce, body, scriptFiles, ...(script !== undefined && { script }) }))
}

/**
 * The demo app: the product's pages (Home, Developers → API Keys, Settings), the management JSON
 * API at `/api/keys` for the signed-in team, and the protected API at `/v1`.
 */
export function createDemoApp(keyward: Keyward<DemoScope>, { owner, origins }: DemoAppOptions): Express {
  const app = express()
  app.disable('x-powered-by')
  // Before any route: a request addressed to another name (a rebound attacker domain) gets 421.
  app.use(refuseForeignHosts(origins))

  // In a real app, this is your session: the demo's user is always signed in as `owner`.
  const authorize = (_req: Request): string => owner
  // Revoked keys stay listed: their record is what a review needs.
  const listKeys = async () => (await keyward.list({ ownerId: owner, limit: 100, includeRevoked: true })).items

  app.use(
    '/api/keys',
    keyManagementRouter(keyward, {
      authorize,
      allowedOrigins: origins,
      allowedScopes: SCOPES.map((s) => s.name),
      allowedRoles: ROLE_NAMES,
      // A single-team admin page: its users may set a key's rate limit and credits, within these caps.
      limits: LIMITS,
      // The demo's user is also the operator of Acme Relay, so it may set the team's key cap and
      // shared limits. In a real product, grant these from your session only to operators: a
      // tenant holding them could raise its own budget (the default leaves them read-only).
      editableOwnerSettings: ['maxKeys', 'rateLimits', 'credits', 'scopes', 'allowedIps'],
    }),
  )
  app.use('/v1', protectedApi(keyward))
  app.get(CHART_PATH, (_req, res) => {
    res.set({ 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=3600' }).send(CHART_JS)
  })

  app.get('/', (_req, res) => sendPage(res, owner, 'Home', 'home', homePage()))
  app.get('/settings', (_req, res) => sendPage(res, owner, 'Settings', 'settings', settingsPage()))
  app.get('/developers', async (_req, res) => sendPage(res, owner, 'API Keys', 'developers', apiKeysTab(await listKeys()), KEYS_SCRIPT))
  app.get('/developers/api-keys', (_req, res) => res.redirect(302, '/developers'))
  app.get('/developers/api-keys/list', async (_req, res) => {
    res.set({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).send(keysRegion(await listKeys()).value)
  })
  app.get('/developers/endpoints', (req, res) =>
    sendPage(res, owner, 'Endpoints', 'developers', endpointsTab(`${req.protocol}://${req.get('host') ?? 'localhost'}`)),
  )
  // Last: unknown addresses and failures, as a page or as problem+json.
  app.use(
    ...fallbacks((res, status) =>
      status === 404 ? sendPage(res, owner, 'Page not found', null, notFoundPage()) : sendPage(res, owner, 'Error', null, errorPage()),
    ),
  )
  return app
}
