import { createKeyward, KeyFormat, type Keyward, type KeywardEvent } from '@keyward/core'
import { slowHashes } from '@keyward/core/slow-hashes'
import type { KeyStore } from '@keyward/core/store'
import type { ResolvedConfig } from './config.js'
import { CliError } from './errors.js'
import { PEPPERED_STORE, refuseUnpepperedMint, storeIsPeppered, UNPEPPERED_NOTE } from './pepper.js'
import { urlSecrets } from './redact.js'
import { storeTarget } from './store-target.js'
import { openStore } from './stores.js'

/** What the CLI checks about the pepper when it has none. */
export interface PepperCheck {
  /** Before a key is minted (create, rotate): refuses when the store's keys are peppered, else a note to print after. */
  beforeMint(): Promise<string | undefined>
  /** After a key was refused as invalid: why, when it is the missing pepper. */
  refusalHint(): Promise<string | undefined>
}

/**
 * The deployment the configuration names: Keyward instances made as its servers make them (with no
 * cache, no last-use writes, no throttle and no log, for one command), and its store, opened on first use.
 */
export class Deployment {
  /** The store, once {@link open} opened it. */
  store: KeyStore | undefined
  #keyward: Keyward | undefined
  #storeError: KeywardEvent | undefined
  readonly hasPepper: boolean

  constructor(
    readonly config: ResolvedConfig & { prefix: string },
    readonly cwd: string,
  ) {
    this.hasPepper = config.peppers.pepper !== undefined || config.peppers.peppers !== undefined
  }

  /** An instance configured as the deployment's, over `store`. */
  instance = (store: KeyStore): Keyward => {
    const { config } = this
    // No pepper given is plain SHA-256 on purpose here (the mint check speaks for it), and store
    // failures are the one line the command prints, not a log entry besides.
    return createKeyward({
      prefix: config.prefix,
      store,
      ...(this.hasPepper ? config.peppers : { pepper: false as const }),
      // The slow hashes too (argon2id, scrypt, PBKDF2): an import checks such a digest with them.
      ...(config.legacyPrefixes.length > 0 && { legacy: { prefixes: config.legacyPrefixes, slowHashes } }),
      cache: false,
      lastUsed: false,
      throttle: false,
      logger: false,
      hooks: {
        onEvent: (event: KeywardEvent) => {
          if (event.type === 'store.error') this.#storeError = event
        },
      },
    })
  }

  /** Opens the store and the instance over it. */
  open = async (): Promise<Keyward> => {
    const { config } = this
    if (!config.store) throw new CliError('no store: pass --store sqlite:./keys.db (or postgres://…, redis://…), or set KEYWARD_STORE')
    const target = storeTarget(config.store, config.location)
    this.store = await openStore(target.url, this.cwd, target.location)
    this.#keyward = this.instance(this.store)
    return this.#keyward
  }

  /** The pepper checks, against the opened store. */
  readonly pepper: PepperCheck = {
    beforeMint: async () => {
      if (this.hasPepper) return undefined
      await refuseUnpepperedMint(this.store!, this.config.prefix)
      return UNPEPPERED_NOTE
    },
    refusalHint: async () => (!this.hasPepper && (await storeIsPeppered(this.store!, this.config.prefix)) ? PEPPERED_STORE : undefined),
  }

  /** The last store failure the instance reported, with its (redacted) cause. */
  storeFailure = (): string | undefined => {
    const error = this.#storeError
    // A store's own error reads "store_unavailable: The key store failed during findById: …", as `list` would say it.
    return error && (error.cause?.replace(/^store_unavailable: /, '') ?? `The key store failed during ${error.operation}.`)
  }

  /** Closes the instance and the store, if opened; never throws. */
  async close(): Promise<void> {
    await this.#keyward?.close().catch(() => undefined)
    await this.store?.close?.().catch(() => undefined)
  }
}

/** Every secret the configuration holds, to keep out of every message. */
export function configSecrets(config: ResolvedConfig): string[] {
  const { pepper, peppers } = config.peppers
  return [...(typeof pepper === 'string' ? [pepper] : []), ...Object.values(peppers?.secrets ?? {}), ...urlSecrets(config.store)].filter(
    (secret): secret is string => typeof secret === 'string',
  )
}

/** The key format of `prefix`, or null when the prefix is not a valid one. */
export function formatFor(prefix: string): KeyFormat | null {
  try {
    return new KeyFormat({ prefix })
  } catch {
    return null
  }
}
