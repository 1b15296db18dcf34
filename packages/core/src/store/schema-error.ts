/** For store authors: one schema error shared by every store. */
import { KeywardError } from '../errors.js'

/** Why a store refused to use a database schema. */
export type SchemaErrorCode = 'schema_missing' | 'schema_outdated' | 'schema_too_new'

/**
 * A store's schema is missing, behind (when the store does not migrate itself), or newer than the
 * store package understands. Carries the versions, never any record data.
 */
export class KeyStoreSchemaError extends KeywardError<SchemaErrorCode> {
  /** Highest migration applied in the database (0 when none). */
  readonly databaseVersion: number
  /** Highest migration this package knows. */
  readonly supportedVersion: number

  /**
   * @param where what was checked, such as `table "keyward_keys"`
   * @param store the package to upgrade and, when it has one, the function that prints the SQL
   */
  constructor(
    code: SchemaErrorCode,
    databaseVersion: number,
    supportedVersion: number,
    where: string,
    store: { packageName: string; migrationSql?: string },
  ) {
    super(
      code,
      code === 'schema_missing'
        ? `No Keyward schema in ${where}: run the migrations (open the store with migrate: true${store.migrationSql ? `, or apply ${store.migrationSql}()` : ''}).`
        : code === 'schema_outdated'
          ? `The Keyward schema in ${where} is at version ${databaseVersion}; this package needs ${supportedVersion}. Run the migrations.`
          : `The Keyward schema in ${where} is at version ${databaseVersion}, newer than this package supports (${supportedVersion}). Upgrade ${store.packageName}.`,
    )
    this.databaseVersion = databaseVersion
    this.supportedVersion = supportedVersion
  }
}
