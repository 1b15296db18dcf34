/**
 * A Fastify API protected by Keyward: `pnpm --filter @keyward/example-fastify start`.
 * Creates two keys on start (shown once), then serves GET /v1/me, POST /v1/messages
 * (needs messages:send) and POST /v1/contacts/sync (needs contacts:sync).
 */
import { createKeyward, MemoryKeyStore } from '@keyward/core'
import { buildApp, type Scope } from './app.js'

const keyward = createKeyward<Scope>({
  prefix: 'acme_live',
  store: new MemoryKeyStore(),
  pepper: process.env.KEYWARD_PEPPER ?? 'example-pepper-use-a-real-32-byte-secret',
})
const messages = await keyward.create({ name: 'Messaging bot', scopes: ['messages:send'] })
const crm = await keyward.create({ name: 'HubSpot CRM sync', scopes: ['contacts:sync'] })

const app = await buildApp(keyward)
app.addHook('onClose', () => keyward.close())
const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' })
console.log(`Keys (shown once):\n  messages:send  ${messages.key}\n  contacts:sync  ${crm.key}`)
console.log(`Listening on ${address}`)
console.log(`Try: curl -H "Authorization: Bearer ${crm.key}" ${address}/v1/me`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close())
