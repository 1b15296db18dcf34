import type { ApiKeyInfo } from '@keyward/core'

/** Any key's public view, whatever its typed scopes. */
type AnyKey = ApiKeyInfo
import { DAY_MS, LIMITS } from '../limits.js'
import { SCOPES } from '../scopes.js'
import { formatAgo, formatDate, formatFullDate, formatIn } from './format.js'
import { html, type Html } from './html.js'
import { icons } from './icons.js'
import { accessButton, accessData, accessDialog, accessNote } from './access-rules.js'
import { dialogFooter } from './dialog.js'
import { detailsButton, detailsDialog } from './key-details.js'
import { teamDialog, teamPanel } from './team.js'

type Tab = 'api-keys' | 'endpoints'

function tabs(current: Tab): Html {
  const items: { tab: Tab; href: string; label: string }[] = [
    { tab: 'api-keys', href: '/developers', label: 'API Keys' },
    { tab: 'endpoints', href: '/developers/endpoints', label: 'Endpoints' },
  ]
  return html`<nav class="tabs" aria-label="Developers">${items.map(
    (item) => html`<a href="${item.href}"${item.tab === current ? html` aria-current="page"` : ''}>${item.label}</a>`,
  )}</nav>`
}

function header(current: Tab): Html {
  return html`<h1>Developers</h1>
<p class="lead">Connect your CRM, applicant-tracking system or internal tools to Acme Relay.</p>
${tabs(current)}`
}

function addButton(id: string): Html {
  return html`<button type="button" class="btn btn-primary" id="${id}" data-open-create>${icons.plus()}Add API Key</button>`
}

const NUMBER = new Intl.NumberFormat('en-US')

function statusCell(key: AnyKey, now: number): Html {
  const note =
    key.status === 'active' && key.rotatedToId !== null && key.expiresAt !== null
      ? html`<span class="sub" title="Works until ${formatFullDate(key.expiresAt)}">Rotated · ends ${formatIn(key.expiresAt, now)}</span>`
      : key.status === 'active' && key.expiresAt !== null
        ? html`<span class="sub" title="Expires ${formatFullDate(key.expiresAt)}">Expires ${formatIn(key.expiresAt, now)}</span>`
        : key.status === 'revoked' && key.revokedAt !== null
          ? html`<span class="sub" title="${formatFullDate(key.revokedAt)}">Revoked ${formatDate(key.revokedAt, now)}</span>`
          : ''
  const label = key.status[0]!.toUpperCase() + key.status.slice(1).replaceAll('_', ' ')
  return html`<span class="status status-${key.status}">${label}</span>${note}`
}

/** "replaced by …" / "replaces …": the other key of a rotation, by its redacted form, linked to its row. */
function rotationNote(key: AnyKey, byId: ReadonlyMap<string, AnyKey>): Html {
  const link = (id: string, verb: string) => {
    const other = byId.get(id)
    return other === undefined
      ? html`<span class="sub rotation">${verb} a key no longer listed</span>`
      : html`<span class="sub rotation">${verb} <a href="#key-${id}" data-goto="${id}"><code>${other.redacted}</code></a></span>`
  }
  return html`${key.rotatedToId !== null ? link(key.rotatedToId, 'Replaced by') : ''}${key.rotatedFromId !== null ? link(key.rotatedFromId, 'Replaces') : ''}`
}

function limitsCell(key: AnyKey): Html {
  if (key.rotatedToId !== null) return html`<span class="muted">Its replacement's</span>`
  const rate = key.rateLimit
  const credits = key.credits
  const rateText =
    rate === null
      ? 'No rate limit'
      : rate.windowMs === 60_000
        ? `${NUMBER.format(rate.limit)}/min`
        : `${rate.limit} per ${rate.windowMs / 1000} s`
  const creditText =
    credits === null
      ? 'Unlimited credits'
      : credits.refill
        ? `${NUMBER.format(credits.remaining)} of ${NUMBER.format(credits.refill.amount)} left today`
        : `${NUMBER.format(credits.remaining)} credits left`
  return html`<span class="limits"><span>${rateText}</span><span class="sub">${creditText}</span></span>`
}

function scopesCell(key: AnyKey): Html {
  return key.scopes.length === 0
    ? html`<span class="muted">none</span>`
    : html`<span class="scopes">${key.scopes.map((s) => html`<span class="chip">${s}</span>`)}</span>`
}

/** The key's editable fields, for the edit dialog (never its secret). */
function editData(key: AnyKey): Html {
  const data = {
    name: key.name,
    scopes: key.scopes,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    metadata: key.metadata,
    ratePerMinute: key.rateLimit?.windowMs === 60_000 ? key.rateLimit.limit : null,
    creditsPerDay: key.credits?.refill?.intervalMs === DAY_MS ? key.credits.refill.amount : null,
    creditsLeft: key.credits?.remaining ?? null,
    rotated: key.rotatedToId !== null,
  }
  return html` data-edit="${JSON.stringify(data)}"`
}

function actions(key: AnyKey): Html {
  const name = key.name
  if (key.status === 'revoked')
    return html`<div class="actions"><button type="button" class="btn btn-sm btn-quiet-danger" data-action="delete" aria-label="Delete ${name}">Delete</button></div>`
  const toggle =
    key.status === 'disabled'
      ? html`<button type="button" class="btn btn-sm" data-action="enable" aria-label="Enable ${name}">Enable</button>`
      : html`<button type="button" class="btn btn-sm" data-action="disable" aria-label="Disable ${name}"${key.status === 'active' ? '' : html` disabled`}>Disable</button>`
  const canRotate = key.rotatedToId === null && (key.status === 'active' || key.status === 'disabled')
  return html`<div class="actions">
    <button type="button" class="btn btn-sm" data-action="edit" aria-label="Edit ${name}">Edit</button>
    ${accessButton(name)}${toggle}
    <button type="button" class="btn btn-sm" data-action="rotate" aria-label="Rotate ${name}"${canRotate ? '' : html` disabled`}>Rotate</button>
    <button type="button" class="btn btn-sm btn-danger" data-action="revoke" aria-label="Revoke ${name}">Revoke</button>
    <button type="button" class="btn btn-sm btn-quiet-danger" data-action="delete" aria-label="Delete ${name}">Delete</button>
  </div>`
}

/** A cell with its label for the card layout; its content in one box, so it stays one grid item. */
function cell(label: string, content: Html): Html {
  return html`<td data-label="${label}"><div class="cell">${content}</div></td>`
}

function lastUsedCell(key: AnyKey, now: number): Html {
  const used =
    key.lastUsedAt === null
      ? html`<span class="muted last-used">Never</span>`
      : html`<time class="last-used" datetime="${key.lastUsedAt.toISOString()}" title="${formatFullDate(key.lastUsedAt)}">${formatAgo(key.lastUsedAt, now)}</time>`
  return html`${used}<span class="sub">Created <time datetime="${key.createdAt.toISOString()}" title="${formatFullDate(key.createdAt)}">${formatDate(key.createdAt, now)}</time></span>${detailsButton(key.name)}`
}

function row(key: AnyKey, now: number, byId: ReadonlyMap<string, AnyKey>): Html {
  return html`<tr id="key-${key.id}" data-key-id="${key.id}" data-key-name="${key.name}" data-status="${key.status}" class="status-row-${key.status}"${editData(key)}${accessData(key)}>
  <th scope="row"><span class="key-name">${key.name}</span><code class="mono key-redacted">${key.redacted}</code>${rotationNote(key, byId)}${accessNote(key, now)}</th>
  ${cell('Scopes', scopesCell(key))}
  ${cell('Limits', limitsCell(key))}
  ${cell('Last used', lastUsedCell(key, now))}
  ${cell('Status', statusCell(key, now))}
  <td class="actions-cell">${actions(key)}</td>
</tr>`
}

/** The part of the page the script refreshes: the key table (cards on a narrow screen), or the empty screen. */
export function keysRegion(keys: readonly AnyKey[], now = Date.now()): Html {
  if (keys.length === 0)
    return html`<div class="card empty">
  <div class="key-badge">${icons.key()}</div>
  <h2>No API keys yet</h2>
  <p>Create a key for each system that calls Acme Relay — one per integration, so you can disable one without breaking the others.</p>
  ${addButton('add-key-empty')}
</div>`
  const byId = new Map(keys.map((key) => [key.id, key]))
  return html`<div class="card table-card">
<table aria-label="API keys" class="keys">
  <thead><tr><th scope="col">Name and key</th><th scope="col">Scopes</th><th scope="col">Limits</th><th scope="col">Last used</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>${keys.map((key) => row(key, now, byId))}</tbody>
</table>
</div>`
}

const GRACE_OPTIONS: [number, string][] = [
  [0, 'End it now'],
  [3_600_000, '1 hour'],
  [86_400_000, '24 hours'],
  [7 * 86_400_000, '7 days'],
]

/** Expiry choices, in days from now ('' for none). */
const EXPIRY_OPTIONS: [string, string][] = [
  ['', 'Never'],
  ['30', 'In 30 days'],
  ['90', 'In 90 days'],
  ['365', 'In 1 year'],
]

const { maxRateLimit, maxCredits } = LIMITS

/** The fields create and edit share: scopes, expiry, limits within the caps, metadata. */
function keyFields(prefix: 'create' | 'edit'): Html {
  const id = (name: string) => `${prefix}-${name}`
  return html`<fieldset class="field" aria-describedby="${id('scopes-hint')}">
      <legend>Scopes</legend>
      <p class="hint" id="${id('scopes-hint')}">Tick only what this integration calls. Without a scope a key reaches only <code>GET /v1/me</code>.</p>
      ${SCOPES.map(
        (scope) =>
          html`<label class="check"><input type="checkbox" name="scopes" value="${scope.name}"> <code>${scope.name}</code> <span class="muted">${scope.label}</span></label>`,
      )}
      <p class="error" id="${id('scopes-error')}" aria-live="polite"></p>
    </fieldset>
    <div class="field">
      <label for="${id('expiry')}">Expires</label>
      <select id="${id('expiry')}" name="expiry">${prefix === 'edit' ? html`<option value="keep">Keep as is</option>` : ''}${EXPIRY_OPTIONS.map(([days, label]) => html`<option value="${days}">${label}</option>`)}</select>
    </div>
    <div class="field-row">
      <div class="field">
        <label for="${id('rate')}">Requests per minute</label>
        <input type="number" id="${id('rate')}" name="rate" min="1" max="${maxRateLimit.limit}" step="1" inputmode="numeric" placeholder="${maxRateLimit.limit}" aria-describedby="${id('rate-hint')} ${id('rate-error')}">
        <p class="hint" id="${id('rate-hint')}">At most ${NUMBER.format(maxRateLimit.limit)}.</p>
        <p class="error" id="${id('rate-error')}" aria-live="polite"></p>
      </div>
      <div class="field">
        <label for="${id('credits')}">Credits per day</label>
        <input type="number" id="${id('credits')}" name="credits" min="0" max="${maxCredits.refill.amount}" step="1" inputmode="numeric" placeholder="${maxCredits.refill.amount}" aria-describedby="${id('credits-hint')} ${id('credits-error')}">
        <p class="hint" id="${id('credits-hint')}">Each request spends one; at most ${NUMBER.format(maxCredits.refill.amount)}.</p>
        <p class="error" id="${id('credits-error')}" aria-live="polite"></p>
      </div>
    </div>
    <div class="field">
      <label for="${id('metadata')}">Metadata <span class="muted">(optional JSON object)</span></label>
      <textarea id="${id('metadata')}" name="metadata" rows="2" spellcheck="false" placeholder='{ "integration": "hubspot" }' aria-describedby="${id('metadata-error')}"></textarea>
      <p class="error" id="${id('metadata-error')}" aria-live="polite"></p>
    </div>`
}

function dialogs(): Html {
  return html`<dialog id="create-dialog" aria-labelledby="create-title" aria-describedby="create-desc">
  <form id="create-form" method="dialog" novalidate>
    <h2 id="create-title">Add API Key</h2>
    <p id="create-desc">The key acts for your team. Give it only the scopes its integration needs.</p>
    <div class="field">
      <label for="key-name">API Key Name</label>
      <input type="text" id="key-name" name="name" required minlength="3" maxlength="100" autocomplete="off" autofocus placeholder="e.g. HubSpot CRM sync" aria-describedby="key-name-hint key-name-error">
      <p class="hint" id="key-name-hint">Use a descriptive name: which system uses it and what for, so you know what stops if you disable it.</p>
      <p class="error" id="key-name-error" aria-live="polite"></p>
    </div>
    ${keyFields('create')}
    ${dialogFooter('create', 'Yes, Create Key', 'btn-primary')}
  </form>
</dialog>
<dialog id="edit-dialog" aria-labelledby="edit-title">
  <form id="edit-form" method="dialog" novalidate>
    <h2 id="edit-title">Edit API key</h2>
    <p id="edit-rotated" hidden>This key was rotated: its limits and credits are its replacement's; change them there.</p>
    <div class="field">
      <label for="edit-name">API Key Name</label>
      <input type="text" id="edit-name" name="name" required minlength="3" maxlength="100" autocomplete="off" aria-describedby="edit-name-error">
      <p class="error" id="edit-name-error" aria-live="polite"></p>
    </div>
    ${keyFields('edit')}
    ${dialogFooter('edit', 'Save Changes', 'btn-primary')}
  </form>
</dialog>
<dialog id="rotate-dialog" aria-labelledby="rotate-title">
  <form id="rotate-form" method="dialog">
    <h2 id="rotate-title">Rotate API key</h2>
    <p>You get a new key with the same name and scopes. Keep the old one working long enough to deploy the new one.</p>
    <div class="field">
      <label for="grace">Old key keeps working for</label>
      <select id="grace" name="grace">${GRACE_OPTIONS.map(([ms, label]) => html`<option value="${ms}"${ms === 86_400_000 ? html` selected` : ''}>${label}</option>`)}</select>
    </div>
    ${dialogFooter('rotate', 'Yes, Rotate Key', 'btn-primary')}
  </form>
</dialog>
<dialog id="revoke-dialog" aria-labelledby="revoke-title" aria-describedby="revoke-desc">
  <form id="revoke-form" method="dialog">
    <h2 id="revoke-title">Revoke API key</h2>
    <p id="revoke-desc">Integrations using this key stop working at once, for good: a revoked key cannot be enabled again. Its record stays in the list, so you can still see what it was and when it was last used.</p>
    ${dialogFooter('revoke', 'Yes, Revoke Key', 'btn-danger-solid')}
  </form>
</dialog>
<dialog id="delete-dialog" aria-labelledby="delete-title" aria-describedby="delete-desc">
  <form id="delete-form" method="dialog">
    <h2 id="delete-title">Delete API key</h2>
    <p id="delete-desc">Integrations using this key stop working at once, and its record is erased: name, scopes, when it was created and last used. Nothing is left to review. This cannot be undone.</p>
    <p class="warning" role="note" id="delete-hint">${icons.warning()}<span>To stop a key, <strong>revoke</strong> it instead: it stops just as fast and keeps its record.</span></p>
    ${dialogFooter('delete', 'Yes, Delete Key', 'btn-danger-solid', html`<button type="button" class="btn" id="revoke-instead">Revoke Instead</button>`)}
  </form>
</dialog>
${detailsDialog()}
${accessDialog()}
${teamDialog()}`
}

function newKeyPanel(): Html {
  return html`<section class="card new-key" id="new-key" aria-labelledby="new-key-title" hidden tabindex="-1">
  <h2 id="new-key-title">Your new API key</h2>
  <p class="muted">It is shown only this once.</p>
  <p class="visually-hidden" id="live" aria-live="polite"></p>
  <p class="field-label" id="secret-label">API key</p>
  <div class="secret-row">
    <code class="secret" id="new-key-value" aria-labelledby="secret-label"></code>
    <button type="button" class="btn btn-icon" id="copy-key" aria-label="Copy API key" title="Copy API key">${icons.copy()}</button>
  </div>
  <p class="warning" role="note">${icons.warning()}<span>Store it like a password, in your secret manager or your integration's settings. You won't be able to see it again; if you lose it, rotate the key.</span></p>
  <p class="field-label" id="curl-label">Try it</p>
  <div class="secret-row">
    <code class="secret" id="curl-line" aria-labelledby="curl-label"></code>
    <button type="button" class="btn btn-icon" id="copy-curl" aria-label="Copy curl command" title="Copy curl command">${icons.copy()}</button>
  </div>
  <footer><button type="button" class="btn" id="dismiss-key">Done, I stored it</button></footer>
</section>`
}

/** The Developers page with its API Keys tab shown. */
export function apiKeysTab(keys: readonly AnyKey[]): Html {
  return html`${header('api-keys')}
<div class="toolbar">
  ${addButton('add-key')}
  <p>Keys let your systems call the Acme Relay API without anyone signing in.</p>
</div>
<div class="banner banner-success" id="banner" role="status" hidden>${icons.success()}<p id="banner-text"></p><button type="button" class="btn btn-icon" id="banner-close" aria-label="Dismiss message">${icons.close()}</button></div>
<div class="banner banner-error" id="error-banner" role="alert" hidden>${icons.warning()}<p id="error-text"></p></div>
${newKeyPanel()}
${teamPanel()}
<div id="keys-region">${keysRegion(keys)}</div>
${dialogs()}`
}

/** The Endpoints tab: what a key unlocks. */
export function endpointsTab(origin: string): Html {
  const rows: [string, string, string, string][] = [
    ['GET', '/v1/me', 'any', 'The key and the team it acts for'],
    ['POST', '/v1/messages', 'messages:send', 'Send a message: { "to", "text" }'],
    ['POST', '/v1/contacts/sync', 'contacts:sync', 'Upsert contacts: { "contacts": [{ "email", "name" }] }'],
    ['POST', '/v1/workflows/:id/trigger', 'workflows:trigger', 'Start a workflow run'],
  ]
  return html`${header('endpoints')}
<div class="card table-card">
<table class="endpoints" aria-label="Endpoints">
  <thead><tr><th scope="col">Endpoint</th><th scope="col">Scope</th><th scope="col">What it does</th></tr></thead>
  <tbody>${rows.map(
    ([method, path, scope, what]) =>
      html`<tr><td><span class="method">${method}</span> <code>${path}</code></td><td><span class="chip">${scope}</span></td><td>${what}</td></tr>`,
  )}</tbody>
</table>
</div>
<p class="lead after-table">Send the key as <code>Authorization: Bearer &lt;key&gt;</code> or <code>X-API-Key: &lt;key&gt;</code>, for example:
<code>curl -H "Authorization: Bearer $ACME_KEY" ${origin}/v1/me</code></p>`
}
