// PATCH and server-side apply on API objects as plain JSON, with the Kubernetes API server's
// semantics. Owns the four patch types kubectl sends (C3, C6 in shared/notes/kubectl-api-surface.md):
//
//   application/json-patch+json            applyJsonPatch (RFC 6902, through fast-json-patch)
//   application/merge-patch+json           applyMergePatch (RFC 7386)
//   application/strategic-merge-patch+json applyStrategicMergePatch (apimachinery strategicpatch)
//   application/apply-patch+yaml           applyServerSide, with recordUpdateManager for other writes
//
// and the strategic merge metadata (patchStrategy / patchMergeKey of the Go types) of the kinds
// coxswain serves. Pure: inputs are never mutated, and results share nothing with them.
//
// Strategic merge follows apimachinery's mergeMap/mergeSlice, including its list ordering
// (`$setElementOrder`, then the patch's order, then the live order). Deliberate differences: values
// taken from the patch whole (a key the target lacks, a replaced list) are merged into an empty value,
// so their nulls and directives are resolved rather than stored; `$patch: merge` is accepted as the
// default it names (upstream rejects it); kinds without metadata fall back to a JSON merge patch
// (upstream answers 415 for them).
//
// Server-side apply, simplified but honest:
// - Field sets are those of structured-merge-diff in fieldsV1 form (`f:` fields, `k:` list items by
//   merge key, `v:` set members, `.` for an item that is itself a member). A set holds the leaves an
//   object sets, plus its keyed list items; maps are members only when empty. Upstream also records
//   `.` on granular maps such as labels; here a map emptied by a removal is removed instead.
// - List items are keyed by the strategic merge key alone (upstream: all list-map keys, e.g.
//   containerPort and protocol); lists without a merge key and maps with `patchStrategy: replace`
//   are atomic. New items of keyed lists and sets are appended after the live ones.
// - No version conversion, no subresources (status is owned like any field), no reset fields: the
//   caller strips what a main-resource write must not change. Nulls in an applied configuration
//   remove the field and are not owned. An object with no managedFields is owned, for the first
//   apply, by `before-first-apply` (Update), as upstream does.
// - A conflict is a field that the apply would change (set, change or remove) and that another
//   manager owns, whatever its operation. With force, ownership moves to the applier.

import type { Operation } from 'fast-json-patch'
import fastJsonPatch from 'fast-json-patch'

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject
export interface JsonObject {
  [key: string]: JsonValue
}

/** The identity of a kind, as `apiVersion` and `kind` appear on objects. */
export interface ObjectKind {
  readonly apiVersion: string
  readonly kind: string
}

/**
 * Why a patch failed: `BadRequest` for a malformed patch (HTTP 400), `Invalid` for one that cannot
 * be applied to this object, such as a failed JSON patch test (HTTP 422).
 */
export type PatchErrorReason = 'BadRequest' | 'Invalid'

export class PatchError extends Error {
  static override readonly name = 'PatchError'
  readonly code = 'ERR_PATCH'
  readonly reason: PatchErrorReason
  constructor(reason: PatchErrorReason, message: string) {
    super(message)
    this.name = 'PatchError'
    this.reason = reason
  }
}

/** The API server refuses JSON patches with more operations than this (apiserver's limit too). */
export const jsonPatchOperationsMax = 10_000

// ---- RFC 6902 JSON patch ----

const jsonPatchOps = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test'])
/** fast-json-patch error names for a malformed patch, as opposed to one that does not apply. */
const malformedJsonPatchErrors = new Set([
  'SEQUENCE_NOT_AN_ARRAY',
  'OPERATION_NOT_AN_OBJECT',
  'OPERATION_OP_INVALID',
  'OPERATION_PATH_INVALID',
  'OPERATION_FROM_REQUIRED',
  'OPERATION_VALUE_REQUIRED',
  'OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED',
])

/** Applies an RFC 6902 JSON patch; `test` operations are honoured. Throws PatchError. */
export function applyJsonPatch(target: unknown, operations: unknown): JsonValue {
  if (!Array.isArray(operations)) {
    throw new PatchError('BadRequest', 'a JSON patch must be an array of operations')
  }
  if (operations.length > jsonPatchOperationsMax) {
    throw new PatchError('BadRequest', `a JSON patch may have at most ${jsonPatchOperationsMax} operations`)
  }
  for (const [index, operation] of operations.entries()) {
    if (!isObject(operation) || typeof operation.op !== 'string' || !jsonPatchOps.has(operation.op)) {
      throw new PatchError('BadRequest', `JSON patch operation ${index} has no valid "op"`)
    }
  }
  // Cloned, so that the result shares nothing with the operations' values.
  const cloned = structuredClone(operations) as Operation[]
  // One operation at a time, so that an error names the operation that failed.
  let document = structuredClone(target)
  for (const [index, operation] of cloned.entries()) {
    try {
      document = fastJsonPatch.applyOperation(document, operation, true, true, true, index).newDocument
    } catch (error) {
      throw jsonPatchError(error, cloned, index)
    }
  }
  return document as JsonValue
}

function jsonPatchError(error: unknown, operations: Operation[], index: number): PatchError {
  if (!(error instanceof fastJsonPatch.JsonPatchError)) {
    // fast-json-patch throws a TypeError for __proto__ and constructor/prototype paths.
    return new PatchError(
      'BadRequest',
      `JSON patch refused: ${error instanceof Error ? error.message : error}`,
    )
  }
  const operation = operations[index]
  const where = operation ? ` (${operation.op} ${operation.path})` : ''
  const detail =
    error.name === 'TEST_OPERATION_FAILED'
      ? `the value at ${operation?.path} is not the one tested`
      : (error.message.split('\n')[0] ?? error.name)
  const reason = malformedJsonPatchErrors.has(error.name) ? 'BadRequest' : 'Invalid'
  return new PatchError(reason, `JSON patch operation ${index}${where} failed: ${detail}`)
}

// ---- RFC 7386 JSON merge patch ----

/** Applies an RFC 7386 JSON merge patch: objects merge recursively, null deletes, the rest replaces. */
export function applyMergePatch(target: unknown, patch: unknown): JsonValue {
  return mergePatchInto(structuredClone(target) as JsonValue, patch as JsonValue)
}

function mergePatchInto(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isObject(patch)) return structuredClone(patch)
  const result = isObject(target) ? target : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key]
    else result[key] = mergePatchInto(result[key], value)
  }
  return result
}

// ---- Strategic merge metadata ----

/** A field's patchStrategy and patchMergeKey, and the metadata of its value (or of each element). */
interface FieldMeta {
  /** `merge`: the list merges by mergeKey, or as a set of primitives; `replace`: the map is replaced. */
  readonly strategy?: 'merge' | 'replace'
  readonly mergeKey?: string
  readonly schema?: Schema
}

interface Schema {
  readonly fields: Readonly<Record<string, FieldMeta>>
}

const mergeBy = (mergeKey: string, schema?: Schema): FieldMeta => ({ strategy: 'merge', mergeKey, schema })
const object = (fields: Record<string, FieldMeta>): FieldMeta => ({ schema: { fields } })

const conditions = mergeBy('type')
const objectMeta = object({ finalizers: { strategy: 'merge' }, ownerReferences: mergeBy('uid') })
const container: Schema = {
  fields: {
    ports: mergeBy('containerPort'),
    env: mergeBy('name'),
    volumeMounts: mergeBy('mountPath'),
    volumeDevices: mergeBy('devicePath'),
  },
}
const podSpec = object({
  containers: mergeBy('name', container),
  initContainers: mergeBy('name', container),
  ephemeralContainers: mergeBy('name', container),
  volumes: mergeBy('name'),
  imagePullSecrets: mergeBy('name'),
  hostAliases: mergeBy('ip'),
  topologySpreadConstraints: mergeBy('topologyKey'),
  schedulingGates: mergeBy('name'),
  resourceClaims: mergeBy('name'),
})
const podTemplate = object({ metadata: objectMeta, spec: podSpec })
const withConditions = object({ conditions })

function kindSchema(fields: Record<string, FieldMeta>): Schema {
  return { fields: { metadata: objectMeta, ...fields } }
}

function workloadSchema(spec: Record<string, FieldMeta> = {}): Schema {
  return kindSchema({ spec: object({ template: podTemplate, ...spec }), status: withConditions })
}

/** Strategic merge metadata by `group/Kind`, '' being the core group. */
const schemas: Readonly<Record<string, Schema>> = {
  '/Pod': kindSchema({
    spec: podSpec,
    status: object({ conditions, podIPs: mergeBy('ip'), hostIPs: mergeBy('ip') }),
  }),
  'apps/Deployment': workloadSchema(),
  'apps/ReplicaSet': workloadSchema(),
  'apps/StatefulSet': workloadSchema(),
  'apps/DaemonSet': workloadSchema(),
  'batch/Job': workloadSchema(),
  'batch/CronJob': kindSchema({
    spec: object({ jobTemplate: object({ metadata: objectMeta, spec: object({ template: podTemplate }) }) }),
  }),
  '/Service': kindSchema({ spec: object({ ports: mergeBy('port') }), status: withConditions }),
  '/ConfigMap': kindSchema({}),
  '/Secret': kindSchema({}),
  '/Namespace': kindSchema({ status: withConditions }),
  '/Node': kindSchema({
    spec: object({ podCIDRs: { strategy: 'merge' } }),
    status: object({ conditions, addresses: mergeBy('type') }),
  }),
  '/Endpoints': kindSchema({}),
  '/ServiceAccount': kindSchema({ secrets: mergeBy('name') }),
  'autoscaling/HorizontalPodAutoscaler': kindSchema({ status: withConditions }),
  'policy/PodDisruptionBudget': kindSchema({
    spec: object({ selector: { strategy: 'replace' } }),
    status: withConditions,
  }),
}

function schemaFor(kind: ObjectKind): Schema | undefined {
  const slash = kind.apiVersion.indexOf('/')
  const group = slash < 0 ? '' : kind.apiVersion.slice(0, slash)
  return schemas[`${group}/${kind.kind}`]
}

// ---- Strategic merge patch ----

const directiveMarker = '$patch'
const retainKeysDirective = '$retainKeys'
const setElementOrderPrefix = '$setElementOrder/'
const deleteFromPrimitiveListPrefix = '$deleteFromPrimitiveList/'

/**
 * Applies a strategic merge patch as the API server does for the given kind; kinds without
 * strategic merge metadata get JSON merge patch semantics. Throws PatchError.
 */
export function applyStrategicMergePatch(target: object, patch: unknown, kind: ObjectKind): JsonObject {
  if (!isObject(patch)) throw new PatchError('BadRequest', 'a strategic merge patch must be a JSON object')
  const schema = schemaFor(kind)
  if (schema === undefined) return applyMergePatch(target, patch) as JsonObject
  // Both are cloned: the merge below works in place, as apimachinery's does.
  return mergeMap(structuredClone(target) as JsonObject, structuredClone(patch), schema)
}

function mergeMap(original: JsonObject, patch: JsonObject, schema: Schema | undefined): JsonObject {
  const directive = patch[directiveMarker]
  if (directive !== undefined) {
    delete patch[directiveMarker]
    if (directive === 'delete') return {}
    if (directive === 'replace') return mergeMap({}, patch, schema)
    if (directive !== 'merge') {
      throw badPatch(`unknown $patch directive ${JSON.stringify(directive)} on a map`)
    }
  }
  applyRetainKeys(original, patch)
  applySetElementOrders(original, patch, schema)
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(deleteFromPrimitiveListPrefix)) {
      deleteFromPrimitiveList(original, key.slice(deleteFromPrimitiveListPrefix.length), value)
    } else if (value === null) {
      delete original[key]
    } else {
      original[key] = mergeValue(original[key], value, schema?.fields[key])
    }
  }
  return original
}

/** Merges one patch value into the original's (undefined when the original lacks the key). */
function mergeValue(
  original: JsonValue | undefined,
  patch: JsonValue,
  field: FieldMeta | undefined,
): JsonValue {
  if (isObject(patch)) {
    const base = isObject(original) && field?.strategy !== 'replace' ? original : {}
    return mergeMap(base, patch, field?.schema)
  }
  if (Array.isArray(patch)) {
    if (field?.strategy === 'merge') return mergeList(Array.isArray(original) ? original : [], patch, field)
    return patch.map((element) => (isObject(element) ? mergeMap({}, element, field?.schema) : element))
  }
  return patch
}

/** `$retainKeys`: the original keeps only the listed keys, and the patch may set no other. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!(retainKeysDirective in patch)) return
  const retained = patch[retainKeysDirective]
  delete patch[retainKeysDirective]
  if (!Array.isArray(retained)) throw badPatch('$retainKeys must be a list')
  const keep = new Set(retained)
  for (const [key, value] of Object.entries(patch)) {
    if (
      value === null ||
      key.startsWith(deleteFromPrimitiveListPrefix) ||
      key.startsWith(setElementOrderPrefix)
    ) {
      continue
    }
    if (!keep.has(key)) {
      throw new PatchError('Invalid', `the patch sets ${key}, which its $retainKeys list does not keep`)
    }
  }
  for (const key of Object.keys(original)) if (!keep.has(key)) delete original[key]
}

/**
 * `$setElementOrder/<field>`: merges the field's list (if the patch has one) and orders the result:
 * listed items in the listed order, the others where they were relative to them.
 */
function applySetElementOrders(original: JsonObject, patch: JsonObject, schema: Schema | undefined): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(setElementOrderPrefix)) continue
    const order = patch[key]
    delete patch[key]
    const name = key.slice(setElementOrderPrefix.length)
    if (!Array.isArray(order)) throw badPatch(`${key} must be a list`)
    const field = schema?.fields[name]
    const originalList = original[name]
    const patchList = patch[name]
    if (originalList !== undefined && !Array.isArray(originalList)) {
      throw badPatch(`${key} orders ${name}, not a list`)
    }
    if (patchList !== undefined && !Array.isArray(patchList)) {
      throw badPatch(`${key} comes with ${name}, not a list`)
    }
    if (originalList === undefined && patchList === undefined) continue
    const keyOf = elementKey(field?.mergeKey)
    if (patchList !== undefined) checkOrderCoversPatch(patchList, order, keyOf, field?.mergeKey)
    const merged =
      patchList === undefined ? originalList! : (mergeValue(originalList, patchList, field) as JsonValue[])
    const listed = merged.filter((item) => indexOfKey(order, keyOf(item), keyOf) >= 0)
    const others = merged.filter((item) => indexOfKey(order, keyOf(item), keyOf) < 0)
    original[name] = normalizeOrder(listed, others, order, originalList ?? [], keyOf)
    delete patch[name]
  }
}

/** The items of the patch list (bar deletions) must appear in the order list, in its order. */
function checkOrderCoversPatch(
  patchList: JsonValue[],
  order: JsonValue[],
  keyOf: (item: JsonValue) => JsonValue,
  mergeKey: string | undefined,
): void {
  if (order.length === 0 || patchList.length === 0) return
  const items = mergeKey
    ? patchList.filter((item) => !(isObject(item) && item[directiveMarker] === 'delete'))
    : patchList
  let patchIndex = 0
  for (let orderIndex = 0; patchIndex < items.length && orderIndex < order.length; orderIndex++) {
    while (
      patchIndex < items.length &&
      isObject(items[patchIndex]) &&
      directiveMarker in (items[patchIndex] as JsonObject)
    ) {
      patchIndex++
    }
    if (patchIndex < items.length && jsonEqual(keyOf(items[patchIndex]!), keyOf(order[orderIndex]!)))
      patchIndex++
  }
  if (patchIndex < items.length) {
    throw badPatch(
      `the order of the patch list ${JSON.stringify(patchList)} does not match its $setElementOrder list`,
    )
  }
}

function deleteFromPrimitiveList(original: JsonObject, name: string, toDelete: JsonValue): void {
  if (!Array.isArray(toDelete)) throw badPatch(`${deleteFromPrimitiveListPrefix}${name} must be a list`)
  const list = original[name]
  if (Array.isArray(list))
    original[name] = list.filter((item) => !toDelete.some((value) => jsonEqual(value, item)))
}

/** mergeSlice: lists of maps merge by the merge key, lists of primitives as sets. */
function mergeList(original: JsonValue[], patch: JsonValue[], field: FieldMeta): JsonValue[] {
  if (original.length === 0 && patch.length === 0) return original
  const elementKinds = new Set(
    [...original, ...patch].map((item) => (isObject(item) ? 'map' : Array.isArray(item) ? 'list' : 'scalar')),
  )
  if (elementKinds.has('list')) throw new PatchError('Invalid', 'lists of lists cannot be merged')
  if (elementKinds.size > 1) {
    throw badPatch('the elements of a merged list must all be maps or all be primitives')
  }
  const keyOf = elementKey(field.mergeKey)

  if (!elementKinds.has('map')) {
    const merged = dedupe([...original, ...patch])
    const inPatch = merged.filter((item) => indexOfKey(patch, item, keyOf) >= 0)
    const others = merged.filter((item) => indexOfKey(patch, item, keyOf) < 0)
    return normalizeOrder(inPatch, others, patch, original, keyOf)
  }

  const mergeKey = field.mergeKey
  if (mergeKey === undefined) throw badPatch('cannot merge a list of maps without a merge key')
  let base = original
  const items: JsonObject[] = []
  let replace = false
  for (const item of patch as JsonObject[]) {
    const directive = item[directiveMarker]
    if (directive === undefined) {
      if (!(mergeKey in item)) {
        throw badPatch(`${JSON.stringify(item)} does not contain the merge key ${mergeKey}`)
      }
      items.push(item)
    } else if (directive === 'merge') {
      // The default, named: an element with a key merges as usual (mergeMap drops the directive).
      if (mergeKey in item) items.push(item)
    } else if (directive === 'delete') {
      if (!(mergeKey in item)) {
        throw badPatch(`a $patch: delete element does not contain the merge key ${mergeKey}`)
      }
      base = base.filter((existing) => !(isObject(existing) && jsonEqual(existing[mergeKey], item[mergeKey])))
    } else if (directive === 'replace') {
      replace = true
    } else {
      throw badPatch(`unknown $patch directive ${JSON.stringify(directive)} in a list`)
    }
  }
  if (replace) return items.map((item) => mergeMap({}, item, field.schema))

  const merged = [...base]
  for (const item of items) {
    const index = indexOfKey(merged, item[mergeKey]!, keyOf)
    if (index >= 0) merged[index] = mergeMap(merged[index] as JsonObject, item, field.schema)
    else merged.push(mergeMap({}, item, field.schema))
  }
  const inPatch = merged.filter((item) => indexOfKey(items, keyOf(item), keyOf) >= 0)
  const others = merged.filter((item) => indexOfKey(items, keyOf(item), keyOf) < 0)
  return normalizeOrder(inPatch, others, items, base, keyOf)
}

/** An element's identity in a merged list: its merge key's value, or itself for primitives. */
function elementKey(mergeKey: string | undefined): (item: JsonValue) => JsonValue {
  return (item) => (mergeKey !== undefined && isObject(item) ? (item[mergeKey] ?? null) : item)
}

function indexOfKey(
  list: readonly JsonValue[],
  key: JsonValue,
  keyOf: (item: JsonValue) => JsonValue,
): number {
  return list.findIndex((item) => jsonEqual(keyOf(item), key))
}

/**
 * normalizeElementOrder: the patch's items sorted by `patchOrder`, the server-only ones by their
 * live order, then interleaved so that a server-only item goes before a patch item only when both
 * were live and it came first there.
 */
function normalizeOrder(
  patchItems: JsonValue[],
  serverOnly: JsonValue[],
  patchOrder: readonly JsonValue[],
  serverOrder: readonly JsonValue[],
  keyOf: (item: JsonValue) => JsonValue,
): JsonValue[] {
  const rank = (order: readonly JsonValue[]) => (item: JsonValue) => {
    const index = indexOfKey(order, keyOf(item), keyOf)
    return index < 0 ? Number.POSITIVE_INFINITY : index
  }
  const byPatch = rank(patchOrder)
  const byServer = rank(serverOrder)
  const right = [...patchItems].sort((a, b) => byPatch(a) - byPatch(b))
  const left = [...serverOnly].sort((a, b) => byServer(a) - byServer(b))
  const result: JsonValue[] = []
  let i = 0
  let j = 0
  while (i < left.length || j < right.length) {
    if (j >= right.length) result.push(left[i++]!)
    else if (i >= left.length) result.push(right[j++]!)
    else if (isBefore(byServer(left[i]!), byServer(right[j]!))) result.push(left[i++]!)
    else result.push(right[j++]!)
  }
  return result
}

/** Both were live, and the first came first: only then does a server-only item go first. */
function isBefore(leftRank: number, rightRank: number): boolean {
  return Number.isFinite(leftRank) && Number.isFinite(rightRank) && leftRank < rightRank
}

function dedupe(list: JsonValue[]): JsonValue[] {
  return list.filter((item, index) => list.findIndex((other) => jsonEqual(other, item)) === index)
}

function badPatch(message: string): PatchError {
  return new PatchError('BadRequest', message)
}

// ---- Field sets (structured-merge-diff's, in fieldsV1 path elements) ----

/**
 * A field path: fieldsV1 path elements (`f:spec`, `k:{"name":"nginx"}`, `v:"x"`) joined by '\n',
 * which no field name, key or value of an API object contains unescaped. The root is ''.
 */
type FieldPath = string

const pathSeparator = '\n'
/** The value a keyed list item stands for in a flattened object: its fields are listed apart. */
const itemMarker = Symbol('list item')

type Flat = Map<FieldPath, JsonValue | typeof itemMarker>

function child(path: FieldPath, element: string): FieldPath {
  return path === '' ? element : path + pathSeparator + element
}

function isWithin(path: FieldPath, ancestor: FieldPath): boolean {
  return path === ancestor || path.startsWith(ancestor + pathSeparator)
}

/** How a list is tracked: by item (merge key), by member (set of primitives), or whole. */
function listKind(list: JsonValue[], field: FieldMeta | undefined): 'keyed' | 'set' | 'atomic' {
  if (field?.strategy !== 'merge' || list.length === 0) return 'atomic'
  const mergeKey = field.mergeKey
  if (mergeKey !== undefined) {
    return list.every((item) => isObject(item) && item[mergeKey] !== undefined) ? 'keyed' : 'atomic'
  }
  return list.every((item) => !isObject(item) && !Array.isArray(item)) ? 'set' : 'atomic'
}

/** Every member path of a value with its leaf value: the object's field set, with values. */
function flatten(value: JsonValue, field: FieldMeta | undefined, path: FieldPath, out: Flat): Flat {
  if (isObject(value) && field?.strategy !== 'replace' && Object.keys(value).length > 0) {
    for (const [key, item] of Object.entries(value)) {
      flatten(item, field?.schema?.fields[key], child(path, `f:${key}`), out)
    }
  } else if (Array.isArray(value) && listKind(value, field) === 'keyed') {
    const mergeKey = field!.mergeKey!
    for (const item of value as JsonObject[]) {
      const itemPath = child(path, `k:${JSON.stringify({ [mergeKey]: item[mergeKey] })}`)
      out.set(itemPath, itemMarker)
      flatten(item, { schema: field?.schema }, itemPath, out)
    }
  } else if (Array.isArray(value) && listKind(value, field) === 'set') {
    for (const item of value) out.set(child(path, `v:${JSON.stringify(item)}`), true)
  } else if (path !== '') {
    out.set(path, value)
  }
  return out
}

/** The fields a manager can own: no identity, no system-set metadata, no managedFields. */
const unownedMetadata = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
]

function flattenOwnable(object: JsonObject, schema: Schema | undefined): Flat {
  const view: JsonObject = { ...object }
  delete view.apiVersion
  delete view.kind
  if (isObject(object.metadata)) {
    const metadata = { ...object.metadata }
    for (const key of unownedMetadata) delete metadata[key]
    if (Object.keys(metadata).length > 0) view.metadata = metadata
    else delete view.metadata
  }
  return flatten(view, { schema }, '', new Map())
}

/** The paths whose value differs between two flattened objects: set, changed or removed. */
function changedPaths(before: Flat, after: Flat): { changed: Set<FieldPath>; removed: Set<FieldPath> } {
  const changed = new Set<FieldPath>()
  const removed = new Set<FieldPath>()
  for (const [path, value] of after) {
    const old = before.get(path)
    if (old === undefined || !leafEqual(old, value)) changed.add(path)
  }
  for (const path of before.keys()) {
    if (!after.has(path)) {
      changed.add(path)
      removed.add(path)
    }
  }
  return { changed, removed }
}

function leafEqual(a: JsonValue | typeof itemMarker, b: JsonValue | typeof itemMarker): boolean {
  if (a === itemMarker || b === itemMarker) return a === b
  return jsonEqual(a, b)
}

/** fieldsV1: a tree of path elements, leaves `{}`, and `.` on a member that also has children. */
function encodeFieldsV1(paths: Iterable<FieldPath>): JsonObject {
  const root: JsonObject = {}
  const members = new Set<JsonObject>()
  for (const path of paths) {
    let node = root
    for (const element of path.split(pathSeparator)) {
      node[element] ??= {}
      node = node[element] as JsonObject
    }
    members.add(node)
  }
  for (const node of members) if (Object.keys(node).length > 0) node['.'] = {}
  return sortKeys(root)
}

function sortKeys(node: JsonObject): JsonObject {
  const sorted: JsonObject = {}
  for (const key of Object.keys(node).sort()) sorted[key] = sortKeys(node[key] as JsonObject)
  return sorted
}

function decodeFieldsV1(node: unknown, path: FieldPath = '', out = new Set<FieldPath>()): Set<FieldPath> {
  if (!isObject(node)) return out
  for (const [element, childNode] of Object.entries(node)) {
    if (element === '.') {
      if (path !== '') out.add(path)
    } else if (isObject(childNode) && Object.keys(childNode).length > 0) {
      decodeFieldsV1(childNode, child(path, element), out)
    } else {
      out.add(child(path, element))
    }
  }
  return out
}

/** A path as upstream prints it in conflicts: `.spec.template.spec.containers[name="nginx"].image`. */
function formatPath(path: FieldPath): string {
  return path
    .split(pathSeparator)
    .map((element) => {
      const body = element.slice(2)
      if (element.startsWith('f:')) return `.${body}`
      if (element.startsWith('v:')) return `[=${body}]`
      const key = JSON.parse(body) as JsonObject
      return `[${Object.entries(key)
        .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
        .join(',')}]`
    })
    .join('')
}

// ---- managedFields ----

export interface ManagedFieldsEntry {
  readonly manager: string
  readonly operation: 'Apply' | 'Update'
  readonly apiVersion: string
  readonly time: string
  readonly fieldsType: 'FieldsV1'
  readonly fieldsV1: JsonObject
  readonly subresource?: string
}

interface Manager {
  readonly entry: ManagedFieldsEntry
  readonly fields: Set<FieldPath>
}

/** The manager that owns every field of an object written before fields were tracked. */
export const beforeFirstApplyManager = 'before-first-apply'

function readManagers(object: JsonObject | null): Manager[] {
  const entries = isObject(object?.metadata) ? object.metadata.managedFields : undefined
  if (!Array.isArray(entries)) return []
  return entries.flatMap((entry) => {
    if (!isObject(entry) || typeof entry.manager !== 'string') return []
    if (entry.operation !== 'Apply' && entry.operation !== 'Update') return []
    return [{ entry: entry as unknown as ManagedFieldsEntry, fields: decodeFieldsV1(entry.fieldsV1) }]
  })
}

function managerEntry(
  manager: string,
  operation: 'Apply' | 'Update',
  apiVersion: string,
  now: string,
  fields: Iterable<FieldPath>,
): ManagedFieldsEntry {
  return {
    manager,
    operation,
    apiVersion,
    time: now,
    fieldsType: 'FieldsV1',
    fieldsV1: encodeFieldsV1(fields),
  }
}

function withManagedFields(object: JsonObject, managers: readonly Manager[]): JsonObject {
  const metadata = isObject(object.metadata) ? object.metadata : {}
  const kept = managers.filter((manager) => manager.fields.size > 0)
  const entries = kept.map(({ entry, fields }) => ({ ...entry, fieldsV1: encodeFieldsV1(fields) }))
  const result: JsonObject = { ...object, metadata: { ...metadata } }
  if (entries.length > 0) (result.metadata as JsonObject).managedFields = entries as unknown as JsonValue
  else delete (result.metadata as JsonObject).managedFields
  return result
}

function withoutManagedFields(object: JsonObject): JsonObject {
  const copy = structuredClone(object)
  if (isObject(copy.metadata)) delete copy.metadata.managedFields
  return copy
}

// ---- Ordinary writes ----

/**
 * Records an ordinary write (create, update, patch) by `manager` as upstream's field manager does:
 * the fields it set or changed become its own (taken from any other manager, without conflict) and
 * removed fields leave every set. Returns `next` with metadata.managedFields rewritten from `old`'s.
 */
export function recordUpdateManager(
  old: object | null,
  next: object,
  manager: string,
  now: string,
): JsonObject {
  const after = withoutManagedFields(next as JsonObject)
  const schema = schemaFor(objectKind(after))
  const managers = readManagers(old as JsonObject | null)
  const before = old === null ? new Map() : flattenOwnable(old as JsonObject, schema)
  const { changed, removed } = changedPaths(before, flattenOwnable(after, schema))
  const isSelf = (m: Manager) => m.entry.manager === manager && m.entry.operation === 'Update'
  for (const other of managers) {
    if (isSelf(other)) continue
    for (const path of changed) other.fields.delete(path)
  }
  const previous = managers.find(isSelf)
  const fields = new Set([...(previous?.fields ?? []), ...changed])
  for (const path of removed) fields.delete(path)
  const entry = managerEntry(manager, 'Update', stringField(after.apiVersion), now, fields)
  const updated = { entry, fields }
  const list = previous ? managers.map((m) => (m === previous ? updated : m)) : [...managers, updated]
  return withManagedFields(after, list)
}

// ---- Server-side apply ----

export interface ServerSideApplyOptions {
  /** The field manager (`?fieldManager=`), e.g. `kubectl`. */
  readonly manager: string
  /** `?force=true`: take conflicting fields over instead of refusing. */
  readonly force: boolean
  /** The RFC 3339 time to record on the manager's entry. */
  readonly now: string
  readonly kind: ObjectKind
}

export interface ApplyConflict {
  /** The field as upstream prints it, e.g. `.spec.replicas`. */
  readonly field: string
  readonly manager: string
}

export interface ServerSideApplyResult {
  /** The object to store; the live one, unchanged, when there are conflicts. */
  readonly object: JsonObject
  /** The fields that refused the apply (answer 409); always empty when forced. */
  readonly conflicts: ApplyConflict[]
}

/**
 * Server-side apply (`application/apply-patch+yaml`): merges the applied configuration into the live
 * object (null to create), removes the fields `manager` applied before and no longer does unless
 * someone else owns them, and records the fields it applies as its own.
 */
export function applyServerSide(
  live: object | null,
  applied: object,
  options: ServerSideApplyOptions,
): ServerSideApplyResult {
  const schema = schemaFor(options.kind)
  const config = withoutNulls(withoutManagedFields(applied as JsonObject)) as JsonObject
  const appliedFields = new Set(flattenOwnable(config, schema).keys())
  const apiVersion = stringField(config.apiVersion) || options.kind.apiVersion
  const entry = managerEntry(options.manager, 'Apply', apiVersion, options.now, appliedFields)
  if (live === null) {
    return { object: withManagedFields(config, [{ entry, fields: appliedFields }]), conflicts: [] }
  }

  const liveObject = live as JsonObject
  const base = withoutManagedFields(liveObject)
  const managers = readManagers(liveObject)
  if (managers.length === 0) {
    const fields = new Set(flattenOwnable(base, schema).keys())
    managers.push({
      entry: managerEntry(beforeFirstApplyManager, 'Update', apiVersion, options.now, fields),
      fields,
    })
  }
  const isSelf = (m: Manager) => m.entry.manager === options.manager && m.entry.operation === 'Apply'
  const previous = managers.find(isSelf)
  const others = managers.filter((m) => !isSelf(m))

  // Cloned: mergeApplied shares unchanged subtrees with base, and removeField works in place.
  const merged = structuredClone(mergeApplied(base, config, { schema })) as JsonObject
  const dropped = [...(previous?.fields ?? [])].filter((path) => !appliedFields.has(path))
  for (const path of dropped) {
    if (others.some((m) => [...m.fields].some((owned) => isWithin(owned, path)))) continue
    removeField(merged, path, [appliedFields, ...others.map((m) => m.fields)])
  }

  const { changed } = changedPaths(flattenOwnable(base, schema), flattenOwnable(merged, schema))
  const conflicts: ApplyConflict[] = []
  for (const other of others) {
    for (const path of changed) {
      if (other.fields.has(path)) conflicts.push({ field: formatPath(path), manager: other.entry.manager })
    }
  }
  if (conflicts.length > 0 && !options.force) return { object: structuredClone(liveObject), conflicts }

  // Forced (or no conflict): the others lose what changed, removed fields included.
  for (const other of others) for (const path of changed) other.fields.delete(path)
  const self = { entry, fields: appliedFields }
  const list = previous ? managers.map((m) => (m === previous ? self : m)) : [...managers, self]
  return { object: withManagedFields(merged, list), conflicts: [] }
}

/** Merges an applied configuration into the live object: maps by key, keyed lists by item, sets by member. */
function mergeApplied(
  live: JsonValue | undefined,
  applied: JsonValue,
  field: FieldMeta | undefined,
): JsonValue {
  if (isObject(applied) && field?.strategy !== 'replace') {
    const result: JsonObject = isObject(live) ? { ...live } : {}
    for (const [key, value] of Object.entries(applied)) {
      result[key] = mergeApplied(result[key], value, field?.schema?.fields[key])
    }
    return result
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    const kind = listKind(applied, field)
    if (kind === 'keyed' && listKind(live, field) !== 'atomic') {
      const keyOf = elementKey(field!.mergeKey)
      const result = [...live]
      for (const item of applied) {
        const index = indexOfKey(result, keyOf(item), keyOf)
        if (index >= 0) result[index] = mergeApplied(result[index], item, { schema: field?.schema })
        else result.push(item)
      }
      return result
    }
    if (kind === 'set' && listKind(live, field) !== 'atomic') return dedupe([...live, ...applied])
  }
  return applied
}

/**
 * Removes a field the applier gave up. A key field of a list item stays while the item does; maps
 * and lists left empty go too, unless someone owns them as they are.
 */
function removeField(object: JsonObject, path: FieldPath, owned: readonly Set<FieldPath>[]): void {
  const elements = path.split(pathSeparator)
  const last = elements.at(-1)!
  const parentElement = elements.at(-2)
  if (last.startsWith('f:') && parentElement?.startsWith('k:')) {
    if (last.slice(2) in (JSON.parse(parentElement.slice(2)) as JsonObject)) return
  }
  for (let depth = elements.length; depth > 0; depth--) {
    const parent = valueAt(object, elements.slice(0, depth - 1))
    const element = elements[depth - 1]!
    if (!removeChild(parent, element)) return
    const ancestor = elements.slice(0, depth - 1)
    const emptied = valueAt(object, ancestor)
    const isEmpty = Array.isArray(emptied)
      ? emptied.length === 0
      : isObject(emptied) && Object.keys(emptied).length === 0
    const ancestorPath = ancestor.join(pathSeparator)
    // Top-level fields (spec, metadata) stay even when emptied.
    if (depth <= 2 || !isEmpty || owned.some((fields) => fields.has(ancestorPath))) return
  }
}

function valueAt(root: JsonValue, elements: readonly string[]): JsonValue | undefined {
  let node: JsonValue | undefined = root
  for (const element of elements) {
    if (node === undefined) return undefined
    const found: number = findChild(node, element)
    if (found < 0) return undefined
    node = isObject(node) ? node[element.slice(2)] : (node as JsonValue[])[found]
  }
  return node
}

/** The index of a path element's value in a list (or 0 for a map field that exists), -1 if absent. */
function findChild(node: JsonValue, element: string): number {
  const body = element.slice(2)
  if (element.startsWith('f:')) return isObject(node) && node[body] !== undefined ? 0 : -1
  if (!Array.isArray(node)) return -1
  if (element.startsWith('v:')) {
    return node.findIndex((item) => jsonEqual(item, JSON.parse(body) as JsonValue))
  }
  const key = JSON.parse(body) as JsonObject
  return node.findIndex(
    (item) => isObject(item) && Object.entries(key).every(([k, v]) => jsonEqual(item[k], v)),
  )
}

function removeChild(parent: JsonValue | undefined, element: string): boolean {
  if (parent === undefined) return false
  const index = findChild(parent, element)
  if (index < 0) return false
  if (isObject(parent)) delete parent[element.slice(2)]
  else (parent as JsonValue[]).splice(index, 1)
  return true
}

function withoutNulls(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(withoutNulls)
  if (!isObject(value)) return value
  const result: JsonObject = {}
  for (const [key, item] of Object.entries(value)) if (item !== null) result[key] = withoutNulls(item)
  return result
}

// ---- JSON helpers ----

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]))
  }
  if (!isObject(a) || !isObject(b)) return false
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((key) => key in b && jsonEqual(a[key], b[key]))
}

function stringField(value: JsonValue | undefined): string {
  return typeof value === 'string' ? value : ''
}

function objectKind(object: JsonObject): ObjectKind {
  return { apiVersion: stringField(object.apiVersion), kind: stringField(object.kind) }
}
