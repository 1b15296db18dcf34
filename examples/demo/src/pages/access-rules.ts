/**
 * A key's access rules on the API Keys page: where it may be used from (`allowedIps`), its roles and
 * when it starts working (`notBefore`). The row shows them; the Access dialog, filled by
 * `client/access-rules.js`, changes them through `PATCH /api/keys/:id`.
 */
import type { ApiKeyInfo } from '@keyward/core'
import { ROLE_LABELS, ROLE_NAMES, ROLES } from '../roles.js'
import { formatDate, formatFullDate } from './format.js'
import { dialogFooter } from './dialog.js'
import { html, type Html } from './html.js'

/** The rules as the dialog and the details dialog read them (`data-access` on the row). */
export function accessData(key: ApiKeyInfo): Html {
  const data = { allowedIps: key.allowedIps, roles: key.roles, notBefore: key.notBefore?.toISOString() ?? null }
  return html` data-access="${JSON.stringify(data)}"`
}

/** Under the key's name: its roles, its allow-list and its start, when it has them. */
export function accessNote(key: ApiKeyInfo, now: number): Html {
  const ips = key.allowedIps
  const parts = [
    key.roles.length > 0
      ? html`<span class="sub access-roles">Roles: ${key.roles.map((r) => html`<span class="chip">${r}</span> `)}</span>`
      : '',
    ips === null
      ? ''
      : html`<span class="sub access-ips" title="${ips.join(', ')}">Only from ${ips.length === 1 ? ips[0] : `${ips.length} addresses`}</span>`,
    key.notBefore !== null && key.notBefore.getTime() > now
      ? html`<span class="sub access-start" title="${formatFullDate(key.notBefore)}">Starts ${formatDate(key.notBefore, now)}</span>`
      : '',
  ]
  return html`${parts}`
}

/** The row's button that opens the Access dialog. */
export function accessButton(name: string): Html {
  return html`<button type="button" class="btn btn-sm" data-action="access" aria-label="Access rules of ${name}">Access</button>`
}

/** The Access dialog: allow-list (one address or CIDR range a line), roles, not-before. */
export function accessDialog(): Html {
  return html`<dialog id="access-dialog" aria-labelledby="access-title">
  <form id="access-form" method="dialog" novalidate>
    <h2 id="access-title">Access rules</h2>
    <div class="field">
      <label for="access-ips">Allowed addresses <span class="muted">(one IP address or CIDR range per line; empty for anywhere)</span></label>
      <textarea id="access-ips" name="allowedIps" rows="3" spellcheck="false" placeholder="203.0.113.0/24&#10;2001:db8::/32" aria-describedby="access-ips-error"></textarea>
      <p class="error" id="access-ips-error" aria-live="polite"></p>
    </div>
    <fieldset class="field" aria-describedby="access-roles-hint">
      <legend>Roles</legend>
      <p class="hint" id="access-roles-hint">A role grants its scopes on top of the key's own.</p>
      ${ROLE_NAMES.map(
        (role) =>
          html`<label class="check"><input type="checkbox" name="roles" value="${role}"> <code>${role}</code> <span class="muted">${ROLE_LABELS[role]} (${ROLES[role].join(', ')})</span></label>`,
      )}
      <p class="error" id="access-roles-error" aria-live="polite"></p>
    </fieldset>
    <div class="field">
      <label for="access-start">Works from <span class="muted">(empty for now)</span></label>
      <input type="datetime-local" id="access-start" name="notBefore" aria-describedby="access-start-error">
      <p class="error" id="access-start-error" aria-live="polite"></p>
    </div>
    ${dialogFooter('access', 'Save Access Rules', 'btn-primary')}
  </form>
</dialog>`
}

/** In the key's details dialog: its rules, filled from the row when it opens. */
export function accessDetails(): Html {
  return html`<dl class="details-access" id="details-access"></dl>`
}
