// @ts-check
/**
 * The team panel: the team's key cap and shared limit from GET /api/keys/owner, live keys counted
 * from the list, and (for whoever may change them) a dialog that saves them with PUT /api/keys/owner.
 */
;(() => {
  const page = /** @type {any} */ (window).demoKeys
  /** @type {(id: string) => HTMLElement} */
  const byId = page.byId
  const region = byId('keys-region')
  const editButton = /** @type {HTMLButtonElement} */ (byId('team-edit'))
  const dialog = /** @type {HTMLDialogElement} */ (byId('team-dialog'))
  const form = /** @type {HTMLFormElement} */ (byId('team-form'))
  const maxKeys = /** @type {HTMLInputElement} */ (byId('team-max-keys'))
  const rate = /** @type {HTMLInputElement} */ (byId('team-rate-input'))
  const submit = /** @type {HTMLButtonElement} */ (form.querySelector('button[type="submit"]'))
  const NUMBER = new Intl.NumberFormat('en-US')
  const SETTINGS = ['rateLimits', 'credits', 'maxKeys', 'scopes', 'allowedIps']

  /** @type {any} the owner settings as last read */
  let owner = null

  /** The team's shared limit per minute (`default`, a minute window), or null. */
  const sharedRate = () => owner?.rateLimits?.find((/** @type {any} */ l) => l.name === 'default' && l.windowMs === 60_000) ?? null

  function render() {
    if (owner === null) return
    // Live, as the key cap counts them: not revoked, not expired (a key not yet valid counts).
    const live = region.querySelectorAll('tr[data-key-id]:not([data-status="revoked"]):not([data-status="expired"])').length
    byId('team-keys').textContent = owner.maxKeys === null ? `${live} (no cap)` : `${live} of ${NUMBER.format(owner.maxKeys)} allowed`
    const shared = sharedRate()
    byId('team-rate').textContent =
      shared === null ? 'None: each key has only its own' : `${NUMBER.format(shared.limit)} requests/min across all keys`
    editButton.hidden = !(owner.editable.includes('maxKeys') && owner.editable.includes('rateLimits'))
  }

  async function load() {
    try {
      owner = await page.api('GET', '/owner')
      byId('team-load-error').textContent = ''
      render()
    } catch (error) {
      byId('team-load-error').textContent = error instanceof Error ? error.message : String(error)
    }
  }

  /** @param {'max-keys' | 'rate' | 'form'} slot @param {string} message */
  function setError(slot, message) {
    byId(slot === 'form' ? 'team-error' : slot === 'rate' ? 'team-rate-error' : 'team-max-keys-error').textContent = message
    const control = slot === 'rate' ? rate : slot === 'max-keys' ? maxKeys : null
    control?.setAttribute('aria-invalid', message ? 'true' : 'false')
  }

  /** A whole number of at least `min` in `input`, null when empty, or a message. @param {HTMLInputElement} input @param {number} min */
  function numberIn(input, min) {
    const raw = input.value.trim()
    if (raw === '') return null
    const value = Number(raw)
    return Number.isInteger(value) && value >= min ? value : `Enter a whole number, ${min} or more, or leave it empty.`
  }

  editButton.addEventListener('click', () => {
    if (owner === null) return
    form.reset()
    for (const slot of /** @type {const} */ (['max-keys', 'rate', 'form'])) setError(slot, '')
    maxKeys.value = owner.maxKeys === null ? '' : String(owner.maxKeys)
    rate.value = sharedRate() === null ? '' : String(sharedRate().limit)
    dialog.showModal()
    maxKeys.focus()
  })

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    if (owner === null || submit.disabled) return
    const cap = numberIn(maxKeys, 0)
    const perMinute = numberIn(rate, 1)
    setError('max-keys', typeof cap === 'string' ? cap : '')
    setError('rate', typeof perMinute === 'string' ? perMinute : '')
    setError('form', '')
    if (typeof cap === 'string' || typeof perMinute === 'string') return
    // PUT replaces every setting: send the others as they are.
    /** @type {Record<string, unknown>} */
    const body = Object.fromEntries(SETTINGS.map((name) => [name, owner[name]]))
    if (owner.credits !== null) body.credits = { remaining: owner.credits.remaining, refill: owner.credits.refill ?? null }
    body.maxKeys = cap
    const others = (owner.rateLimits ?? []).filter((/** @type {any} */ l) => l.name !== 'default')
    body.rateLimits = perMinute === null ? others : [...others, { name: 'default', limit: perMinute, windowMs: 60_000 }]
    submit.disabled = true
    void (async () => {
      try {
        owner = await page.api('PUT', '/owner', body)
        dialog.close()
        render()
        page.showBanner('Team limits saved. Every key of the team follows them at once.')
      } catch (error) {
        const field = /** @type {{ field?: string }} */ (error).field ?? ''
        const message = error instanceof Error ? error.message : String(error)
        setError(field === 'maxKeys' ? 'max-keys' : field.startsWith('rateLimits') ? 'rate' : 'form', message)
      } finally {
        submit.disabled = false
      }
    })()
  })

  // The list is re-rendered after every change: count its live keys again.
  new MutationObserver(render).observe(region, { childList: true })
  void load()
})()
