// What the scheduler reads from Pods and Nodes, decoded once into plain records: a pod's effective
// requests (as Kubernetes' `PodRequests` computes them), host ports, tolerations, node selector and
// affinity terms; a node's labels, taints, allocatable resources and what its pods already hold.
// Objects are read, never changed; a malformed field reads as absent (the API validated them).

import { isRecord, type KubeObject, type LabelSelector } from '../core/api/object.ts'
import { milliValue, parseQuantity } from '../core/api/quantity.ts'
import { type LabelRequirement, labelSelectorRequirements } from '../core/api/selectors.ts'

type Json = Record<string, unknown>

/** Amounts by resource name: `cpu` in millicores, everything else in whole units (bytes, pods, GPUs). */
export type Resources = Record<string, number>

export interface Taint {
  key: string
  value: string
  /** NoSchedule, PreferNoSchedule or NoExecute. */
  effect: string
}

export interface Toleration {
  key: string
  /** `Equal` (also when empty) or `Exists`. */
  operator: string
  value: string
  /** Empty tolerates every effect. */
  effect: string
}

export interface HostPort {
  /** `0.0.0.0` for every address (an absent, empty or unspecified hostIP). */
  ip: string
  protocol: string
  port: number
}

/** A NodeSelectorTerm: its label requirements and `metadata.name` requirements must all hold. */
export interface NodeTerm {
  labels: LabelRequirement[]
  fields: LabelRequirement[]
}

export interface PreferredNodeTerm {
  weight: number
  term: NodeTerm
}

/** A required pod (anti-)affinity term, its namespaces resolved as kube-scheduler's PreFilter does. */
export interface AffinityTerm {
  namespaces: ReadonlySet<string>
  /** null: no namespace selector (only `namespaces` count); `[]`: every namespace. */
  namespaceSelector: LabelRequirement[] | null
  selector: LabelRequirement[] | null
  topologyKey: string
}

export interface PodInfo {
  namespace: string
  name: string
  uid: string
  labels: Record<string, string>
  /** Effective requests, what the resource filter checks and a node's `requested` adds up. */
  requests: Resources
  /** cpu and memory with 100m and 200Mi for each container that requests none, for scoring only. */
  scoringRequests: { cpu: number; memory: number }
  hostPorts: HostPort[]
  nodeSelector: Record<string, string>
  /** null: no required node affinity; `[]`: required, but no term can match. */
  requiredNodeTerms: NodeTerm[] | null
  preferredNodeTerms: PreferredNodeTerm[]
  tolerations: Toleration[]
  affinityTerms: AffinityTerm[]
  antiAffinityTerms: AffinityTerm[]
  /** Why a term could not be read (an invalid selector); such a pod is not scheduled. */
  problems: string[]
}

export interface NodeInfo {
  name: string
  /** The node's labels, with `kubernetes.io/hostname` defaulting to the node's name. */
  labels: Record<string, string>
  unschedulable: boolean
  /** `spec.taints`, then the taints Kubernetes' node lifecycle controller derives from conditions. */
  taints: Taint[]
  /** `status.allocatable`, each resource falling back to `status.capacity`; `pods` included. */
  allocatable: Resources
  pods: PodInfo[]
  /** Those of `pods` with required anti-affinity terms, which every incoming pod is checked against. */
  podsWithAntiAffinity: PodInfo[]
  /** The sum of its pods' effective requests. */
  requested: Resources
  scoringRequested: { cpu: number; memory: number }
  hostPorts: HostPort[]
}

export const hostnameLabel = 'kubernetes.io/hostname'
export const unschedulableTaintKey = 'node.kubernetes.io/unschedulable'
/** The namespace label Kubernetes sets on every namespace, the only one a namespace selector sees here. */
export const namespaceNameLabel = 'kubernetes.io/metadata.name'

// For scoring, a container without a request counts as this much (kube-scheduler's non-zero defaults),
// so that pods without requests still spread.
const defaultScoringMilliCpu = 100
const defaultScoringMemoryBytes = 200 * 1024 * 1024

// TaintNodesByCondition: the taint each node condition status stands for.
const conditionTaints: readonly { type: string; status: string; key: string }[] = [
  { type: 'Ready', status: 'False', key: 'node.kubernetes.io/not-ready' },
  { type: 'Ready', status: 'Unknown', key: 'node.kubernetes.io/unreachable' },
  { type: 'MemoryPressure', status: 'True', key: 'node.kubernetes.io/memory-pressure' },
  { type: 'DiskPressure', status: 'True', key: 'node.kubernetes.io/disk-pressure' },
  { type: 'PIDPressure', status: 'True', key: 'node.kubernetes.io/pid-pressure' },
  { type: 'NetworkUnavailable', status: 'True', key: 'node.kubernetes.io/network-unavailable' },
]

const nodeOperators: Record<string, LabelRequirement['operator']> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
  Gt: 'gt',
  Lt: 'lt',
}

const record = (value: unknown): Json => (isRecord(value) ? value : {})
const records = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isRecord) : [])
const text = (value: unknown): string => (typeof value === 'string' ? value : '')
const texts = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
const stringMap = (value: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(record(value)).filter(([, v]) => typeof v === 'string')) as Record<
    string,
    string
  >

/** A quantity in the resource's unit, rounded up as Kubernetes' `MilliValue` and `Value` do. */
export function resourceAmount(name: string, quantity: unknown): number {
  const written = typeof quantity === 'number' ? String(quantity) : text(quantity)
  if (name === 'cpu') return milliValue(written) ?? 0
  return Math.ceil(parseQuantity(written)?.value ?? 0)
}

function resourceList(value: unknown): Resources {
  const resources: Resources = {}
  for (const [name, quantity] of Object.entries(record(value)))
    resources[name] = resourceAmount(name, quantity)
  return resources
}

export function addResources(into: Resources, more: Readonly<Resources>): void {
  for (const [name, amount] of Object.entries(more)) into[name] = (into[name] ?? 0) + amount
}

function maxResources(into: Resources, other: Readonly<Resources>): void {
  for (const [name, amount] of Object.entries(other)) into[name] = Math.max(into[name] ?? 0, amount)
}

/**
 * A pod's effective requests, as Kubernetes' `PodRequests`: the containers' sum plus sidecars (init
 * containers with restartPolicy Always), or the largest init container together with the sidecars
 * started before it, whichever is larger per resource; plus the pod's overhead.
 */
export function effectiveRequests(spec: Json, containerRequests: (container: Json) => Resources): Resources {
  const total: Resources = {}
  for (const container of records(spec.containers)) addResources(total, containerRequests(container))
  const sidecars: Resources = {}
  const init: Resources = {}
  for (const container of records(spec.initContainers)) {
    const requests = { ...containerRequests(container) }
    if (container.restartPolicy === 'Always') {
      // A sidecar runs on beside the containers (so `total` holds it, and `total` always covers
      // the sidecars' own sum) and beside every init container after it.
      addResources(total, requests)
      addResources(sidecars, requests)
    } else {
      addResources(requests, sidecars)
      maxResources(init, requests)
    }
  }
  maxResources(total, init)
  addResources(total, resourceList(spec.overhead))
  return total
}

const requestsOf = (container: Json): Resources => resourceList(record(container.resources).requests)

function scoringRequestsOf(container: Json): Resources {
  const requests = record(record(container.resources).requests)
  return {
    cpu: 'cpu' in requests ? resourceAmount('cpu', requests.cpu) : defaultScoringMilliCpu,
    memory: 'memory' in requests ? resourceAmount('memory', requests.memory) : defaultScoringMemoryBytes,
  }
}

function hostPortsOf(spec: Json): HostPort[] {
  // Sidecars run beside the containers for the pod's whole life, so their ports are held too.
  const sidecars = records(spec.initContainers).filter((c) => c.restartPolicy === 'Always')
  const ports: HostPort[] = []
  for (const container of [...records(spec.containers), ...sidecars]) {
    for (const port of records(container.ports)) {
      const hostPort = typeof port.hostPort === 'number' ? port.hostPort : 0
      if (hostPort <= 0) continue
      const ip = text(port.hostIP)
      const unspecified = ip === '' || ip === '0.0.0.0' || ip === '::'
      ports.push({ ip: unspecified ? '0.0.0.0' : ip, protocol: text(port.protocol) || 'TCP', port: hostPort })
    }
  }
  return ports
}

/** One NodeSelectorTerm, or null if it can match nothing (empty, or a requirement Kubernetes refuses). */
function nodeTerm(term: Json): NodeTerm | null {
  const labels: LabelRequirement[] = []
  for (const expression of records(term.matchExpressions)) {
    const operator = nodeOperators[text(expression.operator)]
    const values = texts(expression.values)
    if (operator === undefined) return null
    if ((operator === 'gt' || operator === 'lt') && (values.length !== 1 || !/^[+-]?\d+$/.test(values[0]!)))
      return null
    labels.push({ key: text(expression.key), operator, values: values.map((v) => v.replace(/^\+/, '')) })
  }
  const fields: LabelRequirement[] = []
  for (const expression of records(term.matchFields)) {
    const operator = text(expression.operator)
    const values = texts(expression.values)
    // Field requirements are one-value equality tests (nodeSelectorRequirementsAsFieldSelector).
    if ((operator !== 'In' && operator !== 'NotIn') || values.length !== 1) return null
    fields.push({ key: text(expression.key), operator: operator === 'In' ? 'in' : 'notin', values })
  }
  return labels.length + fields.length === 0 ? null : { labels, fields }
}

function affinityTerms(namespace: string, terms: unknown, problems: string[]): AffinityTerm[] {
  const result: AffinityTerm[] = []
  for (const term of records(terms)) {
    try {
      const selector = labelSelectorRequirements(term.labelSelector as LabelSelector | undefined)
      const namespaceSelector = labelSelectorRequirements(term.namespaceSelector as LabelSelector | undefined)
      const namespaces = texts(term.namespaces)
      // No namespaces and no namespace selector mean the pod's own namespace.
      if (namespaces.length === 0 && namespaceSelector === null) namespaces.push(namespace)
      result.push({
        namespaces: new Set(namespaces),
        namespaceSelector,
        selector,
        topologyKey: text(term.topologyKey),
      })
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error))
    }
  }
  return result
}

export function decodePod(pod: KubeObject): PodInfo {
  const spec = record(pod.spec)
  const namespace = pod.metadata.namespace ?? 'default'
  const affinity = record(spec.affinity)
  const nodeAffinity = record(affinity.nodeAffinity)
  const required = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
  const problems: string[] = []
  const scoring = effectiveRequests(spec, scoringRequestsOf)
  return {
    namespace,
    name: pod.metadata.name ?? '',
    uid: pod.metadata.uid ?? '',
    labels: stringMap(pod.metadata.labels),
    requests: effectiveRequests(spec, requestsOf),
    scoringRequests: { cpu: scoring.cpu ?? 0, memory: scoring.memory ?? 0 },
    hostPorts: hostPortsOf(spec),
    nodeSelector: stringMap(spec.nodeSelector),
    requiredNodeTerms: isRecord(required)
      ? records(required.nodeSelectorTerms)
          .map(nodeTerm)
          .filter((t) => t !== null)
      : null,
    preferredNodeTerms: records(nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution).flatMap((p) => {
      const term = nodeTerm(record(p.preference))
      const weight = typeof p.weight === 'number' ? p.weight : 0
      return term === null || weight === 0 ? [] : [{ weight, term }]
    }),
    tolerations: records(spec.tolerations).map((t) => ({
      key: text(t.key),
      operator: text(t.operator),
      value: text(t.value),
      effect: text(t.effect),
    })),
    affinityTerms: affinityTerms(
      namespace,
      record(affinity.podAffinity).requiredDuringSchedulingIgnoredDuringExecution,
      problems,
    ),
    antiAffinityTerms: affinityTerms(
      namespace,
      record(affinity.podAntiAffinity).requiredDuringSchedulingIgnoredDuringExecution,
      problems,
    ),
    problems,
  }
}

/** A node as it stands before any pod is counted on it. */
export function decodeNode(node: KubeObject): NodeInfo {
  const name = node.metadata.name ?? ''
  const spec = record(node.spec)
  const status = record(node.status)
  const taints: Taint[] = records(spec.taints).map((t) => ({
    key: text(t.key),
    value: text(t.value),
    effect: text(t.effect),
  }))
  const conditions = records(status.conditions)
  for (const { type, status: wanted, key } of conditionTaints) {
    // A node that has not reported Ready yet is tainted not-ready, as the kubelet registers it.
    const actual = conditions.find((c) => c.type === type)?.status ?? (type === 'Ready' ? 'False' : undefined)
    const present = taints.some((t) => t.key === key && t.effect === 'NoSchedule')
    if (actual === wanted && !present) taints.push({ key, value: '', effect: 'NoSchedule' })
  }
  return {
    name,
    labels: { [hostnameLabel]: name, ...stringMap(node.metadata.labels) },
    unschedulable: spec.unschedulable === true,
    taints,
    allocatable: { ...resourceList(status.capacity), ...resourceList(status.allocatable) },
    pods: [],
    podsWithAntiAffinity: [],
    requested: {},
    scoringRequested: { cpu: 0, memory: 0 },
    hostPorts: [],
  }
}

/** Counts `pod` on `node`: its requests, its ports, and itself for the pods limit and affinity. */
export function addPod(node: NodeInfo, pod: PodInfo): void {
  node.pods.push(pod)
  if (pod.antiAffinityTerms.length > 0) node.podsWithAntiAffinity.push(pod)
  addResources(node.requested, pod.requests)
  node.scoringRequested.cpu += pod.scoringRequests.cpu
  node.scoringRequested.memory += pod.scoringRequests.memory
  node.hostPorts.push(...pod.hostPorts)
}
