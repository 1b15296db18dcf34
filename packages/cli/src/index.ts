export { main, type Io } from './main.js'
export {
  scanPaths,
  countSkipped,
  DEFAULT_MAX_FILE_BYTES,
  type Finding,
  type ScanOptions,
  type ScanResult,
  type SkipReason,
  type Skipped,
} from './scan.js'
export { openStore } from './stores.js'
