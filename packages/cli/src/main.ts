import { cliActor } from './actor.js'
import { parseCommandLine } from './args.js'
import { runCommand } from './commands.js'
import { resolveConfig, type GlobalFlags } from './config.js'
import { configSecrets, Deployment, formatFor } from './deployment.js'
import { CliError, describeError, EXIT } from './errors.js'
import { HELP } from './help.js'
import { runImport } from './import-command.js'
import type { Io } from './io.js'
import { generatePepper, PEPPER_GUIDANCE, refuseUnpepperedMint } from './pepper.js'
import { sanitizer } from './redact.js'
import { runScan } from './scan-command.js'

export type { Io } from './io.js'

/** Run one command; resolves to the process exit code. Never throws. */
export async function main(argv: string[], io: Io): Promise<number> {
  let deployment: Deployment | undefined
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
    const prefix = config.prefix
    deployment = new Deployment({ ...config, prefix }, io.cwd)
    const mutation = { actor: cliActor(io.env) }
    // Offline unless revoking: the prefix, length and checksum are all a scan needs.
    if (command === 'scan') return await runScan(prefix, positionals.slice(1), flags, safeIo, deployment.open, mutation)
    if (command === 'import') {
      const keyward = await deployment.open()
      const context = {
        keyward,
        store: deployment.store!,
        sandbox: deployment.instance,
        legacyPrefixes: config.legacyPrefixes,
        io: safeIo,
        mutation,
      }
      // Digests made without the pepper the store's keys have would never verify on the servers.
      if (!deployment.hasPepper) await refuseUnpepperedMint(deployment.store!, prefix)
      return await runImport(positionals, flags, context)
    }
    return await runCommand(command, {
      keyward: await deployment.open(),
      format: format!,
      positionals,
      flags,
      io: safeIo,
      showOnce: io.out,
      pepper: deployment.pepper,
      mutation,
      storeFailure: deployment.storeFailure,
    })
  } catch (error) {
    const { exitCode, message } = describeError(error)
    safeIo.err(`keyward: ${message}\n`)
    return exitCode
  } finally {
    await deployment?.close()
  }
}

/** `keyward pepper generate`: a fresh pepper alone on stdout, how to keep it on stderr. */
function pepperCommand(positionals: string[], io: Io): number {
  if (positionals[1] !== 'generate' || positionals.length > 2) throw new CliError('usage: keyward pepper generate')
  io.err(PEPPER_GUIDANCE)
  io.out(`${generatePepper()}\n`)
  return EXIT.ok
}
