// @ts-check
/**
 * The API Keys page: calls the management JSON API at /api/keys, then refreshes the server-rendered
 * key list. A new key lives only in this page's memory and the "new key" panel until dismissed.
 */
;(() => {
  /** @param {string} id */
  const byId = (id) => {
    const node = document.getElementById(id)
    if (node === null) throw new Error(`#${id} is missing`)
    return node
  }
  const DAY_MS = 86_400_000
  const createDialog = /** @type {HTMLDialogElement} */ (byId('create-dialog'))
  const createForm = /** @type {HTMLFormElement} */ (byId('create-form'))
  const nameInput = /** @type {HTMLInputElement} */ (byId('key-name'))
  const editDialog = /** @type {HTMLDialogElement} */ (byId('edit-dialog'))
  const editForm = /** @type {HTMLFormElement} */ (byId('edit-form'))
  const rotateDialog = /** @type {HTMLDialogElement} */ (byId('rotate-dialog'))
  const rotateForm = /** @type {HTMLFormElement} */ (byId('rotate-form'))
  const graceSelect = /** @type {HTMLSelectElement} */ (byId('grace'))
  const revokeDialog = /** @type {HTMLDialogElement} */ (byId('revoke-dialog'))
  const revokeForm = /** @type {HTMLFormElement} */ (byId('revoke-form'))
  const deleteDialog = /** @type {HTMLDialogElement} */ (byId('delete-dialog'))
  const deleteForm = /** @type {HTMLFormElement} */ (byId('delete-form'))
  const banner = byId('banner')
  const bannerText = byId('banner-text')
  const errorBanner = byId('error-banner')
  const errorText = byId('error-text')
  const newKey = byId('new-key')
  const newKeyValue = byId('new-key-value')
  const curlLine = byId('curl-line')
  const live = byId('live')
  const region = byId('keys-region')

  /**
   * @typedef {{ name: string, scopes: string[], expiresAt: string | null, metadata: Record<string, unknown>,
   *   ratePerMinute: number | null, creditsPerDay: number | null, creditsLeft: number | null, rotated: boolean }} EditData
   * @typedef {{ id: string, name: string, status: string, edit: EditData | null }} Target
   */
  /** @type {Target | null} the key an edit, rotate, revoke or delete dialog is about */
  let pending = null
  /** @type {string | null} id of the key shown in the new-key panel */
  let shownKeyId = null

  /** An error with the field at fault, from a problem+json answer. */
  class RequestError extends Error {
    /** @param {string} message @param {string} [field] */
    constructor(message, field) {
      super(message)
      this.field = field
    }
  }

  /**
   * What a failed answer says: the problem's `detail`, else its `title`, else the status line.
   * @param {Response} response
   */
  async function failureOf(response) {
    const text = await response.text().catch(() => '')
    /** @type {any} */
    let problem = null
    try {
      problem = JSON.parse(text)
    } catch {
      problem = null
    }
    const detail = typeof problem?.detail === 'string' && problem.detail !== '' ? problem.detail : null
    const title = typeof problem?.title === 'string' && problem.title !== '' ? problem.title : null
    const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`
    const message = detail ?? (title ? `${title} (${response.status}).` : `The server answered ${status}. Try again in a moment.`)
    return new RequestError(message, typeof problem?.field === 'string' ? problem.field : undefined)
  }

  /**
   * Call the management API. Resolves to the JSON answer (null for 204); rejects with a RequestError.
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @returns {Promise<any>}
   */
  async function api(method, path, body) {
    /** @type {RequestInit} */
    const init = { method, credentials: 'same-origin', headers: { accept: 'application/json' } }
    if (body !== undefined) {
      init.headers = { accept: 'application/json', 'content-type': 'application/json' }
      init.body = JSON.stringify(body)
    }
    let response
    try {
      response = await fetch(`/api/keys${path}`, init)
    } catch {
      throw new RequestError('The server could not be reached. Check your connection and try again.')
    }
    if (!response.ok) throw await failureOf(response)
    if (response.status === 204) return null
    return response.json()
  }

  /** @param {unknown} error */
  const messageOf = (error) => (error instanceof Error ? error.message : String(error))

  /** @param {string} message */
  function showBanner(message) {
    errorBanner.hidden = true
    bannerText.textContent = message
    banner.hidden = false
  }

  /** @param {string} message */
  function showError(message) {
    banner.hidden = true
    errorText.textContent = message
    errorBanner.hidden = false
  }

  /** Re-render the key list from the server; then focus `selector` in the row of `keyId`, if given. */
  async function refresh(/** @type {string} */ keyId = '', /** @type {string} */ selector = '') {
    let response
    try {
      response = await fetch('/developers/api-keys/list', { credentials: 'same-origin' })
    } catch {
      throw new RequestError('The key list could not be reloaded: the server is unreachable. Reload the page.')
    }
    if (!response.ok) throw await failureOf(response)
    region.innerHTML = await response.text()
    if (keyId && selector) {
      const row = region.querySelector(`tr[data-key-id="${CSS.escape(keyId)}"]`)
      const target = /** @type {HTMLElement | null} */ (row?.querySelector(selector) ?? null)
      target?.focus()
    }
  }

  /** Refresh, showing a failure in the error banner rather than throwing. */
  async function refreshOrReport(/** @type {string} */ keyId = '', /** @type {string} */ selector = '') {
    try {
      await refresh(keyId, selector)
    } catch (error) {
      showError(messageOf(error))
    }
  }

  /**
   * Show a key once, with its copy button and a ready curl line.
   * @param {string} key
   * @param {string} id
   * @param {string} message
   */
  function showNewKey(key, id, message) {
    shownKeyId = id
    newKeyValue.textContent = key
    curlLine.textContent = `curl -H "Authorization: Bearer ${key}" ${location.origin}/v1/me`
    live.textContent = ''
    newKey.hidden = false
    showBanner(message)
    byId('copy-key').focus()
  }

  function hideNewKey() {
    newKeyValue.textContent = ''
    curlLine.textContent = ''
    newKey.hidden = true
    shownKeyId = null
  }

  /**
   * @param {HTMLElement} button
   * @param {HTMLElement} source
   * @param {string} what
   */
  async function copy(button, source, what) {
    const text = source.textContent ?? ''
    try {
      await navigator.clipboard.writeText(text)
      live.textContent = `${what} copied to the clipboard.`
      button.classList.add('copied')
      setTimeout(() => button.classList.remove('copied'), 2000)
    } catch {
      const range = document.createRange()
      range.selectNodeContents(source)
      const selection = getSelection()
      selection?.removeAllRanges()
      selection?.addRange(range)
      live.textContent = `Copying is blocked here: the ${what.toLowerCase()} is selected, press Ctrl+C (⌘C) to copy it.`
    }
  }

  /** @param {string} raw */
  function validateName(raw) {
    const name = raw.trim()
    if (name === '') return 'Enter a name for the key, like "HubSpot CRM sync".'
    if (name.length < 3) return 'Use at least 3 characters: a descriptive name, like "HubSpot CRM sync".'
    if (name.length > 100) return 'Use at most 100 characters.'
    if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'Remove the control characters from the name.'
    return ''
  }

  /**
   * The form's controls by name, and its error slots by field.
   * @param {HTMLFormElement} form
   * @param {'create' | 'edit'} prefix
   */
  function controlsOf(form, prefix) {
    const input = (/** @type {string} */ name) => /** @type {HTMLInputElement} */ (form.elements.namedItem(name))
    return {
      form,
      name: input('name'),
      scopes: /** @type {HTMLInputElement[]} */ (Array.from(form.querySelectorAll('input[name="scopes"]'))),
      expiry: /** @type {HTMLSelectElement} */ (/** @type {unknown} */ (input('expiry'))),
      rate: input('rate'),
      credits: input('credits'),
      metadata: /** @type {HTMLTextAreaElement} */ (/** @type {unknown} */ (input('metadata'))),
      submit: /** @type {HTMLButtonElement} */ (form.querySelector('button[type="submit"]')),
      errors: {
        name: byId(prefix === 'create' ? 'key-name-error' : 'edit-name-error'),
        scopes: byId(`${prefix}-scopes-error`),
        rate: byId(`${prefix}-rate-error`),
        credits: byId(`${prefix}-credits-error`),
        metadata: byId(`${prefix}-metadata-error`),
        form: byId(`${prefix}-error`),
      },
    }
  }
  const create = controlsOf(createForm, 'create')
  const edit = controlsOf(editForm, 'edit')
  const SUBMIT_LABEL = { create: create.submit.textContent ?? '', edit: edit.submit.textContent ?? '' }

  /** @typedef {ReturnType<typeof controlsOf>} Controls */
  /** @typedef {'name' | 'scopes' | 'rate' | 'credits' | 'metadata' | 'form'} Slot */

  /**
   * Show `message` under `slot` ('' clears it), marking its control invalid.
   * @param {Controls} c @param {Slot} slot @param {string} message
   */
  function setError(c, slot, message) {
    c.errors[slot].textContent = message
    const control =
      slot === 'name' ? c.name : slot === 'rate' ? c.rate : slot === 'credits' ? c.credits : slot === 'metadata' ? c.metadata : null
    control?.setAttribute('aria-invalid', message ? 'true' : 'false')
  }

  /** @param {Controls} c */
  function clearErrors(c) {
    for (const slot of /** @type {Slot[]} */ (['name', 'scopes', 'rate', 'credits', 'metadata', 'form'])) setError(c, slot, '')
    resetNoScopeConfirmation(c)
  }

  /** @param {Controls} c */
  function resetNoScopeConfirmation(c) {
    delete c.form.dataset.noScopesConfirmed
    c.submit.textContent = c === create ? SUBMIT_LABEL.create : SUBMIT_LABEL.edit
  }

  /**
   * A whole number from `min` to `max` in `input`, null when empty; a message when it is not.
   * @param {HTMLInputElement} input @param {number} min @param {number} max @returns {number | null | string}
   */
  function wholeNumber(input, min, max) {
    const raw = input.value.trim()
    if (raw === '') return null
    const value = Number(raw)
    return Number.isInteger(value) && value >= min && value <= max
      ? value
      : `Enter a whole number from ${min} to ${max.toLocaleString('en-US')}, or leave it empty for ${max.toLocaleString('en-US')}.`
  }

  /**
   * The number in the `rate` or `credits` field (1 to its `max`): undefined when the field is off,
   * null when empty, false after showing why it is not valid.
   * @param {Controls} c @param {'rate' | 'credits'} slot @returns {number | null | undefined | false}
   */
  function numberField(c, slot) {
    const input = c[slot]
    if (input.disabled) return undefined
    const value = wholeNumber(input, 1, Number(input.max))
    setError(c, slot, typeof value === 'string' ? value : '')
    return typeof value === 'string' ? false : value
  }

  /** @param {HTMLSelectElement} select @returns {string | null | undefined} ISO date, null for never, undefined to keep */
  function expiryOf(select) {
    if (select.value === 'keep') return undefined
    if (select.value === '') return null
    return new Date(Date.now() + Number(select.value) * DAY_MS).toISOString()
  }

  /**
   * The request body of a create (`original` null) or an edit, or null after showing what is wrong.
   * Only what changed is sent on edit; limits stay within the caps the inputs carry.
   * @param {Controls} c @param {EditData | null} original @returns {Record<string, unknown> | null}
   */
  function bodyOf(c, original) {
    const body = /** @type {Record<string, unknown>} */ ({})
    let ok = true
    const problem = validateName(c.name.value)
    setError(c, 'name', problem)
    if (problem) ok = false
    else body.name = c.name.value.trim()

    const scopes = c.scopes.filter((box) => box.checked).map((box) => box.value)
    // On edit, only a change is sent: the audit log then names just what changed.
    if (original === null || [...scopes].sort().join() !== [...original.scopes].sort().join()) body.scopes = scopes

    const expiresAt = expiryOf(c.expiry)
    if (expiresAt !== undefined && !(original === null && expiresAt === null)) body.expiresAt = expiresAt

    const rate = numberField(c, 'rate')
    if (rate === false) ok = false
    else if (rate !== undefined) {
      const perMinute = rate ?? Number(c.rate.max)
      if (original === null ? rate !== null : perMinute !== original.ratePerMinute) body.rateLimit = { limit: perMinute, windowMs: 60_000 }
    }

    const credits = numberField(c, 'credits')
    if (credits === false) ok = false
    else if (credits !== undefined) {
      const perDay = credits ?? Number(c.credits.max)
      const refill = { amount: perDay, intervalMs: DAY_MS }
      if (original === null) {
        if (credits !== null) body.credits = { remaining: perDay, refill }
      } else if (perDay !== original.creditsPerDay) {
        // What a key has left is never topped up here: a larger daily amount applies from the next refill.
        body.credits = { remaining: Math.min(perDay, original.creditsLeft ?? perDay), refill }
      }
    }

    const rawMetadata = c.metadata.value.trim()
    let metadataProblem = ''
    if (rawMetadata !== '') {
      try {
        const metadata = JSON.parse(rawMetadata)
        if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))
          metadataProblem = 'Use a JSON object, like { "integration": "hubspot" }.'
        else if (original === null || JSON.stringify(metadata) !== JSON.stringify(original.metadata)) body.metadata = metadata
      } catch {
        metadataProblem = 'This is not valid JSON. Use an object, like { "integration": "hubspot" }.'
      }
    } else if (original !== null && Object.keys(original.metadata).length > 0) body.metadata = {}
    setError(c, 'metadata', metadataProblem)
    if (metadataProblem) ok = false

    if (!ok) {
      const invalid = /** @type {HTMLElement | null} */ (c.form.querySelector('[aria-invalid="true"]'))
      invalid?.focus()
      return null
    }
    // A key without a scope reaches almost nothing: ask once before making one.
    if (scopes.length === 0 && c.form.dataset.noScopesConfirmed !== 'yes') {
      c.form.dataset.noScopesConfirmed = 'yes'
      setError(
        c,
        'scopes',
        'No scope is ticked: this key will reach only GET /v1/me. Tick the scopes its integration needs, or confirm to go ahead without.',
      )
      c.submit.textContent = c === create ? 'Create Without Scopes' : 'Save Without Scopes'
      c.scopes[0]?.focus()
      return null
    }
    return body
  }

  /**
   * Show a refusal of the server under the field it names, else under the form.
   * @param {Controls} c @param {unknown} error
   */
  function showFieldError(c, error) {
    const field = error instanceof RequestError ? (error.field ?? '') : ''
    const message = messageOf(error)
    /** @type {Slot} */
    const slot =
      field === 'name'
        ? 'name'
        : field.startsWith('scopes')
          ? 'scopes'
          : field.startsWith('rateLimit')
            ? 'rate'
            : field.startsWith('credits')
              ? 'credits'
              : field.startsWith('metadata')
                ? 'metadata'
                : 'form'
    setError(c, slot, message)
    if (slot === 'name') c.name.focus()
  }

  function openCreate() {
    createForm.reset()
    clearErrors(create)
    createDialog.showModal()
    nameInput.focus()
  }

  /** @param {Target} target */
  function openEdit(target) {
    const data = target.edit
    if (data === null) return
    editForm.reset()
    clearErrors(edit)
    byId('edit-title').textContent = `Edit "${target.name}"`
    edit.name.value = data.name
    for (const box of edit.scopes) box.checked = data.scopes.includes(box.value)
    edit.expiry.value = 'keep'
    const keep = edit.expiry.querySelector('option[value="keep"]')
    if (keep)
      keep.textContent = data.expiresAt === null ? 'Keep as is (never)' : `Keep as is (${new Date(data.expiresAt).toLocaleString()})`
    edit.rate.value = data.ratePerMinute === null ? '' : String(data.ratePerMinute)
    edit.credits.value = data.creditsPerDay === null ? '' : String(data.creditsPerDay)
    edit.metadata.value = Object.keys(data.metadata).length === 0 ? '' : JSON.stringify(data.metadata)
    // A rotated key spends its replacement's budget and keeps the grace rotation gave it.
    for (const control of [edit.rate, edit.credits, edit.expiry]) control.disabled = data.rotated
    byId('edit-rotated').hidden = !data.rotated
    pending = target
    editDialog.showModal()
    edit.name.focus()
  }

  /**
   * @param {HTMLDialogElement} dialog
   * @param {string} title
   */
  function openFor(dialog, title) {
    const heading = dialog.querySelector('h2')
    if (heading) heading.textContent = title
    const error = dialog.querySelector('.error')
    if (error) error.textContent = ''
    dialog.showModal()
  }

  /**
   * Run `action` with the form's submit button disabled.
   * @param {HTMLFormElement} form
   * @param {() => Promise<void>} action
   */
  async function busy(form, action) {
    const submit = /** @type {HTMLButtonElement | null} */ (form.querySelector('button[type="submit"]'))
    if (submit?.disabled) return
    if (submit) submit.disabled = true
    try {
      await action()
    } finally {
      if (submit) submit.disabled = false
    }
  }

  for (const c of [create, edit]) {
    c.name.addEventListener('input', () => {
      if (c.name.getAttribute('aria-invalid') === 'true') setError(c, 'name', validateName(c.name.value))
    })
    for (const box of c.scopes)
      box.addEventListener('change', () => {
        setError(c, 'scopes', '')
        resetNoScopeConfirmation(c)
      })
  }

  createForm.addEventListener('submit', (event) => {
    event.preventDefault()
    const body = bodyOf(create, null)
    if (body === null) return
    void busy(createForm, async () => {
      try {
        const { key, info } = await api('POST', '/', body)
        createDialog.close()
        showNewKey(key, info.id, `API key "${info.name}" created. Copy it now: it won't be shown again.`)
        await refreshOrReport()
      } catch (error) {
        showFieldError(create, error)
      }
    })
  })

  editForm.addEventListener('submit', (event) => {
    event.preventDefault()
    const target = pending
    if (target === null || target.edit === null) return
    const body = bodyOf(edit, target.edit)
    if (body === null) return
    void busy(editForm, async () => {
      try {
        const info = await api('PATCH', `/${encodeURIComponent(target.id)}`, body)
        editDialog.close()
        showBanner(`API key "${info.name}" saved.`)
        await refreshOrReport(target.id, '[data-action="edit"]')
      } catch (error) {
        showFieldError(edit, error)
      }
    })
  })

  rotateForm.addEventListener('submit', (event) => {
    event.preventDefault()
    const target = pending
    if (target === null) return
    const gracePeriodMs = Number(graceSelect.value)
    const graceLabel = graceSelect.selectedOptions[0]?.textContent ?? ''
    void busy(rotateForm, async () => {
      try {
        const { key, info } = await api('POST', `/${encodeURIComponent(target.id)}/rotate`, { gracePeriodMs })
        rotateDialog.close()
        const old = gracePeriodMs === 0 ? 'The old key no longer works.' : `The old key keeps working for ${graceLabel}.`
        showNewKey(key, info.id, `API key "${info.name}" rotated. ${old} Copy the new key now: it won't be shown again.`)
        await refreshOrReport()
      } catch (error) {
        byId('rotate-error').textContent = messageOf(error)
      }
    })
  })

  revokeForm.addEventListener('submit', (event) => {
    event.preventDefault()
    const target = pending
    if (target === null) return
    void busy(revokeForm, async () => {
      try {
        await api('POST', `/${encodeURIComponent(target.id)}/revoke`)
        revokeDialog.close()
        if (shownKeyId === target.id) hideNewKey()
        showBanner(`API key "${target.name}" revoked. Requests with it are refused from now on; its record stays listed.`)
        await refreshOrReport(target.id, '[data-action="delete"]')
      } catch (error) {
        byId('revoke-error').textContent = messageOf(error)
      }
    })
  })

  deleteForm.addEventListener('submit', (event) => {
    event.preventDefault()
    const target = pending
    if (target === null) return
    void busy(deleteForm, async () => {
      try {
        await api('DELETE', `/${encodeURIComponent(target.id)}`)
        deleteDialog.close()
        if (shownKeyId === target.id) hideNewKey()
        showBanner(`API key "${target.name}" deleted. Requests with it are refused, and its record is gone.`)
        await refreshOrReport()
        byId('add-key').focus()
      } catch (error) {
        byId('delete-error').textContent = messageOf(error)
      }
    })
  })

  /**
   * @param {string} action
   * @param {Target} target
   */
  async function onRowAction(action, target) {
    if (action === 'edit') return openEdit(target)
    if (action === 'rotate' || action === 'revoke' || action === 'delete') {
      pending = target
      const dialogs = { rotate: rotateDialog, revoke: revokeDialog, delete: deleteDialog }
      const titles = { rotate: `Rotate "${target.name}"`, revoke: `Revoke "${target.name}"?`, delete: `Delete "${target.name}"?` }
      // A revoked key has nothing left to revoke: its delete dialog does not offer it.
      if (action === 'delete') byId('revoke-instead').hidden = target.status === 'revoked'
      openFor(dialogs[action], titles[action])
      return
    }
    if (action !== 'disable' && action !== 'enable') return
    try {
      await api('POST', `/${encodeURIComponent(target.id)}/${action}`)
      showBanner(
        action === 'disable'
          ? `API key "${target.name}" disabled. Requests with it are refused until you enable it.`
          : `API key "${target.name}" enabled. It works again.`,
      )
      await refresh(target.id, `[data-action="${action === 'disable' ? 'enable' : 'disable'}"]`)
    } catch (error) {
      showError(messageOf(error))
    }
  }

  document.addEventListener('click', (event) => {
    const clicked = /** @type {Element | null} */ (event.target instanceof Element ? event.target : null)
    const button = /** @type {HTMLButtonElement | null} */ (clicked?.closest('button') ?? null)
    if (button === null || button.disabled) return
    if (button.hasAttribute('data-open-create')) return openCreate()
    if (button.hasAttribute('data-close')) return button.closest('dialog')?.close()
    if (button.id === 'copy-key') return void copy(button, newKeyValue, 'API key')
    if (button.id === 'copy-curl') return void copy(button, curlLine, 'Curl command')
    if (button.id === 'revoke-instead' && pending !== null) {
      deleteDialog.close()
      return void onRowAction('revoke', pending)
    }
    if (button.id === 'dismiss-key') {
      hideNewKey()
      banner.hidden = true
      return byId('add-key').focus()
    }
    if (button.id === 'banner-close') {
      banner.hidden = true
      return
    }
    const action = button.dataset.action
    const row = /** @type {HTMLElement | null} */ (button.closest('tr[data-key-id]'))
    if (action && row) {
      const raw = row.dataset.edit
      /** @type {EditData | null} */
      const data = raw ? JSON.parse(raw) : null
      void onRowAction(action, {
        id: row.dataset.keyId ?? '',
        name: row.dataset.keyName ?? '',
        status: row.dataset.status ?? '',
        edit: data,
      })
    }
  })

  // For the page's other scripts (access rules, team limits): the same calls, banners and refresh.
  Object.assign(window, { demoKeys: { byId, api, refreshOrReport, showBanner } })
})()
