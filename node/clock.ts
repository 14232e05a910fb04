// The Clock port's real adapter: the Node event loop's timers and monotonic time.

import { performance } from 'node:perf_hooks'
import type { Clock, TimerHandle } from '../actors/clock.ts'

export const systemClock: Clock = {
  nowMs: () => performance.now(),
  setTimeout: (callback, delayMs) => {
    const timer = setTimeout(callback, Math.max(0, delayMs))
    // Timers of the actors never hold the process open: stopping the agent ends it.
    timer.unref()
    return timer
  },
  clearTimeout: (handle: TimerHandle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}
