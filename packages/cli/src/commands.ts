import type { Keyward, KeyFormat } from '@keyward/core'
import type { Flags } from './args.js'
import { runAudit } from './audit-command.js'
import type { PepperCheck } from './deployment.js'
import { parseDuration, parseWhen, relative } from './durations.js'
import { CliError, EXIT } from './errors.js'
import type { Io } from './io.js'
import { keyId } from './key-id.js'
import { keyTable, printKey } from './key-output.js'
import { limitFields } from './limit-flags.js'
import { runMigrationStatus } from './migration-command.js'

/** What a command that needs the store works with. */
export interface CommandContext {
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

/** A command that needs the store: resolves to the exit code. */
type Command = (context: CommandContext) => Promise<number>

/** The id argument of a command. A whole key (or any other non-id) is refused without echoing it. */
function requireId({ positionals, format }: CommandContext, command: string): string {
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

/** Prints a key (`--json`: as JSON, else its fields, `note` on stderr first). */
function show(context: CommandContext, info: Parameters<typeof printKey>[0], note?: string): number {
  printKey(info, context.flags.json === true, context.io, note)
  return EXIT.ok
}

/** `disable`, `enable`, `revoke`: one change of state, then the key. */
const stateChange =
  (change: 'disable' | 'enable' | 'revoke', note: string): Command =>
  async (context) =>
    show(context, await context.keyward[change](requireId(context, change), context.mutation), note)

const create: Command = async ({ keyward, positionals, flags, io, showOnce, pepper, mutation }) => {
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
  if (flags.json === true) showOnce(`${JSON.stringify({ key, info })}\n`)
  else {
    io.err(`Created "${info.name}" (${info.id}). This is the only time the key is shown; store it like a password:\n`)
    showOnce(`${key}\n`)
  }
  return EXIT.ok
}

const list: Command = async ({ keyward, flags, io }) => {
  const page = await keyward.list({
    ...(flags.owner !== undefined && { ownerId: flags.owner }),
    includeRevoked: flags.all === true,
    ...(parseLimit(flags.limit) !== undefined && { limit: parseLimit(flags.limit)! }),
    ...(flags.cursor !== undefined && { cursor: flags.cursor }),
  })
  if (flags.json === true) io.out(`${JSON.stringify(page)}\n`)
  else {
    io.out(`${keyTable(page.items)}\n`)
    if (page.nextCursor) io.err(`more: keyward list --cursor ${page.nextCursor}\n`)
  }
  return EXIT.ok
}

const get: Command = async (context) => {
  const id = requireId(context, 'get')
  const info = await context.keyward.get(id)
  if (!info) throw new CliError(`no API key with id "${id}"`, EXIT.notFound)
  return show(context, info)
}

const update: Command = async (context) => {
  const { flags } = context
  const id = requireId(context, 'update')
  const expires = flags.expires === undefined ? undefined : flags.expires === 'never' ? null : parseWhen(flags.expires, '--expires')
  const changes = {
    ...(flags.name !== undefined && { name: flags.name }),
    ...(flags.scope !== undefined && { scopes: flags.scope }),
    ...(expires !== undefined && { expiresAt: expires }),
    ...(flags.metadata !== undefined && { metadata: parseMetadata(flags.metadata)! }),
    ...limitFields(flags),
  }
  return show(context, await context.keyward.update(id, changes, context.mutation), `Updated ${id}.`)
}

const remove: Command = async (context) => {
  const id = requireId(context, 'delete')
  await context.keyward.delete(id, context.mutation)
  if (context.flags.json === true) context.io.out(`${JSON.stringify({ deleted: id })}\n`)
  else context.io.err(`Deleted ${id}.\n`)
  return EXIT.ok
}

const rotate: Command = async (context) => {
  const { keyward, flags, io, showOnce, pepper, mutation } = context
  const id = requireId(context, 'rotate')
  const gracePeriodMs = flags.grace === undefined ? 0 : parseDuration(flags.grace, '--grace')
  const note = await pepper.beforeMint()
  const { key, info, previous } = await keyward.rotate(id, { gracePeriodMs }, mutation)
  if (note) io.err(note)
  if (flags.json === true) showOnce(`${JSON.stringify({ key, info, previous })}\n`)
  else {
    io.err(
      `Rotated ${id} → ${info.id}. The old key stops working ${previous.expiresAt ? relative(previous.expiresAt) : 'now'}.\nThe new key, shown only once:\n`,
    )
    showOnce(`${key}\n`)
  }
  return EXIT.ok
}

const verify: Command = async ({ keyward, positionals, flags, io, pepper, storeFailure }) => {
  const given = positionals[1]
  const key = given === undefined || given === '-' ? (await io.readStdin()).trim() : given
  const result = await keyward.verify(key, flags.scope ? { scopes: flags.scope } : undefined)
  if (flags.json === true) io.out(`${JSON.stringify(result)}\n`)
  else if (result.ok) io.out(`valid: "${result.key.name}" (${result.key.id}, ${result.key.redacted})\n`)
  else io.out(`refused: ${result.code} — ${result.message}\n`)
  const hint = !result.ok && result.code === 'invalid' ? await pepper.refusalHint() : undefined
  if (hint) io.err(`keyward: ${hint}\n`)
  if (!result.ok && result.code === 'store_unavailable') {
    // The result speaks to an API client; the person at the terminal also gets the reason.
    const failure = storeFailure()
    if (failure) io.err(`keyward: ${failure}\n`)
    return EXIT.storeUnavailable
  }
  return result.ok ? EXIT.ok : EXIT.failed
}

/** The commands that need the store, by name. */
const COMMANDS = new Map<string, Command>([
  ['create', create],
  ['list', list],
  ['get', get],
  ['update', update],
  ['disable', stateChange('disable', 'Disabled.')],
  ['enable', stateChange('enable', 'Enabled.')],
  ['revoke', stateChange('revoke', 'Revoked. This cannot be undone.')],
  ['delete', remove],
  ['rotate', rotate],
  ['audit', async ({ keyward, format, positionals, flags, io }) => runAudit(keyward, format, positionals, flags, io)],
  ['migration', async ({ keyward, positionals, flags, io }) => runMigrationStatus(keyward, positionals, flags.json === true, io)],
  ['verify', verify],
])

/** Runs a command that needs the store; resolves to the exit code. */
export function runCommand(command: string, context: CommandContext): Promise<number> {
  const run = COMMANDS.get(command)
  if (!run) throw new CliError(`unknown command "${command}". Run "keyward --help".`)
  return run(context)
}
