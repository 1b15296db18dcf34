import type { Keyward } from '@keyward/core'
import { CliError, EXIT } from './errors.js'
import type { Io } from './io.js'

/** `keyward migration status`: how many imported keys were upgraded, are still legacy, unused since import. */
export async function runMigrationStatus(keyward: Keyward, positionals: string[], json: boolean, io: Io): Promise<number> {
  if (positionals[1] !== 'status' || positionals.length > 2) throw new CliError('usage: keyward migration status [--json]')
  const status = await keyward.migrationStatus()
  if (json) io.out(`${JSON.stringify(status)}\n`)
  else
    io.out(
      [
        `imported             ${status.imported}`,
        `upgraded             ${status.upgraded}`,
        `still legacy         ${status.legacy}`,
        `unused since import  ${status.unusedSinceImport}`,
        '',
      ].join('\n'),
    )
  return EXIT.ok
}
