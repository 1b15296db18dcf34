/**
 * The adapter conformance suite: the HTTP behaviour of DESIGN.md §8 (verification) and §11 (key
 * management, secret scanning) and §13 (access rules), run against an adapter over real sockets. Every expected refusal
 * is written out literally (status, every header, body bytes), and each framework's response must
 * equal it exactly: so every adapter that passes answers byte for byte the same. Transport headers (`date`,
 * `connection`, `keep-alive`, `transfer-encoding`) are left out of the comparison.
 *
 * @example
 * import { runAdapterConformance } from '@keyward/core/testing'
 *
 * // connect: `connect` of Node's `net` module; the start functions start your framework's apps.
 * runAdapterConformance({ name: 'my-framework', connect, start, startManagement, startSecretScanning })
 */
import { describe } from 'vitest'
import type { ConformanceAdapter } from './adapter/harness.js'
import { managementTests } from './adapter/management-suite.js'
import { credentialTests } from './adapter/verification-credentials.js'
import { verificationContext } from './adapter/verification-context.js'
import { limitTests } from './adapter/verification-limits.js'
import { optionTests } from './adapter/verification-options.js'
import { ruleTests } from './adapter/verification-rules.js'
import { secretScanningTests } from './adapter/secret-scanning-suite.js'

export type { ConformanceAdapter, ConformanceServer, ProxyTrust, SuiteProbe } from './adapter/harness.js'
export { headerObject, rawRequest, type Connect, type RawResponse, type RawSocket } from './adapter/raw-client.js'

/** Run the whole suite against `adapter`, inside one `describe` per part. */
export function runAdapterConformance(adapter: ConformanceAdapter): void {
  describe(`${adapter.name}: shared HTTP behaviour`, () => {
    const ctx = verificationContext(adapter)
    credentialTests(ctx)
    limitTests(ctx)
    ruleTests(ctx)
    optionTests(ctx)
  })
  describe(`${adapter.name}: key management`, () => {
    managementTests(adapter)
  })
  describe(`${adapter.name}: secret scanning`, () => {
    secretScanningTests(adapter)
  })
}
