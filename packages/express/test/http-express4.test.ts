/**
 * The peer range takes Express 4 as well as 5: the same conformance suite, byte for byte, on Express 4
 * (installed as the `express4` alias). Express 4's types and 5's cannot meet in one program, hence
 * the cast; the adapter's declarations against `@types/express@4` alone are checked by test/install.
 */
import { runAdapterConformance } from '@keyward/core/testing'
import express4 from 'express4'
import { expressAdapter } from './conformance-adapter.js'

runAdapterConformance(expressAdapter('express 4', express4 as unknown as Parameters<typeof expressAdapter>[1]))
