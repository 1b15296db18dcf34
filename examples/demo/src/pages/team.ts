/**
 * The team panel of the API Keys page: the team's key cap and the limit all its keys share
 * (`GET /api/keys/owner`), and a dialog to change them (`PUT /api/keys/owner`), which the demo's
 * user may do as the operator. `client/team.js` fills and saves them.
 */
import { dialogFooter } from './dialog.js'
import { html, type Html } from './html.js'

/** The panel, filled by the script. */
export function teamPanel(): Html {
  return html`<section class="card team" id="team-panel" aria-labelledby="team-title">
  <div class="team-head">
    <h2 id="team-title">Team limits</h2>
    <button type="button" class="btn btn-sm" id="team-edit" hidden>Edit Team Limits</button>
  </div>
  <dl class="team-facts">
    <div><dt>Live keys</dt><dd id="team-keys">…</dd></div>
    <div><dt>Shared limit</dt><dd id="team-rate">…</dd></div>
  </dl>
  <p class="error" id="team-load-error" role="alert"></p>
</section>`
}

/** The dialog the operator changes them in. */
export function teamDialog(): Html {
  return html`<dialog id="team-dialog" aria-labelledby="team-dialog-title">
  <form id="team-form" method="dialog" novalidate>
    <h2 id="team-dialog-title">Team limits</h2>
    <p>These apply to every key of the team, on top of each key's own limits.</p>
    <div class="field-row">
      <div class="field">
        <label for="team-max-keys">Most live keys</label>
        <input type="number" id="team-max-keys" name="maxKeys" min="0" step="1" inputmode="numeric" placeholder="No cap" aria-describedby="team-max-keys-error">
        <p class="error" id="team-max-keys-error" aria-live="polite"></p>
      </div>
      <div class="field">
        <label for="team-rate-input">Shared requests per minute</label>
        <input type="number" id="team-rate-input" name="rate" min="1" step="1" inputmode="numeric" placeholder="No shared limit" aria-describedby="team-rate-error">
        <p class="error" id="team-rate-error" aria-live="polite"></p>
      </div>
    </div>
    ${dialogFooter('team', 'Save Team Limits', 'btn-primary')}
  </form>
</dialog>`
}
