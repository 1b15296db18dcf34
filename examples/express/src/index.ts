/**
 * An Express API protected by Keyward: `pnpm --filter @keyward/example-express start`.
 * Creates two keys on start (shown once), then serves GET /v1/me, POST /v1/messages
 * (needs messages:send) and POST /v1/contacts/sync (needs contacts:sync).
 */
import type { AddressInfo } from 'node:net'
import { createKeyward, MemoryKeyStore } from '@keyward/core'
import { buildApp, type Scope } from './app.js'

const keyward = createKeyward<Scope>({
  prefix: 'acme_live',
  store: new MemoryKeyStore(),
  pepper: process.env.KEYWARD_PEPPER ?? 'example-pepper-use-a-real-32-byte-secret',
})
const messages = await keyward.create({ name: 'Messaging bot', scopes: ['messages:send'] })
const crm = await keyward.create({ name: 'HubSpot CRM sync', scopes: ['contacts:sync'] })

const server = buildApp(keyward).listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  console.log(`Keys (shown once):\n  messages:send  ${messages.key}\n  contacts:sync  ${crm.key}`)
  console.log(`Listening on http://127.0.0.1:${port}`)
  console.log(`Try: curl -H "Authorization: Bearer ${crm.key}" http://127.0.0.1:${port}/v1/me`)
})

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => server.close(() => void keyward.close()))
