// What a controller's planning function returns, and the small vocabulary the planners share: the
// resources they write, owner references, preconditioned commands, times, conditions and the
// semantic equality Kubernetes compares objects with. Planners are pure: the leader passes in the
// time (`now`) and the generators of uids and names, and proposes the commands as one batch.

import type { KubeObject, OwnerReference } from '../../core/api/object.ts'
import { type ResourceType, resourceFor, storageResource } from '../../core/api/resources.ts'
import type { ApiCommand, ResourceRef } from '../../core/api/store.ts'

/** The object an event is about, as Kubernetes' `ObjectReference`. */
export interface ObjectReference {
  apiVersion: string
  kind: string
  namespace: string
  name: string
  uid: string
  resourceVersion?: string
}

/** Something worth telling a user (`kubectl describe`), recorded by the actor as an Event. */
export interface PlanEvent {
  type: 'Normal' | 'Warning'
  reason: string
  message: string
  involvedObject: ObjectReference
  /** The reporting controller, Kubernetes' `source.component` (`deployment-controller`). */
  component: string
}

export interface Plan {
  /**
   * The writes, for one batch, in order. Every update and delete carries the resourceVersion and
   * uid of the object it was planned from, so a plan made from a state that has since moved on
   * (a deposed leader's, or one raced by a user's write) is refused instead of applied twice.
   */
  commands: ApiCommand[]
  /** What the plan did, in the words of the Kubernetes controller; see `eventCommand`. */
  events: PlanEvent[]
  /**
   * Plan again at this time (RFC 3339) even if nothing changes: when a ready pod becomes available
   * (minReadySeconds) or a rollout's progress deadline passes. Absent: only on a change.
   */
  recheckAt?: string
}

/** The store's reference to a resource type of the API. */
export function refOf(type: ResourceType): ResourceRef {
  return {
    group: type.group,
    plural: type.plural,
    kind: type.kind,
    namespaced: type.namespaced,
    hasStatus: type.subresources.includes('status'),
  }
}

/** The resource a kind is stored as (`resourceOf('apps/v1', 'Deployment')`); it must be served. */
export function resourceOf(apiVersion: string, kind: string): ResourceRef {
  const type = resourceFor(apiVersion, kind)
  if (!type) throw new Error(`planner: ${apiVersion} ${kind} is not a served kind`)
  return refOf(storageResource(type))
}

export const podsResource: ResourceRef = resourceOf('v1', 'Pod')
export const replicaSetsResource: ResourceRef = resourceOf('apps/v1', 'ReplicaSet')
export const deploymentsResource: ResourceRef = resourceOf('apps/v1', 'Deployment')
export const eventsResource: ResourceRef = resourceOf('v1', 'Event')

// --- owners ---------------------------------------------------------------------------------

/** The owner reference marked as the managing controller, if any. */
export function controllerOf(object: KubeObject): OwnerReference | undefined {
  return object.metadata.ownerReferences?.find((owner) => owner.controller === true)
}

/** The reference a controller puts on what it owns (`metav1.NewControllerRef`). */
export function controllerReference(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  }
}

/** A copy of `object` owned by `owner` as its controller (adoption). */
export function adopted(object: KubeObject, owner: KubeObject): KubeObject {
  const others = (object.metadata.ownerReferences ?? []).filter((o) => o.uid !== owner.metadata.uid)
  return {
    ...object,
    metadata: { ...object.metadata, ownerReferences: [...others, controllerReference(owner)] },
  }
}

/** A copy of `object` without any reference to the owner with `uid` (release). */
export function released(object: KubeObject, uid: string): KubeObject {
  const owners = (object.metadata.ownerReferences ?? []).filter((o) => o.uid !== uid)
  const { ownerReferences: _dropped, ...metadata } = object.metadata
  return { ...object, metadata: owners.length > 0 ? { ...metadata, ownerReferences: owners } : metadata }
}

// --- commands -------------------------------------------------------------------------------

/** An update of `next`, which was planned from `planned`, refused if `planned` is no longer current. */
export function updateCommand(
  resource: ResourceRef,
  planned: KubeObject,
  next: KubeObject,
  subresource: 'status' | null,
  now: string,
): ApiCommand {
  return {
    op: 'update',
    resource,
    object: next,
    subresource,
    expected: preconditions(planned),
    now,
  }
}

/** A (background) deletion of `planned`, refused if it changed since it was planned from. */
export function deleteCommand(resource: ResourceRef, planned: KubeObject, now: string): ApiCommand {
  return {
    op: 'delete',
    resource,
    namespace: planned.metadata.namespace ?? '',
    name: planned.metadata.name ?? '',
    propagation: 'Background',
    expected: preconditions(planned),
    now,
  }
}

function preconditions(object: KubeObject): { resourceVersion?: string; uid?: string } {
  const { resourceVersion, uid } = object.metadata
  return {
    ...(resourceVersion === undefined ? {} : { resourceVersion }),
    ...(uid === undefined ? {} : { uid }),
  }
}

/** The reference an event about `object` carries. */
export function referenceTo(object: KubeObject): ObjectReference {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    namespace: object.metadata.namespace ?? '',
    name: object.metadata.name ?? '',
    uid: object.metadata.uid ?? '',
    ...(object.metadata.resourceVersion === undefined
      ? {}
      : { resourceVersion: object.metadata.resourceVersion }),
  }
}

/**
 * The command that records `event` as a core/v1 Event, named as Kubernetes names them
 * (`<object>.<suffix>`). The store counts a repeat of the same event instead of adding one.
 */
export function eventCommand(
  event: PlanEvent,
  fixed: { now: string; newUid: () => string; newName: (prefix: string) => string },
  count = 1,
): ApiCommand {
  const involved = event.involvedObject
  return {
    op: 'create',
    resource: eventsResource,
    object: {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: fixed.newName(`${involved.name}.`),
        // Events about cluster-scoped objects (Nodes) live in `default`, as in Kubernetes.
        namespace: involved.namespace || 'default',
        uid: fixed.newUid(),
        creationTimestamp: fixed.now,
      },
      involvedObject: { ...involved },
      reason: event.reason,
      message: event.message,
      type: event.type,
      source: { component: event.component },
      reportingComponent: event.component,
      reportingInstance: '',
      firstTimestamp: fixed.now,
      lastTimestamp: fixed.now,
      count,
    },
  }
}

/** Events alike but for their message, at most, before the rest are combined (as client-go's). */
export const similarEventsMax = 10

/**
 * The commands that record `events`, aggregated as client-go's EventCorrelator does: of the events
 * about one object with one type, reason and source, the first `similarEventsMax` are recorded as
 * they are and the rest as one event, "(combined from similar events): <the last message>", whose
 * count says how many. A ReplicaSet creating a hundred pods records 11 events, not 100.
 */
export function eventCommands(
  events: readonly PlanEvent[],
  fixed: { now: string; newUid: () => string; newName: (prefix: string) => string },
): ApiCommand[] {
  const groups = new Map<string, PlanEvent[]>()
  for (const event of events) {
    const key = JSON.stringify([
      event.involvedObject.uid,
      event.involvedObject.name,
      event.type,
      event.reason,
      event.component,
    ])
    const group = groups.get(key)
    if (group) group.push(event)
    else groups.set(key, [event])
  }
  const commands: ApiCommand[] = []
  for (const group of groups.values()) {
    for (const event of group.slice(0, similarEventsMax)) commands.push(eventCommand(event, fixed))
    const rest = group.slice(similarEventsMax)
    if (rest.length === 0) continue
    const last = rest[rest.length - 1]!
    commands.push(
      eventCommand(
        { ...last, message: `(combined from similar events): ${last.message}` },
        fixed,
        rest.length,
      ),
    )
  }
  return commands
}

// --- time -----------------------------------------------------------------------------------

/** Milliseconds since the epoch of an RFC 3339 time; undefined for absent or unreadable input. */
export function parseTime(time: unknown): number | undefined {
  if (typeof time !== 'string' || time === '') return undefined
  const ms = Date.parse(time)
  return Number.isNaN(ms) ? undefined : ms
}

/** An RFC 3339 time to the second, UTC, as the API writes them (`2025-03-01T12:00:00Z`). */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

/** `now` read, or a programmer error: planners cannot work without the leader's time. */
export function requireTime(now: string): number {
  const ms = parseTime(now)
  if (ms === undefined) throw new TypeError(`planner: now is not an RFC 3339 time: ${JSON.stringify(now)}`)
  return ms
}

// --- conditions -----------------------------------------------------------------------------

export interface Condition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason?: string
  message?: string
  lastUpdateTime?: string
  lastTransitionTime?: string
  [key: string]: unknown
}

/** The condition of `type` in a status, if present and well formed. */
export function conditionOf(status: unknown, type: string): Condition | undefined {
  const conditions = isObject(status) ? status.conditions : undefined
  if (!Array.isArray(conditions)) return undefined
  return conditions.find((c): c is Condition => isObject(c) && c.type === type)
}

// --- plain data -----------------------------------------------------------------------------

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A non-negative integer field, or `fallback` when absent or not one. */
export function count(value: unknown, fallback = 0): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : fallback
}

/**
 * Equality as apimachinery's `Semantic.DeepEqual` sees API objects: an absent field, null, an
 * empty map and an empty list are the same thing.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b)
}

/** JSON with sorted keys and without the empty values `semanticEqual` ignores. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalized(value)) ?? 'null'
}

function normalized(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map((v) => normalized(v) ?? null)
  if (!isObject(value)) return value ?? undefined
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) {
    const v = normalized(value[key])
    if (v !== undefined) out[key] = v
  }
  return Object.keys(out).length === 0 ? undefined : out
}
