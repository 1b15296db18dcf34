/**
 * A trigger condition on `OLD` and `NEW`: a column other than `ignored` changed, or `credits` other
 * than its balance (`remaining`, `refilledAt`), which the hot path writes and reads live.
 */
export function changedBeyond(ignored: string[]): string {
  const rest = (row: 'OLD' | 'NEW') => `to_jsonb(${row}) - ${[...ignored, 'credits'].map((c) => `'${c}'`).join(' - ')}`
  const balanceFree = (row: 'OLD' | 'NEW') =>
    `CASE WHEN jsonb_typeof(${row}.credits) = 'object' THEN ${row}.credits - 'remaining' - 'refilledAt' ELSE ${row}.credits END`
  return `
    (${rest('OLD')}) IS DISTINCT FROM (${rest('NEW')})
    OR ${balanceFree('OLD')} IS DISTINCT FROM ${balanceFree('NEW')}
  `
}
