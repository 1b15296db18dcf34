/** The conformance server under Bun: `Bun.serve` on 127.0.0.1, a free port, printed as `PORT <n>`. */
import { bridge, lineRpc } from './bridge.js'

declare const Bun: {
  serve(options: { hostname: string; port: number; fetch: (request: Request, server: unknown) => Promise<Response> }): { port: number }
  stdin: { stream(): ReadableStream<Uint8Array> }
}
declare const process: { stdout: { write(text: string): void } }

const write = (line: string) => process.stdout.write(line)
const serve = bridge(lineRpc(write, Bun.stdin.stream() as unknown as AsyncIterable<Uint8Array>))
const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (request, bun) => serve(request, bun) })
write(`PORT ${server.port}\n`)
