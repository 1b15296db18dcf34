/**
 * A Cloudflare Worker whose API keys live in D1 (binding `DB`), with the pepper as a secret
 * (`wrangler secret put KEYWARD_PEPPER`). Keys are made elsewhere (the management API, the CLI,
 * a script on the same database) and verified here, at the edge.
 */
import { createKeyward } from '@keyward/core'
import { getApiKey, withApiKey } from '@keyward/core/http'
import { D1KeyStore, type D1DatabaseLike } from '@keyward/d1'

export interface Env {
  DB: D1DatabaseLike
  KEYWARD_PEPPER: string
}

// One instance per isolate, made on the first request (bindings arrive with it). Last-used times
// are written while a request runs: a Worker does no I/O between requests.
let api: ((request: Request, env: Env, ctx: unknown) => Promise<Response>) | undefined

export default {
  fetch(request: Request, env: Env, ctx: unknown): Promise<Response> {
    api ??= withApiKey(
      createKeyward({ prefix: 'acme_live', store: new D1KeyStore({ connection: env.DB }), pepper: env.KEYWARD_PEPPER, lastUsed: false }),
      (request: Request) => {
        const key = getApiKey(request)!
        return Response.json({ id: key.id, name: key.name, scopes: key.scopes })
      },
    )
    return api(request, env, ctx)
  },
}
