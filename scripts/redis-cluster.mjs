/**
 * A Redis Cluster of a test's own, on loopback: `masters` redis-server processes with
 * `--cluster-enabled yes` on free ports (each with a free cluster-bus port), in a fresh temporary
 * directory, joined by `redis-cli --cluster create` (no replicas) and ready once every node reports
 * `cluster_state:ok`. `remove()` stops them and deletes the directory.
 *
 *   import { startRedisCluster, commandStats } from '../scripts/redis-cluster.mjs'
 *   const cluster = await startRedisCluster()         // { nodes: [{ host, port }], … }
 *   new Cluster(cluster.nodes)                         // ioredis
 *   await cluster.remove()
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, portOpen } from './services.mjs'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function cli(port, ...args) {
  return spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8' })
}

async function waitFor(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`redis-cluster: ${what} within ${timeoutMs} ms`)
    await sleep(100)
  }
}

/** Start one cluster node on a free port (and bus port); retried when a port is taken meanwhile. */
async function startNode(root) {
  for (let attempt = 1; ; attempt++) {
    const [port, bus] = [await freePort(), await freePort()]
    const dir = join(root, String(port))
    mkdirSync(dir, { recursive: true })
    const args = [
      ['--port', port],
      ['--cluster-port', bus],
      ['--bind', '127.0.0.1'],
      ['--cluster-enabled', 'yes'],
      ['--cluster-config-file', join(dir, 'nodes.conf')],
      ['--cluster-node-timeout', '2000'],
      ['--dir', dir],
      ['--daemonize', 'yes'],
      ['--pidfile', join(dir, 'redis.pid')],
      ['--logfile', join(dir, 'redis.log')],
      ['--appendonly', 'no'],
      ['--save', ''],
      ['--maxclients', '2000'],
    ].flat()
    if (port === bus || (await portOpen(port)) || (await portOpen(bus))) continue
    const r = spawnSync('redis-server', args.map(String), { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`redis-cluster: redis-server failed: ${r.stderr || r.stdout}`)
    try {
      await waitFor(`node on port ${port} did not answer`, () => cli(port, 'ping').stdout.trim() === 'PONG', 10_000)
      // --daemonize forks before binding: the answer must come from this node's directory.
      if (cli(port, 'CONFIG', 'GET', 'dir').stdout.trim().split('\n')[1] !== dir) throw new Error(`port ${port} taken`)
      return { host: '127.0.0.1', port }
    } catch (error) {
      if (attempt >= 5) throw error
    }
  }
}

/**
 * Start a cluster of `masters` nodes (default 3) with the slots spread evenly. Resolves to
 * `{ nodes: [{ host, port }], dir, stop, remove }`; `stop` shuts the nodes down, `remove` also
 * deletes their directory.
 */
export async function startRedisCluster({ masters = 3 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-redis-cluster-'))
  const nodes = []
  const stop = async () => {
    for (const { port } of nodes) cli(port, 'shutdown', 'nosave')
    await Promise.all(nodes.map(({ port }) => waitFor(`node ${port} did not stop`, async () => !(await portOpen(port)), 10_000)))
  }
  const remove = async () => {
    await stop().catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    for (let i = 0; i < masters; i++) nodes.push(await startNode(dir))
    const create = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map(({ host, port }) => `${host}:${port}`), '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8' },
    )
    if (create.status !== 0) throw new Error(`redis-cluster: cluster create failed: ${create.stderr || create.stdout}`)
    for (const { port } of nodes)
      await waitFor(
        `node ${port} did not reach cluster_state:ok`,
        () => /cluster_state:ok/.test(cli(port, 'CLUSTER', 'INFO').stdout),
        30_000,
      )
    // Every node must also know every other one (gossip), or a client may be sent to a node that does not.
    for (const { port } of nodes)
      await waitFor(
        `node ${port} did not learn every node`,
        () => cli(port, 'CLUSTER', 'NODES').stdout.trim().split('\n').length === masters,
        30_000,
      )
  } catch (error) {
    await remove()
    throw error
  }
  return { nodes, dir, stop, remove }
}

/** `INFO commandstats` of the node on `port`: calls per command (lower case) and their total. */
export function commandStats(port) {
  const r = cli(port, 'INFO', 'commandstats')
  if (r.status !== 0) throw new Error(`redis-cluster: INFO commandstats on ${port} failed: ${r.stderr}`)
  const byCommand = {}
  let total = 0
  for (const line of r.stdout.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim())
    if (!m) continue
    byCommand[m[1]] = Number(m[2])
    total += Number(m[2])
  }
  return { total, byCommand }
}

/** `CONFIG RESETSTAT` on every node: command statistics start from zero. */
export function resetStats(nodes) {
  for (const { port } of nodes) cli(port, 'CONFIG', 'RESETSTAT')
}
