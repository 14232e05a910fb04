// The StatefulSet controller's plan, after Kubernetes' `pkg/controller/statefulset`: pods with a
// stable identity, `<name>-<ordinal>` for each ordinal of the set, made in order and each only once
// its predecessors are Running and Ready (OrderedReady), or all at once (Parallel); removed from
// the highest ordinal down; finished pods deleted so that they are made again under the same name;
// pods of an old template replaced one at a time from the highest ordinal down to the partition;
// and the status `kubectl rollout status statefulset` reads. There are no ControllerRevisions
// here: a revision is `<name>-<template hash>`, so a pod below the partition that is made again is
// made from the current template (upstream keeps the old one in its history). Level-triggered: it
// reads only the state it is given.

import type { KubeObject, LabelSelector } from '../../core/api/object.ts'
import { labelMatcher, SelectorError } from '../../core/api/selectors.ts'
import type { ApiCommand, ResourceRef } from '../../core/api/store.ts'
import {
  adopted,
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
  requireTime,
  resourceOf,
  updateCommand,
} from './plan.ts'
import {
  type Fixed,
  isPodAvailable,
  isPodReady,
  podAvailableAtMs,
  podFromTemplate,
  podPhase,
} from './pods.ts'
import { controllerRevisionHashLabel, podTemplateHash } from './template-hash.ts'

export const statefulSetsResource: ResourceRef = resourceOf('apps/v1', 'StatefulSet')

/** Pod writes (creates, deletes, updates) of one plan at most; Parallel sets may want many at once. */
export const podWritesPerPlanMax = 250

export const podNameLabel = 'statefulset.kubernetes.io/pod-name'
export const podIndexLabel = 'apps.kubernetes.io/pod-index'
export { controllerRevisionHashLabel }

const component = 'statefulset-controller'

/** Go's int32 bound on ordinals: a larger number in a pod name is not an ordinal. */
const ordinalMax = 2_147_483_647

export interface StatefulSetPlanInput {
  statefulSet: KubeObject
  /** The pods of the StatefulSet's namespace (all of them: names must not collide, orphans are claimed). */
  pods: readonly KubeObject[]
  /** The leader's time, RFC 3339. */
  now: string
  newUid: () => string
  /** A name from a `generateName` prefix, as the API server makes them (unused: pods have fixed names). */
  newName: (prefix: string) => string
}

export interface StatefulSetStatus {
  observedGeneration?: number
  replicas: number
  readyReplicas: number
  availableReplicas: number
  currentReplicas: number
  updatedReplicas: number
  currentRevision: string
  updateRevision: string
  collisionCount: number
  [key: string]: unknown
}

/** The revision of the set's current template, as the `controller-revision-hash` label holds it. */
export function updateRevisionOf(set: KubeObject): string {
  const spec = isObject(set.spec) ? set.spec : {}
  return `${set.metadata.name ?? ''}-${podTemplateHash(spec.template)}`
}

/** The ordinal in a pod's name if the pod is named as one of `setName`'s (`getParentNameAndOrdinal`); else -1. */
export function ordinalOf(pod: KubeObject, setName: string): number {
  const match = /^(.*)-([0-9]+)$/.exec(pod.metadata.name ?? '')
  if (match === null || match[1] !== setName) return -1
  const ordinal = Number(match[2])
  return ordinal <= ordinalMax ? ordinal : -1
}

interface Context {
  set: KubeObject
  now: string
  nowMs: number
  fixed: Fixed
  name: string
  start: number
  minReadySeconds: number
  monotonic: boolean
  updateRevision: string
  /** How many ordinals the set should have, from `start`. */
  replicaCount: number
  /** Owned pods by ordinal − start, for the ordinals the set should have (a Map: replicas may be many). */
  replicas: Map<number, KubeObject>
  /** Owned pods with ordinals outside the set's range, highest first. */
  condemned: KubeObject[]
  /** Every pod name of the namespace: a pod is never made under a name still in use. */
  taken: ReadonlySet<string>
  commands: ApiCommand[]
  events: PlanEvent[]
  /** Pods this plan deletes; they count no more in the status. */
  gone: Set<KubeObject>
  podWrites: number
}

export function planStatefulSet(input: StatefulSetPlanInput): Plan {
  const { statefulSet: set, now } = input
  const nowMs = requireTime(now)
  const spec = isObject(set.spec) ? set.spec : {}
  const name = set.metadata.name ?? ''

  // Claiming writes the pods it adopts or releases, so it goes alone: a later write to the same pod
  // in the same batch would fail the batch on the resourceVersion the claim changes.
  const { owned, claims } = claimPods(set, input.pods, now)
  if (claims.length > 0) return { commands: claims.slice(0, podWritesPerPlanMax), events: [] }

  const start = count(isObject(spec.ordinals) ? spec.ordinals.start : undefined)
  const replicaCount = count(spec.replicas, 1)
  const replicas = new Map<number, KubeObject>()
  const condemned: KubeObject[] = []
  for (const pod of owned) {
    const ordinal = ordinalOf(pod, name)
    if (ordinal >= start && ordinal < start + replicaCount) replicas.set(ordinal - start, pod)
    else if (ordinal >= 0) condemned.push(pod)
  }
  condemned.sort((a, b) => ordinalOf(b, name) - ordinalOf(a, name))
  const namespace = set.metadata.namespace ?? ''
  const c: Context = {
    set,
    now,
    nowMs,
    fixed: input,
    name,
    start,
    minReadySeconds: count(spec.minReadySeconds),
    monotonic: spec.podManagementPolicy !== 'Parallel',
    updateRevision: updateRevisionOf(set),
    replicaCount,
    replicas,
    condemned,
    taken: new Set(
      input.pods.filter((p) => (p.metadata.namespace ?? '') === namespace).map((p) => p.metadata.name ?? ''),
    ),
    commands: [],
    events: [],
    gone: new Set(),
    podWrites: 0,
  }

  // As upstream, a set being deleted only reports its status; the collector removes its pods.
  if (!set.metadata.deletionTimestamp) {
    const firstUnhealthy = firstUnhealthyPod(c)
    const blocked = manageReplicas(c) || manageCondemned(c, firstUnhealthy)
    if (!blocked && c.podWrites === 0 && rollingUpdate(set)) rollingUpdateStep(c)
  }

  const status = statefulSetStatus(c)
  if (!statusCurrent(set, status)) {
    c.commands.push(updateCommand(statefulSetsResource, set, { ...set, status }, 'status', now))
  }
  const recheckAt = nextAvailableMs(c)
  return {
    commands: c.commands,
    events: c.events,
    ...(recheckAt === undefined ? {} : { recheckAt: formatTime(recheckAt) }),
  }
}

// --- claiming -------------------------------------------------------------------------------

/**
 * Upstream's `getPodsForStatefulSet`: the set's own pods that its selector matches and that are
 * named as its members, adopting such orphans (not those being deleted) and releasing its pods
 * that no longer qualify. A set being deleted adopts and releases nothing.
 */
function claimPods(
  set: KubeObject,
  pods: readonly KubeObject[],
  now: string,
): { owned: KubeObject[]; claims: ApiCommand[] } {
  const spec = isObject(set.spec) ? set.spec : {}
  const matches = selectorMatcher(spec.selector)
  const namespace = set.metadata.namespace ?? ''
  const name = set.metadata.name ?? ''
  const uid = set.metadata.uid ?? ''
  const deleting = Boolean(set.metadata.deletionTimestamp)
  const owned: KubeObject[] = []
  const claims: ApiCommand[] = []
  for (const pod of pods) {
    if ((pod.metadata.namespace ?? '') !== namespace) continue
    const owner = controllerOf(pod)
    const match = matches(pod.metadata.labels) && ordinalOf(pod, name) >= 0
    if (owner !== undefined) {
      if (owner.uid !== uid) continue
      if (match) owned.push(pod)
      else if (!deleting) claims.push(updateCommand(podsResource, pod, released(pod, uid), null, now))
    } else if (match && !deleting && !pod.metadata.deletionTimestamp) {
      claims.push(updateCommand(podsResource, pod, adopted(pod, set), null, now))
    }
  }
  return { owned, claims }
}

function selectorMatcher(selector: unknown): (labels?: Record<string, string>) => boolean {
  try {
    return labelMatcher(isObject(selector) ? (selector as LabelSelector) : undefined)
  } catch (error) {
    if (error instanceof SelectorError) return () => false
    throw error
  }
}

// --- pods -----------------------------------------------------------------------------------

const isTerminating = (pod: KubeObject) => Boolean(pod.metadata.deletionTimestamp)
const isFinished = (pod: KubeObject) => podPhase(pod) === 'Failed' || podPhase(pod) === 'Succeeded'
const isRunningAndReady = (pod: KubeObject) => podPhase(pod) === 'Running' && isPodReady(pod)
/** What "up" means to the set: Running and Ready, not being deleted. */
const isHealthy = (pod: KubeObject | undefined) =>
  pod !== undefined && isRunningAndReady(pod) && !isTerminating(pod)
const isRunningAndAvailable = (c: Context, pod: KubeObject) =>
  podPhase(pod) === 'Running' && isPodAvailable(pod, c.minReadySeconds, c.nowMs)
const revisionOf = (pod: KubeObject) => pod.metadata.labels?.[controllerRevisionHashLabel] ?? ''

/**
 * Upstream's first unhealthy pod, which a scale-down may delete though it is not up: the lowest
 * ordinal not up, among the replicas (a missing one counts) and then the condemned. Only a
 * condemned one matters, so undefined when a replica is not up.
 */
function firstUnhealthyPod(c: Context): KubeObject | undefined {
  if (c.replicas.size < c.replicaCount || [...c.replicas.values()].some((pod) => !isHealthy(pod)))
    return undefined
  for (let i = c.condemned.length - 1; i >= 0; i--) {
    if (!isHealthy(c.condemned[i])) return c.condemned[i]
  }
  return undefined
}

/** The pod of `ordinal` as upstream's `newStatefulSetPod` makes it: identity, revision, claimed volumes. */
function newPod(c: Context, ordinal: number): KubeObject {
  const spec = isObject(c.set.spec) ? c.set.spec : {}
  const podName = `${c.name}-${ordinal}`
  const template = isObject(spec.template) ? structuredClone(spec.template) : {}
  const podSpec = isObject(template.spec) ? template.spec : {}
  template.spec = podSpec
  podSpec.hostname = podName
  if (typeof spec.serviceName === 'string' && spec.serviceName !== '') podSpec.subdomain = spec.serviceName
  // Each claim template becomes a volume of that name on the claim `<claim>-<pod>` (`updateStorage`).
  const claims = (Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : [])
    .map((claim) => (isObject(claim) && isObject(claim.metadata) ? claim.metadata.name : undefined))
    .filter((claim): claim is string => typeof claim === 'string')
  if (claims.length > 0) {
    const others = (Array.isArray(podSpec.volumes) ? podSpec.volumes : []).filter(
      (volume) => !(isObject(volume) && claims.includes(volume.name as string)),
    )
    podSpec.volumes = [
      ...claims.map((claim) => ({
        name: claim,
        persistentVolumeClaim: { claimName: `${claim}-${podName}` },
      })),
      ...others,
    ]
  }
  return podFromTemplate(c.set, template, c.fixed, {
    name: podName,
    labels: {
      [podNameLabel]: podName,
      [podIndexLabel]: String(ordinal),
      [controllerRevisionHashLabel]: c.updateRevision,
    },
  })
}

function create(c: Context, ordinal: number): void {
  const pod = newPod(c, ordinal)
  c.commands.push({ op: 'create', resource: podsResource, object: pod })
  c.events.push(podEvent(c, 'create', pod))
  c.podWrites++
}

function remove(c: Context, pod: KubeObject): void {
  c.commands.push(deleteCommand(podsResource, pod, c.now))
  c.events.push(podEvent(c, 'delete', pod))
  c.gone.add(pod)
  c.podWrites++
}

/** Upstream's `identityMatches`/`updateIdentity`, for labels lost or never set (an adopted pod). */
function fixIdentity(c: Context, pod: KubeObject, ordinal: number): void {
  const labels = pod.metadata.labels ?? {}
  const podName = pod.metadata.name ?? ''
  if (labels[podNameLabel] === podName && labels[podIndexLabel] === String(ordinal)) return
  const next: KubeObject = {
    ...pod,
    metadata: {
      ...pod.metadata,
      labels: { ...labels, [podNameLabel]: podName, [podIndexLabel]: String(ordinal) },
    },
  }
  c.commands.push(updateCommand(podsResource, pod, next, null, c.now))
  c.events.push(podEvent(c, 'update', pod))
  c.podWrites++
}

/**
 * Upstream's `processReplica` over the ordinals in order. A finished pod is deleted, and made
 * again at a later plan (its name is in use until then). OrderedReady makes one pod per plan, and
 * stops at the first pod that is not Running, Ready and available. True: stop planning here.
 */
function manageReplicas(c: Context): boolean {
  for (let i = 0; i < c.replicaCount; i++) {
    if (c.podWrites >= podWritesPerPlanMax) return true
    const pod = c.replicas.get(i)
    const ordinal = c.start + i
    if (pod !== undefined && isFinished(pod)) {
      if (!isTerminating(pod)) {
        const failed = podPhase(pod) === 'Failed'
        const message = `StatefulSet ${c.set.metadata.namespace}/${c.name} is recreating ${failed ? 'failed' : 'terminated'} Pod ${pod.metadata.name}`
        c.events.push(event(c, failed ? 'RecreatingFailedPod' : 'RecreatingTerminatedPod', message, failed))
        remove(c, pod)
      }
      if (c.monotonic) return true
      continue
    }
    if (pod === undefined) {
      // A pod of that name not (yet) gone, or not ours: the store would refuse a second one.
      if (!c.taken.has(`${c.name}-${ordinal}`)) create(c, ordinal)
      if (c.monotonic) return true
      continue
    }
    if (c.monotonic && (isTerminating(pod) || !isRunningAndReady(pod) || !isRunningAndAvailable(c, pod))) {
      return true
    }
    if (!isTerminating(pod)) fixIdentity(c, pod, ordinal)
  }
  return false
}

/**
 * Upstream's `processCondemned`, highest ordinal first. OrderedReady deletes one per plan, and
 * only once the ones before it are up (all replicas are, to get here) — but the first pod that is
 * not up may go, or a broken pod would hold the scale-down forever.
 */
function manageCondemned(c: Context, firstUnhealthy: KubeObject | undefined): boolean {
  for (const pod of c.condemned) {
    if (c.podWrites >= podWritesPerPlanMax) return true
    if (isTerminating(pod)) {
      if (c.monotonic) return true
      continue
    }
    const up = isRunningAndReady(pod) && isRunningAndAvailable(c, pod)
    if (c.monotonic && !up && pod !== firstUnhealthy) return true
    remove(c, pod)
    if (c.monotonic) return true
  }
  return false
}

const rollingUpdate = (set: KubeObject): boolean => {
  const spec = isObject(set.spec) ? set.spec : {}
  return !(isObject(spec.updateStrategy) && spec.updateStrategy.type === 'OnDelete')
}

function partitionOf(set: KubeObject): number {
  const spec = isObject(set.spec) ? set.spec : {}
  const strategy = isObject(spec.updateStrategy) ? spec.updateStrategy : {}
  return count(isObject(strategy.rollingUpdate) ? strategy.rollingUpdate.partition : undefined)
}

/**
 * One step of a rolling update, on a plan that wrote no pod otherwise: from the highest ordinal
 * down to the partition, the first pod of an old revision is deleted (and made again from the new
 * template at a later plan), only when every other pod of the set is up, so that one pod at most
 * is down for the update; a pod of the new revision that is not up yet holds the update.
 */
function rollingUpdateStep(c: Context): void {
  if (c.condemned.length > 0) return
  const others = (target: number) =>
    c.replicas.size === c.replicaCount &&
    [...c.replicas].every(([i, pod]) => i === target || (isHealthy(pod) && isRunningAndAvailable(c, pod)))
  for (let target = c.replicaCount - 1; target >= partitionOf(c.set); target--) {
    const pod = c.replicas.get(target)
    if (pod === undefined) return
    if (revisionOf(pod) !== c.updateRevision && !isTerminating(pod)) {
      if (others(target)) remove(c, pod)
      return
    }
    if (!isHealthy(pod)) return
  }
}

// --- status ---------------------------------------------------------------------------------

/**
 * Upstream's `updateStatus` and `completeRollingUpdate`, over the pods that remain once this
 * plan's deletions are done: a rolling update is complete, and the update revision current, when
 * every pod is updated and ready.
 */
function statefulSetStatus(c: Context): StatefulSetStatus {
  const previous = isObject(c.set.status) ? c.set.status : {}
  const pods = [...c.replicas.values(), ...c.condemned].filter((pod) => !c.gone.has(pod))
  let currentRevision =
    typeof previous.currentRevision === 'string' && previous.currentRevision !== ''
      ? previous.currentRevision
      : c.updateRevision
  const counts = {
    replicas: 0,
    readyReplicas: 0,
    availableReplicas: 0,
    currentReplicas: 0,
    updatedReplicas: 0,
  }
  for (const pod of pods) {
    const created = podPhase(pod) !== ''
    if (created) counts.replicas++
    if (isRunningAndReady(pod)) {
      counts.readyReplicas++
      if (isRunningAndAvailable(c, pod)) counts.availableReplicas++
    }
    if (created && !isTerminating(pod)) {
      if (revisionOf(pod) === currentRevision) counts.currentReplicas++
      if (revisionOf(pod) === c.updateRevision) counts.updatedReplicas++
    }
  }
  if (
    rollingUpdate(c.set) &&
    counts.updatedReplicas === counts.replicas &&
    counts.readyReplicas === counts.replicas
  ) {
    counts.currentReplicas = counts.updatedReplicas
    currentRevision = c.updateRevision
  }
  return {
    ...previous,
    ...(c.set.metadata.generation === undefined ? {} : { observedGeneration: c.set.metadata.generation }),
    ...counts,
    currentRevision,
    updateRevision: c.updateRevision,
    collisionCount: 0,
  }
}

function statusCurrent(set: KubeObject, status: StatefulSetStatus): boolean {
  const current = isObject(set.status) ? set.status : {}
  const counts = [
    'observedGeneration',
    'replicas',
    'readyReplicas',
    'availableReplicas',
    'currentReplicas',
    'updatedReplicas',
  ] as const
  return (
    counts.every((key) => count(current[key]) === count(status[key])) &&
    current.currentRevision === status.currentRevision &&
    current.updateRevision === status.updateRevision &&
    count(current.collisionCount) === status.collisionCount
  )
}

/** When the next ready pod becomes available, if one is waiting out minReadySeconds. */
function nextAvailableMs(c: Context): number | undefined {
  if (c.minReadySeconds === 0) return undefined
  let next: number | undefined
  for (const pod of [...c.replicas.values(), ...c.condemned]) {
    if (c.gone.has(pod) || !isPodReady(pod)) continue
    if (isPodAvailable(pod, c.minReadySeconds, c.nowMs)) continue
    const at = podAvailableAtMs(pod, c.minReadySeconds)
    if (at !== undefined && (next === undefined || at < next)) next = at
  }
  return next
}

// --- events ---------------------------------------------------------------------------------

/** Upstream's `recordPodEvent` wording: `create Pod web-0 in StatefulSet web successful`. */
function podEvent(c: Context, verb: 'create' | 'delete' | 'update', pod: KubeObject): PlanEvent {
  const reason = { create: 'SuccessfulCreate', delete: 'SuccessfulDelete', update: 'SuccessfulUpdate' }[verb]
  return event(c, reason, `${verb} Pod ${pod.metadata.name} in StatefulSet ${c.name} successful`, false)
}

function event(c: Context, reason: string, message: string, warning: boolean): PlanEvent {
  return {
    type: warning ? 'Warning' : 'Normal',
    reason,
    message,
    involvedObject: referenceTo(c.set),
    component,
  }
}
