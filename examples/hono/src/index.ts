/**
 * A Hono API protected by Keyward, on Node: `KEYWARD_PEPPER="$(openssl rand -base64 32)" pnpm --filter @keyward/example-hono start`.
 * Creates two keys on start (shown once), then serves GET /v1/me, POST /v1/messages (needs
 * messages:send) and POST /v1/contacts/sync (needs contacts:sync). The same app runs on Bun: src/bun.ts.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { buildApp } from './app.js'
import { banner, exampleKeys } from './keys.js'

const keys = await exampleKeys(process.env.KEYWARD_PEPPER)
if (!keys) process.exit(1)
const port = Number(process.env.PORT ?? 3000)

const server = serve({ fetch: buildApp(keys.keyward).fetch, port, hostname: '127.0.0.1' }, (info: AddressInfo) =>
  console.log(banner(info.port, keys)),
)
server.once('error', (error: NodeJS.ErrnoException) => {
  const why =
    error.code === 'EADDRINUSE'
      ? 'is already in use: stop what holds it, or set PORT (PORT=0 picks a free one)'
      : `cannot be used: ${error.message}`
  console.error(`Port ${port} on 127.0.0.1 ${why}`)
  process.exit(1)
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => server.close(() => void keys.keyward.close()))
