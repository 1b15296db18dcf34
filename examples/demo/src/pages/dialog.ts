import { html, type Html } from './html.js'

/** A dialog's error slot (`#<prefix>-error`) and its buttons: Cancel, anything `extra`, then the submit button. */
export function dialogFooter(prefix: string, submit: string, submitClass: string, extra: Html | '' = ''): Html {
  return html`<p class="error" id="${prefix}-error" role="alert"></p>
    <div class="dialog-actions">
      <button type="button" class="btn" data-close>Cancel</button>
      ${extra}<button type="submit" class="btn ${submitClass}">${submit}</button>
    </div>`
}
