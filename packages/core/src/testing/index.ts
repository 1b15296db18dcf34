/**
 * `@keyward/core/testing`: conformance suites to run under vitest. `runKeyStoreConformance` proves
 * a `KeyStore`; every store in this repository runs it, and a third-party store can with one call.
 */
export { runKeyStoreConformance, sampleRecord, type ConformanceOptions } from './store-suite.js'
