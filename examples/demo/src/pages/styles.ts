/** The demo's whole stylesheet: a clean, neutral dashboard look with one indigo accent. */
export const styles = `
:root {
  --bg: #f6f7f9; --panel: #fff; --text: #111827; --muted: #6b7280; --line: #e5e7eb;
  --accent: #4f46e5; --accent-hover: #4338ca; --accent-soft: #eef2ff;
  --ok: #047857; --ok-soft: #ecfdf5; --warn: #92400e; --warn-soft: #fffbeb; --danger: #b91c1c; --danger-soft: #fef2f2;
  --radius: 10px; --shadow: 0 1px 2px rgba(16,24,40,.06), 0 1px 3px rgba(16,24,40,.08);
  font-family: ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--text); background: var(--bg); font-size: 15px; line-height: 1.5;
}
* { box-sizing: border-box; }
body { margin: 0; }
a { color: var(--accent); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 13px; }
:focus-visible { outline: 3px solid #a5b4fc; outline-offset: 2px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.skip { position: absolute; left: 8px; top: -40px; background: var(--panel); padding: 6px 10px; border-radius: 6px; z-index: 10; }
.skip:focus { top: 8px; }

.topbar { display: flex; align-items: center; gap: 20px; height: 56px; padding: 0 24px; background: #111827; color: #fff; }
.brand { font-weight: 700; letter-spacing: -.01em; color: #fff; text-decoration: none; font-size: 16px; margin-right: 8px; }
.brand span { color: #a5b4fc; }
.topnav { display: flex; gap: 4px; list-style: none; margin: 0; padding: 0; }
.topnav a { position: relative; display: flex; align-items: center; gap: 8px; height: 40px; padding: 0 10px; border-radius: 8px; color: #9ca3af; text-decoration: none; font-size: 14px; font-weight: 500; }
/* On a narrow bar the icons stand alone: their label shows as a tooltip on hover and on keyboard focus. */
@media (max-width: 720px) {
  .topnav a { width: 40px; padding: 0; justify-content: center; }
  .topnav .nav-label { position: absolute; top: calc(100% + 6px); left: 50%; transform: translateX(-50%); padding: 4px 8px; border-radius: 6px;
    background: #111827; color: #fff; font-size: 12px; white-space: nowrap; box-shadow: var(--shadow); z-index: 5;
    opacity: 0; pointer-events: none; }
  .topnav a:hover .nav-label, .topnav a:focus-visible .nav-label { opacity: 1; }
}
.topnav a:hover { color: #fff; background: #1f2937; }
.topnav a[aria-current="page"] { color: #fff; background: #374151; }
.account { margin-left: auto; display: flex; align-items: center; gap: 10px; font-size: 14px; color: #d1d5db; }
.avatar { display: grid; place-items: center; width: 32px; height: 32px; border-radius: 50%; background: var(--accent); color: #fff; font-weight: 600; font-size: 13px; }

main { max-width: 1200px; margin: 0 auto; padding: 32px 24px 64px; }
h1 { font-size: 24px; margin: 0 0 4px; letter-spacing: -.02em; }
h2 { font-size: 18px; margin: 0; }
.lead { color: var(--muted); margin: 0 0 20px; }
.tabs { display: flex; gap: 24px; border-bottom: 1px solid var(--line); margin-bottom: 24px; }
.tabs a { padding: 10px 2px; color: var(--muted); text-decoration: none; font-weight: 500; border-bottom: 2px solid transparent; margin-bottom: -1px; }
.tabs a:hover { color: var(--text); }
.tabs a[aria-current="page"] { color: var(--accent); border-bottom-color: var(--accent); }

.toolbar { display: flex; align-items: center; gap: 16px; margin-bottom: 16px; }
.toolbar p { margin: 0; color: var(--muted); font-size: 14px; }
.btn { display: inline-flex; align-items: center; gap: 6px; border: 1px solid var(--line); background: var(--panel); color: var(--text);
  border-radius: 8px; padding: 7px 12px; font: inherit; font-size: 14px; font-weight: 500; cursor: pointer; white-space: nowrap; }
.btn:hover { background: #f9fafb; }
.btn[hidden] { display: none; }
.btn:disabled { opacity: .5; cursor: not-allowed; }
.btn-primary { background: var(--accent); border-color: var(--accent); color: #fff; }
.btn-primary:hover { background: var(--accent-hover); }
.btn-danger { color: var(--danger); border-color: #fecaca; }
.btn-quiet-danger { border-color: transparent; background: transparent; color: var(--muted); text-decoration: underline; text-underline-offset: 2px; }
.btn-quiet-danger:hover { color: var(--danger); background: var(--danger-soft); }
.btn-danger-solid { background: #dc2626; border-color: #dc2626; color: #fff; }
.btn-danger-solid:hover { background: var(--danger); }
.btn-sm { padding: 4px 10px; font-size: 13px; }
.btn-icon { padding: 6px; }

.card { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); box-shadow: var(--shadow); }
.banner { display: flex; align-items: flex-start; gap: 10px; padding: 12px 14px; border-radius: var(--radius); margin-bottom: 16px; border: 1px solid; }
.banner[hidden] { display: none; }
.banner-success { background: var(--ok-soft); border-color: #a7f3d0; color: var(--ok); }
.banner-error { background: var(--danger-soft); border-color: #fecaca; color: var(--danger); }
.banner p { margin: 0; flex: 1; font-weight: 500; }
.banner .btn-icon { border: 0; background: transparent; color: inherit; }

.new-key { padding: 20px; margin-bottom: 20px; border-color: #c7d2fe; }
.new-key[hidden] { display: none; }
.team { padding: 14px 20px; margin-bottom: 20px; }
.team-head { display: flex; align-items: center; justify-content: space-between; gap: 12px; }
.team-head h2 { margin: 0; font-size: 15px; }
.team-facts, .details-access { display: flex; flex-wrap: wrap; gap: 6px 32px; margin: 10px 0 0; }
.team-facts dt, .details-access dt { font-size: 12px; color: var(--muted); }
.team-facts dd, .details-access dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.details-access { margin: 8px 0 12px; font-size: 13px; }
.new-key h2 { margin-bottom: 4px; }
.new-key .field-label { font-size: 13px; font-weight: 600; color: var(--muted); margin: 14px 0 6px; }
.secret-row { display: flex; align-items: center; gap: 8px; }
.secret-row .btn-icon { width: 40px; height: 40px; justify-content: center; }
.btn.copied { color: var(--ok); border-color: #a7f3d0; background: var(--ok-soft); }
.secret { flex: 1; min-width: 0; padding: 10px 12px; border-radius: 8px; background: #0f172a; color: #e0e7ff; overflow-x: auto; white-space: nowrap; user-select: all; }
.warning { display: flex; gap: 8px; align-items: flex-start; margin: 12px 0 0; padding: 10px 12px; border-radius: 8px; background: var(--warn-soft); color: var(--warn); font-size: 14px; }
.new-key footer { margin-top: 16px; display: flex; justify-content: flex-end; }

table { width: 100%; border-collapse: collapse; }
thead th { white-space: nowrap; text-align: left; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; padding: 10px 16px; background: #f9fafb; border-bottom: 1px solid var(--line); }
thead th:first-child { border-top-left-radius: var(--radius); }
thead th:last-child { border-top-right-radius: var(--radius); }
td, tbody th { padding: 14px 16px; border-bottom: 1px solid var(--line); vertical-align: middle; font-size: 14px; text-align: left; font-weight: 400; }
tr:last-child td, tr:last-child th { border-bottom: 0; }
.key-name { font-weight: 600; }
tbody th { min-width: 190px; }
.key-redacted { display: block; margin-top: 2px; color: #374151; white-space: nowrap; }
table.keys td, table.keys tbody th { padding: 14px 12px; }
table.keys td:first-child, table.keys tbody th { padding-left: 16px; }
table.keys .actions { flex-wrap: wrap; width: 272px; margin-left: auto; }
.rotation a { color: var(--accent); }
.rotation code { font-size: 12px; }
tr:target > * { background: var(--accent-soft); }
.status-row-revoked .key-name, .status-row-revoked code { color: var(--muted); }
.limits { display: block; white-space: nowrap; }
.nowrap { white-space: nowrap; }
.sub { display: block; color: var(--muted); font-size: 12px; margin-top: 2px; }
.scopes { display: flex; flex-wrap: wrap; gap: 4px; }
.chip { display: inline-block; padding: 1px 8px; border-radius: 999px; background: #f3f4f6; color: #374151; font-size: 12px; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.status { display: inline-flex; align-items: center; gap: 6px; padding: 2px 10px; border-radius: 999px; font-size: 12px; font-weight: 600; }
.status::before { content: ""; width: 6px; height: 6px; border-radius: 50%; background: currentColor; }
.status-active { background: var(--ok-soft); color: var(--ok); }
.status-disabled { background: #f3f4f6; color: #4b5563; }
.status-not_yet_valid { background: #cffafe; color: #155e75; white-space: nowrap; }
.status-expired, .status-revoked { background: var(--danger-soft); color: var(--danger); }
.actions { display: flex; flex-wrap: wrap; gap: 6px; justify-content: flex-end; }
.muted { color: var(--muted); }

.empty { text-align: center; padding: 56px 24px; }
.empty .key-badge { display: inline-grid; place-items: center; width: 56px; height: 56px; border-radius: 14px; background: var(--accent-soft); color: var(--accent); margin-bottom: 12px; }
.empty h2 { margin-bottom: 6px; }
.empty p { color: var(--muted); margin: 0 auto 18px; max-width: 420px; }

dialog { border: 0; border-radius: 14px; padding: 0; width: min(480px, calc(100vw - 32px)); box-shadow: 0 20px 50px rgba(15,23,42,.25); color: var(--text); }
dialog::backdrop { background: rgba(15,23,42,.45); }
dialog form { padding: 24px; }
dialog h2 { margin-bottom: 6px; }
dialog p { color: var(--muted); margin: 0 0 16px; font-size: 14px; }
.field { margin-bottom: 16px; }
.field label, .field legend { display: block; font-weight: 600; font-size: 14px; margin-bottom: 6px; }
.field input[type="text"], .field input[type="number"], .field select, .field textarea { width: 100%; padding: 9px 12px; border: 1px solid #d1d5db; border-radius: 8px; font: inherit; background: #fff; }
.field input[aria-invalid="true"], .field textarea[aria-invalid="true"] { border-color: #dc2626; }
.field textarea { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; resize: vertical; }
.field-row { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.field label .muted { font-weight: 400; }
dialog .hint { margin: 0 0 6px; }
dialog .warning { color: var(--warn); }
dialog { max-height: calc(100dvh - 32px); overflow-y: auto; }
.field .hint { font-size: 13px; color: var(--muted); margin: 6px 0 0; }
.error { font-size: 13px; color: var(--danger); margin: 6px 0 0; font-weight: 500; }
.error:empty { display: none; }
dialog .error { margin-bottom: 8px; }
fieldset.field { border: 0; padding: 0; margin: 0 0 16px; }
.field .check { display: flex; align-items: center; gap: 8px; font-size: 14px; font-weight: 400; margin: 6px 0; }
.check input { accent-color: var(--accent); width: 16px; height: 16px; margin: 0; }
.dialog-actions { display: flex; justify-content: flex-end; gap: 8px; margin-top: 8px; }

.endpoints td:first-child { white-space: nowrap; }
.endpoints code { overflow-wrap: anywhere; }
.after-table code { overflow-wrap: anywhere; }
.method { font-weight: 700; font-size: 12px; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: var(--accent); }
.placeholder { padding: 32px; }
.table-card { overflow-x: auto; }
@media (max-width: 640px) {
  .topbar { gap: 12px; padding: 0 16px; }
  .account > span:first-child { display: none; }
  main { padding: 24px 16px 48px; }
  .toolbar { flex-wrap: wrap; }
  .field-row { grid-template-columns: 1fr; gap: 0; }
  .endpoints td:first-child { white-space: normal; }
}
/* Below 1100 px the key table becomes one card per key: label and value stacked, actions wrapped, no sideways scroll. */
@media (max-width: 1100px) {
  table.keys thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.keys, table.keys tbody, table.keys tr, table.keys td, table.keys tbody th { display: block; }
  table.keys tr { padding: 14px 16px; border-bottom: 1px solid var(--line); }
  table.keys tr:last-child { border-bottom: 0; }
  table.keys td, table.keys tbody th { border: 0; padding: 4px 0; min-width: 0; white-space: normal; }
  table.keys .key-redacted { white-space: normal; overflow-wrap: anywhere; }
  table.keys tbody th { padding-bottom: 8px; font-size: 15px; }
  table.keys td[data-label] { display: grid; grid-template-columns: 88px minmax(0, 1fr); gap: 8px; align-items: baseline; }
  table.keys td[data-label]::before { content: attr(data-label); font-size: 12px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
  table.keys td code { overflow-wrap: anywhere; }
  table.keys .limits { white-space: normal; }
  table.keys .actions-cell { padding-top: 10px; }
  table.keys .actions { justify-content: flex-start; flex-wrap: wrap; width: auto; margin-left: 0; }
  table.keys .actions .btn { min-height: 36px; }
}
.after-table { margin-top: 16px; }

/* A key's details: usage chart and activity, in a dialog that fits a phone. */
.btn-link { display: inline-block; margin-top: 4px; padding: 0; border: 0; background: none; font: inherit; font-size: 12px; font-weight: 500; color: var(--accent); text-decoration: underline; text-underline-offset: 2px; cursor: pointer; }
.btn-link:hover { color: var(--accent-hover); }
table.keys .btn-link { min-height: 24px; }
dialog.details-dialog { width: min(820px, calc(100vw - 24px)); }
.details { padding: 20px 24px 24px; }
.details-head { display: flex; align-items: flex-start; justify-content: space-between; gap: 12px; }
.details-head h2 { margin: 0 0 2px; overflow-wrap: anywhere; }
.details-head code { font-size: 12px; overflow-wrap: anywhere; }
.details-head .btn-icon { border-color: transparent; }
.details-tabs { display: flex; gap: 20px; border-bottom: 1px solid var(--line); margin: 14px 0 16px; }
.details-tabs [role="tab"] { border: 0; background: none; font: inherit; font-weight: 500; color: var(--muted); padding: 8px 2px; border-bottom: 2px solid transparent; margin-bottom: -1px; cursor: pointer; }
.details-tabs [role="tab"][aria-selected="true"] { color: var(--accent); border-bottom-color: var(--accent); }
.details-panel[hidden] { display: none; }
.usage-head { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 8px 16px; }
.last-used-line { margin: 0; font-size: 14px; overflow-wrap: anywhere; }
.range { display: inline-flex; }
.range .btn { border-radius: 0; }
.range .btn:first-child { border-radius: 8px 0 0 8px; }
.range .btn:last-child { border-radius: 0 8px 8px 0; margin-left: -1px; }
.range .btn[aria-pressed="true"] { background: var(--accent-soft); border-color: #c7d2fe; color: var(--accent); }
dialog .usage-summary { margin: 10px 0 8px; color: var(--text); }
.chart-box { position: relative; height: 300px; width: 100%; min-width: 0; }
.activity-scroll { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; }
table.activity th, table.activity td { padding: 8px 12px; font-size: 13px; }
table.activity thead th { border-radius: 0; }
table.activity td:first-child { white-space: nowrap; }
.activity-more { display: flex; justify-content: center; margin-top: 12px; }
@media (max-width: 640px) {
  .details { padding: 16px; }
  .chart-box { height: 260px; }
  table.activity thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.activity, table.activity tbody, table.activity tr { display: block; }
  table.activity tr { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 2px 12px; padding: 10px 12px; border-bottom: 1px solid var(--line); }
  table.activity tr:last-child { border-bottom: 0; }
  table.activity td { display: block; padding: 0; border: 0; overflow-wrap: anywhere; }
  table.activity td[data-label="What"] { font-weight: 600; }
  table.activity td[data-label="Who"], table.activity td[data-label="From"] { color: var(--muted); }
}
`
