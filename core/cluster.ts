// The replicated state machine of the cluster itself: who the members are and what role each
// holds, the cluster settings, the hashes of the API tokens, and the small key-value store that
// tests, benchmarks and chaos workloads use. Every replica applies the same commands in the same
// order, so `apply` is a pure function of the state and the command: no clock, no randomness;
// anything that must vary (ids, times) arrives inside the command, fixed by the leader.

import { Packr } from 'msgpackr'
import type { KubeObject } from './api/object.ts'
import { type ApiCommand, type ApiResult, ObjectStore, type WatchChange } from './api/store.ts'
import { frame, unframe } from './framed.ts'

export type MemberRole = 'voter' | 'standby' | 'worker'

export interface Member {
  readonly id: string
  readonly name: string
  readonly p2pAddresses: readonly string[]
  readonly apiAddress: string
  readonly role: MemberRole
  /** The log index of the command that admitted it. */
  readonly joinedIndex: number
}

export interface ClusterSettings {
  /** Raft voters the autopilot keeps: 1, 3 or 5. */
  readonly voters: number
  /** Standbys (learners with a full replica) the autopilot keeps ready. */
  readonly standbys: number
  /** A voter unreachable this long is replaced. */
  readonly autopilotGraceMs: number
  readonly nodeNotReadyGraceMs: number
  readonly evictionTimeoutMs: number
}

export const defaultSettings: ClusterSettings = {
  voters: 3,
  standbys: 2,
  autopilotGraceMs: 10_000,
  nodeNotReadyGraceMs: 10_000,
  evictionTimeoutMs: 5_000,
}

export const allowedVoterCounts: readonly number[] = [1, 3, 5]
export const standbysMax = 9
/** Keys are path segments of the key-value endpoint. */
export const kvKeyBytesMax = 1024
export const kvValueBytesMax = 1024 * 1024

export interface KvRecord {
  readonly value: Uint8Array
  /** The log index of the write that set it: the ETag of the key-value endpoint. */
  readonly version: number
}

export type Command =
  | {
      readonly type: 'bootstrap'
      readonly clusterId: string
      readonly settings: ClusterSettings
      readonly member: Omit<Member, 'role' | 'joinedIndex'>
      readonly tokenHashes: readonly TokenHash[]
    }
  | {
      readonly type: 'join'
      readonly member: Omit<Member, 'role' | 'joinedIndex'>
      /** `worker` forces the worker role; `auto` lets the cluster decide. */
      readonly wants: 'auto' | 'worker'
    }
  | { readonly type: 'setRole'; readonly id: string; readonly role: MemberRole }
  /** The autopilot's replacement of a dead voter: in one decision, so no count ever overshoots. */
  | { readonly type: 'replaceVoter'; readonly dead: string; readonly standby: string }
  | { readonly type: 'remove'; readonly id: string }
  | { readonly type: 'settings'; readonly settings: Partial<ClusterSettings> }
  | { readonly type: 'addToken'; readonly token: TokenHash }
  | {
      readonly type: 'kvPut'
      readonly key: string
      readonly value: Uint8Array
      /** Compare-and-set: the version the key must have (0: must be absent). */
      readonly ifVersion?: number
    }
  | { readonly type: 'kvDelete'; readonly key: string; readonly ifVersion?: number }
  /** A write to the Kubernetes API objects. */
  | { readonly type: 'api'; readonly command: ApiCommand }

export interface TokenHash {
  /** SHA-256 of the bearer token, hex. The token itself never enters the log. */
  readonly sha256: string
  readonly access: 'admin' | 'read'
}

export type CommandResult =
  | {
      readonly ok: true
      readonly role?: MemberRole
      readonly version?: number
      readonly created?: boolean
      readonly api?: ApiResult
    }
  | { readonly ok: false; readonly code: 'preconditionFailed'; readonly version: number }
  | { readonly ok: false; readonly code: 'notFound' | 'invalid'; readonly message: string }

export class ClusterState {
  clusterId = ''
  settings: ClusterSettings = defaultSettings
  readonly members = new Map<string, Member>()
  /** Members removed from the cluster: one that returns must discard its log and join again. */
  readonly removed = new Set<string>()
  readonly tokens = new Map<string, TokenHash>()
  readonly kv = new Map<string, KvRecord>()
  objects = new ObjectStore()
  /** The watch events of the last command applied (API objects only). */
  lastChanges: readonly WatchChange[] = []

  count(role: MemberRole): number {
    let n = 0
    for (const member of this.members.values()) if (member.role === role) n++
    return n
  }

  memberByName(nameOrId: string): Member | undefined {
    const byId = this.members.get(nameOrId)
    if (byId) return byId
    for (const member of this.members.values()) if (member.name === nameOrId) return member
    return undefined
  }

  /** Applies one committed command; `index` is its log index. Invalid commands change nothing. */
  apply(index: number, command: Command): CommandResult {
    this.lastChanges = []
    switch (command.type) {
      case 'bootstrap': {
        if (this.clusterId !== '') return invalid('the cluster is already bootstrapped')
        if (command.clusterId === '') return invalid('a cluster id is required')
        const problem = settingsProblem(command.settings)
        if (problem) return invalid(problem)
        this.clusterId = command.clusterId
        this.settings = command.settings
        this.members.set(command.member.id, { ...command.member, role: 'voter', joinedIndex: index })
        for (const token of command.tokenHashes) this.tokens.set(token.sha256, token)
        return { ok: true, role: 'voter' }
      }
      case 'join': {
        const existing = this.members.get(command.member.id)
        if (existing) {
          // A member that asks again (it restarted mid-join, or its address changed) keeps its role.
          this.members.set(existing.id, { ...existing, ...command.member })
          return { ok: true, role: existing.role }
        }
        this.removed.delete(command.member.id)
        const role = this.#roleForJoiner(command.wants)
        this.members.set(command.member.id, { ...command.member, role, joinedIndex: index })
        return { ok: true, role }
      }
      case 'setRole': {
        const member = this.members.get(command.id)
        if (!member) return notFound(command.id)
        this.members.set(member.id, { ...member, role: command.role })
        return { ok: true, role: command.role }
      }
      case 'replaceVoter': {
        const dead = this.members.get(command.dead)
        const standby = this.members.get(command.standby)
        if (dead?.role !== 'voter') return invalid(`${command.dead} is not a voter`)
        if (standby?.role !== 'standby') return invalid(`${command.standby} is not a standby`)
        this.members.set(standby.id, { ...standby, role: 'voter' })
        this.members.delete(dead.id)
        this.removed.add(dead.id)
        return { ok: true }
      }
      case 'remove': {
        if (!this.members.delete(command.id)) return notFound(command.id)
        this.removed.add(command.id)
        return { ok: true }
      }
      case 'settings': {
        const next = { ...this.settings, ...command.settings }
        const problem = settingsProblem(next)
        if (problem) return invalid(problem)
        this.settings = next
        return { ok: true }
      }
      case 'addToken':
        this.tokens.set(command.token.sha256, command.token)
        return { ok: true }
      case 'kvPut': {
        const current = this.kv.get(command.key)
        if (command.ifVersion !== undefined && (current?.version ?? 0) !== command.ifVersion) {
          return { ok: false, code: 'preconditionFailed', version: current?.version ?? 0 }
        }
        this.kv.set(command.key, { value: command.value, version: index })
        return { ok: true, version: index, created: current === undefined }
      }
      case 'kvDelete': {
        const current = this.kv.get(command.key)
        if (!current) return notFound(command.key)
        if (command.ifVersion !== undefined && current.version !== command.ifVersion) {
          return { ok: false, code: 'preconditionFailed', version: current.version }
        }
        this.kv.delete(command.key)
        return { ok: true, version: index }
      }
      case 'api': {
        const { result, changes } = this.objects.apply(index, command.command)
        this.lastChanges = changes
        return { ok: true, api: result }
      }
      default:
        return invalid(`unknown command type ${String((command as { type?: unknown }).type)}`)
    }
  }

  #roleForJoiner(wants: 'auto' | 'worker'): MemberRole {
    if (wants === 'worker') return 'worker'
    if (this.count('voter') < this.settings.voters) return 'voter'
    if (this.count('standby') < this.settings.standbys) return 'standby'
    return 'worker'
  }

  encode(): Uint8Array {
    const encoder = this.encoder()
    for (;;) {
      const step = encoder.next()
      if (step.done) return step.value
    }
  }

  /**
   * The state as it is now, encoded a slice at a time: each `next()` packs one chunk of objects,
   * and the last returns the bytes `encode()` gives. A snapshot of a large state is taken this way
   * so that it does not stall the thread (and with it Raft's heartbeats) for seconds. Writes made
   * meanwhile do not change what it encodes: the store replaces objects, it never mutates them.
   */
  encoder(): Iterator<void, Uint8Array, undefined> {
    return encodeStateInSlices(captureState(this))
  }

  static decode(bytes: Uint8Array): ClusterState {
    return decodeState(bytes)
  }
}

/** Why these settings cannot be, or null when they can. */
export function settingsProblem(settings: ClusterSettings): string | null {
  if (!allowedVoterCounts.includes(settings.voters)) {
    return `voters must be one of ${allowedVoterCounts.join(', ')} (got ${settings.voters})`
  }
  if (!Number.isInteger(settings.standbys) || settings.standbys < 0 || settings.standbys > standbysMax) {
    return `standbys must be an integer from 0 to ${standbysMax} (got ${settings.standbys})`
  }
  for (const key of ['autopilotGraceMs', 'nodeNotReadyGraceMs', 'evictionTimeoutMs'] as const) {
    const value = settings[key]
    if (!Number.isInteger(value) || value < 100 || value > 86_400_000) {
      return `${key} must be a whole number of milliseconds from 100 to 86400000 (got ${value})`
    }
  }
  return null
}

const invalid = (message: string): CommandResult => ({ ok: false, code: 'invalid', message })
const notFound = (what: string): CommandResult => ({
  ok: false,
  code: 'notFound',
  message: `${what} not found`,
})

// ---------------------------------------------------------------- formats

export const commandFormatVersion = 1
export const stateFormatVersion = 2

// copyBuffers: decoded values must not be views into a log entry or snapshot buffer they outlive.
const packr = new Packr({ useRecords: false, moreTypes: false, copyBuffers: true })

export class ClusterFormatError extends Error {
  static override readonly name = 'ClusterFormatError'
  readonly code = 'ERR_CLUSTER_FORMAT'
  constructor(message: string) {
    super(message)
    this.name = 'ClusterFormatError'
  }
}

function versioned(version: number, value: unknown): Uint8Array {
  const body = packr.pack(value)
  const out = new Uint8Array(body.length + 1)
  out[0] = version
  out.set(body, 1)
  return out
}

function unversioned(what: string, version: number, bytes: Uint8Array): unknown {
  if (bytes.length < 2) throw new ClusterFormatError(`${what}: too short (${bytes.length} bytes)`)
  if (bytes[0] !== version) {
    throw new ClusterFormatError(`${what}: format ${bytes[0]} is not supported (this build reads ${version})`)
  }
  try {
    return packr.unpack(bytes.subarray(1))
  } catch (error) {
    throw new ClusterFormatError(`${what}: malformed (${(error as Error).message})`)
  }
}

export const encodeCommand = (command: Command): Uint8Array => versioned(commandFormatVersion, command)
const commandTypes: ReadonlySet<string> = new Set([
  'bootstrap',
  'join',
  'setRole',
  'replaceVoter',
  'remove',
  'settings',
  'addToken',
  'kvPut',
  'kvDelete',
  'api',
])

export function decodeCommand(bytes: Uint8Array): Command {
  const command = unversioned('cluster command', commandFormatVersion, bytes) as {
    type?: unknown
    value?: unknown
  }
  if (typeof command !== 'object' || command === null || !commandTypes.has(command.type as string)) {
    throw new ClusterFormatError(
      `cluster command: not a known command (${JSON.stringify(command)?.slice(0, 80)})`,
    )
  }
  if (command.type === 'kvPut' && !(command.value instanceof Uint8Array)) {
    throw new ClusterFormatError('cluster command: kvPut without a binary value')
  }
  return command as Command
}

/** Objects packed together in one slice of a state's encoding (a few milliseconds' work). */
export const objectsPerStateChunk = 256

type ObjectData = ReturnType<ObjectStore['toData']>

interface EncodedState {
  readonly clusterId: string
  readonly settings: ClusterSettings
  readonly members: Member[]
  readonly removed: string[]
  readonly tokens: TokenHash[]
  readonly kv: [string, Uint8Array, number][]
  /** Format 1: the objects themselves. */
  readonly objects?: ObjectData
}

/**
 * Format 2 is framed (framed.ts): the packed header, then the chunks' bytes one after another.
 * Each chunk packs up to objectsPerStateChunk objects of one resource; the header says which
 * resource and how many bytes each chunk has.
 */
interface StateHeader extends Omit<EncodedState, 'objects'> {
  readonly resources: ObjectData['resources']
  readonly chunks: [resourceKey: string, bytes: number][]
}

type CapturedState = Omit<EncodedState, 'objects'> & { objects: ObjectData }

/** Copies of everything the state holds, taken at once; the objects themselves are shared. */
function captureState(state: ClusterState): CapturedState {
  return {
    clusterId: state.clusterId,
    settings: structuredClone(state.settings),
    members: structuredClone([...state.members.values()]),
    removed: [...state.removed],
    tokens: structuredClone([...state.tokens.values()]),
    kv: [...state.kv].map(([key, record]) => [key, record.value, record.version]),
    objects: state.objects.toData(),
  }
}

function* encodeStateInSlices(captured: CapturedState): Generator<void, Uint8Array, undefined> {
  const { objects, ...rest } = captured
  const keys: string[] = []
  const chunks: Uint8Array[] = []
  for (const [key, list] of objects.objects) {
    for (let start = 0; start < list.length; start += objectsPerStateChunk) {
      keys.push(key)
      chunks.push(packr.pack(list.slice(start, start + objectsPerStateChunk)))
      yield
    }
  }
  const header: StateHeader = {
    ...rest,
    resources: objects.resources,
    chunks: chunks.map((chunk, i) => [keys[i]!, chunk.length]),
  }
  return frame(stateFormatVersion, packr.pack(header), chunks)
}

/** A format-2 state as format 1 has it: the header's fields and the objects unpacked. */
function unframeState(bytes: Uint8Array): EncodedState {
  const malformed = (why: string) => new ClusterFormatError(`cluster state: malformed (${why})`)
  const framed = unframe(bytes, 'header')
  if (typeof framed === 'string') throw new ClusterFormatError(`cluster state: ${framed}`)
  try {
    const { resources, chunks, ...rest } = packr.unpack(framed.header) as StateHeader
    const { body } = framed
    let offset = 0
    const objects: ObjectData['objects'] = []
    for (const [key, length] of chunks) {
      if (offset + length > body.length) throw malformed('a chunk runs past the end')
      objects.push([key, packr.unpack(body.subarray(offset, offset + length)) as KubeObject[]])
      offset += length
    }
    if (offset !== body.length) throw malformed(`${body.length - offset} bytes after the last chunk`)
    return { ...rest, objects: { resources, objects } }
  } catch (error) {
    if (error instanceof ClusterFormatError) throw error
    throw malformed((error as Error).message)
  }
}

function decodeState(bytes: Uint8Array): ClusterState {
  // Format 1 (everything packed at once) is still read: snapshots written before format 2.
  const encoded =
    bytes[0] === 1
      ? (unversioned('cluster state', 1, bytes) as EncodedState)
      : bytes[0] === stateFormatVersion
        ? unframeState(bytes)
        : (unversioned('cluster state', stateFormatVersion, bytes) as EncodedState)
  const state = new ClusterState()
  state.clusterId = encoded.clusterId
  state.settings = { ...defaultSettings, ...encoded.settings }
  for (const member of encoded.members) state.members.set(member.id, member)
  for (const id of encoded.removed) state.removed.add(id)
  for (const token of encoded.tokens) state.tokens.set(token.sha256, token)
  for (const [key, value, version] of encoded.kv) state.kv.set(key, { value, version })
  state.objects = ObjectStore.fromData(encoded.objects)
  return state
}
