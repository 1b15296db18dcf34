/**
 * Keyward in one screen: create a named key, show it once, verify it, disable it, verify again.
 * Run with `KEYWARD_PEPPER="$(openssl rand -base64 32)" pnpm example:quickstart` from the repository root.
 */
import { createKeyward, MemoryKeyStore, type VerifyResult } from '@keyward/core'

// No default pepper: one copied from an example would be known to everyone. Refuse to start instead.
const pepper = process.env.KEYWARD_PEPPER
if (!pepper) {
  console.error('KEYWARD_PEPPER is not set: make one with  export KEYWARD_PEPPER="$(openssl rand -base64 32)"  and keep it secret')
  process.exit(1)
}

const keyward = createKeyward<'messages:send' | 'contacts:sync'>({
  prefix: 'acme_live',
  store: new MemoryKeyStore(),
  pepper,
})

function describe(step: string, result: VerifyResult): void {
  const outcome = result.ok ? `ok, key "${result.key.name}" (${result.key.redacted})` : `refused: ${result.code} — ${result.message}`
  console.log(`${step.padEnd(28)} ${outcome}`)
}

const { key, info } = await keyward.create({ name: 'HubSpot CRM sync', scopes: ['contacts:sync'] })
console.log(`Created API key "${info.name}" (id ${info.id}). Copy it now, it is shown only once:\n\n  ${key}\n`)

describe('verify:', await keyward.verify(key))
describe('verify with contacts:sync:', await keyward.verify(key, { scopes: ['contacts:sync'] }))
describe('verify with messages:send:', await keyward.verify(key, { scopes: ['messages:send'] }))
describe('verify a truncated copy:', await keyward.verify(key.slice(0, -3)))

await keyward.disable(info.id)
console.log(`\nDisabled "${info.name}".`)
describe('verify after disable:', await keyward.verify(key))

await keyward.close()
