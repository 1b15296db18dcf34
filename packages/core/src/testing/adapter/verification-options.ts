/** Verification, part 4: the adapter's options, a header fuzz, and no secret in any output. */
import fc from 'fast-check'
import type { HttpAuthOptions } from '@keyward/core/http'
import type { Keyward } from '@keyward/core'
import { expect, it } from 'vitest'
import { expectExactly, forbidden, json, missing, PEPPER, redacted, unauthorized } from './expected.js'
import { rawRequest } from './raw-client.js'
import { bearer, type VerificationContext } from './verification-context.js'

export function optionTests(ctx: VerificationContext): void {
  it('optional: lets anonymous requests through and still verifies a presented key', async () => {
    const optional = await ctx.serve({ optional: true })
    expect(json(await ctx.get([], optional))).toEqual({ id: null })
    expect(json(await ctx.get(bearer(ctx.keys.plain), optional))).toEqual({ id: ctx.keys.plain.split('_')[2] })
    expectExactly(await ctx.get(bearer(ctx.keys.revoked), optional), unauthorized('revoked', redacted(ctx.keys.revoked)))
    expectExactly(await ctx.send(optional, 'POST', '/v1/messages'), missing())
  })

  it('reads only the configured headers', async () => {
    const onlyApiKey = await ctx.serve({ headers: ['x-api-key'] })
    expectExactly(await ctx.get(bearer(ctx.keys.full), onlyApiKey), missing())
    expect((await ctx.get([['X-Api-Key', ctx.keys.full]], onlyApiKey)).status).toBe(200)
    const custom = await ctx.serve({ headers: ['x-acme-token'] })
    expect((await ctx.get([['X-Acme-Token', ctx.keys.full]], custom)).status).toBe(200)
  })

  it('onFailure can replace a refusal, sees the framework request, and cannot open the door', async () => {
    const requests: unknown[] = []
    const hooked = await ctx.serve({
      onFailure: (response, request) => {
        requests.push(request)
        if (response.body.code === 'revoked')
          return { ...response, status: 410, body: { ...response.body, status: 410, detail: 'Gone. See https://acme.dev/keys' } }
        return undefined
      },
    })
    const gone = await ctx.get(bearer(ctx.keys.revoked), hooked)
    expect([gone.status, (json(gone) as { detail: string }).detail]).toEqual([410, 'Gone. See https://acme.dev/keys'])
    expectExactly(await ctx.get(bearer(ctx.keys.disabled), hooked), unauthorized('disabled', redacted(ctx.keys.disabled)))
    expectExactly(
      await ctx.send(hooked, 'POST', '/v1/messages', bearer(ctx.keys.plain)),
      forbidden('messages:send', redacted(ctx.keys.plain)),
    )
    expect(requests).toHaveLength(3)
    expect(requests.every((request) => request !== null && typeof request === 'object')).toBe(true)
  })

  it('throws a TypeError for invalid options when the middleware is built', async () => {
    const invalid: unknown[] = [
      { scope: ['messages:send'] }, // misspelt: must not silently guard nothing
      { headers: ['Authorization'] },
      { headers: [] },
      { optional: 'yes' },
      { scopes: ['Messages Send'] },
      { scopes: 'messages:send' },
      { realm: 'a"b' },
      { onFailure: 'log' },
    ]
    for (const options of invalid)
      await expect(ctx.adapter.start(ctx.keyward, options as HttpAuthOptions, ctx.probe), JSON.stringify(options)).rejects.toThrow(
        TypeError,
      )
    await expect(ctx.adapter.start({} as Keyward, {}, ctx.probe)).rejects.toThrow(TypeError)
  })

  it('survives 2,000 arbitrary header values: only 400/401, no store call for what cannot be a key', async () => {
    const near = fc.constantFrom(ctx.keys.full, ctx.keys.plain).chain(
      (key) =>
        fc
          .oneof(
            fc.nat({ max: key.length - 1 }).map((n) => key.slice(0, n)),
            fc
              .tuple(fc.nat({ max: key.length - 1 }), fc.constantFrom('0', 'Z', '_', '-', 'é', ' '))
              .map(([i, c]) => key.slice(0, i) + c + key.slice(i + 1)),
            fc.string({ maxLength: 8 }).map((s) => key + s),
          )
          .filter((candidate) => candidate.trim() !== key), // a real key is not a fuzz case
    )
    const anyChars = fc.string({ unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 80 })
    const huge = fc
      .tuple(fc.constantFrom('a', 'Z9_', ' ', '\t', 'é'), fc.integer({ min: 8_000, max: 16_384 }))
      .map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n))
    const scheme = fc.constantFrom('Bearer ', 'bearer ', 'BEARER ', 'BeArEr\t', 'Bearer', 'Basic ', 'Token ', 'Bearer  Bearer ', '', ' ')
    const value = fc.oneof(
      fc.tuple(scheme, fc.oneof(near, anyChars, fc.string())).map(([s, v]) => s + v),
      anyChars,
      huge,
      fc.tuple(scheme, huge).map(([s, v]) => s + v),
    )
    const name = fc.constantFrom('Authorization', 'authorization', 'AUTHORIZATION', 'X-API-Key', 'x-api-key', 'X-Api-KEY')
    let runs = 0
    const statuses = new Set<number>()
    await fc.assert(
      fc.asyncProperty(name, value, async (headerName, headerValue) => {
        runs++
        const before = ctx.store.calls
        const response = await rawRequest(ctx.adapter.connect, ctx.port, 'GET', '/v1/me', [[headerName, headerValue]])
        statuses.add(response.status)
        expect([400, 401]).toContain(response.status)
        if (!ctx.keyward.pattern.test(headerValue)) expect(ctx.store.calls).toBe(before)
        expect(response.body).not.toContain(ctx.keys.full)
      }),
      { numRuns: 2_000 },
    )
    expect(runs).toBeGreaterThanOrEqual(2_000)
    expect(statuses.has(401)).toBe(true)
    expect(ctx.rejections).toEqual([])
  }, 120_000)

  it("never puts a key, digest, pepper or stack trace in a response, a log line or an event, nor the store's error in a response", async () => {
    const secrets = [...Object.values(ctx.keys), ctx.foreignKey, ctx.otherPrefixKey, PEPPER]
    for (const key of Object.values(ctx.keys)) {
      const record = await ctx.store.inner.findById(key.split('_')[2]!)
      secrets.push(record!.digest)
    }
    expect(ctx.seen.length).toBeGreaterThan(30)
    const texts = [...ctx.seen.map((response) => response.raw), ...ctx.logs, ...ctx.events.map((event) => JSON.stringify(event))]
    for (const text of texts) {
      for (const secret of secrets) expect(text.includes(secret), 'a secret leaked').toBe(false)
      expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/)
    }
    // The store's own error is for the operator (events and logs carry it), never for the client.
    for (const response of ctx.seen) expect(response.raw).not.toContain('ECONNREFUSED')
    expect(ctx.rejections).toEqual([])
  })
}
