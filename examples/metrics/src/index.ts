/**
 * Keyward's verification metrics in Prometheus: `KEYWARD_PEPPER="$(openssl rand -base64 32)" pnpm example:metrics`
 * from the repository root. Serves the API on PORT (default 3000) and /metrics on METRICS_PORT
 * (default 9464, Prometheus' registered port for the OpenTelemetry exporter); 0 picks a free one.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createKeyward, MemoryKeyStore } from '@keyward/core'
import { buildApp, type Scope } from './app.js'
import { prometheusMetrics } from './telemetry.js'

const pepper = process.env.KEYWARD_PEPPER
if (!pepper) {
  console.error('KEYWARD_PEPPER is not set: make one with  export KEYWARD_PEPPER="$(openssl rand -base64 32)"  and keep it secret')
  process.exit(1)
}

/** Listen on 127.0.0.1, or say in one line why not and exit non-zero. */
function listen(server: Server, variable: string, fallback: number): Promise<string> {
  const port = Number(process.env[variable] ?? fallback)
  return new Promise((resolve) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'EADDRINUSE' ? `is already in use: set ${variable} (0 picks a free port)` : `cannot be used: ${error.message}`
      console.error(`Port ${port} on 127.0.0.1 ${why}`)
      process.exit(1)
    })
    server.listen(port, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))
  })
}

const { meterProvider, metricsServer } = prometheusMetrics()
const keyward = createKeyward<Scope>({
  prefix: 'acme_live',
  store: new MemoryKeyStore(),
  pepper,
  // Counter keyward.verifications by outcome, histogram keyward.verify.duration (ms): never a key or a key id.
  metrics: meterProvider.getMeter('keyward'),
})
const messages = await keyward.create({ name: 'Messaging bot', scopes: ['messages:send'] })
const crm = await keyward.create({ name: 'HubSpot CRM sync', scopes: ['contacts:sync'] })

const apiServer = createServer(buildApp(keyward))
const metricsBase = await listen(metricsServer, 'METRICS_PORT', 9464)
const base = await listen(apiServer, 'PORT', 3000)
console.log(`Keys (shown once):\n  messages:send  ${messages.key}\n  contacts:sync  ${crm.key}`)
console.log(`Metrics on ${metricsBase}/metrics`)
console.log(`Listening on ${base}`)
console.log(`Try: curl -H "Authorization: Bearer ${crm.key}" ${base}/v1/me && curl ${metricsBase}/metrics`)

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    apiServer.close()
    metricsServer.close()
    void keyward.close().then(() => meterProvider.shutdown())
  })
