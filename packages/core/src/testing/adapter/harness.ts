/** What an adapter gives the conformance suite: how to start its apps, and a TCP `connect`. */
import type { Keyward } from '@keyward/core'
import type { SecretScanningOptions } from '@keyward/core/secret-scanning'
import type { HttpAuthOptions, KeyManagementOptions } from '@keyward/core/http'
import type { Connect } from './raw-client.js'

/** A server an adapter started. */
export interface ConformanceServer {
  port: number
  close(): Promise<void>
}

/** What the suite observes from inside the app. */
export interface SuiteProbe {
  /** Handlers push their route here when they run. */
  handled: string[]
  /** Framework log lines (e.g. Fastify's logger stream) go here. */
  log(line: string): void
}

/**
 * How the app trusts forwarding proxies: `none` (the framework's default, `X-Forwarded-For`
 * ignored), `one-hop` (the documented setting behind one proxy: the suite's client, on loopback, is
 * that proxy; Express `trust proxy = 1`, Koa `proxy` with `maxIpsCount = 1`, Fastify
 * `trustProxy: '127.0.0.1'`), `every` (trusts every proxy: the setting the adapters warn about).
 */
export type ProxyTrust = 'none' | 'one-hop' | 'every'

/** An adapter under test. Every server listens on 127.0.0.1, port 0. */
export interface ConformanceAdapter {
  name: string
  /** `connect` from `node:net`: the suite speaks raw HTTP/1.1, to send exactly the bytes it means. */
  connect: Connect
  /**
   * Start (`maxHeaderSize` 64 KiB) an app with:
   * - `GET /health`: no authentication, 200 `{"ok":true}`;
   * - `GET /v1/me`: the adapter's middleware with `options`, 200 `{"id":<key id or null>}`;
   * - `POST /v1/messages`: the middleware with `options` and `requireScopes('messages:send')`, 200 `{"sent":true}`;
   * - `POST /v1/workflows`: the middleware with `options` and `requireScopes('workflows:run', 'messages:send')`, 200 `{"run":true}`;
   * - `POST /v1/contacts`: the middleware with `options` and `requireScopes({ anyOf: ['contacts:read', 'contacts:write'] })`,
   *   200 `{"listed":true}`.
   * Handlers push `me` / `messages` / `workflows` / `contacts` / `health` to `probe.handled`. Rejects (TypeError)
   * when the middleware refuses `options`. `proxy` sets the framework's proxy trust (default `none`).
   * App-level extras (Express's `x-powered-by`) are turned off.
   */
  start(keyward: Keyward<string>, options: HttpAuthOptions<string, any>, probe: SuiteProbe, proxy?: ProxyTrust): Promise<ConformanceServer>
  /**
   * Start an app with the adapter's key management mounted at `/api/keys` with `options` (the
   * framework's own way of mounting: a path, a prefix or `basePath`), and nothing else. Rejects
   * (TypeError) when the adapter refuses `options`.
   */
  startManagement(keyward: Keyward<string>, options: KeyManagementOptions<any>): Promise<ConformanceServer>
  /**
   * Start an app with the adapter's secret-scanning route at `POST /github/secret-scanning`, with
   * `options`, and nothing else.
   */
  startSecretScanning(keyward: Keyward<string>, options: SecretScanningOptions): Promise<ConformanceServer>
}
