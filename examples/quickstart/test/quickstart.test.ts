import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { expectPepperRefusal } from '../../../test/example-api-suite.js'

it('creates, shows once, verifies, disables and verifies again', () => {
  const cwd = fileURLToPath(new URL('..', import.meta.url))
  const out = execFileSync('pnpm', ['start'], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, KEYWARD_PEPPER: 'a-test-pepper-of-at-least-32-bytes!!' },
  })
  const keys = out.match(/acme_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}/g) ?? []
  expect(keys).toHaveLength(1) // printed once
  expect(out).toMatch(/verify:\s+ok, key "HubSpot CRM sync"/)
  expect(out).toMatch(/verify with messages:send:\s+refused: insufficient_scope/)
  expect(out).toMatch(/truncated copy:\s+refused: malformed/)
  expect(out).toMatch(/after disable:\s+refused: disabled/)
})

it('refuses to start without KEYWARD_PEPPER (no built-in pepper), saying in one line how to make one', () =>
  expectPepperRefusal(new URL('../src/index.ts', import.meta.url)))
