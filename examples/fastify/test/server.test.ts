import { createKeyward, MemoryKeyStore } from '@keyward/core'
import { exampleApiSuite } from '../../../test/example-api-suite.js'

exampleApiSuite('example-fastify', new URL('../src/index.ts', import.meta.url), { createKeyward, MemoryKeyStore })
