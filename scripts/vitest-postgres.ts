/** Vitest `globalSetup`: PostgreSQL only. See vitest-services.ts. */
import { setupServices } from './vitest-services.js'
export default () => setupServices(['postgres'])
