// The sim runtime: hollow pods, for tests and scale runs (like kubemark). A pod "runs" without a
// process: it starts after a delay, is Ready unless told otherwise, uses the CPU it is told to,
// and ends when told to. What to do is read from the pod's annotations, so a Deployment's or a
// Job's template can ask its pods to be slow, never ready, busy or failing:
//
//   sim.coxswain.dev/start-ms        start latency (default: the runtime's)
//   sim.coxswain.dev/ready           "false": running but never Ready
//   sim.coxswain.dev/exit-after-ms   the containers end this long after starting
//   sim.coxswain.dev/exit-code       ...with this code (default 0)
//   sim.coxswain.dev/cpu-millis      CPU the pod reports using, in millicores (default 0)

import { setTimeout as sleep } from 'node:timers/promises'
import type { PodRuntime, RunningPod } from '../actors/pod-actor.ts'
import type { KubeObject } from '../core/api/object.ts'

export const simAnnotationPrefix = 'sim.coxswain.dev/'
export const simStartMsDefault = 200

export interface SimRuntimeOptions {
  /** Start latency of pods that do not ask for their own. */
  readonly startMs?: number
}

export function simRuntime(options: SimRuntimeOptions = {}): PodRuntime {
  const startMsDefault = options.startMs ?? simStartMsDefault
  return {
    name: 'sim',
    async start(pod: KubeObject): Promise<RunningPod> {
      const annotations = pod.metadata.annotations ?? {}
      const number = (key: string): number | undefined => {
        const text = annotations[simAnnotationPrefix + key]
        const value = text === undefined ? Number.NaN : Number(text)
        return Number.isFinite(value) && value >= 0 ? value : undefined
      }
      await sleep(number('start-ms') ?? startMsDefault)
      const exitAfterMs = number('exit-after-ms')
      const exitCode = number('exit-code') ?? 0
      let timer: ReturnType<typeof setTimeout> | undefined
      const exited = new Promise<number>((resolve) => {
        if (exitAfterMs !== undefined) timer = setTimeout(() => resolve(exitCode), exitAfterMs)
      })
      return {
        ready: annotations[`${simAnnotationPrefix}ready`] !== 'false',
        exited,
        cpuMillis: () => number('cpu-millis') ?? 0,
        stop: async () => clearTimeout(timer),
      }
    },
  }
}
