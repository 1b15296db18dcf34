import { argon2idAsync } from '@noble/hashes/argon2.js'
import { pbkdf2Async } from '@noble/hashes/pbkdf2.js'
import { scryptAsync } from '@noble/hashes/scrypt.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import type { PhcScheme, SlowHashCheck } from './slow-hashes.js'

/** The largest costs accepted, so no stored string can make one verification take minutes. */
const MAX = { argon2MemoryKiB: 262_144, argon2Passes: 10, scryptLogN: 20, pbkdf2Iterations: 10_000_000, parallelism: 16 }

/**
 * Parse a PHC string into a check, or say why it is refused: argon2id
 * (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), scrypt (`$scrypt$ln=…,r=…,p=…$salt$hash`) and PBKDF2
 * (`$pbkdf2-sha256$i=…$salt$hash`, also `-sha512`, passlib's `.` base64 accepted).
 */
export function parsePhcHash(scheme: PhcScheme, text: string): SlowHashCheck | string {
  const parts = text.split('$')
  if (parts.length !== (scheme === 'legacy-argon2id' ? 6 : 5) || parts[0] !== '') return 'is not a PHC string ($id$params$salt$hash)'
  const [id, ...rest] = parts.slice(1)
  const [hashText, saltText, paramText, versionText] = rest.reverse()
  const params = new Map(paramText!.split(',').map((pair) => pair.split('=') as [string, string]))
  const salt = b64(saltText!)
  const expected = b64(hashText!)
  if (salt === null || expected === null || expected.length < 16 || expected.length > 128) return 'has a salt or hash that is not base64'
  const num = (name: string, max: number) => {
    const value = Number(params.get(name))
    return Number.isSafeInteger(value) && value >= 1 && value <= max ? value : null
  }
  let derive: (key: Uint8Array) => Promise<Uint8Array>
  if (scheme === 'legacy-argon2id') {
    if (id !== 'argon2id' || versionText !== 'v=19') return 'is not an argon2id v=19 PHC string'
    const [m, t, p] = [num('m', MAX.argon2MemoryKiB), num('t', MAX.argon2Passes), num('p', MAX.parallelism)]
    if (m === null || t === null || p === null)
      return `has argon2id costs out of range (m ≤ ${MAX.argon2MemoryKiB}, t ≤ ${MAX.argon2Passes})`
    derive = (key) => argon2idAsync(key, salt, { m, t, p, dkLen: expected.length })
  } else if (scheme === 'legacy-scrypt') {
    const [ln, r, p] = [num('ln', MAX.scryptLogN), num('r', 32), num('p', MAX.parallelism)]
    if (id !== 'scrypt' || ln === null || r === null || p === null) return `is not a scrypt PHC string with ln ≤ ${MAX.scryptLogN}`
    derive = (key) => scryptAsync(key, salt, { N: 2 ** ln, r, p, dkLen: expected.length, maxmem: 2 ** 31 })
  } else {
    const hash = id === 'pbkdf2-sha256' ? sha256 : id === 'pbkdf2-sha512' ? sha512 : null
    const c = num('i', MAX.pbkdf2Iterations)
    if (hash === null || c === null) return 'is not a pbkdf2-sha256 or pbkdf2-sha512 PHC string'
    derive = (key) => pbkdf2Async(hash, key, salt, { c, dkLen: expected.length })
  }
  return {
    async check(key) {
      const actual = await derive(utf8ToBytes(key))
      let diff = actual.length ^ expected.length
      for (let i = 0; i < expected.length; i++) diff |= actual[i]! ^ expected[i]!
      return diff === 0
    },
  }
}

/** Standard base64 without padding, or passlib's variant with `.` for `+`. Null when it is neither. */
function b64(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/.]+$/.test(text)) return null
  try {
    const plain = text.replace(/\./g, '+')
    return Uint8Array.from(atob(plain + '='.repeat((4 - (plain.length % 4)) % 4)), (c) => c.charCodeAt(0))
  } catch {
    return null
  }
}
