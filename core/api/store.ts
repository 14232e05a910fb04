// The replicated store of API objects: the part of the state machine that holds Kubernetes
// objects. It applies already-validated commands (the API server validated, defaulted and fixed
// every non-deterministic value — uid, timestamps, generated names — into the command on the
// leader), and enforces what depends on the state itself: existence, optimistic concurrency on
// resourceVersion, namespaces that exist and are not terminating, generation bumps on spec
// changes, finalizers, and cascading deletion through ownerReferences. resourceVersion is the Raft
// index of the write. Each apply also reports the watch events it caused, in order.

import type { KubeObject } from './object.ts'

/** What the store needs to know of a resource type; the registry lives in resources.ts. */
export interface ResourceRef {
  readonly group: string
  readonly plural: string
  readonly kind: string
  readonly namespaced: boolean
  /** Whether writes to the main resource keep the stored status (a /status subresource exists). */
  readonly hasStatus: boolean
}

export interface Expectations {
  readonly resourceVersion?: string
  readonly uid?: string
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan'

export type ApiCommand =
  | { readonly op: 'create'; readonly resource: ResourceRef; readonly object: KubeObject }
  | {
      readonly op: 'update'
      readonly resource: ResourceRef
      readonly object: KubeObject
      /** `status` writes only the status; null writes everything but the status (when it has one). */
      readonly subresource: 'status' | null
      readonly expected?: Expectations
      /** When it has finalizers that all go, the object is removed at this time. */
      readonly now: string
    }
  | {
      readonly op: 'delete'
      readonly resource: ResourceRef
      readonly namespace: string
      readonly name: string
      readonly propagation: PropagationPolicy
      readonly expected?: Expectations
      readonly now: string
    }
  /**
   * Writes nothing, and fails unless the object exists as `expected` says: the precondition that
   * leads a controller's atomic plan, so the plan applies only to the state it was made from.
   */
  | {
      readonly op: 'check'
      readonly resource: ResourceRef
      readonly namespace: string
      readonly name: string
      readonly expected: Expectations
    }
  /**
   * Binds a pending pod to a node, as Kubernetes' Binding subresource: only `spec.nodeName` is
   * written, so the scheduler's log entries carry a name, not the whole pod.
   */
  | {
      readonly op: 'bind'
      readonly resource: ResourceRef
      readonly namespace: string
      readonly name: string
      readonly node: string
      readonly expected?: Expectations
    }
  /**
   * Several commands in one entry, each answered (a controller's plan). An `atomic` batch is all
   * or nothing: if any command fails, none takes effect and the batch answers with that failure,
   * so one preconditioned write (say, on the owner) guards the creates beside it.
   */
  | { readonly op: 'batch'; readonly commands: readonly ApiCommand[]; readonly atomic?: boolean }

export interface ApiFailure {
  readonly ok: false
  readonly code: number
  readonly reason: 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Forbidden' | 'Invalid'
  readonly message: string
  readonly details: { readonly name: string; readonly group: string; readonly kind: string }
}

export type ApiResult =
  | { readonly ok: true; readonly object: KubeObject | null; readonly results?: readonly ApiResult[] }
  | ApiFailure

export interface WatchChange {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'
  /** `group/plural` of the object's resource. */
  readonly resource: string
  readonly object: KubeObject
}

const namespaces: ResourceRef = {
  group: '',
  plural: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
  hasStatus: true,
}

/** The Service range 10.96.0.0/16 as offsets; .0.1 is kept for the `kubernetes` Service. */
const serviceRangeFirst = 2
const serviceRangeLast = 0xfffe

const eventsKey = '/events'

export const resourceKey = (resource: Pick<ResourceRef, 'group' | 'plural'>): string =>
  `${resource.group}/${resource.plural}`
const objectKey = (namespace: string, name: string): string => `${namespace}/${name}`

export class ObjectStore {
  /** resource key → "namespace/name" → object (cluster-scoped objects have namespace ""). */
  readonly #objects = new Map<string, Map<string, KubeObject>>()
  /** What each resource key is, for cascading deletion across resources. */
  readonly #resources = new Map<string, ResourceRef>()
  #changes: WatchChange[] = []
  /** owner uid → `resource key \0 object key` of the objects naming it (for cascading deletion). */
  readonly #dependents = new Map<string, Set<string>>()
  /** namespace + event identity → keys of the events with it, so a repeat is found without a scan. */
  readonly #eventsByIdentity = new Map<string, Set<string>>()
  /** While an atomic batch runs: the undo of each write so far. */
  #undo: (() => void)[] | null = null

  get(
    resource: Pick<ResourceRef, 'group' | 'plural'>,
    namespace: string,
    name: string,
  ): KubeObject | undefined {
    return this.#objects.get(resourceKey(resource))?.get(objectKey(namespace, name))
  }

  /** Objects of a resource, in one namespace or all, sorted by namespace and name. */
  list(resource: Pick<ResourceRef, 'group' | 'plural'>, namespace?: string): KubeObject[] {
    const all = [...(this.#objects.get(resourceKey(resource))?.entries() ?? [])]
    return all
      .filter(([key]) => namespace === undefined || key.startsWith(`${namespace}/`))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, object]) => object)
  }

  /** Number of objects of every resource. */
  get size(): number {
    let n = 0
    for (const objects of this.#objects.values()) n += objects.size
    return n
  }

  /** Applies one committed command at log index `index`; `changes` then lists its watch events. */
  apply(index: number, command: ApiCommand): { result: ApiResult; changes: WatchChange[] } {
    this.#changes = []
    const result = this.#apply(index, command)
    return { result, changes: this.#changes }
  }

  #apply(index: number, command: ApiCommand): ApiResult {
    switch (command.op) {
      case 'create':
        return this.#create(index, command.resource, command.object)
      case 'update':
        return this.#update(index, command)
      case 'delete':
        return this.#delete(index, command)
      case 'bind':
        return this.#bind(index, command)
      case 'check': {
        const { resource, name } = command
        const current = this.get(resource, resource.namespaced ? command.namespace : '', name)
        if (!current)
          return failure(404, 'NotFound', `${describe(resource)} "${name}" not found`, name, resource)
        return this.#checkExpected(resource, current, command.expected) ?? { ok: true, object: current }
      }
      case 'batch':
        return command.atomic
          ? this.#atomically(index, command.commands)
          : this.#batch(index, command.commands)
      default:
        return failure(
          422,
          'Invalid',
          `unknown operation ${String((command as { op?: unknown }).op)}`,
          '',
          null,
        )
    }
  }

  #batch(index: number, commands: readonly ApiCommand[]): ApiResult {
    return { ok: true, object: null, results: commands.map((c) => this.#apply(index, c)) }
  }

  /** Applies `commands` with an undo log; the first failure undoes them all, events included. */
  #atomically(index: number, commands: readonly ApiCommand[]): ApiResult {
    const outer = this.#undo
    const changesBefore = this.#changes.length
    this.#undo = []
    const results: ApiResult[] = []
    for (const command of commands) {
      const result = this.#apply(index, command)
      if (!result.ok) {
        for (const undo of this.#undo.reverse()) undo()
        this.#undo = outer
        this.#changes.length = changesBefore
        return result
      }
      results.push(result)
    }
    // Inside an enclosing atomic batch, this one's writes stay undoable by it.
    if (outer) outer.push(...this.#undo)
    this.#undo = outer
    return { ok: true, object: null, results }
  }

  #create(index: number, resource: ResourceRef, object: KubeObject): ApiResult {
    const name = object.metadata.name ?? ''
    const namespace = resource.namespaced ? (object.metadata.namespace ?? '') : ''
    if (this.get(resource, namespace, name)) {
      return failure(409, 'AlreadyExists', `${describe(resource)} "${name}" already exists`, name, resource)
    }
    if (resource.group === '' && resource.plural === 'events') {
      const repeated = this.#repeatOf(namespace, object)
      if (repeated) return this.#countRepeat(index, resource, repeated, object)
    }
    if (resource.namespaced) {
      const home = this.get(namespaces, '', namespace)
      if (!home) return failure(404, 'NotFound', `namespaces "${namespace}" not found`, namespace, namespaces)
      if (home.metadata.deletionTimestamp) {
        return failure(
          403,
          'Forbidden',
          `${describe(resource)} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
          name,
          resource,
        )
      }
    }
    let stored: KubeObject = {
      ...object,
      metadata: { ...object.metadata, resourceVersion: String(index), generation: 1 },
    }
    if (resource.group === '' && resource.plural === 'services') {
      const allocated = this.#withClusterIp(stored)
      if (!allocated) {
        const asked = (stored.spec as { clusterIP?: string } | undefined)?.clusterIP
        const message = asked
          ? `Service "${name}" is invalid: spec.clusterIPs: Invalid value: ["${asked}"]: failed to allocate IP ${asked}: provided IP is already allocated`
          : 'Internal error occurred: failed to allocate a serviceIP: range is full'
        return failure(422, 'Invalid', message, name, resource)
      }
      stored = allocated
    }
    this.#put(resource, namespace, name, stored)
    this.#changes.push({ type: 'ADDED', resource: resourceKey(resource), object: stored })
    return { ok: true, object: stored }
  }

  #update(index: number, command: Extract<ApiCommand, { op: 'update' }>): ApiResult {
    const { resource, object } = command
    const name = object.metadata.name ?? ''
    const namespace = resource.namespaced ? (object.metadata.namespace ?? '') : ''
    const current = this.get(resource, namespace, name)
    if (!current) return failure(404, 'NotFound', `${describe(resource)} "${name}" not found`, name, resource)
    const conflict = this.#checkExpected(resource, current, command.expected ?? expectationsOf(object))
    if (conflict) return conflict
    const next = mergeWrite(resource, current, object, command.subresource)
    if (deepEqual(comparable(next), comparable(current))) return { ok: true, object: current }
    const stored: KubeObject = { ...next, metadata: { ...next.metadata, resourceVersion: String(index) } }
    if (stored.metadata.deletionTimestamp && (stored.metadata.finalizers ?? []).length === 0) {
      this.#remove(resource, namespace, name, stored)
      return { ok: true, object: stored }
    }
    this.#put(resource, namespace, name, stored)
    this.#changes.push({ type: 'MODIFIED', resource: resourceKey(resource), object: stored })
    return { ok: true, object: stored }
  }

  #bind(index: number, command: Extract<ApiCommand, { op: 'bind' }>): ApiResult {
    const { resource, name, node } = command
    const current = this.get(resource, command.namespace, name)
    if (!current) return failure(404, 'NotFound', `${describe(resource)} "${name}" not found`, name, resource)
    const conflict = this.#checkExpected(resource, current, command.expected)
    if (conflict) return conflict
    const spec = (current.spec ?? {}) as Record<string, unknown>
    if (typeof spec.nodeName === 'string' && spec.nodeName !== '') {
      return failure(
        409,
        'Conflict',
        `pod ${name} is already assigned to node "${spec.nodeName}"`,
        name,
        resource,
      )
    }
    const bound: KubeObject = {
      ...current,
      spec: { ...spec, nodeName: node },
      metadata: { ...current.metadata, resourceVersion: String(index) },
    }
    this.#put(resource, command.namespace, name, bound)
    this.#changes.push({ type: 'MODIFIED', resource: resourceKey(resource), object: bound })
    return { ok: true, object: bound }
  }

  #delete(index: number, command: Extract<ApiCommand, { op: 'delete' }>): ApiResult {
    const { resource, name } = command
    const namespace = resource.namespaced ? command.namespace : ''
    const current = this.get(resource, namespace, name)
    if (!current) return failure(404, 'NotFound', `${describe(resource)} "${name}" not found`, name, resource)
    const conflict = this.#checkExpected(resource, current, command.expected)
    if (conflict) return conflict
    return {
      ok: true,
      object: this.#deleteObject(index, resource, current, command.propagation, command.now),
    }
  }

  /** Deletes one object and what it owns; returns the object as it ends (or stays, terminating). */
  #deleteObject(
    index: number,
    resource: ResourceRef,
    current: KubeObject,
    propagation: PropagationPolicy,
    now: string,
  ): KubeObject {
    const namespace = resource.namespaced ? (current.metadata.namespace ?? '') : ''
    const name = current.metadata.name ?? ''
    const uid = current.metadata.uid
    if (uid) this.#cascade(index, uid, propagation, now)
    if (resource.plural === 'namespaces' && resource.group === '') this.#emptyNamespace(index, name, now)
    if ((current.metadata.finalizers ?? []).length > 0) {
      if (current.metadata.deletionTimestamp) return current
      const terminating: KubeObject = {
        ...current,
        metadata: { ...current.metadata, deletionTimestamp: now, resourceVersion: String(index) },
      }
      this.#put(resource, namespace, name, terminating)
      this.#changes.push({ type: 'MODIFIED', resource: resourceKey(resource), object: terminating })
      return terminating
    }
    const gone: KubeObject = { ...current, metadata: { ...current.metadata, resourceVersion: String(index) } }
    this.#remove(resource, namespace, name, gone)
    return gone
  }

  /** Dependents of `uid` are deleted (Background, Foreground) or let go (Orphan). */
  #cascade(index: number, uid: string, propagation: PropagationPolicy, now: string): void {
    for (const [key, objectName] of this.#dependentsOf(uid)) {
      const resource = this.#resources.get(key)!
      // Checked again here: an earlier dependent's own cascade may have taken this one already.
      const dependent = this.#objects.get(key)?.get(objectName)
      const owners = dependent?.metadata.ownerReferences ?? []
      if (!dependent || !owners.some((owner) => owner.uid === uid)) continue
      if (propagation === 'Orphan') {
        const released: KubeObject = {
          ...dependent,
          metadata: {
            ...dependent.metadata,
            ownerReferences: owners.filter((owner) => owner.uid !== uid),
            resourceVersion: String(index),
          },
        }
        this.#put(resource, released.metadata.namespace ?? '', released.metadata.name ?? '', released)
        this.#changes.push({ type: 'MODIFIED', resource: key, object: released })
      } else if (!dependent.metadata.deletionTimestamp) {
        this.#deleteObject(index, resource, dependent, propagation, now)
      }
    }
  }

  /**
   * The objects that name `uid` as an owner, as [resource key, object key], in resource order and
   * then by name: found through #dependents (which may hold entries since changed; the caller
   * checks each), so a deletion does not scan every object in the store.
   */
  #dependentsOf(uid: string): [string, string][] {
    const entries = this.#dependents.get(uid)
    if (!entries || entries.size === 0) return []
    const order = new Map([...this.#objects.keys()].map((key, i) => [key, i]))
    return [...entries]
      .map((entry) => entry.split('\0') as [string, string])
      .sort(
        ([ra, oa], [rb, ob]) =>
          (order.get(ra) ?? 0) - (order.get(rb) ?? 0) || (oa < ob ? -1 : oa > ob ? 1 : 0),
      )
  }

  #indexOwners(resourceKey: string, key: string, object: KubeObject): void {
    for (const owner of object.metadata.ownerReferences ?? []) {
      if (!owner.uid) continue
      const entries = this.#dependents.get(owner.uid)
      if (entries) entries.add(`${resourceKey}\0${key}`)
      else this.#dependents.set(owner.uid, new Set([`${resourceKey}\0${key}`]))
    }
  }

  #unindexOwners(resourceKey: string, key: string, object: KubeObject): void {
    for (const owner of object.metadata.ownerReferences ?? []) {
      const entries = this.#dependents.get(owner.uid)
      entries?.delete(`${resourceKey}\0${key}`)
      if (entries?.size === 0) this.#dependents.delete(owner.uid)
    }
  }

  #emptyNamespace(index: number, namespace: string, now: string): void {
    for (const [key, objects] of this.#objects) {
      const resource = this.#resources.get(key)!
      if (!resource.namespaced) continue
      for (const object of [...objects.values()]) {
        if (object.metadata.namespace === namespace && !object.metadata.deletionTimestamp) {
          this.#deleteObject(index, resource, object, 'Background', now)
        }
      }
    }
  }

  /**
   * Events are deduplicated: one about the same object, with the same type, reason, message and
   * source as an existing one, adds to its count instead of piling up.
   */
  /**
   * The live event of `namespace` that `event` repeats: of those with its identity, the first by
   * name (as a scan in list order would find it). Found through #eventsByIdentity, which may hold
   * keys of events since changed or gone (an undone batch), so every candidate is checked.
   */
  #repeatOf(namespace: string, event: KubeObject): KubeObject | undefined {
    const identity = eventIdentity(event)
    const keys = this.#eventsByIdentity.get(`${namespace}\0${identity}`)
    if (!keys) return undefined
    const events = this.#objects.get(eventsKey)
    let found: [string, KubeObject] | undefined
    for (const key of keys) {
      const existing = events?.get(key)
      if (!existing || existing.metadata.deletionTimestamp || eventIdentity(existing) !== identity) continue
      if (!found || key < found[0]) found = [key, existing]
    }
    return found?.[1]
  }

  #indexEvent(key: string, event: KubeObject): void {
    const identity = `${event.metadata.namespace ?? ''}\0${eventIdentity(event)}`
    const keys = this.#eventsByIdentity.get(identity)
    if (keys) keys.add(key)
    else this.#eventsByIdentity.set(identity, new Set([key]))
  }

  #unindexEvent(key: string, event: KubeObject): void {
    const identity = `${event.metadata.namespace ?? ''}\0${eventIdentity(event)}`
    const keys = this.#eventsByIdentity.get(identity)
    keys?.delete(key)
    if (keys?.size === 0) this.#eventsByIdentity.delete(identity)
  }

  #countRepeat(index: number, resource: ResourceRef, existing: KubeObject, repeat: KubeObject): ApiResult {
    const count = Number(existing.count ?? 1) + Number(repeat.count ?? 1)
    const counted: KubeObject = {
      ...existing,
      count,
      lastTimestamp: repeat.lastTimestamp ?? repeat.metadata.creationTimestamp ?? existing.lastTimestamp,
      metadata: { ...existing.metadata, resourceVersion: String(index) },
    }
    this.#put(resource, existing.metadata.namespace ?? '', existing.metadata.name ?? '', counted)
    this.#changes.push({ type: 'MODIFIED', resource: resourceKey(resource), object: counted })
    return { ok: true, object: counted }
  }

  /**
   * A Service without a cluster IP gets the lowest free address of the range: a choice made by the
   * state machine itself, so every replica makes the same one. Null when the range is full.
   */
  #withClusterIp(service: KubeObject): KubeObject | null {
    const spec = (service.spec ?? {}) as { type?: string; clusterIP?: string }
    const used = new Set<string>()
    for (const other of this.#objects.get('/services')?.values() ?? []) {
      const ip = (other.spec as { clusterIP?: string } | undefined)?.clusterIP
      if (ip && ip !== 'None') used.add(ip)
    }
    if (spec.type === 'ExternalName' || spec.clusterIP === 'None') return service
    if (spec.clusterIP !== undefined && spec.clusterIP !== '')
      return used.has(spec.clusterIP) ? null : service
    for (let n = serviceRangeFirst; n <= serviceRangeLast; n++) {
      const ip = `10.96.${n >> 8}.${n & 0xff}`
      if (!used.has(ip)) return { ...service, spec: { ...spec, clusterIP: ip, clusterIPs: [ip] } }
    }
    return null
  }

  #checkExpected(
    resource: ResourceRef,
    current: KubeObject,
    expected: Expectations | undefined,
  ): ApiFailure | null {
    const name = current.metadata.name ?? ''
    if (expected?.uid && expected.uid !== current.metadata.uid) {
      return failure(
        409,
        'Conflict',
        `Precondition failed: UID in precondition: ${expected.uid}, UID in object meta: ${current.metadata.uid}`,
        name,
        resource,
      )
    }
    if (expected?.resourceVersion && expected.resourceVersion !== current.metadata.resourceVersion) {
      return failure(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${describe(resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        name,
        resource,
      )
    }
    return null
  }

  #put(resource: ResourceRef, namespace: string, name: string, object: KubeObject): void {
    const key = resourceKey(resource)
    this.#resources.set(key, resource)
    let objects = this.#objects.get(key)
    if (!objects) {
      objects = new Map()
      this.#objects.set(key, objects)
    }
    const at = objectKey(namespace, name)
    this.#remember(objects, key, at)
    const previous = objects.get(at)
    if (previous) this.#unindexOwners(key, at, previous)
    this.#indexOwners(key, at, object)
    if (key === eventsKey) {
      if (previous) this.#unindexEvent(at, previous)
      this.#indexEvent(at, object)
    }
    objects.set(at, object)
  }

  #remove(resource: ResourceRef, namespace: string, name: string, last: KubeObject): void {
    const key = resourceKey(resource)
    const objects = this.#objects.get(key)
    if (objects) {
      const at = objectKey(namespace, name)
      this.#remember(objects, key, at)
      const previous = objects.get(at)
      if (previous) this.#unindexOwners(key, at, previous)
      if (previous && key === eventsKey) this.#unindexEvent(at, previous)
      objects.delete(at)
    }
    this.#changes.push({ type: 'DELETED', resource: resourceKey(resource), object: last })
  }

  /** Inside an atomic batch: how to put back what is at `key` now. */
  #remember(objects: Map<string, KubeObject>, resource: string, key: string): void {
    if (!this.#undo) return
    const previous = objects.get(key)
    this.#undo.push(() => {
      if (previous === undefined) objects.delete(key)
      else objects.set(key, previous)
      // A stale entry in an index is harmless (candidates are checked); a missing one is not.
      if (previous === undefined) return
      this.#indexOwners(resource, key, previous)
      if (resource === eventsKey) this.#indexEvent(key, previous)
    })
  }

  // ---------------------------------------------------------------- snapshots

  /** Plain data for the cluster state's snapshot. */
  toData(): { resources: ResourceRef[]; objects: [string, KubeObject[]][] } {
    return {
      resources: [...this.#resources.values()],
      objects: [...this.#objects].map(([key, objects]) => [key, [...objects.values()]]),
    }
  }

  static fromData(
    data: { resources: ResourceRef[]; objects: [string, KubeObject[]][] } | undefined,
  ): ObjectStore {
    const store = new ObjectStore()
    if (!data) return store
    const byKey = new Map(data.resources.map((r) => [resourceKey(r), r]))
    for (const [key, objects] of data.objects) {
      const resource = byKey.get(key)
      if (!resource) continue
      for (const object of objects) {
        store.#put(
          resource,
          resource.namespaced ? (object.metadata.namespace ?? '') : '',
          object.metadata.name ?? '',
          object,
        )
      }
    }
    return store
  }
}

/**
 * The object a write leaves: identity and bookkeeping stay the store's, the status stays unless
 * the status is what is written, and the generation moves when anything but metadata and status
 * changed (Kubernetes' rule, which `kubectl rollout status` relies on).
 */
function mergeWrite(
  resource: ResourceRef,
  current: KubeObject,
  written: KubeObject,
  subresource: 'status' | null,
): KubeObject {
  if (subresource === 'status') {
    return { ...current, status: written.status, metadata: current.metadata } as KubeObject
  }
  const next: Record<string, unknown> = { ...written }
  if (resource.hasStatus) {
    if ('status' in current) next.status = current.status
    else delete next.status
  }
  const metadata = {
    ...written.metadata,
    uid: current.metadata.uid,
    creationTimestamp: current.metadata.creationTimestamp,
    deletionTimestamp: current.metadata.deletionTimestamp,
    generation: current.metadata.generation,
    resourceVersion: current.metadata.resourceVersion,
  }
  for (const key of ['deletionTimestamp', 'uid', 'creationTimestamp', 'generation'] as const) {
    if (metadata[key] === undefined) delete metadata[key]
  }
  const specChanged = !deepEqual(
    withoutMetaAndStatus(next),
    withoutMetaAndStatus(current as Record<string, unknown>),
  )
  if (specChanged) metadata.generation = (current.metadata.generation ?? 1) + 1
  return { ...(next as KubeObject), metadata }
}

function withoutMetaAndStatus(object: Record<string, unknown>): Record<string, unknown> {
  const { metadata: _metadata, status: _status, ...rest } = object
  return rest
}

/**
 * What decides whether a write changes anything: all but the resourceVersion and the times in
 * managedFields (Kubernetes does not write an apply that changed nothing but its timestamp).
 */
function comparable(object: KubeObject): KubeObject {
  const { resourceVersion: _resourceVersion, managedFields, ...metadata } = object.metadata
  const fields = (managedFields as { time?: string }[] | undefined)?.map(({ time: _time, ...entry }) => entry)
  return { ...object, metadata: { ...metadata, ...(fields ? { managedFields: fields } : {}) } }
}

function expectationsOf(object: KubeObject): Expectations {
  return { resourceVersion: object.metadata.resourceVersion, uid: object.metadata.uid }
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) {
    const other = b as unknown[]
    return a.length === other.length && a.every((item, i) => deepEqual(item, other[i]))
  }
  const left = Object.entries(a as Record<string, unknown>).filter(([, v]) => v !== undefined)
  const right = Object.entries(b as Record<string, unknown>).filter(([, v]) => v !== undefined)
  if (left.length !== right.length) return false
  const rightMap = new Map(right)
  return left.every(([key, value]) => rightMap.has(key) && deepEqual(value, rightMap.get(key)))
}

function eventIdentity(event: KubeObject): string {
  const involved = (event.involvedObject ?? {}) as Record<string, unknown>
  const source = (event.source ?? {}) as Record<string, unknown>
  return JSON.stringify([
    involved.kind,
    involved.namespace,
    involved.name,
    involved.uid,
    involved.fieldPath,
    event.type,
    event.reason,
    event.message,
    source.component,
    source.host,
  ])
}

/** How Kubernetes names a resource in messages: `deployments.apps`, `pods`. */
export function describe(resource: Pick<ResourceRef, 'group' | 'plural'>): string {
  return resource.group === '' ? resource.plural : `${resource.plural}.${resource.group}`
}

function failure(
  code: number,
  reason: ApiFailure['reason'],
  message: string,
  name: string,
  resource: Pick<ResourceRef, 'group' | 'plural'> | null,
): ApiFailure {
  // Status details name the kind by its plural resource name, as the Kubernetes API server does.
  return {
    ok: false,
    code,
    reason,
    message,
    details: { name, group: resource?.group ?? '', kind: resource?.plural ?? '' },
  }
}
