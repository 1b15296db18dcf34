/**
 * The demo's roles (`createKeyward({ roles })`): a key holding one may do what the role allows as
 * well as its own scopes. The page lets a user grant them (the router's `allowedRoles`).
 */
export const ROLES = {
  sender: ['messages:send'],
  syncer: ['contacts:sync'],
} as const satisfies Record<string, readonly string[]>

export type DemoRole = keyof typeof ROLES

export const ROLE_LABELS: Record<DemoRole, string> = {
  sender: 'Sends messages',
  syncer: 'Syncs contacts',
}

export const ROLE_NAMES = Object.keys(ROLES) as DemoRole[]
