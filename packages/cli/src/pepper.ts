import { randomBytes } from 'node:crypto'
import type { KeyStore } from '@keyward/core/store'
import { CliError } from './errors.js'

/** Random bytes in a pepper `keyward pepper generate` makes (core asks for at least 32). */
const PEPPER_BYTES = 32

/** How many of the newest records of the prefix are looked at to tell whether a store is peppered. */
const SAMPLE = 100

/** A fresh pepper: {@link PEPPER_BYTES} bytes from the operating system's CSPRNG, base64url (43 characters). */
export function generatePepper(): string {
  return randomBytes(PEPPER_BYTES).toString('base64url')
}

/** What `keyward pepper generate` says on stderr, next to the pepper alone on stdout. */
export const PEPPER_GUIDANCE = `keyward: a new pepper (${PEPPER_BYTES} random bytes, base64url) is on stdout, and kept nowhere else. Keep it as a secret:
  - in your secret manager (AWS Secrets Manager, Google Secret Manager, Vault, Doppler, …), handed to every
    server and to this CLI as KEYWARD_PEPPER (createKeyward({ pepper: process.env.KEYWARD_PEPPER }));
  - or in a file only the app's user can read (chmod 600), for keyward --pepper-file.
Never commit or log it: with it, anyone able to write one row of the key store can mint a working key. Back it
up: without it no key verifies. To replace a pepper already in use, keep the old one beside it (a single
pepper has id "default"): peppers: { current: 'p2', secrets: { default: OLD, p2: NEW } }.
`

/**
 * Whether `prefix`'s keys in `store` are digested under a pepper: any of its newest records (revoked
 * ones included) made with HMAC. A store of unpeppered keys migrating to a pepper has peppered keys
 * among its newest, so the answer turns as soon as the first peppered key is made.
 */
export async function storeIsPeppered(store: KeyStore, prefix: string): Promise<boolean> {
  const page = await store.list({ prefix, includeRevoked: true, limit: SAMPLE })
  return page.items.some((record) => record.algorithm !== 'sha256')
}

/** The line shown when the CLI has no pepper and the store's keys have one. */
export const PEPPERED_STORE = "this store's keys are peppered; pass --pepper-file or KEYWARD_PEPPER"

/** The note printed after a key was minted without a pepper. */
export const UNPEPPERED_NOTE =
  'keyward: warning: no pepper, so this key is stored as plain SHA-256 (anyone able to write a row of the store can mint a key). Make one with keyward pepper generate.\n'

/**
 * Before a key is minted without a pepper: refuse (exit 2, nothing written) when the store's keys are
 * peppered, since the servers would refuse the new key (or, allowing unpeppered keys for a while,
 * accept a key anyone able to write a row could have made).
 */
export async function refuseUnpepperedMint(store: KeyStore, prefix: string): Promise<void> {
  if (await storeIsPeppered(store, prefix)) throw new CliError(`${PEPPERED_STORE} (the pepper your servers use). Nothing was changed.`)
}
