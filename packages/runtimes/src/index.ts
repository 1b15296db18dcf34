/**
 * The conformance suite on real runtimes: `runtimeAdapter('bun' | 'deno' | 'workerd')` starts the
 * runtime once (a child process, or workerd through miniflare) running the suite's apps on core's
 * fetch handlers, and gives `runAdapterConformance` an adapter whose servers live in that runtime.
 * `codec` and `bundle` serve other packages' runtime tests (the D1 store inside workerd).
 */
export { runtimeAdapter, type RuntimeAdapter, type RuntimeName } from './adapter.js'
export { BUN, DENO, bundle, denoEnv } from './runtimes.js'
export { codec, type Codec } from './codec.js'
