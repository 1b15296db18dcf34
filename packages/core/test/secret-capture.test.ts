import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

it('the suite-wide secret check fails a test file that leaks a key fragment, a digest or a pepper', () => {
  const root = fileURLToPath(new URL('../../../test/fixtures/secret-capture/', import.meta.url))
  const vitest = fileURLToPath(new URL('../../../node_modules/vitest/vitest.mjs', import.meta.url))
  const run = spawnSync(process.execPath, [vitest, 'run', '--root', root, '--reporter', 'json'], { encoding: 'utf8', timeout: 60_000 })
  const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as {
    testResults: { name: string; status: string; message: string }[]
  }
  const status = Object.fromEntries(report.testResults.map((r) => [r.name.split('/').pop(), [r.status, r.message]]))
  expect(status['clean.fixture.ts']?.[0]).toBe('passed')
  for (const [file, what] of [
    ['console-key.fixture.ts', 'secret fragment'],
    ['http-digest.fixture.ts', 'a stored digest'],
    ['pepper.fixture.ts', 'a pepper'],
  ]) {
    expect(status[file!]?.[0]).toBe('failed')
    expect(status[file!]?.[1]).toContain(what)
  }
}, 90_000)
