/**
 * The peer range takes Koa 2 as well as 3: the same conformance suite, byte for byte, on Koa 2
 * (installed as the `koa2` alias, typed as Koa 3's class in koa2.d.ts).
 */
import { runAdapterConformance } from '@keyward/core/testing'
import Koa2 from 'koa2'
import { koaAdapter } from './conformance-adapter.js'

runAdapterConformance(koaAdapter('koa 2', Koa2))
