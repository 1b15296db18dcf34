/**
 * `pnpm demo`: the API Keys page and a protected API on a SQLite file in examples/demo/.data.
 * PORT (default 3000), HOST (default 127.0.0.1) and KEYWARD_DEMO_DATA override the defaults.
 */
import { startDemo } from './demo.js'

const port = process.env.PORT === undefined || process.env.PORT === '' ? 3000 : Number(process.env.PORT)
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`)
  process.exit(1)
}
const demo = await startDemo({
  port,
  ...(process.env.HOST && { host: process.env.HOST }),
  ...(process.env.KEYWARD_DEMO_DATA && { dataDir: process.env.KEYWARD_DEMO_DATA }),
})
console.log(`Keyward demo running at ${demo.url}`)
console.log(`Open ${demo.url}/developers to create an API key; the API is at ${demo.url}/v1/me`)

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    demo.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  })
