// One simulated node: the Raft core hosted exactly as a real agent hosts it (ready, persist,
// send, apply, advance), on in-memory storage that keeps only what was written, so a crash loses
// everything the node had not made durable.

import type { Random } from '../../core/random.ts'
import type { RaftOptions } from '../../raft/options.ts'
import { Raft } from '../../raft/raft.ts'
import type { SessionLimits } from '../../raft/sessions.ts'
import { MemoryStorage } from '../../raft/storage/memory.ts'
import { persistReady, persistSnapshot } from '../../raft/storage.ts'
import type { Entry, Message, NodeId, Ready } from '../../raft/types.ts'
import type { EventQueue } from './event-queue.ts'
import type { SafetyChecker } from './invariants.ts'
import type { KvOutcome } from './kv-machine.ts'
import { encodeKvEnvelope, type KvEnvelope, KvMachine } from './kv-machine.ts'

/** Inputs queued while a Ready is being persisted; beyond this the node sheds load. */
export const inboxMax = 4096

export type WriteReply = (
  answer: { outcome: KvOutcome; index: number } | { error: string; leader?: NodeId | null },
) => void
export type ReadReply = (answer: { value: string | null } | { error: string; leader?: NodeId | null }) => void

interface ReadyRead {
  readonly index: number
  readonly key: string
  readonly reply: ReadReply
}

/** What a node needs of the simulated world around it. */
export interface SimHost {
  readonly queue: EventQueue
  readonly random: Random
  readonly checker: SafetyChecker
  readonly network: { send(message: Message): void }
  readonly tickMs: number
  readonly unsafeAckBeforePersist: boolean
  readonly faultCounts: { snapshot: number }
  diskLatencyMs(): number
  trace(line: string): void
  onConfigApplied(node: SimNode, entry: Extract<Entry, { kind: 'config' }>): void
}

export interface SimNodeOptions {
  readonly raft: Omit<RaftOptions, 'id' | 'random'>
  readonly sessions: SessionLimits
  readonly snapshotEveryEntries: number
}

export class SimNode {
  readonly id: NodeId
  readonly storage = new MemoryStorage()
  raft: Raft | null = null
  kv: KvMachine
  readonly #world: SimHost
  readonly #options: SimNodeOptions
  #busy = false
  #inbox: Array<(raft: Raft) => void> = []
  #incarnation = 0
  #lastApplied = 0
  #readSequence = 0
  #snapshotRequested = false
  #crashDuringWrite: (() => void) | null = null
  readonly #writes = new Map<number, { term: number; reply: WriteReply }>()
  readonly #reads = new Map<string, { key: string; reply: ReadReply }>()
  #readsReady: ReadyRead[] = []
  #lastRole = ''
  #lastTerm = -1
  /** Whether this node has ever been told to stop for good (removed from the cluster). */
  retired = false

  constructor(world: SimHost, id: NodeId, options: SimNodeOptions) {
    this.#world = world
    this.id = id
    this.#options = options
    this.kv = new KvMachine(options.sessions)
  }

  get up(): boolean {
    return this.raft !== null
  }

  /** Start (or restart after a crash) from whatever is durable. */
  start(): void {
    const durable = this.storage.durable()
    this.raft = new Raft({ ...this.#options.raft, id: this.id, random: this.#world.random.fork() }, durable)
    this.kv = durable.snapshot
      ? KvMachine.decode(durable.snapshot.data, this.#options.sessions)
      : new KvMachine(this.#options.sessions)
    this.#lastApplied = durable.snapshot?.meta.index ?? 0
    this.#world.checker.onRestore(this.id, this.#lastApplied, durable.snapshot?.meta.term ?? 0)
    this.#scheduleTick(this.#incarnation)
  }

  /** Lose everything not durable: the core, queued inputs, a Ready in flight, waiting clients. */
  crash(): void {
    this.raft = null
    this.#busy = false
    this.#inbox = []
    this.#incarnation++
    this.#writes.clear()
    this.#reads.clear()
    this.#readsReady = []
    this.#crashDuringWrite = null
  }

  /** Crash in the middle of the next write: what that Ready carried never reaches the disk. */
  crashDuringNextWrite(crash: () => void): void {
    this.#crashDuringWrite = crash
  }

  requestSnapshot(): void {
    this.#snapshotRequested = true
  }

  /** Feed one input to the core now, or queue it while a Ready is being persisted. */
  input(run: (raft: Raft) => void): void {
    const raft = this.raft
    if (!raft) return
    if (this.#busy) {
      if (this.#inbox.length < inboxMax) this.#inbox.push(run)
      return
    }
    run(raft)
    this.#pump()
  }

  deliver(message: Message): void {
    this.input((raft) => raft.step(message))
  }

  /** Propose a write; the leader stamps its own clock into the envelope (session expiry). */
  write(envelope: DistributiveOmit<KvEnvelope, 'timeMs'>, reply: WriteReply): void {
    this.input((raft) => {
      const result = raft.propose(
        encodeKvEnvelope({ ...envelope, timeMs: this.#world.queue.nowMs } as KvEnvelope),
      )
      if (!result.ok) {
        const leader = result.refusal.reason === 'notLeader' ? result.refusal.leader : null
        reply({ error: result.refusal.reason, leader })
        return
      }
      this.#writes.get(result.index)?.reply({ error: 'superseded' })
      this.#writes.set(result.index, { term: result.term, reply })
    })
  }

  read(key: string, reply: ReadReply): void {
    this.input((raft) => {
      const requestId = `${this.id}/${this.#incarnation}/${++this.#readSequence}`
      const result = raft.readIndex(requestId)
      if (!result.ok) {
        const leader = result.refusal.reason === 'notLeader' ? result.refusal.leader : null
        reply({ error: result.refusal.reason, leader })
        return
      }
      this.#reads.set(requestId, { key, reply })
    })
  }

  #scheduleTick(incarnation: number): void {
    this.#world.queue.after(this.#world.tickMs, () => {
      if (incarnation !== this.#incarnation || !this.raft) return
      this.input((raft) => raft.tick())
      this.#scheduleTick(incarnation)
    })
  }

  #pump(): void {
    const raft = this.raft
    if (!raft || this.#busy || !raft.hasReady()) return
    const ready = raft.ready()
    const world = this.#world
    world.checker.onStored(this.id, ready.entries, (index) => raft.termAt(index))
    const status = raft.status()
    if (status.role !== this.#lastRole || status.term !== this.#lastTerm) {
      this.#lastRole = status.role
      this.#lastTerm = status.term
      world.trace(`${this.id} is ${status.role} in term ${status.term}`)
    }
    if (status.role === 'leader') {
      world.checker.onLeader(this.id, status.term, (index) => raft.termAt(index), status.snapshotIndex)
    }
    for (const message of ready.messages) world.network.send(message)
    if (world.unsafeAckBeforePersist)
      for (const message of ready.messagesAfterPersist) world.network.send(message)
    this.#busy = true
    const incarnation = this.#incarnation
    const crashing = this.#crashDuringWrite
    this.#crashDuringWrite = null
    world.queue.after(world.diskLatencyMs(), () => {
      if (incarnation !== this.#incarnation) return
      if (crashing) crashing()
      else this.#complete(ready)
    })
  }

  #complete(ready: Ready): void {
    const world = this.#world
    const raft = this.raft!
    void persistReady(this.storage, ready) // the memory adapter is durable as soon as it is called
    if (!world.unsafeAckBeforePersist)
      for (const message of ready.messagesAfterPersist) world.network.send(message)
    if (ready.snapshot) {
      this.kv = KvMachine.decode(ready.snapshot.data, this.#options.sessions)
      this.#lastApplied = ready.snapshot.meta.index
      world.checker.onRestore(this.id, ready.snapshot.meta.index, ready.snapshot.meta.term)
      world.faultCounts.snapshot++
      world.trace(`${this.id} installed a snapshot at ${ready.snapshot.meta.index}`)
    }
    for (const entry of ready.committedEntries) this.#apply(entry)
    for (const read of ready.readStates) {
      const waiting = this.#reads.get(read.requestId)
      if (!waiting) continue
      this.#reads.delete(read.requestId)
      this.#readsReady.push({ index: read.index, ...waiting })
    }
    raft.advance()
    this.#serveReads()
    this.#maybeSnapshot(raft)
    this.#busy = false
    const inbox = this.#inbox
    this.#inbox = []
    for (const run of inbox) {
      if (this.raft !== raft) return
      run(raft)
    }
    this.#pump()
  }

  #apply(entry: Entry): void {
    this.#world.checker.onApply(this.id, entry)
    this.#lastApplied = entry.index
    if (entry.kind === 'config') this.#world.onConfigApplied(this, entry)
    const waiting = this.#writes.get(entry.index)
    if (entry.kind !== 'command') {
      if (waiting) waiting.reply({ error: 'lost' })
      this.#writes.delete(entry.index)
      return
    }
    const outcome = this.kv.apply(entry.index, entry.data)
    if (!waiting) return
    this.#writes.delete(entry.index)
    if (waiting.term === entry.term) waiting.reply({ outcome, index: entry.index })
    else waiting.reply({ error: 'lost' })
  }

  #serveReads(): void {
    if (this.#readsReady.length === 0) return
    const still: ReadyRead[] = []
    for (const read of this.#readsReady) {
      if (read.index <= this.#lastApplied) read.reply({ value: this.kv.get(read.key) })
      else still.push(read)
    }
    this.#readsReady = still
  }

  #maybeSnapshot(raft: Raft): void {
    const { snapshotIndex } = raft.status()
    const due = this.#lastApplied - snapshotIndex >= this.#options.snapshotEveryEntries
    if (!(due || (this.#snapshotRequested && this.#lastApplied > snapshotIndex))) return
    this.#snapshotRequested = false
    const snapshot = raft.createSnapshot(this.#lastApplied, this.kv.encode())
    void persistSnapshot(this.storage, snapshot)
    this.#world.faultCounts.snapshot++
  }

  get lastApplied(): number {
    return this.#lastApplied
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
