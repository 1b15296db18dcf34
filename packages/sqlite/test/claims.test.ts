import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { SqliteKeyStore } from '@keyward/sqlite'
import { expect, it } from 'vitest'
import { dbPath, tempDir } from './helpers.js'

const claimer = fileURLToPath(new URL('./fixtures/claimer.mjs', import.meta.url))
const dir = tempDir()
const NOW = Date.UTC(2026, 0, 1)

/** A claimer process: resolves once it has opened the file, with a function that starts it and resolves to its ids. */
async function startClaimer(file: string, holder: string): Promise<() => Promise<string[]>> {
  const child = spawn(process.execPath, [claimer, file, holder, String(NOW)], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  expect((await lines.next()).value).toBe('ready')
  return async () => {
    child.stdin.write('go\n')
    return JSON.parse((await lines.next()).value as string) as string[]
  }
}

it('hands each due notification to one process among several claiming at once (claimNotifications)', async () => {
  const file = dbPath(dir)
  const store = new SqliteKeyStore(file)
  const ids = Array.from({ length: 3000 }, (_, i) => `n${String(i).padStart(4, '0')}`)
  await store.recordNotifications(
    ids.map((id, i) => ({ id, type: 'key.unused', keyId: null, payload: '{}', createdAt: NOW - i, pending: true })),
  )
  const claimers = await Promise.all(['p1', 'p2', 'p3'].map((holder) => startClaimer(file, holder)))
  const here = async () => {
    const claimed: string[] = []
    for (let batch = await store.claimNotifications('parent', NOW, 60_000, 4); batch.length > 0; ) {
      claimed.push(...batch.map((n) => n.id))
      await new Promise((resolve) => setImmediate(resolve))
      batch = await store.claimNotifications('parent', NOW, 60_000, 4)
    }
    return claimed
  }
  const results = await Promise.all([...claimers.map((go) => go()), here()])
  const all = results.flat()
  expect(all).toHaveLength(ids.length) // no entry claimed twice
  expect(all.sort()).toEqual(ids)
  // Each entry's claim in the file is the process that got it.
  const claimedBy = new Map(
    (store.db.prepare('SELECT id, claimed_by FROM keyward_keys_notifications').all() as { id: string; claimed_by: string }[]).map((row) => [
      row.id,
      row.claimed_by,
    ]),
  )
  ;['p1', 'p2', 'p3', 'parent'].forEach((holder, i) => {
    for (const id of results[i]!) expect(claimedBy.get(id), id).toBe(holder)
  })
  expect(results.filter((ids) => ids.length > 0).length, 'processes that claimed some').toBeGreaterThanOrEqual(2)
  await store.close()
}, 30_000)
