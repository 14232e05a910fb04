// The scheduler's filters: whether a node can take a pod, and if not, why, in kube-scheduler's order
// (NodeUnschedulable, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit, InterPodAffinity)
// and wording. Like kube-scheduler, a node's reasons are those of the first filter that refuses it.

import { matchesLabels } from '../core/api/selectors.ts'
import {
  type AffinityTerm,
  type HostPort,
  type NodeInfo,
  type NodeTerm,
  namespaceNameLabel,
  type PodInfo,
  type Taint,
  type Toleration,
  unschedulableTaintKey,
} from './scheduler-model.ts'

/** The resources kube-scheduler checks by name; other scalar resources are checked when requested. */
const namedResources = ['cpu', 'memory', 'ephemeral-storage'] as const

export const reasons = {
  unschedulable: 'node(s) were unschedulable',
  untoleratedTaint: (taint: Taint) => `node(s) had untolerated taint {${taint.key}: ${taint.value}}`,
  nodeAffinity: "node(s) didn't match Pod's node affinity/selector",
  hostPorts: "node(s) didn't have free ports for the requested pod ports",
  tooManyPods: 'Too many pods',
  insufficient: (resource: string) => `Insufficient ${resource}`,
  podAffinity: "node(s) didn't match pod affinity rules",
  podAntiAffinity: "node(s) didn't match pod anti-affinity rules",
  existingAntiAffinity: "node(s) didn't satisfy existing pods anti-affinity rules",
}

/** Kubernetes' `Toleration.ToleratesTaint`. */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect !== '' && toleration.effect !== taint.effect) return false
  if (toleration.key !== '' && toleration.key !== taint.key) return false
  if (toleration.operator === 'Exists') return true
  return (toleration.operator === '' || toleration.operator === 'Equal') && toleration.value === taint.value
}

export const tolerated = (tolerations: readonly Toleration[], taint: Taint): boolean =>
  tolerations.some((t) => tolerates(t, taint))

/** Whether a node satisfies a NodeSelectorTerm: every label and `metadata.name` requirement. */
export function matchesNodeTerm(term: NodeTerm, node: NodeInfo): boolean {
  return matchesLabels(term.labels, node.labels) && matchesLabels(term.fields, { 'metadata.name': node.name })
}

function matchesNodeAffinity(pod: PodInfo, node: NodeInfo): boolean {
  for (const [key, value] of Object.entries(pod.nodeSelector)) {
    if (node.labels[key] !== value) return false
  }
  // Terms are ORed; a required affinity whose terms are all empty or invalid matches no node.
  return pod.requiredNodeTerms === null || pod.requiredNodeTerms.some((term) => matchesNodeTerm(term, node))
}

/** Kubernetes' `HostPortInfo.CheckConflict`: `0.0.0.0` conflicts with every address. */
export function portsConflict(a: HostPort, b: HostPort): boolean {
  if (a.port !== b.port || a.protocol !== b.protocol) return false
  return a.ip === '0.0.0.0' || b.ip === '0.0.0.0' || a.ip === b.ip
}

function insufficientResources(pod: PodInfo, node: NodeInfo): string[] {
  const found: string[] = []
  if (node.pods.length + 1 > (node.allocatable.pods ?? 0)) found.push(reasons.tooManyPods)
  const scalar = Object.keys(pod.requests).filter(isScalarResource).sort()
  for (const resource of [...namedResources, ...scalar]) {
    const wanted = pod.requests[resource] ?? 0
    const free = (node.allocatable[resource] ?? 0) - (node.requested[resource] ?? 0)
    if (wanted > 0 && wanted > free) found.push(reasons.insufficient(resource))
  }
  return found
}

/** Extended resources (`example.com/gpu`) and huge pages: counted, unlike unknown plain names. */
export function isScalarResource(name: string): boolean {
  if (name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')) return true
  return name.includes('/') && !name.includes('kubernetes.io/') && !name.startsWith('requests.')
}

/** Namespaces carry no labels here but the one Kubernetes sets on each, its name. */
export function termMatches(term: AffinityTerm, pod: PodInfo): boolean {
  const inNamespace =
    term.namespaces.has(pod.namespace) ||
    matchesLabels(term.namespaceSelector, { [namespaceNameLabel]: pod.namespace })
  return inNamespace && matchesLabels(term.selector, pod.labels)
}

/**
 * How many pods match each topology domain (`key=value`) for one incoming pod, counted over every
 * node as kube-scheduler's InterPodAffinity PreFilter does.
 */
export interface TopologyCounts {
  /** Pods matching all of the incoming pod's affinity terms, per domain of each term. */
  affinity: Map<string, number>
  /** Pods matching one of the incoming pod's anti-affinity terms, per domain of that term. */
  antiAffinity: Map<string, number>
  /** Pods whose anti-affinity terms match the incoming pod, per domain of their terms. */
  existingAntiAffinity: Map<string, number>
}

const domain = (key: string, value: string) => `${key}=${value}`

function increment(counts: Map<string, number>, node: NodeInfo, topologyKey: string): void {
  const value = node.labels[topologyKey]
  if (value === undefined) return
  const key = domain(topologyKey, value)
  counts.set(key, (counts.get(key) ?? 0) + 1)
}

export function topologyCounts(pod: PodInfo, nodes: readonly NodeInfo[]): TopologyCounts {
  const counts: TopologyCounts = {
    affinity: new Map(),
    antiAffinity: new Map(),
    existingAntiAffinity: new Map(),
  }
  const ownTerms = pod.affinityTerms.length + pod.antiAffinityTerms.length > 0
  for (const node of nodes) {
    for (const existing of ownTerms ? node.pods : []) {
      if (pod.affinityTerms.length > 0 && pod.affinityTerms.every((t) => termMatches(t, existing))) {
        for (const term of pod.affinityTerms) increment(counts.affinity, node, term.topologyKey)
      }
      for (const term of pod.antiAffinityTerms) {
        if (termMatches(term, existing)) increment(counts.antiAffinity, node, term.topologyKey)
      }
    }
    for (const existing of node.podsWithAntiAffinity) {
      for (const term of existing.antiAffinityTerms) {
        if (termMatches(term, pod)) increment(counts.existingAntiAffinity, node, term.topologyKey)
      }
    }
  }
  return counts
}

function satisfiesPodAffinity(pod: PodInfo, node: NodeInfo, counts: TopologyCounts): boolean {
  let podsExist = true
  for (const term of pod.affinityTerms) {
    const value = node.labels[term.topologyKey]
    if (value === undefined) return false
    if ((counts.affinity.get(domain(term.topologyKey, value)) ?? 0) <= 0) podsExist = false
  }
  if (podsExist) return true
  // The first pod of a group with affinity to itself may go anywhere its terms' domains exist, or
  // such a group could never start.
  return counts.affinity.size === 0 && pod.affinityTerms.every((t) => termMatches(t, pod))
}

function satisfiesPodAntiAffinity(pod: PodInfo, node: NodeInfo, counts: TopologyCounts): boolean {
  return pod.antiAffinityTerms.every((term) => {
    const value = node.labels[term.topologyKey]
    return value === undefined || (counts.antiAffinity.get(domain(term.topologyKey, value)) ?? 0) === 0
  })
}

function satisfiesExistingAntiAffinity(node: NodeInfo, counts: TopologyCounts): boolean {
  if (counts.existingAntiAffinity.size === 0) return true
  return Object.entries(node.labels).every(
    ([key, value]) => (counts.existingAntiAffinity.get(domain(key, value)) ?? 0) === 0,
  )
}

/** Why `node` cannot take `pod`: the reasons of the first filter that refuses it; `[]` if it fits. */
export function unfitReasons(pod: PodInfo, node: NodeInfo, counts: TopologyCounts): string[] {
  const unschedulableTaint: Taint = { key: unschedulableTaintKey, value: '', effect: 'NoSchedule' }
  if (node.unschedulable && !tolerated(pod.tolerations, unschedulableTaint)) return [reasons.unschedulable]
  const taint = node.taints.find(
    (t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerated(pod.tolerations, t),
  )
  if (taint !== undefined) return [reasons.untoleratedTaint(taint)]
  if (!matchesNodeAffinity(pod, node)) return [reasons.nodeAffinity]
  if (pod.hostPorts.some((wanted) => node.hostPorts.some((used) => portsConflict(wanted, used))))
    return [reasons.hostPorts]
  const insufficient = insufficientResources(pod, node)
  if (insufficient.length > 0) return insufficient
  if (!satisfiesPodAffinity(pod, node, counts)) return [reasons.podAffinity]
  if (!satisfiesPodAntiAffinity(pod, node, counts)) return [reasons.podAntiAffinity]
  if (!satisfiesExistingAntiAffinity(node, counts)) return [reasons.existingAntiAffinity]
  return []
}
