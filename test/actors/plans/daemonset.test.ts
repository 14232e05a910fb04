// The DaemonSet plan (actors/plans/daemonset.ts), applied to a real ObjectStore and planned again
// until nothing is left to do: which nodes get a pod (selector, affinity, taints and the daemon
// tolerations), duplicates and pods of gone nodes, failed pods, rolling updates with
// maxUnavailable, maxSurge and minReadySeconds, OnDelete, the status, claiming; and a seeded
// random run of node churn, taints and pod failures.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  controllerRevisionHashLabel,
  daemonSetsResource,
  planDaemonSet,
  podTemplateGenerationLabel,
  podWritesPerPlanMax,
} from '../../../actors/plans/daemonset.ts'
import { nodesResource } from '../../../actors/plans/nodes.ts'
import { type Plan, podsResource } from '../../../actors/plans/plan.ts'
import { podTemplateHash } from '../../../actors/plans/template-hash.ts'
import { applyDefaults } from '../../../core/api/defaults.ts'
import type { KubeObject } from '../../../core/api/object.ts'
import { resourceFor } from '../../../core/api/resources.ts'
import { type ApiCommand, type ApiResult, ObjectStore } from '../../../core/api/store.ts'
import { deepFreeze, mulberry32 } from './support.ts'

const test = suite('actors: daemonset plan')

const namespace = 'default'
const t0 = Date.parse('2026-01-01T00:00:00Z')
const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString().replace('.000Z', 'Z')

interface Taint {
  key: string
  value?: string
  effect: string
}

interface NodeShape {
  labels?: Record<string, string>
  taints?: Taint[]
  ready?: 'True' | 'False' | 'Unknown'
  unschedulable?: boolean
  memoryPressure?: boolean
}

function node(name: string, shape: NodeShape = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `node-${name}`, labels: { role: 'worker', ...shape.labels } },
    spec: {
      ...(shape.taints ? { taints: shape.taints } : {}),
      ...(shape.unschedulable ? { unschedulable: true } : {}),
    },
    status: {
      conditions: [
        { type: 'Ready', status: shape.ready ?? 'True' },
        ...(shape.memoryPressure ? [{ type: 'MemoryPressure', status: 'True' }] : []),
      ],
      capacity: { cpu: '1', memory: '1Gi', pods: '110' },
    },
  }
}

interface DaemonSetShape {
  image?: string
  nodeSelector?: Record<string, string>
  tolerations?: Record<string, string>[]
  affinity?: unknown
  strategy?: Record<string, unknown>
  minReadySeconds?: number
  hostNetwork?: boolean
}

const daemonSetType = resourceFor('apps/v1', 'DaemonSet')!

/** A DaemonSet as the API server stores it: defaulted. */
function daemonSet(shape: DaemonSetShape = {}): KubeObject {
  return applyDefaults(daemonSetType, {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace, uid: 'ds-uid', creationTimestamp: at(0) },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      ...(shape.strategy ? { updateStrategy: shape.strategy } : {}),
      ...(shape.minReadySeconds ? { minReadySeconds: shape.minReadySeconds } : {}),
      template: {
        metadata: { labels: { app: 'agent', tier: 'node' } },
        spec: {
          containers: [{ name: 'agent', image: shape.image ?? 'agent:1' }],
          ...(shape.nodeSelector ? { nodeSelector: shape.nodeSelector } : {}),
          ...(shape.tolerations ? { tolerations: shape.tolerations } : {}),
          ...(shape.affinity ? { affinity: shape.affinity } : {}),
          ...(shape.hostNetwork ? { hostNetwork: true } : {}),
        },
      },
    },
  })
}

// --- a cluster: the store, a kubelet, and the plan loop -------------------------------------

const namespacesResource = {
  group: '',
  plural: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
  hasStatus: true,
}

class Cluster {
  readonly store = new ObjectStore()
  seconds = 1
  #index = 1
  #ids = 0
  readonly fixed = {
    newUid: () => `uid-${++this.#ids}`,
    newName: (prefix: string) => `${prefix}${(++this.#ids).toString(36)}`,
  }

  constructor(ds: KubeObject, nodes: readonly KubeObject[]) {
    this.mustApply([
      {
        op: 'create',
        resource: namespacesResource,
        object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, uid: 'ns' } },
      },
      { op: 'create', resource: daemonSetsResource, object: ds },
      ...nodes.map((n): ApiCommand => ({ op: 'create', resource: nodesResource, object: n })),
    ])
  }

  now = () => at(this.seconds)

  /** One atomic batch, as the controller proposes a plan. */
  apply(commands: readonly ApiCommand[]): ApiResult {
    return this.store.apply(this.#index++, { op: 'batch', atomic: true, commands }).result
  }

  mustApply(commands: readonly ApiCommand[]): void {
    const result = this.apply(commands)
    if (!result.ok) throw new Error(`batch refused: ${result.message}`)
  }

  ds = () => this.store.get(daemonSetsResource, namespace, 'agent')!
  pods = () => this.store.list(podsResource, namespace)
  nodes = () => this.store.list(nodesResource)
  node = (name: string) => this.store.get(nodesResource, '', name)

  plan(): Plan {
    return planDaemonSet({
      daemonSet: deepFreeze(structuredClone(this.ds())),
      pods: deepFreeze(structuredClone(this.pods())),
      nodes: deepFreeze(structuredClone(this.nodes())),
      now: this.now(),
      ...this.fixed,
    })
  }

  /** A write as a user or a kubelet makes it: of the object as it is now, whatever its version. */
  update(resource: typeof podsResource, object: KubeObject, subresource: 'status' | null): void {
    const { resourceVersion: _version, ...metadata } = object.metadata
    this.mustApply([
      { op: 'update', resource, object: { ...object, metadata }, subresource, now: this.now() },
    ])
  }

  updateDaemonSet(change: (spec: Record<string, unknown>) => void): void {
    const ds = structuredClone(this.ds())
    change(ds.spec as Record<string, unknown>)
    this.update(daemonSetsResource, ds, null)
  }

  updateNode(name: string, change: (node: KubeObject) => void): void {
    const object = structuredClone(this.node(name)!)
    change(object)
    this.update(nodesResource, object, null)
    this.update(nodesResource, object, 'status')
  }

  setPodStatus(pod: KubeObject, phase: string, ready: boolean): void {
    const conditions = ready ? [{ type: 'Ready', status: 'True', lastTransitionTime: this.now() }] : []
    this.update(podsResource, { ...pod, status: { ...(pod.status as object), phase, conditions } }, 'status')
  }

  /** The kubelets of Ready nodes start their pending pods: Running and Ready from now. */
  kubelet(): void {
    for (const pod of this.pods()) {
      const nodeName = (pod.spec as { nodeName?: string }).nodeName
      const status = pod.status as { phase?: string }
      if (status.phase !== 'Pending' || !nodeName || !isReady(this.node(nodeName))) continue
      this.setPodStatus(pod, 'Running', true)
    }
  }
}

function isReady(node: KubeObject | undefined): boolean {
  const conditions = ((node?.status as { conditions?: { type: string; status: string }[] })?.conditions ??
    []) as { type: string; status: string }[]
  return node !== undefined && conditions.some((c) => c.type === 'Ready' && c.status === 'True')
}

interface LoopOptions {
  /** Runs on every plan before it is applied, with the state it was planned from. */
  check?: (plan: Plan, cluster: Cluster) => void
  kubelet?: boolean
  roundsMax?: number
}

/** Plan, apply, let the kubelets work, one second later plan again; until a plan has no commands. */
function converge(cluster: Cluster, options: LoopOptions = {}): Plan[] {
  const plans: Plan[] = []
  for (let round = 0; round < (options.roundsMax ?? 50); round++) {
    const plan = cluster.plan()
    plans.push(plan)
    if (plan.commands.length === 0) return plans
    options.check?.(plan, cluster)
    cluster.mustApply(plan.commands)
    if (options.kubelet !== false) cluster.kubelet()
    cluster.seconds++
  }
  throw new Error(`no convergence after ${plans.length} plans`)
}

const daemonPods = (cluster: Cluster) =>
  cluster.pods().filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === 'ds-uid'))
const nodeOf = (pod: KubeObject) => (pod.spec as { nodeName?: string }).nodeName ?? ''
const podsByNode = (pods: readonly KubeObject[]) => {
  const byNode = new Map<string, string[]>()
  for (const pod of pods) byNode.set(nodeOf(pod), [...(byNode.get(nodeOf(pod)) ?? []), pod.metadata.name!])
  return byNode
}
const created = (plan: Plan) =>
  plan.commands.flatMap((c) => (c.op === 'create' && c.resource.plural === 'pods' ? [c.object] : []))
const deleted = (plan: Plan) => plan.commands.flatMap((c) => (c.op === 'delete' ? [c.name] : []))
const statusOf = (cluster: Cluster) => cluster.ds().status as Record<string, unknown>
const hashOf = (pod: KubeObject) => pod.metadata.labels?.[controllerRevisionHashLabel]
const templateHash = (cluster: Cluster) =>
  podTemplateHash((cluster.ds().spec as { template: unknown }).template)

// --- which nodes ----------------------------------------------------------------------------

test('one pod per fitting node, bound to it, labelled with the revision, with the daemon tolerations', () => {
  const cluster = new Cluster(daemonSet({ nodeSelector: { role: 'worker' } }), [
    node('a'),
    node('b'),
    node('infra', { labels: { role: 'infra' } }),
  ])
  const [first] = converge(cluster)
  const pods = daemonPods(cluster)
  assert.equal([...podsByNode(pods).keys()].sort(), ['a', 'b'])
  for (const pod of pods) {
    assert.ok(pod.metadata.name?.startsWith('agent-'))
    assert.equal(pod.metadata.labels, {
      app: 'agent',
      tier: 'node',
      [controllerRevisionHashLabel]: templateHash(cluster),
      [podTemplateGenerationLabel]: '1',
    })
    assert.equal(pod.metadata.ownerReferences, [
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        name: 'agent',
        uid: 'ds-uid',
        controller: true,
        blockOwnerDeletion: true,
      },
    ])
    const tolerations = (pod.spec as { tolerations: { key: string; effect: string }[] }).tolerations
    assert.equal(
      tolerations.map((t) => `${t.key}:${t.effect}`),
      [
        'node.kubernetes.io/not-ready:NoExecute',
        'node.kubernetes.io/unreachable:NoExecute',
        'node.kubernetes.io/disk-pressure:NoSchedule',
        'node.kubernetes.io/memory-pressure:NoSchedule',
        'node.kubernetes.io/pid-pressure:NoSchedule',
        'node.kubernetes.io/unschedulable:NoSchedule',
      ],
    )
  }
  assert.equal(
    first!.events.map((e) => [e.reason, e.component]),
    [
      ['SuccessfulCreate', 'daemonset-controller'],
      ['SuccessfulCreate', 'daemonset-controller'],
    ],
  )
  assert.equal(
    first!.events.map((e) => e.message),
    created(first!).map((p) => `Created pod: ${p.metadata.name}`),
  )
  assert.equal(statusOf(cluster), {
    desiredNumberScheduled: 2,
    currentNumberScheduled: 2,
    numberMisscheduled: 0,
    numberReady: 2,
    updatedNumberScheduled: 2,
    numberAvailable: 2,
    numberUnavailable: 0,
    observedGeneration: 1,
  })
})

test('taints: untolerated NoSchedule keeps new pods off, tolerated ones and daemon tolerations do not', () => {
  const cluster = new Cluster(
    daemonSet({
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' }],
    }),
    [
      node('plain'),
      node('dedicated', { taints: [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }] }),
      node('gpu', { taints: [{ key: 'gpu', effect: 'NoSchedule' }] }),
      node('cordoned', {
        unschedulable: true,
        taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }],
      }),
      node('pressure', { memoryPressure: true }),
      node('not-ready', { ready: 'False' }),
      node('lost', { ready: 'Unknown' }),
      node('preferred', { taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] }),
    ],
  )
  converge(cluster)
  assert.equal([...podsByNode(daemonPods(cluster)).keys()].sort(), [
    'cordoned',
    'dedicated',
    'plain',
    'preferred',
    'pressure',
  ])
  assert.is(statusOf(cluster).desiredNumberScheduled, 5)
})

test('required node affinity and a template nodeName pick the nodes', () => {
  const affinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] },
          { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['c'] }] },
        ],
      },
    },
  }
  const cluster = new Cluster(daemonSet({ affinity }), [
    node('a', { labels: { zone: 'z1' } }),
    node('b', { labels: { zone: 'z2' } }),
    node('c'),
  ])
  converge(cluster)
  assert.equal([...podsByNode(daemonPods(cluster)).keys()].sort(), ['a', 'c'])
})

test('a host-network daemon also tolerates network-unavailable, as upstream adds it only then', () => {
  const unavailable = (name: string) =>
    node(name, { taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] })
  const plain = new Cluster(daemonSet(), [unavailable('a')])
  converge(plain)
  assert.is(daemonPods(plain).length, 0)
  const host = new Cluster(daemonSet({ hostNetwork: true }), [unavailable('a')])
  converge(host)
  assert.is(daemonPods(host).length, 1)
})

test('a taint after the fact: NoSchedule keeps the pod (misscheduled), NoExecute removes it', () => {
  const cluster = new Cluster(daemonSet(), [node('a'), node('b')])
  converge(cluster)
  cluster.updateNode('a', (n) => {
    n.spec = { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] }
  })
  converge(cluster)
  assert.equal([...podsByNode(daemonPods(cluster)).keys()].sort(), ['a', 'b'])
  assert.equal([statusOf(cluster).desiredNumberScheduled, statusOf(cluster).numberMisscheduled], [1, 1])
  cluster.updateNode('a', (n) => {
    n.spec = { taints: [{ key: 'maintenance', effect: 'NoExecute' }] }
  })
  const [first] = converge(cluster)
  assert.equal(
    first!.events.map((e) => e.reason),
    ['SuccessfulDelete'],
  )
  assert.equal([...podsByNode(daemonPods(cluster)).keys()], ['b'])
  assert.is(statusOf(cluster).numberMisscheduled, 0)
})

test('a node lost to the cluster keeps its pod but gets no new one; it is not desired meanwhile', () => {
  const cluster = new Cluster(daemonSet(), [node('a'), node('b')])
  converge(cluster)
  const before = daemonPods(cluster).map((p) => p.metadata.name)
  cluster.updateNode('a', (n) => {
    n.status = { conditions: [{ type: 'Ready', status: 'Unknown' }] }
  })
  converge(cluster)
  assert.equal(
    daemonPods(cluster).map((p) => p.metadata.name),
    before,
  )
  assert.equal([statusOf(cluster).desiredNumberScheduled, statusOf(cluster).numberMisscheduled], [1, 1])
})

test('a node that is gone, or that no longer matches, loses its pod; a new node gets one', () => {
  const cluster = new Cluster(daemonSet({ nodeSelector: { role: 'worker' } }), [
    node('a'),
    node('b'),
    node('c'),
  ])
  converge(cluster)
  cluster.mustApply([
    {
      op: 'delete',
      resource: nodesResource,
      namespace: '',
      name: 'a',
      propagation: 'Background',
      now: cluster.now(),
    },
    { op: 'create', resource: nodesResource, object: node('d') },
  ])
  cluster.updateNode('b', (n) => {
    n.metadata.labels = { role: 'infra' }
  })
  const [first] = converge(cluster)
  assert.is(deleted(first!).length, 2)
  assert.equal(created(first!).map(nodeOf), ['d'])
  assert.equal([...podsByNode(daemonPods(cluster)).keys()].sort(), ['c', 'd'])
})

test('two pods on a node: a running one is kept, else the oldest; a terminating one blocks a new pod', () => {
  const cluster = new Cluster(daemonSet(), [node('a'), node('b')])
  converge(cluster)
  const mine = (name: string, nodeName: string, phase: string, createdS: number): KubeObject => {
    const owner = daemonPods(cluster)[0]!
    return {
      ...structuredClone(owner),
      metadata: {
        ...structuredClone(owner.metadata),
        name,
        uid: `uid-${name}`,
        creationTimestamp: at(createdS),
        resourceVersion: undefined,
      },
      spec: { ...(owner.spec as object), nodeName },
      status: { phase, conditions: [] },
    }
  }
  const [onA, onB] = ['a', 'b'].map((n) => daemonPods(cluster).find((p) => nodeOf(p) === n)!)
  // On a, the running pod and an older pending one; on b, both pending.
  cluster.setPodStatus(onB!, 'Pending', false)
  cluster.mustApply([
    { op: 'create', resource: podsResource, object: mine('agent-old-pending', 'a', 'Pending', -100) },
    { op: 'create', resource: podsResource, object: mine('agent-older-pending', 'b', 'Pending', -200) },
  ])
  const plan = cluster.plan()
  assert.equal(deleted(plan).sort(), ['agent-old-pending', onB!.metadata.name].sort())
  assert.equal(created(plan), [])
  cluster.mustApply(plan.commands)
  assert.equal(
    daemonPods(cluster)
      .map((p) => p.metadata.name)
      .sort(),
    [onA!.metadata.name, 'agent-older-pending'].sort(),
  )

  // A pod held by a finalizer while it goes: the node has a pod until it is gone.
  const held = daemonPods(cluster).find((p) => nodeOf(p) === 'a')!
  cluster.update(podsResource, { ...held, metadata: { ...held.metadata, finalizers: ['hold'] } }, null)
  cluster.mustApply([
    {
      op: 'delete',
      resource: podsResource,
      namespace,
      name: held.metadata.name!,
      propagation: 'Background',
      now: cluster.now(),
    },
  ])
  converge(cluster)
  assert.equal(
    daemonPods(cluster)
      .filter((p) => nodeOf(p) === 'a')
      .map((p) => p.metadata.name),
    [held.metadata.name],
  )
  const terminating = cluster.store.get(podsResource, namespace, held.metadata.name!)!
  cluster.update(
    podsResource,
    { ...terminating, metadata: { ...terminating.metadata, finalizers: [] } },
    null,
  )
  const [next] = converge(cluster)
  assert.equal(created(next!).map(nodeOf), ['a'])
})

test('a failed pod is deleted with a warning and replaced at the next plan; a succeeded one too', () => {
  const cluster = new Cluster(daemonSet(), [node('a'), node('b')])
  converge(cluster)
  const [onA, onB] = ['a', 'b'].map((n) => daemonPods(cluster).find((p) => nodeOf(p) === n)!)
  cluster.setPodStatus(onA!, 'Failed', false)
  cluster.setPodStatus(onB!, 'Succeeded', false)
  const plans = converge(cluster)
  assert.equal(
    plans[0]!.events.map((e) => [e.type, e.reason]),
    [
      ['Warning', 'FailedDaemonPod'],
      ['Normal', 'SuccessfulDelete'],
      ['Normal', 'SucceededDaemonPod'],
      ['Normal', 'SuccessfulDelete'],
    ],
  )
  assert.is(
    plans[0]!.events[0]!.message,
    `Found failed daemon pod default/${onA!.metadata.name} on node a, will try to kill it`,
  )
  assert.equal(created(plans[0]!), [], 'the node still has its pod until the delete is applied')
  assert.equal(created(plans[1]!).map(nodeOf).sort(), ['a', 'b'])
  assert.equal(
    [...podsByNode(daemonPods(cluster)).values()].map((names) => names.length),
    [1, 1],
  )
})

// --- updates --------------------------------------------------------------------------------

/** Nodes that should run a pod but have no available one, in the store now. */
function unavailableNodes(cluster: Cluster): number {
  const byNode = podsByNode(
    daemonPods(cluster).filter((p) => (p.status as { phase: string }).phase === 'Running'),
  )
  return cluster.nodes().filter((n) => !byNode.has(n.metadata.name!)).length
}

test('rolling update: old pods go at most maxUnavailable at a time, replaced at the next plan', () => {
  for (const [maxUnavailable, atOnce] of [
    [1, 1],
    ['50%', 2],
    ['10%', 1],
  ] as const) {
    const cluster = new Cluster(
      daemonSet({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable } } }),
      [node('a'), node('b'), node('c'), node('d')],
    )
    converge(cluster)
    cluster.updateDaemonSet((spec) => {
      ;(spec.template as { spec: { containers: { image: string }[] } }).spec.containers[0]!.image = 'agent:2'
    })
    let worst = 0
    const plans = converge(cluster, {
      check: (plan) => {
        assert.ok(created(plan).length === 0 || deleted(plan).length === 0, 'deletes and creates in turns')
        assert.ok(created(plan).every((p) => hashOf(p) === templateHash(cluster)))
        assert.ok(unavailableNodes(cluster) + deleted(plan).length <= atOnce, 'within maxUnavailable')
      },
    })
    for (const plan of plans) worst = Math.max(worst, deleted(plan).length)
    assert.is(worst, atOnce, `maxUnavailable ${maxUnavailable}`)
    assert.ok(daemonPods(cluster).every((p) => hashOf(p) === templateHash(cluster)))
    assert.is(daemonPods(cluster).length, 4)
    assert.equal(
      [
        statusOf(cluster).updatedNumberScheduled,
        statusOf(cluster).numberAvailable,
        statusOf(cluster).observedGeneration,
      ],
      [4, 4, 2],
    )
  }
})

test('rolling update: an unavailable old pod may always go, and uses up maxUnavailable', () => {
  const cluster = new Cluster(daemonSet(), [node('a'), node('b'), node('c')])
  converge(cluster)
  cluster.updateDaemonSet((spec) => {
    ;(spec.template as { spec: { containers: { image: string }[] } }).spec.containers[0]!.image = 'agent:2'
  })
  const [onA, onB] = ['a', 'b'].map((n) => daemonPods(cluster).find((p) => nodeOf(p) === n)!)
  cluster.setPodStatus(onA!, 'Running', false)
  cluster.setPodStatus(onB!, 'Running', false)
  const plan = cluster.plan()
  assert.equal(deleted(plan).sort(), [onA!.metadata.name, onB!.metadata.name].sort())
})

test('OnDelete: a new template changes nothing until a pod is deleted by hand', () => {
  const cluster = new Cluster(daemonSet({ strategy: { type: 'OnDelete' } }), [node('a'), node('b')])
  converge(cluster)
  cluster.updateDaemonSet((spec) => {
    ;(spec.template as { spec: { containers: { image: string }[] } }).spec.containers[0]!.image = 'agent:2'
  })
  const plans = converge(cluster)
  assert.equal(plans.flatMap(deleted), [])
  assert.equal([statusOf(cluster).updatedNumberScheduled, statusOf(cluster).observedGeneration], [0, 2])
  const victim = daemonPods(cluster)[0]!
  cluster.mustApply([
    {
      op: 'delete',
      resource: podsResource,
      namespace,
      name: victim.metadata.name!,
      propagation: 'Background',
      now: cluster.now(),
    },
  ])
  converge(cluster)
  assert.equal(
    daemonPods(cluster)
      .filter((p) => hashOf(p) === templateHash(cluster))
      .map(nodeOf),
    [nodeOf(victim)],
  )
  assert.is(statusOf(cluster).updatedNumberScheduled, 1)
})

test('minReadySeconds: a pod counts as available only after it, the plan asks to be woken then', () => {
  const cluster = new Cluster(daemonSet({ minReadySeconds: 10 }), [node('a'), node('b')])
  const plans = converge(cluster)
  const last = plans.at(-1)!
  assert.is(statusOf(cluster).numberReady, 2)
  assert.is(statusOf(cluster).numberAvailable, 0)
  // Ready at second 1 (the kubelet ran after the first plan); available strictly after 11.
  assert.is(last.recheckAt, at(12))
  cluster.seconds = 12
  converge(cluster)
  assert.is(statusOf(cluster).numberAvailable, 2)

  // A rolling update waits for each new pod to be available before taking the next old one.
  cluster.updateDaemonSet((spec) => {
    ;(spec.template as { spec: { containers: { image: string }[] } }).spec.containers[0]!.image = 'agent:2'
  })
  const waiting = converge(cluster)
  assert.equal(waiting.flatMap(deleted).length, 1)
  assert.ok(waiting.at(-1)!.recheckAt)
  cluster.seconds = (Date.parse(waiting.at(-1)!.recheckAt!) - t0) / 1000
  const rest = converge(cluster)
  assert.equal(rest.flatMap(deleted).length, 1)
})

test('maxSurge: the new pod starts beside the old one, which goes once the new one is available', () => {
  const strategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } }
  const cluster = new Cluster(daemonSet({ strategy }), [node('a'), node('b'), node('c')])
  converge(cluster)
  cluster.updateDaemonSet((spec) => {
    ;(spec.template as { spec: { containers: { image: string }[] } }).spec.containers[0]!.image = 'agent:2'
  })
  const hash = templateHash(cluster)
  converge(cluster, {
    check: (plan, c) => {
      // Never fewer running pods than nodes: every delete leaves a running pod on its node.
      const byNode = podsByNode(
        daemonPods(c).filter(
          (p) =>
            (p.status as { phase: string }).phase === 'Running' && !deleted(plan).includes(p.metadata.name!),
        ),
      )
      assert.is(byNode.size, 3)
      assert.ok(created(plan).length <= 1, 'one surge pod at a time')
    },
  })
  assert.equal(
    daemonPods(cluster)
      .map((p) => [nodeOf(p), hashOf(p)])
      .sort(),
    [
      ['a', hash],
      ['b', hash],
      ['c', hash],
    ],
  )
})

// --- status, claiming, no-ops ---------------------------------------------------------------

test('nothing to do, nothing written; a DaemonSet being deleted is left alone', () => {
  const cluster = new Cluster(daemonSet(), [node('a')])
  converge(cluster)
  assert.equal(cluster.plan(), { commands: [], events: [] })
  const ds = cluster.ds()
  const deleting = { ...ds, metadata: { ...ds.metadata, deletionTimestamp: at(5) } }
  cluster.mustApply([{ op: 'create', resource: nodesResource, object: node('b') }])
  const plan = planDaemonSet({
    daemonSet: deepFreeze(deleting),
    pods: cluster.pods(),
    nodes: cluster.nodes(),
    now: cluster.now(),
    ...cluster.fixed,
  })
  assert.equal(plan, { commands: [], events: [] })
})

test('a selector of everything is refused with a warning', () => {
  const ds = daemonSet()
  const plan = planDaemonSet({
    daemonSet: deepFreeze({ ...ds, spec: { ...(ds.spec as object), selector: {} } }),
    pods: [],
    nodes: [node('a')],
    now: at(1),
    newUid: () => 'u',
    newName: (p) => `${p}x`,
  })
  assert.equal(plan.commands, [])
  assert.equal(
    plan.events.map((e) => [e.type, e.reason]),
    [['Warning', 'SelectingAll']],
  )
})

test('claiming goes alone: matching orphans are adopted, relabelled pods released; then the node is fixed', () => {
  const cluster = new Cluster(daemonSet(), [node('a'), node('b')])
  converge(cluster)
  const onA = daemonPods(cluster).find((p) => nodeOf(p) === 'a')!
  const orphan: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'stray',
      namespace,
      uid: 'uid-stray',
      creationTimestamp: at(0),
      labels: { app: 'agent' },
    },
    spec: { nodeName: 'b', containers: [{ name: 'agent', image: 'agent:0' }] },
    status: { phase: 'Pending' },
  }
  cluster.mustApply([{ op: 'create', resource: podsResource, object: orphan }])
  cluster.update(podsResource, { ...onA, metadata: { ...onA.metadata, labels: { app: 'other' } } }, null)
  const claim = cluster.plan()
  assert.equal(
    claim.commands.map((c) => [c.op, (c as { object: KubeObject }).object.metadata.name]),
    [
      ['update', onA.metadata.name],
      ['update', 'stray'],
    ],
  )
  cluster.mustApply(claim.commands)
  assert.is(
    cluster.store.get(podsResource, namespace, onA.metadata.name!)!.metadata.ownerReferences,
    undefined,
  )
  const [next] = converge(cluster)
  // The stray pod is the newest on b and Pending: it goes; a gets a pod of its own again.
  assert.equal(deleted(next!), ['stray'])
  assert.equal(created(next!).map(nodeOf), ['a'])
})

test('a plan made from a state that has moved on is refused as a whole', () => {
  const cluster = new Cluster(daemonSet(), [node('a'), node('b')])
  converge(cluster)
  const onA = daemonPods(cluster).find((p) => nodeOf(p) === 'a')!
  cluster.setPodStatus(onA, 'Failed', false)
  const stale = cluster.plan()
  assert.equal(deleted(stale), [onA.metadata.name])
  cluster.setPodStatus(cluster.store.get(podsResource, namespace, onA.metadata.name!)!, 'Running', true)
  const result = cluster.apply(stale.commands)
  assert.is(result.ok, false)
  assert.ok(cluster.store.get(podsResource, namespace, onA.metadata.name!))
})

test('one plan writes at most podWritesPerPlanMax pods; the next plan goes on', () => {
  const nodes = Array.from({ length: podWritesPerPlanMax + 20 }, (_, i) => node(`n${i}`))
  const cluster = new Cluster(daemonSet(), nodes)
  const plans = converge(cluster)
  assert.equal(plans.map((p) => created(p).length).slice(0, 2), [podWritesPerPlanMax, 20])
  assert.is(daemonPods(cluster).length, nodes.length)
})

// --- a random run ---------------------------------------------------------------------------

test('random node churn, taints and failures: one pod per eligible node, never two on one', () => {
  const seed = Number(process.env.SEED ?? Date.now() % 1_000_000)
  try {
    randomRun(seed)
  } catch (error) {
    console.error(`daemonset random run failed; reproduce with SEED=${seed}`)
    throw error
  }
})

const tolerated = { key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' }

/** What the test expects of a node, independently of the planner. */
function eligibility(n: KubeObject): 'run' | 'keep' | 'none' {
  if (n.metadata.labels?.role !== 'worker') return 'none'
  const taints = ((n.spec as { taints?: Taint[] }).taints ?? []).filter(
    (t) => !(t.key === tolerated.key && t.value === tolerated.value && t.effect === tolerated.effect),
  )
  if (taints.some((t) => t.effect === 'NoExecute')) return 'none'
  if (taints.some((t) => t.effect === 'NoSchedule') || !isReady(n)) return 'keep'
  return 'run'
}

function randomRun(seed: number): void {
  const random = mulberry32(seed)
  const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(random() * items.length)]
  const cluster = new Cluster(daemonSet({ nodeSelector: { role: 'worker' }, tolerations: [tolerated] }), [
    node('n0'),
    node('n1'),
    node('n2'),
    node('n3'),
    node('n4'),
  ])
  let nodes = 5
  let image = 1
  const noCreateOnOccupiedNode = (plan: Plan, c: Cluster) => {
    const occupied = podsByNode(
      daemonPods(c).filter(
        (p) =>
          !['Failed', 'Succeeded'].includes((p.status as { phase: string }).phase) ||
          !p.metadata.deletionTimestamp,
      ),
    )
    for (const pod of created(plan))
      assert.not.ok(occupied.has(nodeOf(pod)), `created on occupied ${nodeOf(pod)}`)
  }
  const taints: Taint[][] = [
    [],
    [{ key: 'gpu', effect: 'NoSchedule' }],
    [{ key: 'drain', effect: 'NoExecute' }],
    [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }],
  ]
  for (let step = 0; step < 60; step++) {
    const existing = cluster.nodes().map((n) => n.metadata.name!)
    const roll = random()
    if (roll < 0.25) {
      const labels = random() < 0.8 ? { role: 'worker' } : { role: 'infra' }
      cluster.mustApply([
        {
          op: 'create',
          resource: nodesResource,
          object: node(`n${nodes++}`, { labels, taints: pick(taints) }),
        },
      ])
    } else if (roll < 0.35 && existing.length > 0) {
      cluster.mustApply([
        {
          op: 'delete',
          resource: nodesResource,
          namespace: '',
          name: pick(existing)!,
          propagation: 'Background',
          now: cluster.now(),
        },
      ])
    } else if (roll < 0.55 && existing.length > 0) {
      cluster.updateNode(pick(existing)!, (n) => {
        n.spec = { taints: pick(taints) }
      })
    } else if (roll < 0.65 && existing.length > 0) {
      cluster.updateNode(pick(existing)!, (n) => {
        n.status = { conditions: [{ type: 'Ready', status: pick(['True', 'Unknown', 'False']) }] }
      })
    } else if (roll < 0.8) {
      const live = daemonPods(cluster).filter((p) => (p.status as { phase: string }).phase !== 'Failed')
      const victim = pick(live)
      if (victim) cluster.setPodStatus(victim, pick(['Failed', 'Succeeded'])!, false)
    } else if (roll < 0.9) {
      image++
      cluster.updateDaemonSet((spec) => {
        ;(spec.template as { spec: { containers: { image: string }[] } }).spec.containers[0]!.image =
          `agent:${image}`
      })
    } else {
      // A stray copy on a node that has one (a lost race): adopted, then one of the two goes.
      const onNode = pick(daemonPods(cluster).filter((p) => nodeOf(p) !== ''))
      if (onNode) {
        const { resourceVersion: _rv, ownerReferences: _owners, ...metadata } = onNode.metadata
        cluster.mustApply([
          {
            op: 'create',
            resource: podsResource,
            object: { ...onNode, metadata: { ...metadata, name: `stray-${step}`, uid: `stray-${step}` } },
          },
        ])
      }
    }
    converge(cluster, { check: noCreateOnOccupiedNode, roundsMax: 60 })
    checkPlacement(cluster)
  }
  // Heal every node: then the rollout finishes everywhere and the status says so.
  for (const name of cluster.nodes().map((n) => n.metadata.name!)) {
    cluster.updateNode(name, (n) => {
      n.status = { conditions: [{ type: 'Ready', status: 'True' }] }
    })
  }
  converge(cluster, { check: noCreateOnOccupiedNode, roundsMax: 60 })
  checkPlacement(cluster)
  const eligible = cluster.nodes().filter((n) => eligibility(n) === 'run').length
  const status = statusOf(cluster)
  assert.equal(
    [
      status.desiredNumberScheduled,
      status.updatedNumberScheduled,
      status.numberAvailable,
      status.numberUnavailable,
    ],
    [eligible, eligible, eligible, 0],
  )
  for (const pod of daemonPods(cluster)) {
    if (eligibility(cluster.node(nodeOf(pod))!) === 'run') assert.is(hashOf(pod), templateHash(cluster))
  }
}

function checkPlacement(cluster: Cluster): void {
  const byNode = podsByNode(daemonPods(cluster))
  for (const [name, pods] of byNode) {
    assert.is(pods.length, 1, `one pod on ${name}: ${pods}`)
    const n = cluster.node(name)
    assert.ok(n, `no pod on the gone node ${name}`)
    assert.is.not(eligibility(n!), 'none', `no pod on ${name}`)
  }
  for (const n of cluster.nodes()) {
    if (eligibility(n) === 'run') assert.ok(byNode.has(n.metadata.name!), `a pod on ${n.metadata.name}`)
  }
}

test.run()
