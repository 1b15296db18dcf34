/**
 * A Koa API protected by Keyward: `KEYWARD_PEPPER="$(openssl rand -base64 32)" pnpm example:koa` from the repository root.
 * Creates two keys on start (shown once), then serves GET /v1/me, POST /v1/messages
 * (needs messages:send) and POST /v1/contacts/sync (needs contacts:sync).
 */
import type { AddressInfo } from 'node:net'
import { createKeyward, MemoryKeyStore } from '@keyward/core'
import { buildApp, type Scope } from './app.js'

// No default pepper: one copied from an example would be known to everyone. Refuse to start instead.
const pepper = process.env.KEYWARD_PEPPER
if (!pepper) {
  console.error('KEYWARD_PEPPER is not set: make one with  export KEYWARD_PEPPER="$(openssl rand -base64 32)"  and keep it secret')
  process.exit(1)
}
const port = Number(process.env.PORT ?? 3000)

/** One line instead of a stack trace when the port is taken (or refused), and a non-zero exit. */
function cannotListen(error: NodeJS.ErrnoException): never {
  const why =
    error.code === 'EADDRINUSE'
      ? 'is already in use: stop what holds it, or set PORT (PORT=0 picks a free one)'
      : `cannot be used: ${error.message}`
  console.error(`Port ${port} on 127.0.0.1 ${why}`)
  process.exit(1)
}

const keyward = createKeyward<Scope>({
  prefix: 'acme_live',
  store: new MemoryKeyStore(),
  pepper,
})
const messages = await keyward.create({ name: 'Messaging bot', scopes: ['messages:send'] })
const crm = await keyward.create({ name: 'HubSpot CRM sync', scopes: ['contacts:sync'] })

const server = buildApp(keyward).listen(port, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  console.log(`Keys (shown once):\n  messages:send  ${messages.key}\n  contacts:sync  ${crm.key}`)
  console.log(`Listening on http://127.0.0.1:${port}`)
  console.log(`Try: curl -H "Authorization: Bearer ${crm.key}" http://127.0.0.1:${port}/v1/me`)
})

server.once('error', cannotListen)

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => server.close(() => void keyward.close()))
