/** The costs `pnpm bench:scaling` measured, as `pnpm scaling:model` reads them. */
import { join } from 'node:path'

/** What `pnpm bench:scaling` measured: per operation the server µs of one unit on Redis, and bytes per key. */
export interface ScalingInputs {
  date: string
  redis: { serverMicros: Record<string, number>; bytesPerKey: number; workingBytesPerKey: number }
  postgres: { perSec: Record<string, number>; bytesPerKey: number; workingBytesPerKey: number }
}

export const INPUTS_FILE = join(import.meta.dirname, 'inputs.json')
