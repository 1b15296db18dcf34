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

/** The page for an address that names nothing. The address is not quoted back (it could hold a pasted key). */
export function notFoundPage(): Html {
  return html`<h1>Page not found</h1>
<p class="lead">There is no page at this address.</p>
<div class="card placeholder">
  <p class="muted">Try <a href="/">Home</a> or <a href="/developers">Developers → API Keys</a>. The API's endpoints are listed under
  <a href="/developers/endpoints">Endpoints</a>.</p>
</div>`
}

/** The page for a server failure: nothing more than that it happened (the details go to the log). */
export function errorPage(): Html {
  return html`<h1>Something went wrong</h1>
<p class="lead">The server could not show this page. Try again in a moment.</p>
<div class="card placeholder"><p class="muted">Back to <a href="/">Home</a>.</p></div>`
}
