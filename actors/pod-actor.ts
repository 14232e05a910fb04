// The kubelet's Pod actor: one per pod bound to this node. It starts the pod through the runtime
// port, reports it Running (and Ready, when the runtime says so), waits for its containers to
// end, and then does what the pod's restartPolicy says: start it again after a backoff (Always;
// OnFailure after a failure) or report it Succeeded or Failed and finish. Every report goes to
// the API (through the `report` port) and is retried until it lands; the actor is stopped when
// the pod is deleted or the node gives it up.

import { assign, fromPromise, setup } from 'xstate'
import type { KubeObject } from '../core/api/object.ts'
import { isObject } from './plans/plan.ts'

/** A pod's containers as the runtime runs them. */
export interface RunningPod {
  /** Whether the containers pass their readiness (the sim runtime: unless told not to). */
  readonly ready: boolean
  /** Resolves with the exit code when the containers end; a server never ends. */
  readonly exited: Promise<number>
  /** CPU in use now, in millicores. */
  cpuMillis(): number
  stop(): Promise<void>
}

/** How a node runs pods: the sim runtime (hollow pods), later Docker and plain processes. */
export interface PodRuntime {
  readonly name: string
  /** Starts the pod's containers; resolves once they run. */
  start(pod: KubeObject): Promise<RunningPod>
}

export interface PodActorInput {
  readonly pod: KubeObject
  readonly runtime: PodRuntime
  /** Writes the pod's status (a merge of `status`); resolves once written, retrying meanwhile. */
  readonly report: (status: Record<string, unknown>, signal: AbortSignal) => Promise<void>
  readonly hostIp: string
  readonly podIp: string
  /** The time as the API writes it (RFC 3339). */
  readonly now: () => string
  /** Tells the kubelet which containers run for this pod now (for stopping and CPU reports). */
  readonly onRunning: (running: RunningPod | null) => void
}

/** Restart backoff of a pod's containers, as the kubelet's CrashLoopBackOff: 10 s doubling to 5 min. */
export const restartBackoff = { initialMs: 10_000, maxMs: 300_000, factor: 2 } as const

interface Context {
  readonly input: PodActorInput
  running: RunningPod | null
  restartCount: number
  startedAt: string
  exitCode: number
  finishedAt: string
}

export const podActorLogic = setup({
  types: {} as { context: Context; input: PodActorInput },
  actors: {
    start: fromPromise<RunningPod, PodActorInput>(({ input }) => input.runtime.start(input.pod)),
    report: fromPromise<void, { input: PodActorInput; status: Record<string, unknown> }>(
      ({ input, signal }) => input.input.report(input.status, signal),
    ),
    waitForExit: fromPromise<number, RunningPod>(({ input }) => input.exited),
  },
  delays: {
    backoff: ({ context }) =>
      Math.min(
        restartBackoff.maxMs,
        restartBackoff.initialMs * restartBackoff.factor ** Math.max(0, context.restartCount - 1),
      ),
  },
}).createMachine({
  id: 'pod',
  context: ({ input }) => ({
    input,
    running: null,
    restartCount: 0,
    startedAt: '',
    exitCode: 0,
    finishedAt: '',
  }),
  initial: 'starting',
  states: {
    starting: {
      invoke: {
        src: 'start',
        input: ({ context }) => context.input,
        onDone: {
          target: 'reportingRunning',
          actions: [
            assign({ running: ({ event }) => event.output, startedAt: ({ context }) => context.input.now() }),
            ({ context }) => context.input.onRunning(context.running),
          ],
        },
        onError: {
          target: 'exited',
          actions: assign({ exitCode: 128, finishedAt: ({ context }) => context.input.now() }),
        },
      },
    },
    reportingRunning: {
      invoke: {
        src: 'report',
        input: ({ context }) => ({ input: context.input, status: runningStatus(context) }),
        onDone: 'running',
      },
    },
    running: {
      invoke: {
        src: 'waitForExit',
        input: ({ context }) => context.running!,
        onDone: {
          target: 'exited',
          actions: [
            assign({
              exitCode: ({ event }) => event.output,
              finishedAt: ({ context }) => context.input.now(),
            }),
            ({ context }) => context.input.onRunning(null),
          ],
        },
      },
    },
    exited: {
      always: [
        { guard: ({ context }) => restarts(context), target: 'reportingBackoff' },
        { target: 'reportingFinished' },
      ],
    },
    reportingBackoff: {
      entry: assign({ restartCount: ({ context }) => context.restartCount + 1 }),
      invoke: {
        src: 'report',
        input: ({ context }) => ({ input: context.input, status: backoffStatus(context) }),
        onDone: 'backingOff',
      },
    },
    backingOff: { after: { backoff: 'starting' } },
    reportingFinished: {
      invoke: {
        src: 'report',
        input: ({ context }) => ({ input: context.input, status: finishedStatus(context) }),
        onDone: 'finished',
      },
    },
    finished: { type: 'final' },
  },
})

function restartPolicy(pod: KubeObject): string {
  const spec = isObject(pod.spec) ? pod.spec : {}
  return typeof spec.restartPolicy === 'string' ? spec.restartPolicy : 'Always'
}

function restarts(context: Context): boolean {
  const policy = restartPolicy(context.input.pod)
  return policy === 'Always' || (policy === 'OnFailure' && context.exitCode !== 0)
}

function containerNames(pod: KubeObject): { name: string; image: string }[] {
  const spec = isObject(pod.spec) ? pod.spec : {}
  const containers = Array.isArray(spec.containers) ? spec.containers : []
  return containers
    .filter(isObject)
    .map((c) => ({ name: String(c.name ?? ''), image: String(c.image ?? '') }))
}

function conditions(context: Context, ready: boolean, now: string): Record<string, unknown>[] {
  const at = (status: boolean) => ({
    status: status ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: now,
  })
  return [
    { type: 'PodReadyToStartContainers', ...at(true) },
    { type: 'Initialized', ...at(true) },
    { type: 'Ready', ...at(ready) },
    { type: 'ContainersReady', ...at(ready) },
    { type: 'PodScheduled', ...at(true), lastTransitionTime: context.startedAt || now },
  ]
}

function base(context: Context): Record<string, unknown> {
  const { hostIp, podIp } = context.input
  return {
    hostIP: hostIp,
    hostIPs: [{ ip: hostIp }],
    podIP: podIp,
    podIPs: [{ ip: podIp }],
    startTime: context.startedAt,
    qosClass: 'BestEffort',
  }
}

/** Every container's status, alike (a hollow pod's containers live and die together). */
function containerStatuses(
  context: Context,
  fields: (name: string) => { ready: boolean; started: boolean; state: object; lastState?: object },
): Record<string, unknown>[] {
  const { pod, runtime } = context.input
  return containerNames(pod).map(({ name, image }) => ({
    name,
    image,
    imageID: '',
    containerID: `${runtime.name}://${pod.metadata.uid}-${name}`,
    restartCount: context.restartCount,
    ...fields(name),
  }))
}

function runningStatus(context: Context): Record<string, unknown> {
  const now = context.input.now()
  const ready = context.running?.ready ?? false
  return {
    ...base(context),
    phase: 'Running',
    conditions: conditions(context, ready, now),
    containerStatuses: containerStatuses(context, () => ({
      ready,
      started: true,
      state: { running: { startedAt: context.startedAt } },
    })),
  }
}

function terminated(context: Context): Record<string, unknown> {
  return {
    exitCode: context.exitCode,
    reason: context.exitCode === 0 ? 'Completed' : 'Error',
    startedAt: context.startedAt,
    finishedAt: context.finishedAt,
  }
}

function backoffStatus(context: Context): Record<string, unknown> {
  const now = context.input.now()
  const { pod, runtime } = context.input
  return {
    ...base(context),
    phase: 'Running',
    conditions: conditions(context, false, now),
    containerStatuses: containerNames(pod).map(({ name, image }) => ({
      name,
      image,
      imageID: '',
      containerID: `${runtime.name}://${pod.metadata.uid}-${name}`,
      ready: false,
      started: false,
      restartCount: context.restartCount,
      state: {
        waiting: { reason: 'CrashLoopBackOff', message: `back-off restarting failed container ${name}` },
      },
      lastState: { terminated: terminated(context) },
    })),
  }
}

function finishedStatus(context: Context): Record<string, unknown> {
  const now = context.input.now()
  const succeeded = context.exitCode === 0
  return {
    ...base(context),
    phase: succeeded ? 'Succeeded' : 'Failed',
    conditions: conditions(context, false, now).map((c) =>
      c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, reason: 'PodCompleted' } : c,
    ),
    containerStatuses: containerStatuses(context, () => ({
      ready: false,
      started: false,
      state: { terminated: terminated(context) },
    })),
  }
}
