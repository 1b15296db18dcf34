export { main, type Io } from './main.js'
export { scanPaths, type Finding } from './scan.js'
export { openStore } from './stores.js'
