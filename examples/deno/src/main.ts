/**
 * A Deno server protected by Keyward: `KEYWARD_PEPPER="$(openssl rand -base64 32)" deno run --allow-net --allow-env=KEYWARD_PEPPER,PORT src/main.ts`.
 * Creates a key on start (shown once) and answers GET /v1/me for it; the client address for
 * failed-key throttling is Deno's info.remoteAddr, which withApiKey finds by itself.
 */
import { createKeyward, MemoryKeyStore } from '@keyward/core'
import { getApiKey, withApiKey } from '@keyward/core/http'

declare const Deno: {
  env: { get(name: string): string | undefined }
  exit(code: number): never
  serve(
    options: { port: number; hostname: string; onListen(address: { port: number }): void },
    handler: (request: Request, info: unknown) => Response | Promise<Response>,
  ): unknown
}

const pepper = Deno.env.get('KEYWARD_PEPPER')
if (!pepper) {
  console.error('KEYWARD_PEPPER is not set: make one with  export KEYWARD_PEPPER="$(openssl rand -base64 32)"  and keep it secret')
  Deno.exit(1)
}
const keyward = createKeyward({ prefix: 'acme_live', store: new MemoryKeyStore(), pepper })
const { key } = await keyward.create({ name: 'Deno client', scopes: ['messages:send'] })

const api = withApiKey(keyward, (request) => Response.json({ id: getApiKey(request)!.id, name: getApiKey(request)!.name }))

Deno.serve(
  {
    port: Number(Deno.env.get('PORT') ?? 8000),
    hostname: '127.0.0.1',
    onListen: ({ port }) => {
      console.log(`Key (shown once): ${key}`)
      console.log(`Listening on http://127.0.0.1:${port}`)
    },
  },
  api,
)
