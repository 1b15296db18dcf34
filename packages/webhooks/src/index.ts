export type { StandardWebhooksOptions } from './options.js'
export { standardWebhooks } from './sender.js'
