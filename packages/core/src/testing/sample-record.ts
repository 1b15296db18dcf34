import type { ApiKeyRecord } from '@keyward/core/store'

/** A complete, valid record for tests; override any field. */
export function sampleRecord(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  const createdAt = overrides.createdAt ?? new Date(Date.UTC(2026, 0, 1, 12, 0, 0, 123))
  return {
    id: randomId(),
    prefix: 'conf_test',
    digest: 'ab'.repeat(32),
    algorithm: 'hmac-sha256',
    pepperId: 'p1',
    hint: 'Xy9Z',
    name: 'Conformance key',
    ownerId: 'owner-1',
    scopes: ['messages:send', 'contacts:*'],
    metadata: { integration: 'crm', nested: { list: [1, 'two', true, null] } },
    createdAt,
    updatedAt: createdAt,
    expiresAt: null,
    disabledAt: null,
    revokedAt: null,
    lastUsedAt: null,
    rotatedFromId: null,
    rotatedToId: null,
    rateLimit: null,
    rateLimits: null,
    credits: null,
    notBefore: null,
    roles: [],
    allowedIps: null,
    importedAt: null,
    legacyHash: null,
    revision: 0,
    ...overrides,
  }
}

const ID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
function randomId(): string {
  let id = ''
  while (id.length < 12)
    for (const b of crypto.getRandomValues(new Uint8Array(16))) if (b < 248 && id.length < 12) id += ID_ALPHABET[b % 62]
  return id
}
