// The kubelet's Pod actor (actors/pod-actor.ts) on a simulated clock, with a runtime the test
// drives: a pod is reported Running and Ready once started; a container that ends is restarted
// after a doubling backoff under restartPolicy Always (CrashLoopBackOff in between); under Never
// or OnFailure the pod ends Succeeded or Failed and the actor finishes.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createActor } from 'xstate'
import { SimulatedClock } from '../../actors/clock.ts'
import { type PodRuntime, podActorLogic, type RunningPod, restartBackoff } from '../../actors/pod-actor.ts'
import type { KubeObject } from '../../core/api/object.ts'

const test = suite('actors: pod actor')

interface Harness {
  reports: Record<string, unknown>[]
  starts: number
  /** Ends the containers started last with this exit code. */
  exit(code: number): void
  running: (RunningPod | null)[]
  settle(): Promise<void>
  clock: SimulatedClock
  actor: ReturnType<typeof createActor<typeof podActorLogic>>
}

function pod(restartPolicy: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'uid-p' },
    spec: { restartPolicy, containers: [{ name: 'c', image: 'busybox' }] },
  }
}

function harness(object: KubeObject, ready = true): Harness {
  const clock = new SimulatedClock(0)
  const reports: Record<string, unknown>[] = []
  const running: (RunningPod | null)[] = []
  let exitLast: ((code: number) => void) | undefined
  const h = {
    reports,
    starts: 0,
    running,
    clock,
    exit: (code: number) => exitLast?.(code),
    settle: async () => {
      for (let i = 0; i < 30; i++) await Promise.resolve()
    },
  } as Harness
  const runtime: PodRuntime = {
    name: 'test',
    start: async () => {
      h.starts++
      const { promise, resolve } = Promise.withResolvers<number>()
      exitLast = resolve
      return { ready, exited: promise, cpuMillis: () => 5, stop: async () => {} }
    },
  }
  h.actor = createActor(podActorLogic, {
    clock,
    input: {
      pod: object,
      runtime,
      report: async (status) => {
        reports.push(status)
      },
      hostIp: '127.0.0.1',
      podIp: '10.64.0.2',
      now: () =>
        new Date(Date.parse('2026-11-26T00:00:00Z') + clock.nowMs()).toISOString().replace(/\.\d+Z$/, 'Z'),
      onRunning: (r) => running.push(r),
    },
  })
  h.actor.start()
  return h
}

const phases = (h: Harness) => h.reports.map((r) => r.phase)
const readyOf = (r: Record<string, unknown>) =>
  (r.conditions as { type: string; status: string }[]).find((c) => c.type === 'Ready')?.status
const stateOf = (r: Record<string, unknown>) =>
  Object.keys((r.containerStatuses as { state: object }[])[0]!.state)[0]

test('a started pod is reported Running and Ready, with its IPs and container status', async () => {
  const h = harness(pod('Always'))
  await h.settle()
  assert.equal(phases(h), ['Running'])
  assert.is(readyOf(h.reports[0]!), 'True')
  assert.is(h.reports[0]!.podIP, '10.64.0.2')
  assert.is(stateOf(h.reports[0]!), 'running')
  assert.is(h.running.length, 1)
})

test('a pod told never to be ready is Running but not Ready', async () => {
  const h = harness(pod('Always'), false)
  await h.settle()
  assert.is(readyOf(h.reports[0]!), 'False')
})

test('under Always a container that ends is restarted after a doubling backoff', async () => {
  const h = harness(pod('Always'))
  await h.settle()
  h.exit(1)
  await h.settle()
  assert.is(stateOf(h.reports.at(-1)!), 'waiting', 'CrashLoopBackOff while it waits')
  assert.is((h.reports.at(-1)!.containerStatuses as { restartCount: number }[])[0]!.restartCount, 1)
  h.clock.advance(restartBackoff.initialMs - 1)
  await h.settle()
  assert.is(h.starts, 1, 'not before the backoff')
  h.clock.advance(1)
  await h.settle()
  assert.is(h.starts, 2)
  assert.is(stateOf(h.reports.at(-1)!), 'running')
  h.exit(0)
  await h.settle()
  h.clock.advance(restartBackoff.initialMs)
  await h.settle()
  assert.is(h.starts, 2, 'the second backoff is twice as long')
  h.clock.advance(restartBackoff.initialMs)
  await h.settle()
  assert.is(h.starts, 3)
})

test('under Never the pod ends Succeeded or Failed, and the actor finishes', async () => {
  for (const [code, phase] of [
    [0, 'Succeeded'],
    [3, 'Failed'],
  ] as const) {
    const h = harness(pod('Never'))
    await h.settle()
    h.exit(code)
    await h.settle()
    assert.is(phases(h).at(-1), phase)
    const terminated = (
      h.reports.at(-1)!.containerStatuses as { state: { terminated: { exitCode: number } } }[]
    )[0]!
    assert.is(terminated.state.terminated.exitCode, code)
    assert.is(h.actor.getSnapshot().status, 'done')
    assert.equal(h.running.at(-1), null, 'the kubelet is told the containers stopped')
  }
})

test('under OnFailure a failure restarts the container and a success ends the pod', async () => {
  const h = harness(pod('OnFailure'))
  await h.settle()
  h.exit(2)
  await h.settle()
  h.clock.advance(restartBackoff.initialMs)
  await h.settle()
  assert.is(h.starts, 2)
  h.exit(0)
  await h.settle()
  assert.is(phases(h).at(-1), 'Succeeded')
})

test.run()
