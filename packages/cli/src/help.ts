/** What `keyward --help` prints: every command and option, and the exit codes. */
export const HELP = `keyward — manage API keys and find leaked ones

Usage: keyward <command> [options]

Commands:
  create --name <name> [--owner <id>] [--scope <s>]... [--expires <iso|+30d>] [--metadata <json>]
         [--rate-limit <limit>/<window>] [--credits <n>[/<refill>/<interval>]]
                         print a new key once, alone on stdout
  list [--owner <id>] [--all] [--limit <n>]
  get <id>
  update <id> [--name <name>] [--scope <s>]... [--expires <iso|+30d|never>] [--metadata <json>]
         [--rate-limit <limit>/<window>|none] [--credits <n>[/<refill>/<interval>]|none]
  disable <id> | enable <id> | revoke <id> | delete <id>
  rotate <id> [--grace <90s|15m|2h|7d>]  print the successor once, alone on stdout
  verify [<key>|-] [--scope <s>]...      exit 0 when valid, 1 when refused (reads stdin with -)
  scan [paths...] [--revoke [--yes]] [--follow-symlinks] [--max-file-bytes <n|10M>]
                                         find this deployment's keys in files; exit 1 when any
  audit [--key <id>] [--owner <id>] [--actor <id>] [--since <24h|2027-01-31>] [--limit <n>]
                                         the audit log, newest first (--json: one entry a line)
  pepper generate                        print a new pepper alone on stdout (how to keep it on stderr)
  import --from better-auth|unkey|prefixed-api-key|csv <source> [--dry-run] [--owner-column <name>]
                                         bring keys of another system over without re-issuing them
  migration status                       imported keys: upgraded, still legacy, unused since import

Options:
  --store <url>        sqlite:./keys.db | postgres://…[?schema=s] | redis://…  (env KEYWARD_STORE)
  --namespace <n>      PostgreSQL schema or Redis key prefix          (env KEYWARD_NAMESPACE)
  --schema <s>         PostgreSQL schema (same as --namespace)
  --table <t>          keys table, SQLite or PostgreSQL               (env KEYWARD_TABLE)
  --prefix <prefix>    key prefix, e.g. acme_live                     (env KEYWARD_PREFIX)
  --pepper-file <f>    file holding the pepper                        (env KEYWARD_PEPPER)
  --config <file>      JSON config { store, prefix, pepper | peppers, legacy } (default ./keyward.config.json)
  --legacy-prefix <p>  how imported keys of another system start (repeatable; config "legacy": { "prefixes" })
  --json               machine-readable output
  -h, --help

Limits:
  --rate-limit 100/1m  at most 100 verifications a minute (window: 90s, 15m, 2h, 1d…)
  --credits 1000       1000 verifications in all; 1000/1000/1d refills to 1000 every day

Scan options:
  --revoke             revoke the keys found that exist in the store; asks first on a terminal
  -y, --yes            revoke without asking (needed when stdin is not a terminal)
  --follow-symlinks    follow symlinks, only to targets inside the scanned folder (default: skip them)
  --max-file-bytes <n> skip larger files, e.g. 512K, 10M (default 10M)

Exit codes: 0 ok or nothing found, 1 refused or keys found, 2 usage or bad input, 3 not found,
4 store unavailable, 5 rejected (state or conflict).
`
