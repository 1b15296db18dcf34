/**
 * The same Hono API on Bun: `KEYWARD_PEPPER="$(openssl rand -base64 32)" bun src/bun.ts`. Bun.serve
 * takes the app's fetch; the client address for throttling comes from Bun's server.requestIP.
 */
import { buildApp } from './app.js'
import { banner, exampleKeys } from './keys.js'

declare const Bun: {
  env: Record<string, string | undefined>
  serve(options: { port: number; hostname: string; fetch: (request: Request, server: unknown) => Response | Promise<Response> }): {
    port: number
  }
}

const keys = await exampleKeys(Bun.env.KEYWARD_PEPPER)
if (!keys) process.exit(1)
const server = Bun.serve({ port: Number(Bun.env.PORT ?? 3000), hostname: '127.0.0.1', fetch: buildApp(keys.keyward).fetch })
console.log(banner(server.port, keys))
