import { runAdapterConformance } from '@keyward/core/testing'
import Fastify from 'fastify'
import { fastifyAdapter } from './conformance-adapter.js'

runAdapterConformance(fastifyAdapter('fastify', Fastify))
