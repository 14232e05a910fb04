// The arithmetic and bookkeeping of a Deployment's rollout, after Kubernetes'
// `pkg/controller/deployment/util`: maxSurge and maxUnavailable resolved against the replica count,
// the revision and replica annotations on ReplicaSets, the orderings ReplicaSets are scaled in, and
// the Deployment's conditions. Pure helpers; `deployment.ts` composes them into a plan.

import type { KubeObject } from '../../core/api/object.ts'
import { type Condition, count, isObject, parseTime } from './plan.ts'

export const revisionAnnotation = 'deployment.kubernetes.io/revision'
export const revisionHistoryAnnotation = 'deployment.kubernetes.io/revision-history'
export const desiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas'
export const maxReplicasAnnotation = 'deployment.kubernetes.io/max-replicas'
export const changeCauseAnnotation = 'kubernetes.io/change-cause'
const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration'
const deprecatedRollbackToAnnotation = 'deprecated.deployment.rollback.to'

/** coxswain: a Deployment that carries it `"true"` rolls back by itself when its rollout times out. */
export const autoRollbackAnnotation = 'coxswain.dev/auto-rollback'
/** coxswain: stamped on a ReplicaSet (the time) when its rollout completed, i.e. it became available. */
export const becameAvailableAnnotation = 'coxswain.dev/became-available'

/** Deployment annotations never copied onto its ReplicaSets (upstream's list, and our marker). */
export const annotationsNotCopied: ReadonlySet<string> = new Set([
  lastAppliedAnnotation,
  revisionAnnotation,
  revisionHistoryAnnotation,
  desiredReplicasAnnotation,
  maxReplicasAnnotation,
  deprecatedRollbackToAnnotation,
  becameAvailableAnnotation,
])

/** The longest `revision-history` annotation kept, in characters. */
export const revisionHistoryCharactersMax = 2000

/** Kubernetes' "no limit" for progressDeadlineSeconds and revisionHistoryLimit. */
const int32Max = 2_147_483_647

// Condition types and reasons, as `kubectl` and users match on them.
export const progressing = 'Progressing'
export const available = 'Available'
export const replicaFailure = 'ReplicaFailure'
export const reasons = {
  newReplicaSetCreated: 'NewReplicaSetCreated',
  foundNewReplicaSet: 'FoundNewReplicaSet',
  replicaSetUpdated: 'ReplicaSetUpdated',
  newReplicaSetAvailable: 'NewReplicaSetAvailable',
  progressDeadlineExceeded: 'ProgressDeadlineExceeded',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minimumReplicasAvailable: 'MinimumReplicasAvailable',
  minimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const

// --- the Deployment's spec, read with Kubernetes' defaults ----------------------------------

export interface DeploymentSpec {
  replicas: number
  paused: boolean
  minReadySeconds: number
  strategy: 'RollingUpdate' | 'Recreate'
  maxSurge: unknown
  maxUnavailable: unknown
  /** Undefined: keep every old ReplicaSet. */
  revisionHistoryLimit?: number
  /** Undefined: no deadline, no Progressing condition. */
  progressDeadlineSeconds?: number
  selector: unknown
  template: Record<string, unknown>
}

export function deploymentSpec(deployment: KubeObject): DeploymentSpec {
  const spec = isObject(deployment.spec) ? deployment.spec : {}
  const strategy = isObject(spec.strategy) ? spec.strategy : {}
  const rolling = isObject(strategy.rollingUpdate) ? strategy.rollingUpdate : {}
  const limit = (value: unknown, fallback: number) => {
    const n = count(value, fallback)
    return n === int32Max ? undefined : n
  }
  return {
    replicas: count(spec.replicas, 1),
    paused: spec.paused === true,
    minReadySeconds: count(spec.minReadySeconds),
    strategy: strategy.type === 'Recreate' ? 'Recreate' : 'RollingUpdate',
    maxSurge: rolling.maxSurge ?? '25%',
    maxUnavailable: rolling.maxUnavailable ?? '25%',
    revisionHistoryLimit: limit(spec.revisionHistoryLimit, 10),
    progressDeadlineSeconds: limit(spec.progressDeadlineSeconds, 600),
    selector: spec.selector,
    template: isObject(spec.template) ? spec.template : {},
  }
}

/**
 * An int-or-percent against `total`: percentages round up for surge and down for unavailability
 * (`GetScaledValueFromIntOrPercent`). Anything else (validation keeps it out) reads 0.
 */
export function scaledValue(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value
  if (typeof value !== 'string' || !/^-?\d+%$/.test(value)) return 0
  const scaled = (Number(value.slice(0, -1)) * total) / 100
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled)
}

/** `ResolveFenceposts`: both zero would deadlock the rollout, so unavailability becomes 1. */
export function fenceposts(spec: DeploymentSpec): { maxSurge: number; maxUnavailable: number } {
  const maxSurge = scaledValue(spec.maxSurge, spec.replicas, true)
  const maxUnavailable = scaledValue(spec.maxUnavailable, spec.replicas, false)
  return maxSurge === 0 && maxUnavailable === 0
    ? { maxSurge, maxUnavailable: 1 }
    : { maxSurge, maxUnavailable }
}

export function maxSurge(spec: DeploymentSpec): number {
  return spec.strategy === 'RollingUpdate' ? fenceposts(spec).maxSurge : 0
}

export function maxUnavailable(spec: DeploymentSpec): number {
  if (spec.strategy !== 'RollingUpdate' || spec.replicas === 0) return 0
  return Math.min(fenceposts(spec).maxUnavailable, spec.replicas)
}

// --- ReplicaSets ----------------------------------------------------------------------------

const specOf = (rs: KubeObject) => (isObject(rs.spec) ? rs.spec : {})
const statusOf = (rs: KubeObject) => (isObject(rs.status) ? rs.status : {})

export const specReplicas = (rs: KubeObject): number => count(specOf(rs).replicas, 1)
export const statusReplicas = (rs: KubeObject): number => count(statusOf(rs).replicas)
export const readyReplicas = (rs: KubeObject): number => count(statusOf(rs).readyReplicas)
export const availableReplicas = (rs: KubeObject): number => count(statusOf(rs).availableReplicas)

export function setSpecReplicas(rs: KubeObject, replicas: number): void {
  rs.spec = { ...specOf(rs), replicas }
}

export const sum = (rss: readonly KubeObject[], of: (rs: KubeObject) => number): number =>
  rss.reduce((total, rs) => total + of(rs), 0)

/** ReplicaSets with replicas wanted (`FilterActiveReplicaSets`). */
export const activeReplicaSets = (rss: readonly KubeObject[]): KubeObject[] =>
  rss.filter((rs) => specReplicas(rs) > 0)

/** A ReplicaSet's revision; 0 when absent or unreadable. */
export function revisionOf(rs: KubeObject): number {
  const text = rs.metadata.annotations?.[revisionAnnotation]
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : 0
}

export const maxRevision = (rss: readonly KubeObject[]): number =>
  rss.reduce((most, rs) => Math.max(most, revisionOf(rs)), 0)

/** Oldest first; equal times by name (`ReplicaSetsByCreationTimestamp`). */
export function byCreation(a: KubeObject, b: KubeObject): number {
  const [ta, tb] = [
    parseTime(a.metadata.creationTimestamp) ?? 0,
    parseTime(b.metadata.creationTimestamp) ?? 0,
  ]
  if (ta !== tb) return ta - tb
  const [na, nb] = [a.metadata.name ?? '', b.metadata.name ?? '']
  return na < nb ? -1 : na > nb ? 1 : 0
}

/** Largest first; equal sizes newest first, where scaling up favours the newer. */
export const bySizeNewer = (a: KubeObject, b: KubeObject): number =>
  specReplicas(b) - specReplicas(a) || byCreation(b, a)

/** Largest first; equal sizes oldest first, where scaling down takes from the older. */
export const bySizeOlder = (a: KubeObject, b: KubeObject): number =>
  specReplicas(b) - specReplicas(a) || byCreation(a, b)

/** Lowest revision first, then oldest (`ReplicaSetsByRevision`). */
export const byRevision = (a: KubeObject, b: KubeObject): number =>
  revisionOf(a) - revisionOf(b) || byCreation(a, b)

export function annotationsOf(object: KubeObject): Record<string, string> {
  object.metadata.annotations ??= {}
  return object.metadata.annotations
}

/** Sets the desired- and max-replicas annotations; whether anything changed. */
export function setReplicasAnnotations(rs: KubeObject, desired: number, max: number): boolean {
  const annotations = annotationsOf(rs)
  let changed = false
  for (const [key, value] of [
    [desiredReplicasAnnotation, String(desired)],
    [maxReplicasAnnotation, String(max)],
  ] as const) {
    if (annotations[key] !== value) {
      annotations[key] = value
      changed = true
    }
  }
  return changed
}

export function replicasAnnotationsNeedUpdate(rs: KubeObject, desired: number, max: number): boolean {
  const annotations = rs.metadata.annotations ?? {}
  return (
    annotations[desiredReplicasAnnotation] !== String(desired) ||
    annotations[maxReplicasAnnotation] !== String(max)
  )
}

/** An int32 annotation of a ReplicaSet, if readable. */
export function intAnnotation(rs: KubeObject, key: string): number | undefined {
  const text = rs.metadata.annotations?.[key]
  return text !== undefined && /^-?\d+$/.test(text) ? Number(text) : undefined
}

/**
 * `SetNewReplicaSetAnnotations`: copies the Deployment's annotations (but the skipped ones), raises
 * the revision to `newRevision` when it is lower — keeping the old numbers in `revision-history`,
 * which is how a ReplicaSet reused by a rollback is renumbered — and on a new ReplicaSet sets the
 * replica annotations. Whether anything changed.
 */
export function setNewReplicaSetAnnotations(
  deployment: KubeObject,
  rs: KubeObject,
  newRevision: number,
  exists: boolean,
  replicas: { desired: number; max: number },
): boolean {
  const annotations = annotationsOf(rs)
  let changed = false
  for (const [key, value] of Object.entries(deployment.metadata.annotations ?? {})) {
    if (annotationsNotCopied.has(key) || annotations[key] === value) continue
    annotations[key] = value
    changed = true
  }
  const oldText = annotations[revisionAnnotation]
  if (oldText !== undefined && !/^\d+$/.test(oldText)) return false
  const oldRevision = oldText === undefined ? 0 : Number(oldText)
  if (oldRevision < newRevision) {
    annotations[revisionAnnotation] = String(newRevision)
    changed = true
    if (oldText !== undefined) appendRevisionHistory(annotations, oldText)
  }
  if (!exists && setReplicasAnnotations(rs, replicas.desired, replicas.max)) changed = true
  return changed
}

function appendRevisionHistory(annotations: Record<string, string>, oldRevision: string): void {
  const history = annotations[revisionHistoryAnnotation] ?? ''
  if (history === '') {
    annotations[revisionHistoryAnnotation] = oldRevision
    return
  }
  const old = history.split(',')
  let length = history.length + oldRevision.length + 1
  let start = 0
  while (length > revisionHistoryCharactersMax && start < old.length) {
    length -= old[start]!.length + 1
    start++
  }
  if (length <= revisionHistoryCharactersMax) {
    annotations[revisionHistoryAnnotation] = [...old.slice(start), oldRevision].join(',')
  }
}

// --- Deployment status and conditions --------------------------------------------------------

export interface DeploymentStatus {
  observedGeneration?: number
  replicas: number
  updatedReplicas: number
  readyReplicas: number
  availableReplicas: number
  unavailableReplicas: number
  collisionCount?: number
  conditions?: Condition[]
  [key: string]: unknown
}

export function newCondition(
  type: string,
  status: Condition['status'],
  reason: string,
  message: string,
  now: string,
): Condition {
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message }
}

export function getCondition(status: { conditions?: Condition[] }, type: string): Condition | undefined {
  return status.conditions?.find((c) => c.type === type)
}

/**
 * `SetDeploymentCondition`: nothing changes if status and reason are the same; the transition
 * time is kept if only the reason changes. The condition moves to the end, as upstream's does.
 */
export function setCondition(status: { conditions?: Condition[] }, condition: Condition): void {
  const current = getCondition(status, condition.type)
  if (current !== undefined && current.status === condition.status && current.reason === condition.reason)
    return
  const next =
    current !== undefined && current.status === condition.status
      ? { ...condition, lastTransitionTime: current.lastTransitionTime }
      : condition
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== condition.type), next]
}

export function removeCondition(status: { conditions?: Condition[] }, type: string): void {
  if (status.conditions === undefined) return
  status.conditions = status.conditions.filter((c) => c.type !== type)
}

/** Every replica updated, present and available, and the spec observed (`DeploymentComplete`). */
export function deploymentComplete(
  spec: DeploymentSpec,
  generation: number,
  status: DeploymentStatus,
): boolean {
  return (
    status.updatedReplicas === spec.replicas &&
    status.replicas === spec.replicas &&
    status.availableReplicas === spec.replicas &&
    (status.observedGeneration ?? 0) >= generation
  )
}

/** Whether `next` shows progress over `previous` (`DeploymentProgressing`). */
export function deploymentProgressing(previous: DeploymentStatus, next: DeploymentStatus): boolean {
  const oldReplicasBefore = previous.replicas - previous.updatedReplicas
  const oldReplicasNow = next.replicas - next.updatedReplicas
  return (
    next.updatedReplicas > previous.updatedReplicas ||
    oldReplicasNow < oldReplicasBefore ||
    next.readyReplicas > previous.readyReplicas ||
    next.availableReplicas > previous.availableReplicas
  )
}

/** Whether the rollout has made no progress for longer than its deadline (`DeploymentTimedOut`). */
export function deploymentTimedOut(spec: DeploymentSpec, status: DeploymentStatus, nowMs: number): boolean {
  if (spec.progressDeadlineSeconds === undefined) return false
  const condition = getCondition(status, progressing)
  if (condition === undefined || condition.reason === reasons.newReplicaSetAvailable) return false
  if (condition.reason === reasons.progressDeadlineExceeded) return true
  const from = parseTime(condition.lastUpdateTime)
  return from !== undefined && from + spec.progressDeadlineSeconds * 1000 < nowMs
}

/** A status as read from a Deployment, with zeros for what is absent. */
export function readDeploymentStatus(deployment: KubeObject): DeploymentStatus {
  const status = isObject(deployment.status) ? deployment.status : {}
  return {
    ...status,
    replicas: count(status.replicas),
    updatedReplicas: count(status.updatedReplicas),
    readyReplicas: count(status.readyReplicas),
    availableReplicas: count(status.availableReplicas),
    unavailableReplicas: count(status.unavailableReplicas),
    conditions: Array.isArray(status.conditions) ? (structuredClone(status.conditions) as Condition[]) : [],
  }
}
