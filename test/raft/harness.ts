// A deterministic harness for scenario tests of the Raft core: a few `Raft` nodes, each with its
// own MemoryStorage, and a manual network. Nothing moves unless the test says so: outgoing
// messages are queued, not delivered, until `deliver`/`settle`; time passes only through `tick`.
// Each node runs the host loop of raft/types.ts (send, persist, send-after-persist, apply,
// advance); `readyOnly` splits that loop so a crash can fall between taking a Ready and making it
// durable. The harness also checks, as every host would notice, that no two nodes ever apply
// different entries at one index (`conflicts`).

import { type Random, seededRandom } from '../../core/random.ts'
import type { RaftOptions } from '../../raft/options.ts'
import { type ProposalResult, Raft, type RaftRefusal, type RaftStatus } from '../../raft/raft.ts'
import { MemoryStorage } from '../../raft/storage/memory.ts'
import { persistReady, persistSnapshot } from '../../raft/storage.ts'
import type {
  ConfigChange,
  Entry,
  Membership,
  Message,
  MessageType,
  NodeId,
  ReadState,
  Ready,
  Snapshot,
} from '../../raft/types.ts'

/** The core's tunables, without what the harness itself decides (id, random, bootstrap). */
export type TunableOptions = Omit<RaftOptions, 'id' | 'random' | 'bootstrapMembership'>

export interface TestClusterOptions extends TunableOptions {
  /** Seeds every node's election jitter; printed by every harness failure. */
  readonly seed?: number
  /** Founding learners: bootstrapped with the founders' membership, as non-voters. */
  readonly learners?: readonly NodeId[]
  /** Per-node overrides of the tunables (e.g. pre-vote off on one node). */
  readonly nodeOptions?: Readonly<Record<NodeId, TunableOptions>>
}

export type MessageFilter = (message: Message) => boolean

export interface TraceEvent {
  readonly kind: 'send' | 'deliver' | 'drop'
  readonly message: Message
}

/** Two nodes applied different entries at one index: a safety violation. */
export interface ApplyConflict {
  readonly index: number
  readonly first: { readonly node: NodeId; readonly entry: string }
  readonly second: { readonly node: NodeId; readonly entry: string }
}

interface TestNode {
  readonly id: NodeId
  readonly storage: MemoryStorage
  readonly options: TunableOptions
  readonly bootstrapMembership: Membership | undefined
  raft: Raft | null
  /** A Ready taken by `readyOnly` and not yet persisted: lost if the node crashes now. */
  unpersisted: Ready | null
  /** The state machine: command payloads, restored from snapshots and extended by applies. */
  commands: string[]
  lastAppliedIndex: number
  /** This incarnation's history. */
  applied: Entry[]
  readStates: ReadState[]
  readies: Ready[]
}

const drainCyclesMax = 100
const settleRoundsMax = 1000
const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder()

export const encodeText = (text: string): Uint8Array => textEncoder.encode(text)
export const decodeText = (bytes: Uint8Array): string => textDecoder.decode(bytes)

/** A short, comparable description of an entry ("2:command:x"). */
export function describeEntry(entry: Entry): string {
  if (entry.kind === 'command') return `${entry.term}:command:${decodeText(entry.data)}`
  if (entry.kind === 'config') return `${entry.term}:config:${entry.change.type}:${entry.change.nodeId}`
  return `${entry.term}:noop`
}

/** A filter from fields: each given field must match (a list means any of its values). */
export function matching(fields: {
  readonly from?: NodeId | readonly NodeId[]
  readonly to?: NodeId | readonly NodeId[]
  readonly type?: MessageType | readonly MessageType[]
}): MessageFilter {
  const test = <T>(wanted: T | readonly T[] | undefined, value: T): boolean =>
    wanted === undefined || (Array.isArray(wanted) ? wanted.includes(value) : wanted === value)
  return (message) =>
    test(fields.from, message.from) && test(fields.to, message.to) && test(fields.type, message.type)
}

export const everything: MessageFilter = () => true
export const votes: MessageFilter = matching({ type: ['vote', 'voteResponse'] })

export class TestCluster {
  readonly seed: number
  /** Every message sent, delivered or dropped, in order. */
  readonly trace: TraceEvent[] = []
  readonly conflicts: ApplyConflict[] = []
  readonly #tunables: TunableOptions
  readonly #random: Random
  readonly #nodes = new Map<NodeId, TestNode>()
  readonly #nodeOptions: Readonly<Record<NodeId, TunableOptions>>
  #queue: Message[] = []
  readonly #cut = new Set<NodeId>()
  /** The first entry applied at each index, by whom. */
  readonly #appliedAt = new Map<number, { node: NodeId; entry: string }>()

  constructor(voters: readonly NodeId[], options: TestClusterOptions = {}) {
    const { seed = 1, learners = [], nodeOptions = {}, ...tunables } = options
    this.seed = seed
    this.#tunables = tunables
    this.#nodeOptions = nodeOptions
    this.#random = seededRandom(seed)
    const founders: Membership = { voters: [...voters].sort(), learners: [...learners].sort() }
    for (const id of [...voters, ...learners]) this.#addNode(id, founders)
  }

  get ids(): NodeId[] {
    return [...this.#nodes.keys()]
  }

  /** A node that joins later: it starts with an empty membership and learns it from the leader. */
  addNode(id: NodeId, options: TunableOptions = {}): void {
    this.#addNode(id, undefined, options)
  }

  // ---------------------------------------------------------------- the host loop

  /** One ready / send / persist / send-after-persist / apply / advance cycle; null when idle. */
  cycle(id: NodeId): Ready | null {
    const node = this.#live(id)
    const raft = node.raft!
    if (!raft.hasReady()) return null
    const ready = raft.ready()
    this.#sendAll(ready.messages)
    void persistReady(node.storage, ready) // memory storage writes synchronously
    this.#finish(node, ready)
    return ready
  }

  /**
   * The first half of a cycle: take the Ready and send only what may leave before the disk
   * write. Until `finishReady` the node holds a Ready in flight: messages to it stay queued, and
   * `crash` loses everything the Ready asked to persist.
   */
  readyOnly(id: NodeId): Ready {
    const node = this.#live(id)
    const ready = node.raft!.ready()
    node.unpersisted = ready
    this.#sendAll(ready.messages)
    return ready
  }

  /** The second half of a cycle split by `readyOnly`. */
  finishReady(id: NodeId): void {
    const node = this.#node(id)
    const ready = node.unpersisted
    if (!ready || !node.raft) throw this.#error(`${id} has no Ready in flight`)
    void persistReady(node.storage, ready)
    this.#finish(node, ready)
  }

  // ---------------------------------------------------------------- the network

  /** Queued messages matching `filter`, oldest first. */
  queued(filter: MessageFilter = everything): Message[] {
    return this.#queue.filter(filter)
  }

  /**
   * Delivers the messages queued now that match `filter`, in order, each followed by cycling its
   * receiver until idle (unless `cycle` is false). Replies are queued, not delivered. Messages to
   * a node holding an unpersisted Ready stay queued; messages to a crashed or cut node are lost.
   * Returns how many were delivered.
   */
  deliver(filter: MessageFilter = everything, { cycle = true }: { cycle?: boolean } = {}): number {
    let delivered = 0
    for (const message of this.#queue.slice()) {
      if (!filter(message)) continue
      const receiver = this.#nodes.get(message.to)
      if (receiver?.unpersisted) continue
      this.#queue.splice(this.#queue.indexOf(message), 1)
      if (!receiver?.raft || this.#isCut(message)) {
        this.trace.push({ kind: 'drop', message })
        continue
      }
      this.trace.push({ kind: 'deliver', message })
      receiver.raft.step(message)
      delivered++
      if (cycle) this.#drain(receiver)
    }
    return delivered
  }

  /** Removes the queued messages matching `filter` and returns them (for `inject` later). */
  drop(filter: MessageFilter = everything): Message[] {
    const dropped = this.#queue.filter(filter)
    this.#queue = this.#queue.filter((message) => !filter(message))
    for (const message of dropped) this.trace.push({ kind: 'drop', message })
    return dropped
  }

  /** Puts messages (typically stale ones kept from `drop`) back on the network. */
  inject(messages: readonly Message[]): void {
    for (const message of messages) this.#send(message)
  }

  /**
   * Cycles every node and delivers the messages matching `filter` until nothing moves. Other
   * messages stay queued. No time passes. Throws after a bounded number of rounds.
   */
  settle(filter: MessageFilter = everything): void {
    for (let round = 0; round < settleRoundsMax; round++) {
      for (const node of this.#nodes.values()) if (node.raft && !node.unpersisted) this.#drain(node)
      if (this.deliver(filter) === 0) return
    }
    throw this.#error(`the cluster did not settle within ${settleRoundsMax} rounds`)
  }

  /** Cuts nodes off: messages to or from them are dropped, queued ones included. */
  isolate(...ids: NodeId[]): void {
    for (const id of ids) this.#cut.add(id)
  }

  heal(): void {
    this.#cut.clear()
  }

  // ---------------------------------------------------------------- time and faults

  tick(id: NodeId, ticks = 1): void {
    const node = this.#live(id)
    for (let i = 0; i < ticks; i++) {
      node.raft!.tick()
      this.#drain(node)
    }
  }

  /** Ticks every running node `ticks` times; messages stay queued. */
  tickAll(ticks = 1): void {
    for (let i = 0; i < ticks; i++) {
      for (const node of this.#nodes.values()) if (node.raft && !node.unpersisted) this.tick(node.id)
    }
  }

  /** Time passes with the network working: each tick is followed by `settle()`. */
  run(ticks: number): void {
    for (let i = 0; i < ticks; i++) {
      this.tickAll()
      this.settle()
    }
  }

  /** The node loses its core and whatever it had not persisted (an unpersisted Ready included). */
  crash(id: NodeId): void {
    const node = this.#node(id)
    node.raft = null
    node.unpersisted = null
  }

  /** Reopens a node from what its storage holds, restoring its state machine from the snapshot. */
  restart(id: NodeId): void {
    const node = this.#node(id)
    if (node.raft) throw this.#error(`${id} is running; crash it first`)
    const durable = node.storage.durable()
    node.raft = new Raft(
      {
        ...this.#tunables,
        ...node.options,
        id,
        random: this.#random.fork(),
        bootstrapMembership: node.bootstrapMembership,
      },
      durable,
    )
    node.commands = durable.snapshot ? decodeState(durable.snapshot.data) : []
    node.lastAppliedIndex = durable.snapshot?.meta.index ?? 0
    node.applied = []
    node.readStates = []
    node.readies = []
  }

  // ---------------------------------------------------------------- client calls

  /** Campaigns and settles; throws unless the node ends up leader. */
  elect(id: NodeId): void {
    const node = this.#live(id)
    node.raft!.campaign()
    this.#drain(node)
    this.settle()
    const status = node.raft!.status()
    if (status.role !== 'leader') {
      throw this.#error(`${id} did not become leader (role ${status.role}, term ${status.term})`)
    }
  }

  /** Proposes a command (its payload is `text`) and cycles the node so its appends are queued. */
  propose(id: NodeId, text: string): ProposalResult {
    return this.#call(id, (raft) => raft.propose(encodeText(text)))
  }

  proposeConfigChange(id: NodeId, change: ConfigChange): ProposalResult {
    return this.#call(id, (raft) => raft.proposeConfigChange(change))
  }

  readIndex(id: NodeId, requestId: string): { ok: true } | { ok: false; refusal: RaftRefusal } {
    return this.#call(id, (raft) => raft.readIndex(requestId))
  }

  transferLeadership(id: NodeId, target: NodeId): { ok: true } | { ok: false; refusal: RaftRefusal } {
    return this.#call(id, (raft) => raft.transferLeadership(target))
  }

  /** Campaigns (no settling): the vote requests are queued. */
  campaign(id: NodeId): void {
    this.#call(id, (raft) => raft.campaign())
  }

  /**
   * Takes a snapshot of the node's applied state (its commands, encoded) and compacts its log
   * and storage behind it, as a host does.
   */
  compact(id: NodeId): Snapshot {
    const node = this.#live(id)
    const raft = node.raft!
    const snapshot = raft.createSnapshot(raft.status().applied, encodeState(node.commands))
    void persistSnapshot(node.storage, snapshot)
    return snapshot
  }

  // ---------------------------------------------------------------- observations

  /** The live core of a node (for status, termAt, entryAt or direct calls). */
  raft(id: NodeId): Raft {
    return this.#live(id).raft!
  }

  status(id: NodeId): RaftStatus {
    return this.raft(id).status()
  }

  storage(id: NodeId): MemoryStorage {
    return this.#node(id).storage
  }

  isRunning(id: NodeId): boolean {
    return this.#node(id).raft !== null
  }

  /** The running leader of the highest term, or null. */
  leader(): NodeId | null {
    let best: RaftStatus | null = null
    for (const node of this.#nodes.values()) {
      const status = node.raft?.status()
      if (status?.role === 'leader' && (!best || status.term > best.term)) best = status
    }
    return best?.id ?? null
  }

  /** Entries applied by this incarnation of the node, in order. */
  applied(id: NodeId): readonly Entry[] {
    return this.#node(id).applied
  }

  /** The node's state machine: the payloads of the commands it applied (snapshot included). */
  commands(id: NodeId): readonly string[] {
    return this.#node(id).commands
  }

  stateOf(id: NodeId): string {
    return this.commands(id).join(',')
  }

  readStates(id: NodeId): readonly ReadState[] {
    return this.#node(id).readStates
  }

  /** The Readys this incarnation of the node handled, in order. */
  readies(id: NodeId): readonly Ready[] {
    return this.#node(id).readies
  }

  // ---------------------------------------------------------------- internals

  #addNode(id: NodeId, bootstrapMembership: Membership | undefined, options: TunableOptions = {}): void {
    if (this.#nodes.has(id)) throw this.#error(`${id} already exists`)
    this.#nodes.set(id, {
      id,
      storage: new MemoryStorage(),
      options: { ...this.#nodeOptions[id], ...options },
      bootstrapMembership,
      raft: null,
      unpersisted: null,
      commands: [],
      lastAppliedIndex: 0,
      applied: [],
      readStates: [],
      readies: [],
    })
    this.restart(id)
  }

  #finish(node: TestNode, ready: Ready): void {
    node.unpersisted = null
    this.#sendAll(ready.messagesAfterPersist)
    if (ready.snapshot) {
      node.commands = decodeState(ready.snapshot.data)
      node.lastAppliedIndex = ready.snapshot.meta.index
    }
    for (const entry of ready.committedEntries) this.#apply(node, entry)
    node.readStates.push(...ready.readStates)
    node.readies.push(ready)
    node.raft!.advance()
  }

  #apply(node: TestNode, entry: Entry): void {
    if (entry.index !== node.lastAppliedIndex + 1) {
      throw this.#error(`${node.id} applies index ${entry.index} after ${node.lastAppliedIndex}`)
    }
    node.lastAppliedIndex = entry.index
    node.applied.push(entry)
    if (entry.kind === 'command') node.commands.push(decodeText(entry.data))
    const described = describeEntry(entry)
    const first = this.#appliedAt.get(entry.index)
    if (!first) this.#appliedAt.set(entry.index, { node: node.id, entry: described })
    else if (first.entry !== described) {
      this.conflicts.push({ index: entry.index, first, second: { node: node.id, entry: described } })
    }
  }

  #drain(node: TestNode): void {
    for (let i = 0; i < drainCyclesMax; i++) if (!this.cycle(node.id)) return
    throw this.#error(`${node.id} still has work after ${drainCyclesMax} cycles`)
  }

  #call<T>(id: NodeId, call: (raft: Raft) => T): T {
    const node = this.#live(id)
    const result = call(node.raft!)
    this.#drain(node)
    return result
  }

  #sendAll(messages: readonly Message[]): void {
    for (const message of messages) this.#send(message)
  }

  #send(message: Message): void {
    this.trace.push({ kind: 'send', message })
    if (this.#isCut(message)) this.trace.push({ kind: 'drop', message })
    else this.#queue.push(message)
  }

  #isCut(message: Message): boolean {
    return this.#cut.has(message.from) || this.#cut.has(message.to)
  }

  #node(id: NodeId): TestNode {
    const node = this.#nodes.get(id)
    if (!node) throw this.#error(`no node ${id}`)
    return node
  }

  /** A running node with no Ready in flight: one the test may call. */
  #live(id: NodeId): TestNode {
    const node = this.#node(id)
    if (!node.raft) throw this.#error(`${id} is crashed`)
    if (node.unpersisted) throw this.#error(`${id} holds an unpersisted Ready (finishReady or crash it)`)
    return node
  }

  #error(message: string): Error {
    return new Error(`${message} (reproduce with seed=${this.seed})`)
  }
}

function encodeState(commands: readonly string[]): Uint8Array {
  return encodeText(JSON.stringify(commands))
}

function decodeState(bytes: Uint8Array): string[] {
  return JSON.parse(decodeText(bytes)) as string[]
}
