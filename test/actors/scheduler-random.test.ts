// Randomized scheduling (actors/scheduler.ts): random clusters (nodes of several sizes, labels,
// taints, conditions, cordons; pods bound, finished and unbound) and random pending pods (requests
// with init containers and sidecars, node selectors, required node affinity, tolerations, host
// ports, pod affinity and anti-affinity). A plain reference check written from Kubernetes' rules,
// sharing no code with the scheduler, replays each plan in order and asserts:
//   - every binding passes every filter on the cluster as it stood when the pod was placed;
//   - every unschedulable pod fits no node at that moment, and its message counts the nodes;
//   - no node ends over-committed (cpu, memory, ephemeral storage, pod count);
//   - the plan is the same whatever the order of the nodes and the bound pods.
//
//   COX_SEED=n node test/actors/scheduler-random.test.ts   reproduces a run

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { type SchedulePlan, type Strategy, schedule } from '../../actors/scheduler.ts'
import { isRecord, type KubeObject } from '../../core/api/object.ts'
import { milliValue, parseQuantity } from '../../core/api/quantity.ts'
import { type Random, seededRandom } from '../../core/random.ts'

const test = suite('actors: scheduler (randomized)')

const seed = process.env.COX_SEED === undefined ? 20_250_601 : Number(process.env.COX_SEED)
console.log(`scheduler: seed=${seed} (set COX_SEED to reproduce)`)

const roundsMax = 300

type Json = Record<string, unknown>

// --- generation --------------------------------------------------------------------------------

const apps = ['web', 'db', 'cache']
const namespaces = ['default', 'team']
const taintChoices = [
  { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
  { key: 'maintenance', value: '', effect: 'NoExecute' },
  { key: 'spot', value: '', effect: 'PreferNoSchedule' },
]
const tolerationChoices: Json[] = [
  { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
  { key: 'dedicated', operator: 'Equal', value: 'cpu' },
  { key: 'maintenance', operator: 'Exists' },
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  { operator: 'Exists' },
]

function randomNode(random: Random, index: number): KubeObject {
  const labels: Record<string, string> = {}
  if (random.chance(0.8)) labels.zone = random.pick(['z1', 'z2'])
  if (random.chance(0.5)) labels.disk = random.pick(['ssd', 'hdd'])
  const allocatable: Record<string, string> = {
    cpu: random.pick(['1', '2', '2000m', '4']),
    memory: random.pick(['1Gi', '2Gi', '4096Mi']),
    pods: String(random.int(2, 8)),
  }
  if (random.chance(0.5)) allocatable['ephemeral-storage'] = random.pick(['1Gi', '10Gi'])
  const taints = taintChoices.filter(() => random.chance(0.15))
  const ready = random.chance(0.85) ? 'True' : random.pick(['False', 'Unknown', 'missing'])
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: `n${index}`, labels },
    spec: { unschedulable: random.chance(0.1), taints },
    status: {
      // Either place may hold the figures; the scheduler reads allocatable first.
      [random.chance(0.8) ? 'allocatable' : 'capacity']: allocatable,
      conditions: ready === 'missing' ? [] : [{ type: 'Ready', status: ready }],
    },
  }
}

function randomRequests(random: Random): Record<string, string> {
  const requests: Record<string, string> = {}
  if (random.chance(0.8)) requests.cpu = random.pick(['100m', '250m', '500m', '1', '1500m'])
  if (random.chance(0.7)) requests.memory = random.pick(['128Mi', '256Mi', '512Mi', '1Gi'])
  if (random.chance(0.1)) requests['ephemeral-storage'] = random.pick(['512Mi', '2Gi'])
  return requests
}

function randomContainer(random: Random, name: string, extra: Json = {}): Json {
  return { name, image: 'busybox', resources: { requests: randomRequests(random) }, ...extra }
}

function randomAffinity(random: Random, app: string): Json {
  const affinity: Json = {}
  const selector = (labels: Json) => ({ labelSelector: { matchLabels: labels } })
  if (random.chance(0.25)) {
    const topologyKey = random.pick(['kubernetes.io/hostname', 'zone'])
    affinity.podAntiAffinity = {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { ...selector({ app: random.chance(0.7) ? app : random.pick(apps) }), topologyKey },
      ],
    }
  }
  if (random.chance(0.1)) {
    affinity.podAffinity = {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { ...selector({ app: random.pick(apps) }), topologyKey: 'kubernetes.io/hostname' },
      ],
    }
  }
  if (random.chance(0.15)) {
    const term = random.chance(0.5)
      ? { matchExpressions: [{ key: 'zone', operator: 'In', values: [random.pick(['z1', 'z2'])] }] }
      : { matchFields: [{ key: 'metadata.name', operator: 'In', values: [`n${random.int(0, 5)}`] }] }
    affinity.nodeAffinity = { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term] } }
  }
  return affinity
}

function randomPod(random: Random, name: string): KubeObject {
  const app = random.pick(apps)
  const containers = [randomContainer(random, 'main')]
  if (random.chance(0.3)) containers.push(randomContainer(random, 'helper'))
  if (random.chance(0.15)) {
    const hostIP = random.pick([undefined, '10.0.0.1', '10.0.0.2'])
    const port = {
      containerPort: 80,
      hostPort: random.pick([80, 443]),
      protocol: random.pick(['TCP', 'UDP']),
    }
    containers[0]!.ports = [hostIP === undefined ? port : { ...port, hostIP }]
  }
  const initContainers = [randomContainer(random, 'setup')]
  if (random.chance(0.3)) {
    const sidecar = randomContainer(random, 'proxy', { restartPolicy: 'Always' })
    initContainers.splice(random.int(0, 1), 0, sidecar)
  }
  const spec: Json = { containers, affinity: randomAffinity(random, app) }
  if (random.chance(0.4)) spec.initContainers = initContainers
  if (random.chance(0.15)) spec.nodeSelector = random.chance(0.5) ? { disk: 'ssd' } : { zone: 'z1' }
  if (random.chance(0.3)) spec.tolerations = tolerationChoices.filter(() => random.chance(0.3))
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: random.pick(namespaces), uid: `uid-${name}`, labels: { app } },
    spec,
    status: { phase: 'Pending' },
  }
}

const bound = (pod: KubeObject, nodeName: string, phase = 'Running'): KubeObject => ({
  ...pod,
  spec: { ...(pod.spec as Json), nodeName },
  status: { phase },
})

interface Round {
  nodes: KubeObject[]
  pods: KubeObject[]
  pending: KubeObject[]
  strategy: Strategy
}

function randomRound(random: Random): Round {
  const nodes = Array.from({ length: random.int(1, 6) }, (_, i) => randomNode(random, i))
  const cluster = new Cluster(nodes)
  const pods: KubeObject[] = []
  for (let i = 0; i < random.int(0, 12); i++) {
    const pod = randomPod(random, `old-${i}`)
    if (random.chance(0.15)) {
      // Finished pods hold nothing, however much they asked for.
      pods.push(bound(pod, random.pick(nodes).metadata.name!, random.pick(['Succeeded', 'Failed'])))
      continue
    }
    const fitting = nodes.filter((node) => cluster.fits(pod, node))
    if (fitting.length === 0 || random.chance(0.1)) {
      pods.push(pod) // unbound: not the scheduler's concern here
      continue
    }
    const node = random.pick(fitting)
    cluster.add(pod, node)
    pods.push(bound(pod, node.metadata.name!))
  }
  const pending = Array.from({ length: random.int(1, 25) }, (_, i) => randomPod(random, `new-${i}`))
  return { nodes, pods, pending, strategy: random.pick(['binpack', 'spread'] as const) }
}

// --- the reference check: Kubernetes' rules, written plainly -----------------------------------

const record = (value: unknown): Json => (isRecord(value) ? value : {})
const list = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isRecord) : [])
const nameOf = (object: KubeObject) => object.metadata.name!

function amount(resource: string, quantity: unknown): number {
  if (resource === 'cpu') return milliValue(String(quantity))!
  return Math.ceil(parseQuantity(String(quantity))!.value)
}

function containerRequest(container: Json, resource: string): number {
  const requests = record(record(container.resources).requests)
  return requests[resource] === undefined ? 0 : amount(resource, requests[resource])
}

/** max(what runs for the pod's life, what each init container needs while it runs). */
function podRequest(pod: KubeObject, resource: string): number {
  const spec = record(pod.spec)
  const inits = list(spec.initContainers)
  const sidecars = inits.filter((c) => c.restartPolicy === 'Always')
  const sum = (cs: Json[]) => cs.reduce((total, c) => total + containerRequest(c, resource), 0)
  const running = sum(list(spec.containers)) + sum(sidecars)
  const initPeaks = inits.map((c, i) => {
    const sidecarsBefore = inits.slice(0, i).filter((s) => s.restartPolicy === 'Always')
    return containerRequest(c, resource) + sum(sidecarsBefore)
  })
  return Math.max(running, ...initPeaks)
}

const checkedResources = ['cpu', 'memory', 'ephemeral-storage']

function allocatable(node: KubeObject, resource: string): number {
  const status = record(node.status)
  const quantity = record(status.allocatable)[resource] ?? record(status.capacity)[resource]
  return quantity === undefined ? 0 : amount(resource, quantity)
}

function tolerates(pod: KubeObject, taint: Json): boolean {
  return list(record(pod.spec).tolerations).some((t) => {
    if (t.effect !== undefined && t.effect !== taint.effect) return false
    if (t.key !== undefined && t.key !== taint.key) return false
    return t.operator === 'Exists' || (t.value ?? '') === taint.value
  })
}

function topologyValue(node: KubeObject, key: string): string | undefined {
  if (key === 'kubernetes.io/hostname') return nameOf(node)
  return node.metadata.labels?.[key]
}

type Term = { labelSelector: { matchLabels: Record<string, string> }; topologyKey: string }

const terms = (pod: KubeObject, kind: 'podAffinity' | 'podAntiAffinity'): Term[] =>
  list(
    record(record(record(pod.spec).affinity)[kind]).requiredDuringSchedulingIgnoredDuringExecution,
  ) as Term[]

/** The owner's term selects `other`: same namespace (no namespaces were generated) and labels. */
function selects(owner: KubeObject, term: Term, other: KubeObject): boolean {
  if (owner.metadata.namespace !== other.metadata.namespace) return false
  return Object.entries(term.labelSelector.matchLabels).every(([k, v]) => other.metadata.labels?.[k] === v)
}

class Cluster {
  readonly placed = new Map<string, KubeObject[]>()
  readonly nodes: readonly KubeObject[]
  constructor(nodes: readonly KubeObject[]) {
    this.nodes = nodes
    for (const node of nodes) this.placed.set(nameOf(node), [])
  }

  add(pod: KubeObject, node: KubeObject): void {
    this.placed.get(nameOf(node))!.push(pod)
  }

  used(node: KubeObject, resource: string): number {
    return this.placed.get(nameOf(node))!.reduce((total, pod) => total + podRequest(pod, resource), 0)
  }

  /** Every (pod, node) pair placed so far. */
  all(): { pod: KubeObject; node: KubeObject }[] {
    return this.nodes.flatMap((node) => this.placed.get(nameOf(node))!.map((pod) => ({ pod, node })))
  }

  fits(pod: KubeObject, node: KubeObject): boolean {
    return (
      this.schedulable(pod, node) &&
      this.selected(pod, node) &&
      this.portsFree(pod, node) &&
      this.roomFor(pod, node) &&
      this.affinityHolds(pod, node)
    )
  }

  private schedulable(pod: KubeObject, node: KubeObject): boolean {
    const spec = record(node.spec)
    const unschedulable = { key: 'node.kubernetes.io/unschedulable', value: '', effect: 'NoSchedule' }
    if (spec.unschedulable === true && !tolerates(pod, unschedulable)) return false
    const ready = list(record(node.status).conditions).find((c) => c.type === 'Ready')?.status ?? 'False'
    const conditionTaints =
      ready === 'True'
        ? []
        : [
            {
              key: `node.kubernetes.io/${ready === 'False' ? 'not-ready' : 'unreachable'}`,
              value: '',
              effect: 'NoSchedule',
            },
          ]
    return [...list(spec.taints), ...conditionTaints]
      .filter((t) => t.effect !== 'PreferNoSchedule')
      .every((t) => tolerates(pod, t))
  }

  private selected(pod: KubeObject, node: KubeObject): boolean {
    const spec = record(pod.spec)
    const labels = node.metadata.labels ?? {}
    const selector = record(spec.nodeSelector) as Record<string, string>
    if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) return false
    const required = record(
      record(record(spec.affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution,
    )
    if (required.nodeSelectorTerms === undefined) return true
    return list(required.nodeSelectorTerms).some((term) => {
      const expressions = list(term.matchExpressions).every((e) =>
        (e.values as string[]).includes(labels[e.key as string]!),
      )
      const fields = list(term.matchFields).every((e) => (e.values as string[]).includes(nameOf(node)))
      return expressions && fields
    })
  }

  private portsFree(pod: KubeObject, node: KubeObject): boolean {
    const ports = (p: KubeObject) =>
      list(record(p.spec).containers)
        .flatMap((c) => list(c.ports))
        .filter((port) => port.hostPort !== undefined)
    return ports(pod).every((wanted) =>
      this.placed
        .get(nameOf(node))!
        .flatMap(ports)
        .every(
          (used) =>
            used.hostPort !== wanted.hostPort ||
            used.protocol !== wanted.protocol ||
            (used.hostIP !== undefined && wanted.hostIP !== undefined && used.hostIP !== wanted.hostIP),
        ),
    )
  }

  private roomFor(pod: KubeObject, node: KubeObject): boolean {
    if (this.placed.get(nameOf(node))!.length + 1 > allocatable(node, 'pods')) return false
    return checkedResources.every((resource) => {
      const wanted = podRequest(pod, resource)
      return wanted === 0 || this.used(node, resource) + wanted <= allocatable(node, resource)
    })
  }

  private affinityHolds(pod: KubeObject, node: KubeObject): boolean {
    const sameDomain = (other: KubeObject, key: string) => {
      const value = topologyValue(node, key)
      return value !== undefined && topologyValue(other, key) === value
    }
    const placed = this.all()
    for (const term of terms(pod, 'podAntiAffinity')) {
      if (
        placed.some(
          ({ pod: other, node: at }) => selects(pod, term, other) && sameDomain(at, term.topologyKey),
        )
      )
        return false
    }
    for (const { pod: other, node: at } of placed) {
      for (const term of terms(other, 'podAntiAffinity')) {
        if (selects(other, term, pod) && sameDomain(at, term.topologyKey)) return false
      }
    }
    const affinity = terms(pod, 'podAffinity')
    if (affinity.length === 0) return true
    const matching = placed.filter(({ pod: other }) => affinity.every((term) => selects(pod, term, other)))
    if (matching.length === 0) return affinity.every((term) => selects(pod, term, pod))
    return affinity.every((term) => matching.some(({ node: at }) => sameDomain(at, term.topologyKey)))
  }
}

// --- the test ----------------------------------------------------------------------------------

function shuffled<T>(random: Random, items: readonly T[]): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = random.int(0, i)
    ;[copy[i], copy[j]] = [copy[j]!, copy[i]!]
  }
  return copy
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

/** Replays `plan` against the reference check; returns how many pods were bound and refused. */
function check(round: Round, plan: SchedulePlan, where: string): { bound: number; refused: number } {
  const cluster = new Cluster(round.nodes)
  const byName = new Map(round.nodes.map((node) => [nameOf(node), node]))
  for (const pod of round.pods) {
    const nodeName = record(pod.spec).nodeName
    const phase = record(pod.status).phase
    if (typeof nodeName === 'string' && phase !== 'Succeeded' && phase !== 'Failed')
      cluster.add(pod, byName.get(nodeName)!)
  }
  const bindings = new Map(plan.bindings.map((b) => [b.uid, b]))
  const refusals = new Map(plan.unschedulable.map((u) => [u.uid, u]))
  assert.is(bindings.size + refusals.size, round.pending.length, `${where}: every pending pod once`)
  for (const pod of round.pending) {
    const label = `${where}: ${nameOf(pod)} ${JSON.stringify(pod.spec)}`
    const binding = bindings.get(pod.metadata.uid!)
    if (binding !== undefined) {
      assert.equal(binding, {
        namespace: pod.metadata.namespace,
        name: nameOf(pod),
        uid: pod.metadata.uid,
        node: binding.node,
      })
      const node = byName.get(binding.node)!
      assert.ok(cluster.fits(pod, node), `${label}: bound to ${binding.node}, where it does not fit`)
      cluster.add(pod, node)
    } else {
      const message = refusals.get(pod.metadata.uid!)!.message
      const fitting = round.nodes.filter((node) => cluster.fits(pod, node)).map(nameOf)
      assert.equal(fitting, [], `${label}: refused (${message}) but fits`)
      const counted = /^0\/(\d+) nodes are available: (.*)\.$/.exec(message)
      assert.ok(counted !== null, `${label}: message ${message}`)
      assert.is(Number(counted[1]), round.nodes.length, `${label}: ${message}`)
      // Every node gives at least one reason; only the resource filter gives several.
      const total = counted[2]!.split(', ').reduce((sum, part) => sum + Number(part.split(' ')[0]), 0)
      assert.ok(total >= round.nodes.length, `${label}: ${message}`)
    }
  }
  for (const node of round.nodes) {
    assert.ok(
      cluster.placed.get(nameOf(node))!.length <= allocatable(node, 'pods'),
      `${where}: too many pods on ${nameOf(node)}`,
    )
    for (const resource of checkedResources) {
      const used = cluster.used(node, resource)
      assert.ok(
        used <= allocatable(node, resource),
        `${where}: ${nameOf(node)} over-committed on ${resource}: ${used}`,
      )
    }
  }
  return { bound: bindings.size, refused: refusals.size }
}

test('plans pass every filter, refusals fit nowhere, nodes are never over-committed', () => {
  const random = seededRandom(seed)
  let bound = 0
  let refused = 0
  for (let round = 0; round < roundsMax; round++) {
    const where = `seed=${seed} round ${round}`
    const input = deepFreeze(randomRound(random))
    const plan = schedule(input)
    const counts = check(input, plan, where)
    bound += counts.bound
    refused += counts.refused
    const reordered = { ...input, nodes: shuffled(random, input.nodes), pods: shuffled(random, input.pods) }
    assert.equal(schedule(reordered), plan, `${where}: the plan depends on the order of nodes or pods`)
  }
  // The runs must have gone both ways to mean anything.
  assert.ok(bound > roundsMax && refused > roundsMax / 2, `seed=${seed}: ${bound} bound, ${refused} refused`)
})

test.run()
