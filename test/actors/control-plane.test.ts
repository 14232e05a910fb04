// The control plane (actors/control-plane.ts) on a simulated clock against a real ObjectStore:
// per-object actors come and go with their objects, plans converge, a crashed controller is
// restarted and reported, a plan planned from a stale state is refused whole, a proposal that
// fails is retried, and stop() ends every round.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { SimulatedClock } from '../../actors/clock.ts'
import {
  ControlPlane,
  type ControlPlanePorts,
  objectActorsPerTurnMax,
  planSliceMs,
  proposeRetryMs,
} from '../../actors/control-plane.ts'
import { controllers } from '../../actors/controllers.ts'
import { formatTime, podsResource, replicaSetsResource, similarEventsMax } from '../../actors/plans/plan.ts'
import type { KubeObject } from '../../core/api/object.ts'
import { type ApiCommand, type ApiResult, ObjectStore, type ResourceRef } from '../../core/api/store.ts'

const test = suite('actors: control plane')

const namespaces: ResourceRef = {
  group: '',
  plural: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
  hasStatus: true,
}
const epochMs = Date.parse('2026-11-26T00:00:00Z')

interface Harness {
  clock: SimulatedClock
  store: ObjectStore
  plane: ControlPlane
  proposals: ApiCommand[]
  logs: string[]
  /** Proposals fail (as when the leadership moves) while this is set. */
  failing: { on: boolean }
  /** Proposals wait (as in a slow log) while `held`; `release()` lets them through. */
  gate: { held: boolean; release(): void }
  results: ApiResult[]
  apply(command: ApiCommand): ApiResult
  /** Lets time pass in steps, settling the promises between them. */
  run(ms: number): Promise<void>
  /** Plans made so far. */
  plans: { made: number }
}

/** `planCostMs`: each plan takes this long on the clock the plane sees, as real planning does. */
function harness(options: { planCostMs?: number } = {}): Harness {
  const clock = new SimulatedClock(0)
  const plans = { made: 0 }
  let workedMs = 0
  const planeClock = {
    nowMs: () => clock.nowMs() + workedMs,
    setTimeout: (callback: () => void, delayMs: number) => clock.setTimeout(callback, delayMs),
    clearTimeout: (handle: unknown) => clock.clearTimeout(handle),
  }
  const store = new ObjectStore()
  let index = 1
  const proposals: ApiCommand[] = []
  const logs: string[] = []
  const failing = { on: false }
  const waiting: (() => void)[] = []
  const gate = {
    held: false,
    release() {
      gate.held = false
      for (const go of waiting.splice(0)) go()
    },
  }
  const results: ApiResult[] = []
  let plane: ControlPlane | undefined
  const apply = (command: ApiCommand) => {
    const { result, changes } = store.apply(++index, command)
    plane?.notify(changes)
    return result
  }
  apply({
    op: 'create',
    resource: namespaces,
    object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', uid: 'ns' } },
  })
  let uid = 0
  const ports: ControlPlanePorts = {
    clock: planeClock,
    objects: () => store,
    version: () => index,
    propose: async (command) => {
      proposals.push(command)
      if (gate.held) await new Promise<void>((go) => waiting.push(go))
      await Promise.resolve()
      if (failing.on) throw new Error('not the leader')
      const result = apply(command)
      results.push(result)
      return result
    },
    fixed: () => {
      plans.made++
      workedMs += options.planCostMs ?? 0
      return {
        now: formatTime(epochMs + clock.nowMs()),
        newUid: () => `uid-${++uid}`,
        newName: (prefix) => `${prefix}${++uid}`,
      }
    },
    nodeName: 'n1',
    logger: {
      info: (_f, m) => logs.push(`info ${m}`),
      warn: (_f, m) => logs.push(`warn ${m}`),
      error: (_f, m) => logs.push(`error ${m}`),
    },
  }
  plane = new ControlPlane(
    ports,
    controllers({
      nodeSilentMs: () => 0,
      settings: () => ({ nodeNotReadyGraceMs: 10_000, evictionTimeoutMs: 5_000 }),
      podCpuMillis: () => undefined,
      schedulingStrategy: 'binpack',
    }),
  )
  const run = async (ms: number) => {
    for (let t = 0; t < ms; t += 10) {
      clock.advance(10)
      for (let i = 0; i < 20; i++) await Promise.resolve()
    }
  }
  return { clock, store, plane: plane!, proposals, logs, failing, gate, results, apply, run, plans }
}

function replicaSet(name: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: 'default',
      uid: `rs-${name}`,
      creationTimestamp: formatTime(epochMs),
      generation: 1,
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      },
    },
  }
}

const podsOf = (h: Harness, name: string) =>
  h.store.list(podsResource, 'default').filter((p) => p.metadata.labels?.app === name)

test('a ReplicaSet created while the plane runs gets its pods; a deleted pod is replaced', async () => {
  const h = harness()
  h.plane.start()
  h.apply({ op: 'create', resource: replicaSetsResource, object: replicaSet('web', 3) })
  await h.run(200)
  assert.is(podsOf(h, 'web').length, 3)
  assert.ok(h.plane.paths().includes('replicasets/default/web'), h.plane.paths().join(','))
  const victim = podsOf(h, 'web')[0]!
  h.apply({
    op: 'delete',
    resource: podsResource,
    namespace: 'default',
    name: victim.metadata.name!,
    propagation: 'Background',
    now: formatTime(epochMs),
  })
  h.plane.notify()
  await h.run(200)
  const after = podsOf(h, 'web')
  assert.is(after.length, 3)
  assert.not.ok(after.some((p) => p.metadata.uid === victim.metadata.uid))
  h.plane.stop()
})

test('events alike but for their message are combined past ten, as client-go does', async () => {
  const h = harness()
  h.apply({ op: 'create', resource: replicaSetsResource, object: replicaSet('many', 30) })
  h.plane.start()
  await h.run(200)
  assert.is(podsOf(h, 'many').length, 30)
  const events = h.store
    .list({ group: '', plural: 'events' }, 'default')
    .filter((e) => e.reason === 'SuccessfulCreate' && (e.involvedObject as { name: string }).name === 'many')
  assert.is(events.length, similarEventsMax + 1)
  const combined = events.filter((e) =>
    String(e.message).startsWith('(combined from similar events): Created pod: many-'),
  )
  assert.is(combined.length, 1)
  assert.is(combined[0]!.count, 30 - similarEventsMax)
  assert.is(
    events.reduce((sum, e) => sum + Number(e.count), 0),
    30,
    'every creation is counted',
  )
  h.plane.stop()
})

test('the actor of a deleted object stops; the actor of a new one starts', async () => {
  const h = harness()
  h.apply({ op: 'create', resource: replicaSetsResource, object: replicaSet('a', 1) })
  h.plane.start()
  await h.run(100)
  assert.ok(h.plane.paths().includes('replicasets/default/a'))
  h.apply({
    op: 'delete',
    resource: replicaSetsResource,
    namespace: 'default',
    name: 'a',
    propagation: 'Background',
    now: formatTime(epochMs),
  })
  h.apply({ op: 'create', resource: replicaSetsResource, object: replicaSet('b', 1) })
  h.plane.notify()
  await h.run(100)
  assert.not.ok(h.plane.paths().includes('replicasets/default/a'))
  assert.ok(h.plane.paths().includes('replicasets/default/b'))
  assert.is(podsOf(h, 'a').length, 0, 'the cascade took the pods of a')
  assert.is(podsOf(h, 'b').length, 1)
  h.plane.stop()
})

test('a crashed controller is restarted, reported as Events, and converges on what changed meanwhile', async () => {
  const h = harness()
  h.apply({ op: 'create', resource: replicaSetsResource, object: replicaSet('web', 2) })
  h.plane.start()
  await h.run(100)
  assert.is(podsOf(h, 'web').length, 2)
  assert.ok(h.plane.crash('replicasets/default/web', 'test crash'))
  const current = h.store.get(replicaSetsResource, 'default', 'web')!
  h.apply({
    op: 'update',
    resource: replicaSetsResource,
    object: { ...current, spec: { ...(current.spec as object), replicas: 4 } },
    subresource: null,
    now: formatTime(epochMs),
  })
  await h.run(1_000)
  assert.is(podsOf(h, 'web').length, 4)
  const reasons = h.store.list({ group: '', plural: 'events' }, 'default').map((e) => e.reason)
  assert.ok(reasons.includes('ControllerCrashed'), reasons.join(','))
  assert.ok(reasons.includes('ControllerRestarted'), reasons.join(','))
  assert.ok(h.logs.some((l) => l.startsWith('error controller crashed')))
  assert.not.ok(h.plane.crash('replicasets/default/nothing'), 'an unknown path is not found')
  h.plane.stop()
})

test('a plan made from a state that moved on is refused whole: no pod is doubled', async () => {
  const h = harness()
  h.apply({ op: 'create', resource: replicaSetsResource, object: replicaSet('web', 2) })
  // The plane's first plan (two creates) waits in the log while a user scales the ReplicaSet down.
  h.gate.held = true
  h.plane.start()
  await h.run(50)
  assert.is(h.proposals.length, 1)
  const current = h.store.get(replicaSetsResource, 'default', 'web')!
  h.apply({
    op: 'update',
    resource: replicaSetsResource,
    object: { ...current, spec: { ...(current.spec as object), replicas: 1 } },
    subresource: null,
    now: formatTime(epochMs),
  })
  h.plane.notify()
  h.gate.release()
  await h.run(300)
  assert.is(h.results[0]?.ok, false, 'the stale plan was refused')
  assert.is(podsOf(h, 'web').length, 1, 'the plan for 2 pods was refused whole; the next one made 1')
  h.plane.stop()
})

test('plans take turns: a burst of them lets the event loop turn every planSliceMs', async () => {
  const h = harness({ planCostMs: 4 })
  for (let i = 0; i < 40; i++) {
    h.apply({ op: 'create', resource: replicaSetsResource, object: replicaSet(`rs-${i}`, 1) })
  }
  h.plane.start()
  for (let i = 0; i < 200; i++) await Promise.resolve()
  const firstSlice = h.plans.made
  assert.ok(firstSlice >= 1, 'the first slice plans')
  assert.ok(firstSlice < 40, 'not every plan ran before the event loop could turn')
  assert.ok(
    firstSlice <= Math.ceil(planSliceMs / 4) + 1,
    `${firstSlice} plans of 4 ms each ran before the event loop could turn`,
  )
  await h.run(2_000)
  for (let i = 0; i < 40; i++) assert.is(podsOf(h, `rs-${i}`).length, 1, `rs-${i} has its pod`)
  h.plane.stop()
})

test('a new leader with many objects starts their actors a hundred per turn of the event loop', async () => {
  const h = harness()
  const count = objectActorsPerTurnMax * 2 + 50
  for (let i = 0; i < count; i++) {
    h.apply({ op: 'create', resource: replicaSetsResource, object: replicaSet(`rs-${i}`, 0) })
  }
  h.plane.start()
  const perObject = () => h.plane.paths().filter((path) => path.startsWith('replicasets/')).length
  assert.is(perObject(), objectActorsPerTurnMax, 'the first turn starts a hundred')
  await h.run(50)
  assert.is(perObject(), count, 'the next turns start the rest')
  h.plane.stop()
})

test('a tree stopped while its rounds hold turns leaves every turn to the next tree', async () => {
  const h = harness({ planCostMs: 4 })
  for (let i = 0; i < 20; i++) {
    h.apply({ op: 'create', resource: replicaSetsResource, object: replicaSet(`rs-${i}`, 1) })
  }
  h.gate.held = true
  h.plane.start()
  await h.run(200)
  // Every turn is taken by a held proposal; the rest wait. Letting the held ones through hands
  // the turns on to rounds that must plan again (the state moved), and the tree stops right then.
  h.gate.release()
  for (let i = 0; i < 20; i++) await Promise.resolve()
  h.plane.stop()
  h.plane.start()
  await h.run(3_000)
  for (let i = 0; i < 20; i++) assert.is(podsOf(h, `rs-${i}`).length, 1, `rs-${i} has its pod`)
  h.plane.stop()
})

test('a proposal that fails (leadership moving) is retried; stop() ends every round', async () => {
  const h = harness()
  h.failing.on = true
  h.apply({ op: 'create', resource: replicaSetsResource, object: replicaSet('web', 1) })
  h.plane.start()
  await h.run(100)
  assert.is(podsOf(h, 'web').length, 0)
  assert.ok(h.logs.some((l) => l.includes('not applied; retrying')))
  h.failing.on = false
  await h.run(proposeRetryMs + 100)
  assert.is(podsOf(h, 'web').length, 1)
  h.plane.stop()
  assert.not.ok(h.plane.running)
  const before = h.proposals.length
  h.apply({ op: 'create', resource: replicaSetsResource, object: replicaSet('later', 1) })
  h.plane.notify()
  await h.run(2_000)
  assert.is(h.proposals.length, before, 'nothing is proposed after stop')
})

test.run()
