const TABLE = /* @__PURE__ */ (() => {
  const table = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c
  }
  return table
})()

/** Feed one byte into a running CRC state (start from the state `crc32Ascii` returns unfinished). */
export function crc32Update(crc: number, byte: number): number {
  return TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8)
}

/** The CRC-32 value of a running state. */
export function crc32Final(crc: number): number {
  return (crc ^ -1) >>> 0
}

/** Running CRC-32 state (IEEE 802.3, as in zlib) after the char codes of ASCII `text[0, end)`. */
export function crc32State(text: string, end: number): number {
  let crc = -1
  for (let i = 0; i < end; i++) crc = crc32Update(crc, text.charCodeAt(i))
  return crc
}

/** CRC-32 of the char codes of an ASCII string. */
export function crc32Ascii(text: string, end = text.length): number {
  return crc32Final(crc32State(text, end))
}
