/** The scopes of the demo's API, and what each one allows. */
export const SCOPES = [
  { name: 'messages:send', label: 'Send messages' },
  { name: 'contacts:sync', label: 'Sync contacts' },
  { name: 'workflows:trigger', label: 'Trigger workflows' },
] as const

export type DemoScope = (typeof SCOPES)[number]['name']
