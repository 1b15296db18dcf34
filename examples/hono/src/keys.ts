import { createKeyward, MemoryKeyStore } from '@keyward/core'
import type { Scope } from './app.js'

/** The example's Keyward (keys in memory) and two keys made at start, or null without a pepper. */
export async function exampleKeys(pepper: string | undefined) {
  // No default pepper: one copied from an example would be known to everyone. Refuse to start instead.
  if (!pepper) {
    console.error('KEYWARD_PEPPER is not set: make one with  export KEYWARD_PEPPER="$(openssl rand -base64 32)"  and keep it secret')
    return null
  }
  const keyward = createKeyward<Scope>({ prefix: 'acme_live', store: new MemoryKeyStore(), pepper })
  const messages = await keyward.create({ name: 'Messaging bot', scopes: ['messages:send'] })
  const crm = await keyward.create({ name: 'HubSpot CRM sync', scopes: ['contacts:sync'] })
  return { keyward, messages: messages.key, crm: crm.key }
}

/** What the server prints once it listens. */
export function banner(port: number, keys: { messages: string; crm: string }): string {
  return [
    `Keys (shown once):\n  messages:send  ${keys.messages}\n  contacts:sync  ${keys.crm}`,
    `Listening on http://127.0.0.1:${port}`,
    `Try: curl -H "Authorization: Bearer ${keys.crm}" http://127.0.0.1:${port}/v1/me`,
  ].join('\n')
}
