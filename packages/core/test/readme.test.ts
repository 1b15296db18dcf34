import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

it('runs the README’s first example as written', () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8')
  const code = /```ts\n([\s\S]*?)```/.exec(readme)![1]!
  const file = fileURLToPath(new URL(`./readme-example.${process.pid}.tmp.ts`, import.meta.url))
  writeFileSync(file, code)
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', file], {
      encoding: 'utf8',
      env: { ...process.env, KEYWARD_PEPPER: 'a-readme-pepper-of-at-least-32-bytes!' },
    })
    expect(out.trim()).toBe('hello HubSpot CRM sync')
  } finally {
    rmSync(file, { force: true })
  }
})
