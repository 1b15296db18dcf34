import { mkdirSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createKeyward, type Keyward } from '@keyward/core'
import { SqliteKeyStore } from '@keyward/sqlite'
import { createDemoApp } from './app.js'
import { loadPepper } from './pepper.js'
import { ROLES } from './roles.js'
import type { DemoScope } from './scopes.js'

export interface DemoOptions {
  /**
   * Port to listen on; 0 picks a free one.
   * @default 3000
   */
  port?: number
  /**
   * Address to listen on. Loopback by default: the demo's user is always signed in.
   * @default '127.0.0.1'
   */
  host?: string
  /**
   * Folder of the SQLite file (`keys.db`) and the generated pepper.
   * @default examples/demo/.data
   */
  dataDir?: string
  /** The demo's signed-in team. @default 'demo-team' */
  owner?: string
}

export interface RunningDemo {
  url: string
  port: number
  keyward: Keyward<DemoScope>
  close(): Promise<void>
}

export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../.data', import.meta.url))

const LOOPBACK = new Set(['127.0.0.1', '::1', '0.0.0.0', '::', 'localhost'])

/**
 * The origins the demo is reached at: on a loopback (or every) address, `localhost`, `127.0.0.1` and
 * `[::1]` on its port; otherwise the address it listens on. The first is the one it prints.
 */
function originsOf(host: string, port: number): string[] {
  const names = LOOPBACK.has(host) ? ['localhost', '127.0.0.1', '[::1]'] : [host.includes(':') ? `[${host}]` : host]
  return names.map((name) => new URL(`http://${name}:${port}`).origin)
}

/** Start the demo server on a SQLite file. */
export async function startDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR
  mkdirSync(dataDir, { recursive: true })
  const store = new SqliteKeyStore(join(dataDir, 'keys.db'))
  const keyward = createKeyward<DemoScope>({
    prefix: 'acme_live',
    store,
    pepper: loadPepper(dataDir),
    // Show "last used" within seconds on the page (the default batches writes per minute).
    lastUsed: { intervalMs: 1_000 },
    // Usage counts reach the store every second (the usage view reads this instance's pending counts too).
    usage: { flushMs: 1_000 },
    // Roles a key may hold beside its own scopes (src/roles.ts).
    roles: { sender: [...ROLES.sender], syncer: [...ROLES.syncer] },
  })
  const server = createServer()
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 3000, host, resolve)
  })
  const { port } = server.address() as AddressInfo
  const origins = originsOf(host, port)
  // Built once the port is known: the app answers only at its own origins.
  server.on('request', createDemoApp(keyward, { owner: options.owner ?? 'demo-team', origins }))
  return {
    url: origins[0]!,
    port,
    keyward,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await keyward.close()
      await store.close()
    },
  }
}
