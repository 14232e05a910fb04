// The ReplicaSet controller's plan, after Kubernetes' `pkg/controller/replicaset`: claim the pods
// the selector matches (adopt orphans, release owned pods that no longer match), create or delete
// pods to reach `spec.replicas`, and report the counts in the status. Level-triggered: it reads
// only the state it is given, so planning again after a crash or a leader change is always safe.

import type { KubeObject, LabelSelector } from '../../core/api/object.ts'
import { labelMatcher, SelectorError } from '../../core/api/selectors.ts'
import type { ApiCommand } from '../../core/api/store.ts'
import {
  adopted,
  type Condition,
  controllerOf,
  count,
  deleteCommand,
  formatTime,
  isObject,
  type Plan,
  type PlanEvent,
  podsResource,
  referenceTo,
  released,
  replicaSetsResource,
  requireTime,
  semanticEqual,
  updateCommand,
} from './plan.ts'
import {
  isPodActive,
  isPodAvailable,
  isPodReady,
  podAvailableAtMs,
  podFromTemplate,
  podsInDeletionOrder,
} from './pods.ts'

/** Pods created or deleted by one plan at most, as Kubernetes' `BurstReplicas`. */
export const podWritesPerPlanMax = 500

const component = 'replicaset-controller'

export interface ReplicaSetPlanInput {
  replicaSet: KubeObject
  /** The pods of the ReplicaSet's namespace (all of them: claiming looks at orphans too). */
  pods: readonly KubeObject[]
  /**
   * The ReplicaSets of the namespace, optional: with them, the pods of sibling ReplicaSets (same
   * controlling Deployment) count when preferring to delete pods doubled up on a node.
   */
  replicaSets?: readonly KubeObject[]
  /** The leader's time, RFC 3339. */
  now: string
  newUid: () => string
  /** A name from a `generateName` prefix, as the API server makes them. */
  newName: (prefix: string) => string
}

export interface ReplicaSetStatus {
  replicas: number
  fullyLabeledReplicas: number
  readyReplicas: number
  availableReplicas: number
  observedGeneration?: number
  conditions?: Condition[]
  [key: string]: unknown
}

export function planReplicaSet(input: ReplicaSetPlanInput): Plan {
  const { replicaSet: rs, now } = input
  const nowMs = requireTime(now)
  const namespace = rs.metadata.namespace ?? ''
  const uid = rs.metadata.uid ?? ''
  const spec = isObject(rs.spec) ? rs.spec : {}
  const deleting = Boolean(rs.metadata.deletionTimestamp)
  const matches = selectorMatcher(spec.selector)
  const commands: ApiCommand[] = []
  const events: PlanEvent[] = []

  // Claim: only active pods are candidates, as upstream filters before claiming.
  const active = input.pods
    .filter((pod) => (pod.metadata.namespace ?? '') === namespace && isPodActive(pod))
    .sort(byName)
  const owned: KubeObject[] = []
  const adopting = new Set<KubeObject>()
  for (const pod of active) {
    const owner = controllerOf(pod)
    const match = matches(pod.metadata.labels)
    if (owner !== undefined) {
      if (owner.uid !== uid) continue
      if (match) owned.push(pod)
      else if (!deleting) commands.push(updateCommand(podsResource, pod, released(pod, uid), null, now))
    } else if (match && !deleting) {
      owned.push(pod)
      adopting.add(pod)
    }
  }

  // Manage replicas (not while the ReplicaSet itself is being deleted).
  const replicas = count(spec.replicas, 1)
  const creates: KubeObject[] = []
  let deleted: KubeObject[] = []
  if (!deleting && owned.length < replicas) {
    const missing = Math.min(replicas - owned.length, podWritesPerPlanMax)
    for (let i = 0; i < missing; i++) creates.push(podFromTemplate(rs, spec.template, input))
  } else if (!deleting && owned.length > replicas) {
    const surplus = Math.min(owned.length - replicas, podWritesPerPlanMax)
    deleted = podsInDeletionOrder(owned, relatedPods(input, owned), nowMs).slice(0, surplus)
  }
  for (const pod of owned) {
    // A pod about to be deleted is not adopted first: the update would fail the delete's precondition.
    if (adopting.has(pod) && !deleted.includes(pod)) {
      commands.push(updateCommand(podsResource, pod, adopted(pod, rs), null, now))
    }
  }
  for (const pod of creates) {
    commands.push({ op: 'create', resource: podsResource, object: pod })
    events.push(event(rs, 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`))
  }
  for (const pod of deleted) {
    commands.push(deleteCommand(podsResource, pod, now))
    events.push(event(rs, 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`))
  }

  // Status: the pods that remain once this plan's deletions (in the same batch) are done. Pods it
  // creates are counted when they exist, at the next plan, as upstream counts them.
  const remaining = owned.filter((pod) => !deleted.includes(pod))
  const minReadySeconds = count(spec.minReadySeconds)
  const status = replicaSetStatus(rs, remaining, nowMs)
  if (!statusCurrent(rs, status)) {
    commands.push(updateCommand(replicaSetsResource, rs, { ...rs, status }, 'status', now))
  }
  const recheckAt = minReadySeconds > 0 ? nextAvailableMs(remaining, minReadySeconds, nowMs) : undefined
  return { commands, events, ...(recheckAt === undefined ? {} : { recheckAt: formatTime(recheckAt) }) }
}

/** The status upstream's `calculateStatus` computes from the claimed pods. */
export function replicaSetStatus(
  rs: KubeObject,
  pods: readonly KubeObject[],
  nowMs: number,
): ReplicaSetStatus {
  const spec = isObject(rs.spec) ? rs.spec : {}
  const template = isObject(spec.template) ? spec.template : {}
  const templateLabels = isObject(template.metadata) ? template.metadata.labels : undefined
  const minReadySeconds = count(spec.minReadySeconds)
  const fullyLabeled = (labels: Record<string, string> | undefined) =>
    Object.entries(isObject(templateLabels) ? (templateLabels as Record<string, string>) : {}).every(
      ([key, value]) => labels?.[key] === value,
    )
  const previous = isObject(rs.status) ? rs.status : {}
  return {
    ...previous,
    replicas: pods.length,
    fullyLabeledReplicas: pods.filter((pod) => fullyLabeled(pod.metadata.labels)).length,
    readyReplicas: pods.filter(isPodReady).length,
    availableReplicas: pods.filter((pod) => isPodAvailable(pod, minReadySeconds, nowMs)).length,
    ...(rs.metadata.generation === undefined ? {} : { observedGeneration: rs.metadata.generation }),
  }
}

function statusCurrent(rs: KubeObject, status: ReplicaSetStatus): boolean {
  const current = isObject(rs.status) ? rs.status : {}
  return (
    count(current.replicas) === status.replicas &&
    count(current.fullyLabeledReplicas) === status.fullyLabeledReplicas &&
    count(current.readyReplicas) === status.readyReplicas &&
    count(current.availableReplicas) === status.availableReplicas &&
    count(current.observedGeneration) === count(status.observedGeneration) &&
    semanticEqual(current.conditions, status.conditions)
  )
}

/** When the next ready pod becomes available, if one is waiting out minReadySeconds. */
function nextAvailableMs(
  pods: readonly KubeObject[],
  minReadySeconds: number,
  nowMs: number,
): number | undefined {
  let next: number | undefined
  for (const pod of pods) {
    if (!isPodReady(pod) || isPodAvailable(pod, minReadySeconds, nowMs)) continue
    const at = podAvailableAtMs(pod, minReadySeconds)
    if (at !== undefined && (next === undefined || at < next)) next = at
  }
  return next
}

/**
 * A matcher for the ReplicaSet's selector. An absent selector matches nothing; one that does not
 * parse (validation keeps them out) matches nothing either, rather than everything.
 */
function selectorMatcher(selector: unknown): (labels?: Record<string, string>) => boolean {
  try {
    return labelMatcher(isObject(selector) ? (selector as LabelSelector) : undefined)
  } catch (error) {
    if (error instanceof SelectorError) return () => false
    throw error
  }
}

/**
 * The active pods of this ReplicaSet and of its siblings under the same controller
 * (`getIndirectlyRelatedPods`); without the namespace's ReplicaSets, only its own.
 */
function relatedPods(input: ReplicaSetPlanInput, owned: readonly KubeObject[]): KubeObject[] {
  const owner = controllerOf(input.replicaSet)
  if (owner === undefined || input.replicaSets === undefined) return [...owned]
  const siblings = new Set(
    input.replicaSets.filter((rs) => controllerOf(rs)?.uid === owner.uid).map((rs) => rs.metadata.uid),
  )
  siblings.add(input.replicaSet.metadata.uid)
  const related = input.pods.filter((pod) => {
    const controller = controllerOf(pod)
    return controller !== undefined && siblings.has(controller.uid) && isPodActive(pod)
  })
  // Pods being adopted in this plan are related too.
  return [...new Set([...related, ...owned])]
}

function event(rs: KubeObject, reason: string, message: string): PlanEvent {
  return { type: 'Normal', reason, message, involvedObject: referenceTo(rs), component }
}

function byName(a: KubeObject, b: KubeObject): number {
  const [x, y] = [a.metadata.name ?? '', b.metadata.name ?? '']
  return x < y ? -1 : x > y ? 1 : 0
}
