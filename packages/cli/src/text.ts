/** How the bytes of a scanned file were read. */
export type TextEncoding = 'utf8' | 'utf16le' | 'utf16be'

const SNIFF = 8000

/** Control bytes that plain text does not hold (NUL, 0x01–0x08, 0x0E–0x1A, 0x1C–0x1F, DEL); tab, line breaks and ESC are text. */
function isControl(byte: number): boolean {
  return byte < 0x09 || (byte > 0x0d && byte < 0x20 && byte !== 0x1b) || byte === 0x7f
}

/** UTF-16 without a byte-order mark: mostly-ASCII text has a zero in every other byte. */
function sniffUtf16(bytes: Uint8Array): TextEncoding | null {
  const pairs = Math.min(bytes.length, SNIFF) >> 1
  if (pairs < 2) return null
  let evenZeros = 0
  let oddZeros = 0
  for (let i = 0; i < pairs; i++) {
    if (bytes[2 * i] === 0) evenZeros++
    if (bytes[2 * i + 1] === 0) oddZeros++
  }
  if (oddZeros >= pairs * 0.3 && evenZeros <= pairs * 0.05) return 'utf16le'
  if (evenZeros >= pairs * 0.3 && oddZeros <= pairs * 0.05) return 'utf16be'
  return null
}

/**
 * Which text encoding `bytes` are in, or null for a binary file. A byte-order mark decides;
 * without one, UTF-16 shows as zeros in every other byte; otherwise more than 10% control bytes
 * in the first 8000 means binary. A stray NUL in a text file does not make it binary.
 */
export function detectEncoding(bytes: Uint8Array): TextEncoding | null {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf16le'
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf16be'
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf8'
  const utf16 = sniffUtf16(bytes)
  if (utf16) return utf16
  const sniffed = Math.min(bytes.length, SNIFF)
  let controls = 0
  for (let i = 0; i < sniffed; i++) if (isControl(bytes[i]!)) controls++
  return controls * 10 > sniffed ? null : 'utf8'
}

/** `bytes` as a string in `encoding`, without a byte-order mark. */
export function decodeText(bytes: Buffer, encoding: TextEncoding): string {
  if (encoding === 'utf8') return bytes.toString('utf8').replace(/^\uFEFF/, '')
  const even = bytes.subarray(0, bytes.length & ~1)
  const little = encoding === 'utf16le' ? even : Buffer.from(even).swap16()
  return little.toString('utf16le').replace(/^\uFEFF/, '')
}
