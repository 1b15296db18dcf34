#!/usr/bin/env node
/**
 * PostgreSQL and Redis for tests and benchmarks, on loopback, with throwaway data directories.
 *
 *   node scripts/services.mjs start   # start both (does nothing for one already up), wait until ready
 *   node scripts/services.mjs stop    # stop both
 *   node scripts/services.mjs env     # print the connection URLs as shell exports
 *
 * Each checkout has its own servers, so two checkouts on one machine (or their test runs at the same
 * time) never share, stop or overwrite each other's: data in os.tmpdir()/keyward-services-<hash of
 * the checkout's path> (KEYWARD_SERVICES_DIR), ports chosen free on first use and kept in
 * `ports.json` there (KEYWARD_PG_PORT and KEYWARD_REDIS_PORT override them). A port found taken by
 * a server that is not this checkout's gets a new free port. PostgreSQL binaries: KEYWARD_PG_BIN,
 * else the newest /usr/lib/postgresql/<n>/bin. As root, PostgreSQL runs as the `postgres` user.
 *
 * Also a module: `startPostgres`, `stopPostgres`, `startRedis`, `stopRedis` take `{ port, dir }`;
 * `startPrivatePostgres` and `startPrivateRedis` give a test a server of its own (free port, fresh
 * directory) that it may stop and restart; `useSharedServices` is the test setup's entry; `runPg` runs
 * a PostgreSQL binary (as `postgres` when root), for scripts/pg-replica.mjs.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const CHECKOUT = createHash('sha256')
  .update(realpathSync(fileURLToPath(new URL('..', import.meta.url))))
  .digest('hex')
  .slice(0, 10)
export const SERVICES_DIR = process.env.KEYWARD_SERVICES_DIR ?? join(tmpdir(), `keyward-services-${CHECKOUT}`)
const PORTS_FILE = join(SERVICES_DIR, 'ports.json')

/** A port nobody listens on now (the kernel's pick), found synchronously so the exports below are plain values. */
function freePortSync() {
  const script =
    "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})"
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' })
  const port = Number(r.stdout)
  if (!(port > 0)) throw new Error(`services: could not find a free port: ${r.stderr}`)
  return port
}

/** A port nobody listens on now. Another process may take it before it is used: callers retry. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

function readPorts() {
  try {
    const ports = JSON.parse(readFileSync(PORTS_FILE, 'utf8'))
    return ports.pg > 0 && ports.redis > 0 ? ports : undefined
  } catch {
    return undefined
  }
}

function writePorts(ports) {
  mkdirSync(SERVICES_DIR, { recursive: true })
  const temp = `${PORTS_FILE}.${process.pid}.${randomBytes(4).toString('hex')}`
  writeFileSync(temp, JSON.stringify(ports))
  renameSync(temp, PORTS_FILE)
}

/** This checkout's ports: those recorded, else new free ones (the first process to record them wins). */
function checkoutPorts() {
  const known = readPorts()
  if (known) return known
  mkdirSync(SERVICES_DIR, { recursive: true })
  try {
    writeFileSync(PORTS_FILE, JSON.stringify({ pg: freePortSync(), redis: freePortSync() }), { flag: 'wx' })
  } catch (error) {
    if (error.code !== 'EEXIST') throw error
  }
  return readPorts() ?? checkoutPorts()
}

const ports = process.env.KEYWARD_PG_PORT && process.env.KEYWARD_REDIS_PORT ? undefined : checkoutPorts()
/** This checkout's shared PostgreSQL port (a live binding: it changes if the port was found taken). */
export let PG_PORT = Number(process.env.KEYWARD_PG_PORT ?? ports.pg)
/** This checkout's shared Redis port (a live binding, like PG_PORT). */
export let REDIS_PORT = Number(process.env.KEYWARD_REDIS_PORT ?? ports.redis)

/** Thrown when the port of a server to start is held by something that is not that server. */
export class PortTakenError extends Error {
  constructor(port, what) {
    super(`services: port ${port} is taken by ${what}`)
    this.port = port
  }
}

export const pgUrl = (port = PG_PORT) => `postgres://postgres@127.0.0.1:${port}/postgres`
export const redisUrl = (port = REDIS_PORT) => `redis://127.0.0.1:${port}`

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function pgBin(name) {
  if (process.env.KEYWARD_PG_BIN) return join(process.env.KEYWARD_PG_BIN, name)
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : []
  for (const v of versions) if (existsSync(join(root, v, 'bin', name))) return join(root, v, 'bin', name)
  return name // on PATH
}

/** Run a PostgreSQL binary, as the `postgres` user when we are root (PostgreSQL refuses root). */
export function runPg(name, args, options = {}) {
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
    if (await portOpen(port)) {
      // Up already: fine if it is this directory's server (perhaps still starting), else not ours.
      if (!existsSync(join(dir, 'postmaster.pid'))) throw new PortTakenError(port, 'another server')
      await waitFor(`PostgreSQL on port ${port}`, () => pgReady(port), 30_000)
      if (!samePath(pgDataDirectory(port), dir)) throw new PortTakenError(port, 'another PostgreSQL')
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
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=300',
      '-c shared_buffers=64MB',
    ].join(' ')
    const start = runPg('pg_ctl', ['-D', dir, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    if (start.status !== 0) {
      // Someone took the port between the check and the start.
      if (await portOpen(port)) throw new PortTakenError(port, 'another server')
      throw new Error(`services: pg_ctl start failed: ${start.stderr || start.stdout}`)
    }
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

/** The data directory of the PostgreSQL on `port`, or undefined when it does not answer as ours would. */
function pgDataDirectory(port) {
  const r = runPg('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-XAtc', 'SHOW data_directory'])
  return r.status === 0 ? r.stdout.trim() : undefined
}

/** The directory of the Redis on `port`, or undefined. */
function redisDirectory(port) {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'CONFIG', 'GET', 'dir'], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim().split('\n')[1] : undefined
}

function samePath(a, b) {
  if (a === undefined) return false
  try {
    return realpathSync(a) === realpathSync(b)
  } catch {
    return false
  }
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
    mkdirSync(dir, { recursive: true })
    if (await portOpen(port)) {
      if (redisPing(port) && samePath(redisDirectory(port), dir)) return false
      throw new PortTakenError(port, redisPing(port) ? 'another Redis' : 'another server')
    }
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--daemonize',
      'yes',
      '--pidfile',
      join(dir, 'redis.pid'),
      '--logfile',
      join(dir, 'redis.log'),
      '--appendonly',
      'no',
      '--save',
      '',
      '--maxclients',
      '2000',
    ]
    if (!persist) rmSync(join(dir, 'dump.rdb'), { force: true })
    const r = spawnSync('redis-server', args, { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`services: redis-server failed: ${r.stderr || r.stdout}`)
    await waitFor(`Redis on port ${port}`, () => redisPing(port), 30_000)
    // --daemonize forks before binding: a port taken meanwhile shows up as someone else's Redis.
    if (!samePath(redisDirectory(port), dir)) throw new PortTakenError(port, 'another server')
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

/**
 * Start this checkout's shared server of `kind` (nothing when it is up). When its port is taken by
 * something else, move it to a free port and record that in ports.json. Returns whether it started.
 */
export async function startShared(kind) {
  for (let attempt = 1; ; attempt++) {
    try {
      return kind === 'postgres' ? await startPostgres() : await startRedis()
    } catch (error) {
      const fixed = process.env[kind === 'postgres' ? 'KEYWARD_PG_PORT' : 'KEYWARD_REDIS_PORT'] !== undefined
      if (!(error instanceof PortTakenError) || fixed || attempt >= 5) throw error
      const current = readPorts() ?? { pg: PG_PORT, redis: REDIS_PORT }
      // Another process of this checkout may have moved it already.
      const recorded = kind === 'postgres' ? current.pg : current.redis
      const next = recorded !== error.port ? recorded : await freePort()
      if (kind === 'postgres') PG_PORT = next
      else REDIS_PORT = next
      writePorts({ pg: PG_PORT, redis: REDIS_PORT })
    }
  }
}

/** Start both shared servers; returns which were started by this call. */
export async function startServices() {
  const [postgres, redis] = await Promise.all([startShared('postgres'), startShared('redis')])
  // Started by hand (or by CI): the test runs leave them running.
  for (const kind of ['postgres', 'redis']) rmSync(autoMarker(kind), { force: true })
  return { postgres, redis }
}

const autoMarker = (kind) => join(SERVICES_DIR, `${kind}-${kind === 'postgres' ? PG_PORT : REDIS_PORT}.started-by-tests`)
const leaseDir = (kind) => join(SERVICES_DIR, `${kind}-leases`)

function pidAlive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return error.code === 'EPERM'
  }
}

/**
 * For a test run: make sure this checkout's `kind` server is up and hold a lease on it. The returned
 * release stops the server only when a test run started it (not `services start`) and no other run
 * of this checkout still holds a lease, so parallel runs never pull a server from under each other.
 * Resolves to `{ url, release }`.
 */
export async function useSharedServices(kind) {
  const lease = join(leaseDir(kind), `${process.pid}-${randomBytes(4).toString('hex')}`)
  // Under the lock a releasing run stops the server with: it either sees this lease, or has stopped
  // the server before this run starts it again.
  await withLock(`${kind}-leases`, async () => {
    mkdirSync(leaseDir(kind), { recursive: true })
    writeFileSync(lease, '')
  })
  const started = await startShared(kind)
  if (started) writeFileSync(autoMarker(kind), '')
  const url = kind === 'postgres' ? pgUrl() : redisUrl()
  const release = async () => {
    rmSync(lease, { force: true })
    if (process.env.KEYWARD_KEEP_SERVICES === '1') return
    await withLock(`${kind}-leases`, async () => {
      const others = []
      for (const name of readdirSync(leaseDir(kind)))
        if (pidAlive(Number(name.split('-')[0]))) others.push(name)
        else rmSync(join(leaseDir(kind), name), { force: true }) // left by a run that was killed
      if (others.length > 0 || !existsSync(autoMarker(kind))) return
      rmSync(autoMarker(kind), { force: true })
      if (kind === 'postgres') await stopPostgres()
      else await stopRedis()
    })
  }
  return { url, release }
}

/**
 * A server of the test's own: a free port, a fresh directory, retried on a port clash. `stop` and
 * `start` stop and restart it on the same port with the same data; `remove` stops it and deletes
 * its directory. `kind`: 'postgres' | 'redis'.
 */
export async function startPrivate(kind) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const dir = mkdtempSync(join(tmpdir(), `keyward-${kind}-`))
    try {
      if (kind === 'postgres') await startPostgres({ port, dir })
      else await startRedis({ port, dir })
    } catch (error) {
      rmSync(dir, { recursive: true, force: true })
      if (error instanceof PortTakenError && attempt < 5) continue
      throw error
    }
    const url = kind === 'postgres' ? pgUrl(port) : redisUrl(port)
    const stop = (options = {}) => (kind === 'postgres' ? stopPostgres({ port, dir, ...options }) : stopRedis({ port, ...options }))
    const start = (options = {}) => (kind === 'postgres' ? startPostgres({ port, dir }) : startRedis({ port, dir, ...options }))
    const remove = async () => {
      await (kind === 'postgres' ? stopPostgres({ port, dir, mode: 'immediate' }) : stopRedis({ port })).catch(() => undefined)
      rmSync(dir, { recursive: true, force: true })
    }
    return { port, dir, url, stop, start, remove }
  }
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
