#!/usr/bin/env node
/**
 * PostgreSQL and Redis for tests and benchmarks, on loopback, with throwaway data directories.
 *
 *   node scripts/services.mjs start   # start both (does nothing for one already up), wait until ready
 *   node scripts/services.mjs stop    # stop both
 *   node scripts/services.mjs env     # print the connection URLs as shell exports
 *
 * Ports: KEYWARD_PG_PORT (54329) and KEYWARD_REDIS_PORT (63799). Data: KEYWARD_SERVICES_DIR
 * (os.tmpdir()/keyward-services). PostgreSQL binaries: KEYWARD_PG_BIN, else the newest
 * /usr/lib/postgresql/<n>/bin. As root, PostgreSQL runs as the `postgres` user.
 *
 * Also a module: `startPostgres`, `stopPostgres`, `startRedis`, `stopRedis` take `{ port, dir }`
 * so a test can run a private server it may stop.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const PG_PORT = Number(process.env.KEYWARD_PG_PORT ?? 54329)
export const REDIS_PORT = Number(process.env.KEYWARD_REDIS_PORT ?? 63799)
export const SERVICES_DIR = process.env.KEYWARD_SERVICES_DIR ?? join(tmpdir(), 'keyward-services')

export const pgUrl = (port = PG_PORT) => `postgres://postgres@127.0.0.1:${port}/postgres`
export const redisUrl = (port = REDIS_PORT) => `redis://127.0.0.1:${port}`

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function pgBin(name) {
  if (process.env.KEYWARD_PG_BIN) return join(process.env.KEYWARD_PG_BIN, name)
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : []
  for (const v of versions) if (existsSync(join(root, v, 'bin', name))) return join(root, v, 'bin', name)
  return name // on PATH
}

/** Run a PostgreSQL binary, as the `postgres` user when we are root (PostgreSQL refuses root). */
function runPg(name, args, options = {}) {
  const bin = pgBin(name)
  const [cmd, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args]
  return spawnSync(cmd, argv, { encoding: 'utf8', ...options })
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function portOpen(port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    const done = (open) => {
      socket.destroy()
      resolve(open)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/** A directory lock (mkdir is atomic), so parallel test projects do not start a server twice. */
async function withLock(name, fn) {
  mkdirSync(SERVICES_DIR, { recursive: true })
  const lock = join(SERVICES_DIR, `${name}.lock`)
  const deadline = Date.now() + 60_000
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > 60_000) rmSync(lock, { recursive: true, force: true })
      } catch {}
      if (Date.now() > deadline) throw new Error(`services: timed out waiting for ${lock}`)
      await sleep(100)
    }
  }
  try {
    return await fn()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

function pgReady(port) {
  const r = runPg('pg_isready', ['-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres'])
  return r.status === 0
}

async function waitFor(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`services: ${what} did not become ready within ${timeoutMs} ms`)
    await sleep(100)
  }
}

/**
 * Start PostgreSQL on 127.0.0.1:`port` with its cluster in `dir` (created by initdb when missing).
 * Returns whether it was started (false: it was already up).
 */
export async function startPostgres({ port = PG_PORT, dir = join(SERVICES_DIR, `pg-${port}`) } = {}) {
  return withLock(`pg-${port}`, async () => {
    if (pgReady(port)) return false
    if (await portOpen(port)) {
      await waitFor(`PostgreSQL on port ${port}`, () => pgReady(port), 30_000)
      return false
    }
    if (!existsSync(join(dir, 'PG_VERSION'))) {
      rmSync(dir, { recursive: true, force: true })
      mkdirSync(dir, { recursive: true })
      if (isRoot) {
        const { uid, gid } = userIds('postgres')
        chownSync(dir, uid, gid)
        chmodSync(SERVICES_DIR, 0o755)
      }
      chmodSync(dir, 0o700)
      const init = runPg('initdb', ['-D', dir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'])
      if (init.status !== 0) throw new Error(`services: initdb failed: ${init.stderr || init.stdout}`)
    }
    const options = [
      `-p ${port}`,
      `-k ${dir}`,
      "-c listen_addresses=127.0.0.1",
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=300',
      '-c shared_buffers=64MB',
    ].join(' ')
    const start = runPg('pg_ctl', ['-D', dir, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    if (start.status !== 0) throw new Error(`services: pg_ctl start failed: ${start.stderr || start.stdout}`)
    await waitFor(`PostgreSQL on port ${port}`, () => pgReady(port), 30_000)
    return true
  })
}

/** Stop the PostgreSQL whose cluster is in `dir`. `mode`: fast (default) or immediate. */
export async function stopPostgres({ port = PG_PORT, dir = join(SERVICES_DIR, `pg-${port}`), mode = 'fast' } = {}) {
  if (!existsSync(join(dir, 'postmaster.pid'))) return false
  const stop = runPg('pg_ctl', ['-D', dir, '-m', mode, '-w', '-t', '60', 'stop'])
  return stop.status === 0
}

function userIds(name) {
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim())
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim())
  return { uid, gid }
}

function redisPing(port) {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], { encoding: 'utf8' })
  return r.status === 0 && r.stdout.trim() === 'PONG'
}

/**
 * Start redis-server on 127.0.0.1:`port`, its files in `dir`. `persist: true` keeps data across a
 * `stopRedis` (for restart tests); otherwise nothing is saved. Returns whether it was started.
 */
export async function startRedis({ port = REDIS_PORT, dir = join(SERVICES_DIR, `redis-${port}`), persist = false } = {}) {
  return withLock(`redis-${port}`, async () => {
    if (redisPing(port)) return false
    mkdirSync(dir, { recursive: true })
    const args = [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', dir,
      '--daemonize', 'yes',
      '--pidfile', join(dir, 'redis.pid'),
      '--logfile', join(dir, 'redis.log'),
      '--appendonly', 'no',
      '--save', '',
      '--maxclients', '2000',
    ]
    if (!persist) rmSync(join(dir, 'dump.rdb'), { force: true })
    const r = spawnSync('redis-server', args, { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`services: redis-server failed: ${r.stderr || r.stdout}`)
    await waitFor(`Redis on port ${port}`, () => redisPing(port), 30_000)
    return true
  })
}

/** Stop the redis-server on `port`; with `save`, write its data first so a restart keeps it. */
export async function stopRedis({ port = REDIS_PORT, save = false } = {}) {
  if (!redisPing(port)) return false
  spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'shutdown', save ? 'save' : 'nosave'], { encoding: 'utf8' })
  await waitFor(`Redis on port ${port} to stop`, async () => !(await portOpen(port)), 30_000)
  return true
}

/** Start both shared servers; returns which were started by this call. */
export async function startServices() {
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()])
  return { postgres, redis }
}

export function envLines() {
  return [`export KEYWARD_TEST_PG_URL=${pgUrl()}`, `export KEYWARD_TEST_REDIS_URL=${redisUrl()}`]
}

async function main(command) {
  switch (command) {
    case 'start': {
      const started = await startServices()
      process.stdout.write(
        `PostgreSQL ${started.postgres ? 'started' : 'already running'} at ${pgUrl()}\n` +
          `Redis ${started.redis ? 'started' : 'already running'} at ${redisUrl()}\n`,
      )
      break
    }
    case 'stop': {
      const pg = await stopPostgres()
      const redis = await stopRedis()
      process.stdout.write(`PostgreSQL ${pg ? 'stopped' : 'was not running'}\nRedis ${redis ? 'stopped' : 'was not running'}\n`)
      break
    }
    case 'env':
      process.stdout.write(envLines().join('\n') + '\n')
      break
    default:
      process.stderr.write('usage: node scripts/services.mjs start|stop|env\n')
      process.exitCode = 2
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv[2]).catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  })
}
