/** Key management, part 3: a failing store, an unexpected error, and options checked when built. */
import type { Keyward } from '@keyward/core'
import type { KeyManagementOptions } from '@keyward/core/http'
import { expect, it } from 'vitest'
import { DETAILS, expectProblem, ORIGIN, type ManagementContext } from './management-context.js'

export function failureTests(ctx: ManagementContext): void {
  it('answers 503 store_unavailable with Retry-After when the store fails, and 500 for the unexpected', async () => {
    const { id } = await ctx.createKey('Store down')
    ctx.store.failing = true
    const list = await ctx.call('GET', '/')
    expectProblem(list, 503, 'store_unavailable', DETAILS.storeDown, { headers: { 'retry-after': '1' } })
    expectProblem(await ctx.call('POST', `/${id}/disable`), 503, 'store_unavailable', DETAILS.storeDown, {
      headers: { 'retry-after': '1' },
    })
    ctx.store.failing = false
    expect((await ctx.keyward.get(id))?.status).toBe('active')

    const broken = new Proxy(ctx.keyward, {
      get(target, name) {
        if (name === 'list') return () => Promise.reject(new Error('secret internals'))
        const value = Reflect.get(target, name) as unknown
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const port = await ctx.serve({}, broken)
    const response = await ctx.call('GET', '/', { port })
    expectProblem(response, 500, 'internal_error', DETAILS.internal)
    expect(ctx.onError).toHaveBeenCalledTimes(1)
    expect(ctx.onError.mock.calls[0]![0]).toMatchObject({ message: 'secret internals' })
  })

  it('validates its options when built', async () => {
    const ok = { authorize: () => 'o', allowedOrigins: [ORIGIN] }
    const refused = async (options: unknown, message: RegExp, keyward: Keyward<string> = ctx.keyward) =>
      expect(ctx.adapter.startManagement(keyward, options as KeyManagementOptions<any>), JSON.stringify(options)).rejects.toThrow(message)
    await refused(ok, /createKeyward/, {} as Keyward<string>)
    await refused({ authorize: () => 'o' }, /allowedOrigins is required/)
    await refused({ ...ok, allowedOrigins: [] }, /allowedOrigins is required/)
    for (const origin of ['https://a.test:443', 'null', 'dashboard.acme.test', 'https://a.test/path'])
      await refused({ ...ok, allowedOrigins: [origin] }, /allowedOrigins/)
    await refused({ allowedOrigins: [ORIGIN] }, /authorize/)
    await refused({ ...ok, apiKeyHeaders: ['X-Api-Key'] }, /apiKeyHeaders/)
    await refused({ ...ok, allowedScopes: ['Bad Scope'] }, /allowedScopes/)
    await refused({ ...ok, maxBodyBytes: 1 }, /maxBodyBytes/)
    await refused({ ...ok, authorise: () => 'o' }, /unknown option "authorise"/)
    await refused({ ...ok, limits: { maxRate: { limit: 1, windowMs: 1000 } } }, /options\.limits: unknown option "maxRate"/)
    await refused({ ...ok, limits: { maxRateLimit: { limit: 0, windowMs: 1000 } } }, /options\.limits: maxRateLimit\.limit/)
    await refused({ ...ok, limits: { maxRateLimit: null } }, /options\.limits/)
    await refused({ ...ok, limits: { maxCredits: { remaining: -1 } } }, /options\.limits: credits\.remaining/)
    await refused({ ...ok, limits: { maxRateLimits: [{ name: 'default', limit: 1, windowMs: 1000 }] } }, /maxRateLimit instead/)
    await refused({ ...ok, limits: { maxRateLimits: [{ name: 'Bad Name', limit: 1, windowMs: 1000 }] } }, /maxRateLimits\[0\]\.name/)
    await refused({ ...ok, allowedRoles: 'reader' }, /allowedRoles/)
    await refused({ ...ok, editableOwnerSettings: ['maxKeys', 'owner'] }, /editableOwnerSettings/)
    const server = await ctx.adapter.startManagement(ctx.keyward, { ...ok, allowedOrigins: ['https://a.test/', 'http://localhost:3000'] })
    await server.close()
  })
}
