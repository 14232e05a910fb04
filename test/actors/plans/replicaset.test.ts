// The ReplicaSet plan (actors/plans/replicaset.ts): pods made from the template, claiming (adopt,
// release), which surplus pods go first, the status and its minReadySeconds, and that the store
// refuses a plan made from a state that has moved on.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { eventCommand, type Plan, podsResource, replicaSetsResource } from '../../../actors/plans/plan.ts'
import { planReplicaSet, type ReplicaSetPlanInput } from '../../../actors/plans/replicaset.ts'
import type { KubeObject } from '../../../core/api/object.ts'
import { type ApiCommand, type ApiResult, ObjectStore } from '../../../core/api/store.ts'
import { deepFreeze } from './support.ts'

const test = suite('actors: replicaset plan')

const namespace = 'default'
const t0 = Date.parse('2026-01-01T00:00:00Z')
const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString().replace('.000Z', 'Z')

function replicaSet(
  replicas: number,
  extra: { minReadySeconds?: number; deleting?: boolean } = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: 'web-abc',
      namespace,
      uid: 'rs-uid',
      resourceVersion: '10',
      generation: 2,
      creationTimestamp: at(0),
      labels: { app: 'web' },
      ...(extra.deleting ? { deletionTimestamp: at(0), finalizers: ['foregroundDeletion'] } : {}),
    },
    spec: {
      replicas,
      ...(extra.minReadySeconds ? { minReadySeconds: extra.minReadySeconds } : {}),
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web', tier: 'front' }, annotations: { note: 'kept' } },
        spec: { containers: [{ name: 'web', image: 'web:1' }] },
      },
    },
    status: { replicas: 0 },
  }
}

interface PodShape {
  owner?: string | null
  labels?: Record<string, string>
  node?: string
  phase?: string
  readySince?: number
  created?: number
  cost?: number
  restarts?: number
  deleting?: boolean
}

function pod(name: string, shape: PodShape = {}): KubeObject {
  const owner = shape.owner === undefined ? 'rs-uid' : shape.owner
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      uid: `uid-${name}`,
      resourceVersion: '5',
      creationTimestamp: at(shape.created ?? 0),
      labels: shape.labels ?? { app: 'web', tier: 'front' },
      ...(shape.cost === undefined
        ? {}
        : { annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(shape.cost) } }),
      ...(owner === null
        ? {}
        : {
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid: owner, controller: true },
            ],
          }),
      ...(shape.deleting ? { deletionTimestamp: at(0), finalizers: ['f'] } : {}),
    },
    spec: { ...(shape.node ? { nodeName: shape.node } : {}), containers: [{ name: 'web', image: 'web:1' }] },
    status: {
      phase: shape.phase ?? 'Running',
      conditions:
        shape.readySince === undefined
          ? [{ type: 'Ready', status: 'False' }]
          : [{ type: 'Ready', status: 'True', lastTransitionTime: at(shape.readySince) }],
      ...(shape.restarts ? { containerStatuses: [{ name: 'web', restartCount: shape.restarts }] } : {}),
    },
  }
}

function plan(rs: KubeObject, pods: KubeObject[], now = at(100), extra: Partial<ReplicaSetPlanInput> = {}) {
  let uid = 0
  let name = 0
  return planReplicaSet({
    replicaSet: deepFreeze(rs),
    pods: deepFreeze(pods),
    now,
    newUid: () => `new-uid-${++uid}`,
    newName: (prefix) => `${prefix}n${++name}`,
    ...extra,
  })
}

const ops = (p: Plan, op: ApiCommand['op']) => p.commands.filter((c) => c.op === op)
const created = (p: Plan) => ops(p, 'create').map((c) => (c as { object: KubeObject }).object)
const deletedNames = (p: Plan) => ops(p, 'delete').map((c) => (c as { name: string }).name)
const podUpdates = (p: Plan) =>
  ops(p, 'update')
    .map((c) => c as Extract<ApiCommand, { op: 'update' }>)
    .filter((c) => c.resource.plural === 'pods')
const statusOf = (p: Plan) =>
  ops(p, 'update')
    .map((c) => c as Extract<ApiCommand, { op: 'update' }>)
    .find((c) => c.subresource === 'status')?.object.status as Record<string, unknown> | undefined

test('creates the missing pods from the template, owned by the ReplicaSet as its controller', () => {
  const p = plan(replicaSet(3), [pod('web-abc-1', { readySince: 0 })])
  const pods = created(p)
  assert.is(pods.length, 2)
  for (const made of pods) {
    assert.is(made.metadata.generateName, 'web-abc-')
    assert.ok(made.metadata.name?.startsWith('web-abc-'))
    assert.is(made.metadata.namespace, namespace)
    assert.equal(made.metadata.labels, { app: 'web', tier: 'front' })
    assert.equal(made.metadata.annotations, { note: 'kept' })
    assert.is(made.metadata.creationTimestamp, at(100))
    assert.equal(made.metadata.ownerReferences, [
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: 'web-abc',
        uid: 'rs-uid',
        controller: true,
        blockOwnerDeletion: true,
      },
    ])
    assert.is((made.status as { phase: string }).phase, 'Pending', 'created as the API server defaults it')
    assert.is((made.spec as { restartPolicy: string }).restartPolicy, 'Always')
  }
  assert.not.equal(pods[0]!.metadata.uid, pods[1]!.metadata.uid)
  assert.equal(
    p.events.map((e) => [e.reason, e.message]),
    pods.map((made) => ['SuccessfulCreate', `Created pod: ${made.metadata.name}`]),
  )
  // The status counts what exists now; the new pods are counted once they do.
  assert.equal(statusOf(p), {
    replicas: 1,
    fullyLabeledReplicas: 1,
    readyReplicas: 1,
    availableReplicas: 1,
    observedGeneration: 2,
  })
})

test('finished and terminating pods do not count; they are replaced, not deleted', () => {
  const pods = [
    pod('a', { phase: 'Succeeded' }),
    pod('b', { phase: 'Failed' }),
    pod('c', { deleting: true, readySince: 0 }),
    pod('d', { readySince: 0 }),
  ]
  const p = plan(replicaSet(2), pods)
  assert.is(created(p).length, 1)
  assert.equal(deletedNames(p), [])
  assert.is(statusOf(p)?.replicas, 1)
})

test('adopts matching orphans, releases owned pods that no longer match, leaves others alone', () => {
  const pods = [
    pod('orphan', { owner: null }),
    pod('orphan-terminating', { owner: null, deleting: true }),
    pod('orphan-other-labels', { owner: null, labels: { app: 'api' } }),
    pod('someone-elses', { owner: 'other-uid' }),
    pod('relabelled', { labels: { app: 'db' } }),
    pod('mine'),
  ]
  const p = plan(replicaSet(2), pods)
  const updates = podUpdates(p)
  const byName = new Map(updates.map((u) => [u.object.metadata.name, u]))
  assert.equal([...byName.keys()].sort(), ['orphan', 'relabelled'])
  const adoption = byName.get('orphan')!
  assert.equal(adoption.object.metadata.ownerReferences, [
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name: 'web-abc',
      uid: 'rs-uid',
      controller: true,
      blockOwnerDeletion: true,
    },
  ])
  assert.equal(adoption.expected, { resourceVersion: '5', uid: 'uid-orphan' })
  assert.is(adoption.subresource, null)
  assert.is(byName.get('relabelled')!.object.metadata.ownerReferences, undefined)
  assert.equal(created(p), [], 'the adopted orphan and "mine" make 2')
  assert.is(statusOf(p)?.replicas, 2)
})

test('a ReplicaSet being deleted neither creates, deletes, adopts nor releases', () => {
  const pods = [pod('orphan', { owner: null }), pod('relabelled', { labels: { app: 'db' } }), pod('mine')]
  const p = plan(replicaSet(5, { deleting: true }), pods)
  assert.equal(
    p.commands.map((c) => [c.op, (c as { subresource?: unknown }).subresource]),
    [['update', 'status']],
  )
})

test('surplus pods go in Kubernetes order: unscheduled, pending, not ready, cheap, doubled up, newest', () => {
  const pods = [
    pod('old-ready', { node: 'n1', readySince: 10, created: 1 }),
    pod('unscheduled', { phase: 'Pending' }),
    pod('pending', { node: 'n2', phase: 'Pending' }),
    pod('not-ready', { node: 'n3' }),
    pod('expensive-new', { node: 'n4', readySince: 90, created: 90, cost: 100 }),
    pod('doubled-1', { node: 'n5', readySince: 10, created: 1 }),
    pod('doubled-2', { node: 'n5', readySince: 10, created: 1 }),
    pod('restarting', { node: 'n6', readySince: 10, created: 1, restarts: 3 }),
    pod('new-ready', { node: 'n7', readySince: 99, created: 98 }),
  ]
  const p = plan(replicaSet(0), pods)
  const order = deletedNames(p)
  assert.equal(order.slice(0, 3), ['unscheduled', 'pending', 'not-ready'])
  assert.equal(order.slice(3, 5).sort(), ['doubled-1', 'doubled-2'])
  // Ready 1 s ago is a lower power of two of age than ready 90 s ago.
  assert.equal(order.slice(5), ['new-ready', 'restarting', 'old-ready', 'expensive-new'])
  assert.equal(
    p.events.map((e) => e.reason),
    order.map(() => 'SuccessfulDelete'),
  )
  const two = deletedNames(plan(replicaSet(7), pods))
  assert.equal(two, ['unscheduled', 'pending'])
})

test('every delete is preconditioned on the pod as it was ranked', () => {
  const p = plan(replicaSet(1), [pod('a', { readySince: 0 }), pod('b')])
  const del = ops(p, 'delete')[0] as Extract<ApiCommand, { op: 'delete' }>
  assert.equal(
    { name: del.name, expected: del.expected, propagation: del.propagation },
    { name: 'b', expected: { resourceVersion: '5', uid: 'uid-b' }, propagation: 'Background' },
  )
  assert.is(statusOf(p)?.replicas, 1, 'the status counts the pods left once the deletes are done')
})

test('status: fully labelled, ready, available after minReadySeconds; a recheck when one becomes available', () => {
  const rs = replicaSet(3, { minReadySeconds: 10 })
  const pods = [
    pod('long-ready', { readySince: 50 }),
    pod('just-ready', { readySince: 95 }),
    pod('partly-labelled', { labels: { app: 'web' } }),
  ]
  const p = plan(rs, pods, at(100))
  assert.equal(statusOf(p), {
    replicas: 3,
    fullyLabeledReplicas: 2,
    readyReplicas: 2,
    availableReplicas: 1,
    observedGeneration: 2,
  })
  // Available when ready for more than 10 s: at 95 + 10, strictly after.
  assert.is(p.recheckAt, at(106))
  assert.is(statusOf(plan(rs, pods, at(105)))?.availableReplicas, 1)
  assert.is(statusOf(plan(rs, pods, at(106)))?.availableReplicas, 2)
})

test('nothing to do, nothing written', () => {
  const rs = {
    ...replicaSet(1),
    status: {
      replicas: 1,
      fullyLabeledReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      observedGeneration: 2,
    },
  }
  const p = plan(rs, [pod('a', { readySince: 0 })])
  assert.equal(p, { commands: [], events: [] })
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
  apply(commands: readonly ApiCommand[]): readonly ApiResult[] {
    const { result } = this.objects.apply(this.#index++, { op: 'batch', commands })
    return (result as unknown as { results: ApiResult[] }).results
  }
  pods = () => this.objects.list(podsResource, namespace)
  rs = () => this.objects.get(replicaSetsResource, namespace, 'web-abc')!
}

function storeWithReplicaSet(replicas: number): Store {
  const store = new Store()
  const { resourceVersion: _rv, generation: _g, ...metadata } = replicaSet(replicas).metadata
  store.apply([
    { op: 'create', resource: replicaSetsResource, object: { ...replicaSet(replicas), metadata } },
  ])
  return store
}

let counter = 0
const fixed = { newUid: () => `u${++counter}`, newName: (prefix: string) => `${prefix}${++counter}` }

test('in the store: the plan converges, and a second plan on the result only records the status', () => {
  const store = storeWithReplicaSet(3)
  const first = planReplicaSet({ replicaSet: store.rs(), pods: store.pods(), now: at(1), ...fixed })
  assert.ok(store.apply(first.commands).every((r) => r.ok))
  assert.is(store.pods().length, 3)
  const second = planReplicaSet({ replicaSet: store.rs(), pods: store.pods(), now: at(2), ...fixed })
  assert.equal(
    second.commands.map((c) => c.op),
    ['update'],
  )
  assert.ok(store.apply(second.commands).every((r) => r.ok))
  assert.equal((store.rs().status as { replicas: number }).replicas, 3)
  const third = planReplicaSet({ replicaSet: store.rs(), pods: store.pods(), now: at(3), ...fixed })
  assert.equal(third.commands, [])
  // Events become Event objects the store deduplicates.
  const events = first.events.map((e) => eventCommand(e, { now: at(1), ...fixed }))
  assert.ok(store.apply(events).every((r) => r.ok))
  assert.is(store.objects.list({ group: '', plural: 'events' }, namespace).length, 3)
})

test('in the store: a plan made from a state that has moved on is refused, not applied twice', () => {
  const store = storeWithReplicaSet(1)
  store.apply(planReplicaSet({ replicaSet: store.rs(), pods: store.pods(), now: at(1), ...fixed }).commands)
  const survivor = store.pods()[0]!
  // An orphan to adopt and a surplus pod to delete, planned from this state...
  store.apply([{ op: 'create', resource: podsResource, object: pod('orphan', { owner: null }) }])
  const stale = planReplicaSet({ replicaSet: store.rs(), pods: store.pods(), now: at(2), ...fixed })
  assert.ok(stale.commands.some((c) => c.op === 'delete'))
  // ... then someone else writes first: the pods change, and so does the ReplicaSet.
  for (const p of store.pods()) {
    const results = store.apply([
      {
        op: 'update',
        resource: podsResource,
        object: { ...p, metadata: { ...p.metadata, labels: { ...p.metadata.labels, touched: 'yes' } } },
        subresource: null,
        now: at(2),
      },
    ])
    assert.ok(results[0]!.ok)
  }
  const rs = store.rs()
  store.apply([
    {
      op: 'update',
      resource: replicaSetsResource,
      object: { ...rs, status: { ...(rs.status as object), replicas: 7 } },
      subresource: 'status',
      now: at(2),
    },
  ])
  const before = store.pods().map((p) => p.metadata.name)
  const results = store.apply(stale.commands)
  assert.ok(results.length > 0)
  for (const result of results) {
    assert.is(result.ok, false)
    assert.is((result as { code: number }).code, 409)
  }
  assert.equal(
    store.pods().map((p) => p.metadata.name),
    before,
  )
  assert.is((store.rs().status as { replicas: number }).replicas, 7)
  assert.ok(before.includes(survivor.metadata.name!), 'the pod the stale plan would delete is still there')
})

test.run()
