import { html, Html } from './html.js'
import { icons } from './icons.js'
import { styles } from './styles.js'

export type Section = 'home' | 'developers' | 'settings'

interface LayoutInput {
  title: string
  /** The top-bar item to mark as current; null on pages outside the three sections (a 404). */
  section: Section | null
  /** The demo's signed-in team. */
  owner: string
  /** Per-response CSP nonce for the inline style and script. */
  nonce: string
  body: Html
  script?: string
  /** Same-origin script files to load (with the nonce) before `script`, such as the chart library. */
  scriptFiles?: readonly string[]
}

const NAV: { section: Section; href: string; label: string; icon: () => Html }[] = [
  { section: 'home', href: '/', label: 'Home', icon: icons.home },
  { section: 'developers', href: '/developers', label: 'Developers', icon: icons.code },
  { section: 'settings', href: '/settings', label: 'Settings', icon: icons.settings },
]

const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24'%3E%3Crect width='24' height='24' rx='6' fill='%234f46e5'/%3E%3Cpath d='M9 8l-4 4 4 4M15 8l4 4-4 4' stroke='white' stroke-width='2' fill='none' stroke-linecap='round'/%3E%3C/svg%3E"

/** "demo-team" → "DT". */
function initials(name: string): string {
  const words = name.split(/[^\p{L}\p{N}]+/u).filter(Boolean)
  return (words.length > 1 ? words[0]![0]! + words[1]![0]! : name.slice(0, 2)).toUpperCase()
}

/** The page chrome: top navigation bar (Home, Developers `<>`, Settings) and the main region. */
export function layout({ title, section, owner, nonce, body, script, scriptFiles = [] }: LayoutInput): string {
  return `<!doctype html>${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Acme Relay</title>
<link rel="icon" href="${FAVICON}">
<style nonce="${nonce}">${new Html(styles)}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="topbar">
  <a class="brand" href="/">acme<span>relay</span></a>
  <nav aria-label="Main">
    <ul class="topnav">
      ${NAV.map(
        (item) =>
          html`<li><a href="${item.href}" aria-label="${item.label}"${
            item.section === section ? new Html(' aria-current="page"') : ''
          }>${item.icon()}<span class="nav-label" aria-hidden="true">${item.label}</span></a></li>`,
      )}
    </ul>
  </nav>
  <div class="account"><span>${owner}</span><span class="avatar" aria-hidden="true">${initials(owner)}</span></div>
</header>
<main id="main">
${body}
</main>
${scriptFiles.map((src) => html`<script nonce="${nonce}" src="${src}"></script>`)}
${script === undefined ? '' : html`<script nonce="${nonce}">${new Html(script)}</script>`}
</body>
</html>`}`
}
