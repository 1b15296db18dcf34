/**
 * JSON with what the conformance bridge carries besides plain data: dates, functions (left where
 * they live and called back by id), Web requests (as their method and URL), errors (message, code,
 * field, maxKeys). Shared by the test process and the runtime server, so both encode alike.
 */

/** A tagged value on the wire. */
type Tagged =
  | { $date: number }
  | { $fn: number }
  | { $request: { method: string; url: string } }
  | { $error: { name: string; message: string; code?: string; field?: string; maxKeys?: number } }
  | { $undefined: true }

export interface Codec {
  encode(value: unknown): string
  decode(text: string): unknown
}

/**
 * A codec: `register` keeps a function and returns its id (functions encoded as `{ $fn: id }`),
 * `callback(id)` makes the function a decoded `{ $fn: id }` becomes.
 */
/** Any function that travels by id. */
// biome-ignore lint/suspicious/noExplicitAny: hooks of every signature travel
type AnyFunction = (...args: any[]) => unknown

export function codec(register: (fn: AnyFunction) => number, callback: (id: number) => AnyFunction): Codec {
  return {
    encode(value) {
      // Unwrapped, so a created key crosses as `{ key, info }`, the one shape a key may be shown in.
      return (
        JSON.stringify(value, function (this: Record<string, unknown>, key, encoded: unknown): unknown {
          const raw = this[key]
          if (raw instanceof Date) return { $date: raw.getTime() } satisfies Tagged
          if (typeof raw === 'function') return { $fn: register(raw as AnyFunction) } satisfies Tagged
          if (raw === undefined && Array.isArray(this)) return { $undefined: true } satisfies Tagged
          if (typeof Request !== 'undefined' && raw instanceof Request)
            return { $request: { method: raw.method, url: raw.url } } satisfies Tagged
          if (raw instanceof Error) {
            const { code, field, maxKeys } = raw as { code?: unknown; field?: unknown; maxKeys?: unknown }
            return {
              $error: {
                name: raw.name,
                message: raw.message,
                ...(typeof code === 'string' && { code }),
                ...(typeof field === 'string' && { field }),
                ...(typeof maxKeys === 'number' && { maxKeys }),
              },
            } satisfies Tagged
          }
          return encoded
        }) ?? JSON.stringify({ $undefined: true })
      )
    },
    decode(text) {
      return JSON.parse(text, (_key, value: unknown) => {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
        const tagged = value as Partial<Record<string, unknown>>
        if (typeof tagged.$date === 'number') return new Date(tagged.$date)
        if (typeof tagged.$fn === 'number') return callback(tagged.$fn)
        if (tagged.$undefined === true) return undefined
        if (tagged.$request !== undefined) return { ...(tagged.$request as object) }
        if (tagged.$error !== undefined) {
          const { name, message, ...rest } = tagged.$error as { name: string; message: string }
          return Object.assign(new Error(message), { name }, rest)
        }
        return value
      })
    },
  }
}
