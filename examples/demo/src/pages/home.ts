import { html, type Html } from './html.js'

export function homePage(): Html {
  return html`<h1>Welcome back</h1>
<p class="lead">Messages, contacts and workflows for your team.</p>
<div class="card placeholder">
  <h2>Connect your systems</h2>
  <p class="muted">Let your CRM or applicant-tracking system send messages, sync contacts and trigger workflows on its own:
  create an API key on the <a href="/developers">Developers</a> page.</p>
</div>`
}

export function settingsPage(): Html {
  return html`<h1>Settings</h1>
<p class="lead">Team settings are not part of this demo.</p>
<div class="card placeholder"><p class="muted">Head to <a href="/developers">Developers</a> to manage API keys.</p></div>`
}
