/**
 * `keyward scan` on a tree someone else supplied (an unpacked archive, a pull request's checkout):
 * it runs nothing from the tree, reads only regular files inside it, bounded, and still finds every
 * key of this deployment, however the file is encoded or the key is glued to its neighbours.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { expectNoSecret, keyward, mintKey, shown } from './run.js'

const root = mkdtempSync(join(tmpdir(), 'keyward-untrusted-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const PREFIX = { KEYWARD_PREFIX: 'acme_live' }

function folder(...parts: string[]): string {
  const dir = join(root, ...parts)
  mkdirSync(dir, { recursive: true })
  return dir
}

/** A git work tree whose config and hooks would run `touch <marker>` if anything ran them. */
function hostileRepo(name: string, marker: string): string {
  const dir = folder(name)
  execFileSync('git', ['init', '-q', dir])
  const touch = `touch ${JSON.stringify(marker)}`
  writeFileSync(
    join(dir, '.git', 'config'),
    `[core]\n\trepositoryformatversion = 0\n\tfsmonitor = ${JSON.stringify(touch)}\n\thooksPath = hooks\n\tpager = ${JSON.stringify(touch)}\n[diff]\n\texternal = ${JSON.stringify(touch)}\n`,
  )
  for (const hook of ['pre-commit', 'post-checkout', 'post-index-change', 'fsmonitor-watchman']) {
    for (const hooks of [join(dir, '.git', 'hooks'), folder(name, 'hooks')]) {
      writeFileSync(join(hooks, hook), `#!/bin/sh\n${touch}\n`)
      chmodSync(join(hooks, hook), 0o755)
    }
  }
  return dir
}

describe('keyward scan runs nothing from the scanned tree', () => {
  it('never runs git (nor the tree’s fsmonitor or hooks), and still skips .gitignored files', () => {
    const marker = join(root, 'ran-fsmonitor')
    const dir = hostileRepo('hostile', marker)
    // A `git` first on PATH that would leave its own marker: proof that no git runs at all.
    const bin = folder('fake-bin')
    writeFileSync(join(bin, 'git'), `#!/bin/sh\ntouch ${JSON.stringify(join(root, 'ran-git'))}\nexit 1\n`)
    chmodSync(join(bin, 'git'), 0o755)

    const [found, ignoredTop, ignoredNested, reIncluded, inGitDir] = [mintKey(), mintKey(), mintKey(), mintKey(), mintKey()]
    writeFileSync(join(dir, '.gitignore'), 'secrets/\n*.local\n')
    folder('hostile', 'secrets')
    folder('hostile', 'app', 'gen')
    writeFileSync(join(dir, 'app', '.gitignore'), 'gen/\n!keep.local\n')
    writeFileSync(join(dir, 'app', 'main.ts'), `const key = "${found}"\n`)
    writeFileSync(join(dir, 'secrets', 'prod.env'), `KEY=${ignoredTop}\n`)
    writeFileSync(join(dir, 'dev.local'), `KEY=${ignoredTop}\n`)
    writeFileSync(join(dir, 'app', 'gen', 'bundle.js'), `k="${ignoredNested}"\n`)
    writeFileSync(join(dir, 'app', 'keep.local'), `KEY=${reIncluded}\n`)
    writeFileSync(join(dir, '.git', 'description'), `${inGitDir}\n`)

    const run = keyward(['scan', '.', '--json'], { env: { ...PREFIX, PATH: `${bin}:${process.env.PATH}` }, cwd: dir })
    expect(existsSync(marker)).toBe(false)
    expect(existsSync(join(root, 'ran-git'))).toBe(false)
    expect(run.code).toBe(1)
    const report = JSON.parse(run.stdout)
    expect(report.findings.map((f: { file: string }) => f.file).sort()).toEqual(['app/keep.local', 'app/main.ts'])
    expectNoSecret(run, [found, ignoredTop, ignoredNested, reIncluded, inGitDir])
  })

  it('honours the .gitignore files above a scanned subfolder, up to the work tree’s top', () => {
    const dir = folder('upward')
    mkdirSync(join(dir, '.git'))
    folder('upward', 'src', 'vendor')
    writeFileSync(join(dir, '.gitignore'), 'src/vendor/\n')
    writeFileSync(join(dir, 'src', 'vendor', 'lib.js'), `k="${mintKey()}"\n`)
    const run = keyward(['scan', 'src'], { env: PREFIX, cwd: dir })
    expect(run).toMatchObject({ code: 0, stdout: '' })
    expect(run.stderr).toMatch(/No keys found in 0 files/)
  })
})

describe('keyward scan and symlinks', () => {
  function linkedTree(name: string) {
    const home = folder(name, 'home')
    const tree = folder(name, 'tree')
    execFileSync('git', ['init', '-q', tree])
    const outside = mintKey()
    const inside = mintKey()
    writeFileSync(join(home, '.env'), `ACME_KEY=${outside}\n`)
    folder(name, 'tree', 'data')
    writeFileSync(join(tree, 'data', 'inner.txt'), `key ${inside}\n`)
    symlinkSync('../home/.env', join(tree, 'home-env'))
    symlinkSync('../home', join(tree, 'home-dir'))
    symlinkSync('data', join(tree, 'alias'))
    symlinkSync('.', join(tree, 'loop'))
    symlinkSync('missing', join(tree, 'dangling'))
    return { tree, outside, inside }
  }

  it('does not follow symlinks by default: --revoke never touches a key in the scanning machine’s own files', () => {
    const { tree, outside, inside } = linkedTree('links-default')
    const env = {
      KEYWARD_STORE: `sqlite:${join(root, 'links-default', 'keys.db')}`,
      KEYWARD_PREFIX: 'acme_live',
      KEYWARD_PEPPER: 'cli-test-pepper-0123456789-0123456789',
    }
    const mine = keyward(['create', '--name', 'my own key'], { env, cwd: root }).stdout.trim()
    writeFileSync(join(root, 'links-default', 'home', '.env'), `ACME_KEY=${mine}\n`)

    const run = keyward(['scan', tree, '--revoke', '--yes', '--json'], { env, cwd: root })
    const report = JSON.parse(run.stdout)
    expect(report.findings).toEqual([
      expect.objectContaining({ file: expect.stringMatching(/data\/inner\.txt$/), redacted: shown(inside) }),
    ])
    expect(report.revoked).toEqual([])
    expect(report.skippedBy.symlink).toBe(5)
    expect(keyward(['verify', mine], { env, cwd: root }).code).toBe(0)
    expectNoSecret(run, [outside, inside, mine])
  })

  it('--follow-symlinks follows links only to targets inside the scan root, once each, without looping', () => {
    const { tree, outside, inside } = linkedTree('links-follow')
    const run = keyward(['scan', '.', '--follow-symlinks', '--json'], { env: PREFIX, cwd: tree, timeout: 10_000 })
    expect(run.code).toBe(1)
    const report = JSON.parse(run.stdout)
    // data/inner.txt, also reachable as alias/inner.txt: reported once, under its own name.
    expect(report.findings).toEqual([{ file: 'data/inner.txt', line: 1, column: 5, redacted: shown(inside) }])
    expect(report.skippedFiles).toEqual(
      expect.arrayContaining([
        { file: 'home-env', reason: 'symlink', detail: 'points outside the scan root' },
        { file: 'home-dir', reason: 'symlink', detail: 'points outside the scan root' },
        { file: 'dangling', reason: 'symlink', detail: 'broken or looping link' },
        { file: 'loop', reason: 'symlink', detail: 'loops back to a folder already scanned' },
      ]),
    )
    expectNoSecret(run, [outside, inside])
  })
})

describe('keyward scan reads only regular files, bounded', () => {
  it('skips a FIFO, /dev/zero (linked, followed or named) and a file over --max-file-bytes, quickly, and reports them', () => {
    const dir = folder('special')
    execFileSync('git', ['init', '-q', dir])
    execFileSync('mkfifo', [join(dir, 'pipe')])
    symlinkSync('pipe', join(dir, 'pipe-link'))
    symlinkSync('/dev/zero', join(dir, 'zero'))
    const big = mintKey()
    writeFileSync(join(dir, 'big.log'), Buffer.concat([Buffer.alloc(11 * 1024 * 1024, 'x'), Buffer.from(`\n${big}\n`)]))
    const small = mintKey()
    writeFileSync(join(dir, 'small.txt'), `${small}\n`)

    for (const follow of [[], ['--follow-symlinks']]) {
      const started = Date.now()
      const run = keyward(['scan', '.', ...follow], { env: PREFIX, cwd: dir, timeout: 15_000 })
      expect(Date.now() - started).toBeLessThan(10_000)
      expect(run.code).toBe(1)
      expect(run.stdout).toBe(`small.txt:1:1: ${shown(small)}\n`)
      expect(run.stderr).toContain(`skipped big.log: too large (${11 * 1024 * 1024 + big.length + 2} bytes)`)
      expect(run.stderr).toMatch(/skipped pipe: not a regular file/)
      expect(run.stderr).toMatch(follow.length ? /skipped zero: symlink \(points outside the scan root\)/ : /skipped zero: symlink\n/)
      expect(run.stderr).toMatch(follow.length ? /skipped pipe-link: not a regular file/ : /skipped pipe-link: symlink\n/)
      expect(run.stderr).toMatch(
        follow.length
          ? /Found 1 key in 1 file \(4 skipped: 1 too large, 2 not regular files, 1 symlink\)/
          : /Found 1 key in 1 file \(4 skipped: 1 too large, 1 not a regular file, 2 symlinks\)/,
      )
      expectNoSecret(run, [big, small])
    }

    const named = keyward(['scan', join(dir, 'pipe'), '/dev/zero', '--json'], { env: PREFIX, cwd: dir, timeout: 15_000 })
    expect(JSON.parse(named.stdout)).toMatchObject({ findings: [], skippedBy: { not_regular: 2 } })

    const raised = keyward(['scan', 'big.log', '--max-file-bytes', '12M'], { env: PREFIX, cwd: dir })
    expect(raised).toMatchObject({ code: 1, stdout: `big.log:2:1: ${shown(big)}\n` })
    const lowered = JSON.parse(keyward(['scan', 'small.txt', '--max-file-bytes', '16', '--json'], { env: PREFIX, cwd: dir }).stdout)
    expect(lowered).toMatchObject({ findings: [], skippedBy: { too_large: 1 }, skippedFiles: [{ file: 'small.txt', reason: 'too_large' }] })
    expect(keyward(['scan', '--max-file-bytes', 'lots'], { env: PREFIX, cwd: dir })).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^keyward: --max-file-bytes: [^\n]*\n$/),
    })
  })
})

describe('keyward scan finds keys however they are stored', () => {
  const utf16 = (text: string, order: 'le' | 'be', bom: boolean) => {
    const le = Buffer.from(`${bom ? '\uFEFF' : ''}${text}`, 'utf16le')
    return order === 'le' ? le : Buffer.from(le).swap16()
  }

  it('in UTF-16 (LE and BE, with or without BOM), glued to word characters, and after an early NUL byte; binaries are counted', () => {
    const dir = folder('encodings')
    const keys = Array.from({ length: 8 }, mintKey)
    const text = (key: string) => `# settings\r\nregion = "eu"\r\nkey = ${key}\r\n`
    writeFileSync(join(dir, 'le-bom.txt'), utf16(text(keys[0]!), 'le', true))
    writeFileSync(join(dir, 'be-bom.txt'), utf16(text(keys[1]!), 'be', true))
    writeFileSync(join(dir, 'le.txt'), utf16(text(keys[2]!), 'le', false))
    writeFileSync(join(dir, 'be.txt'), utf16(text(keys[3]!), 'be', false))
    writeFileSync(join(dir, 'glued.txt'), `line one\nxx${keys[4]}\n${keys[5]}_keysuffix\n`)
    writeFileSync(join(dir, 'nul.txt'), Buffer.concat([Buffer.from('\0header\n'), Buffer.from(`token: ${keys[6]}\n`)]))
    const typo = `${keys[7]!.slice(0, -3)}${keys[7]!.at(-3) === 'a' ? 'b' : 'a'}${keys[7]!.slice(-2)}`
    writeFileSync(join(dir, 'typo.txt'), `zz${typo}zz\n`)
    const binary = Buffer.alloc(4096)
    for (let i = 0; i < binary.length; i++) binary[i] = (i * 7) % 32
    writeFileSync(join(dir, 'blob.bin'), Buffer.concat([binary, Buffer.from(keys[7]!)]))

    const run = keyward(['scan', '.'], { env: PREFIX, cwd: dir })
    expect(run.code).toBe(1)
    expect(run.stdout.trim().split('\n').sort()).toEqual(
      [
        `be-bom.txt:3:7: ${shown(keys[1]!)}`,
        `be.txt:3:7: ${shown(keys[3]!)}`,
        `glued.txt:2:3: ${shown(keys[4]!)}`,
        `glued.txt:3:1: ${shown(keys[5]!)}`,
        `le-bom.txt:3:7: ${shown(keys[0]!)}`,
        `le.txt:3:7: ${shown(keys[2]!)}`,
        `nul.txt:2:8: ${shown(keys[6]!)}`,
      ].sort(),
    )
    expect(run.stderr).toMatch(/Found 7 keys in 7 files \(1 skipped: 1 binary\)/)
    const report = JSON.parse(keyward(['scan', '.', '--json'], { env: PREFIX, cwd: dir }).stdout)
    expect(report).toMatchObject({
      filesScanned: 7,
      skipped: 1,
      skippedBy: { binary: 1, too_large: 0, not_regular: 0, symlink: 0, unreadable: 0 },
    })
    expect(report.skippedFiles).toEqual([{ file: 'blob.bin', reason: 'binary' }])
    expectNoSecret(run, keys)
  })
})
