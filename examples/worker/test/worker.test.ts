import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createKeyward } from '@keyward/core'
import { D1KeyStore, type D1DatabaseLike } from '@keyward/d1'
import { bundle } from '@keyward/runtime-tests'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, expect, it } from 'vitest'

// The Worker runs inside workerd (npm miniflare) on miniflare's D1; this test makes the keys on the
// same database through D1KeyStore, as a script or the CLI would, and calls the Worker.
const PEPPER = 'a-worker-example-test-pepper-of-32-bytes'
const dir = mkdtempSync(join(tmpdir(), 'keyward-worker-example-'))
let mf: Miniflare
let admin: ReturnType<typeof createKeyward>

beforeAll(async () => {
  const script = join(dir, 'worker.mjs')
  await bundle(fileURLToPath(new URL('../src/worker.ts', import.meta.url)), script)
  mf = new Miniflare({
    modules: true,
    script: readFileSync(script, 'utf8'),
    compatibilityDate: '2025-07-01',
    cf: false,
    host: '127.0.0.1',
    port: 0,
    d1Databases: ['DB'],
    bindings: { KEYWARD_PEPPER: PEPPER },
  })
  const db = (await mf.getD1Database('DB')) as unknown as D1DatabaseLike
  admin = createKeyward({ prefix: 'acme_live', store: new D1KeyStore({ connection: db }), pepper: PEPPER, lastUsed: false })
}, 60_000)
afterAll(async () => {
  await admin?.close()
  await mf?.dispose()
  rmSync(dir, { recursive: true, force: true })
})

const call = (key?: string) => mf.dispatchFetch('http://api.acme.test/v1/me', { headers: key ? { authorization: `Bearer ${key}` } : {} })

it('verifies at the edge a key made on the same D1 database, for many requests at once', async () => {
  const { key, info } = await admin.create({ name: 'Edge client', scopes: ['messages:send'] })
  const answers = await Promise.all(Array.from({ length: 20 }, () => call(key)))
  expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200))
  expect(await answers[0]!.json()).toEqual({ id: info.id, name: 'Edge client', scopes: ['messages:send'] })
})

it('refuses a missing, revoked or unknown key with the shared problem responses', async () => {
  const anonymous = await call()
  expect([anonymous.status, anonymous.headers.get('www-authenticate'), anonymous.headers.get('content-type')]).toEqual([
    401,
    'Bearer realm="api"',
    'application/problem+json',
  ])
  const { key, info } = await admin.create({ name: 'Leaked' })
  await admin.revoke(info.id)
  expect(((await (await call(key)).json()) as { code: string }).code).toBe('revoked')
  const elsewhere = createKeyward({ prefix: 'acme_live', store: new (await import('@keyward/core')).MemoryKeyStore(), pepper: PEPPER })
  const foreign = (await elsewhere.create({ name: 'Elsewhere' })).key
  await elsewhere.close()
  expect(((await (await call(foreign)).json()) as { code: string }).code).toBe('invalid')
})
