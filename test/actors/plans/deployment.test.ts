// The Deployment plan (actors/plans/deployment.ts), driven as the cluster drives it: a small
// simulation applies each plan to an ObjectStore, runs the ReplicaSet plans, lets a fake kubelet
// make pods ready a few at a time, and plans again, checking after every applied batch that a
// rolling update stays within maxSurge and maxUnavailable. Then revisions and rollback, Recreate,
// scaling, paused, history cleanup, progress deadlines, the coxswain auto-rollback, and that a
// stale plan is refused by the store.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { planDeployment } from '../../../actors/plans/deployment.ts'
import {
  deploymentsResource,
  formatTime,
  type Plan,
  podsResource,
  replicaSetsResource,
} from '../../../actors/plans/plan.ts'
import { planReplicaSet } from '../../../actors/plans/replicaset.ts'
import type { KubeObject } from '../../../core/api/object.ts'
import { type ApiCommand, type ApiResult, ObjectStore } from '../../../core/api/store.ts'
import { deepFreeze } from './support.ts'

const test = suite('actors: deployment plan')

const namespace = 'default'
const revision = 'deployment.kubernetes.io/revision'

interface Shape {
  replicas?: number
  image?: string
  maxSurge?: number | string
  maxUnavailable?: number | string
  strategy?: 'RollingUpdate' | 'Recreate'
  revisionHistoryLimit?: number
  progressDeadlineSeconds?: number
  minReadySeconds?: number
  annotations?: Record<string, string>
}

function deploymentObject(name: string, shape: Shape = {}): KubeObject {
  const strategy =
    shape.strategy === 'Recreate'
      ? { type: 'Recreate' }
      : {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: shape.maxSurge ?? '25%', maxUnavailable: shape.maxUnavailable ?? '25%' },
        }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, uid: `uid-${name}`, annotations: shape.annotations ?? {} },
    spec: {
      replicas: shape.replicas ?? 3,
      selector: { matchLabels: { app: name } },
      strategy,
      revisionHistoryLimit: shape.revisionHistoryLimit ?? 10,
      progressDeadlineSeconds: shape.progressDeadlineSeconds ?? 600,
      ...(shape.minReadySeconds === undefined ? {} : { minReadySeconds: shape.minReadySeconds }),
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image: shape.image ?? 'web:1' }] },
      },
    },
  }
}

/** What `kubectl rollout status` needs to say "successfully rolled out" (notes C8). */
function rolloutDone(d: KubeObject): boolean {
  const spec = d.spec as { replicas: number }
  const status = (d.status ?? {}) as Record<string, number | undefined> & {
    conditions?: { reason?: string }[]
  }
  return (
    (d.metadata.generation ?? 0) <= (status.observedGeneration ?? 0) &&
    !(status.conditions ?? []).some((c) => c.reason === 'ProgressDeadlineExceeded') &&
    status.updatedReplicas === spec.replicas &&
    status.replicas === status.updatedReplicas &&
    status.availableReplicas === status.updatedReplicas
  )
}

type Update = Extract<ApiCommand, { op: 'update' }>

/**
 * A namespace of one cluster: the store, a clock that moves a second per round, uid and name
 * generators, the two controllers and a kubelet that starts pods and makes them ready.
 */
class Cluster {
  readonly store = new ObjectStore()
  nowMs = Date.parse('2026-01-01T00:00:00Z')
  /** Pods the kubelet makes ready per round (the rest wait), so rollouts take many steps. */
  readyPerRound = 1
  /** How far the clock moves per round. */
  secondsPerRound = 1
  /** Images whose pods never become ready, besides `bad:*` (an environment that broke). */
  readonly broken = new Set<string>()
  /** Checked after every batch applied. */
  invariant: (() => void) | undefined
  readonly events: Plan['events'] = []
  #index = 1
  #ids = 0

  constructor() {
    this.apply([
      {
        op: 'create',
        resource: { group: '', plural: 'namespaces', kind: 'Namespace', namespaced: false, hasStatus: true },
        object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, uid: 'ns' } },
      },
    ])
  }

  get now(): string {
    return formatTime(this.nowMs)
  }

  readonly newUid = () => `uid-${++this.#ids}`
  readonly newName = (prefix: string) => `${prefix}${(++this.#ids).toString(36).padStart(5, 'x')}`

  apply(commands: readonly ApiCommand[]): readonly ApiResult[] {
    const { result } = this.store.apply(this.#index++, { op: 'batch', commands })
    this.invariant?.()
    return (result as unknown as { results: ApiResult[] }).results
  }

  applyOk(commands: readonly ApiCommand[]): void {
    for (const [i, result] of this.apply(commands).entries()) {
      assert.ok(result.ok, `command ${i} (${commands[i]!.op}) failed: ${JSON.stringify(result)}`)
    }
  }

  create(object: KubeObject): void {
    const resource = object.kind === 'Deployment' ? deploymentsResource : replicaSetsResource
    this.applyOk([
      {
        op: 'create',
        resource,
        object: { ...object, metadata: { ...object.metadata, creationTimestamp: this.now } },
      },
    ])
  }

  deployment(name: string): KubeObject {
    return this.store.get(deploymentsResource, namespace, name)!
  }

  replicaSets(): KubeObject[] {
    return this.store.list(replicaSetsResource, namespace)
  }

  pods(): KubeObject[] {
    return this.store.list(podsResource, namespace)
  }

  /** Edits a Deployment's spec and annotations as `kubectl apply` or `edit` would. */
  edit(name: string, change: (d: KubeObject) => void): void {
    const d = structuredClone(this.deployment(name)) as KubeObject
    change(d)
    this.applyOk([
      { op: 'update', resource: deploymentsResource, object: d, subresource: null, now: this.now },
    ])
  }

  planDeployment(name: string): Plan {
    return planDeployment({
      deployment: deepFreeze(this.deployment(name)),
      replicaSets: deepFreeze(this.replicaSets()),
      pods: deepFreeze(this.pods()),
      now: this.now,
      newUid: this.newUid,
      newName: this.newName,
    })
  }

  /**
   * One round: every Deployment plans, then every ReplicaSet, then the kubelet; whether anything
   * was written. When nothing was but a ReplicaSet asked to be planned again later (a pod waiting
   * out minReadySeconds), the clock jumps there. Deployments' rechecks (progress deadlines) are
   * not followed: tests move the clock past a deadline themselves.
   */
  round(): boolean {
    let wrote = false
    let recheckMs: number | undefined
    for (const d of this.store.list(deploymentsResource, namespace)) {
      const plan = this.planDeployment(d.metadata.name!)
      this.events.push(...plan.events)
      if (plan.commands.length > 0) {
        this.applyOk(plan.commands)
        wrote = true
      }
    }
    for (const rs of this.replicaSets()) {
      const current = this.store.get(replicaSetsResource, namespace, rs.metadata.name!)
      if (current === undefined) continue
      const plan = planReplicaSet({
        replicaSet: deepFreeze(current),
        pods: deepFreeze(this.pods()),
        replicaSets: deepFreeze(this.replicaSets()),
        now: this.now,
        newUid: this.newUid,
        newName: this.newName,
      })
      if (plan.commands.length > 0) {
        this.applyOk(plan.commands)
        wrote = true
      }
      if (plan.recheckAt !== undefined)
        recheckMs = Math.min(recheckMs ?? Infinity, Date.parse(plan.recheckAt))
    }
    wrote = this.kubelet() || wrote
    this.nowMs += this.secondsPerRound * 1000
    if (wrote || recheckMs === undefined) return wrote
    this.nowMs = Math.max(this.nowMs, recheckMs)
    return true
  }

  /**
   * Schedules new pods and starts them; a started pod whose image is not `bad:*` becomes ready,
   * `readyPerRound` at a time.
   */
  kubelet(): boolean {
    const updates: Update[] = []
    let ready = 0
    for (const pod of this.pods()) {
      const spec = pod.spec as { nodeName?: string; containers: { image: string }[] }
      const status = pod.status as { phase?: string; conditions?: unknown[] }
      if (spec.nodeName === undefined) {
        const node = `node-${(Number.parseInt(pod.metadata.uid!.slice(4), 10) % 3) + 1}`
        const next = { ...pod, spec: { ...spec, nodeName: node } }
        updates.push({ op: 'update', resource: podsResource, object: next, subresource: null, now: this.now })
      } else if (status.phase === 'Pending') {
        const next = {
          ...pod,
          status: { ...status, phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] },
        }
        updates.push({
          op: 'update',
          resource: podsResource,
          object: next,
          subresource: 'status',
          now: this.now,
        })
      } else if (!isReady(pod) && this.#healthy(spec.containers[0]!.image) && ready < this.readyPerRound) {
        ready++
        const conditions = [{ type: 'Ready', status: 'True', lastTransitionTime: this.now }]
        const next = { ...pod, status: { ...status, conditions } }
        updates.push({
          op: 'update',
          resource: podsResource,
          object: next,
          subresource: 'status',
          now: this.now,
        })
      }
    }
    if (updates.length > 0) this.applyOk(updates)
    return updates.length > 0
  }

  #healthy(image: string): boolean {
    return !image.startsWith('bad:') && !this.broken.has(image)
  }

  /** Rounds until nothing is written; fails if it never settles. */
  settle(roundsMax = 300): number {
    for (let round = 1; round <= roundsMax; round++) if (!this.round()) return round
    assert.unreachable(`no fixpoint after ${roundsMax} rounds`)
    return roundsMax
  }

  /** A Deployment's ReplicaSets by revision: `[revision, name, spec.replicas]`. */
  history(name: string): [number, string, number][] {
    return this.replicaSets()
      .filter((rs) => rs.metadata.ownerReferences?.some((o) => o.uid === this.deployment(name).metadata.uid))
      .map((rs): [number, string, number] => [
        Number(rs.metadata.annotations?.[revision]),
        rs.metadata.name!,
        (rs.spec as { replicas: number }).replicas,
      ])
      .sort((a, b) => a[0] - b[0])
  }

  podsOf(app: string): KubeObject[] {
    return this.pods().filter((p) => p.metadata.labels?.app === app)
  }
}

function isReady(pod: KubeObject): boolean {
  const conditions = (pod.status as { conditions?: { type: string; status: string }[] }).conditions ?? []
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True')
}

function imagesOf(pods: readonly KubeObject[]): string[] {
  return pods.map((p) => (p.spec as { containers: { image: string }[] }).containers[0]!.image).sort()
}

function condition(d: KubeObject, type: string): { status: string; reason: string; lastUpdateTime: string } {
  const conditions = (d.status as { conditions: { type: string }[] }).conditions
  return conditions.find((c) => c.type === type) as unknown as {
    status: string
    reason: string
    lastUpdateTime: string
  }
}

function setImage(image: string, cause?: string): (d: KubeObject) => void {
  return (d) => {
    const template = (d.spec as { template: { spec: { containers: { image: string }[] } } }).template
    template.spec.containers[0]!.image = image
    if (cause !== undefined)
      d.metadata.annotations = { ...d.metadata.annotations, 'kubernetes.io/change-cause': cause }
  }
}

function setReplicas(replicas: number): (d: KubeObject) => void {
  return (d) => {
    ;(d.spec as { replicas: number }).replicas = replicas
  }
}

/** A cluster with Deployment `web` rolled out and settled. */
function rolledOut(shape: Shape = {}): Cluster {
  const cluster = new Cluster()
  cluster.create(deploymentObject('web', shape))
  cluster.settle()
  assert.ok(rolloutDone(cluster.deployment('web')), 'the first rollout completes')
  return cluster
}

// --- the first rollout --------------------------------------------------------------------------

test('a new Deployment gets ReplicaSet <name>-<hash>, revision 1, and rolls out to what kubectl waits for', () => {
  const cluster = new Cluster()
  cluster.create(deploymentObject('web', { annotations: { 'kubernetes.io/change-cause': 'first' } }))
  const first = cluster.planDeployment('web')
  const create = first.commands.find((c) => c.op === 'create') as Extract<ApiCommand, { op: 'create' }>
  const rs = create.object
  const hash = rs.metadata.labels!['pod-template-hash']!
  assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/)
  assert.is(rs.metadata.name, `web-${hash}`)
  assert.equal(rs.metadata.labels, { app: 'web', 'pod-template-hash': hash })
  const spec = rs.spec as { replicas: number; selector: unknown; template: { metadata: { labels: unknown } } }
  assert.equal(spec.selector, { matchLabels: { app: 'web', 'pod-template-hash': hash } })
  assert.equal(spec.template.metadata.labels, { app: 'web', 'pod-template-hash': hash })
  assert.is(spec.replicas, 3, '25% of 3 surges to 1, and there is nothing else')
  assert.equal(rs.metadata.annotations, {
    'kubernetes.io/change-cause': 'first',
    [revision]: '1',
    'deployment.kubernetes.io/desired-replicas': '3',
    'deployment.kubernetes.io/max-replicas': '4',
  })
  assert.equal(rs.metadata.ownerReferences, [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'web',
      uid: 'uid-web',
      controller: true,
      blockOwnerDeletion: true,
    },
  ])
  assert.equal(first.events, [
    {
      type: 'Normal',
      reason: 'ScalingReplicaSet',
      message: `Scaled up replica set web-${hash} from 0 to 3`,
      involvedObject: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace,
        name: 'web',
        uid: 'uid-web',
        resourceVersion: cluster.deployment('web').metadata.resourceVersion!,
      },
      component: 'deployment-controller',
    },
  ])
  const status = first.commands.find((c) => c.op === 'update') as Update
  assert.is(status.subresource, 'status')
  assert.equal(
    (status.object.status as { conditions: { type: string; reason: string }[] }).conditions.map((c) => [
      c.type,
      c.reason,
    ]),
    [
      ['Progressing', 'NewReplicaSetCreated'],
      ['Available', 'MinimumReplicasUnavailable'],
    ],
  )

  cluster.settle()
  const d = cluster.deployment('web')
  assert.ok(rolloutDone(d))
  assert.equal(d.status, {
    observedGeneration: 1,
    replicas: 3,
    updatedReplicas: 3,
    readyReplicas: 3,
    availableReplicas: 3,
    unavailableReplicas: 0,
    conditions: (d.status as { conditions: unknown[] }).conditions,
  })
  assert.equal(
    { available: condition(d, 'Available').reason, progressing: condition(d, 'Progressing').reason },
    { available: 'MinimumReplicasAvailable', progressing: 'NewReplicaSetAvailable' },
  )
  assert.is(d.metadata.annotations?.[revision], '1', 'the Deployment carries its revision too')
  assert.is(cluster.podsOf('web').length, 3)
  assert.equal(cluster.planDeployment('web').commands, [], 'a settled Deployment plans nothing')
})

// --- rolling updates ----------------------------------------------------------------------------

/** Checks after every batch, once armed, that pods stay within the rolling update's bounds. */
function boundsChecker(cluster: Cluster, replicas: number, surge: number, unavailable: number) {
  const seen = { maxTotal: 0, minAvailable: Number.POSITIVE_INFINITY, batches: 0 }
  cluster.invariant = () => {
    const pods = cluster.podsOf('web')
    const available = pods.filter(isReady).length
    seen.maxTotal = Math.max(seen.maxTotal, pods.length)
    seen.minAvailable = Math.min(seen.minAvailable, available)
    seen.batches++
    assert.ok(pods.length <= replicas + surge, `${pods.length} pods > ${replicas} + maxSurge ${surge}`)
    assert.ok(
      available >= replicas - unavailable,
      `${available} available < ${replicas} - maxUnavailable ${unavailable}`,
    )
  }
  return seen
}

const rollingCases: [number, number | string, number | string, number, number][] = [
  // replicas, maxSurge, maxUnavailable, resolved surge, resolved unavailable
  [3, 1, 0, 1, 0],
  [3, '25%', '25%', 1, 0], // 0.75 rounds up to 1 for surge, down to 0 for unavailable
  [10, '25%', '25%', 3, 2],
  [4, 0, 1, 0, 1],
  [5, '0%', '0%', 0, 1], // both zero: Kubernetes makes unavailability 1
]

for (const [replicas, maxSurge, maxUnavailable, surge, unavailable] of rollingCases) {
  test(`rolling update of ${replicas} replicas, maxSurge ${maxSurge} maxUnavailable ${maxUnavailable}: within bounds at every step`, () => {
    const cluster = rolledOut({ replicas, maxSurge, maxUnavailable })
    const [[, v1Name]] = cluster.history('web') as [[number, string, number]]
    const seen = boundsChecker(cluster, replicas, surge, unavailable)
    cluster.edit('web', setImage('web:2'))
    const rounds = cluster.settle()
    cluster.invariant = undefined

    assert.ok(rounds > replicas, `the rollout took steps (${rounds} rounds)`)
    assert.is(seen.maxTotal, replicas + surge, 'the surge is used')
    assert.is(seen.minAvailable, replicas - unavailable, 'the unavailability budget is used')
    const d = cluster.deployment('web')
    assert.ok(rolloutDone(d), JSON.stringify(d.status))
    assert.equal(imagesOf(cluster.podsOf('web')), Array(replicas).fill('web:2'))
    const history = cluster.history('web')
    assert.equal(
      history.map(([rev, , size]) => [rev, size]),
      [
        [1, 0],
        [2, replicas],
      ],
    )
    assert.is(history[0]![1], v1Name, 'the old ReplicaSet is kept, scaled to zero')
    assert.is(d.metadata.annotations?.[revision], '2')
    const scaling = cluster.events.filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message)
    assert.ok(scaling.includes(`Scaled down replica set ${v1Name} from 1 to 0`) || unavailable > 1)
  })
}

test('Recreate: every old pod is gone before the new ReplicaSet is created', () => {
  const cluster = rolledOut({ strategy: 'Recreate' })
  let newSeenWithOld = false
  cluster.invariant = () => {
    const images = new Set(imagesOf(cluster.podsOf('web')))
    if (images.has('web:1') && cluster.history('web').length > 1) newSeenWithOld = true
  }
  cluster.edit('web', setImage('web:2'))
  cluster.settle()
  cluster.invariant = undefined
  assert.is(newSeenWithOld, false)
  assert.ok(rolloutDone(cluster.deployment('web')))
  assert.equal(imagesOf(cluster.podsOf('web')), ['web:2', 'web:2', 'web:2'])
  const messages = cluster.events.map((e) => e.message)
  const down = messages.findIndex((m) => /^Scaled down replica set web-\w+ from 3 to 0$/.test(m))
  const up = messages.findIndex((m, i) => i > down && /^Scaled up replica set web-\w+ from 0 to 3$/.test(m))
  assert.ok(down >= 0 && up > down, messages.join('\n'))
})

// --- scaling ------------------------------------------------------------------------------------

test('scaling up and down changes only the replica count of the one active ReplicaSet', () => {
  const cluster = rolledOut()
  const [[, name]] = cluster.history('web') as [[number, string, number]]
  cluster.edit('web', setReplicas(5))
  cluster.settle()
  assert.equal(cluster.history('web'), [[1, name, 5]])
  const rs = cluster.replicaSets()[0]!
  assert.equal(
    [
      rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'],
      rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'],
    ],
    ['5', '7'],
  )
  assert.ok(rolloutDone(cluster.deployment('web')))
  assert.is(cluster.podsOf('web').length, 5)
  cluster.edit('web', setReplicas(2))
  cluster.settle()
  assert.equal(cluster.history('web'), [[1, name, 2]])
  assert.is(cluster.podsOf('web').length, 2)
  assert.ok(rolloutDone(cluster.deployment('web')))
  cluster.edit('web', setReplicas(0))
  cluster.settle()
  assert.is(cluster.podsOf('web').length, 0)
  assert.ok(rolloutDone(cluster.deployment('web')))
})

test('scaling in the middle of a stuck rollout spreads the change proportionally', () => {
  const cluster = rolledOut({ replicas: 10 })
  cluster.edit('web', setImage('bad:2'))
  cluster.settle()
  // 10 replicas, 25%/25%: surge 3, unavailable 2. Old scaled to 8, new to 5 (never ready).
  assert.equal(
    cluster.history('web').map(([rev, , size]) => [rev, size]),
    [
      [1, 8],
      [2, 5],
    ],
  )
  cluster.edit('web', setReplicas(20))
  cluster.settle()
  // Allowed 20 + 5 = 25, from 13: +12 shared by size (8/13 and 5/13 of 25, rounded).
  const sizes = cluster.history('web').map(([, , size]) => size)
  assert.equal(sizes, [15, 10])
  for (const [, name] of cluster.history('web')) {
    const rs = cluster.replicaSets().find((r) => r.metadata.name === name)!
    assert.is(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '20')
    assert.is(rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '25')
  }
  assert.is(cluster.podsOf('web').length, 25)
})

// --- ownership ----------------------------------------------------------------------------------

test('a matching orphan ReplicaSet is adopted; one whose labels no longer match is released', () => {
  const cluster = rolledOut()
  const [[, name]] = cluster.history('web') as [[number, string, number]]
  // Orphan it (as `kubectl delete deploy --cascade=orphan` then re-create would), then plan.
  const rs = cluster.replicaSets()[0]!
  const { ownerReferences: _owners, ...orphanMeta } = rs.metadata
  cluster.applyOk([
    {
      op: 'update',
      resource: replicaSetsResource,
      object: { ...rs, metadata: orphanMeta },
      subresource: null,
      now: cluster.now,
    },
  ])
  const adopt = cluster.planDeployment('web')
  const update = adopt.commands.find(
    (c) => c.op === 'update' && c.resource.plural === 'replicasets',
  ) as Update
  assert.equal(update.object.metadata.ownerReferences, [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'web',
      uid: 'uid-web',
      controller: true,
      blockOwnerDeletion: true,
    },
  ])
  assert.equal(update.expected, {
    resourceVersion: cluster.replicaSets()[0]!.metadata.resourceVersion,
    uid: rs.metadata.uid,
  })
  assert.ok(!adopt.commands.some((c) => c.op === 'create'), 'adopted, so no new ReplicaSet')
  cluster.settle()
  assert.equal(cluster.history('web'), [[1, name, 3]])

  // Relabel it: it is released, and the Deployment makes a new ReplicaSet for its template.
  const owned = cluster.replicaSets()[0]!
  cluster.applyOk([
    {
      op: 'update',
      resource: replicaSetsResource,
      object: { ...owned, metadata: { ...owned.metadata, labels: { app: 'other' } } },
      subresource: null,
      now: cluster.now,
    },
  ])
  cluster.round()
  const released = cluster.store.get(replicaSetsResource, namespace, name)!
  assert.is(released.metadata.ownerReferences, undefined)
  // Its template's ReplicaSet name is taken by the released one: a collision, and a new hash.
  assert.is(cluster.replicaSets().length, 1)
  assert.is((cluster.deployment('web').status as { collisionCount?: number }).collisionCount, 1)
  cluster.settle()
  const d = cluster.deployment('web')
  assert.is((d.status as { collisionCount?: number }).collisionCount, 1)
  assert.ok(rolloutDone(d))
  assert.is(cluster.history('web').length, 1)
  assert.not.equal(cluster.history('web')[0]![1], name)
})

// --- revisions and rollback ---------------------------------------------------------------------

test('revisions count up; undo to an old template reuses and renumbers its ReplicaSet', () => {
  const cluster = rolledOut({ annotations: { 'kubernetes.io/change-cause': 'v1' } })
  cluster.edit('web', setImage('web:2', 'v2'))
  cluster.settle()
  const [[, v1], [, v2]] = cluster.history('web') as [number, string, number][]
  const causes = () =>
    Object.fromEntries(
      cluster
        .replicaSets()
        .map((rs) => [rs.metadata.name, rs.metadata.annotations?.['kubernetes.io/change-cause']]),
    )
  assert.equal(causes(), { [v1!]: 'v1', [v2!]: 'v2' })

  // `kubectl rollout undo`: the template of revision 1 (without the hash label) and its annotations.
  const rs1 = cluster.replicaSets().find((rs) => rs.metadata.name === v1)!
  cluster.edit('web', (d) => {
    const template = structuredClone(
      (rs1.spec as { template: { metadata: { labels: Record<string, string> } } }).template,
    )
    delete template.metadata.labels['pod-template-hash']
    ;(d.spec as { template: unknown }).template = template
    d.metadata.annotations = { ...d.metadata.annotations, 'kubernetes.io/change-cause': 'v1' }
  })
  cluster.settle()
  assert.equal(cluster.history('web'), [
    [2, v2!, 0],
    [3, v1!, 3],
  ])
  const reused = cluster.replicaSets().find((rs) => rs.metadata.name === v1)!
  assert.is(reused.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1')
  assert.is(cluster.replicaSets().length, 2, 'no third ReplicaSet')
  assert.is(cluster.deployment('web').metadata.annotations?.[revision], '3')
  assert.equal(imagesOf(cluster.podsOf('web')), ['web:1', 'web:1', 'web:1'])
  assert.ok(rolloutDone(cluster.deployment('web')))

  // And back to 2 again: renumbered to 4, history "2".
  const rs2 = cluster.replicaSets().find((rs) => rs.metadata.name === v2)!
  cluster.edit('web', (d) => {
    const template = structuredClone(
      (rs2.spec as { template: { metadata: { labels: Record<string, string> } } }).template,
    )
    delete template.metadata.labels['pod-template-hash']
    ;(d.spec as { template: unknown }).template = template
  })
  cluster.settle()
  assert.equal(
    cluster.history('web').map(([rev, name]) => [rev, name]),
    [
      [3, v1],
      [4, v2],
    ],
  )
})

test('revisionHistoryLimit keeps that many old ReplicaSets, deleting the lowest revisions', () => {
  const cluster = rolledOut({ revisionHistoryLimit: 1 })
  for (const image of ['web:2', 'web:3', 'web:4']) {
    cluster.edit('web', setImage(image))
    cluster.settle()
  }
  assert.equal(
    cluster.history('web').map(([rev, , size]) => [rev, size]),
    [
      [3, 0],
      [4, 3],
    ],
  )
  assert.ok(rolloutDone(cluster.deployment('web')))
})

// --- paused -------------------------------------------------------------------------------------

test('a paused Deployment does not roll, but scales; resumed, it rolls', () => {
  const cluster = rolledOut()
  cluster.edit('web', (d) => {
    ;(d.spec as { paused: boolean }).paused = true
  })
  cluster.settle()
  let d = cluster.deployment('web')
  assert.equal(
    [condition(d, 'Progressing').status, condition(d, 'Progressing').reason],
    ['Unknown', 'DeploymentPaused'],
  )
  cluster.edit('web', setImage('web:2'))
  cluster.edit('web', setReplicas(4))
  cluster.settle()
  assert.is(cluster.history('web').length, 1, 'no new ReplicaSet while paused')
  assert.equal(imagesOf(cluster.podsOf('web')), ['web:1', 'web:1', 'web:1', 'web:1'])
  d = cluster.deployment('web')
  assert.is((d.status as { observedGeneration: number }).observedGeneration, d.metadata.generation)

  // Paused past the deadline: no timeout is reported.
  cluster.nowMs += 3600_000
  cluster.settle()
  assert.is(condition(cluster.deployment('web'), 'Progressing').reason, 'DeploymentPaused')

  cluster.edit('web', (d) => {
    ;(d.spec as { paused: boolean }).paused = false
  })
  const resumed = cluster.planDeployment('web')
  const status = (resumed.commands.find((c) => c.op === 'update' && c.subresource === 'status') as Update)
    .object.status as { conditions: { type: string; reason: string }[] }
  assert.ok(status.conditions.some((c) => c.type === 'Progressing' && c.reason === 'NewReplicaSetCreated'))
  cluster.settle()
  assert.equal(imagesOf(cluster.podsOf('web')), ['web:2', 'web:2', 'web:2', 'web:2'])
  assert.ok(rolloutDone(cluster.deployment('web')))
})

// --- progress deadline and auto-rollback --------------------------------------------------------

test('a rollout that makes no progress within progressDeadlineSeconds reports ProgressDeadlineExceeded', () => {
  const cluster = rolledOut({ progressDeadlineSeconds: 30, maxSurge: 1, maxUnavailable: 0 })
  cluster.edit('web', setImage('bad:2'))
  cluster.settle()
  const d = cluster.deployment('web')
  const progress = condition(d, 'Progressing')
  assert.equal([progress.status, progress.reason], ['True', 'ReplicaSetUpdated'])
  const plan = cluster.planDeployment('web')
  assert.equal(plan.commands, [])
  const deadlineMs = Date.parse(progress.lastUpdateTime) + 31_000
  assert.is(plan.recheckAt, formatTime(deadlineMs), 'the actor is told when to look again')

  cluster.nowMs = deadlineMs - 1000
  assert.equal(cluster.planDeployment('web').commands, [], 'not yet: the deadline must be passed')
  cluster.nowMs = deadlineMs
  cluster.settle()
  const timedOut = cluster.deployment('web')
  assert.equal(
    [condition(timedOut, 'Progressing').status, condition(timedOut, 'Progressing').reason],
    ['False', 'ProgressDeadlineExceeded'],
  )
  assert.is(condition(timedOut, 'Available').status, 'True', 'the old pods still serve')
  assert.not.ok(rolloutDone(timedOut))
  assert.equal(imagesOf(cluster.podsOf('web')), ['bad:2', 'web:1', 'web:1', 'web:1'])
  assert.is(cluster.planDeployment('web').recheckAt, undefined)
})

test('coxswain auto-rollback: a timed-out rollout goes back to the last revision that became available', () => {
  const cluster = rolledOut({
    progressDeadlineSeconds: 30,
    maxSurge: 1,
    maxUnavailable: 0,
    annotations: { 'coxswain.dev/auto-rollback': 'true', 'kubernetes.io/change-cause': 'v1' },
  })
  const [[, v1]] = cluster.history('web') as [[number, string, number]]
  const good = cluster.replicaSets()[0]!
  assert.ok(
    good.metadata.annotations?.['coxswain.dev/became-available'],
    'stamped when its rollout completed',
  )

  cluster.edit('web', setImage('bad:2', 'v2'))
  cluster.settle()
  const [, [, v2]] = cluster.history('web') as [number, string, number][]
  cluster.nowMs += 60_000
  // One plan records the timeout, the next rolls back: both level-triggered.
  cluster.applyOk(cluster.planDeployment('web').commands)
  assert.is(condition(cluster.deployment('web'), 'Progressing').reason, 'ProgressDeadlineExceeded')
  const rollback = cluster.planDeployment('web')
  assert.equal(
    rollback.events.map((e) => [e.type, e.reason]),
    [['Warning', 'AutoRollback']],
  )
  assert.match(rollback.events[0]!.message, /from revision 2 to revision 1/)
  assert.is(rollback.commands.length, 1)
  const write = rollback.commands[0] as Update
  assert.equal([write.resource.plural, write.subresource], ['deployments', null])
  assert.is(write.expected?.resourceVersion, cluster.deployment('web').metadata.resourceVersion)
  assert.is(write.object.metadata.annotations?.['kubernetes.io/change-cause'], 'v1')
  assert.is(write.object.metadata.annotations?.['coxswain.dev/auto-rollback'], 'true')
  assert.is(write.object.metadata.annotations?.['coxswain.dev/became-available'], undefined)
  cluster.applyOk(rollback.commands)

  cluster.settle()
  const d = cluster.deployment('web')
  assert.ok(rolloutDone(d), JSON.stringify(d.status))
  assert.equal(imagesOf(cluster.podsOf('web')), ['web:1', 'web:1', 'web:1'])
  assert.equal(cluster.history('web'), [
    [2, v2!, 0],
    [3, v1!, 3],
  ])
  assert.equal(
    cluster.events.filter((e) => e.reason === 'AutoRollback').length,
    0,
    'the settle loop never rolled back again',
  )
  // Later, a good rollout is not rolled back and becomes the target for the next bad one.
  cluster.edit('web', setImage('web:3', 'v3'))
  cluster.settle()
  cluster.edit('web', setImage('bad:4', 'v4'))
  cluster.settle()
  cluster.nowMs += 60_000
  cluster.settle()
  assert.equal(imagesOf(cluster.podsOf('web')), ['web:3', 'web:3', 'web:3'])
  assert.is(cluster.events.filter((e) => e.reason === 'AutoRollback').length, 1)
  assert.match(
    cluster.events.find((e) => e.reason === 'AutoRollback')!.message,
    /from revision 5 to revision 4/,
  )
  assert.ok(rolloutDone(cluster.deployment('web')))
})

test('a rollback that times out too is not rolled back further', () => {
  // maxUnavailable 1: the bad rollout replaces one old pod, which the rollback must bring back.
  const cluster = rolledOut({
    progressDeadlineSeconds: 30,
    maxSurge: 0,
    maxUnavailable: 1,
    annotations: { 'coxswain.dev/auto-rollback': 'true' },
  })
  cluster.edit('web', setImage('web:2'))
  cluster.settle()
  cluster.edit('web', setImage('bad:3'))
  cluster.settle()
  // web:2 was fine, but breaks just as the rollout back to it starts.
  cluster.broken.add('web:2')
  cluster.nowMs += 60_000
  cluster.settle()
  assert.is(cluster.events.filter((e) => e.reason === 'AutoRollback').length, 1)
  cluster.nowMs += 60_000
  cluster.settle()
  const d = cluster.deployment('web')
  assert.is(condition(d, 'Progressing').reason, 'ProgressDeadlineExceeded')
  assert.is(cluster.events.filter((e) => e.reason === 'AutoRollback').length, 1, 'not on to revision 1')
  const template = (d.spec as { template: { spec: { containers: { image: string }[] } } }).template
  assert.is(template.spec.containers[0]!.image, 'web:2')
})

test('a slow rollout that keeps making progress does not time out', () => {
  const cluster = rolledOut({ replicas: 6, progressDeadlineSeconds: 10, maxSurge: 1, maxUnavailable: 0 })
  cluster.secondsPerRound = 4
  const start = cluster.nowMs
  cluster.invariant = () => {
    const reason = condition(cluster.deployment('web'), 'Progressing')?.reason
    assert.is.not(reason, 'ProgressDeadlineExceeded', `timed out at +${(cluster.nowMs - start) / 1000}s`)
  }
  cluster.edit('web', setImage('web:2'))
  cluster.settle()
  cluster.invariant = undefined
  assert.ok(cluster.nowMs - start > 60_000, `the rollout took ${(cluster.nowMs - start) / 1000}s`)
  const d = cluster.deployment('web')
  assert.ok(rolloutDone(d), JSON.stringify(d.status))
  assert.is(condition(d, 'Progressing').reason, 'NewReplicaSetAvailable')
})

test('without the annotation, or with nothing that was ever available, there is no auto-rollback', () => {
  const cluster = new Cluster()
  cluster.create(
    deploymentObject('web', {
      image: 'bad:1',
      progressDeadlineSeconds: 30,
      annotations: { 'coxswain.dev/auto-rollback': 'true' },
    }),
  )
  cluster.settle()
  cluster.nowMs += 60_000
  cluster.settle()
  assert.is(condition(cluster.deployment('web'), 'Progressing').reason, 'ProgressDeadlineExceeded')
  assert.is(cluster.events.filter((e) => e.reason === 'AutoRollback').length, 0)
  assert.is(cluster.history('web').length, 1)
})

// --- stale plans --------------------------------------------------------------------------------

test('a plan made from a state that has moved on is refused by the store and doubles nothing', () => {
  const cluster = rolledOut({ maxSurge: 1, maxUnavailable: 0 })
  cluster.edit('web', setImage('web:2'))
  cluster.settle()
  // A plan that scales a ReplicaSet and writes the status...
  cluster.edit('web', setReplicas(5))
  const stale = cluster.planDeployment('web')
  assert.ok(stale.commands.some((c) => c.op === 'update' && c.resource.plural === 'replicasets'))
  // ... outrun by a newer leader's identical plan.
  cluster.applyOk(cluster.planDeployment('web').commands)
  const before = cluster.history('web')
  const results = cluster.apply(stale.commands)
  for (const result of results) assert.equal([result.ok, (result as { code?: number }).code], [false, 409])
  assert.equal(cluster.history('web'), before)

  // A stale new-ReplicaSet plan collides on the derived name instead of making a second one.
  cluster.edit('web', setImage('web:3'))
  const first = cluster.planDeployment('web')
  const second = cluster.planDeployment('web')
  cluster.applyOk(first.commands)
  const again = cluster.apply(second.commands).map((r) => (r as { reason?: string }).reason)
  assert.equal(again, ['AlreadyExists', ...Array(again.length - 1).fill('Conflict')])
  cluster.settle()
  assert.is(cluster.history('web').length, 3)
  assert.ok(rolloutDone(cluster.deployment('web')))
})

test('min ready seconds: pods count as available only after the wait, and the rollout waits for it', () => {
  const cluster = rolledOut({ minReadySeconds: 5, maxSurge: 1, maxUnavailable: 0 })
  // Available pods are ready ones, so with maxUnavailable 0, three must stay ready throughout.
  cluster.invariant = () => assert.ok(cluster.podsOf('web').filter(isReady).length >= 3)
  cluster.edit('web', setImage('web:2'))
  const start = cluster.nowMs
  cluster.settle()
  cluster.invariant = undefined
  assert.ok(cluster.nowMs - start > 3 * 5000, 'three pods each waited out minReadySeconds')
  assert.ok(rolloutDone(cluster.deployment('web')))
  const rs = cluster.replicaSets().find((r) => (r.spec as { replicas: number }).replicas === 3)!
  assert.is((rs.spec as { minReadySeconds?: number }).minReadySeconds, 5)
})

test.run()
