// The Clock port: the only way actors/ learns the time or waits. The real adapter (timers of the
// Node event loop) lives in node/; `SimulatedClock` is the deterministic one for tests and the
// simulator, where time moves only when the test says so.
//
// The interface is a superset of XState's own clock (`setTimeout`/`clearTimeout`), so one clock can
// be handed both to a supervisor and to `createActor(logic, { clock })`, and every delay in an
// actor system (`after`, delayed `raise`, backoff) runs on the same time line.

import { assert } from './assert.ts'

/** Whatever `setTimeout` returned; only ever handed back to `clearTimeout`. */
export type TimerHandle = unknown

export interface Clock {
  /** Milliseconds on this clock's time line (not necessarily since the epoch). */
  nowMs(): number
  /** Calls `callback` once, `delayMs` from now; a negative delay counts as 0. */
  setTimeout(callback: () => void, delayMs: number): TimerHandle
  /** Cancels a timer that has not fired; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void
}

interface Timer {
  readonly id: number
  readonly dueMs: number
  readonly callback: () => void
}

/** More timers than this in one `advance` means a timer re-arms itself without end. */
export const simulatedTimersPerAdvanceMax = 1_000_000

/**
 * A clock that stands still until `advance` or `advanceTo`. Timers fire in due-time order, ties in
 * the order they were set; while a timer runs, `nowMs()` is its due time, so anything it schedules
 * is measured from the moment it fired, exactly as on a real clock. A timer set during an advance
 * that falls due before the advance's end fires in the same advance.
 */
export class SimulatedClock implements Clock {
  #nowMs: number
  #nextId = 1
  /** Sorted by (dueMs, id): the first one is the next to fire. */
  readonly #timers: Timer[] = []

  constructor(startMs = 0) {
    assert(Number.isFinite(startMs), `start time must be finite, got ${startMs}`)
    this.#nowMs = startMs
  }

  nowMs(): number {
    return this.#nowMs
  }

  setTimeout(callback: () => void, delayMs: number): number {
    assert(Number.isFinite(delayMs), `timer delay must be finite, got ${delayMs}`)
    const timer: Timer = { id: this.#nextId++, dueMs: this.#nowMs + Math.max(0, delayMs), callback }
    // Ids grow, so a new timer goes after every timer due at the same time or earlier.
    let index = this.#timers.length
    while (index > 0 && this.#timers[index - 1]!.dueMs > timer.dueMs) index--
    this.#timers.splice(index, 0, timer)
    return timer.id
  }

  clearTimeout(handle: TimerHandle): void {
    const index = this.#timers.findIndex((timer) => timer.id === handle)
    if (index >= 0) this.#timers.splice(index, 1)
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way; returns how many fired. */
  advance(ms: number): number {
    assert(Number.isFinite(ms) && ms >= 0, `advance takes a non-negative number of ms, got ${ms}`)
    return this.advanceTo(this.#nowMs + ms)
  }

  /** Moves time forward to `timeMs` (never back), firing due timers in order; returns how many fired. */
  advanceTo(timeMs: number): number {
    assert(timeMs >= this.#nowMs, `time cannot go back from ${this.#nowMs} to ${timeMs}`)
    let fired = 0
    while (this.#timers[0] !== undefined && this.#timers[0].dueMs <= timeMs) {
      assert(
        fired < simulatedTimersPerAdvanceMax,
        `more than ${simulatedTimersPerAdvanceMax} timers in one advance`,
      )
      this.#fireNext()
      fired++
    }
    this.#nowMs = timeMs
    return fired
  }

  /** Fires timers until none is left, time jumping to each; bounded so a self-re-arming timer ends. */
  runAll(timersMax = 10_000): number {
    let fired = 0
    while (this.#timers.length > 0) {
      assert(fired < timersMax, `runAll: still timers pending after ${timersMax}`)
      this.#fireNext()
      fired++
    }
    return fired
  }

  #fireNext(): void {
    const timer = this.#timers.shift()!
    this.#nowMs = timer.dueMs
    timer.callback()
  }

  /** How many timers are waiting. */
  get pendingTimers(): number {
    return this.#timers.length
  }

  /** When the next timer is due, if any. */
  nextDueMs(): number | undefined {
    return this.#timers[0]?.dueMs
  }
}
