// What the workload controllers read from a Pod — active, ready, available — and the order in
// which a ReplicaSet gives up surplus pods, as Kubernetes' `controller.ActivePodsWithRanks` sorts
// them (with the PodDeletionCost and LogarithmicScaleDown behaviour that is on by default).

import { applyDefaults } from '../../core/api/defaults.ts'
import type { KubeObject } from '../../core/api/object.ts'
import { resourceFor } from '../../core/api/resources.ts'
import { conditionOf, controllerReference, count, isObject, parseTime } from './plan.ts'

const podType = resourceFor('v1', 'Pod')!

/** What a planner is given to make new objects: the leader's time and its generators. */
export interface Fixed {
  readonly now: string
  readonly newUid: () => string
  /** A name from a `generateName` prefix, as the API server makes them. */
  readonly newName: (prefix: string) => string
}

/**
 * The pod a controller makes from a pod template (`controller.GetPodFromTemplate`), owned by
 * `owner`, defaulted. Named from `<owner>-` unless `name` is given (StatefulSet ordinals).
 */
export function podFromTemplate(
  owner: KubeObject,
  template: unknown,
  fixed: Fixed,
  options: { name?: string; labels?: Record<string, string>; nodeName?: string } = {},
): KubeObject {
  const source = isObject(template) ? template : {}
  const meta = isObject(source.metadata) ? source.metadata : {}
  const prefix = `${owner.metadata.name}-`
  const copied = (key: 'annotations' | 'finalizers') =>
    meta[key] === undefined ? {} : { [key]: structuredClone(meta[key]) }
  const labels = {
    ...(isObject(meta.labels) ? (meta.labels as Record<string, string>) : {}),
    ...options.labels,
  }
  const spec = structuredClone(isObject(source.spec) ? source.spec : {})
  if (options.nodeName !== undefined) spec.nodeName = options.nodeName
  return applyDefaults(podType, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(options.name === undefined
        ? { name: fixed.newName(prefix), generateName: prefix }
        : { name: options.name }),
      namespace: owner.metadata.namespace ?? '',
      uid: fixed.newUid(),
      creationTimestamp: fixed.now,
      ...(meta.labels === undefined && options.labels === undefined ? {} : { labels }),
      ...copied('annotations'),
      ...copied('finalizers'),
      ownerReferences: [controllerReference(owner)],
    },
    spec,
  })
}

/** The annotation by which users rank pods for deletion (lower goes first). */
export const podDeletionCostAnnotation = 'controller.kubernetes.io/pod-deletion-cost'

function statusOf(pod: KubeObject): Record<string, unknown> {
  return isObject(pod.status) ? pod.status : {}
}

function specOf(pod: KubeObject): Record<string, unknown> {
  return isObject(pod.spec) ? pod.spec : {}
}

export function podPhase(pod: KubeObject): string {
  const phase = statusOf(pod).phase
  return typeof phase === 'string' ? phase : ''
}

/** Neither finished (Succeeded, Failed) nor being deleted: a pod that counts as a replica. */
export function isPodActive(pod: KubeObject): boolean {
  const phase = podPhase(pod)
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp
}

export function isPodReady(pod: KubeObject): boolean {
  return conditionOf(pod.status, 'Ready')?.status === 'True'
}

/** When the pod last became ready (its Ready condition's transition), if it is ready. */
export function podReadySinceMs(pod: KubeObject): number | undefined {
  const ready = conditionOf(pod.status, 'Ready')
  return ready?.status === 'True' ? parseTime(ready.lastTransitionTime) : undefined
}

/**
 * Ready for longer than `minReadySeconds` (strictly, as `podutil.IsPodAvailable`); with 0, ready.
 * A ready pod without a transition time is available only when no wait is asked for.
 */
export function isPodAvailable(pod: KubeObject, minReadySeconds: number, nowMs: number): boolean {
  if (!isPodReady(pod)) return false
  if (minReadySeconds === 0) return true
  const since = podReadySinceMs(pod)
  return since !== undefined && since + minReadySeconds * 1000 < nowMs
}

/** When a ready pod that is not yet available will be (the first whole second after the wait). */
export function podAvailableAtMs(pod: KubeObject, minReadySeconds: number): number | undefined {
  const since = podReadySinceMs(pod)
  return since === undefined ? undefined : since + minReadySeconds * 1000 + 1000
}

const phaseOrdinal: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 }

function deletionCost(pod: KubeObject): number {
  const text = pod.metadata.annotations?.[podDeletionCostAnnotation]
  if (text === undefined || !/^-?\d+$/.test(text)) return 0
  const cost = Number(text)
  return cost >= -2_147_483_648 && cost <= 2_147_483_647 ? cost : 0
}

/** The highest restart count among regular containers, then among sidecars (restartable init containers). */
function maxRestarts(pod: KubeObject): [number, number] {
  const status = statusOf(pod)
  const sidecars = new Set(
    (Array.isArray(specOf(pod).initContainers) ? (specOf(pod).initContainers as unknown[]) : [])
      .filter((c): c is Record<string, unknown> => isObject(c) && c.restartPolicy === 'Always')
      .map((c) => c.name),
  )
  const highest = (statuses: unknown, keep: (s: Record<string, unknown>) => boolean) =>
    (Array.isArray(statuses) ? statuses : [])
      .filter((s): s is Record<string, unknown> => isObject(s) && keep(s))
      .reduce((most, s) => Math.max(most, count(s.restartCount)), 0)
  return [
    highest(status.containerStatuses, () => true),
    highest(status.initContainerStatuses, (s) => sidecars.has(s.name)),
  ]
}

/** `logarithmicRankDiff`: ages compared by their power of two (in nanoseconds). */
function logarithmicRankDiff(aMs: number, bMs: number, nowMs: number): number {
  const rank = (ms: number) => {
    const ageNs = (nowMs - ms) * 1e6
    return ageNs > 0 ? Math.floor(Math.log2(ageNs)) : -1
  }
  return rank(aMs) - rank(bMs)
}

interface Ranked {
  pod: KubeObject
  /** Active related pods on the same node: a pod doubled up with its siblings goes first. */
  colocated: number
}

/** Negative when `a` should be deleted before `b`. */
function compareForDeletion(a: Ranked, b: Ranked, nowMs: number): number {
  const [pa, pb] = [a.pod, b.pod]
  const nodeA = String(specOf(pa).nodeName ?? '')
  const nodeB = String(specOf(pb).nodeName ?? '')
  // 1. unscheduled before scheduled
  if (nodeA !== nodeB && (nodeA === '' || nodeB === '')) return nodeA === '' ? -1 : 1
  // 2. Pending before Unknown before Running
  const [phaseA, phaseB] = [phaseOrdinal[podPhase(pa)] ?? 0, phaseOrdinal[podPhase(pb)] ?? 0]
  if (phaseA !== phaseB) return phaseA - phaseB
  // 3. not ready before ready
  const [readyA, readyB] = [isPodReady(pa), isPodReady(pb)]
  if (readyA !== readyB) return readyA ? 1 : -1
  // 4. lower deletion cost first
  const [costA, costB] = [deletionCost(pa), deletionCost(pb)]
  if (costA !== costB) return costA - costB
  // 5. doubled up on a node before alone
  if (a.colocated !== b.colocated) return b.colocated - a.colocated
  // 6. ready for less time before ready for more (by powers of two of the time, then uid)
  if (readyA && readyB) {
    const order = compareTimesNewestFirst(podReadySinceMs(pa), podReadySinceMs(pb), a, b, nowMs)
    if (order !== 0) return order
  }
  // 7. more restarts before fewer
  const [restartsA, restartsB] = [maxRestarts(pa), maxRestarts(pb)]
  if (restartsA[0] !== restartsB[0]) return restartsB[0] - restartsA[0]
  if (restartsA[1] !== restartsB[1]) return restartsB[1] - restartsA[1]
  // 8. newer before older
  return compareTimesNewestFirst(
    parseTime(pa.metadata.creationTimestamp),
    parseTime(pb.metadata.creationTimestamp),
    a,
    b,
    nowMs,
  )
}

/** Newest (or unknown) first; equal powers of two of the age fall back to the uid, as upstream. */
function compareTimesNewestFirst(
  aMs: number | undefined,
  bMs: number | undefined,
  a: Ranked,
  b: Ranked,
  nowMs: number,
): number {
  if (aMs === bMs) return 0
  if (aMs === undefined) return -1
  if (bMs === undefined) return 1
  const diff = logarithmicRankDiff(aMs, bMs, nowMs)
  if (diff !== 0) return diff
  const [uidA, uidB] = [a.pod.metadata.uid ?? '', b.pod.metadata.uid ?? '']
  return uidA < uidB ? -1 : uidA > uidB ? 1 : 0
}

/**
 * `pods` in the order a ReplicaSet deletes them, first to go first. `related` are the active pods
 * of the ReplicaSet and its siblings (same controller), for the "doubled up on a node" rule.
 */
export function podsInDeletionOrder(
  pods: readonly KubeObject[],
  related: readonly KubeObject[],
  nowMs: number,
): KubeObject[] {
  const perNode = new Map<string, number>()
  for (const pod of related) {
    if (!isPodActive(pod)) continue
    const node = String(specOf(pod).nodeName ?? '')
    perNode.set(node, (perNode.get(node) ?? 0) + 1)
  }
  const ranked = pods.map((pod) => ({ pod, colocated: perNode.get(String(specOf(pod).nodeName ?? '')) ?? 0 }))
  return ranked.sort((a, b) => compareForDeletion(a, b, nowMs)).map((r) => r.pod)
}
