import type { Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { runAdapterConformance, type ConformanceServer } from '@keyward/core/testing'
import { authApp, managementApp, secretScanningApp, type App } from '../src/server/apps.js'

/** The same fetch handlers the runtimes run, on Node through `@hono/node-server`, in this process. */
async function listen(app: App): Promise<ConformanceServer> {
  const server = createAdaptorServer({ fetch: app, serverOptions: { maxHeaderSize: 65_536 } }) as Server
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

runAdapterConformance({
  name: 'withApiKey (node)',
  connect,
  start: async (keyward, options, probe, proxy = 'none') => listen(authApp(keyward, options, (route) => probe.handled.push(route), proxy)),
  startManagement: async (keyward, options) => listen(managementApp(keyward, options)),
  startSecretScanning: async (keyward, options) => listen(secretScanningApp(keyward, options)),
})
