import type { ApiKeyInfo } from '@keyward/core'

/** Any key's public view, whatever its typed scopes. */
type AnyKey = ApiKeyInfo
import { SCOPES } from '../scopes.js'
import { formatAgo, formatDate, formatFullDate, formatIn } from './format.js'
import { html, type Html } from './html.js'
import { icons } from './icons.js'

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

function statusCell(key: AnyKey, now: number): Html {
  const note =
    key.status === 'active' && key.rotatedToId !== null && key.expiresAt !== null
      ? html`<span class="sub" title="Works until ${formatFullDate(key.expiresAt)}">Rotated · ends ${formatIn(key.expiresAt, now)}</span>`
      : key.status === 'active' && key.expiresAt !== null
        ? html`<span class="sub" title="Expires ${formatFullDate(key.expiresAt)}">Expires ${formatIn(key.expiresAt, now)}</span>`
        : ''
  const label = key.status[0]!.toUpperCase() + key.status.slice(1)
  return html`<span class="status status-${key.status}">${label}</span>${note}`
}

function row(key: AnyKey, now: number): Html {
  const toggle =
    key.status === 'disabled'
      ? html`<button type="button" class="btn btn-sm" data-action="enable" aria-label="Enable ${key.name}">Enable</button>`
      : html`<button type="button" class="btn btn-sm" data-action="disable" aria-label="Disable ${key.name}"${key.status === 'active' ? '' : html` disabled`}>Disable</button>`
  const canRotate = key.rotatedToId === null && (key.status === 'active' || key.status === 'disabled')
  return html`<tr data-key-id="${key.id}" data-key-name="${key.name}">
  <td><span class="key-name">${key.name}</span></td>
  <td class="nowrap"><code class="mono">${key.redacted}</code></td>
  <td>${key.scopes.length === 0 ? html`<span class="muted">none</span>` : html`<span class="scopes">${key.scopes.map((s) => html`<span class="chip">${s}</span>`)}</span>`}</td>
  <td class="nowrap"><time datetime="${key.createdAt.toISOString()}" title="${formatFullDate(key.createdAt)}">${formatDate(key.createdAt, now)}</time></td>
  <td class="nowrap">${key.lastUsedAt === null ? html`<span class="muted">Never</span>` : html`<time datetime="${key.lastUsedAt.toISOString()}" title="${formatFullDate(key.lastUsedAt)}">${formatAgo(key.lastUsedAt, now)}</time>`}</td>
  <td>${statusCell(key, now)}</td>
  <td><div class="actions">
    ${toggle}
    <button type="button" class="btn btn-sm" data-action="rotate" aria-label="Rotate ${key.name}"${canRotate ? '' : html` disabled`}>Rotate</button>
    <button type="button" class="btn btn-sm btn-danger" data-action="delete" aria-label="Delete ${key.name}">Delete</button>
  </div></td>
</tr>`
}

/** The part of the page the script refreshes: the key table, or the empty screen. */
export function keysRegion(keys: readonly AnyKey[], now = Date.now()): Html {
  if (keys.length === 0)
    return html`<div class="card empty">
  <div class="key-badge">${icons.key()}</div>
  <h2>No API keys yet</h2>
  <p>Create a key for each system that calls Acme Relay — one per integration, so you can disable one without breaking the others.</p>
  ${addButton('add-key-empty')}
</div>`
  return html`<div class="card table-card">
<table aria-label="API keys">
  <thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>${keys.map((key) => row(key, now))}</tbody>
</table>
</div>`
}

const GRACE_OPTIONS: [number, string][] = [
  [0, 'End it now'],
  [3_600_000, '1 hour'],
  [86_400_000, '24 hours'],
  [7 * 86_400_000, '7 days'],
]

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
    <fieldset class="field">
      <legend>Scopes</legend>
      ${SCOPES.map(
        (scope) =>
          html`<label class="check"><input type="checkbox" name="scopes" value="${scope.name}" checked> <code>${scope.name}</code> <span class="muted">${scope.label}</span></label>`,
      )}
    </fieldset>
    <p class="error" id="create-error" role="alert"></p>
    <div class="dialog-actions">
      <button type="button" class="btn" data-close>Cancel</button>
      <button type="submit" class="btn btn-primary">Yes, Create Key</button>
    </div>
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
    <p class="error" id="rotate-error" role="alert"></p>
    <div class="dialog-actions">
      <button type="button" class="btn" data-close>Cancel</button>
      <button type="submit" class="btn btn-primary">Yes, Rotate Key</button>
    </div>
  </form>
</dialog>
<dialog id="delete-dialog" aria-labelledby="delete-title" aria-describedby="delete-desc">
  <form id="delete-form" method="dialog">
    <h2 id="delete-title">Delete API key</h2>
    <p id="delete-desc">Integrations using this key stop working at once. This cannot be undone.</p>
    <p class="error" id="delete-error" role="alert"></p>
    <div class="dialog-actions">
      <button type="button" class="btn" data-close>Cancel</button>
      <button type="submit" class="btn btn-danger-solid">Yes, Delete Key</button>
    </div>
  </form>
</dialog>`
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
