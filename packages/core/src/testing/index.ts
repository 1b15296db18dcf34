/**
 * `@keyward/core/testing`: conformance suites to run under vitest. `runKeyStoreConformance` proves
 * a `KeyStore`; every store in this repository runs it, and a third-party store can with one call.
 * `runAdapterConformance` proves a framework adapter: Express, Koa and Fastify each run it, and so
 * answer byte for byte the same.
 */
export { runKeyStoreConformance, sampleRecord, type ConformanceOptions } from './store-suite.js'
export {
  headerObject,
  rawRequest,
  runAdapterConformance,
  type ConformanceAdapter,
  type ConformanceServer,
  type Connect,
  type ProxyTrust,
  type RawResponse,
  type RawSocket,
  type SuiteProbe,
} from './adapter-conformance.js'
export { runUsageExactness, type UsageExactnessOptions } from './usage-exactness.js'
export { sampleOwner } from './rules-suite.js'
