/** The conformance server inside workerd: a Worker whose `NODE` service binding reaches the test process. */
import { bridge } from './bridge.js'

interface Env {
  NODE: { fetch(input: string, init: RequestInit): Promise<Response> }
}

let serve: ReturnType<typeof bridge> | undefined

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    serve ??= bridge(async (body) => (await env.NODE.fetch('http://node/rpc', { method: 'POST', body })).text())
    return serve(request, env)
  },
}
