import { parseArgs, type ParseArgsConfig } from 'node:util'
import { createKeyward, KeyFormat, type ApiKeyInfo, type Keyward, type KeywardEvent } from '@keyward/core'
import { slowHashes } from '@keyward/core/slow-hashes'
import type { KeyStore } from '@keyward/core/store'
import { resolveConfig, type GlobalFlags, type ResolvedConfig } from './config.js'
import { parseDuration, parseWhen, relative } from './durations.js'
import { CliError, describeError, EXIT } from './errors.js'
import type { Io } from './io.js'
import { cliActor } from './actor.js'
import { runAudit } from './audit-command.js'
import { runImport } from './import-command.js'
import { runMigrationStatus } from './migration-command.js'
import { limitFields } from './limit-flags.js'
import { generatePepper, PEPPER_GUIDANCE, PEPPERED_STORE, refuseUnpepperedMint, storeIsPeppered, UNPEPPERED_NOTE } from './pepper.js'
import { keyId } from './key-id.js'
import { sanitizer, urlSecrets } from './redact.js'
import { runScan } from './scan-command.js'
import { storeTarget } from './store-target.js'
import { openStore } from './stores.js'
import { table } from './table.js'

export type { Io } from './io.js'

const HELP = `keyward — manage API keys and find leaked ones

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

const OPTIONS = {
  store: { type: 'string' },
  namespace: { type: 'string' },
  schema: { type: 'string' },
  table: { type: 'string' },
  prefix: { type: 'string' },
  'pepper-file': { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  name: { type: 'string' },
  owner: { type: 'string' },
  scope: { type: 'string', multiple: true },
  expires: { type: 'string' },
  metadata: { type: 'string' },
  all: { type: 'boolean' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  grace: { type: 'string' },
  'rate-limit': { type: 'string' },
  credits: { type: 'string' },
  revoke: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  'follow-symlinks': { type: 'boolean' },
  'max-file-bytes': { type: 'string' },
  key: { type: 'string' },
  actor: { type: 'string' },
  since: { type: 'string' },
  from: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'legacy-prefix': { type: 'string', multiple: true },
  'owner-column': { type: 'string' },
} satisfies ParseArgsConfig['options']

type Flags = ReturnType<typeof parseCommandLine>['flags']

function parseCommandLine(argv: string[]) {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
    return { flags: values, positionals }
  } catch (error) {
    throw new CliError(`${(error as Error).message}\nRun "keyward --help" for usage.`)
  }
}

function statusLabel(info: ApiKeyInfo): string {
  return info.status
}

function infoRows(info: ApiKeyInfo): string {
  const rows: [string, string][] = [
    ['id', info.id],
    ['name', info.name],
    ['key', info.redacted],
    ['status', statusLabel(info)],
    ['owner', info.ownerId ?? '—'],
    ['scopes', info.scopes.join(' ') || '—'],
    ['created', info.createdAt.toISOString()],
    ['last used', info.lastUsedAt ? `${info.lastUsedAt.toISOString()} (${relative(info.lastUsedAt)})` : 'never'],
    ['expires', info.expiresAt ? `${info.expiresAt.toISOString()} (${relative(info.expiresAt)})` : 'never'],
  ]
  if (info.rotatedFromId) rows.push(['rotated from', info.rotatedFromId])
  if (info.rotatedToId) rows.push(['rotated to', info.rotatedToId])
  if (Object.keys(info.metadata).length > 0) rows.push(['metadata', JSON.stringify(info.metadata)])
  return rows.map(([k, v]) => `${k.padEnd(13)}${v}`).join('\n')
}

/** The id argument of a command. A whole key (or any other non-id) is refused without echoing it. */
function requireId(positionals: string[], command: string, format: KeyFormat): string {
  const id = positionals[1]
  if (!id || positionals.length > 2) throw new CliError(`usage: keyward ${command} <id>`)
  return keyId(id, `keyward ${command} <id>`, format)
}

function parseMetadata(text: string | undefined): Record<string, never> | undefined {
  if (text === undefined) return undefined
  try {
    return JSON.parse(text)
  } catch {
    throw new CliError('--metadata must be a JSON object, like \'{"crm":"hubspot"}\'')
  }
}

function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const limit = Number(text)
  if (!Number.isInteger(limit)) throw new CliError('--limit must be a whole number')
  return limit
}

/** Every secret the configuration holds, to keep out of every message. */
function configSecrets(config: ResolvedConfig): string[] {
  const { pepper, peppers } = config.peppers
  return [...(typeof pepper === 'string' ? [pepper] : []), ...Object.values(peppers?.secrets ?? {}), ...urlSecrets(config.store)].filter(
    (secret): secret is string => typeof secret === 'string',
  )
}

function formatFor(prefix: string): KeyFormat | null {
  try {
    return new KeyFormat({ prefix })
  } catch {
    return null
  }
}

/** Run one command; resolves to the process exit code. Never throws. */
export async function main(argv: string[], io: Io): Promise<number> {
  let store: KeyStore | undefined
  let keyward: Keyward | undefined
  // Everything printed goes through `clean` (keys, peppers and URL passwords redacted), except a key shown once.
  let clean = sanitizer(null)
  const safeIo: Io = { ...io, out: (text) => io.out(clean(text)), err: (text) => io.err(clean(text)) }
  try {
    const { flags, positionals } = parseCommandLine(argv)
    const command = positionals[0]
    if (flags.help || command === undefined || command === 'help') {
      io.out(HELP)
      return command === undefined && !flags.help ? EXIT.usage : EXIT.ok
    }
    // Needs nothing configured: it is how a deployment gets its first pepper.
    if (command === 'pepper') return pepperCommand(positionals, io)
    const config = resolveConfig(flags as GlobalFlags, io.env, io.cwd)
    const format = config.prefix ? formatFor(config.prefix) : null
    clean = sanitizer(format, configSecrets(config))
    if (!config.prefix)
      throw new CliError('no key prefix: pass --prefix acme_live, set KEYWARD_PREFIX, or add "prefix" to keyward.config.json')

    const hasPepper = config.peppers.pepper !== undefined || config.peppers.peppers !== undefined
    let storeError: KeywardEvent | undefined
    // No pepper given is plain SHA-256 on purpose here (the mint check below speaks for it), and
    // store failures are the one line this command prints, not a log entry besides.
    const instance = (over: KeyStore) =>
      createKeyward({
        prefix: config.prefix!,
        store: over,
        ...(hasPepper ? config.peppers : { pepper: false as const }),
        // The slow hashes too (argon2id, scrypt, PBKDF2): an import checks such a digest with them.
        ...(config.legacyPrefixes.length > 0 && { legacy: { prefixes: config.legacyPrefixes, slowHashes } }),
        cache: false,
        lastUsed: false,
        throttle: false,
        logger: false,
        hooks: {
          onEvent: (event: KeywardEvent) => {
            if (event.type === 'store.error') storeError = event
          },
        },
      })
    const open = async (): Promise<Keyward> => {
      if (!config.store) throw new CliError('no store: pass --store sqlite:./keys.db (or postgres://…, redis://…), or set KEYWARD_STORE')
      const target = storeTarget(config.store, config.location)
      store = await openStore(target.url, io.cwd, target.location)
      keyward = instance(store)
      return keyward
    }
    const pepperCheck: PepperCheck = {
      beforeMint: async () => {
        if (hasPepper) return undefined
        await refuseUnpepperedMint(store!, config.prefix!)
        return UNPEPPERED_NOTE
      },
      refusalHint: async () => (!hasPepper && (await storeIsPeppered(store!, config.prefix!)) ? PEPPERED_STORE : undefined),
    }
    // Offline unless revoking: the prefix, length and checksum are all a scan needs.
    const mutation = { actor: cliActor(io.env) }
    if (command === 'scan') return await runScan(config.prefix, positionals.slice(1), flags, safeIo, open, mutation)
    if (command === 'import') {
      const context = {
        keyward: await open(),
        store: store!,
        sandbox: instance,
        legacyPrefixes: config.legacyPrefixes,
        io: safeIo,
        mutation,
      }
      // Digests made without the pepper the store's keys have would never verify on the servers.
      if (!hasPepper) await refuseUnpepperedMint(store!, config.prefix)
      return await runImport(positionals, flags, context)
    }
    return await runCommand(command, {
      keyward: await open(),
      format: format!,
      positionals,
      flags,
      io: safeIo,
      showOnce: io.out,
      pepper: pepperCheck,
      mutation,
      // A store's own error reads "store_unavailable: The key store failed during findById: …", as `list` would say it.
      storeFailure: () =>
        storeError && (storeError.cause?.replace(/^store_unavailable: /, '') ?? `The key store failed during ${storeError.operation}.`),
    })
  } catch (error) {
    const { exitCode, message } = describeError(error)
    safeIo.err(`keyward: ${message}\n`)
    return exitCode
  } finally {
    await keyward?.close().catch(() => undefined)
    await store?.close?.().catch(() => undefined)
  }
}

/** `keyward pepper generate`: a fresh pepper alone on stdout, how to keep it on stderr. */
function pepperCommand(positionals: string[], io: Io): number {
  if (positionals[1] !== 'generate' || positionals.length > 2) throw new CliError('usage: keyward pepper generate')
  io.err(PEPPER_GUIDANCE)
  io.out(`${generatePepper()}\n`)
  return EXIT.ok
}

/** What the CLI checks about the pepper when it has none. */
interface PepperCheck {
  /** Before a key is minted (create, rotate): refuses when the store's keys are peppered, else a note to print after. */
  beforeMint(): Promise<string | undefined>
  /** After a key was refused as invalid: why, when it is the missing pepper. */
  refusalHint(): Promise<string | undefined>
}

/** What a command that needs the store works with. */
interface CommandContext {
  keyward: Keyward
  format: KeyFormat
  positionals: string[]
  flags: Flags
  /** Where everything is printed, sanitized. */
  io: Io
  /** Prints a new key, unsanitized. */
  showOnce: (text: string) => void
  pepper: PepperCheck
  /** The last argument of every change: the audit log names the CLI and the OS user. */
  mutation: { actor: { id: string } }
  /** The last store failure the instance reported, with its (redacted) cause. */
  storeFailure: () => string | undefined
}

/** A command that needs the store. */
async function runCommand(command: string, context: CommandContext): Promise<number> {
  const { keyward, format, positionals, flags, io, showOnce, pepper, mutation } = context
  const json = flags.json === true
  const print = (info: ApiKeyInfo, note?: string) => {
    if (json) io.out(`${JSON.stringify(info)}\n`)
    else {
      if (note) io.err(`${note}\n`)
      io.out(`${infoRows(info)}\n`)
    }
    return EXIT.ok
  }

  switch (command) {
    case 'create': {
      if (positionals.length > 1) throw new CliError('usage: keyward create --name <name> [...]')
      const input = {
        name: flags.name as string,
        ...(flags.owner !== undefined && { ownerId: flags.owner }),
        ...(flags.scope !== undefined && { scopes: flags.scope }),
        ...(flags.expires !== undefined && { expiresAt: parseWhen(flags.expires, '--expires') }),
        ...(flags.metadata !== undefined && { metadata: parseMetadata(flags.metadata)! }),
        ...limitFields(flags),
      }
      const note = await pepper.beforeMint()
      const { key, info } = await keyward.create(input, mutation)
      if (note) io.err(note)
      if (json) showOnce(`${JSON.stringify({ key, info })}\n`)
      else {
        io.err(`Created "${info.name}" (${info.id}). This is the only time the key is shown; store it like a password:\n`)
        showOnce(`${key}\n`)
      }
      return EXIT.ok
    }
    case 'list': {
      const page = await keyward.list({
        ...(flags.owner !== undefined && { ownerId: flags.owner }),
        includeRevoked: flags.all === true,
        ...(parseLimit(flags.limit) !== undefined && { limit: parseLimit(flags.limit)! }),
        ...(flags.cursor !== undefined && { cursor: flags.cursor }),
      })
      if (json) io.out(`${JSON.stringify(page)}\n`)
      else {
        io.out(
          `${table(
            ['ID', 'NAME', 'KEY', 'STATUS', 'SCOPES', 'CREATED', 'LAST USED'],
            page.items.map((k) => [
              k.id,
              k.name,
              k.redacted,
              statusLabel(k),
              k.scopes.join(' ') || '—',
              relative(k.createdAt),
              k.lastUsedAt ? relative(k.lastUsedAt) : 'never',
            ]),
          )}\n`,
        )
        if (page.nextCursor) io.err(`more: keyward list --cursor ${page.nextCursor}\n`)
      }
      return EXIT.ok
    }
    case 'get': {
      const id = requireId(positionals, 'get', format)
      const info = await keyward.get(id)
      if (!info) throw new CliError(`no API key with id "${id}"`, EXIT.notFound)
      return print(info)
    }
    case 'update': {
      const id = requireId(positionals, 'update', format)
      const expires = flags.expires === undefined ? undefined : flags.expires === 'never' ? null : parseWhen(flags.expires, '--expires')
      return print(
        await keyward.update(
          id,
          {
            ...(flags.name !== undefined && { name: flags.name }),
            ...(flags.scope !== undefined && { scopes: flags.scope }),
            ...(expires !== undefined && { expiresAt: expires }),
            ...(flags.metadata !== undefined && { metadata: parseMetadata(flags.metadata)! }),
            ...limitFields(flags),
          },
          mutation,
        ),
        `Updated ${id}.`,
      )
    }
    case 'disable':
      return print(await keyward.disable(requireId(positionals, 'disable', format), mutation), 'Disabled.')
    case 'enable':
      return print(await keyward.enable(requireId(positionals, 'enable', format), mutation), 'Enabled.')
    case 'revoke':
      return print(await keyward.revoke(requireId(positionals, 'revoke', format), mutation), 'Revoked. This cannot be undone.')
    case 'delete': {
      const id = requireId(positionals, 'delete', format)
      await keyward.delete(id, mutation)
      if (json) io.out(`${JSON.stringify({ deleted: id })}\n`)
      else io.err(`Deleted ${id}.\n`)
      return EXIT.ok
    }
    case 'rotate': {
      const id = requireId(positionals, 'rotate', format)
      const gracePeriodMs = flags.grace === undefined ? 0 : parseDuration(flags.grace, '--grace')
      const note = await pepper.beforeMint()
      const { key, info, previous } = await keyward.rotate(id, { gracePeriodMs }, mutation)
      if (note) io.err(note)
      if (json) showOnce(`${JSON.stringify({ key, info, previous })}\n`)
      else {
        io.err(
          `Rotated ${id} → ${info.id}. The old key stops working ${previous.expiresAt ? relative(previous.expiresAt) : 'now'}.\nThe new key, shown only once:\n`,
        )
        showOnce(`${key}\n`)
      }
      return EXIT.ok
    }
    case 'audit':
      return runAudit(keyward, format, positionals, flags, io)
    case 'migration':
      return runMigrationStatus(keyward, positionals, json, io)
    case 'verify': {
      const given = positionals[1]
      const key = given === undefined || given === '-' ? (await io.readStdin()).trim() : given
      const result = await keyward.verify(key, flags.scope ? { scopes: flags.scope } : undefined)
      if (json) io.out(`${JSON.stringify(result)}\n`)
      else if (result.ok) io.out(`valid: "${result.key.name}" (${result.key.id}, ${result.key.redacted})\n`)
      else io.out(`refused: ${result.code} — ${result.message}\n`)
      const hint = !result.ok && result.code === 'invalid' ? await pepper.refusalHint() : undefined
      if (hint) io.err(`keyward: ${hint}\n`)
      if (!result.ok && result.code === 'store_unavailable') {
        // The result speaks to an API client; the person at the terminal also gets the reason.
        const failure = context.storeFailure()
        if (failure) io.err(`keyward: ${failure}\n`)
        return EXIT.storeUnavailable
      }
      return result.ok ? EXIT.ok : EXIT.failed
    }
    default:
      throw new CliError(`unknown command "${command}". Run "keyward --help".`)
  }
}
