/**
 * The peer range takes Fastify 4 as well as 5: the same conformance suite, byte for byte, on Fastify 4
 * (installed as the `fastify4` alias). Fastify 4's types and 5's cannot meet in one program, hence
 * the cast; the adapter's declarations against Fastify 4's own types are checked by test/install.
 */
import { runAdapterConformance } from '@keyward/core/testing'
import fastify4 from 'fastify4'
import { fastifyAdapter } from './conformance-adapter.js'

runAdapterConformance(fastifyAdapter('fastify 4', fastify4 as unknown as Parameters<typeof fastifyAdapter>[1]))
