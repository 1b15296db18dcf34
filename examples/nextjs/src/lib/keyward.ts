/**
 * One Keyward instance for the app's route handlers (Next.js keeps a module per server process).
 * Keys live in memory here; a real app passes a shared store (`@keyward/postgres`, `@keyward/redis`).
 */
import { createKeyward, MemoryKeyStore } from '@keyward/core'

export type Scope = 'messages:send' | 'contacts:sync'

const pepper = process.env.KEYWARD_PEPPER
if (!pepper) throw new Error('KEYWARD_PEPPER is not set: make one with  openssl rand -base64 32  and keep it secret')

export const keyward = createKeyward<Scope>({ prefix: 'acme_live', store: new MemoryKeyStore(), pepper })
