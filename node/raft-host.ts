// The real host of one Raft node: owns the loop that feeds the pure core its inputs and carries out
// each Ready (send, persist with one synced write, send the acknowledgements, apply, advance), its
// tick timer, its bounded inbox, and the callers waiting for their proposals and reads. It does not
// own the core's storage or the transport: whoever opened them closes them.
//
// Inputs (messages, ticks, proposals, reads) only ever queue; the loop hands them to the core
// between cycles, never between ready() and advance(). Whatever arrives while a cycle's fsync runs
// goes into the next cycle's single batch, so the disk sees one synced write per cycle (group commit).

import { randomBytes } from 'node:crypto'
import type { ProposalResult, Raft, RaftRefusal, RaftStatus } from '../raft/raft.ts'
import { persistReady, persistSnapshot, type RaftStorage } from '../raft/storage.ts'
import type { ConfigChange, Entry, Message, NodeId, Ready, Snapshot } from '../raft/types.ts'

/** Inputs waiting for the next cycle; beyond this, messages are dropped and requests refused. */
export const inboxMaxDefault = 65_536
/** Ticks waiting in the inbox: a loop stalled on a slow disk should not wake up to a burst of elections. */
export const ticksQueuedMax = 4
/** Proposals accepted by the core and waiting to be applied. */
export const proposalsWaitingMaxDefault = 65_536
/** Reads waiting for their read index or for it to be applied. */
export const readsWaitingMaxDefault = 65_536
export const proposalTimeoutMsDefault = 10_000
export const readTimeoutMsDefault = 10_000
/** How long a snapshot's encoding runs before letting the event loop turn. */
export const snapshotSliceMs = 5

/** A state machine's snapshot in the making: each `next()` encodes a slice; the last gives the bytes. */
export type SnapshotEncoder = Iterator<void, Uint8Array, undefined>

export interface HostLogger {
  info(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

export interface RaftHostOptions {
  readonly raft: Raft
  readonly storage: RaftStorage
  /** Hands messages to the transport; must not block (delivery is asynchronous and may fail). */
  readonly send: (messages: readonly Message[]) => void
  /**
   * The state machine: restore from `snapshot` when present, then apply `entries` in order. Called
   * with entries past the core's applied index only; on startup the caller restores the persisted
   * snapshot itself before starting the host.
   */
  readonly apply: (entries: readonly Entry[], snapshot: Snapshot | null) => void | Promise<void>
  readonly tickMs: number
  /** Take a snapshot once this many entries were applied since the last one (needs `takeSnapshot`). */
  readonly snapshotEveryEntries?: number
  /**
   * The state machine's encoding of its state at the last applied entry, made a slice per `next()`
   * (the host runs the slices between its cycles, so a large state never stalls the thread).
   */
  readonly takeSnapshot?: () => SnapshotEncoder
  readonly logger?: HostLogger
  /** Called once when storage or the state machine fails; the host has stopped. Default: crash. */
  readonly onFatal?: (error: Error) => void
  readonly inboxMax?: number
  readonly proposalsWaitingMax?: number
  readonly readsWaitingMax?: number
}

export interface RequestOptions {
  /** Give up (with `DeadlineError`) after this long; the outcome of a proposal is then unknown. */
  readonly timeoutMs?: number
}

// ---------------------------------------------------------------- errors

/** Operating errors of the host; each subclass has a stable `code`. */
export class RaftHostError extends Error {
  static override readonly name: string = 'RaftHostError'
  readonly code: string = 'ERR_RAFT_HOST'
}

export class NotLeaderError extends RaftHostError {
  static override readonly name = 'NotLeaderError'
  override readonly code = 'ERR_NOT_LEADER'
  /** The leader this node knows of, if any: retry there. */
  readonly leader: NodeId | null
  constructor(leader: NodeId | null) {
    super(leader === null ? 'not the leader, and no leader is known' : `not the leader; try ${leader}`)
    this.name = 'NotLeaderError'
    this.leader = leader
  }
}

/** Temporarily refused (a full queue, too many uncommitted bytes, a leader transfer): retry later. */
export class BusyError extends RaftHostError {
  static override readonly name = 'BusyError'
  override readonly code = 'ERR_BUSY'
  constructor(detail: string) {
    super(`busy: ${detail}`)
    this.name = 'BusyError'
  }
}

export class TooLargeError extends RaftHostError {
  static override readonly name = 'TooLargeError'
  override readonly code = 'ERR_TOO_LARGE'
  readonly bytes: number
  constructor(bytes: number) {
    super(`a proposal of ${bytes} bytes is too large`)
    this.name = 'TooLargeError'
    this.bytes = bytes
  }
}

/** The entry at the proposal's index was replaced by another leader's (or hidden in a snapshot). */
export class ProposalLostError extends RaftHostError {
  static override readonly name = 'ProposalLostError'
  override readonly code = 'ERR_PROPOSAL_LOST'
  readonly index: number
  constructor(index: number, detail: string) {
    super(`proposal at index ${index} lost: ${detail}`)
    this.name = 'ProposalLostError'
    this.index = index
  }
}

export class DeadlineError extends RaftHostError {
  static override readonly name = 'DeadlineError'
  override readonly code = 'ERR_DEADLINE'
  constructor(what: string, timeoutMs: number) {
    super(`${what} got no answer within ${timeoutMs} ms`)
    this.name = 'DeadlineError'
  }
}

export class StoppedError extends RaftHostError {
  static override readonly name = 'StoppedError'
  override readonly code = 'ERR_STOPPED'
  constructor(cause?: Error) {
    super(cause ? `the raft host failed: ${cause.message}` : 'the raft host is stopped', { cause })
    this.name = 'StoppedError'
  }
}

function refusalError(refusal: RaftRefusal): RaftHostError {
  switch (refusal.reason) {
    case 'notLeader':
      return new NotLeaderError(refusal.leader)
    case 'tooLarge':
      return new TooLargeError(refusal.bytes)
    case 'transferring':
      return new BusyError('leadership is being transferred')
    default:
      return new BusyError(refusal.detail)
  }
}

// ---------------------------------------------------------------- waiters and inputs

/** A caller waiting for an answer, with its deadline timer. */
class Waiter<T> {
  readonly #resolve: (value: T) => void
  readonly #reject: (error: Error) => void
  #timer: ReturnType<typeof setTimeout> | null = null
  settled = false

  constructor(resolve: (value: T) => void, reject: (error: Error) => void) {
    this.#resolve = resolve
    this.#reject = reject
  }

  arm(timeoutMs: number, onTimeout: () => void): void {
    this.#timer = setTimeout(onTimeout, timeoutMs)
  }

  resolve(value: T): void {
    if (this.#settle()) this.#resolve(value)
  }

  reject(error: Error): void {
    if (this.#settle()) this.#reject(error)
  }

  #settle(): boolean {
    if (this.settled) return false
    this.settled = true
    if (this.#timer) clearTimeout(this.#timer)
    return true
  }
}

type ProposalWaiter = Waiter<{ index: number }>
type ReadWaiter = Waiter<number>

type Input =
  | { readonly kind: 'tick' }
  | { readonly kind: 'message'; readonly message: Message }
  | { readonly kind: 'propose'; readonly data: Uint8Array; readonly waiter: ProposalWaiter }
  | { readonly kind: 'read'; readonly waiter: ReadWaiter }
  | { readonly kind: 'configChange'; readonly change: ConfigChange; readonly waiter: ProposalWaiter }
  | { readonly kind: 'transfer'; readonly target: NodeId; readonly waiter: Waiter<void> }
  | { readonly kind: 'leaderUnreachable' }

const tickInput: Input = { kind: 'tick' }

interface ReadyRead {
  readonly index: number
  readonly waiter: ReadWaiter
}

// ---------------------------------------------------------------- the host

export class RaftHost {
  readonly id: NodeId
  readonly #raft: Raft
  readonly #options: RaftHostOptions
  readonly #inboxMax: number
  readonly #proposalsWaitingMax: number
  readonly #readsWaitingMax: number
  #inbox: Input[] = []
  #ticksQueued = 0
  /** Proposals accepted by the core, by log index, with the term they were proposed in. */
  readonly #proposals = new Map<number, { readonly term: number; readonly waiter: ProposalWaiter }>()
  /** Reads waiting for their ReadState, by request id. */
  readonly #readsAsked = new Map<string, ReadWaiter>()
  /** Reads that know their index and wait for it to be applied, in arrival order. */
  #readsReady: ReadyRead[] = []
  /**
   * Read request ids are unique across restarts: a leader's late answer to a read of an earlier
   * incarnation must not satisfy a new read with an older index.
   */
  readonly #readIdPrefix = `${randomBytes(6).toString('base64url')}:`
  #readSequence = 0
  #applied: number
  #snapshotIndex: number
  /** A snapshot of our own is being encoded or written: one at a time. */
  #snapshotting = false
  /** An encoded snapshot of our own, waiting to be handed to the core between cycles. */
  #snapshotEncoded: { readonly index: number; readonly data: Uint8Array } | null = null
  #snapshotWrite: Promise<void> = Promise.resolve()
  #timer: ReturnType<typeof setInterval> | null = null
  #wake: (() => void) | null = null
  #loop: Promise<void> | null = null
  #stopping = false
  #failure: Error | null = null
  #lastRole = ''
  #lastTerm = -1
  #cycles = 0

  constructor(options: RaftHostOptions) {
    if (!(options.tickMs > 0)) throw new Error('raft host: tickMs must be positive')
    if (options.snapshotEveryEntries !== undefined) {
      if (!Number.isInteger(options.snapshotEveryEntries) || options.snapshotEveryEntries <= 0)
        throw new Error('raft host: snapshotEveryEntries must be a positive integer')
      if (!options.takeSnapshot) throw new Error('raft host: snapshotEveryEntries needs takeSnapshot')
    }
    this.#options = options
    this.#raft = options.raft
    this.id = options.raft.id
    this.#inboxMax = positive('inboxMax', options.inboxMax ?? inboxMaxDefault)
    this.#proposalsWaitingMax = positive(
      'proposalsWaitingMax',
      options.proposalsWaitingMax ?? proposalsWaitingMaxDefault,
    )
    this.#readsWaitingMax = positive('readsWaitingMax', options.readsWaitingMax ?? readsWaitingMaxDefault)
    const status = options.raft.status()
    this.#applied = status.applied
    this.#snapshotIndex = status.snapshotIndex
  }

  /** Start ticking and running cycles. */
  start(): void {
    if (this.#loop || this.#stopping) throw new Error('raft host: start() may be called once')
    this.#timer = setInterval(() => this.#push(tickInput), this.#options.tickMs)
    this.#timer.unref()
    this.#loop = this.#run()
  }

  /** Finish the cycle in progress, then refuse everything still waiting. Storage stays open. */
  async stop(): Promise<void> {
    this.#stopping = true
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    this.#wake?.()
    await this.#loop
    await this.#snapshotWrite
    this.#dropAll(new StoppedError())
  }

  /** A message from a peer. Dropped when the inbox is full, which Raft survives like a lost packet. */
  receive(message: Message): void {
    this.#push({ kind: 'message', message })
  }

  /** Resolves with the entry's index once it is committed and applied here under the same term. */
  propose(data: Uint8Array, options: RequestOptions = {}): Promise<{ index: number }> {
    const { promise, resolve, reject } = Promise.withResolvers<{ index: number }>()
    const waiter = new Waiter(resolve, reject)
    if (this.#admit(waiter, 'proposal', options.timeoutMs ?? proposalTimeoutMsDefault)) {
      this.#push({ kind: 'propose', data, waiter })
    }
    return promise
  }

  /**
   * A membership change (one at a time, leader only): resolves once its entry is applied here.
   * Refused with `ConfigPendingError` while another change is in progress.
   */
  proposeConfigChange(change: ConfigChange, options: RequestOptions = {}): Promise<{ index: number }> {
    const { promise, resolve, reject } = Promise.withResolvers<{ index: number }>()
    const waiter = new Waiter(resolve, reject)
    if (this.#admit(waiter, 'membership change', options.timeoutMs ?? proposalTimeoutMsDefault)) {
      this.#push({ kind: 'configChange', change, waiter })
    }
    return promise
  }

  /** Asks the core to hand leadership to `target`; resolves once the transfer has started. */
  transferLeadership(target: NodeId, options: RequestOptions = {}): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<void>()
    const waiter = new Waiter(resolve, reject)
    if (this.#admit(waiter, 'leader transfer', options.timeoutMs ?? proposalTimeoutMsDefault)) {
      this.#push({ kind: 'transfer', target, waiter })
    }
    return promise
  }

  /** The transport saw the connection to the leader close: campaign soon (see Raft.leaderUnreachable). */
  leaderUnreachable(): void {
    this.#push({ kind: 'leaderUnreachable' })
  }

  /** A linearizable read: resolves with a read index once this node has applied it (ReadIndex). */
  read(options: RequestOptions = {}): Promise<number> {
    const { promise, resolve, reject } = Promise.withResolvers<number>()
    const waiter = new Waiter(resolve, reject)
    if (this.#admit(waiter, 'read', options.timeoutMs ?? readTimeoutMsDefault)) {
      this.#push({ kind: 'read', waiter })
    }
    return promise
  }

  /** The core's status; safe at any time (it does not change the core). */
  status(): RaftStatus {
    return this.#raft.status()
  }

  get applied(): number {
    return this.#applied
  }

  /** Cycles run so far (each at most one synced write). */
  get cycles(): number {
    return this.#cycles
  }

  /** Refuses a request at once when it cannot be queued; otherwise starts its deadline. */
  #admit<T>(waiter: Waiter<T>, what: string, timeoutMs: number): boolean {
    if (this.#stopping || this.#failure) waiter.reject(new StoppedError(this.#failure ?? undefined))
    else if (this.#inbox.length >= this.#inboxMax) waiter.reject(new BusyError('the inbox is full'))
    else {
      // The timer only settles the caller; a late answer from the core then finds it settled.
      waiter.arm(timeoutMs, () => waiter.reject(new DeadlineError(what, timeoutMs)))
      return true
    }
    return false
  }

  #push(input: Input): void {
    if (this.#stopping || this.#inbox.length >= this.#inboxMax) return
    if (input.kind === 'tick') {
      if (this.#ticksQueued >= ticksQueuedMax) return
      this.#ticksQueued++
    }
    this.#inbox.push(input)
    const wake = this.#wake
    if (wake) {
      this.#wake = null
      wake()
    }
  }

  // ---------------------------------------------------------------- the loop

  async #run(): Promise<void> {
    try {
      while (!this.#stopping) {
        this.#feedInbox()
        if (this.#snapshotEncoded) this.#saveSnapshot(this.#snapshotEncoded)
        if (this.#raft.hasReady()) await this.#cycle(this.#raft.ready())
        else if (this.#inbox.length === 0 && !this.#stopping) await this.#idle()
      }
    } catch (error) {
      this.#fail(error)
    }
  }

  #idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wake = resolve
    })
  }

  /** Hands everything queued to the core: only here, between cycles. */
  #feedInbox(): void {
    const inbox = this.#inbox
    if (inbox.length === 0) return
    this.#inbox = []
    this.#ticksQueued = 0
    const raft = this.#raft
    for (const input of inbox) {
      switch (input.kind) {
        case 'tick':
          raft.tick()
          break
        case 'message':
          raft.step(input.message)
          break
        case 'propose':
          this.#propose(input.waiter, () => raft.propose(input.data))
          break
        case 'read':
          this.#read(input.waiter)
          break
        case 'configChange':
          this.#propose(input.waiter, () => raft.proposeConfigChange(input.change))
          break
        case 'leaderUnreachable':
          raft.leaderUnreachable()
          break
        case 'transfer': {
          if (input.waiter.settled) break
          const result = raft.transferLeadership(input.target)
          if (result.ok) input.waiter.resolve()
          else input.waiter.reject(refusalError(result.refusal))
          break
        }
      }
    }
  }

  #propose(waiter: ProposalWaiter, append: () => ProposalResult): void {
    if (waiter.settled) return // timed out while queued: do not write it
    if (this.#proposals.size >= this.#proposalsWaitingMax) this.#forgetSettled()
    if (this.#proposals.size >= this.#proposalsWaitingMax) {
      waiter.reject(new BusyError('too many proposals waiting'))
      return
    }
    const result = append()
    if (!result.ok) {
      waiter.reject(refusalError(result.refusal))
      return
    }
    this.#proposals.get(result.index)?.waiter.reject(new ProposalLostError(result.index, 'index reused'))
    this.#proposals.set(result.index, { term: result.term, waiter })
  }

  #read(waiter: ReadWaiter): void {
    if (waiter.settled) return
    if (this.#readsAsked.size + this.#readsReady.length >= this.#readsWaitingMax) this.#forgetSettled()
    if (this.#readsAsked.size + this.#readsReady.length >= this.#readsWaitingMax) {
      waiter.reject(new BusyError('too many reads waiting'))
      return
    }
    const requestId = this.#readIdPrefix + ++this.#readSequence
    const result = this.#raft.readIndex(requestId)
    if (!result.ok) waiter.reject(refusalError(result.refusal))
    else this.#readsAsked.set(requestId, waiter)
  }

  /** Carries out one Ready in the order its contract (raft/types.ts) prescribes. */
  async #cycle(ready: Ready): Promise<void> {
    this.#cycles++
    if (this.#options.logger) this.#logRoleChange()
    if (ready.messages.length > 0) this.#options.send(ready.messages)
    if (ready.snapshot || ready.entries.length > 0 || ready.hardState) {
      await persistReady(this.#options.storage, ready)
    }
    if (ready.messagesAfterPersist.length > 0) this.#options.send(ready.messagesAfterPersist)
    if (ready.snapshot || ready.committedEntries.length > 0) {
      const applying = this.#options.apply(ready.committedEntries, ready.snapshot)
      if (applying) await applying
      this.#applied = ready.committedEntries.at(-1)?.index ?? ready.snapshot!.meta.index
      if (ready.snapshot) {
        this.#snapshotIndex = ready.snapshot.meta.index
        this.#settleCoveredProposals(ready.snapshot.meta.index)
      }
      this.#settleProposals(ready.committedEntries)
    }
    for (const readState of ready.readStates) {
      const waiter = this.#readsAsked.get(readState.requestId)
      if (!waiter) continue
      this.#readsAsked.delete(readState.requestId)
      this.#readsReady.push({ index: readState.index, waiter })
    }
    this.#raft.advance()
    this.#serveReads()
    this.#maybeSnapshot()
  }

  #settleProposals(entries: readonly Entry[]): void {
    if (this.#proposals.size === 0) return
    for (const entry of entries) {
      const proposal = this.#proposals.get(entry.index)
      if (!proposal) continue
      this.#proposals.delete(entry.index)
      if (proposal.term === entry.term) proposal.waiter.resolve({ index: entry.index })
      else proposal.waiter.reject(new ProposalLostError(entry.index, `replaced by term ${entry.term}`))
    }
  }

  /** A snapshot from the leader hides which entries it holds: those proposals' outcome is unknown. */
  #settleCoveredProposals(snapshotIndex: number): void {
    for (const [index, proposal] of this.#proposals) {
      if (index > snapshotIndex) continue
      this.#proposals.delete(index)
      proposal.waiter.reject(new ProposalLostError(index, 'outcome unknown (a snapshot replaced the log)'))
    }
  }

  #serveReads(): void {
    if (this.#readsReady.length === 0) return
    const waiting: ReadyRead[] = []
    for (const read of this.#readsReady) {
      if (read.index <= this.#applied) read.waiter.resolve(read.index)
      else if (!read.waiter.settled) waiting.push(read)
    }
    this.#readsReady = waiting
  }

  /**
   * Callers that gave up stay listed until their index is applied or their ReadState arrives, which
   * a leader change may postpone indefinitely: make room when a list is full.
   */
  #forgetSettled(): void {
    for (const [index, proposal] of this.#proposals)
      if (proposal.waiter.settled) this.#proposals.delete(index)
    for (const [id, waiter] of this.#readsAsked) if (waiter.settled) this.#readsAsked.delete(id)
    this.#readsReady = this.#readsReady.filter((read) => !read.waiter.settled)
  }

  /** Starts encoding a snapshot of the state as applied now, when enough entries were applied. */
  #maybeSnapshot(): void {
    const every = this.#options.snapshotEveryEntries
    const take = this.#options.takeSnapshot
    if (!every || !take || this.#snapshotting) return
    if (this.#applied - this.#snapshotIndex < every) return
    this.#snapshotting = true
    this.#encodeSnapshot(this.#applied, take()).catch((error: unknown) => this.#fail(error))
  }

  /** Runs the encoder a slice at a time, letting the event loop (heartbeats, I/O) turn between. */
  async #encodeSnapshot(index: number, encoder: SnapshotEncoder): Promise<void> {
    for (;;) {
      const sliceStartMs = performance.now()
      let step = encoder.next()
      while (!step.done && performance.now() - sliceStartMs < snapshotSliceMs) step = encoder.next()
      if (step.done) {
        this.#snapshotEncoded = { index, data: step.value }
        this.#wake?.()
        return
      }
      await new Promise((resolve) => setImmediate(resolve))
      if (this.#stopping) return
    }
  }

  /**
   * Hands an encoded snapshot to the core (between cycles, as the core requires) and writes it.
   * The write goes on while the loop runs: the storage orders it before every later write. A
   * snapshot from the leader installed meanwhile makes it pointless; it is dropped.
   */
  #saveSnapshot(encoded: { readonly index: number; readonly data: Uint8Array }): void {
    this.#snapshotEncoded = null
    if (encoded.index <= this.#snapshotIndex) {
      this.#snapshotting = false
      return
    }
    const snapshot = this.#raft.createSnapshot(encoded.index, encoded.data)
    this.#snapshotIndex = snapshot.meta.index
    this.#snapshotWrite = persistSnapshot(this.#options.storage, snapshot).then(
      () => {
        this.#snapshotting = false
      },
      (error: unknown) => this.#fail(error),
    )
  }

  #logRoleChange(): void {
    const { role, term, leader } = this.#raft.status()
    if (role === this.#lastRole && term === this.#lastTerm) return
    this.#lastRole = role
    this.#lastTerm = term
    this.#options.logger?.info('raft role', { id: this.id, role, term, leader })
  }

  /** A failed fsync leaves the disk's content unknown: stop for good and say so loudly. */
  #fail(thrown: unknown): void {
    const error = thrown instanceof Error ? thrown : new Error(String(thrown))
    this.#failure = error
    this.#stopping = true
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    this.#options.logger?.error('raft host stopped by a fatal error', { id: this.id, error: error.message })
    this.#dropAll(new StoppedError(error))
    const onFatal =
      this.#options.onFatal ??
      ((fatal: Error) => {
        throw fatal
      })
    queueMicrotask(() => onFatal(error))
  }

  #dropAll(error: StoppedError): void {
    for (const input of this.#inbox)
      if (input.kind === 'propose' || input.kind === 'read') input.waiter.reject(error)
    this.#inbox = []
    for (const proposal of this.#proposals.values()) proposal.waiter.reject(error)
    this.#proposals.clear()
    for (const waiter of this.#readsAsked.values()) waiter.reject(error)
    this.#readsAsked.clear()
    for (const read of this.#readsReady) read.waiter.reject(error)
    this.#readsReady = []
  }
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`raft host: ${name} must be a positive integer`)
  return value
}
