// The scheduler's planning function (actors/scheduler.ts): each filter passing and failing with
// kube-scheduler's message, effective requests with init containers, bin packing against spreading,
// placements counting toward later pods of the same plan, and determinism. Inputs are frozen, so a
// scheduler that writes to what it reads fails here.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { feasibleNodesToFind, type SchedulePlan, type Strategy, schedule } from '../../actors/scheduler.ts'
import type { KubeObject } from '../../core/api/object.ts'

const test = suite('actors: scheduler')

type Json = Record<string, unknown>

interface NodeOptions {
  cpu?: string
  memory?: string
  pods?: string
  /** More allocatable resources (`ephemeral-storage`, `example.com/gpu`). */
  resources?: Record<string, string>
  /** Resources under `status.capacity` instead of `status.allocatable`. */
  capacityOnly?: boolean
  labels?: Record<string, string>
  taints?: { key: string; value?: string; effect: string }[]
  /** The Ready condition's status; null leaves the condition out. */
  ready?: 'True' | 'False' | 'Unknown' | null
  unschedulable?: boolean
}

const optional = (key: string, value: unknown): Json => (value === undefined ? {} : { [key]: value })

function node(name: string, options: NodeOptions = {}): KubeObject {
  const resources = {
    cpu: options.cpu ?? '4',
    memory: options.memory ?? '8Gi',
    pods: options.pods ?? '110',
    ...options.resources,
  }
  const ready = options.ready === undefined ? 'True' : options.ready
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, ...optional('labels', options.labels) },
    spec: { ...optional('unschedulable', options.unschedulable), ...optional('taints', options.taints) },
    status: {
      [options.capacityOnly === true ? 'capacity' : 'allocatable']: resources,
      conditions: ready === null ? [] : [{ type: 'Ready', status: ready }],
    },
  }
}

interface PodOptions {
  namespace?: string
  cpu?: string
  memory?: string
  /** Requests of the one container beyond cpu and memory. */
  requests?: Record<string, string>
  /** Whole containers, instead of the one built from cpu, memory, requests and hostPorts. */
  containers?: Json[]
  initContainers?: Json[]
  labels?: Record<string, string>
  nodeName?: string
  phase?: string
  nodeSelector?: Record<string, string>
  tolerations?: Json[]
  affinity?: Json
  hostPorts?: { hostPort: number; protocol?: string; hostIP?: string }[]
}

function pod(name: string, options: PodOptions = {}): KubeObject {
  const requests: Record<string, string> = { ...options.requests }
  if (options.cpu !== undefined) requests.cpu = options.cpu
  if (options.memory !== undefined) requests.memory = options.memory
  const ports = options.hostPorts?.map((p) => ({ containerPort: p.hostPort, ...p }))
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: options.namespace ?? 'default',
      uid: `uid-${name}`,
      ...optional('labels', options.labels),
    },
    spec: {
      containers: options.containers ?? [container('main', requests, optional('ports', ports))],
      ...optional('initContainers', options.initContainers),
      ...optional('nodeName', options.nodeName),
      ...optional('nodeSelector', options.nodeSelector),
      ...optional('tolerations', options.tolerations),
      ...optional('affinity', options.affinity),
    },
    status: { phase: options.phase ?? (options.nodeName === undefined ? 'Pending' : 'Running') },
  }
}

function container(name: string, requests: Record<string, string>, extra: Json = {}): Json {
  return { name, image: 'busybox', resources: { requests }, ...extra }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

/** Plans with frozen inputs (bin packing unless told). */
function plan(
  nodes: KubeObject[],
  pending: KubeObject[],
  options: { pods?: KubeObject[]; strategy?: Strategy } = {},
): SchedulePlan {
  const input = { pods: options.pods ?? [], nodes, pending, strategy: options.strategy ?? 'binpack' }
  return schedule(deepFreeze(input))
}

/** Each pending pod's node, or its unschedulable message, by pod name. */
function outcome(result: SchedulePlan): Record<string, string> {
  const where: Record<string, string> = {}
  for (const b of result.bindings) where[b.name] = b.node
  for (const u of result.unschedulable) where[u.name] = u.message
  return where
}

/** Where one pending pod goes among `nodes`, or why not. */
const placeOne = (nodes: KubeObject[], pending: KubeObject, pods: KubeObject[] = []): string =>
  outcome(plan(nodes, [pending], { pods }))[pending.metadata.name!]!

const oneNodeFailure = (reason: string) => `0/1 nodes are available: 1 ${reason}.`

// --- node condition and schedulability ---------------------------------------------------------

test('a bound pod names the pod and the node; an unschedulable one the reason', () => {
  const result = plan([node('a', { cpu: '1' })], [pod('fits', { cpu: '1' }), pod('big', { cpu: '2' })])
  assert.equal(result.bindings, [{ namespace: 'default', name: 'fits', uid: 'uid-fits', node: 'a' }])
  assert.equal(result.unschedulable, [
    { namespace: 'default', name: 'big', uid: 'uid-big', message: oneNodeFailure('Insufficient cpu') },
  ])
})

test('a node not Ready is tainted as the node lifecycle controller would, and tolerations pass it', () => {
  const notReady = oneNodeFailure('node(s) had untolerated taint {node.kubernetes.io/not-ready: }')
  const unreachable = oneNodeFailure('node(s) had untolerated taint {node.kubernetes.io/unreachable: }')
  assert.is(placeOne([node('a', { ready: 'False' })], pod('p')), notReady)
  assert.is(placeOne([node('a', { ready: null })], pod('p')), notReady)
  assert.is(placeOne([node('a', { ready: 'Unknown' })], pod('p')), unreachable)
  const tolerant = pod('p', {
    tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' }],
  })
  assert.is(placeOne([node('a', { ready: 'False' })], tolerant), 'a')
  assert.is(placeOne([node('a', { ready: 'True' })], pod('p')), 'a')
})

test('an unschedulable (cordoned) node takes only pods tolerating the unschedulable taint', () => {
  assert.is(
    placeOne([node('a', { unschedulable: true })], pod('p')),
    oneNodeFailure('node(s) were unschedulable'),
  )
  assert.is(placeOne([node('a', { unschedulable: false })], pod('p')), 'a')
  const tolerant = pod('p', {
    tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
  })
  assert.is(placeOne([node('a', { unschedulable: true })], tolerant), 'a')
})

// --- taints and tolerations --------------------------------------------------------------------

test('NoSchedule and NoExecute taints keep pods off unless tolerated; the message names the taint', () => {
  const gpu = node('a', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] })
  const evicting = node('a', { taints: [{ key: 'maintenance', effect: 'NoExecute' }] })
  assert.is(placeOne([gpu], pod('p')), oneNodeFailure('node(s) had untolerated taint {dedicated: gpu}'))
  assert.is(placeOne([evicting], pod('p')), oneNodeFailure('node(s) had untolerated taint {maintenance: }'))

  const tolerating = (...tolerations: Json[]) => pod('p', { tolerations })
  const passes = [
    tolerating({ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }),
    tolerating({ key: 'dedicated', value: 'gpu' }), // empty operator is Equal, empty effect all effects
    tolerating({ key: 'dedicated', operator: 'Exists' }),
    tolerating({ operator: 'Exists' }), // empty key with Exists tolerates every taint
    tolerating({ key: 'other', operator: 'Exists' }, { key: 'dedicated', operator: 'Exists' }),
  ]
  for (const p of passes) assert.is(placeOne([gpu], p), 'a', JSON.stringify(p.spec))
  const fails = [
    tolerating({ key: 'dedicated', operator: 'Equal', value: 'cpu' }),
    tolerating({ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }),
    tolerating({ key: 'other', operator: 'Exists' }),
  ]
  for (const p of fails) assert.is.not(placeOne([gpu], p), 'a', JSON.stringify(p.spec))
  assert.is(placeOne([evicting], tolerating({ key: 'maintenance', operator: 'Exists' })), 'a')
})

test('the first untolerated taint is the one named', () => {
  const tainted = node('a', {
    taints: [
      { key: 'soft', effect: 'PreferNoSchedule' },
      { key: 'first', value: '1', effect: 'NoSchedule' },
      { key: 'second', value: '2', effect: 'NoSchedule' },
    ],
  })
  assert.is(placeOne([tainted], pod('p')), oneNodeFailure('node(s) had untolerated taint {first: 1}'))
  const tolerant = pod('p', { tolerations: [{ key: 'first', operator: 'Exists' }] })
  assert.is(placeOne([tainted], tolerant), oneNodeFailure('node(s) had untolerated taint {second: 2}'))
})

test('a PreferNoSchedule taint does not filter but steers pods elsewhere', () => {
  const soft = [{ key: 'spot', effect: 'PreferNoSchedule' }]
  assert.is(placeOne([node('a', { taints: soft })], pod('p')), 'a')
  // Without the taint, bin packing would pick `a` (fuller, and first by name).
  const nodes = [node('a', { taints: soft }), node('b')]
  const existing = [pod('x', { cpu: '2', nodeName: 'a' })]
  assert.is(placeOne(nodes, pod('p', { cpu: '1' }), existing), 'b')
  const tolerant = pod('p', { cpu: '1', tolerations: [{ key: 'spot', operator: 'Exists' }] })
  assert.is(placeOne(nodes, tolerant, existing), 'a')
})

// --- resources ---------------------------------------------------------------------------------

test('resources fit by requests: cpu, memory, ephemeral-storage, extended resources and pod count', () => {
  const a = node('a', { cpu: '2', memory: '1Gi', resources: { 'example.com/gpu': '1' } })
  assert.is(placeOne([a], pod('p', { cpu: '2', memory: '1Gi' })), 'a', 'an exact fit fits')
  assert.is(placeOne([a], pod('p', { cpu: '2001m' })), oneNodeFailure('Insufficient cpu'))
  assert.is(placeOne([a], pod('p', { memory: '1025Mi' })), oneNodeFailure('Insufficient memory'))
  assert.is(
    placeOne([a], pod('p', { cpu: '3', memory: '2Gi' })),
    '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.',
  )
  // The node reports no ephemeral storage, so any request for it is too much.
  assert.is(
    placeOne([a], pod('p', { requests: { 'ephemeral-storage': '1Gi' } })),
    oneNodeFailure('Insufficient ephemeral-storage'),
  )
  assert.is(placeOne([a], pod('p', { requests: { 'example.com/gpu': '1' } })), 'a')
  assert.is(
    placeOne([a], pod('p', { requests: { 'example.com/gpu': '2' } })),
    oneNodeFailure('Insufficient example.com/gpu'),
  )
  const full = node('a', { pods: '1' })
  assert.is(placeOne([full], pod('p'), [pod('x', { nodeName: 'a' })]), oneNodeFailure('Too many pods'))
})

test('existing pods hold what they request; finished pods and pods of unknown nodes hold nothing', () => {
  const a = node('a', { cpu: '2' })
  assert.is(
    placeOne([a], pod('p', { cpu: '1' }), [pod('x', { cpu: '1500m', nodeName: 'a' })]),
    oneNodeFailure('Insufficient cpu'),
  )
  for (const phase of ['Succeeded', 'Failed']) {
    assert.is(
      placeOne([a], pod('p', { cpu: '1' }), [pod('x', { cpu: '2', nodeName: 'a', phase })]),
      'a',
      phase,
    )
  }
  const elsewhere = [pod('x', { cpu: '2', nodeName: 'gone' }), pod('y', { cpu: '2' })]
  assert.is(placeOne([a], pod('p', { cpu: '2' }), elsewhere), 'a')
})

test('a pod asking for no resources fits on a full node, but not past its pod limit', () => {
  const a = node('a', { cpu: '1', pods: '2' })
  const existing = [pod('x', { cpu: '1', nodeName: 'a' })]
  assert.is(placeOne([a], pod('p'), existing), 'a')
  assert.is(placeOne([a], pod('p', { cpu: '1m' }), existing), oneNodeFailure('Insufficient cpu'))
})

test('capacity stands in for allocatable, resource by resource', () => {
  assert.is(placeOne([node('a', { cpu: '1', capacityOnly: true })], pod('p', { cpu: '1' })), 'a')
  assert.is(
    placeOne([node('a', { cpu: '1', capacityOnly: true })], pod('p', { cpu: '2' })),
    oneNodeFailure('Insufficient cpu'),
  )
  const mixed: KubeObject = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'a' },
    spec: {},
    status: {
      capacity: { cpu: '8', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '2' },
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  }
  assert.is(placeOne([mixed], pod('p', { cpu: '3' })), oneNodeFailure('Insufficient cpu'))
  assert.is(placeOne([mixed], pod('p', { cpu: '2', memory: '8Gi' })), 'a')
})

test('effective requests: the larger of the containers sum and the largest init container, per resource', () => {
  const initHeavy = (name: string, nodeName?: string) =>
    pod(name, {
      ...optional('nodeName', nodeName),
      containers: [container('a', { cpu: '500m', memory: '1Gi' }), container('b', { cpu: '500m' })],
      initContainers: [
        container('setup', { cpu: '1500m', memory: '512Mi' }),
        container('warm', { cpu: '1' }),
      ],
    })
  // cpu: max(1, 1.5) = 1.5; memory: max(1Gi, 512Mi) = 1Gi.
  assert.is(placeOne([node('a', { cpu: '1500m', memory: '1Gi' })], initHeavy('p')), 'a')
  assert.is(placeOne([node('a', { cpu: '1400m' })], initHeavy('p')), oneNodeFailure('Insufficient cpu'))
  assert.is(
    placeOne([node('a', { memory: '1023Mi' })], initHeavy('p')),
    oneNodeFailure('Insufficient memory'),
  )
  // Once bound, the pod holds its effective requests, not its containers' sum.
  assert.is(
    placeOne([node('a', { cpu: '2' })], pod('q', { cpu: '501m' }), [initHeavy('x', 'a')]),
    oneNodeFailure('Insufficient cpu'),
  )
})

test('effective requests: sidecars (restartPolicy Always) add to the containers and to later init containers', () => {
  const withSidecar = pod('p', {
    containers: [container('main', { cpu: '1' })],
    initContainers: [
      container('proxy', { cpu: '200m' }, { restartPolicy: 'Always' }),
      container('migrate', { cpu: '1500m' }),
    ],
  })
  // Init phase: 1.5 + 0.2 = 1.7; running: 1 + 0.2 = 1.2; effective 1.7.
  assert.is(placeOne([node('a', { cpu: '1700m' })], withSidecar), 'a')
  assert.is(placeOne([node('a', { cpu: '1600m' })], withSidecar), oneNodeFailure('Insufficient cpu'))
  const sidecarFirstOnly = pod('p', {
    containers: [container('main', { cpu: '1' })],
    initContainers: [
      container('migrate', { cpu: '1100m' }),
      container('proxy', { cpu: '200m' }, { restartPolicy: 'Always' }),
    ],
  })
  // The init container ran before the sidecar started: max(1.1, 1 + 0.2) = 1.2.
  assert.is(placeOne([node('a', { cpu: '1200m' })], sidecarFirstOnly), 'a')
  assert.is(placeOne([node('a', { cpu: '1199m' })], sidecarFirstOnly), oneNodeFailure('Insufficient cpu'))
})

// --- node selector and node affinity -----------------------------------------------------------

const selectorMismatch = "node(s) didn't match Pod's node affinity/selector"

test('nodeSelector: every label must match; kubernetes.io/hostname defaults to the node name', () => {
  const nodes = [node('a', { labels: { disk: 'hdd' } }), node('b', { labels: { disk: 'ssd', zone: 'z1' } })]
  assert.is(placeOne(nodes, pod('p', { nodeSelector: { disk: 'ssd' } })), 'b')
  assert.is(placeOne(nodes, pod('p', { nodeSelector: { disk: 'ssd', zone: 'z1' } })), 'b')
  assert.is(
    placeOne(nodes, pod('p', { nodeSelector: { disk: 'ssd', zone: 'z2' } })),
    `0/2 nodes are available: 2 ${selectorMismatch}.`,
  )
  assert.is(placeOne(nodes, pod('p', { nodeSelector: { 'kubernetes.io/hostname': 'b' } })), 'b')
})

const requiredAffinity = (...nodeSelectorTerms: Json[]): Json => ({
  nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } },
})

test('required node affinity: terms are ORed, expressions ANDed, each operator as Kubernetes reads it', () => {
  const nodes = [
    node('a', { labels: { zone: 'z1', cores: '8' } }),
    node('b', { labels: { zone: 'z2', cores: '32', gpu: 'yes' } }),
  ]
  const where = (...terms: Json[]) => placeOne(nodes, pod('p', { affinity: requiredAffinity(...terms) }))
  const none = `0/2 nodes are available: 2 ${selectorMismatch}.`
  const expressions = (...matchExpressions: Json[]) => ({ matchExpressions })
  assert.is(where(expressions({ key: 'zone', operator: 'In', values: ['z2', 'z3'] })), 'b')
  assert.is(where(expressions({ key: 'zone', operator: 'NotIn', values: ['z1'] })), 'b')
  assert.is(where(expressions({ key: 'gpu', operator: 'Exists' })), 'b')
  assert.is(where(expressions({ key: 'gpu', operator: 'DoesNotExist' })), 'a')
  assert.is(where(expressions({ key: 'cores', operator: 'Gt', values: ['16'] })), 'b')
  assert.is(where(expressions({ key: 'cores', operator: 'Lt', values: ['16'] })), 'a')
  assert.is(where(expressions({ key: 'cores', operator: 'Gt', values: ['64'] })), none)
  assert.is(
    where(expressions({ key: 'zone', operator: 'In', values: ['z1'] }, { key: 'gpu', operator: 'Exists' })),
    none,
  )
  assert.is(
    where(
      expressions({ key: 'zone', operator: 'In', values: ['z3'] }),
      expressions({ key: 'gpu', operator: 'Exists' }),
    ),
    'b',
  )
  assert.is(where({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['b'] }] }), 'b')
  assert.is(where({ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['a'] }] }), 'b')
  // An empty term matches nothing, and neither does a required affinity without terms.
  assert.is(where({}), none)
  assert.is(where(), none)
})

test('nodeSelector and required node affinity must both hold', () => {
  const nodes = [node('a', { labels: { zone: 'z1' } }), node('b', { labels: { zone: 'z2' } })]
  const both = pod('p', {
    nodeSelector: { zone: 'z1' },
    affinity: requiredAffinity({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2'] }] }),
  })
  assert.is(placeOne(nodes, both), `0/2 nodes are available: 2 ${selectorMismatch}.`)
})

test('preferred node affinity: the node matching the most weight wins over resource scores', () => {
  const nodes = [node('a', { labels: { zone: 'z1' } }), node('b', { labels: { zone: 'z2', disk: 'ssd' } })]
  const preferring = (...preferred: Json[]) =>
    pod('p', {
      cpu: '1',
      affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred } },
    })
  const term = (weight: number, key: string, value: string) => ({
    weight,
    preference: { matchExpressions: [{ key, operator: 'In', values: [value] }] },
  })
  // Bin packing prefers `a` (it already holds a pod); the preference outweighs that.
  const existing = [pod('x', { cpu: '2', nodeName: 'a' })]
  assert.is(placeOne(nodes, preferring(), existing), 'a')
  assert.is(placeOne(nodes, preferring(term(10, 'zone', 'z2')), existing), 'b')
  assert.is(placeOne(nodes, preferring(term(10, 'zone', 'z1'), term(20, 'disk', 'ssd')), existing), 'b')
  assert.is(placeOne(nodes, preferring(term(30, 'zone', 'z1'), term(20, 'disk', 'ssd')), existing), 'a')
})

// --- host ports --------------------------------------------------------------------------------

const portsTaken = "node(s) didn't have free ports for the requested pod ports"

test('host ports: the same port and protocol conflict when either binds every address or both the same', () => {
  const a = [node('a')]
  type Port = { hostPort: number; protocol?: string; hostIP?: string }
  const on = (port: Port) => pod('x', { nodeName: 'a', hostPorts: [port] })
  const wanting = (port: Port) => pod('p', { hostPorts: [port] })
  const tcp = (hostIP: string) => ({ hostPort: 8080, protocol: 'TCP', hostIP })
  assert.is(placeOne(a, wanting({ hostPort: 8080 }), [on({ hostPort: 8080 })]), oneNodeFailure(portsTaken))
  assert.is(
    placeOne(a, wanting({ hostPort: 8080, protocol: 'TCP' }), [on({ hostPort: 8080 })]),
    oneNodeFailure(portsTaken),
    'TCP is the default',
  )
  assert.is(placeOne(a, wanting({ hostPort: 8080, protocol: 'UDP' }), [on({ hostPort: 8080 })]), 'a')
  assert.is(placeOne(a, wanting({ hostPort: 8081 }), [on({ hostPort: 8080 })]), 'a')
  assert.is(placeOne(a, wanting(tcp('10.0.0.1')), [on(tcp('10.0.0.2'))]), 'a')
  assert.is(placeOne(a, wanting(tcp('10.0.0.1')), [on(tcp('10.0.0.1'))]), oneNodeFailure(portsTaken))
  assert.is(placeOne(a, wanting(tcp('10.0.0.1')), [on({ hostPort: 8080 })]), oneNodeFailure(portsTaken))
  assert.is(placeOne(a, wanting({ hostPort: 8080 }), [on(tcp('10.0.0.1'))]), oneNodeFailure(portsTaken))
  const containerPortOnly = pod('p', { containers: [{ name: 'c', ports: [{ containerPort: 8080 }] }] })
  assert.is(
    placeOne(a, containerPortOnly, [on({ hostPort: 8080 })]),
    'a',
    'a container port alone takes no host port',
  )
})

test('host ports taken earlier in the same plan count', () => {
  const pending = ['p1', 'p2', 'p3'].map((name) => pod(name, { hostPorts: [{ hostPort: 80 }] }))
  assert.equal(outcome(plan([node('a'), node('b')], pending)), {
    p1: 'a',
    p2: 'b',
    p3: `0/2 nodes are available: 2 ${portsTaken}.`,
  })
})

// --- pod affinity and anti-affinity ------------------------------------------------------------

const antiAffinity = (
  labels: Record<string, string>,
  topologyKey = 'kubernetes.io/hostname',
  extra: Json = {},
) => ({
  podAntiAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: [
      { labelSelector: { matchLabels: labels }, topologyKey, ...extra },
    ],
  },
})
const affinity = (labels: Record<string, string>, topologyKey = 'kubernetes.io/hostname') => ({
  podAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: labels }, topologyKey }],
  },
})

test('pod anti-affinity on the hostname spreads replicas even when bin packing, counting this plan', () => {
  const replicas = ['web-1', 'web-2', 'web-3', 'web-4'].map((name) =>
    pod(name, { cpu: '100m', labels: { app: 'web' }, affinity: antiAffinity({ app: 'web' }) }),
  )
  assert.equal(outcome(plan([node('a'), node('b'), node('c')], replicas)), {
    'web-1': 'a',
    'web-2': 'b',
    'web-3': 'c',
    'web-4': "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.",
  })
})

test('pod anti-affinity is symmetric: an existing pod keeps matching pods off its node', () => {
  const loner = pod('loner', { nodeName: 'a', labels: { app: 'db' }, affinity: antiAffinity({ app: 'web' }) })
  const web = pod('web', { labels: { app: 'web' } })
  assert.is(
    placeOne([node('a')], web, [loner]),
    oneNodeFailure("node(s) didn't satisfy existing pods anti-affinity rules"),
  )
  assert.is(placeOne([node('a'), node('b')], web, [loner]), 'b')
  assert.is(placeOne([node('a')], pod('other', { labels: { app: 'cache' } }), [loner]), 'a')
})

test('pod anti-affinity terms look in the pod own namespace unless told otherwise', () => {
  const existing = [pod('x', { namespace: 'other', nodeName: 'a', labels: { app: 'web' } })]
  const nodes = [node('a'), node('b')]
  const own = pod('p', { labels: { app: 'web' }, affinity: antiAffinity({ app: 'web' }) })
  assert.is(placeOne(nodes, own, existing), 'a')
  const listed = pod('p', { affinity: antiAffinity({ app: 'web' }, undefined, { namespaces: ['other'] }) })
  assert.is(placeOne(nodes, listed, existing), 'b')
  const everywhere = pod('p', {
    affinity: antiAffinity({ app: 'web' }, undefined, { namespaceSelector: {} }),
  })
  assert.is(placeOne(nodes, everywhere, existing), 'b')
  const byName = pod('p', {
    affinity: antiAffinity({ app: 'web' }, undefined, {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } },
    }),
  })
  assert.is(placeOne(nodes, byName, existing), 'b')
})

test('pod anti-affinity over a zone keeps the whole zone; nodes without the label are not in it', () => {
  const nodes = [
    node('a', { labels: { zone: 'z1' } }),
    node('b', { labels: { zone: 'z1' } }),
    node('c', { labels: { zone: 'z2' } }),
    node('d'),
  ]
  const existing = [pod('x', { nodeName: 'a', labels: { app: 'web' } })]
  const p = pod('p', { labels: { app: 'web' }, affinity: antiAffinity({ app: 'web' }, 'zone') })
  const result = plan(nodes, [p, { ...p, metadata: { ...p.metadata, name: 'q', uid: 'uid-q' } }], {
    pods: existing,
  })
  assert.equal(outcome(result), { p: 'c', q: 'd' })
})

test('pod affinity: pods go where matching pods run; the first of a self-affine group goes anywhere', () => {
  const nodes = [node('a'), node('b')]
  const cache = pod('cache', { nodeName: 'b', labels: { app: 'cache' } })
  const web = (name: string) => pod(name, { labels: { app: 'web' }, affinity: affinity({ app: 'cache' }) })
  // Spreading would pick `a`; the affinity requires `b`.
  assert.is(outcome(plan(nodes, [web('w')], { pods: [cache], strategy: 'spread' })).w, 'b')
  assert.is(placeOne(nodes, web('w')), "0/2 nodes are available: 2 node(s) didn't match pod affinity rules.")
  const selfAffine = (name: string) =>
    pod(name, { labels: { app: 'batch' }, affinity: affinity({ app: 'batch' }) })
  assert.equal(outcome(plan(nodes, [selfAffine('s1'), selfAffine('s2')], { strategy: 'spread' })), {
    s1: 'a',
    s2: 'a',
  })
})

test('pod affinity needs the topology label on the node', () => {
  const nodes = [node('a', { labels: { zone: 'z1' } }), node('b', { labels: { zone: 'z1' } }), node('c')]
  const cache = pod('cache', { nodeName: 'a', labels: { app: 'cache' } })
  const web = pod('w', { labels: { app: 'web' }, affinity: affinity({ app: 'cache' }, 'zone') })
  assert.is(outcome(plan(nodes, [web], { pods: [cache], strategy: 'spread' })).w, 'b')
  const first = pod('s', { labels: { app: 'batch' }, affinity: affinity({ app: 'batch' }, 'zone') })
  assert.is(
    placeOne([node('c')], first),
    "0/1 nodes are available: 1 node(s) didn't match pod affinity rules.",
  )
})

test('a pod whose affinity selector cannot be read is not scheduled', () => {
  const bad = pod('p', {
    affinity: {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: { matchExpressions: [{ key: 'app', operator: 'Near' }] }, topologyKey: 'zone' },
        ],
      },
    },
  })
  assert.match(
    placeOne([node('a')], bad),
    /^invalid pod affinity: "Near" is not a valid label selector operator/,
  )
})

// --- scoring and the plan as a whole -----------------------------------------------------------

test('binpack fills the fullest node; spread picks the emptiest', () => {
  const nodes = [node('a'), node('b'), node('c')]
  const existing = [
    pod('x', { cpu: '1', memory: '1Gi', nodeName: 'b' }),
    pod('y', { cpu: '2', memory: '2Gi', nodeName: 'c' }),
  ]
  const p = pod('p', { cpu: '1', memory: '1Gi' })
  assert.is(outcome(plan(nodes, [p], { pods: existing, strategy: 'binpack' })).p, 'c')
  assert.is(outcome(plan(nodes, [p], { pods: existing, strategy: 'spread' })).p, 'a')
})

test('binpack does not pick a fuller node the pod does not fit', () => {
  const nodes = [node('a', { cpu: '4' }), node('b', { cpu: '4' })]
  const existing = [pod('x', { cpu: '3500m', nodeName: 'b' })]
  assert.is(outcome(plan(nodes, [pod('p', { cpu: '1' })], { pods: existing })).p, 'a')
})

test('each placement counts toward the next pod of the same plan', () => {
  const nodes = [node('a', { cpu: '2' }), node('b', { cpu: '2' })]
  const pending = ['p1', 'p2', 'p3', 'p4', 'p5'].map((name) => pod(name, { cpu: '1', memory: '1Gi' }))
  const full = '0/2 nodes are available: 2 Insufficient cpu.'
  assert.equal(outcome(plan(nodes, pending, { strategy: 'binpack' })), {
    p1: 'a',
    p2: 'a',
    p3: 'b',
    p4: 'b',
    p5: full,
  })
  assert.equal(outcome(plan(nodes, pending, { strategy: 'spread' })), {
    p1: 'a',
    p2: 'b',
    p3: 'a',
    p4: 'b',
    p5: full,
  })
})

test('pods without requests still spread: scoring counts 100m and 200Mi for each', () => {
  const pending = ['p1', 'p2', 'p3', 'p4'].map((name) => pod(name))
  assert.equal(outcome(plan([node('a'), node('b')], pending, { strategy: 'spread' })), {
    p1: 'a',
    p2: 'b',
    p3: 'a',
    p4: 'b',
  })
  assert.equal(outcome(plan([node('a'), node('b')], pending, { strategy: 'binpack' })), {
    p1: 'a',
    p2: 'a',
    p3: 'a',
    p4: 'a',
  })
})

test('the message counts each reason over the nodes, sorted as text as kube-scheduler does', () => {
  const nodes = [
    node('cp', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }),
    node('w1', { cpu: '1' }),
    node('w2', { cpu: '1' }),
  ]
  assert.is(
    placeOne(nodes, pod('p', { cpu: '2' })),
    '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.',
  )
  const mixed = [
    node('a', { cpu: '1', memory: '1Gi' }),
    node('b', { cpu: '1' }),
    node('c', { unschedulable: true }),
    node('d', { ready: 'False' }),
  ]
  assert.is(
    placeOne(mixed, pod('p', { cpu: '2', memory: '2Gi' })),
    '0/4 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable, 2 Insufficient cpu.',
  )
})

test('without nodes nothing is scheduled', () => {
  assert.equal(plan([], [pod('p')]).unschedulable, [
    { namespace: 'default', name: 'p', uid: 'uid-p', message: 'no nodes available to schedule pods' },
  ])
})

test('the plan depends on nothing but the input: order of nodes and pods, and ties go by node name', () => {
  const nodes = ['c', 'a', 'd', 'b'].map((name) => node(name))
  const existing = [pod('x', { cpu: '1', nodeName: 'c' }), pod('y', { cpu: '1', nodeName: 'd' })]
  const pending = ['p1', 'p2', 'p3'].map((name) => pod(name, { cpu: '1' }))
  const spread = plan(nodes, pending, { pods: existing, strategy: 'spread' })
  assert.equal(outcome(spread), { p1: 'a', p2: 'b', p3: 'a' })
  const reordered = plan([...nodes].reverse(), pending, { pods: [...existing].reverse(), strategy: 'spread' })
  assert.equal(reordered, spread)
  assert.equal(outcome(plan(nodes, pending, { pods: existing })), { p1: 'c', p2: 'c', p3: 'c' })
})

test('large clusters: as kube-scheduler, a pod is placed among the first feasible nodes found, searches taking turns', () => {
  assert.equal(
    [50, 99, 100, 1_000, 5_000, 6_000].map(feasibleNodesToFind),
    [50, 99, 100, 420, 500, 300],
    "kube-scheduler's numFeasibleNodesToFind with the default percentageOfNodesToScore",
  )
  const names = Array.from({ length: 1_000 }, (_, i) => `n-${String(i).padStart(4, '0')}`)
  const nodes = names.map((name) => node(name))
  const result = outcome(
    plan(nodes, [pod('a', { cpu: '1' }), pod('b', { cpu: '1' }), pod('c', { cpu: '1' })]),
  )
  // Each search starts where the last ended: b's (420-839) sees only empty nodes and takes the first;
  // c's wraps round from 840 to 259 and, bin packing, joins a on the busier node.
  assert.equal(result, { a: names[0], b: names[420], c: names[0] })
  const unfit = outcome(plan(nodes, [pod('big', { cpu: '100' })])).big
  assert.is(
    unfit,
    '0/1000 nodes are available: 1000 Insufficient cpu.',
    'an unschedulable pod is tried on every node',
  )
})

test.run()
