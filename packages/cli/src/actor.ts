import { userInfo } from 'node:os'

/**
 * Who the audit log names for a change made with this command: `cli:<os user name>`, from the
 * account the process runs as (falling back to `USER`/`LOGNAME`, then `unknown`).
 */
export function cliActor(env: NodeJS.ProcessEnv): { id: string } {
  let name: string | undefined
  try {
    name = userInfo().username
  } catch {
    // No passwd entry for this uid (some containers).
  }
  name ||= env.USER || env.LOGNAME || 'unknown'
  return { id: `cli:${name}`.slice(0, 200) }
}
