/**
 * `@keyward/core/http`: for adapter authors. Where a key comes from in a request, and how a
 * verification becomes a status, RFC 6750 challenges and an RFC 9457 problem body, so that every
 * framework answers byte for byte the same.
 */
export {
  assertScopes,
  authenticateRequest,
  conflictingCredentialsResponse,
  extractCredential,
  insufficientScopeResponse,
  malformedCredentialResponse,
  missingCredentialsResponse,
  problemJson,
  rateLimitHeaders,
  requireScopesResponse,
  resolveHttpAuthOptions,
  throttlingSource,
  verifyFailureResponse,
  type Credential,
  type HttpAuthConfig,
  type HttpAuthOptions,
  type HttpAuthResult,
  type HttpFailureHook,
  type HttpFailureResponse,
  type HttpProblemCode,
  type ProblemBody,
} from './mapping.js'
