/**
 * IP allow-lists (`allowedIps` on keys and owners), parsed and matched without `node:` modules.
 * Internal to core: the verifier compiles a list once per loaded record and asks `allows(source)`.
 */
export { type AllowList, compileAllowList } from './allow-list.js'
export { validateAllowList } from './validate.js'
