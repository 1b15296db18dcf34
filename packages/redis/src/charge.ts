import { counterSubject, counterWindow, InvalidInputError, type Charge, type ChargeResult, type ChargeState } from '@keyward/core/store'
import type { RedisConnection } from './connection.js'

/** Counter slots outlive the window after theirs by this much (the callers' clocks may differ a little). */
export const COUNTER_GRACE_MS = 1_000

type Reply = [number, ...(['c', number, string] | ['h', number, string, string, string, string] | ['n'])[]]

/** The charges of one slot, in the order steps run: key slots, then other counters', then owner slots. */
interface Step {
  rank: number
  slot: string
  at: number[]
  keys: string[]
  args: (string | number)[]
  /** Per charge, the key a refund gives back to (a counter's current window, a credit holder). */
  targets: string[]
  refundKeys: string[]
  refundArgs: (string | number)[]
}

function rankOf(charge: Charge): number {
  if (charge.type === 'credits') return charge.holder === 'key' ? 0 : 2
  const subject = counterSubject(charge.name)
  return subject === null ? 1 : subject.kind === 'key' ? 0 : 2
}

/**
 * `KeyStore.charge` on Redis: one `CHARGE` script per slot the charges touch (usually one: a key's
 * counters and credits share its slot). Each step reads its counters and credit holders and writes
 * only when all of them admit. Steps run key slot first, owner slot last; when a later step refuses,
 * the earlier steps are refunded (`REFUND`) and the steps after it are only read (a dry run). So no
 * request passes a limit it exceeds; while a refunded step is in flight, a concurrent request may be
 * refused by the amount it briefly held.
 */
export async function chargeAll(conn: RedisConnection, charges: Charge[], now: number): Promise<ChargeResult> {
  if (charges.length === 0) return { ok: true, states: [] }
  const { layout } = conn
  const steps = new Map<string, Step>()
  const resets: number[] = []
  for (const [i, charge] of charges.entries()) {
    const slot =
      charge.type === 'counter'
        ? layout.counterSlot(charge.name)
        : charge.holder === 'key'
          ? layout.keySlot(charge.id)
          : layout.ownerSlot(charge.id)
    let step = steps.get(slot)
    if (step === undefined)
      steps.set(slot, (step = { rank: rankOf(charge), slot, at: [], keys: [], args: [], targets: [], refundKeys: [], refundArgs: [] }))
    step.at.push(i)
    if (charge.type === 'counter') {
      // INCRBY takes integers: refuse anything else before the script, which must not fail half way.
      if (!Number.isSafeInteger(charge.amount) || charge.amount < 0)
        throw new InvalidInputError(`charges[${i}].amount`, 'must be a non-negative integer')
      const { start, resetAt } = counterWindow(now, charge.windowMs)
      const current = layout.counter(charge.name, charge.windowMs, start)
      step.keys.push(current, layout.counter(charge.name, charge.windowMs, start - charge.windowMs))
      step.args.push('c', charge.amount, charge.limit, charge.windowMs, charge.algorithm === 'sliding' ? '1' : '0', resetAt)
      step.targets.push(current)
      resets[i] = resetAt
    } else {
      const holder = charge.holder === 'key' ? layout.record(charge.id) : layout.owner(charge.id)
      step.keys.push(holder)
      step.args.push('h', charge.cost)
      step.targets.push(holder)
    }
  }
  const states: ChargeState[] = []
  const done: Step[] = []
  let ok = true
  for (const step of [...steps.values()].sort((a, b) => a.rank - b.rank)) {
    const [admitted, ...seen] = await conn.script<Reply>('charge', 'request', 'CHARGE', step.keys, [
      now,
      COUNTER_GRACE_MS,
      ok ? '0' : '1',
      ...step.args,
    ])
    seen.forEach((s, j) => {
      const i = step.at[j]!
      const charge = charges[i]!
      if (s[0] === 'c') {
        states[i] = { type: 'counter', ok: s[1] === 1, count: Number(s[2]), resetAt: resets[i]! }
        step.refundKeys.push(step.targets[j]!)
        step.refundArgs.push('c', charge.type === 'counter' ? charge.amount : 0, '', '')
      } else if (s[0] === 'h') {
        states[i] = { type: 'credits', ok: s[1] === 1, remaining: Number(s[2]), nextRefillAt: s[3] === '' ? null : Number(s[3]) }
        // Given back as the JSON before, while the holder still has the JSON written.
        step.refundKeys.push(step.targets[j]!)
        step.refundArgs.push('h', charge.type === 'credits' ? charge.cost : 0, s[5], s[4])
      } else states[i] = null
    })
    if (admitted !== 1) ok = false
    else if (ok) done.push(step)
  }
  if (!ok) {
    for (const step of done)
      if (step.refundKeys.length > 0) await conn.script('charge', 'request', 'REFUND', step.refundKeys, step.refundArgs)
    unwritten(done, charges, states)
  }
  return { ok, states }
}

/** Report the steps that admitted, in a charge another step refused, as not written (as one script would). */
function unwritten(steps: Step[], charges: Charge[], states: ChargeState[]): void {
  for (const step of steps)
    for (const i of step.at) {
      const state = states[i]
      const charge = charges[i]!
      if (state?.type === 'counter' && charge.type === 'counter') state.count -= charge.amount
      else if (state?.type === 'credits' && charge.type === 'credits') state.remaining += charge.cost
    }
}
