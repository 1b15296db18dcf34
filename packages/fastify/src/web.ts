import { responseParts, webRequestFrom, type NodeBodyStream } from '@keyward/core/http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** Options Fastify itself reads from `register(plugin, options)`: not ours to validate. */
const REGISTER_OPTIONS = new Set(['prefix', 'logLevel', 'logSerializers'])

/** `options` without the ones Fastify reads itself. */
export function ownOptions<T extends object>(options: T): T {
  const own: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(options)) if (!REGISTER_OPTIONS.has(name)) own[name] = value
  return own as T
}

/** In this (encapsulated) context, bodies reach the handler unread: a stream, whatever their type. */
export function keepRawBodies(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
}

/** The Web `Request` for `request`, its body the stream {@link keepRawBodies} left. */
export function toWebRequest(request: FastifyRequest): Request {
  const body = (request.body as NodeBodyStream | undefined) ?? request.raw
  return webRequestFrom({ method: request.method, url: request.url, rawHeaders: request.raw.rawHeaders, body })
}

/** Answer with a Web `Response` as it is: status, headers, body bytes. */
export async function sendWeb(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  const { status, headers, body } = await responseParts(response)
  // Bytes, so Fastify keeps the content type exactly (it appends a charset to JSON strings).
  return reply
    .code(status)
    .headers(headers)
    .send(body === null ? undefined : Buffer.from(body.buffer, body.byteOffset, body.byteLength))
}
