// @ts-check
/**
 * A key's access rules: the Access dialog (allowed addresses, roles, not-before) saved with
 * PATCH /api/keys/:id, and the rules shown in the key's details dialog. Uses keys.js's calls.
 */
;(() => {
  const page = /** @type {any} */ (window).demoKeys
  /** @type {(id: string) => HTMLElement} */
  const byId = page.byId
  const dialog = /** @type {HTMLDialogElement} */ (byId('access-dialog'))
  const form = /** @type {HTMLFormElement} */ (byId('access-form'))
  const ips = /** @type {HTMLTextAreaElement} */ (byId('access-ips'))
  const start = /** @type {HTMLInputElement} */ (byId('access-start'))
  const roles = /** @type {HTMLInputElement[]} */ (Array.from(form.querySelectorAll('input[name="roles"]')))
  const submit = /** @type {HTMLButtonElement} */ (form.querySelector('button[type="submit"]'))
  const errors = {
    ips: byId('access-ips-error'),
    roles: byId('access-roles-error'),
    start: byId('access-start-error'),
    form: byId('access-error'),
  }
  const WHEN = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' })

  /** @typedef {{ allowedIps: string[] | null, roles: string[], notBefore: string | null }} Access */
  /** @type {{ id: string, name: string } | null} */
  let pending = null

  /** @param {HTMLElement} row @returns {Access} */
  const accessOf = (row) => JSON.parse(row.dataset.access ?? '{"allowedIps":null,"roles":[],"notBefore":null}')

  /** A date as the datetime-local input takes it, in local time. @param {string} iso */
  function localInput(iso) {
    const date = new Date(iso)
    const pad = (/** @type {number} */ n) => String(n).padStart(2, '0')
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`
  }

  /** @param {keyof typeof errors} slot @param {string} message */
  function setError(slot, message) {
    errors[slot].textContent = message
    const control = slot === 'ips' ? ips : slot === 'start' ? start : null
    control?.setAttribute('aria-invalid', message ? 'true' : 'false')
  }

  /** @param {HTMLElement} row */
  function open(row) {
    const access = accessOf(row)
    pending = { id: row.dataset.keyId ?? '', name: row.dataset.keyName ?? '' }
    form.reset()
    for (const slot of /** @type {(keyof typeof errors)[]} */ (['ips', 'roles', 'start', 'form'])) setError(slot, '')
    byId('access-title').textContent = `Access rules of "${pending.name}"`
    ips.value = (access.allowedIps ?? []).join('\n')
    for (const box of roles) box.checked = access.roles.includes(box.value)
    start.value = access.notBefore === null ? '' : localInput(access.notBefore)
    dialog.showModal()
    ips.focus()
  }

  /**
   * A refusal under the field it names; an allow-list entry by its line ("Line 2: …").
   * @param {unknown} error
   */
  function showRefusal(error) {
    const field = /** @type {{ field?: string }} */ (error).field ?? ''
    const message = error instanceof Error ? error.message : String(error)
    const entry = /^allowedIps\[(\d+)\]/.exec(field)
    if (entry) setError('ips', `Line ${Number(entry[1]) + 1}: ${message.replace(/^allowedIps\[\d+\]: /, '')}`)
    else if (field.startsWith('allowedIps')) setError('ips', message)
    else if (field.startsWith('roles')) setError('roles', message)
    else if (field === 'notBefore') setError('start', message)
    else setError('form', message)
    const invalid = /** @type {HTMLElement | null} */ (form.querySelector('[aria-invalid="true"]'))
    invalid?.focus()
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const target = pending
    if (target === null || submit.disabled) return
    for (const slot of /** @type {(keyof typeof errors)[]} */ (['ips', 'roles', 'start', 'form'])) setError(slot, '')
    const lines = ips.value
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '')
    const when = start.value === '' ? null : new Date(start.value)
    if (when !== null && Number.isNaN(when.getTime())) return setError('start', 'Enter a date and time, or leave it empty.')
    const body = {
      allowedIps: lines.length === 0 ? null : lines,
      roles: roles.filter((box) => box.checked).map((box) => box.value),
      notBefore: when === null ? null : when.toISOString(),
    }
    submit.disabled = true
    void (async () => {
      try {
        await page.api('PATCH', `/${encodeURIComponent(target.id)}`, body)
        dialog.close()
        page.showBanner(`Access rules of "${target.name}" saved. The API follows them at once.`)
        await page.refreshOrReport(target.id, '[data-action="access"]')
      } catch (error) {
        showRefusal(error)
      } finally {
        submit.disabled = false
      }
    })()
  })

  /** Fill the details dialog's rules from the row whose details open. @param {HTMLElement} row */
  function showDetails(row) {
    const access = accessOf(row)
    const list = byId('details-access')
    list.replaceChildren()
    const add = (/** @type {string} */ term, /** @type {string} */ value) => {
      const wrap = document.createElement('div')
      const dt = document.createElement('dt')
      const dd = document.createElement('dd')
      dt.textContent = term
      dd.textContent = value
      wrap.append(dt, dd)
      list.append(wrap)
    }
    add('Allowed from', access.allowedIps === null ? 'Anywhere' : access.allowedIps.join(', '))
    add('Roles', access.roles.length === 0 ? 'None' : access.roles.join(', '))
    add('Works from', access.notBefore === null ? 'At once' : WHEN.format(new Date(access.notBefore)))
  }

  document.addEventListener('click', (event) => {
    const clicked = event.target instanceof Element ? event.target : null
    const button = /** @type {HTMLButtonElement | null} */ (clicked?.closest('button') ?? null)
    const row = /** @type {HTMLElement | null} */ (button?.closest('tr[data-key-id]') ?? null)
    if (button === null || row === null || button.disabled) return
    if (button.dataset.action === 'access') open(row)
    else if (button.dataset.action === 'details') showDetails(row)
  })
})()
