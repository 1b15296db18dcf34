import { createKeyward, MemoryKeyStore } from '@keyward/core'
import { exampleApiSuite } from '../../../test/example-api-suite.js'

// The same checks as the Express, Koa and Fastify examples: the Hono app on Node (@hono/node-server).
exampleApiSuite('example-hono (node)', new URL('../src/index.ts', import.meta.url), { createKeyward, MemoryKeyStore })
