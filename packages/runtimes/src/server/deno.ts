/** The conformance server under Deno: `Deno.serve` on 127.0.0.1, a free port, printed as `PORT <n>`. */
import { bridge, lineRpc } from './bridge.js'

declare const Deno: {
  serve(
    options: { hostname: string; port: number; onListen(address: { port: number }): void },
    handler: (request: Request, info: unknown) => Promise<Response>,
  ): unknown
  stdin: { readable: ReadableStream<Uint8Array> }
  stdout: { writeSync(bytes: Uint8Array): number }
}

const encoder = new TextEncoder()
const write = (line: string) => {
  const bytes = encoder.encode(line)
  for (let written = 0; written < bytes.length; ) written += Deno.stdout.writeSync(bytes.subarray(written))
}
const serve = bridge(lineRpc(write, Deno.stdin.readable as unknown as AsyncIterable<Uint8Array>))
Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: ({ port }) => write(`PORT ${port}\n`) }, (request, info) => serve(request, info))
