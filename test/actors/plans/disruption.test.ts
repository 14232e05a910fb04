// PodDisruptionBudgets (actors/plans/disruption.ts): the controller's status (expected pods from an
// integer or from the controllers' scales, healthy pods, allowed disruptions, the condition,
// evictions in flight), and evictions: when they may go, what they spend, Kubernetes' refusals,
// and — randomized, against the store — that evictions planned from the same state never
// overspend a budget.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  type ControllerScaleLookup,
  controllerScales,
  deletionTimeoutMs,
  evictionPlan,
  evictionRefusedMessage,
  multipleBudgetsMessage,
  planDisruptionBudget,
  podDisruptionBudgetsResource,
} from '../../../actors/plans/disruption.ts'
import { type Plan, podsResource, replicaSetsResource } from '../../../actors/plans/plan.ts'
import type { KubeObject } from '../../../core/api/object.ts'
import { type ApiCommand, type ApiResult, ObjectStore, type ResourceRef } from '../../../core/api/store.ts'
import { deepFreeze, mulberry32 } from './support.ts'

const test = suite('actors: disruption budget plans')

const namespace = 'default'
const t0 = Date.parse('2026-01-01T00:00:00Z')
const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString().replace('.000Z', 'Z')

function budget(
  spec: Record<string, unknown>,
  status?: Record<string, unknown>,
  name = 'web-pdb',
): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace, uid: `uid-${name}`, resourceVersion: '9', generation: 2 },
    spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
    ...(status ? { status } : {}),
  }
}

interface PodShape {
  ready?: boolean
  phase?: string
  owner?: string | null
  labels?: Record<string, string>
  deleting?: boolean
}

function pod(name: string, shape: PodShape = {}): KubeObject {
  const owner = shape.owner === undefined ? 'rs-1' : shape.owner
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      uid: `uid-${name}`,
      resourceVersion: '5',
      labels: shape.labels ?? { app: 'web' },
      ...(owner === null
        ? {}
        : {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'ReplicaSet',
                name: owner,
                uid: `uid-${owner}`,
                controller: true,
              },
            ],
          }),
      ...(shape.deleting ? { deletionTimestamp: at(0), finalizers: ['f'] } : {}),
    },
    spec: { containers: [{ name: 'web', image: 'web:1' }] },
    status: {
      phase: shape.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: shape.ready === false ? 'False' : 'True' }],
    },
  }
}

function workload(
  kind: 'Deployment' | 'ReplicaSet',
  name: string,
  replicas: number,
  owner?: string,
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: {
      name,
      namespace,
      uid: `uid-${name}`,
      ...(owner
        ? {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                name: owner,
                uid: `uid-${owner}`,
                controller: true,
              },
            ],
          }
        : {}),
    },
    spec: { replicas },
  }
}

const noControllers: ControllerScaleLookup = () => undefined

function plan(pdb: KubeObject, pods: KubeObject[], now = at(100), controllers = noControllers): Plan {
  return planDisruptionBudget({ pdb: deepFreeze(pdb), pods: deepFreeze(pods), controllers, now })
}

const statusOf = (p: Plan) =>
  (p.commands.find((c) => c.op === 'update') as Extract<ApiCommand, { op: 'update' }> | undefined)?.object
    .status as Record<string, unknown> | undefined

test('minAvailable as a number: expected pods are the matching pods, healthy the ready ones', () => {
  const pods = [
    pod('a'),
    pod('b'),
    pod('c', { ready: false }),
    pod('d', { deleting: true }),
    pod('other', { labels: { app: 'db' } }),
  ]
  const p = plan(budget({ minAvailable: 1 }), pods)
  const update = p.commands[0] as Extract<ApiCommand, { op: 'update' }>
  assert.is(update.subresource, 'status')
  assert.is(update.resource, podDisruptionBudgetsResource)
  assert.equal(update.expected, { resourceVersion: '9', uid: 'uid-web-pdb' })
  assert.equal(statusOf(p), {
    observedGeneration: 2,
    disruptionsAllowed: 1,
    currentHealthy: 2,
    desiredHealthy: 1,
    expectedPods: 4,
    conditions: [
      {
        type: 'DisruptionAllowed',
        status: 'True',
        reason: 'SufficientPods',
        message: '',
        observedGeneration: 2,
        lastTransitionTime: at(100),
      },
    ],
  })
  // Planned again from what it wrote: nothing to do.
  assert.equal(plan({ ...budget({ minAvailable: 1 }), status: statusOf(p) }, pods).commands, [])
})

test('percentages and maxUnavailable count the replicas of the controllers, each once', () => {
  const workloads = [
    workload('Deployment', 'web', 4),
    workload('ReplicaSet', 'rs-1', 3, 'web'),
    workload('ReplicaSet', 'rs-2', 1, 'web'),
    workload('ReplicaSet', 'solo', 2),
  ]
  const lookup = controllerScales(deepFreeze(workloads))
  const pods = [
    pod('a'),
    pod('b', { owner: 'rs-2' }),
    pod('c', { owner: 'solo' }),
    pod('d', { ready: false }),
  ]
  // The Deployment's 4 and the lone ReplicaSet's 2.
  const max = statusOf(plan(budget({ maxUnavailable: '50%' }), pods, at(100), lookup))
  assert.equal(
    [max?.expectedPods, max?.desiredHealthy, max?.currentHealthy, max?.disruptionsAllowed],
    [6, 3, 3, 0],
  )
  const min = statusOf(plan(budget({ minAvailable: '30%' }), pods, at(100), lookup))
  assert.equal(
    [min?.expectedPods, min?.desiredHealthy, min?.disruptionsAllowed],
    [6, 2, 1],
    '30% of 6 rounds up',
  )
  const one = statusOf(plan(budget({ maxUnavailable: 1 }), pods, at(100), lookup))
  assert.equal([one?.desiredHealthy, one?.disruptionsAllowed], [5, 0])
})

test('no pods: nothing may be disrupted, and the budget says why', () => {
  const p = plan(budget({ minAvailable: 0 }), [])
  assert.equal(statusOf(p)?.disruptionsAllowed, 0)
  assert.equal(((statusOf(p)?.conditions ?? []) as { reason: string }[])[0]?.reason, 'InsufficientPods')
  assert.equal(
    p.events.map((e) => [e.type, e.reason, e.message]),
    [['Normal', 'NoPods', 'No matching pods found']],
  )
})

test('a pod without a controller is counted but warned about; one whose controller is unknown fails safe', () => {
  const lookup = controllerScales([workload('ReplicaSet', 'rs-1', 2)])
  const unmanaged = plan(
    budget({ maxUnavailable: 1 }),
    [pod('a'), pod('b'), pod('c', { owner: null })],
    at(100),
    lookup,
  )
  assert.is(statusOf(unmanaged)?.expectedPods, 2)
  assert.equal(
    unmanaged.events.map((e) => [e.type, e.reason]),
    [['Warning', 'UnmanagedPods']],
  )
  const previous = {
    disruptionsAllowed: 3,
    currentHealthy: 4,
    desiredHealthy: 1,
    expectedPods: 4,
    observedGeneration: 1,
  }
  const failed = plan(budget({ maxUnavailable: 1 }, previous), [pod('a', { owner: 'gone' })], at(100), lookup)
  assert.equal(statusOf(failed), {
    ...previous,
    disruptionsAllowed: 0,
    conditions: [
      {
        type: 'DisruptionAllowed',
        status: 'False',
        reason: 'SyncFailed',
        message: 'found no controllers for pod "a"',
        observedGeneration: 1,
        lastTransitionTime: at(100),
      },
    ],
  })
  assert.equal(
    failed.events.map((e) => [e.type, e.reason, e.message]),
    [
      [
        'Warning',
        'CalculateExpectedPodCountFailed',
        'Failed to calculate the number of expected pods: found no controllers for pod "a"',
      ],
    ],
  )
})

test('an evicted pod is not healthy until two minutes pass; then it is dropped from the map', () => {
  const status = { disruptedPods: { a: at(50), gone: at(90), late: at(-30) } }
  const pods = [pod('a'), pod('b'), pod('late')]
  const p = plan(budget({ minAvailable: 1 }, status), pods, at(100))
  assert.equal(statusOf(p)?.disruptedPods, { a: at(50) })
  assert.is(statusOf(p)?.currentHealthy, 2)
  assert.is(p.recheckAt, at(50 + deletionTimeoutMs / 1000))
  const later = plan(budget({ minAvailable: 1 }, statusOf(p)), pods, at(170))
  assert.is(statusOf(later)?.disruptedPods, undefined)
  assert.is(statusOf(later)?.currentHealthy, 3)
  assert.is(later.recheckAt, undefined)
})

// --- evictions ----------------------------------------------------------------------------------

const settled = (allowed: number, extra: Record<string, unknown> = {}) => ({
  observedGeneration: 2,
  disruptionsAllowed: allowed,
  currentHealthy: 3,
  desiredHealthy: 2,
  expectedPods: 3,
  conditions: [
    {
      type: 'DisruptionAllowed',
      status: allowed > 0 ? 'True' : 'False',
      reason: 'x',
      lastTransitionTime: at(1),
    },
  ],
  ...extra,
})

const evict = (target: KubeObject, pdbs: KubeObject[], now = at(100)) =>
  evictionPlan({ pod: deepFreeze(target), pdbs: deepFreeze(pdbs), now })

test('an eviction spends a disruption: the budget is decremented, preconditioned, and the pod deleted', () => {
  const result = evict(pod('a'), [budget({ minAvailable: 2 }, settled(1, { disruptedPods: { z: at(99) } }))])
  assert.ok(result.allowed)
  if (!result.allowed) return
  const [update, del] = result.commands as [
    Extract<ApiCommand, { op: 'update' }>,
    Extract<ApiCommand, { op: 'delete' }>,
  ]
  assert.is(update.op, 'update')
  assert.is(update.subresource, 'status')
  assert.equal(update.expected, { resourceVersion: '9', uid: 'uid-web-pdb' })
  const status = update.object.status as Record<string, unknown>
  assert.is(status.disruptionsAllowed, 0)
  assert.equal(status.disruptedPods, { z: at(99), a: at(100) })
  assert.equal((status.conditions as Record<string, unknown>[])[0], {
    type: 'DisruptionAllowed',
    status: 'False',
    reason: 'InsufficientPods',
    message: '',
    observedGeneration: 2,
    lastTransitionTime: at(100),
  })
  assert.equal([del.op, del.name, del.expected], ['delete', 'a', { resourceVersion: '5', uid: 'uid-a' }])
})

test('refusals, in Kubernetes words', () => {
  const none = evict(pod('a'), [budget({ minAvailable: 3 }, settled(0))])
  assert.equal(none, {
    allowed: false,
    code: 429,
    message: evictionRefusedMessage,
    cause: {
      type: 'DisruptionBudget',
      message: 'The disruption budget web-pdb needs 2 healthy pods and has 3 currently',
    },
  })
  assert.is(evictionRefusedMessage, "Cannot evict pod as it would violate the pod's disruption budget.")
  const lagging = evict(pod('a'), [budget({ minAvailable: 1 }, settled(2, { observedGeneration: 1 }))])
  assert.equal(lagging, {
    allowed: false,
    code: 429,
    message:
      "Cannot evict pod as it would violate the pod's disruption budget. The disruption budget web-pdb is still being processed by the server.",
    cause: {
      type: 'DisruptionBudget',
      message: 'The disruption budget web-pdb is still being processed by the server.',
    },
  })
  const two = evict(pod('a'), [
    budget({ minAvailable: 1 }, settled(2)),
    budget({ minAvailable: 1 }, settled(2), 'second'),
  ])
  assert.equal(two, { allowed: false, code: 500, message: multipleBudgetsMessage })
  assert.is(
    multipleBudgetsMessage,
    'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
  )
  const negative = evict(pod('a'), [budget({ minAvailable: 1 }, settled(-1))])
  assert.equal([negative.allowed, (negative as { code: number }).code], [false, 403])
})

test('finished, pending and terminating pods go without spending the budget', () => {
  const pdbs = [budget({ minAvailable: 3 }, settled(0))]
  for (const shape of [
    { phase: 'Succeeded' },
    { phase: 'Failed' },
    { phase: 'Pending' },
    { deleting: true },
  ]) {
    const result = evict(pod('a', shape), pdbs)
    assert.ok(result.allowed, JSON.stringify(shape))
    assert.equal(result.allowed && result.commands.map((c) => c.op), ['delete'])
  }
  // With no budget (or only one with an empty selector), a pod simply goes.
  assert.ok(evict(pod('a'), []).allowed)
  assert.ok(evict(pod('a'), [budget({ minAvailable: 3, selector: {} }, settled(0))]).allowed)
})

test('an unready pod goes free when the budget is met, or always with AlwaysAllow', () => {
  const met = evict(pod('a', { ready: false }), [budget({ minAvailable: 2 }, settled(0))])
  assert.equal(met.allowed && met.commands.map((c) => c.op), ['delete'])
  const short = settled(0, { currentHealthy: 1 })
  assert.is(evict(pod('a', { ready: false }), [budget({ minAvailable: 2 }, short)]).allowed, false)
  const always = evict(pod('a', { ready: false }), [
    budget({ minAvailable: 2, unhealthyPodEvictionPolicy: 'AlwaysAllow' }, short),
  ])
  assert.equal(always.allowed && always.commands.map((c) => c.op), ['delete'])
})

// --- against the store ------------------------------------------------------------------------

class Store {
  readonly objects = new ObjectStore()
  #index = 1
  constructor() {
    this.apply([
      {
        op: 'create',
        resource: { group: '', plural: 'namespaces', kind: 'Namespace', namespaced: false, hasStatus: true },
        object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, uid: 'ns' } },
      },
    ])
  }
  apply(commands: readonly ApiCommand[]): ApiResult {
    return this.objects.apply(this.#index++, { op: 'batch', commands, atomic: true }).result
  }
  create(resource: ResourceRef, o: KubeObject): void {
    const { resourceVersion: _rv, generation: _g, ...metadata } = o.metadata
    assert.ok(this.apply([{ op: 'create', resource, object: { ...o, metadata } }]).ok)
  }
  pdb = () => this.objects.get(podDisruptionBudgetsResource, namespace, 'web-pdb')!
  pods = () => this.objects.list(podsResource, namespace)
  sync(now: string, lookup = noControllers): Plan {
    const p = planDisruptionBudget({ pdb: this.pdb(), pods: this.pods(), controllers: lookup, now })
    if (p.commands.length > 0) assert.ok(this.apply(p.commands).ok)
    return p
  }
}

test('in the store: two evictions planned from the same budget — only the first applies', () => {
  const store = new Store()
  store.create(podDisruptionBudgetsResource, budget({ minAvailable: 2 }))
  for (const name of ['a', 'b', 'c']) store.create(podsResource, pod(name))
  store.sync(at(1))
  assert.equal(store.sync(at(1)).commands, [], 'converged')
  assert.is((store.pdb().status as { disruptionsAllowed: number }).disruptionsAllowed, 1)
  const [first, second] = ['a', 'b'].map((name) =>
    evictionPlan({
      pod: store.pods().find((p) => p.metadata.name === name)!,
      pdbs: [store.pdb()],
      now: at(2),
    }),
  )
  assert.ok(first?.allowed && second?.allowed, 'both planned from a budget allowing one')
  assert.ok(store.apply((first as { commands: ApiCommand[] }).commands).ok)
  const refused = store.apply((second as { commands: ApiCommand[] }).commands)
  assert.equal([refused.ok, (refused as { code: number }).code], [false, 409])
  assert.equal(
    store.pods().map((p) => p.metadata.name),
    ['b', 'c'],
  )
  assert.is((store.pdb().status as { disruptionsAllowed: number }).disruptionsAllowed, 0)
  // Planned again from the new state, the second is refused outright.
  const again = evictionPlan({ pod: store.pods()[0]!, pdbs: [store.pdb()], now: at(3) })
  assert.equal([again.allowed, (again as { code: number }).code], [false, 429])
  // The controller sees the pod gone and recounts.
  store.sync(at(4))
  const status = store.pdb().status as Record<string, unknown>
  assert.equal([status.currentHealthy, status.disruptionsAllowed, status.disruptedPods], [2, 0, undefined])
})

// --- randomized ---------------------------------------------------------------------------------

const seed = process.env.SEED === undefined ? Date.now() % 1_000_000_007 : Number(process.env.SEED)

test('randomized: evictions never overspend a budget, however they interleave', () => {
  const random = mulberry32(seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  try {
    for (let run = 0; run < 30; run++) {
      const store = new Store()
      const replicas = 2 + Math.floor(random() * 6)
      store.create(replicaSetsResource, workload('ReplicaSet', 'rs-1', replicas))
      const spec =
        random() < 0.5
          ? { minAvailable: Math.floor(random() * replicas) }
          : { maxUnavailable: 1 + Math.floor(random() * 2) }
      store.create(podDisruptionBudgetsResource, budget(spec))
      const lookup = () => controllerScales(store.objects.list(replicaSetsResource, namespace))
      let made = 0
      const addPod = (ready: boolean) =>
        store.create(
          podsResource,
          pod(`p${made++}`, { ready, phase: ready ? 'Running' : pick(['Pending', 'Running']) }),
        )
      for (let i = 0; i < replicas; i++) addPod(random() < 0.8)
      const readyCount = () =>
        store
          .pods()
          .filter((p) => (p.status as { conditions: { status: string }[] }).conditions[0]?.status === 'True')
          .length
      // Between the controller's counts, pods only become ready or are evicted here.
      let counted: { ready: number; desired: number } | undefined
      let second = 1
      for (let step = 0; step < 40; step++) {
        const now = at(second++)
        const roll = random()
        if (roll < 0.3) {
          store.sync(now, lookup())
          const status = store.pdb().status as { desiredHealthy: number }
          counted = { ready: readyCount(), desired: status.desiredHealthy }
        } else if (roll < 0.7) {
          // Several evictions planned from the same state, then applied one after another.
          const pdb = store.pdb()
          const plans = store
            .pods()
            .filter(() => random() < 0.5)
            .map((p) => evictionPlan({ pod: p, pdbs: [pdb], now }))
          for (const planned of plans) {
            if (!planned.allowed) continue
            store.apply(planned.commands)
            const status = store.pdb().status as { disruptionsAllowed?: number } | undefined
            assert.ok((status?.disruptionsAllowed ?? 0) >= 0, 'disruptionsAllowed stays non-negative')
          }
        } else if (roll < 0.85) {
          // The ReplicaSet replaces a pod.
          if (store.pods().length < replicas) addPod(random() < 0.5)
        } else {
          const target = store
            .pods()
            .find((p) => (p.status as { conditions: { status: string }[] }).conditions[0]?.status !== 'True')
          if (target) {
            const ready = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }
            store.apply([
              {
                op: 'update',
                resource: podsResource,
                object: { ...target, status: ready },
                subresource: 'status',
                now,
              },
            ])
          }
        }
        // The budget's promise: evictions never take the ready pods below what it holds them to
        // (or below what there were, if there were fewer) as of the controller's last count.
        if (counted !== undefined) {
          const floor = Math.min(counted.ready, counted.desired)
          assert.ok(readyCount() >= floor, `${readyCount()} ready pods, below ${floor}`)
        }
      }
    }
  } catch (error) {
    console.error(`disruption randomized test failed: reproduce with SEED=${seed}`)
    throw error
  }
})

test.run()
