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
  const createDialog = /** @type {HTMLDialogElement} */ (byId('create-dialog'))
  const createForm = /** @type {HTMLFormElement} */ (byId('create-form'))
  const nameInput = /** @type {HTMLInputElement} */ (byId('key-name'))
  const nameError = byId('key-name-error')
  const createError = byId('create-error')
  const rotateDialog = /** @type {HTMLDialogElement} */ (byId('rotate-dialog'))
  const rotateForm = /** @type {HTMLFormElement} */ (byId('rotate-form'))
  const graceSelect = /** @type {HTMLSelectElement} */ (byId('grace'))
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

  /** @type {{ id: string, name: string } | null} the key a rotate or delete dialog is about */
  let pending = null
  /** @type {string | null} id of the key shown in the new-key panel */
  let shownKeyId = null

  /**
   * Call the management API. Resolves to the JSON answer (null for 204); rejects with the problem's
   * `detail` and `field`.
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
      throw Object.assign(new Error('The server could not be reached. Check your connection and try again.'), { field: undefined })
    }
    if (response.status === 204) return null
    const data = await response.json().catch(() => null)
    if (!response.ok) throw Object.assign(new Error(data?.detail ?? `The request failed (${response.status}).`), { field: data?.field })
    return data
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
    const response = await fetch('/developers/api-keys/list', { credentials: 'same-origin' })
    if (!response.ok) throw new Error(`Could not reload the key list (${response.status}).`)
    region.innerHTML = await response.text()
    if (keyId && selector) {
      const row = region.querySelector(`tr[data-key-id="${CSS.escape(keyId)}"]`)
      const target = /** @type {HTMLElement | null} */ (row?.querySelector(selector) ?? null)
      target?.focus()
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

  /** @param {string} message */
  function setNameError(message) {
    nameError.textContent = message
    nameInput.setAttribute('aria-invalid', message ? 'true' : 'false')
  }

  function openCreate() {
    createForm.reset()
    setNameError('')
    createError.textContent = ''
    createDialog.showModal()
    nameInput.focus()
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

  nameInput.addEventListener('input', () => {
    if (nameInput.getAttribute('aria-invalid') === 'true') setNameError(validateName(nameInput.value))
  })

  createForm.addEventListener('submit', (event) => {
    event.preventDefault()
    const problem = validateName(nameInput.value)
    setNameError(problem)
    if (problem) {
      nameInput.focus()
      return
    }
    const scopes = Array.from(createForm.querySelectorAll('input[name="scopes"]:checked')).map(
      (box) => /** @type {HTMLInputElement} */ (box).value,
    )
    void busy(createForm, async () => {
      try {
        const { key, info } = await api('POST', '/', { name: nameInput.value.trim(), scopes })
        createDialog.close()
        showNewKey(key, info.id, `API key "${info.name}" created. Copy it now: it won't be shown again.`)
        await refresh()
      } catch (error) {
        const field = /** @type {{ field?: string }} */ (error).field
        if (field === 'name') {
          setNameError(messageOf(error).replace(/^name: /, ''))
          nameInput.focus()
        } else createError.textContent = messageOf(error)
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
        await refresh()
      } catch (error) {
        byId('rotate-error').textContent = messageOf(error)
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
        showBanner(`API key "${target.name}" deleted. Requests with it are refused from now on.`)
        await refresh()
        byId('add-key').focus()
      } catch (error) {
        byId('delete-error').textContent = messageOf(error)
      }
    })
  })

  /**
   * @param {string} action
   * @param {{ id: string, name: string }} target
   */
  async function onRowAction(action, target) {
    if (action === 'rotate') {
      pending = target
      openFor(rotateDialog, `Rotate "${target.name}"`)
      return
    }
    if (action === 'delete') {
      pending = target
      openFor(deleteDialog, `Delete "${target.name}"?`)
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
    if (action && row) void onRowAction(action, { id: row.dataset.keyId ?? '', name: row.dataset.keyName ?? '' })
  })
})()
