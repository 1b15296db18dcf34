import { toStoreError } from '../instance/store-errors.js'
import type { KeyStore } from '../types.js'
import type { MigrationStatus } from './api.js'

/** Counts imported keys of `prefix` by where they stand, paging through every record. */
export async function migrationStatus(store: KeyStore, prefix: string): Promise<MigrationStatus> {
  const status: MigrationStatus = { imported: 0, upgraded: 0, legacy: 0, unusedSinceImport: 0 }
  let cursor: string | undefined
  do {
    let page: Awaited<ReturnType<KeyStore['list']>>
    try {
      page = await store.list({ prefix, includeRevoked: true, limit: 1000, ...(cursor !== undefined && { cursor }) })
    } catch (error) {
      throw toStoreError('migration_status', error)
    }
    for (const record of page.items) {
      if (record.prefix !== prefix || !record.importedAt) continue
      status.imported++
      if (record.algorithm.startsWith('legacy-')) status.legacy++
      else status.upgraded++
      if (record.lastUsedAt === null || record.lastUsedAt < record.importedAt) status.unusedSinceImport++
    }
    cursor = page.nextCursor
  } while (cursor !== undefined)
  return status
}
