import { parseArgs, type ParseArgsConfig } from 'node:util'
import { CliError } from './errors.js'

/** Every option of every command (`parseArgs` refuses any other). */
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

/** The options given, by name. */
export type Flags = ReturnType<typeof parseCommandLine>['flags']

/** The options and positional arguments of `argv`; an unknown or malformed option is a usage error (exit 2). */
export function parseCommandLine(argv: string[]) {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
    return { flags: values, positionals }
  } catch (error) {
    throw new CliError(`${(error as Error).message}\nRun "keyward --help" for usage.`)
  }
}
