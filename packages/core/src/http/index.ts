/**
 * `@keyward/core/http`: for adapter authors. Where a key comes from in a request, how a
 * verification becomes a status, RFC 6750 challenges and an RFC 9457 problem body, so that every
 * framework answers byte for byte the same; the framework-free key management and secret-scanning
 * handlers (Web `Request` in, Web `Response` out), and the bridge from a Node-style request to them.
 */
export {
  assertScopes,
  authenticateRequest,
  requireScopesResponse,
  resolveHttpAuthOptions,
  scopeRequirementOf,
  type HttpAuthConfig,
  type HttpAuthOptions,
  type HttpAuthResult,
  type HttpFailureHook,
} from './mapping.js'
export {
  conflictingCredentialsResponse,
  insufficientScopeResponse,
  malformedCredentialResponse,
  missingCredentialsResponse,
  rateLimitHeaders,
  verifyFailureResponse,
} from './responses.js'
export type { CheckedRequirement, ScopeRequirement } from '../scopes.js'
export { extractCredential, type Credential } from './credentials.js'
export { problemJson, type HttpFailureResponse, type HttpProblemCode, type KeyManagementProblemCode, type ProblemBody } from './problem.js'
export { clientAddress, throttlingSource } from './source.js'
export { responseParts, webRequestFrom, type NodeBodyStream, type ResponseParts, type WebRequestParts } from './web.js'
export {
  keyManagementHandler,
  type KeyManagementActor,
  type KeyManagementHandler,
  type KeyManagementLimits,
  type KeyManagementOptions,
  type OwnerSettingName,
} from './management/index.js'
export { secretScanningWebHandler } from './secret-scanning.js'
export {
  getApiKey,
  requireScopes,
  withApiKey,
  type FetchHandler,
  type WithApiKeyOptions,
  type WrappedFetchHandler,
} from './with-api-key.js'
