import { runAdapterConformance } from '@keyward/core/testing'
import { afterAll, beforeAll } from 'vitest'
import { runtimeAdapter } from '../src/index.js'

// withApiKey, requireScopes and the management and secret-scanning handlers under Bun.serve (npm
// @oven/bun-linux-x64), started once for the file; the suite drives it over loopback.
const adapter = runtimeAdapter('bun')
beforeAll(() => adapter.boot(), 60_000)
afterAll(() => adapter.shutdown())

runAdapterConformance(adapter)
