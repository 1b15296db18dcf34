/** Why the store refused to use a database schema. */
export type SchemaErrorCode = 'schema_missing' | 'schema_outdated' | 'schema_too_new'

/**
 * The database schema is missing, behind (with `migrate: false`), or newer than this package
 * understands. Carries the versions, never any record data.
 */
export class KeyStoreSchemaError extends Error {
  readonly code: SchemaErrorCode
  /** Highest migration applied in the database (0 when none). */
  readonly databaseVersion: number
  /** Highest migration this package knows. */
  readonly supportedVersion: number

  constructor(code: SchemaErrorCode, databaseVersion: number, supportedVersion: number, where: string) {
    super(
      code === 'schema_missing'
        ? `No Keyward schema marker in ${where}.`
        : code === 'schema_outdated'
          ? `The Keyward schema in ${where} is at version ${databaseVersion}; this package needs ${supportedVersion}. Run the migrations.`
          : `The Keyward schema in ${where} is at version ${databaseVersion}, newer than this package supports (${supportedVersion}). Upgrade @keyward/redis.`,
    )
    this.name = 'KeyStoreSchemaError'
    this.code = code
    this.databaseVersion = databaseVersion
    this.supportedVersion = supportedVersion
  }
}
