/** What the store uses of a D1 binding (`env.DB`): typed structurally, no Workers types needed. */
export interface D1DatabaseLike {
  prepare(sql: string): D1StatementLike
  batch<T = unknown>(statements: D1StatementLike[]): Promise<{ results: T[]; meta: { changes?: number } }[]>
}
export interface D1StatementLike {
  bind(...values: unknown[]): D1StatementLike
  first<T = Record<string, unknown>>(): Promise<T | null>
  all<T = Record<string, unknown>>(): Promise<{ results: T[] }>
  run(): Promise<{ meta: { changes?: number } }>
}

/** Options of {@link D1KeyStore}. */
export interface D1KeyStoreOptions {
  /** The D1 database binding of your Worker, like `env.DB`. */
  connection: D1DatabaseLike
  /**
   * Name of the keys table; its companion tables get it as prefix (`_counters`, `_migrations`, `_usage`,
   * `_audit`, `_notifications`, `_leases`).
   * @default 'keyward_keys'
   */
  table?: string
  /**
   * Create or migrate the schema on first use. With `false`, a missing or outdated schema is an
   * error (apply `d1MigrationSql()` with `wrangler d1 execute`).
   * @default true
   */
  migrate?: boolean
}
