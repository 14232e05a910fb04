// The garbage collector's plan, after Kubernetes' `pkg/controller/garbagecollector`: an object all
// of whose owners are gone is deleted; one with some owners gone and some alive loses the
// references to the gone ones; an object being deleted in the foreground loses its
// `foregroundDeletion` finalizer once nothing blocks it, and one being deleted with the `orphan`
// finalizer lets its dependents go first. The store cascades deletions itself when they happen;
// this plan finds what that leaves behind (dependents created for owners that never existed or
// were deleted in another namespace, finalizers that wait on dependents).
//
// An owner is alive only as the reference names it: the same uid, kind and name, in the
// dependent's namespace (or cluster-scoped). An object of the same name with another uid is a
// different object, and the owner it stood for is gone.

import { type KubeObject, type OwnerReference, parseApiVersion } from '../../core/api/object.ts'
import { resourceTypes } from '../../core/api/resources.ts'
import type { ApiCommand, PropagationPolicy, ResourceRef } from '../../core/api/store.ts'
import {
  deleteCommand,
  type Plan,
  type PlanEvent,
  referenceTo,
  released,
  requireTime,
  updateCommand,
} from './plan.ts'

/** Writes (updates and deletes) one plan makes at most; the next plan carries on. */
export const garbageCollectorWritesPerPlanMax = 500

export const garbageCollectorComponent = 'garbage-collector'
export const foregroundDeletionFinalizer = 'foregroundDeletion'
export const orphanFinalizer = 'orphan'

export interface StoredObject {
  readonly resource: ResourceRef
  readonly object: KubeObject
}

export interface GarbageCollectionInput {
  /**
   * Every object of every resource an owner reference may name. An owner whose kind none of them
   * (nor the API) serves cannot be looked up, and is never taken for gone.
   */
  readonly objects: readonly StoredObject[]
  /** The leader's time, RFC 3339. */
  readonly now: string
}

type OwnerState = 'solid' | 'dangling' | 'waiting'

export function planGarbageCollection(input: GarbageCollectionInput): Plan {
  const { now } = input
  requireTime(now)
  const byUid = new Map<string, StoredObject>()
  const dependentsOf = new Map<string, StoredObject[]>()
  const knownKinds = new Set(resourceTypes.map((t) => `${t.group}/${t.kind}`))
  for (const entry of input.objects) {
    const { uid } = entry.object.metadata
    if (uid) byUid.set(uid, entry)
    knownKinds.add(`${entry.resource.group}/${entry.resource.kind}`)
    for (const owner of entry.object.metadata.ownerReferences ?? []) {
      const list = dependentsOf.get(owner.uid) ?? []
      list.push(entry)
      dependentsOf.set(owner.uid, list)
    }
  }
  const updates: ApiCommand[] = []
  const deletes: { entry: StoredObject; propagation: PropagationPolicy }[] = []
  const events: PlanEvent[] = []
  // One write per object per plan: a second one would fail the first one's precondition.
  const written = new Set<string>()
  const room = () => updates.length + deletes.length < garbageCollectorWritesPerPlanMax
  const update = (entry: StoredObject, next: KubeObject) => {
    updates.push(updateCommand(entry.resource, entry.object, next, null, now))
    written.add(entry.object.metadata.uid ?? '')
  }

  /** What became of the owner a reference names, from the dependent's point of view. */
  const ownerState = (dependent: StoredObject, ref: OwnerReference): OwnerState => {
    const { group } = parseApiVersion(ref.apiVersion)
    const owner = byUid.get(ref.uid)
    if (owner === undefined || owner.resource.kind !== ref.kind || owner.resource.group !== group) {
      return knownKinds.has(`${group}/${ref.kind}`) ? 'dangling' : 'solid'
    }
    if (owner.object.metadata.name !== ref.name) return 'dangling'
    if (
      owner.resource.namespaced &&
      (!dependent.resource.namespaced ||
        owner.object.metadata.namespace !== dependent.object.metadata.namespace)
    ) {
      events.push(invalidNamespace(dependent, ref))
      return 'dangling'
    }
    const meta = owner.object.metadata
    return meta.deletionTimestamp && meta.finalizers?.includes(foregroundDeletionFinalizer)
      ? 'waiting'
      : 'solid'
  }

  for (const entry of input.objects) {
    if (!room()) break
    const { object } = entry
    const uid = object.metadata.uid ?? ''
    if (written.has(uid)) continue
    if (object.metadata.deletionTimestamp) {
      planFinalizers(entry, dependentsOf.get(uid) ?? [], written, room, update)
      continue
    }
    const refs = object.metadata.ownerReferences ?? []
    if (refs.length === 0) continue
    const states = refs.map((ref) => ownerState(entry, ref))
    const gone = refs.filter((_, i) => states[i] !== 'solid').map((ref) => ref.uid)
    if (gone.length === 0) continue
    if (states.includes('solid')) {
      // Some owners live: only the references to the others go (`deleteOwnerRefStrategicMergePatch`).
      update(entry, gone.reduce(released, object))
    } else {
      // An owner waiting for its dependents has this one go in the foreground too, its own first.
      const waited = states.includes('waiting') && (dependentsOf.get(uid) ?? []).length > 0
      deletes.push({ entry, propagation: waited ? 'Foreground' : propagationFor(object) })
      written.add(uid)
    }
  }
  return { commands: [...updates, ...cascadeSafe(deletes, dependentsOf, now)], events }
}

/**
 * An object being deleted that waits on its dependents: in the foreground, it loses the finalizer
 * once no dependent blocks it (`blockOwnerDeletion`); with `orphan`, its dependents are released
 * first, then it loses the finalizer.
 */
function planFinalizers(
  entry: StoredObject,
  dependents: readonly StoredObject[],
  written: Set<string>,
  room: () => boolean,
  update: (entry: StoredObject, next: KubeObject) => void,
): void {
  const { object } = entry
  const uid = object.metadata.uid ?? ''
  const finalizers = object.metadata.finalizers ?? []
  const without = (finalizer: string): KubeObject => ({
    ...object,
    metadata: { ...object.metadata, finalizers: finalizers.filter((f) => f !== finalizer) },
  })
  if (finalizers.includes(foregroundDeletionFinalizer)) {
    const blocking = dependents.some((dependent) =>
      dependent.object.metadata.ownerReferences?.some((o) => o.uid === uid && o.blockOwnerDeletion === true),
    )
    if (!blocking) update(entry, without(foregroundDeletionFinalizer))
  } else if (finalizers.includes(orphanFinalizer)) {
    let left = 0
    for (const dependent of dependents) {
      if (!room() || written.has(dependent.object.metadata.uid ?? '')) left++
      else update(dependent, released(dependent.object, uid))
    }
    if (left === 0 && room()) update(entry, without(orphanFinalizer))
  }
}

/** As upstream: an object's own finalizers say how its dependents go with it. */
function propagationFor(object: KubeObject): PropagationPolicy {
  const finalizers = object.metadata.finalizers ?? []
  if (finalizers.includes(orphanFinalizer)) return 'Orphan'
  if (finalizers.includes(foregroundDeletionFinalizer)) return 'Foreground'
  return 'Background'
}

/**
 * The deletes, less those the store's cascade reaches from an earlier one: the store follows
 * owner uids (deleting, or releasing for Orphan), and a delete of an object already gone, or
 * changed by a release, would fail the whole batch, and every plan after it the same way.
 */
function cascadeSafe(
  deletes: readonly { entry: StoredObject; propagation: PropagationPolicy }[],
  dependentsOf: ReadonlyMap<string, readonly StoredObject[]>,
  now: string,
): ApiCommand[] {
  const reached = new Set<string>()
  const reach = (uid: string, propagation: PropagationPolicy) => {
    const pending = [uid]
    while (pending.length > 0) {
      for (const dependent of dependentsOf.get(pending.pop()!) ?? []) {
        const dependentUid = dependent.object.metadata.uid ?? ''
        if (reached.has(dependentUid)) continue
        reached.add(dependentUid)
        if (propagation !== 'Orphan') pending.push(dependentUid)
      }
    }
  }
  const commands: ApiCommand[] = []
  for (const { entry, propagation } of deletes) {
    const uid = entry.object.metadata.uid ?? ''
    if (reached.has(uid)) continue
    reached.add(uid)
    reach(uid, propagation)
    const command = deleteCommand(entry.resource, entry.object, now) as Extract<ApiCommand, { op: 'delete' }>
    commands.push({ ...command, propagation })
  }
  return commands
}

/** Upstream's `OwnerRefInvalidNamespace` warning. */
function invalidNamespace(dependent: StoredObject, ref: OwnerReference): PlanEvent {
  const namespace = dependent.object.metadata.namespace ?? ''
  return {
    type: 'Warning',
    reason: 'OwnerRefInvalidNamespace',
    message: `ownerRef [${ref.apiVersion}/${ref.kind}, namespace: ${namespace}, name: ${ref.name}, uid: ${ref.uid}] does not exist in namespace "${namespace}"`,
    involvedObject: referenceTo(dependent.object),
    component: garbageCollectorComponent,
  }
}
