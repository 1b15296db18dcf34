import { runAdapterConformance } from '@keyward/core/testing'
import Koa from 'koa'
import { koaAdapter } from './conformance-adapter.js'

runAdapterConformance(koaAdapter('koa', Koa))
