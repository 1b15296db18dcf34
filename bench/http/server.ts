/**
 * One bench server in its own process: `server.ts <framework> <variant>`. Mints the key the client
 * will send (every variant accepts that same string), reports port and key over IPC, and on request
 * its CPU time (process.cpuUsage) and how many requests reached the handler.
 */
import { buildApp, type Framework, type Variant } from '../lib/apps.js'
import { benchKeyward } from '../lib/bench-keyward.js'
import { answerRequests } from '../lib/children.js'

const [framework, variant] = process.argv.slice(2) as [Framework, Variant]
// Bun's server is its own script, under the Bun binary.
if ((framework as string) === 'bun') throw new Error('server.ts serves the Node frameworks; Bun runs bun-server.ts')
// Usage counting is on by default (`--usage off`); `--rules on` gives the key every access rule.
const { keyward, key } = await benchKeyward()
const app = await buildApp(framework, variant, keyward, [key])
const port = await app.listen()
answerRequests((message) => {
  // A voluntary exit, so that `--cpu-prof` (bench/http/profile.ts) writes its profile.
  if (message.type === 'exit') setImmediate(() => process.exit(0))
  if (message.type !== 'stats') return undefined
  const cpu = process.cpuUsage()
  return { type: 'stats', cpuMicros: cpu.user + cpu.system, handled: app.handled() }
})
process.send!({ type: 'ready', port, key })
