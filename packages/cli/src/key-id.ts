import type { KeyFormat } from '@keyward/core'
import { CliError } from './errors.js'
import { keyShape } from './redact.js'

/**
 * `text` when it is a key id of this deployment. A whole key (or anything else) is refused with
 * `usage` and without echoing it: a key pasted on a command line is leaked.
 */
export function keyId(text: string, usage: string, format: KeyFormat): string {
  if (text.length === format.idLength && /^[0-9A-Za-z]+$/.test(text)) return text
  const shape = keyShape(text)
  if (shape)
    throw new CliError(
      `that looks like a whole key (${shape.redacted}); pass its id: ${usage.replace(/<id>/, shape.id)}. Treat a key pasted on a command line as leaked.`,
    )
  throw new CliError(`usage: ${usage}: an id is ${format.idLength} letters and digits (got ${text.length} characters, not shown)`)
}
