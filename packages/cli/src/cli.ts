#!/usr/bin/env node
import { createInterface } from 'node:readline/promises'
import { main } from './main.js'

const exitCode = await main(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  stderrIsTTY: process.stderr.isTTY === true,
  stdinIsTTY: process.stdin.isTTY === true,
  readStdin: async () => {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  },
  ask: async (question) => {
    const prompt = createInterface({ input: process.stdin, output: process.stderr })
    try {
      return await prompt.question(question)
    } finally {
      prompt.close()
    }
  },
})
process.exitCode = exitCode
