import { parseArgs, type ParseArgsConfig } from 'node:util'
import { createKeyward, type ApiKeyInfo, type Keyward, type KeyStore } from '@keyward/core'
import { resolveConfig, type GlobalFlags } from './config.js'
import { parseDuration, parseWhen, relative } from './durations.js'
import { CliError, describeError, EXIT } from './errors.js'
import { scanPaths } from './scan.js'
import { openStore } from './stores.js'
import { table } from './table.js'

/** Where the CLI reads and writes; the real process or a test double. */
export interface Io {
  out(text: string): void
  err(text: string): void
  env: NodeJS.ProcessEnv
  cwd: string
  stderrIsTTY: boolean
  readStdin(): Promise<string>
}

const HELP = `keyward — manage API keys and find leaked ones

Usage: keyward <command> [options]

Commands:
  create --name <name> [--owner <id>] [--scope <s>]... [--expires <iso|+30d>] [--metadata <json>]
                         print a new key once, alone on stdout
  list [--owner <id>] [--all] [--limit <n>]
  get <id>
  update <id> [--name <name>] [--scope <s>]... [--expires <iso|+30d|never>] [--metadata <json>]
  disable <id> | enable <id> | revoke <id> | delete <id>
  rotate <id> [--grace <90s|15m|2h|7d>]  print the successor once, alone on stdout
  verify [<key>|-] [--scope <s>]...      exit 0 when valid, 1 when refused (reads stdin with -)
  scan [paths...] [--revoke]             find this deployment's keys in files; exit 1 when any

Options:
  --store <url>        sqlite:./keys.db | postgres://… | redis://…   (env KEYWARD_STORE)
  --prefix <prefix>    key prefix, e.g. acme_live                     (env KEYWARD_PREFIX)
  --pepper-file <f>    file holding the pepper                        (env KEYWARD_PEPPER)
  --config <file>      JSON config { store, prefix, pepper | peppers } (default ./keyward.config.json)
  --json               machine-readable output
  -h, --help

Exit codes: 0 ok, 1 refused/found, 2 usage, 3 not found, 4 store unavailable, 5 rejected (state or conflict).
`

const OPTIONS = {
  store: { type: 'string' },
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
  revoke: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
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

function requireId(positionals: string[], command: string): string {
  const id = positionals[1]
  if (!id || positionals.length > 2) throw new CliError(`usage: keyward ${command} <id>`)
  return id
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

/** Run one command; resolves to the process exit code. Never throws. */
export async function main(argv: string[], io: Io): Promise<number> {
  let store: KeyStore | undefined
  let keyward: Keyward | undefined
  try {
    const { flags, positionals } = parseCommandLine(argv)
    const command = positionals[0]
    if (flags.help || command === undefined || command === 'help') {
      io.out(HELP)
      return command === undefined && !flags.help ? EXIT.usage : EXIT.ok
    }
    const config = resolveConfig(flags as GlobalFlags, io.env, io.cwd)
    if (!config.prefix) throw new CliError('no key prefix: pass --prefix acme_live, set KEYWARD_PREFIX, or add "prefix" to keyward.config.json')

    if (command === 'scan' && !flags.revoke) {
      // Offline: the pattern and checksum need only the prefix.
      keyward = createKeyward({ prefix: config.prefix, store: offlineStore, throttle: false, lastUsed: false, cache: false })
      return runScan(keyward, positionals.slice(1), flags, io)
    }

    if (!config.store) throw new CliError('no store: pass --store sqlite:./keys.db (or postgres://…, redis://…), or set KEYWARD_STORE')
    store = await openStore(config.store, io.cwd)
    keyward = createKeyward({ prefix: config.prefix, store, ...config.peppers, cache: false, lastUsed: false, throttle: false })
    return await runCommand(command, keyward, positionals, flags, io)
  } catch (error) {
    const { exitCode, message } = describeError(error)
    io.err(`keyward: ${message}\n`)
    return exitCode
  } finally {
    await keyward?.close().catch(() => undefined)
    await store?.close?.().catch(() => undefined)
  }
}

async function runCommand(command: string, keyward: Keyward, positionals: string[], flags: Flags, io: Io): Promise<number> {
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
      const { key, info } = await keyward.create({
        name: flags.name as string,
        ...(flags.owner !== undefined && { ownerId: flags.owner }),
        ...(flags.scope !== undefined && { scopes: flags.scope }),
        ...(flags.expires !== undefined && { expiresAt: parseWhen(flags.expires, '--expires') }),
        ...(flags.metadata !== undefined && { metadata: parseMetadata(flags.metadata)! }),
      })
      if (json) io.out(`${JSON.stringify({ key, info })}\n`)
      else {
        io.err(`Created "${info.name}" (${info.id}). This is the only time the key is shown; store it like a password:\n`)
        io.out(`${key}\n`)
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
            page.items.map((k) => [k.id, k.name, k.redacted, statusLabel(k), k.scopes.join(' ') || '—', relative(k.createdAt), k.lastUsedAt ? relative(k.lastUsedAt) : 'never']),
          )}\n`,
        )
        if (page.nextCursor) io.err(`more: keyward list --cursor ${page.nextCursor}\n`)
      }
      return EXIT.ok
    }
    case 'get': {
      const id = requireId(positionals, 'get')
      const info = await keyward.get(id)
      if (!info) throw new CliError(`no API key with id "${id}"`, EXIT.notFound)
      return print(info)
    }
    case 'update': {
      const id = requireId(positionals, 'update')
      const expires = flags.expires === undefined ? undefined : flags.expires === 'never' ? null : parseWhen(flags.expires, '--expires')
      return print(
        await keyward.update(id, {
          ...(flags.name !== undefined && { name: flags.name }),
          ...(flags.scope !== undefined && { scopes: flags.scope }),
          ...(expires !== undefined && { expiresAt: expires }),
          ...(flags.metadata !== undefined && { metadata: parseMetadata(flags.metadata)! }),
        }),
        `Updated ${id}.`,
      )
    }
    case 'disable':
      return print(await keyward.disable(requireId(positionals, 'disable')), 'Disabled.')
    case 'enable':
      return print(await keyward.enable(requireId(positionals, 'enable')), 'Enabled.')
    case 'revoke':
      return print(await keyward.revoke(requireId(positionals, 'revoke')), 'Revoked. This cannot be undone.')
    case 'delete': {
      const id = requireId(positionals, 'delete')
      await keyward.delete(id)
      if (json) io.out(`${JSON.stringify({ deleted: id })}\n`)
      else io.err(`Deleted ${id}.\n`)
      return EXIT.ok
    }
    case 'rotate': {
      const id = requireId(positionals, 'rotate')
      const gracePeriodMs = flags.grace === undefined ? 0 : parseDuration(flags.grace, '--grace')
      const { key, info, previous } = await keyward.rotate(id, { gracePeriodMs })
      if (json) io.out(`${JSON.stringify({ key, info, previous })}\n`)
      else {
        io.err(
          `Rotated ${id} → ${info.id}. The old key stops working ${previous.expiresAt ? relative(previous.expiresAt) : 'now'}.\nThe new key, shown only once:\n`,
        )
        io.out(`${key}\n`)
      }
      return EXIT.ok
    }
    case 'verify': {
      const given = positionals[1]
      const key = given === undefined || given === '-' ? (await io.readStdin()).trim() : given
      const result = await keyward.verify(key, flags.scope ? { scopes: flags.scope } : undefined)
      if (json) io.out(`${JSON.stringify(result)}\n`)
      else if (result.ok) io.out(`valid: "${result.key.name}" (${result.key.id}, ${result.key.redacted})\n`)
      else io.out(`refused: ${result.code} — ${result.message}\n`)
      if (!result.ok && result.code === 'store_unavailable') return EXIT.storeUnavailable
      return result.ok ? EXIT.ok : EXIT.failed
    }
    case 'scan':
      return runScan(keyward, positionals.slice(1), flags, io)
    default:
      throw new CliError(`unknown command "${command}". Run "keyward --help".`)
  }
}

async function runScan(keyward: Keyward, paths: string[], flags: Flags, io: Io): Promise<number> {
  const started = Date.now()
  let lastReport = 0
  const { findings, filesScanned, skipped } = scanPaths(keyward, paths.length > 0 ? paths : ['.'], io.cwd, (p) => {
    if (io.stderrIsTTY && Date.now() - lastReport > 250 && p.filesTotal > 500) {
      lastReport = Date.now()
      io.err(`\rscanning ${p.filesScanned}/${p.filesTotal} files…`)
    }
  })
  if (io.stderrIsTTY && lastReport > 0) io.err('\r\x1b[K')
  const revoked: string[] = []
  if (flags.revoke) {
    for (const finding of findings) {
      const info = await keyward.identify(finding.key)
      if (info && info.status !== 'revoked') {
        await keyward.revoke(info.id)
        revoked.push(info.id)
      }
    }
  }
  if (flags.json === true)
    io.out(`${JSON.stringify({ findings: findings.map(({ key: _key, ...rest }) => rest), filesScanned, skipped, revoked })}\n`)
  else {
    for (const f of findings) io.out(`${f.file}:${f.line}:${f.column}: ${f.redacted}\n`)
    io.err(
      `${findings.length === 0 ? 'No keys found' : `Found ${findings.length} key${findings.length === 1 ? '' : 's'}`} in ${filesScanned} files (${skipped} skipped) in ${Date.now() - started} ms.${flags.revoke ? ` Revoked ${revoked.length}.` : findings.length > 0 ? ' Revoke them with --revoke, then remove them from the files and their history.' : ''}\n`,
    )
  }
  return findings.length > 0 ? EXIT.failed : EXIT.ok
}

/** A store for offline commands: any use is a bug. */
const offlineStore: KeyStore = {
  insert: () => Promise.reject(new Error('offline')),
  findById: () => Promise.reject(new Error('offline')),
  update: () => Promise.reject(new Error('offline')),
  delete: () => Promise.reject(new Error('offline')),
  list: () => Promise.reject(new Error('offline')),
  touch: () => Promise.reject(new Error('offline')),
}
