// The scheduler's planning function: given every pod, every node and the pods waiting for a node, it
// decides where each waiting pod goes, one by one in the order given, each placement counting toward
// the next, as kube-scheduler's cycle does. Pure and deterministic (ties go to the first node looked
// at, where kube-scheduler picks at random); the scheduler actor submits the bindings it returns.
// In clusters of 100 nodes and more, only the first feasible nodes found are scored, as upstream.
//
// A pod goes to the feasible node (see scheduler-filters.ts) with the highest score, kube-scheduler's
// weighted sum: 3 x TaintToleration (fewest untolerated PreferNoSchedule taints), 2 x NodeAffinity
// (preferred terms' weights) and 1 x NodeResourcesFit (`binpack`: MostAllocated, `spread`:
// LeastAllocated, over cpu and memory after placing the pod), each normalized to 0..100.

import type { KubeObject } from '../core/api/object.ts'
import { matchesNodeTerm, tolerated, topologyCounts, unfitReasons } from './scheduler-filters.ts'
import { addPod, decodeNode, decodePod, type NodeInfo, type PodInfo } from './scheduler-model.ts'

export type Strategy = 'binpack' | 'spread'

export interface ScheduleInput {
  /** Every pod, bound or not; those bound (`spec.nodeName`) and not finished count on their node. */
  pods: readonly KubeObject[]
  nodes: readonly KubeObject[]
  /** Pods to place, in this order; unbound (a pod with `spec.nodeName` is not the scheduler's). */
  pending: readonly KubeObject[]
  strategy: Strategy
}

export interface Binding {
  namespace: string
  name: string
  uid: string
  node: string
}

export interface Unschedulable {
  namespace: string
  name: string
  uid: string
  /** As kube-scheduler words it: `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) were unschedulable.` */
  message: string
}

export interface SchedulePlan {
  bindings: Binding[]
  unschedulable: Unschedulable[]
}

/** kube-scheduler's `MaxNodeScore`: every score plugin answers in 0..100. */
const scoreMax = 100
const weights = { taintToleration: 3, nodeAffinity: 2, nodeResourcesFit: 1 }
export const noNodesMessage = 'no nodes available to schedule pods'

/** Where each pending pod goes, or why it can go nowhere. Reads its input, never changes it. */
/**
 * Decoded pods by the stored object they came from. Stored objects are never changed (a write
 * replaces them), so a pod is decoded once however many plans count it, not once per plan.
 */
const decodedPods = new WeakMap<KubeObject, PodInfo>()

function decodePodOnce(object: KubeObject): PodInfo {
  let pod = decodedPods.get(object)
  if (pod === undefined) {
    pod = decodePod(object)
    decodedPods.set(object, pod)
  }
  return pod
}

export function schedule(input: ScheduleInput): SchedulePlan {
  const nodes = input.nodes.map(decodeNode).sort((a, b) => compareNames(a.name, b.name))
  const byName = new Map(nodes.map((node) => [node.name, node]))
  for (const pod of input.pods) {
    const node = byName.get(boundNodeName(pod))
    if (node !== undefined && !isFinished(pod)) addPod(node, decodePodOnce(pod))
  }
  const plan: SchedulePlan = { bindings: [], unschedulable: [] }
  const search = { nextStart: 0, toFind: feasibleNodesToFind(nodes.length) }
  for (const object of input.pending) {
    const pod = decodePodOnce(object)
    const id = { namespace: pod.namespace, name: pod.name, uid: pod.uid }
    const placed = place(pod, nodes, input.strategy, search)
    if (typeof placed === 'string') {
      plan.unschedulable.push({ ...id, message: placed })
    } else {
      addPod(placed, pod)
      plan.bindings.push({ ...id, node: placed.name })
    }
  }
  return plan
}

/**
 * kube-scheduler's `numFeasibleNodesToFind` with the default percentageOfNodesToScore: every node
 * in clusters under 100 nodes; above, an adaptive share (50% less 1% per 125 nodes, at least 5%)
 * and never fewer than 100. A pod is placed on the best of the first that many feasible nodes.
 */
export function feasibleNodesToFind(nodeCount: number): number {
  if (nodeCount < 100) return nodeCount
  const percentage = Math.max(5, 50 - Math.floor(nodeCount / 125))
  return Math.max(100, Math.floor((nodeCount * percentage) / 100))
}

/**
 * The best feasible node, or why there is none. As kube-scheduler does, the search starts where
 * the last one stopped and ends once `search.toFind` feasible nodes are found, so that the nodes
 * of a large cluster take turns being looked at.
 */
function place(
  pod: PodInfo,
  nodes: readonly NodeInfo[],
  strategy: Strategy,
  search: { nextStart: number; readonly toFind: number },
): NodeInfo | string {
  if (pod.problems.length > 0) return `invalid pod affinity: ${pod.problems.join('; ')}`
  if (nodes.length === 0) return noNodesMessage
  const counts = topologyCounts(pod, nodes)
  const feasible: NodeInfo[] = []
  const reasonCounts = new Map<string, number>()
  let processed = 0
  for (; processed < nodes.length && feasible.length < search.toFind; processed++) {
    const node = nodes[(search.nextStart + processed) % nodes.length]!
    const reasons = unfitReasons(pod, node, counts)
    if (reasons.length === 0) feasible.push(node)
    for (const reason of reasons) reasonCounts.set(reason, (reasonCounts.get(reason) ?? 0) + 1)
  }
  search.nextStart = (search.nextStart + processed) % nodes.length
  if (feasible.length === 0) return fitErrorMessage(nodes.length, reasonCounts)
  const scores = scoreNodes(pod, feasible, strategy)
  let best = 0
  // Strictly greater: a tie goes to the first node looked at (by name in clusters under 100 nodes).
  for (let i = 1; i < feasible.length; i++) if (scores[i]! > scores[best]!) best = i
  return feasible[best]!
}

/** kube-scheduler's FitError: `0/N nodes are available: ` and the reasons counted, sorted as text. */
export function fitErrorMessage(nodeCount: number, reasonCounts: ReadonlyMap<string, number>): string {
  const histogram = [...reasonCounts].map(([reason, count]) => `${count} ${reason}`).sort(compareNames)
  return `0/${nodeCount} nodes are available: ${histogram.join(', ')}.`
}

/** Each feasible node's total score, in the order given. */
export function scoreNodes(pod: PodInfo, nodes: readonly NodeInfo[], strategy: Strategy): number[] {
  const taints = normalized(
    nodes.map((node) => untoleratedPreferNoSchedule(pod, node)),
    true,
  )
  const affinity = normalized(
    nodes.map((node) => preferredAffinityWeight(pod, node)),
    false,
  )
  return nodes.map(
    (node, i) =>
      weights.taintToleration * taints[i]! +
      weights.nodeAffinity * affinity[i]! +
      weights.nodeResourcesFit * resourceScore(pod, node, strategy),
  )
}

function untoleratedPreferNoSchedule(pod: PodInfo, node: NodeInfo): number {
  return node.taints.filter((t) => t.effect === 'PreferNoSchedule' && !tolerated(pod.tolerations, t)).length
}

function preferredAffinityWeight(pod: PodInfo, node: NodeInfo): number {
  let sum = 0
  for (const { weight, term } of pod.preferredNodeTerms) if (matchesNodeTerm(term, node)) sum += weight
  return sum
}

/** kube-scheduler's `DefaultNormalizeScore`: scaled so the highest is 100, reversed if asked. */
function normalized(scores: number[], reverse: boolean): number[] {
  const max = Math.max(0, ...scores)
  if (max === 0) return scores.map(() => (reverse ? scoreMax : 0))
  return scores.map((score) => {
    const scaled = Math.floor((scoreMax * score) / max)
    return reverse ? scoreMax - scaled : scaled
  })
}

/**
 * NodeResourcesFit's score over cpu and memory (weight 1 each), with the pod placed and requests
 * counted as for scoring (containers without a request count 100m and 200Mi), integer as upstream.
 */
export function resourceScore(pod: PodInfo, node: NodeInfo, strategy: Strategy): number {
  let sum = 0
  let weightSum = 0
  for (const resource of ['cpu', 'memory'] as const) {
    const allocatable = node.allocatable[resource] ?? 0
    if (allocatable === 0) continue
    const requested = node.scoringRequested[resource] + pod.scoringRequests[resource]
    sum +=
      strategy === 'binpack' ? mostAllocated(requested, allocatable) : leastAllocated(requested, allocatable)
    weightSum += 1
  }
  return weightSum === 0 ? 0 : Math.floor(sum / weightSum)
}

function mostAllocated(requested: number, allocatable: number): number {
  // Defaults for pods without requests can push `requested` past what the node has.
  return Math.floor((Math.min(requested, allocatable) * scoreMax) / allocatable)
}

function leastAllocated(requested: number, allocatable: number): number {
  if (requested > allocatable) return 0
  return Math.floor(((allocatable - requested) * scoreMax) / allocatable)
}

function boundNodeName(pod: KubeObject): string {
  const spec = pod.spec as { nodeName?: unknown } | undefined
  return typeof spec?.nodeName === 'string' ? spec.nodeName : ''
}

/** Succeeded and Failed pods hold nothing: kube-scheduler does not watch them. */
function isFinished(pod: KubeObject): boolean {
  const phase = (pod.status as { phase?: unknown } | undefined)?.phase
  return phase === 'Succeeded' || phase === 'Failed'
}

/** Code-unit order, as Go compares strings: the same everywhere, unlike `localeCompare`. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
