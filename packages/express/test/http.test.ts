import { runAdapterConformance } from '@keyward/core/testing'
import express from 'express'
import { expressAdapter } from './conformance-adapter.js'

runAdapterConformance(expressAdapter('express', express))
