// Kubernetes protobuf request bodies, decoded into the JSON object the API server would have read had
// the same request come as JSON. kubectl's commands that write through client-go's typed clients
// (v1.32: every `kubectl create <kind>` generator, `autoscale`, `debug --copy-to`) send
// `application/vnd.kubernetes.protobuf`, and client-go has no JSON fallback for a request body;
// answers may stay JSON, as client-go decodes a response by its own Content-Type. (`run`, `expose`
// and `drain`'s evictions send JSON.)
//
// Three layers, no protobuf library:
// - WireReader: varints (64-bit, as bigint), fixed32/64 and length-delimited fields. A malformed body
//   throws MalformedProtobufError (the server answers 400).
// - The envelope: the magic `k8s\0`, then runtime.Unknown {typeMeta (1) {apiVersion (1), kind (2)},
//   raw (2), contentEncoding (3), contentType (4)}; `raw` is the object's own message.
// - `messageTable`: for each message of the kinds in `kinds`, field number -> JSON name and type, with
//   the field numbers of Kubernetes v1.32's generated.proto files (k8s.io/api, k8s.io/apimachinery).
//   A field the table lacks throws ProtobufError (answered 415), never dropped in silence.
//
// The JSON mapping is encoding/json's on the Go object that protobuf decodes to. Go's marshaller
// writes every non-pointer scalar, zero or not, and every non-pointer struct, empty or not, so:
// a zero scalar is dropped unless the field is marked `keep` (a pointer, or a JSON tag without
// omitempty); a message that is present is an object even when empty (`status: {}`, `resources: {}`);
// a zero metav1.Time is `null` (`creationTimestamp: null`, as kubectl's own JSON has it).
// Well-known types take their JSON forms: metav1.Time an RFC 3339 string in seconds, MicroTime in
// microseconds, resource.Quantity its string, intstr.IntOrString a number or a string, FieldsV1 the
// JSON object its raw bytes hold, bytes base64. Absent fields stay absent; the Go encoder omits only
// nil pointers, empty slices and empty maps, whose JSON forms are absent too (omitempty).

const mediaType = 'application/vnd.kubernetes.protobuf'
const magic = [0x6b, 0x38, 0x73, 0x00] // 'k8s\0'
/** Deepest message nesting accepted; the table's deepest path (a CronJob's env sources) is far less. */
const nestingDepthMax = 32
const sendJsonHint = 'send JSON (kubectl apply -f, or -o json | kubectl create -f -)'

/** Protobuf the table cannot represent: a kind or field it does not know. The server answers 415. */
export class ProtobufError extends Error {
  static override readonly name = 'ProtobufError'
  readonly code = 'ERR_PROTOBUF'
  constructor(message: string) {
    super(message)
    this.name = 'ProtobufError'
  }
}

/** Bytes that are not well-formed Kubernetes protobuf. The server answers 400. */
export class MalformedProtobufError extends Error {
  static override readonly name = 'MalformedProtobufError'
  readonly code = 'ERR_PROTOBUF_MALFORMED'
  constructor(message: string) {
    super(message)
    this.name = 'MalformedProtobufError'
  }
}

export interface DecodedObject {
  apiVersion: string
  kind: string
  /** The object as Kubernetes' JSON would have it, apiVersion and kind included. */
  object: Record<string, unknown>
}

/** True for `application/vnd.kubernetes.protobuf`, parameters and case aside. */
export function isKubernetesProtobuf(contentType: string): boolean {
  return contentType.split(';')[0]!.trim().toLowerCase() === mediaType
}

/** Decodes a request body of `Content-Type: application/vnd.kubernetes.protobuf`. */
export function decodeKubernetesProtobuf(body: Uint8Array): DecodedObject {
  if (body.length < magic.length || magic.some((byte, index) => body[index] !== byte)) {
    throw new MalformedProtobufError('the body does not start with the Kubernetes protobuf prefix k8s\\0')
  }
  const envelope = readEnvelope(body.subarray(magic.length))
  const { apiVersion, kind } = envelope
  if (apiVersion === '' || kind === '') {
    throw new MalformedProtobufError('the envelope names no apiVersion or kind')
  }
  if (envelope.contentEncoding !== '') {
    throw new ProtobufError(`content encoding ${envelope.contentEncoding} is not supported; ${sendJsonHint}`)
  }
  if (envelope.contentType !== '' && !isKubernetesProtobuf(envelope.contentType)) {
    throw new ProtobufError(`an envelope of ${envelope.contentType} is not supported; ${sendJsonHint}`)
  }
  // Every group version registers metav1.DeleteOptions (the body of a typed client's delete).
  const typeName = kind === 'DeleteOptions' ? 'meta/v1.DeleteOptions' : `${apiVersion}.${kind}`
  if (!kinds.has(typeName)) {
    throw new ProtobufError(`cannot decode ${kind} (${apiVersion}) from protobuf; ${sendJsonHint}`)
  }
  const object = { kind, apiVersion, ...decodeMessage(envelope.raw, typeName, 0) }
  return { apiVersion, kind, object }
}

// ---- wire format ----

const wireVarint = 0
const wireFixed64 = 1
const wireLengthDelimited = 2
const wireFixed32 = 5
/** Groups (wire types 3 and 4) are proto2's deprecated form, which Kubernetes never uses. */
const wireTypes = new Set([wireVarint, wireFixed64, wireLengthDelimited, wireFixed32])
const varintBytesMax = 10

/** Reads one message's fields in order; every read checks the bounds of the message. */
export class WireReader {
  readonly #bytes: Uint8Array
  readonly #view: DataView
  #offset = 0

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  get done(): boolean {
    return this.#offset >= this.#bytes.length
  }

  /** A field's key: its number and wire type. */
  tag(): { field: number; wireType: number } {
    const at = this.#offset
    const key = this.varint()
    const wireType = Number(key & 7n)
    const field = key >> 3n
    if (!wireTypes.has(wireType)) throw this.#malformed(`unknown wire type ${wireType}`, at)
    if (field === 0n || field > 0x1fffffffn) throw this.#malformed(`field number ${field} out of range`, at)
    return { field: Number(field), wireType }
  }

  /** An unsigned varint of up to 64 bits. */
  varint(): bigint {
    const at = this.#offset
    let value = 0n
    for (let index = 0; index < varintBytesMax; index++) {
      if (this.#offset >= this.#bytes.length) throw this.#malformed('truncated varint', at)
      const byte = this.#bytes[this.#offset++]!
      value |= BigInt(byte & 0x7f) << BigInt(7 * index)
      if (byte < 0x80) return BigInt.asUintN(64, value)
    }
    throw this.#malformed('varint longer than 10 bytes', at)
  }

  fixed32(): number {
    return this.#view.getUint32(this.#take(4), true)
  }

  fixed64(): bigint {
    return this.#view.getBigUint64(this.#take(8), true)
  }

  double(): number {
    return this.#view.getFloat64(this.#take(8), true)
  }

  /** A length-delimited field's bytes (a view, not a copy). */
  bytes(): Uint8Array {
    const at = this.#offset
    const length = this.varint()
    if (length > BigInt(this.#bytes.length - this.#offset)) throw this.#malformed('length past the end', at)
    const start = this.#take(Number(length))
    return this.#bytes.subarray(start, start + Number(length))
  }

  #take(length: number): number {
    const start = this.#offset
    if (start + length > this.#bytes.length) throw this.#malformed(`truncated ${length}-byte field`, start)
    this.#offset += length
    return start
  }

  #malformed(problem: string, at: number): MalformedProtobufError {
    return new MalformedProtobufError(`${problem} at byte ${at}`)
  }
}

interface Envelope {
  apiVersion: string
  kind: string
  raw: Uint8Array
  contentEncoding: string
  contentType: string
}

const utf8 = new TextDecoder()

function readEnvelope(bytes: Uint8Array): Envelope {
  const envelope: Envelope = {
    apiVersion: '',
    kind: '',
    raw: new Uint8Array(),
    contentEncoding: '',
    contentType: '',
  }
  const reader = new WireReader(bytes)
  while (!reader.done) {
    const { field, wireType } = reader.tag()
    if (wireType !== wireLengthDelimited || field > 4) {
      throw new MalformedProtobufError(`unexpected field ${field} (wire type ${wireType}) in runtime.Unknown`)
    }
    const value = reader.bytes()
    if (field === 1) Object.assign(envelope, readTypeMeta(value))
    else if (field === 2) envelope.raw = value
    else if (field === 3) envelope.contentEncoding = utf8.decode(value)
    else envelope.contentType = utf8.decode(value)
  }
  return envelope
}

function readTypeMeta(bytes: Uint8Array): { apiVersion: string; kind: string } {
  const typeMeta = { apiVersion: '', kind: '' }
  const reader = new WireReader(bytes)
  while (!reader.done) {
    const { field, wireType } = reader.tag()
    if (wireType !== wireLengthDelimited || field > 2) {
      throw new MalformedProtobufError(
        `unexpected field ${field} (wire type ${wireType}) in runtime.TypeMeta`,
      )
    }
    const value = utf8.decode(reader.bytes())
    if (field === 1) typeMeta.apiVersion = value
    else typeMeta.kind = value
  }
  return typeMeta
}

// ---- messages ----

type JsonObject = Record<string, unknown>

function decodeMessage(bytes: Uint8Array, typeName: string, depth: number): JsonObject {
  const object: JsonObject = {}
  decodeInto(object, bytes, typeName, depth)
  return object
}

/** Decodes a message's fields into `target`: its own object, or its parent's for an inline field. */
function decodeInto(target: JsonObject, bytes: Uint8Array, typeName: string, depth: number): void {
  if (depth > nestingDepthMax) {
    throw new MalformedProtobufError(`messages nested deeper than ${nestingDepthMax}`)
  }
  const schema = schemaOf(typeName)
  const reader = new WireReader(bytes)
  while (!reader.done) {
    const { field: number, wireType } = reader.tag()
    const field = schema.get(number)
    if (!field) {
      throw new ProtobufError(`cannot decode field ${number} of ${typeName} from protobuf; ${sendJsonHint}`)
    }
    const where = `field ${number} (${field.json}) of ${typeName}`
    if (field.shape === 'map') {
      const entries = slot(target, field.json, (): JsonObject => ({}))
      const [key, value] = readMapEntry(expectBytes(reader, wireType, where), field, typeName, depth)
      entries[key] = value
    } else if (field.shape === 'repeated') {
      const items = slot(target, field.json, (): unknown[] => [])
      if (wireType === wireLengthDelimited && packable(field.type)) {
        const packed = new WireReader(reader.bytes())
        while (!packed.done) {
          items.push(readValue(packed, packedWireType(field.type), field.type, where, depth))
        }
      } else {
        items.push(readValue(reader, wireType, field.type, where, depth))
      }
    } else if (field.inline) {
      decodeInto(target, expectBytes(reader, wireType, where), field.type, depth + 1)
    } else if (messages.has(field.type) && !jsonForms.has(field.type)) {
      // A message seen twice merges, as protobuf says; Go's encoder never splits one.
      const existing = target[field.json]
      const child = typeof existing === 'object' && existing !== null ? (existing as JsonObject) : {}
      decodeInto(child, expectBytes(reader, wireType, where), field.type, depth + 1)
      target[field.json] = child
    } else {
      const value = readValue(reader, wireType, field.type, where, depth)
      // Only scalars are dropped when zero: a present IntOrString 0 is a struct in Go, so written.
      if (field.keep || !scalarTypes.has(field.type) || !isZero(value)) target[field.json] = value
      else delete target[field.json]
    }
  }
}

/** The map or list a repeated field adds to, made on its first entry. */
function slot<T>(target: JsonObject, key: string, make: () => T): T {
  if (target[key] === undefined) target[key] = make()
  return target[key] as T
}

function readMapEntry(
  bytes: Uint8Array,
  field: FieldSchema,
  typeName: string,
  depth: number,
): [string, unknown] {
  const where = `an entry of ${field.json} in ${typeName}`
  let key = ''
  let value: unknown
  const reader = new WireReader(bytes)
  while (!reader.done) {
    const { field: number, wireType } = reader.tag()
    if (number === 1) key = readValue(reader, wireType, 'string', where, depth) as string
    else if (number === 2) value = readValue(reader, wireType, field.type, where, depth)
    else throw new ProtobufError(`cannot decode field ${number} of ${where} from protobuf; ${sendJsonHint}`)
  }
  // An absent value is the zero value, as Go's map entry decoder has it.
  return [key, value === undefined ? zeroValue(field.type, depth) : value]
}

function readValue(
  reader: WireReader,
  wireType: number,
  type: string,
  where: string,
  depth: number,
): unknown {
  switch (type) {
    case 'string':
      return utf8.decode(expectBytes(reader, wireType, where))
    case 'bytes':
      return base64(expectBytes(reader, wireType, where))
    case 'int32':
      return Number(BigInt.asIntN(32, expectVarint(reader, wireType, where)))
    case 'int64':
      return safeInteger(BigInt.asIntN(64, expectVarint(reader, wireType, where)), where)
    case 'bool':
      return expectVarint(reader, wireType, where) !== 0n
    case 'double':
      expectWireType(wireType, wireFixed64, where)
      return reader.double()
    default:
      return messageValue(expectBytes(reader, wireType, where), type, depth + 1)
  }
}

function messageValue(bytes: Uint8Array, type: string, depth: number): unknown {
  const message = decodeMessage(bytes, type, depth)
  const jsonForm = jsonForms.get(type)
  return jsonForm ? jsonForm(message, type) : message
}

function zeroValue(type: string, depth: number): unknown {
  if (type === 'string' || type === 'bytes') return ''
  if (type === 'bool') return false
  if (scalarTypes.has(type)) return 0
  return messageValue(new Uint8Array(), type, depth + 1)
}

const isZero = (value: unknown): boolean => value === '' || value === 0 || value === false

/** Repeated numbers may come packed into one length-delimited field. */
const packable = (type: string): boolean =>
  type === 'int32' || type === 'int64' || type === 'bool' || type === 'double'
const packedWireType = (type: string): number => (type === 'double' ? wireFixed64 : wireVarint)

function expectWireType(wireType: number, expected: number, where: string): void {
  if (wireType !== expected) {
    throw new MalformedProtobufError(`${where} has wire type ${wireType}, expected ${expected}`)
  }
}

function expectVarint(reader: WireReader, wireType: number, where: string): bigint {
  expectWireType(wireType, wireVarint, where)
  return reader.varint()
}

function expectBytes(reader: WireReader, wireType: number, where: string): Uint8Array {
  expectWireType(wireType, wireLengthDelimited, where)
  return reader.bytes()
}

function safeInteger(value: bigint, where: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ProtobufError(`${where} is ${value}, past the integers a number holds exactly; ${sendJsonHint}`)
  }
  return Number(value)
}

const base64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')

// ---- well-known types with JSON forms of their own ----

const jsonForms = new Map<string, (message: JsonObject, type: string) => unknown>([
  // Go marshals a zero Time as no bytes at all, and its JSON as null.
  ['meta/v1.Time', (time) => (Object.keys(time).length === 0 ? null : rfc3339(time, 0))],
  ['meta/v1.MicroTime', (time) => (Object.keys(time).length === 0 ? null : rfc3339(time, 6))],
  ['resource.Quantity', (quantity) => quantity.string ?? '0'],
  ['intstr.IntOrString', intOrString],
  ['meta/v1.FieldsV1', fieldsV1],
])

/** `2026-01-01T00:00:00Z`, or with `fractionDigits` of the second (MicroTime: 6), always in UTC. */
function rfc3339(time: JsonObject, fractionDigits: number): string {
  const nanos = (time.nanos as number | undefined) ?? 0
  const seconds = ((time.seconds as number | undefined) ?? 0) + Math.floor(nanos / 1e9)
  const date = new Date(seconds * 1000)
  const year = date.getUTCFullYear()
  if (Number.isNaN(year) || year < 0 || year > 9999) {
    throw new MalformedProtobufError(`a time of ${seconds} seconds is outside the years 0 to 9999`)
  }
  const whole = date.toISOString().slice(0, 19)
  if (fractionDigits === 0) return `${whole}Z`
  const fraction = String(((nanos % 1e9) + 1e9) % 1e9).padStart(9, '0')
  return `${whole}.${fraction.slice(0, fractionDigits)}Z`
}

function intOrString(value: JsonObject, type: string): number | string {
  if (value.type === 1) return (value.strVal as string | undefined) ?? ''
  if (value.type === 0 || value.type === undefined) return (value.intVal as number | undefined) ?? 0
  throw new MalformedProtobufError(`${type} has type ${value.type}, neither 0 (int) nor 1 (string)`)
}

/** The managed field set: JSON in the raw bytes. */
function fieldsV1(value: JsonObject): unknown {
  if (value.Raw === undefined) return null
  try {
    return JSON.parse(value.Raw as string)
  } catch (error) {
    throw new MalformedProtobufError(`meta/v1.FieldsV1 holds no JSON: ${(error as Error).message}`)
  }
}

// ---- the schema table ----

interface FieldSchema {
  /** The JSON key; for an inline field, the proto name, as its fields land in the parent object. */
  readonly json: string
  /** A scalar type (`scalarTypes`) or the key of a message in `messageTable`. */
  readonly type: string
  readonly shape: 'single' | 'repeated' | 'map'
  /** Written even when zero: the Go field is a pointer, or its JSON tag has no omitempty. */
  readonly keep: boolean
  /** The Go field is embedded (`json:",inline"`): its fields are the parent's. */
  readonly inline: boolean
}

const scalarTypes = new Set(['string', 'bytes', 'int32', 'int64', 'bool', 'double'])

function schemaOf(typeName: string): ReadonlyMap<number, FieldSchema> {
  const schema = messages.get(typeName)
  if (!schema) throw new Error(`protobuf table: no message ${typeName}`) // compileTable checked every reference
  return schema
}

/**
 * Parses the table's field specs, `json type [keep] [inline]`, where type is a scalar, a message
 * (unqualified: of the message's own API group and version), `[]type` or `map<type>` (string keys).
 * A spec that does not parse or names no message is a bug in the table, so it fails at load.
 */
function compileTable(table: Record<string, Record<number, string>>): Map<string, Map<number, FieldSchema>> {
  const compiled = new Map<string, Map<number, FieldSchema>>()
  for (const [typeName, fields] of Object.entries(table)) {
    const group = typeName.slice(0, typeName.lastIndexOf('.'))
    const schema = new Map<number, FieldSchema>()
    for (const [number, spec] of Object.entries(fields)) schema.set(Number(number), compileField(spec, group))
    compiled.set(typeName, schema)
  }
  for (const [typeName, schema] of compiled) {
    for (const [number, field] of schema) {
      const known = scalarTypes.has(field.type) || compiled.has(field.type)
      if (!known || (field.inline && !compiled.has(field.type))) {
        throw new Error(`protobuf table: field ${number} of ${typeName} names no message ${field.type}`)
      }
    }
  }
  return compiled
}

function compileField(spec: string, group: string): FieldSchema {
  const [json, typeToken, ...flags] = spec.split(' ')
  if (!json || !typeToken || flags.some((flag) => flag !== 'keep' && flag !== 'inline')) {
    throw new Error(`protobuf table: cannot parse the field spec '${spec}'`)
  }
  const map = /^map<(.+)>$/.exec(typeToken)
  const shape = map ? 'map' : typeToken.startsWith('[]') ? 'repeated' : 'single'
  const name = map ? map[1]! : typeToken.replace(/^\[\]/, '')
  const type = scalarTypes.has(name) || name.includes('.') ? name : `${group}.${name}`
  return { json, type, shape, keep: flags.includes('keep'), inline: flags.includes('inline') }
}

/** The kinds a body may carry, by `apiVersion.kind`: those of kubectl's typed commands and a few more. */
const kinds = new Set([
  'meta/v1.DeleteOptions',
  'v1.Namespace',
  'v1.ConfigMap',
  'v1.Secret',
  'v1.ServiceAccount',
  'v1.ResourceQuota',
  'v1.Pod',
  'v1.Service',
  'v1.PersistentVolumeClaim',
  'apps/v1.Deployment',
  'apps/v1.ReplicaSet',
  'apps/v1.StatefulSet',
  'apps/v1.DaemonSet',
  'batch/v1.Job',
  'batch/v1.CronJob',
  'autoscaling/v1.HorizontalPodAutoscaler',
  'autoscaling/v1.Scale',
  'autoscaling/v2.HorizontalPodAutoscaler',
  'policy/v1.PodDisruptionBudget',
  'policy/v1.Eviction',
  'coordination.k8s.io/v1.Lease',
  'networking.k8s.io/v1.Ingress',
  'rbac.authorization.k8s.io/v1.Role',
  'rbac.authorization.k8s.io/v1.ClusterRole',
  'rbac.authorization.k8s.io/v1.RoleBinding',
  'rbac.authorization.k8s.io/v1.ClusterRoleBinding',
  'scheduling.k8s.io/v1.PriorityClass',
])

// Field numbers and names are the wire interface, from Kubernetes v1.32's generated.proto; `keep` and
// `inline` follow the Go types' JSON tags. Fields left out on purpose (affinity, ephemeral containers,
// container statuses, the cloud volume sources, ...) are refused with a ProtobufError.
const messageTable: Record<string, Record<number, string>> = {
  // ---- well-known types (see jsonForms) ----
  'meta/v1.Time': { 1: 'seconds int64 keep', 2: 'nanos int32 keep' },
  'meta/v1.MicroTime': { 1: 'seconds int64 keep', 2: 'nanos int32 keep' },
  // Raw is bytes on the wire; read as UTF-8 text, as it holds JSON.
  'meta/v1.FieldsV1': { 1: 'Raw string keep' },
  'resource.Quantity': { 1: 'string string keep' },
  'intstr.IntOrString': { 1: 'type int64 keep', 2: 'intVal int32 keep', 3: 'strVal string keep' },

  // ---- meta/v1 (apimachinery) ----
  'meta/v1.ObjectMeta': {
    1: 'name string',
    2: 'generateName string',
    3: 'namespace string',
    4: 'selfLink string',
    5: 'uid string',
    6: 'resourceVersion string',
    7: 'generation int64',
    8: 'creationTimestamp Time',
    9: 'deletionTimestamp Time',
    10: 'deletionGracePeriodSeconds int64 keep',
    11: 'labels map<string>',
    12: 'annotations map<string>',
    13: 'ownerReferences []OwnerReference',
    14: 'finalizers []string',
    17: 'managedFields []ManagedFieldsEntry',
  },
  'meta/v1.OwnerReference': {
    1: 'kind string keep',
    3: 'name string keep',
    4: 'uid string keep',
    5: 'apiVersion string keep',
    6: 'controller bool keep',
    7: 'blockOwnerDeletion bool keep',
  },
  'meta/v1.ManagedFieldsEntry': {
    1: 'manager string',
    2: 'operation string',
    3: 'apiVersion string',
    4: 'time Time',
    6: 'fieldsType string',
    7: 'fieldsV1 FieldsV1',
    8: 'subresource string',
  },
  'meta/v1.LabelSelector': { 1: 'matchLabels map<string>', 2: 'matchExpressions []LabelSelectorRequirement' },
  'meta/v1.LabelSelectorRequirement': {
    1: 'key string keep',
    2: 'operator string keep',
    3: 'values []string',
  },
  'meta/v1.Condition': {
    1: 'type string keep',
    2: 'status string keep',
    3: 'observedGeneration int64',
    4: 'lastTransitionTime Time',
    5: 'reason string keep',
    6: 'message string keep',
  },
  'meta/v1.DeleteOptions': {
    1: 'gracePeriodSeconds int64 keep',
    2: 'preconditions Preconditions',
    3: 'orphanDependents bool keep',
    4: 'propagationPolicy string keep',
    5: 'dryRun []string',
    6: 'ignoreStoreReadErrorWithClusterBreakingPotential bool keep',
  },
  'meta/v1.Preconditions': { 1: 'uid string keep', 2: 'resourceVersion string keep' },

  // ---- core/v1 ----
  'v1.Namespace': { 1: 'metadata meta/v1.ObjectMeta', 2: 'spec NamespaceSpec', 3: 'status NamespaceStatus' },
  'v1.NamespaceSpec': { 1: 'finalizers []string' },
  'v1.NamespaceStatus': { 1: 'phase string', 2: 'conditions []NamespaceCondition' },
  'v1.NamespaceCondition': {
    1: 'type string keep',
    2: 'status string keep',
    4: 'lastTransitionTime meta/v1.Time',
    5: 'reason string',
    6: 'message string',
  },
  'v1.ConfigMap': {
    1: 'metadata meta/v1.ObjectMeta',
    2: 'data map<string>',
    3: 'binaryData map<bytes>',
    4: 'immutable bool keep',
  },
  'v1.Secret': {
    1: 'metadata meta/v1.ObjectMeta',
    2: 'data map<bytes>',
    3: 'type string',
    4: 'stringData map<string>',
    5: 'immutable bool keep',
  },
  'v1.ServiceAccount': {
    1: 'metadata meta/v1.ObjectMeta',
    2: 'secrets []ObjectReference',
    3: 'imagePullSecrets []LocalObjectReference',
    4: 'automountServiceAccountToken bool keep',
  },
  'v1.ObjectReference': {
    1: 'kind string',
    2: 'namespace string',
    3: 'name string',
    4: 'uid string',
    5: 'apiVersion string',
    6: 'resourceVersion string',
    7: 'fieldPath string',
  },
  'v1.LocalObjectReference': { 1: 'name string' },
  'v1.ResourceQuota': {
    1: 'metadata meta/v1.ObjectMeta',
    2: 'spec ResourceQuotaSpec',
    3: 'status ResourceQuotaStatus',
  },
  'v1.ResourceQuotaSpec': {
    1: 'hard map<resource.Quantity>',
    2: 'scopes []string',
    3: 'scopeSelector ScopeSelector',
  },
  'v1.ResourceQuotaStatus': { 1: 'hard map<resource.Quantity>', 2: 'used map<resource.Quantity>' },
  'v1.ScopeSelector': { 1: 'matchExpressions []ScopedResourceSelectorRequirement' },
  'v1.ScopedResourceSelectorRequirement': {
    1: 'scopeName string keep',
    2: 'operator string keep',
    3: 'values []string',
  },
  'v1.Pod': { 1: 'metadata meta/v1.ObjectMeta', 2: 'spec PodSpec', 3: 'status PodStatus' },
  'v1.PodSpec': {
    1: 'volumes []Volume',
    2: 'containers []Container',
    3: 'restartPolicy string',
    4: 'terminationGracePeriodSeconds int64 keep',
    5: 'activeDeadlineSeconds int64 keep',
    6: 'dnsPolicy string',
    7: 'nodeSelector map<string>',
    8: 'serviceAccountName string',
    9: 'serviceAccount string',
    10: 'nodeName string',
    11: 'hostNetwork bool',
    12: 'hostPID bool',
    13: 'hostIPC bool',
    14: 'securityContext PodSecurityContext',
    15: 'imagePullSecrets []LocalObjectReference',
    16: 'hostname string',
    17: 'subdomain string',
    19: 'schedulerName string',
    20: 'initContainers []Container',
    21: 'automountServiceAccountToken bool keep',
    22: 'tolerations []Toleration',
    23: 'hostAliases []HostAlias',
    24: 'priorityClassName string',
    25: 'priority int32 keep',
    26: 'dnsConfig PodDNSConfig',
    27: 'shareProcessNamespace bool keep',
    28: 'readinessGates []PodReadinessGate',
    29: 'runtimeClassName string keep',
    30: 'enableServiceLinks bool keep',
    31: 'preemptionPolicy string keep',
    32: 'overhead map<resource.Quantity>',
    33: 'topologySpreadConstraints []TopologySpreadConstraint',
    35: 'setHostnameAsFQDN bool keep',
    36: 'os PodOS',
    37: 'hostUsers bool keep',
    38: 'schedulingGates []PodSchedulingGate',
    40: 'resources ResourceRequirements',
  },
  'v1.PodStatus': {
    1: 'phase string',
    2: 'conditions []PodCondition',
    3: 'message string',
    4: 'reason string',
    5: 'hostIP string',
    6: 'podIP string',
    7: 'startTime meta/v1.Time',
    9: 'qosClass string',
    11: 'nominatedNodeName string',
    12: 'podIPs []PodIP',
    14: 'resize string',
    16: 'hostIPs []HostIP',
  },
  'v1.PodCondition': {
    1: 'type string keep',
    2: 'status string keep',
    3: 'lastProbeTime meta/v1.Time',
    4: 'lastTransitionTime meta/v1.Time',
    5: 'reason string',
    6: 'message string',
  },
  'v1.PodIP': { 1: 'ip string keep' },
  'v1.HostIP': { 1: 'ip string keep' },
  'v1.PodTemplateSpec': { 1: 'metadata meta/v1.ObjectMeta', 2: 'spec PodSpec' },
  'v1.Container': {
    1: 'name string keep',
    2: 'image string',
    3: 'command []string',
    4: 'args []string',
    5: 'workingDir string',
    6: 'ports []ContainerPort',
    7: 'env []EnvVar',
    8: 'resources ResourceRequirements',
    9: 'volumeMounts []VolumeMount',
    10: 'livenessProbe Probe',
    11: 'readinessProbe Probe',
    12: 'lifecycle Lifecycle',
    13: 'terminationMessagePath string',
    14: 'imagePullPolicy string',
    15: 'securityContext SecurityContext',
    16: 'stdin bool',
    17: 'stdinOnce bool',
    18: 'tty bool',
    19: 'envFrom []EnvFromSource',
    20: 'terminationMessagePolicy string',
    21: 'volumeDevices []VolumeDevice',
    22: 'startupProbe Probe',
    23: 'resizePolicy []ContainerResizePolicy',
    24: 'restartPolicy string keep',
  },
  'v1.ContainerPort': {
    1: 'name string',
    2: 'hostPort int32',
    3: 'containerPort int32 keep',
    4: 'protocol string',
    5: 'hostIP string',
  },
  'v1.EnvVar': { 1: 'name string keep', 2: 'value string', 3: 'valueFrom EnvVarSource' },
  'v1.EnvVarSource': {
    1: 'fieldRef ObjectFieldSelector',
    2: 'resourceFieldRef ResourceFieldSelector',
    3: 'configMapKeyRef ConfigMapKeySelector',
    4: 'secretKeyRef SecretKeySelector',
  },
  'v1.ObjectFieldSelector': { 1: 'apiVersion string', 2: 'fieldPath string keep' },
  'v1.ResourceFieldSelector': {
    1: 'containerName string',
    2: 'resource string keep',
    3: 'divisor resource.Quantity',
  },
  'v1.ConfigMapKeySelector': {
    1: 'localObjectReference LocalObjectReference inline',
    2: 'key string keep',
    3: 'optional bool keep',
  },
  'v1.SecretKeySelector': {
    1: 'localObjectReference LocalObjectReference inline',
    2: 'key string keep',
    3: 'optional bool keep',
  },
  'v1.EnvFromSource': {
    1: 'prefix string',
    2: 'configMapRef ConfigMapEnvSource',
    3: 'secretRef SecretEnvSource',
  },
  'v1.ConfigMapEnvSource': { 1: 'localObjectReference LocalObjectReference inline', 2: 'optional bool keep' },
  'v1.SecretEnvSource': { 1: 'localObjectReference LocalObjectReference inline', 2: 'optional bool keep' },
  'v1.ResourceRequirements': {
    1: 'limits map<resource.Quantity>',
    2: 'requests map<resource.Quantity>',
    3: 'claims []ResourceClaim',
  },
  'v1.ResourceClaim': { 1: 'name string keep', 2: 'request string' },
  'v1.VolumeMount': {
    1: 'name string keep',
    2: 'readOnly bool',
    3: 'mountPath string keep',
    4: 'subPath string',
    5: 'mountPropagation string keep',
    6: 'subPathExpr string',
    7: 'recursiveReadOnly string keep',
  },
  'v1.Probe': {
    1: 'handler ProbeHandler inline',
    2: 'initialDelaySeconds int32',
    3: 'timeoutSeconds int32',
    4: 'periodSeconds int32',
    5: 'successThreshold int32',
    6: 'failureThreshold int32',
    7: 'terminationGracePeriodSeconds int64 keep',
  },
  'v1.ProbeHandler': {
    1: 'exec ExecAction',
    2: 'httpGet HTTPGetAction',
    3: 'tcpSocket TCPSocketAction',
    4: 'grpc GRPCAction',
  },
  'v1.ExecAction': { 1: 'command []string' },
  'v1.HTTPGetAction': {
    1: 'path string',
    2: 'port intstr.IntOrString',
    3: 'host string',
    4: 'scheme string',
    5: 'httpHeaders []HTTPHeader',
  },
  'v1.HTTPHeader': { 1: 'name string keep', 2: 'value string keep' },
  'v1.TCPSocketAction': { 1: 'port intstr.IntOrString', 2: 'host string' },
  'v1.GRPCAction': { 1: 'port int32 keep', 2: 'service string keep' },
  'v1.SecurityContext': {
    1: 'capabilities Capabilities',
    2: 'privileged bool keep',
    3: 'seLinuxOptions SELinuxOptions',
    4: 'runAsUser int64 keep',
    5: 'runAsNonRoot bool keep',
    6: 'readOnlyRootFilesystem bool keep',
    7: 'allowPrivilegeEscalation bool keep',
    8: 'runAsGroup int64 keep',
    9: 'procMount string keep',
    10: 'windowsOptions WindowsSecurityContextOptions',
    11: 'seccompProfile SeccompProfile',
    12: 'appArmorProfile AppArmorProfile',
  },
  'v1.Capabilities': { 1: 'add []string', 2: 'drop []string' },
  'v1.SeccompProfile': { 1: 'type string keep', 2: 'localhostProfile string keep' },
  'v1.SELinuxOptions': { 1: 'user string', 2: 'role string', 3: 'type string', 4: 'level string' },
  'v1.PodSecurityContext': {
    1: 'seLinuxOptions SELinuxOptions',
    2: 'runAsUser int64 keep',
    3: 'runAsNonRoot bool keep',
    4: 'supplementalGroups []int64',
    5: 'fsGroup int64 keep',
    6: 'runAsGroup int64 keep',
    7: 'sysctls []Sysctl',
    8: 'windowsOptions WindowsSecurityContextOptions',
    9: 'fsGroupChangePolicy string keep',
    10: 'seccompProfile SeccompProfile',
    11: 'appArmorProfile AppArmorProfile',
    12: 'supplementalGroupsPolicy string keep',
    13: 'seLinuxChangePolicy string keep',
  },
  'v1.Sysctl': { 1: 'name string keep', 2: 'value string keep' },
  'v1.Toleration': {
    1: 'key string',
    2: 'operator string',
    3: 'value string',
    4: 'effect string',
    5: 'tolerationSeconds int64 keep',
  },
  'v1.Volume': { 1: 'name string keep', 2: 'volumeSource VolumeSource inline' },
  'v1.VolumeSource': {
    1: 'hostPath HostPathVolumeSource',
    2: 'emptyDir EmptyDirVolumeSource',
    6: 'secret SecretVolumeSource',
    7: 'nfs NFSVolumeSource',
    10: 'persistentVolumeClaim PersistentVolumeClaimVolumeSource',
    16: 'downwardAPI DownwardAPIVolumeSource',
    19: 'configMap ConfigMapVolumeSource',
    26: 'projected ProjectedVolumeSource',
    28: 'csi CSIVolumeSource',
    29: 'ephemeral EphemeralVolumeSource',
    30: 'image ImageVolumeSource',
  },
  'v1.EmptyDirVolumeSource': { 1: 'medium string', 2: 'sizeLimit resource.Quantity' },
  'v1.ConfigMapVolumeSource': {
    1: 'localObjectReference LocalObjectReference inline',
    2: 'items []KeyToPath',
    3: 'defaultMode int32 keep',
    4: 'optional bool keep',
  },
  'v1.SecretVolumeSource': {
    1: 'secretName string',
    2: 'items []KeyToPath',
    3: 'defaultMode int32 keep',
    4: 'optional bool keep',
  },
  'v1.KeyToPath': { 1: 'key string keep', 2: 'path string keep', 3: 'mode int32 keep' },
  'v1.HostPathVolumeSource': { 1: 'path string keep', 2: 'type string keep' },
  'v1.PersistentVolumeClaimVolumeSource': { 1: 'claimName string keep', 2: 'readOnly bool' },
  'v1.Service': { 1: 'metadata meta/v1.ObjectMeta', 2: 'spec ServiceSpec', 3: 'status ServiceStatus' },
  'v1.ServiceSpec': {
    1: 'ports []ServicePort',
    2: 'selector map<string>',
    3: 'clusterIP string',
    4: 'type string',
    5: 'externalIPs []string',
    7: 'sessionAffinity string',
    8: 'loadBalancerIP string',
    9: 'loadBalancerSourceRanges []string',
    10: 'externalName string',
    11: 'externalTrafficPolicy string',
    12: 'healthCheckNodePort int32',
    13: 'publishNotReadyAddresses bool',
    14: 'sessionAffinityConfig SessionAffinityConfig',
    17: 'ipFamilyPolicy string keep',
    18: 'clusterIPs []string',
    19: 'ipFamilies []string',
    20: 'allocateLoadBalancerNodePorts bool keep',
    21: 'loadBalancerClass string keep',
    22: 'internalTrafficPolicy string keep',
    23: 'trafficDistribution string keep',
  },
  'v1.ServicePort': {
    1: 'name string',
    2: 'protocol string',
    3: 'port int32 keep',
    4: 'targetPort intstr.IntOrString',
    5: 'nodePort int32',
    6: 'appProtocol string keep',
  },
  'v1.SessionAffinityConfig': { 1: 'clientIP ClientIPConfig' },
  'v1.ClientIPConfig': { 1: 'timeoutSeconds int32 keep' },
  'v1.ServiceStatus': { 1: 'loadBalancer LoadBalancerStatus', 2: 'conditions []meta/v1.Condition' },
  'v1.LoadBalancerStatus': { 1: 'ingress []LoadBalancerIngress' },
  'v1.LoadBalancerIngress': {
    1: 'ip string',
    2: 'hostname string',
    3: 'ipMode string keep',
    4: 'ports []PortStatus',
  },
  'v1.PortStatus': { 1: 'port int32 keep', 2: 'protocol string keep', 3: 'error string keep' },
  'v1.PodOS': { 1: 'name string keep' },
  'v1.HostAlias': { 1: 'ip string keep', 2: 'hostnames []string' },
  'v1.PodReadinessGate': { 1: 'conditionType string keep' },
  'v1.PodDNSConfig': { 1: 'nameservers []string', 2: 'searches []string', 3: 'options []PodDNSConfigOption' },
  'v1.PodDNSConfigOption': { 1: 'name string', 2: 'value string keep' },
  'v1.PodSchedulingGate': { 1: 'name string keep' },
  'v1.TopologySpreadConstraint': {
    1: 'maxSkew int32 keep',
    2: 'topologyKey string keep',
    3: 'whenUnsatisfiable string keep',
    4: 'labelSelector meta/v1.LabelSelector',
    5: 'minDomains int32 keep',
    6: 'nodeAffinityPolicy string keep',
    7: 'nodeTaintsPolicy string keep',
    8: 'matchLabelKeys []string',
  },
  'v1.Lifecycle': { 1: 'postStart LifecycleHandler', 2: 'preStop LifecycleHandler' },
  'v1.LifecycleHandler': {
    1: 'exec ExecAction',
    2: 'httpGet HTTPGetAction',
    3: 'tcpSocket TCPSocketAction',
    4: 'sleep SleepAction',
  },
  'v1.SleepAction': { 1: 'seconds int64 keep' },
  'v1.VolumeDevice': { 1: 'name string keep', 2: 'devicePath string keep' },
  'v1.ContainerResizePolicy': { 1: 'resourceName string keep', 2: 'restartPolicy string keep' },
  'v1.WindowsSecurityContextOptions': {
    1: 'gmsaCredentialSpecName string keep',
    2: 'gmsaCredentialSpec string keep',
    3: 'runAsUserName string keep',
    4: 'hostProcess bool keep',
  },
  'v1.AppArmorProfile': { 1: 'type string keep', 2: 'localhostProfile string keep' },
  'v1.NFSVolumeSource': { 1: 'server string keep', 2: 'path string keep', 3: 'readOnly bool' },
  'v1.DownwardAPIVolumeSource': { 1: 'items []DownwardAPIVolumeFile', 2: 'defaultMode int32 keep' },
  'v1.DownwardAPIVolumeFile': {
    1: 'path string keep',
    2: 'fieldRef ObjectFieldSelector',
    3: 'resourceFieldRef ResourceFieldSelector',
    4: 'mode int32 keep',
  },
  'v1.ProjectedVolumeSource': { 1: 'sources []VolumeProjection', 2: 'defaultMode int32 keep' },
  'v1.VolumeProjection': {
    1: 'secret SecretProjection',
    2: 'downwardAPI DownwardAPIProjection',
    3: 'configMap ConfigMapProjection',
    4: 'serviceAccountToken ServiceAccountTokenProjection',
  },
  'v1.SecretProjection': {
    1: 'localObjectReference LocalObjectReference inline',
    2: 'items []KeyToPath',
    4: 'optional bool keep',
  },
  'v1.ConfigMapProjection': {
    1: 'localObjectReference LocalObjectReference inline',
    2: 'items []KeyToPath',
    4: 'optional bool keep',
  },
  'v1.DownwardAPIProjection': { 1: 'items []DownwardAPIVolumeFile' },
  'v1.ServiceAccountTokenProjection': {
    1: 'audience string',
    2: 'expirationSeconds int64 keep',
    3: 'path string keep',
  },
  'v1.CSIVolumeSource': {
    1: 'driver string keep',
    2: 'readOnly bool keep',
    3: 'fsType string keep',
    4: 'volumeAttributes map<string>',
    5: 'nodePublishSecretRef LocalObjectReference',
  },
  'v1.ImageVolumeSource': { 1: 'reference string', 2: 'pullPolicy string' },
  'v1.EphemeralVolumeSource': { 1: 'volumeClaimTemplate PersistentVolumeClaimTemplate' },
  'v1.PersistentVolumeClaimTemplate': {
    1: 'metadata meta/v1.ObjectMeta',
    2: 'spec PersistentVolumeClaimSpec',
  },
  'v1.PersistentVolumeClaim': {
    1: 'metadata meta/v1.ObjectMeta',
    2: 'spec PersistentVolumeClaimSpec',
    3: 'status PersistentVolumeClaimStatus',
  },
  'v1.PersistentVolumeClaimSpec': {
    1: 'accessModes []string',
    2: 'resources VolumeResourceRequirements',
    3: 'volumeName string',
    4: 'selector meta/v1.LabelSelector',
    5: 'storageClassName string keep',
    6: 'volumeMode string keep',
    7: 'dataSource TypedLocalObjectReference',
    8: 'dataSourceRef TypedObjectReference',
    9: 'volumeAttributesClassName string keep',
  },
  'v1.VolumeResourceRequirements': {
    1: 'limits map<resource.Quantity>',
    2: 'requests map<resource.Quantity>',
  },
  'v1.TypedLocalObjectReference': { 1: 'apiGroup string keep', 2: 'kind string keep', 3: 'name string keep' },
  'v1.TypedObjectReference': {
    1: 'apiGroup string keep',
    2: 'kind string keep',
    3: 'name string keep',
    4: 'namespace string keep',
  },
  'v1.PersistentVolumeClaimStatus': {
    1: 'phase string',
    2: 'accessModes []string',
    3: 'capacity map<resource.Quantity>',
    4: 'conditions []PersistentVolumeClaimCondition',
    5: 'allocatedResources map<resource.Quantity>',
    7: 'allocatedResourceStatuses map<string>',
    8: 'currentVolumeAttributesClassName string keep',
    9: 'modifyVolumeStatus ModifyVolumeStatus',
  },
  'v1.PersistentVolumeClaimCondition': {
    1: 'type string keep',
    2: 'status string keep',
    3: 'lastProbeTime meta/v1.Time',
    4: 'lastTransitionTime meta/v1.Time',
    5: 'reason string',
    6: 'message string',
  },
  'v1.ModifyVolumeStatus': { 1: 'targetVolumeAttributesClassName string', 2: 'status string keep' },

  // ---- apps/v1 ----
  'apps/v1.Deployment': {
    1: 'metadata meta/v1.ObjectMeta',
    2: 'spec DeploymentSpec',
    3: 'status DeploymentStatus',
  },
  'apps/v1.DeploymentSpec': {
    1: 'replicas int32 keep',
    2: 'selector meta/v1.LabelSelector',
    3: 'template v1.PodTemplateSpec',
    4: 'strategy DeploymentStrategy',
    5: 'minReadySeconds int32',
    6: 'revisionHistoryLimit int32 keep',
    7: 'paused bool',
    9: 'progressDeadlineSeconds int32 keep',
  },
  'apps/v1.DeploymentStrategy': { 1: 'type string', 2: 'rollingUpdate RollingUpdateDeployment' },
  'apps/v1.RollingUpdateDeployment': {
    1: 'maxUnavailable intstr.IntOrString',
    2: 'maxSurge intstr.IntOrString',
  },
  'apps/v1.DeploymentStatus': {
    1: 'observedGeneration int64',
    2: 'replicas int32',
    3: 'updatedReplicas int32',
    4: 'availableReplicas int32',
    5: 'unavailableReplicas int32',
    6: 'conditions []DeploymentCondition',
    7: 'readyReplicas int32',
    8: 'collisionCount int32 keep',
  },
  'apps/v1.DeploymentCondition': {
    1: 'type string keep',
    2: 'status string keep',
    4: 'reason string',
    5: 'message string',
    6: 'lastUpdateTime meta/v1.Time',
    7: 'lastTransitionTime meta/v1.Time',
  },
  'apps/v1.ReplicaSet': {
    1: 'metadata meta/v1.ObjectMeta',
    2: 'spec ReplicaSetSpec',
    3: 'status ReplicaSetStatus',
  },
  'apps/v1.ReplicaSetSpec': {
    1: 'replicas int32 keep',
    2: 'selector meta/v1.LabelSelector',
    3: 'template v1.PodTemplateSpec',
    4: 'minReadySeconds int32',
  },
  'apps/v1.ReplicaSetStatus': {
    1: 'replicas int32 keep',
    2: 'fullyLabeledReplicas int32',
    3: 'observedGeneration int64',
    4: 'readyReplicas int32',
    5: 'availableReplicas int32',
    6: 'conditions []ReplicaSetCondition',
  },
  'apps/v1.ReplicaSetCondition': {
    1: 'type string keep',
    2: 'status string keep',
    3: 'lastTransitionTime meta/v1.Time',
    4: 'reason string',
    5: 'message string',
  },
  'apps/v1.StatefulSet': {
    1: 'metadata meta/v1.ObjectMeta',
    2: 'spec StatefulSetSpec',
    3: 'status StatefulSetStatus',
  },
  'apps/v1.StatefulSetSpec': {
    1: 'replicas int32 keep',
    2: 'selector meta/v1.LabelSelector',
    3: 'template v1.PodTemplateSpec',
    4: 'volumeClaimTemplates []v1.PersistentVolumeClaim',
    5: 'serviceName string keep',
    6: 'podManagementPolicy string',
    7: 'updateStrategy StatefulSetUpdateStrategy',
    8: 'revisionHistoryLimit int32 keep',
    9: 'minReadySeconds int32',
    10: 'persistentVolumeClaimRetentionPolicy StatefulSetPersistentVolumeClaimRetentionPolicy',
    11: 'ordinals StatefulSetOrdinals',
  },
  'apps/v1.StatefulSetUpdateStrategy': {
    1: 'type string',
    2: 'rollingUpdate RollingUpdateStatefulSetStrategy',
  },
  'apps/v1.RollingUpdateStatefulSetStrategy': {
    1: 'partition int32 keep',
    2: 'maxUnavailable intstr.IntOrString',
  },
  'apps/v1.StatefulSetPersistentVolumeClaimRetentionPolicy': {
    1: 'whenDeleted string',
    2: 'whenScaled string',
  },
  'apps/v1.StatefulSetOrdinals': { 1: 'start int32 keep' },
  'apps/v1.StatefulSetStatus': {
    1: 'observedGeneration int64',
    2: 'replicas int32 keep',
    3: 'readyReplicas int32',
    4: 'currentReplicas int32',
    5: 'updatedReplicas int32',
    6: 'currentRevision string',
    7: 'updateRevision string',
    9: 'collisionCount int32 keep',
    10: 'conditions []StatefulSetCondition',
    11: 'availableReplicas int32 keep',
  },
  'apps/v1.StatefulSetCondition': {
    1: 'type string keep',
    2: 'status string keep',
    3: 'lastTransitionTime meta/v1.Time',
    4: 'reason string',
    5: 'message string',
  },
  'apps/v1.DaemonSet': {
    1: 'metadata meta/v1.ObjectMeta',
    2: 'spec DaemonSetSpec',
    3: 'status DaemonSetStatus',
  },
  'apps/v1.DaemonSetSpec': {
    1: 'selector meta/v1.LabelSelector',
    2: 'template v1.PodTemplateSpec',
    3: 'updateStrategy DaemonSetUpdateStrategy',
    4: 'minReadySeconds int32',
    6: 'revisionHistoryLimit int32 keep',
  },
  'apps/v1.DaemonSetUpdateStrategy': { 1: 'type string', 2: 'rollingUpdate RollingUpdateDaemonSet' },
  'apps/v1.RollingUpdateDaemonSet': {
    1: 'maxUnavailable intstr.IntOrString',
    2: 'maxSurge intstr.IntOrString',
  },
  'apps/v1.DaemonSetStatus': {
    1: 'currentNumberScheduled int32 keep',
    2: 'numberMisscheduled int32 keep',
    3: 'desiredNumberScheduled int32 keep',
    4: 'numberReady int32 keep',
    5: 'observedGeneration int64',
    6: 'updatedNumberScheduled int32',
    7: 'numberAvailable int32',
    8: 'numberUnavailable int32',
    9: 'collisionCount int32 keep',
    10: 'conditions []DaemonSetCondition',
  },
  'apps/v1.DaemonSetCondition': {
    1: 'type string keep',
    2: 'status string keep',
    3: 'lastTransitionTime meta/v1.Time',
    4: 'reason string',
    5: 'message string',
  },

  // ---- batch/v1 ----
  'batch/v1.Job': { 1: 'metadata meta/v1.ObjectMeta', 2: 'spec JobSpec', 3: 'status JobStatus' },
  'batch/v1.JobSpec': {
    1: 'parallelism int32 keep',
    2: 'completions int32 keep',
    3: 'activeDeadlineSeconds int64 keep',
    4: 'selector meta/v1.LabelSelector',
    5: 'manualSelector bool keep',
    6: 'template v1.PodTemplateSpec',
    7: 'backoffLimit int32 keep',
    8: 'ttlSecondsAfterFinished int32 keep',
    9: 'completionMode string keep',
    10: 'suspend bool keep',
    12: 'backoffLimitPerIndex int32 keep',
    13: 'maxFailedIndexes int32 keep',
    14: 'podReplacementPolicy string keep',
    15: 'managedBy string keep',
  },
  'batch/v1.JobStatus': {
    1: 'conditions []JobCondition',
    2: 'startTime meta/v1.Time',
    3: 'completionTime meta/v1.Time',
    4: 'active int32',
    5: 'succeeded int32',
    6: 'failed int32',
    7: 'completedIndexes string',
    9: 'ready int32 keep',
    10: 'failedIndexes string keep',
    11: 'terminating int32 keep',
  },
  'batch/v1.JobCondition': {
    1: 'type string keep',
    2: 'status string keep',
    3: 'lastProbeTime meta/v1.Time',
    4: 'lastTransitionTime meta/v1.Time',
    5: 'reason string',
    6: 'message string',
  },
  'batch/v1.CronJob': { 1: 'metadata meta/v1.ObjectMeta', 2: 'spec CronJobSpec', 3: 'status CronJobStatus' },
  'batch/v1.CronJobSpec': {
    1: 'schedule string keep',
    2: 'startingDeadlineSeconds int64 keep',
    3: 'concurrencyPolicy string',
    4: 'suspend bool keep',
    5: 'jobTemplate JobTemplateSpec',
    6: 'successfulJobsHistoryLimit int32 keep',
    7: 'failedJobsHistoryLimit int32 keep',
    8: 'timeZone string keep',
  },
  'batch/v1.JobTemplateSpec': { 1: 'metadata meta/v1.ObjectMeta', 2: 'spec JobSpec' },
  'batch/v1.CronJobStatus': {
    1: 'active []v1.ObjectReference',
    4: 'lastScheduleTime meta/v1.Time',
    5: 'lastSuccessfulTime meta/v1.Time',
  },

  // ---- autoscaling/v1 ----
  'autoscaling/v1.HorizontalPodAutoscaler': {
    1: 'metadata meta/v1.ObjectMeta',
    2: 'spec HorizontalPodAutoscalerSpec',
    3: 'status HorizontalPodAutoscalerStatus',
  },
  'autoscaling/v1.HorizontalPodAutoscalerSpec': {
    1: 'scaleTargetRef CrossVersionObjectReference',
    2: 'minReplicas int32 keep',
    3: 'maxReplicas int32 keep',
    4: 'targetCPUUtilizationPercentage int32 keep',
  },
  'autoscaling/v1.CrossVersionObjectReference': {
    1: 'kind string keep',
    2: 'name string keep',
    3: 'apiVersion string',
  },
  'autoscaling/v1.HorizontalPodAutoscalerStatus': {
    1: 'observedGeneration int64 keep',
    2: 'lastScaleTime meta/v1.Time',
    3: 'currentReplicas int32 keep',
    4: 'desiredReplicas int32 keep',
    5: 'currentCPUUtilizationPercentage int32 keep',
  },
  'autoscaling/v1.Scale': { 1: 'metadata meta/v1.ObjectMeta', 2: 'spec ScaleSpec', 3: 'status ScaleStatus' },
  'autoscaling/v1.ScaleSpec': { 1: 'replicas int32' },
  'autoscaling/v1.ScaleStatus': { 1: 'replicas int32 keep', 2: 'selector string' },

  // ---- autoscaling/v2 ----
  'autoscaling/v2.HorizontalPodAutoscaler': {
    1: 'metadata meta/v1.ObjectMeta',
    2: 'spec HorizontalPodAutoscalerSpec',
    3: 'status HorizontalPodAutoscalerStatus',
  },
  'autoscaling/v2.HorizontalPodAutoscalerSpec': {
    1: 'scaleTargetRef CrossVersionObjectReference',
    2: 'minReplicas int32 keep',
    3: 'maxReplicas int32 keep',
    4: 'metrics []MetricSpec',
    5: 'behavior HorizontalPodAutoscalerBehavior',
  },
  'autoscaling/v2.CrossVersionObjectReference': {
    1: 'kind string keep',
    2: 'name string keep',
    3: 'apiVersion string',
  },
  'autoscaling/v2.MetricSpec': {
    1: 'type string keep',
    2: 'object ObjectMetricSource',
    3: 'pods PodsMetricSource',
    4: 'resource ResourceMetricSource',
    5: 'external ExternalMetricSource',
    7: 'containerResource ContainerResourceMetricSource',
  },
  'autoscaling/v2.ObjectMetricSource': {
    1: 'describedObject CrossVersionObjectReference',
    2: 'target MetricTarget',
    3: 'metric MetricIdentifier',
  },
  'autoscaling/v2.PodsMetricSource': { 1: 'metric MetricIdentifier', 2: 'target MetricTarget' },
  'autoscaling/v2.ResourceMetricSource': { 1: 'name string keep', 2: 'target MetricTarget' },
  'autoscaling/v2.ContainerResourceMetricSource': {
    1: 'name string keep',
    2: 'target MetricTarget',
    3: 'container string keep',
  },
  'autoscaling/v2.ExternalMetricSource': { 1: 'metric MetricIdentifier', 2: 'target MetricTarget' },
  'autoscaling/v2.MetricIdentifier': { 1: 'name string keep', 2: 'selector meta/v1.LabelSelector' },
  'autoscaling/v2.MetricTarget': {
    1: 'type string keep',
    2: 'value resource.Quantity',
    3: 'averageValue resource.Quantity',
    4: 'averageUtilization int32 keep',
  },
  'autoscaling/v2.HorizontalPodAutoscalerBehavior': {
    1: 'scaleUp HPAScalingRules',
    2: 'scaleDown HPAScalingRules',
  },
  'autoscaling/v2.HPAScalingRules': {
    1: 'selectPolicy string keep',
    2: 'policies []HPAScalingPolicy',
    3: 'stabilizationWindowSeconds int32 keep',
  },
  'autoscaling/v2.HPAScalingPolicy': {
    1: 'type string keep',
    2: 'value int32 keep',
    3: 'periodSeconds int32 keep',
  },
  'autoscaling/v2.HorizontalPodAutoscalerStatus': {
    1: 'observedGeneration int64 keep',
    2: 'lastScaleTime meta/v1.Time',
    3: 'currentReplicas int32',
    4: 'desiredReplicas int32 keep',
    6: 'conditions []HorizontalPodAutoscalerCondition',
  },
  'autoscaling/v2.HorizontalPodAutoscalerCondition': {
    1: 'type string keep',
    2: 'status string keep',
    3: 'lastTransitionTime meta/v1.Time',
    4: 'reason string',
    5: 'message string',
  },

  // ---- policy/v1 ----
  'policy/v1.PodDisruptionBudget': {
    1: 'metadata meta/v1.ObjectMeta',
    2: 'spec PodDisruptionBudgetSpec',
    3: 'status PodDisruptionBudgetStatus',
  },
  'policy/v1.PodDisruptionBudgetSpec': {
    1: 'minAvailable intstr.IntOrString',
    2: 'selector meta/v1.LabelSelector',
    3: 'maxUnavailable intstr.IntOrString',
    4: 'unhealthyPodEvictionPolicy string keep',
  },
  'policy/v1.PodDisruptionBudgetStatus': {
    1: 'observedGeneration int64',
    2: 'disruptedPods map<meta/v1.Time>',
    3: 'disruptionsAllowed int32 keep',
    4: 'currentHealthy int32 keep',
    5: 'desiredHealthy int32 keep',
    6: 'expectedPods int32 keep',
    7: 'conditions []meta/v1.Condition',
  },
  'policy/v1.Eviction': { 1: 'metadata meta/v1.ObjectMeta', 2: 'deleteOptions meta/v1.DeleteOptions' },

  // ---- coordination.k8s.io/v1 ----
  'coordination.k8s.io/v1.Lease': { 1: 'metadata meta/v1.ObjectMeta', 2: 'spec LeaseSpec' },
  'coordination.k8s.io/v1.LeaseSpec': {
    1: 'holderIdentity string keep',
    2: 'leaseDurationSeconds int32 keep',
    3: 'acquireTime meta/v1.MicroTime',
    4: 'renewTime meta/v1.MicroTime',
    5: 'leaseTransitions int32 keep',
    6: 'strategy string keep',
    7: 'preferredHolder string keep',
  },

  // ---- networking.k8s.io/v1 ----
  'networking.k8s.io/v1.Ingress': {
    1: 'metadata meta/v1.ObjectMeta',
    2: 'spec IngressSpec',
    3: 'status IngressStatus',
  },
  'networking.k8s.io/v1.IngressSpec': {
    1: 'defaultBackend IngressBackend',
    2: 'tls []IngressTLS',
    3: 'rules []IngressRule',
    4: 'ingressClassName string keep',
  },
  'networking.k8s.io/v1.IngressBackend': {
    3: 'resource v1.TypedLocalObjectReference',
    4: 'service IngressServiceBackend',
  },
  'networking.k8s.io/v1.IngressServiceBackend': { 1: 'name string keep', 2: 'port ServiceBackendPort' },
  'networking.k8s.io/v1.ServiceBackendPort': { 1: 'name string', 2: 'number int32' },
  'networking.k8s.io/v1.IngressTLS': { 1: 'hosts []string', 2: 'secretName string' },
  'networking.k8s.io/v1.IngressRule': { 1: 'host string', 2: 'ingressRuleValue IngressRuleValue inline' },
  'networking.k8s.io/v1.IngressRuleValue': { 1: 'http HTTPIngressRuleValue' },
  'networking.k8s.io/v1.HTTPIngressRuleValue': { 1: 'paths []HTTPIngressPath' },
  'networking.k8s.io/v1.HTTPIngressPath': {
    1: 'path string',
    2: 'backend IngressBackend',
    3: 'pathType string keep',
  },
  'networking.k8s.io/v1.IngressStatus': { 1: 'loadBalancer IngressLoadBalancerStatus' },
  'networking.k8s.io/v1.IngressLoadBalancerStatus': { 1: 'ingress []IngressLoadBalancerIngress' },
  'networking.k8s.io/v1.IngressLoadBalancerIngress': {
    1: 'ip string',
    2: 'hostname string',
    4: 'ports []IngressPortStatus',
  },
  'networking.k8s.io/v1.IngressPortStatus': {
    1: 'port int32 keep',
    2: 'protocol string keep',
    3: 'error string keep',
  },

  // ---- rbac.authorization.k8s.io/v1 ----
  'rbac.authorization.k8s.io/v1.Role': { 1: 'metadata meta/v1.ObjectMeta', 2: 'rules []PolicyRule' },
  'rbac.authorization.k8s.io/v1.ClusterRole': {
    1: 'metadata meta/v1.ObjectMeta',
    2: 'rules []PolicyRule',
    3: 'aggregationRule AggregationRule',
  },
  'rbac.authorization.k8s.io/v1.PolicyRule': {
    1: 'verbs []string',
    2: 'apiGroups []string',
    3: 'resources []string',
    4: 'resourceNames []string',
    5: 'nonResourceURLs []string',
  },
  'rbac.authorization.k8s.io/v1.AggregationRule': { 1: 'clusterRoleSelectors []meta/v1.LabelSelector' },
  'rbac.authorization.k8s.io/v1.RoleBinding': {
    1: 'metadata meta/v1.ObjectMeta',
    2: 'subjects []Subject',
    3: 'roleRef RoleRef',
  },
  'rbac.authorization.k8s.io/v1.ClusterRoleBinding': {
    1: 'metadata meta/v1.ObjectMeta',
    2: 'subjects []Subject',
    3: 'roleRef RoleRef',
  },
  'rbac.authorization.k8s.io/v1.Subject': {
    1: 'kind string keep',
    2: 'apiGroup string',
    3: 'name string keep',
    4: 'namespace string',
  },
  'rbac.authorization.k8s.io/v1.RoleRef': {
    1: 'apiGroup string keep',
    2: 'kind string keep',
    3: 'name string keep',
  },

  // ---- scheduling.k8s.io/v1 ----
  'scheduling.k8s.io/v1.PriorityClass': {
    1: 'metadata meta/v1.ObjectMeta',
    2: 'value int32 keep',
    3: 'globalDefault bool',
    4: 'description string',
    5: 'preemptionPolicy string keep',
  },
}

const messages: ReadonlyMap<string, ReadonlyMap<number, FieldSchema>> = compileTable(messageTable)
