import { createKeyward, InvalidInputError, MemoryKeyStore, type KeywardEvent } from '@keyward/core'
import { describe, expect, it } from 'vitest'

const PEPPER = 'audit-test-pepper-of-at-least-32-bytes!'
const actor = { id: 'user-7', ip: '203.0.113.7', userAgent: 'Mozilla/5.0' }

function setup(audit?: false) {
  const store = new MemoryKeyStore()
  const events: KeywardEvent[] = []
  const keyward = createKeyward({
    prefix: 'acme_test',
    store,
    pepper: PEPPER,
    hooks: { onEvent: (event) => events.push(event) },
    ...(audit === false && { audit }),
  })
  return { store, keyward, events }
}

describe('audit log', () => {
  it('records every change with its actor and the names of the fields it set, never a value or a secret, newest first', async () => {
    const { keyward, events } = setup()
    const { key, info } = await keyward.create({ name: 'CRM', ownerId: 'team-1', scopes: ['contacts:sync'] }, { actor })
    await keyward.update(info.id, { name: 'CRM sync', metadata: { crm: 'hubspot' } }, { actor })
    await keyward.disable(info.id, { actor: { id: 'user-8' } })
    await keyward.disable(info.id, { actor }) // already disabled: no change, no entry
    await keyward.enable(info.id)
    const rotated = await keyward.rotate(info.id, { gracePeriodMs: 60_000 }, { actor })
    await keyward.reportLeak(info.id, { url: 'https://gist.example.com/abc' }, { actor: { id: 'github-secret-scanning' } })
    await keyward.revoke(info.id, { actor })
    await keyward.delete(rotated.info.id, { actor })
    const log = await keyward.auditLog({ ownerId: 'team-1' })
    expect(log.items.map((e) => [e.action, e.keyId === info.id ? 'old' : 'new', e.actor?.id ?? null, e.fields ?? null])).toEqual([
      ['key.deleted', 'new', 'user-7', null],
      ['key.revoked', 'old', 'user-7', ['revokedAt']],
      ['key.leaked', 'old', 'github-secret-scanning', null],
      ['key.rotated', 'old', 'user-7', ['rotatedToId', 'expiresAt']],
      ['key.enabled', 'old', null, ['disabledAt']],
      ['key.disabled', 'old', 'user-8', ['disabledAt']],
      ['key.updated', 'old', 'user-7', ['name', 'metadata']],
      ['key.created', 'old', 'user-7', ['name', 'ownerId', 'scopes']],
    ])
    expect(log.items.at(-1)).toMatchObject({ actor, ownerId: 'team-1' })
    const text = JSON.stringify(log)
    expect(text).not.toContain(key.slice(-20))
    expect(text).not.toContain('hubspot')
    // Events carry the actor too.
    expect(events.find((e) => e.type === 'key.updated')).toMatchObject({ keyId: info.id, actor })
    expect(events.filter((e) => e.type === 'key.leaked')).toHaveLength(1)
  })

  it('pages by key, owner, actor and time with a cursor', async () => {
    const { keyward } = setup()
    const { info } = await keyward.create({ name: 'One', ownerId: 'team-1' })
    for (let i = 0; i < 5; i++) await keyward.update(info.id, { name: `One ${i}` }, { actor: { id: i % 2 ? 'odd' : 'even' } })
    await keyward.create({ name: 'Two', ownerId: 'team-2' })
    const first = await keyward.auditLog({ keyId: info.id, limit: 4 })
    const second = await keyward.auditLog({ keyId: info.id, limit: 4, cursor: first.nextCursor! })
    expect([...first.items, ...second.items]).toHaveLength(6)
    expect(second.nextCursor).toBeUndefined()
    expect((await keyward.auditLog({ actorId: 'odd' })).items).toHaveLength(2)
    expect((await keyward.auditLog({ ownerId: 'team-2' })).items.map((e) => e.action)).toEqual(['key.created'])
    expect((await keyward.auditLog({ from: Date.now() + 60_000 })).items).toEqual([])
  })

  it('refuses a bad actor or query before changing anything', async () => {
    const { keyward } = setup()
    const { key, info } = await keyward.create({ name: 'CRM' })
    await expect(keyward.disable(info.id, { actor: { id: '' } })).rejects.toThrow(/actor\.id/)
    await expect(keyward.disable(info.id, { actor: { id: 'x', ip: 'a\nb' } })).rejects.toBeInstanceOf(InvalidInputError)
    await expect(keyward.disable(info.id, { actor: { id: 'x', role: 'admin' } } as never)).rejects.toThrow(/role/)
    await expect(keyward.create({ name: 'Two' }, { who: 'me' } as never)).rejects.toThrow(/who/)
    expect((await keyward.get(info.id))?.status).toBe('active')
    expect((await keyward.list()).items).toHaveLength(1)
    await expect(keyward.auditLog({ keyId: key })).rejects.toBeInstanceOf(InvalidInputError)
    await expect(keyward.auditLog({ cursor: 'forged' })).rejects.toBeInstanceOf(InvalidInputError)
    await expect(keyward.auditLog({ limit: 1000 })).rejects.toThrow(/limit/)
  })

  it('keeps no log with audit: false, and says so when asked', async () => {
    const { keyward } = setup(false)
    const { info } = await keyward.create({ name: 'CRM' }, { actor })
    await keyward.revoke(info.id, { actor })
    await expect(keyward.auditLog()).rejects.toThrow(/audit log is off/)
  })

  it("appends the entry in the change's store write, so a change the store refuses leaves no entry", async () => {
    const store = new MemoryKeyStore()
    const keyward = createKeyward({ prefix: 'acme_test', store, pepper: PEPPER })
    const { info } = await keyward.create({ name: 'CRM' })
    const update = store.update.bind(store)
    store.update = async () => {
      throw new Error('disk full')
    }
    await expect(keyward.disable(info.id, { actor })).rejects.toMatchObject({ code: 'store_unavailable' })
    store.update = update
    expect((await keyward.auditLog({ keyId: info.id })).items.map((e) => e.action)).toEqual(['key.created'])
  })
})
