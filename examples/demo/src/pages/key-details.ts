/**
 * The per-key details dialog: a Usage tab (a chart of the last 24 hours or 30 days, stacked by
 * outcome, and the key's last use) and an Activity tab (its audit log). The page script
 * `client/key-details.js` fills both from `GET /api/keys/:id/usage` and `GET /api/keys/:id/activity`.
 */
import { accessDetails } from './access-rules.js'
import { html, type Html } from './html.js'
import { icons } from './icons.js'

/** The button of a key's row that opens its details. */
export function detailsButton(name: string): Html {
  return html`<button type="button" class="btn-link" data-action="details" aria-label="Usage and activity of ${name}">View usage</button>`
}

function usagePanel(): Html {
  return html`<section role="tabpanel" id="panel-usage" aria-labelledby="tab-usage" class="details-panel">
  <div class="usage-head">
    <p id="last-used" class="last-used-line"></p>
    <div class="range" role="group" aria-label="Time range">
      <button type="button" class="btn btn-sm" data-range="24h" aria-pressed="true">24 hours</button>
      <button type="button" class="btn btn-sm" data-range="30d" aria-pressed="false">30 days</button>
    </div>
  </div>
  <p id="usage-summary" class="usage-summary" aria-live="polite"></p>
  <div class="chart-box"><canvas id="usage-chart" role="img" aria-label="Requests with this key, by outcome"></canvas></div>
  <p class="error" id="usage-error" role="alert"></p>
</section>`
}

function activityPanel(): Html {
  return html`<section role="tabpanel" id="panel-activity" aria-labelledby="tab-activity" class="details-panel" hidden>
  <div class="activity-scroll">
    <table class="activity" aria-label="Activity">
      <thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Who</th><th scope="col">From</th></tr></thead>
      <tbody id="activity-rows"></tbody>
    </table>
  </div>
  <p id="activity-empty" class="muted" hidden>Nothing has changed on this key yet.</p>
  <p class="error" id="activity-error" role="alert"></p>
  <div class="activity-more"><button type="button" class="btn" id="activity-more" hidden>Load more</button></div>
</section>`
}

/** The dialog, empty until a row's Usage button opens it for that key. */
export function detailsDialog(): Html {
  return html`<dialog id="details-dialog" class="details-dialog" aria-labelledby="details-title">
  <div class="details">
    <header class="details-head">
      <div><h2 id="details-title">API key</h2><code class="mono muted" id="details-redacted"></code></div>
      <button type="button" class="btn btn-icon" data-close aria-label="Close">${icons.close()}</button>
    </header>
    ${accessDetails()}
    <div class="details-tabs" role="tablist" aria-label="Key details">
      <button type="button" role="tab" id="tab-usage" aria-controls="panel-usage" aria-selected="true">Usage</button>
      <button type="button" role="tab" id="tab-activity" aria-controls="panel-activity" aria-selected="false" tabindex="-1">Activity</button>
    </div>
    ${usagePanel()}
    ${activityPanel()}
  </div>
</dialog>`
}
