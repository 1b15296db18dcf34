/**
 * What every project's vitest config shares: workspace packages resolve to their TypeScript
 * sources (the `@keyward/source` export condition), so a test runs on what was just edited, with
 * no build in between. The packaging tests check the built output separately.
 */
const conditions = ['@keyward/source', 'module', 'node', 'development|production']

export const sourceResolution = {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@keyward/source'] } },
}
