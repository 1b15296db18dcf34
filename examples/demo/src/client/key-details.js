// @ts-check
/**
 * A key's details dialog: its usage chart (Chart.js, loaded before this script) from
 * GET /api/keys/:id/usage?range=24h|30d, and its audit log from GET /api/keys/:id/activity.
 * Every value from the server goes in with textContent.
 */
;(() => {
  /** @param {string} id */
  const byId = (id) => {
    const node = document.getElementById(id)
    if (node === null) throw new Error(`#${id} is missing`)
    return node
  }
  const Chart = /** @type {typeof import('chart.js').Chart} */ (/** @type {any} */ (window).Chart)
  const dialog = /** @type {HTMLDialogElement} */ (byId('details-dialog'))
  const canvas = /** @type {HTMLCanvasElement} */ (byId('usage-chart'))
  const rows = byId('activity-rows')
  const more = /** @type {HTMLButtonElement} */ (byId('activity-more'))
  const PAGE_SIZE = 10

  /** The outcomes a chart stacks, in order, with their legend label and colour. */
  const OUTCOMES = /** @type {const} */ ([
    ['ok', 'OK', '#10b981'],
    ['invalid', 'Wrong secret', '#ef4444'],
    ['disabled', 'Disabled', '#9ca3af'],
    ['expired', 'Expired', '#f59e0b'],
    ['revoked', 'Revoked', '#7f1d1d'],
    ['insufficient_scope', 'Missing scope', '#8b5cf6'],
    ['rate_limited', 'Rate limited', '#f97316'],
    ['usage_exceeded', 'Out of credits', '#3b82f6'],
    ['ip_not_allowed', 'Address not allowed', '#ec4899'],
    ['not_yet_valid', 'Not yet valid', '#06b6d4'],
  ])
  const ACTIONS = /** @type {Record<string, string>} */ ({
    'key.created': 'Created',
    'key.updated': 'Updated',
    'key.disabled': 'Disabled',
    'key.enabled': 'Enabled',
    'key.rotated': 'Rotated',
    'key.revoked': 'Revoked',
    'key.deleted': 'Deleted',
    'key.leaked': 'Reported as leaked',
    'owner.updated': 'Team limits updated',
  })
  const FIELDS = /** @type {Record<string, string>} */ ({ expiresAt: 'expiry', rateLimit: 'rate limit', rateLimits: 'rate limits' })
  const WHEN = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' })
  const HOUR = new Intl.DateTimeFormat('en-US', { hour: 'numeric' })
  const DAY = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric' })
  const NUMBER = new Intl.NumberFormat('en-US')

  /** @type {{ id: string, range: string, cursor: string | undefined, activityShown: boolean, chart: import('chart.js').Chart | null }} */
  const state = { id: '', range: '24h', cursor: undefined, activityShown: false, chart: null }

  /**
   * GET a view of the current key; rejects with the problem's detail.
   * @param {string} path
   * @returns {Promise<any>}
   */
  async function get(path) {
    const response = await fetch(`/api/keys/${encodeURIComponent(state.id)}/${path}`, { headers: { accept: 'application/json' } })
    const body = await response.json().catch(() => null)
    if (!response.ok) throw new Error(body?.detail ?? `The server answered ${response.status}. Try again in a moment.`)
    return body
  }

  /** A `<time>` of `iso`, shown as "Dec 1, 4:41 PM". @param {string} iso */
  function timeOf(iso) {
    const time = document.createElement('time')
    time.dateTime = iso
    time.textContent = WHEN.format(new Date(iso))
    time.title = new Date(iso).toString()
    return time
  }

  /** "Chrome 141", "curl 8", else the user agent itself, shortened. @param {string} agent */
  function browserOf(agent) {
    const match = /(Edg|Firefox|Chrome|Version|curl)\/(\d+)/.exec(agent)
    if (match === null) return agent.length > 40 ? `${agent.slice(0, 39)}…` : agent
    const names = /** @type {Record<string, string>} */ ({ Edg: 'Edge', Version: 'Safari' })
    return `${names[match[1] ?? ''] ?? match[1]} ${match[2]}`
  }

  /** "Renamed", "Updated (scopes, rate limit)", "Disabled" … @param {{ action: string, fields?: string[] }} entry */
  function actionText(entry) {
    const fields = entry.fields ?? []
    if (entry.action === 'key.updated' && fields.length === 1 && fields[0] === 'name') return 'Renamed'
    const words = ACTIONS[entry.action] ?? entry.action
    return fields.length > 0 && entry.action === 'key.updated' ? `${words} (${fields.map((f) => FIELDS[f] ?? f).join(', ')})` : words
  }

  /** @param {string} label @param {string | Node} content @param {string} [sub] */
  function cell(label, content, sub) {
    const td = document.createElement('td')
    td.dataset.label = label
    td.append(content)
    if (sub) {
      const small = document.createElement('span')
      small.className = 'sub'
      small.textContent = sub
      td.append(small)
    }
    return td
  }

  /** @param {{ id: string, at: string, action: string, fields?: string[], actor?: { id: string, ip?: string, userAgent?: string } }} entry */
  function activityRow(entry) {
    const tr = document.createElement('tr')
    tr.dataset.action = entry.action
    tr.append(
      cell('When', timeOf(entry.at)),
      cell('What', actionText(entry)),
      cell('Who', entry.actor?.id ?? 'Unknown'),
      cell('From', entry.actor?.ip ?? '—', entry.actor?.userAgent ? browserOf(entry.actor.userAgent) : undefined),
    )
    return tr
  }

  /** Load the next page of the audit log (the first when `cursor` is undefined). */
  async function loadActivity() {
    const error = byId('activity-error')
    error.textContent = ''
    more.disabled = true
    try {
      const query = new URLSearchParams({ limit: String(PAGE_SIZE) })
      if (state.cursor !== undefined) query.set('cursor', state.cursor)
      const page = await get(`activity?${query}`)
      rows.append(...page.items.map(activityRow))
      state.cursor = page.nextCursor
      byId('activity-empty').hidden = rows.childElementCount > 0
    } catch (failure) {
      error.textContent = failure instanceof Error ? failure.message : String(failure)
    } finally {
      more.disabled = false
      more.hidden = state.cursor === undefined
    }
  }

  /** @param {{ lastUsedAt: string | null, lastUsedFrom?: string | null }} usage */
  function showLastUse(usage) {
    const line = byId('last-used')
    if (usage.lastUsedAt === null) {
      line.textContent = 'Never used'
      return
    }
    line.replaceChildren('Last used ', timeOf(usage.lastUsedAt), usage.lastUsedFrom ? ` from ${usage.lastUsedFrom}` : '')
  }

  /** @param {{ range: string, granularity: string, buckets: { start: string, counts: Record<string, number> }[] }} usage */
  function drawChart(usage) {
    const format = usage.granularity === 'hour' ? HOUR : DAY
    const labels = usage.buckets.map((bucket) => format.format(new Date(bucket.start)))
    const datasets = OUTCOMES.map(([outcome, label, color]) => ({
      label,
      outcome,
      data: usage.buckets.map((bucket) => bucket.counts[outcome] ?? 0),
      backgroundColor: color,
      borderRadius: 2,
    }))
    /** @type {Record<string, number>} */
    const totals = {}
    for (const set of datasets) {
      const sum = set.data.reduce((a, b) => a + b, 0)
      if (sum > 0) totals[set.outcome] = sum
    }
    canvas.dataset.range = usage.range
    canvas.dataset.totals = JSON.stringify(totals)
    const total = Object.values(totals).reduce((a, b) => a + b, 0)
    const refused = total - (totals.ok ?? 0)
    const span = usage.range === '24h' ? 'the last 24 hours' : 'the last 30 days'
    byId('usage-summary').textContent =
      total === 0
        ? `No requests in ${span}.`
        : `${NUMBER.format(total)} request${total === 1 ? '' : 's'} in ${span}: ${NUMBER.format(totals.ok ?? 0)} OK, ${NUMBER.format(refused)} refused.`
    canvas.setAttribute('aria-label', `Requests by outcome in ${span}: ${byId('usage-summary').textContent}`)
    state.chart?.destroy()
    state.chart = new Chart(canvas, {
      type: 'bar',
      data: { labels, datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { stacked: true, grid: { display: false }, ticks: { autoSkip: true, maxRotation: 0 } },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        },
        plugins: {
          // Only the outcomes that happened in the range get a legend entry.
          legend: {
            position: 'bottom',
            labels: {
              boxWidth: 12,
              filter: (item, data) => data.datasets[item.datasetIndex ?? 0]?.data.some((n) => Number(n) > 0) ?? false,
            },
          },
          tooltip: { mode: 'index', filter: (item) => Number(item.raw) > 0 },
        },
      },
    })
  }

  async function loadUsage() {
    const error = byId('usage-error')
    error.textContent = ''
    for (const button of Array.from(dialog.querySelectorAll('[data-range]')))
      button.setAttribute('aria-pressed', String(button.getAttribute('data-range') === state.range))
    try {
      const usage = await get(`usage?range=${state.range}`)
      showLastUse(usage)
      drawChart(usage)
      canvas.dataset.loaded = 'true'
    } catch (failure) {
      error.textContent = failure instanceof Error ? failure.message : String(failure)
    }
  }

  /** @param {'usage' | 'activity'} tab */
  function selectTab(tab) {
    for (const name of ['usage', 'activity']) {
      const selected = name === tab
      const button = byId(`tab-${name}`)
      button.setAttribute('aria-selected', String(selected))
      button.tabIndex = selected ? 0 : -1
      byId(`panel-${name}`).hidden = !selected
    }
    if (tab === 'activity' && !state.activityShown) {
      state.activityShown = true
      void loadActivity()
    }
  }

  /** Open the dialog for the key of `row`, on its Usage tab. @param {HTMLElement} row */
  function open(row) {
    state.id = row.dataset.keyId ?? ''
    state.range = '24h'
    state.cursor = undefined
    state.activityShown = false
    rows.replaceChildren()
    byId('activity-empty').hidden = true
    more.hidden = true
    delete canvas.dataset.loaded
    byId('details-title').textContent = row.dataset.keyName ?? 'API key'
    byId('details-redacted').textContent = row.querySelector('.key-redacted')?.textContent ?? ''
    byId('last-used').textContent = ''
    byId('usage-summary').textContent = ''
    selectTab('usage')
    dialog.showModal()
    void loadUsage()
  }

  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null
    const button = /** @type {HTMLButtonElement | null} */ (target?.closest('button') ?? null)
    if (button === null || button.disabled) return
    const row = /** @type {HTMLElement | null} */ (button.closest('tr[data-key-id]'))
    if (button.dataset.action === 'details' && row) return open(row)
    if (!dialog.contains(button)) return
    if (button.id === 'tab-usage' || button.id === 'tab-activity') return selectTab(button.id === 'tab-usage' ? 'usage' : 'activity')
    if (button.id === 'activity-more') return void loadActivity()
    const range = button.dataset.range
    if (range && range !== state.range) {
      state.range = range
      void loadUsage()
    }
  })

  // Arrow keys move between the two tabs (the tablist pattern).
  byId('tab-usage').parentElement?.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return
    const next = byId('tab-usage').getAttribute('aria-selected') === 'true' ? 'activity' : 'usage'
    selectTab(next)
    byId(`tab-${next}`).focus()
  })

  dialog.addEventListener('close', () => {
    state.chart?.destroy()
    state.chart = null
  })
})()
