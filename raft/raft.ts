// The Raft core: a pure, deterministic, tick-driven state machine in the etcd-raft mould.
// Input is a message, a tick, a proposal or a read; output is a `Ready` batch the host persists,
// sends and applies. No I/O, timers or global randomness happen here, so whole clusters of it
// can run in one process on a simulated clock and network.

import { assert } from './assert.ts'
import { entryBytes, RaftLog } from './log.ts'
import { applyConfigChange, isMember, isVoter, members, quorumSize } from './membership.ts'
import { type RaftOptions, type ResolvedRaftOptions, resolveRaftOptions } from './options.ts'
import { Progress } from './progress.ts'
import { type PendingRead, ReadIndexQueue } from './read-index.ts'
import type { PersistedState } from './storage.ts'
import type {
  ConfigChange,
  Entry,
  HardState,
  Membership,
  Message,
  NodeId,
  ReadState,
  Ready,
  Role,
  Snapshot,
  SnapshotMeta,
} from './types.ts'
import { emptyMembership } from './types.ts'

/** Why a proposal, read or transfer was refused. The host maps these to its own errors. */
export type RaftRefusal =
  | { readonly reason: 'notLeader'; readonly leader: NodeId | null }
  | { readonly reason: 'transferring' }
  | { readonly reason: 'busy'; readonly detail: string }
  | { readonly reason: 'tooLarge'; readonly bytes: number }
  | { readonly reason: 'configPending'; readonly detail: string }
  | { readonly reason: 'invalid'; readonly detail: string }

export type ProposalResult =
  | { readonly ok: true; readonly index: number; readonly term: number }
  | { readonly ok: false; readonly refusal: RaftRefusal }

export interface RaftStatus {
  readonly id: NodeId
  readonly term: number
  readonly vote: NodeId | null
  readonly role: Role
  readonly leader: NodeId | null
  readonly commit: number
  readonly applied: number
  readonly lastIndex: number
  readonly lastTerm: number
  readonly persistedIndex: number
  readonly snapshotIndex: number
  readonly membership: Membership
  readonly transferee: NodeId | null
  /** Leader only: each member's durable matching index. */
  readonly matchIndex: ReadonlyMap<NodeId, number>
}

interface SnapshotReception {
  readonly meta: SnapshotMeta
  readonly totalBytes: number
  readonly chunks: Uint8Array[]
  receivedBytes: number
}

const noLeader = null

export class Raft {
  readonly id: NodeId
  readonly #options: ResolvedRaftOptions
  readonly #log: RaftLog
  #term = 0
  #vote: NodeId | null = null
  #role: Role = 'follower'
  #leader: NodeId | null = noLeader
  #membership: Membership = emptyMembership
  /** Index of the latest config entry in the log (0 when the membership comes from the snapshot). */
  #configIndex = 0
  readonly #progress = new Map<NodeId, Progress>()
  readonly #votes = new Map<NodeId, boolean>()
  #electionElapsed = 0
  #heartbeatElapsed = 0
  #randomizedElectionTicks = 0
  #transferee: NodeId | null = null
  #uncommittedBytes = 0
  /** The latest snapshot of this node's own state, sent to followers that fell behind the log. */
  #snapshot: Snapshot | null
  #reception: SnapshotReception | null = null
  // Linearizable reads (ReadIndex): a round is one heartbeat broadcast that a quorum must answer.
  readonly #reads: ReadIndexQueue
  // Output collected for the next Ready.
  #messages: Message[] = []
  #messagesAfterPersist: Message[] = []
  #readStates: ReadState[] = []
  #persistedHardState: HardState
  #readyInFlight: { lastCommittedIndex: number; snapshotIndex: number } | null = null

  constructor(
    options: RaftOptions,
    persisted: PersistedState = { hardState: null, snapshot: null, entries: [] },
  ) {
    this.#options = resolveRaftOptions(options)
    this.#reads = new ReadIndexQueue(this.#options.readsPendingMax)
    this.id = options.id
    const bootstrap: SnapshotMeta = {
      index: 0,
      term: 0,
      membership: options.bootstrapMembership ?? emptyMembership,
    }
    this.#snapshot = persisted.snapshot
    const snapshotMeta = persisted.snapshot?.meta ?? bootstrap
    const hardState = persisted.hardState ?? { term: 0, vote: null, commit: 0 }
    this.#log = new RaftLog(snapshotMeta, persisted.entries, hardState.commit)
    this.#term = hardState.term
    this.#vote = hardState.vote
    this.#persistedHardState = hardState
    this.#recomputeMembership()
    this.#becomeFollower(this.#term, noLeader)
  }

  // ---------------------------------------------------------------- inputs

  /** Advance logical time by one tick. */
  tick(): void {
    this.#assertNoReadyInFlight()
    this.#electionElapsed++
    if (this.#role === 'leader') {
      this.#tickLeader()
    } else if (this.#electionElapsed >= this.#randomizedElectionTicks && this.#promotable()) {
      this.#electionElapsed = 0
      this.#campaign(this.#options.preVote ? 'prevote' : 'vote', false)
    }
  }

  /**
   * The host saw its connection to the leader close (the leader's process died, or the network
   * cut it). The lease this node granted lapses at once, and it campaigns within one election
   * timeout instead of after a whole one. The surviving voters take turns, in the order of their
   * ids, each in its own slice of that timeout: they all saw the same close at the same moment,
   * and racing each other would split the vote (a whole extra round). Harmless if the leader
   * lives: followers still hearing it keep their lease and refuse the pre-vote, and hearing from
   * the leader again resets the timer.
   */
  leaderUnreachable(): void {
    this.#assertNoReadyInFlight()
    if (this.#role === 'leader' || this.#leader === noLeader) return
    const timeout = this.#options.electionTicks
    this.#electionElapsed = Math.max(this.#electionElapsed, timeout)
    const survivors = this.#membership.voters.filter((id) => id !== this.#leader).sort()
    const turn = Math.max(0, survivors.indexOf(this.id))
    const slice = Math.max(1, Math.floor(timeout / Math.max(1, survivors.length)))
    const wait = turn * slice + this.#options.random.int(0, Math.max(0, Math.floor(slice / 2) - 1))
    this.#randomizedElectionTicks = this.#electionElapsed + wait
  }

  /** Start an election now (tests and bootstrapping; hosts normally let ticks do it). */
  campaign(): void {
    this.#assertNoReadyInFlight()
    if (this.#role !== 'leader' && this.#promotable()) {
      this.#campaign(this.#options.preVote ? 'prevote' : 'vote', false)
    }
  }

  propose(data: Uint8Array): ProposalResult {
    this.#assertNoReadyInFlight()
    const refusal = this.#refuseProposal(24 + data.length)
    if (refusal) return { ok: false, refusal }
    return this.#appendOwn({ kind: 'command', term: this.#term, index: this.#log.lastIndex() + 1, data })
  }

  proposeConfigChange(change: ConfigChange): ProposalResult {
    this.#assertNoReadyInFlight()
    const refusal = this.#refuseProposal(64)
    if (refusal) return { ok: false, refusal }
    if (!this.#committedOwnTerm()) {
      // Ongaro's fix for single-server changes: a new leader may change the membership only
      // after an entry of its own term is committed.
      return {
        ok: false,
        refusal: { reason: 'configPending', detail: 'the leader has not committed in its term' },
      }
    }
    if (this.#configIndex > this.#log.committed) {
      return {
        ok: false,
        refusal: { reason: 'configPending', detail: 'another membership change is in progress' },
      }
    }
    const next = applyConfigChange(this.#membership, change)
    if ('refused' in next) return { ok: false, refusal: { reason: 'invalid', detail: next.refused } }
    return this.#appendOwn({
      kind: 'config',
      term: this.#term,
      index: this.#log.lastIndex() + 1,
      change,
      membership: next.membership,
    })
  }

  /**
   * Ask for a linearizable read. The answer arrives as a `ReadState` with the same requestId in a
   * later Ready: the read may be served once that index is applied. Requests lost to a leader
   * change get no answer; the host times them out.
   */
  readIndex(requestId: string): { ok: true } | { ok: false; refusal: RaftRefusal } {
    this.#assertNoReadyInFlight()
    if (this.#role === 'leader') {
      const refusal = this.#acceptRead(requestId, this.id)
      return refusal ? { ok: false, refusal } : { ok: true }
    }
    if (this.#leader === noLeader) return { ok: false, refusal: { reason: 'notLeader', leader: noLeader } }
    this.#send({ type: 'readIndex', to: this.#leader, requestId })
    return { ok: true }
  }

  /** Hand leadership to `target` (a voter): bring it up to date, then tell it to campaign at once. */
  transferLeadership(target: NodeId): { ok: true } | { ok: false; refusal: RaftRefusal } {
    this.#assertNoReadyInFlight()
    if (this.#role !== 'leader') return { ok: false, refusal: { reason: 'notLeader', leader: this.#leader } }
    if (target === this.id) return { ok: true }
    if (!isVoter(this.#membership, target)) {
      return { ok: false, refusal: { reason: 'invalid', detail: `${target} is not a voter` } }
    }
    if (this.#transferee === target) return { ok: true }
    this.#transferee = target
    this.#electionElapsed = 0
    const progress = this.#progress.get(target)!
    if (progress.match === this.#log.lastIndex()) {
      this.#send({ type: 'timeoutNow', to: target })
    } else {
      progress.appendDue = true // catch the target up first; timeoutNow follows its acknowledgement
    }
    return { ok: true }
  }

  /**
   * The host serialized its state machine at applied index `index` into `data`: returns the
   * snapshot (for the host to persist with the log compaction behind it), drops the log up to
   * there, and offers the snapshot to followers that fall behind.
   */
  createSnapshot(index: number, data: Uint8Array): Snapshot {
    this.#assertNoReadyInFlight()
    assert(index <= this.#log.applied && index > this.#log.snapshotMeta.index, 'snapshot index out of range')
    assert(data.length > 0, 'a snapshot needs at least one byte')
    const snapshot: Snapshot = {
      meta: { index, term: this.#log.term(index)!, membership: this.#membershipAt(index) },
      data,
    }
    this.#log.compact(snapshot.meta)
    this.#snapshot = snapshot
    return snapshot
  }

  step(message: Message): void {
    this.#assertNoReadyInFlight()
    if (message.to !== this.id) return
    if (message.term > this.#term) {
      if (!this.#acceptHigherTerm(message)) return
    } else if (message.term < this.#term) {
      this.#answerLowerTerm(message)
      return
    }
    switch (message.type) {
      case 'vote':
        this.#handleVote(message)
        return
      case 'voteResponse':
        this.#handleVoteResponse(message)
        return
      case 'append':
      case 'heartbeat':
      case 'snapshot':
      case 'timeoutNow':
        if (this.#role === 'leader') return // same term, so from a stale copy of ourselves: ignore
        if (this.#role !== 'follower' || this.#leader !== message.from)
          this.#becomeFollower(message.term, message.from)
        this.#electionElapsed = 0
        this.#handleFromLeader(message)
        return
      case 'readIndexResponse':
        if (!message.reject) this.#readStates.push({ requestId: message.requestId, index: message.index })
        return
      case 'readIndex':
        if (this.#role !== 'leader') {
          this.#send({
            type: 'readIndexResponse',
            to: message.from,
            requestId: message.requestId,
            index: 0,
            reject: true,
          })
        } else if (this.#acceptRead(message.requestId, message.from)) {
          this.#send({
            type: 'readIndexResponse',
            to: message.from,
            requestId: message.requestId,
            index: 0,
            reject: true,
          })
        }
        return
      case 'appendResponse':
      case 'heartbeatResponse':
      case 'snapshotResponse':
        if (this.#role === 'leader') this.#handleFollowerResponse(message)
        return
    }
  }

  // ---------------------------------------------------------------- outputs

  hasReady(): boolean {
    return (
      this.#readyInFlight === null &&
      (this.#hardStateChanged() ||
        this.#log.pendingSnapshot !== null ||
        this.#log.unstableEntries().length > 0 ||
        this.#messages.length > 0 ||
        this.#messagesAfterPersist.length > 0 ||
        this.#readStates.length > 0 ||
        this.#log.hasNextCommitted() ||
        this.#hasAppendsToFlush())
    )
  }

  ready(): Ready {
    this.#assertNoReadyInFlight()
    if (this.#role === 'leader') this.#flushLeader()
    const committedEntries = this.#log.pendingSnapshot
      ? []
      : this.#log.nextCommitted(this.#options.applyBytesMax)
    const hardState = this.#hardState()
    const previous = this.#persistedHardState
    const entries = this.#log.unstableEntries()
    const ready: Ready = {
      mustSync:
        entries.length > 0 ||
        this.#log.pendingSnapshot !== null ||
        previous.term !== hardState.term ||
        previous.vote !== hardState.vote,
      hardState: this.#hardStateChanged() ? hardState : null,
      snapshot: this.#log.pendingSnapshot,
      entries,
      messages: this.#messages,
      messagesAfterPersist: this.#messagesAfterPersist,
      committedEntries,
      readStates: this.#readStates,
    }
    this.#messages = []
    this.#messagesAfterPersist = []
    this.#readStates = []
    this.#readyInFlight = {
      lastCommittedIndex: committedEntries.at(-1)?.index ?? 0,
      snapshotIndex: ready.snapshot?.meta.index ?? 0,
    }
    this.#persistedHardState = hardState
    return ready
  }

  /** The host has done everything the last Ready asked. */
  advance(): void {
    const done = this.#readyInFlight
    assert(done !== null, 'advance() without ready()')
    this.#readyInFlight = null
    this.#log.markPersisted()
    if (done.snapshotIndex > 0) this.#log.appliedTo(done.snapshotIndex)
    if (done.lastCommittedIndex > 0) this.#log.appliedTo(done.lastCommittedIndex)
    if (this.#role === 'leader') {
      // Thesis §10.2.1: the leader counts itself toward a quorum only for durable entries.
      this.#progress.get(this.id)?.maybeUpdate(this.#log.persistedIndex())
      this.#maybeCommit()
    }
  }

  status(): RaftStatus {
    const matchIndex = new Map<NodeId, number>()
    if (this.#role === 'leader')
      for (const [id, progress] of this.#progress) matchIndex.set(id, progress.match)
    return {
      id: this.id,
      term: this.#term,
      vote: this.#vote,
      role: this.#role,
      leader: this.#leader,
      commit: this.#log.committed,
      applied: this.#log.applied,
      lastIndex: this.#log.lastIndex(),
      lastTerm: this.#log.lastTerm(),
      persistedIndex: this.#log.persistedIndex(),
      snapshotIndex: this.#log.snapshotMeta.index,
      membership: this.#membership,
      transferee: this.#transferee,
      matchIndex,
    }
  }

  /** The entry at `index` if this node still holds it (for checkers and tests). */
  entryAt(index: number): Entry | undefined {
    return this.#log.entry(index)
  }

  termAt(index: number): number | undefined {
    return this.#log.term(index)
  }

  // ---------------------------------------------------------------- roles

  #becomeFollower(term: number, leader: NodeId | null): void {
    if (term !== this.#term) {
      this.#term = term
      this.#vote = null
    }
    this.#role = 'follower'
    this.#leader = leader
    this.#resetTimers()
    this.#dropLeaderState()
  }

  #campaign(kind: 'prevote' | 'vote', transfer: boolean): void {
    if (kind === 'prevote') {
      // Pre-vote (thesis §9.6): ask whether we could win before disturbing anyone's term.
      this.#role = 'precandidate'
      this.#leader = noLeader
    } else {
      this.#term++
      this.#vote = this.id
      this.#role = 'candidate'
      this.#leader = noLeader
    }
    this.#resetTimers()
    this.#dropLeaderState()
    this.#votes.clear()
    this.#votes.set(this.id, true)
    if (this.#tallyWon()) {
      if (kind === 'prevote') this.#campaign('vote', transfer)
      else this.#becomeLeader()
      return
    }
    const term = kind === 'prevote' ? this.#term + 1 : this.#term
    for (const voter of this.#membership.voters) {
      if (voter === this.id) continue
      this.#send({
        type: 'vote',
        to: voter,
        term,
        prevote: kind === 'prevote',
        lastIndex: this.#log.lastIndex(),
        lastTerm: this.#log.lastTerm(),
        transfer,
      })
    }
  }

  #becomeLeader(): void {
    assert(this.#role === 'candidate', 'only a candidate becomes leader')
    this.#role = 'leader'
    this.#leader = this.id
    this.#resetTimers()
    this.#progress.clear()
    for (const id of members(this.#membership)) this.#addProgress(id)
    this.#uncommittedBytes = 0
    // A no-op of our own term lets us commit (§5.4.2) and serve reads without a client write.
    this.#log.append({ kind: 'noop', term: this.#term, index: this.#log.lastIndex() + 1 })
  }

  #dropLeaderState(): void {
    this.#progress.clear()
    this.#transferee = null
    this.#reads.clear()
  }

  #resetTimers(): void {
    this.#electionElapsed = 0
    this.#heartbeatElapsed = 0
    const base = this.#options.electionTicks
    this.#randomizedElectionTicks = base + this.#options.random.int(0, base - 1)
  }

  #promotable(): boolean {
    return isVoter(this.#membership, this.id) && this.#log.pendingSnapshot === null
  }

  // ---------------------------------------------------------------- terms

  /** A message from a higher term. Returns false when it must be ignored. */
  #acceptHigherTerm(message: Message): boolean {
    if (message.type === 'vote') {
      // Leader lease (check-quorum): while we hear from a live leader, nobody may start an
      // election that could depose it, unless the leader itself asked for the transfer.
      const inLease =
        this.#options.checkQuorum &&
        this.#leader !== noLeader &&
        this.#electionElapsed < this.#options.electionTicks
      if (inLease && !message.transfer) return false
      if (message.prevote) return true // never change our term for a pre-vote
    }
    if (message.type === 'voteResponse' && message.prevote && !message.reject) return true
    const fromLeader =
      message.type === 'append' || message.type === 'heartbeat' || message.type === 'snapshot'
    this.#becomeFollower(message.term, fromLeader ? message.from : noLeader)
    return true
  }

  #answerLowerTerm(message: Message): void {
    if (
      (this.#options.checkQuorum || this.#options.preVote) &&
      (message.type === 'append' || message.type === 'heartbeat')
    ) {
      // A node whose term ran ahead during a partition ignores this stale leader's votes under
      // check-quorum, so the stale leader would never learn of the higher term. Answering with
      // our term makes it step down and lets a fresh election include us (etcd's fix).
      this.#acknowledge(message.from, 0)
    } else if (message.type === 'vote' && message.prevote) {
      this.#send({ type: 'voteResponse', to: message.from, prevote: true, reject: true })
    }
  }

  // ---------------------------------------------------------------- elections

  #handleVote(message: Extract<Message, { type: 'vote' }>): void {
    const canVote =
      this.#vote === message.from ||
      (this.#vote === null && this.#leader === noLeader) ||
      (message.prevote && message.term > this.#term)
    const granted = canVote && this.#log.isUpToDate(message.lastIndex, message.lastTerm)
    // A granted pre-vote answers in the candidate's future term, so it counts there.
    const term = granted && message.prevote ? message.term : this.#term
    if (granted && !message.prevote) {
      this.#vote = message.from
      this.#electionElapsed = 0
    }
    this.#send({ type: 'voteResponse', to: message.from, term, prevote: message.prevote, reject: !granted })
  }

  #handleVoteResponse(message: Extract<Message, { type: 'voteResponse' }>): void {
    const expected = this.#role === 'precandidate' ? true : this.#role === 'candidate' ? false : null
    if (expected === null || message.prevote !== expected) return
    if (!isVoter(this.#membership, message.from)) return
    this.#votes.set(message.from, !message.reject)
    if (this.#tallyWon()) {
      if (this.#role === 'precandidate') this.#campaign('vote', false)
      else this.#becomeLeader()
    } else if (this.#tallyLost()) {
      this.#becomeFollower(this.#term, noLeader)
    }
  }

  #tallyWon(): boolean {
    let granted = 0
    for (const voter of this.#membership.voters) if (this.#votes.get(voter) === true) granted++
    return granted >= quorumSize(this.#membership)
  }

  #tallyLost(): boolean {
    let rejected = 0
    for (const voter of this.#membership.voters) if (this.#votes.get(voter) === false) rejected++
    return rejected > this.#membership.voters.length - quorumSize(this.#membership)
  }

  // ---------------------------------------------------------------- follower

  #handleFromLeader(
    message: Extract<Message, { type: 'append' | 'heartbeat' | 'snapshot' | 'timeoutNow' }>,
  ): void {
    switch (message.type) {
      case 'append':
        this.#handleAppend(message)
        return
      case 'heartbeat':
        this.#log.commitTo(Math.min(message.commit, this.#log.lastIndex()))
        this.#send({ type: 'heartbeatResponse', to: message.from, readRound: message.readRound })
        return
      case 'snapshot':
        this.#handleSnapshotChunk(message)
        return
      case 'timeoutNow':
        if (this.#promotable()) this.#campaign('vote', true)
        return
    }
  }

  #handleAppend(message: Extract<Message, { type: 'append' }>): void {
    const log = this.#log
    if (message.prevIndex < log.committed) {
      this.#acknowledge(message.from, log.committed)
      return
    }
    if (!log.matchTerm(message.prevIndex, message.prevTerm)) {
      const hintIndex = log.findConflictByTerm(Math.min(message.prevIndex, log.lastIndex()), message.prevTerm)
      this.#send({
        type: 'appendResponse',
        to: message.from,
        index: message.prevIndex,
        reject: true,
        hintIndex,
        hintTerm: log.term(hintIndex) ?? 0,
      })
      return
    }
    const changedFrom = log.merge(message.entries)
    if (changedFrom > 0) this.#updateMembershipFrom(changedFrom)
    const lastNew = message.prevIndex + message.entries.length
    log.commitTo(Math.min(message.commit, lastNew))
    this.#acknowledge(message.from, lastNew)
  }

  #handleSnapshotChunk(message: Extract<Message, { type: 'snapshot' }>): void {
    const { meta } = message
    const ack = (offset: number, reject = false): void =>
      this.#send({ type: 'snapshotResponse', to: message.from, snapshotIndex: meta.index, offset, reject })
    if (meta.index <= this.#log.committed) {
      this.#reception = null
      this.#acknowledge(message.from, this.#log.committed)
      return
    }
    let reception = this.#reception
    if (
      message.offset === 0 &&
      (reception === null || reception.meta.index !== meta.index || reception.receivedBytes > 0)
    ) {
      reception = { meta, totalBytes: message.totalBytes, chunks: [], receivedBytes: 0 }
      this.#reception = reception
    }
    if (
      reception === null ||
      reception.meta.index !== meta.index ||
      message.offset !== reception.receivedBytes
    ) {
      // Out of order (a chunk was lost, or we restarted): tell the leader where to resume.
      ack(reception?.meta.index === meta.index ? reception.receivedBytes : 0, true)
      return
    }
    reception.chunks.push(message.chunk)
    reception.receivedBytes += message.chunk.length
    if (reception.receivedBytes < reception.totalBytes) {
      ack(reception.receivedBytes)
      return
    }
    this.#reception = null
    const data = concatBytes(reception.chunks, reception.totalBytes)
    this.#installSnapshot({ meta, data })
    this.#acknowledge(message.from, this.#log.committed)
  }

  /** Tell the leader our log matches its log up to `index` (durable once this Ready is). */
  #acknowledge(leader: NodeId, index: number): void {
    this.#send({ type: 'appendResponse', to: leader, index, reject: false, hintIndex: 0, hintTerm: 0 })
  }

  #installSnapshot(snapshot: Snapshot): void {
    const { meta } = snapshot
    if (this.#log.matchTerm(meta.index, meta.term)) {
      // We hold the snapshot's entries already: they are committed, keep the log.
      this.#log.commitTo(meta.index)
      return
    }
    this.#log.restore(snapshot)
    this.#snapshot = snapshot
    this.#recomputeMembership()
  }

  // ---------------------------------------------------------------- leader

  #tickLeader(): void {
    this.#heartbeatElapsed++
    for (const progress of this.#progress.values()) {
      const transfer = progress.transfer
      if (transfer && ++transfer.idleTicks >= this.#options.electionTicks) {
        // No answer for a whole election timeout: resend from the last acknowledged chunk. The
        // follower answers a chunk of a snapshot it already installed with its commit index.
        transfer.sentOffset = Math.min(transfer.ackedOffset, transfer.snapshot.data.length - 1)
        transfer.idleTicks = 0
      }
    }
    if (this.#electionElapsed >= this.#options.electionTicks) {
      this.#electionElapsed = 0
      if (this.#options.checkQuorum && !this.#quorumActive()) {
        this.#becomeFollower(this.#term, noLeader)
        return
      }
      this.#transferee = null // a transfer that did not finish within an election timeout is abandoned
    }
    if (this.#heartbeatElapsed >= this.#options.heartbeatTicks) {
      this.#heartbeatElapsed = 0
      this.#broadcastHeartbeat()
    }
  }

  #quorumActive(): boolean {
    let active = 0
    for (const voter of this.#membership.voters) {
      const progress = this.#progress.get(voter)
      if (voter === this.id || progress?.recentActive) active++
    }
    for (const progress of this.#progress.values()) progress.recentActive = false
    return active >= quorumSize(this.#membership)
  }

  #broadcastHeartbeat(): void {
    const readRound = this.#reads.broadcast()
    for (const [id, progress] of this.#progress) {
      if (id === this.id) continue
      this.#send({
        type: 'heartbeat',
        to: id,
        commit: Math.min(progress.match, this.#log.committed),
        readRound,
      })
    }
  }

  #refuseProposal(bytes: number): RaftRefusal | null {
    if (this.#role !== 'leader') return { reason: 'notLeader', leader: this.#leader }
    if (this.#transferee !== null) return { reason: 'transferring' }
    if (bytes > this.#options.proposalBytesMax) return { reason: 'tooLarge', bytes }
    if (this.#uncommittedBytes > 0 && this.#uncommittedBytes + bytes > this.#options.uncommittedBytesMax) {
      return { reason: 'busy', detail: `${this.#uncommittedBytes} uncommitted bytes` }
    }
    return null
  }

  #appendOwn(entry: Entry): ProposalResult {
    this.#log.append(entry)
    this.#uncommittedBytes += entryBytes(entry)
    if (entry.kind === 'config') this.#recomputeMembership()
    return { ok: true, index: entry.index, term: entry.term }
  }

  #committedOwnTerm(): boolean {
    return this.#log.term(this.#log.committed) === this.#term
  }

  #addProgress(id: NodeId): void {
    const progress = new Progress(this.#log.lastIndex() + 1)
    if (id === this.id) progress.match = this.#log.persistedIndex()
    progress.recentActive = true
    this.#progress.set(id, progress)
  }

  #handleFollowerResponse(
    message: Extract<Message, { type: 'appendResponse' | 'heartbeatResponse' | 'snapshotResponse' }>,
  ): void {
    const progress = this.#progress.get(message.from)
    if (!progress) return
    progress.recentActive = true
    if (message.type === 'heartbeatResponse') {
      // The follower is alive: appends it never answered were lost. Probe again, or let one more
      // append into a full pipeline; a gap makes the follower reject and the leader back up.
      if (progress.state === 'probe') progress.probeSent = false
      else if (
        progress.state === 'replicate' &&
        progress.inflights.length >= this.#options.inflightAppendsMax
      ) {
        progress.inflights.shift()
      }
      // An append even with no entries: a follower missing some answers with a rejection,
      // which backs the leader up to where it matches (etcd does the same).
      if (progress.match < this.#log.lastIndex()) progress.appendDue = true
      if (isVoter(this.#membership, message.from) && message.readRound > progress.readRoundAcked) {
        progress.readRoundAcked = message.readRound
        this.#releaseReads()
      }
      return
    }
    if (message.type === 'snapshotResponse') {
      const transfer = progress.transfer
      if (
        progress.state !== 'snapshot' ||
        !transfer ||
        transfer.snapshot.meta.index !== message.snapshotIndex
      )
        return
      transfer.idleTicks = 0
      if (message.reject) {
        // A chunk was lost or the follower restarted: go back to where it has everything.
        transfer.sentOffset = message.offset
        transfer.ackedOffset = message.offset
      } else {
        transfer.ackedOffset = Math.max(transfer.ackedOffset, message.offset)
      }
      return
    }
    if (message.reject) {
      const hint =
        message.hintTerm > 0
          ? this.#log.findConflictByTerm(message.hintIndex, message.hintTerm)
          : message.hintIndex
      if (progress.maybeDecreaseTo(message.index, hint)) {
        if (progress.state === 'replicate') progress.becomeProbe()
      }
      return
    }
    if (progress.maybeUpdate(message.index)) {
      if (progress.state === 'probe' || this.#snapshotDelivered(progress)) progress.becomeReplicate()
      this.#maybeCommit()
      if (message.from === this.#transferee && progress.match === this.#log.lastIndex()) {
        this.#send({ type: 'timeoutNow', to: message.from })
      }
    } else if (this.#snapshotDelivered(progress)) {
      progress.becomeReplicate()
    }
  }

  #snapshotDelivered(progress: Progress): boolean {
    return progress.state === 'snapshot' && progress.match >= progress.transfer!.snapshot.meta.index
  }

  /** §5.4.2: commit the quorum's durable index, but only by counting replicas of current-term entries. */
  #maybeCommit(): void {
    const matches = this.#membership.voters
      .map((id) => this.#progress.get(id)?.match ?? 0)
      .sort((a, b) => b - a)
    if (matches.length === 0) return
    const quorumMatch = matches[quorumSize(this.#membership) - 1]!
    if (quorumMatch <= this.#log.committed) return
    if (this.#log.term(quorumMatch) !== this.#term && !this.#options.unsafeCountOldTermReplicas) return
    const before = this.#log.committed
    this.#log.commitTo(quorumMatch)
    for (let index = before + 1; index <= quorumMatch; index++) {
      const entry = this.#log.entry(index)
      if (entry) this.#uncommittedBytes = Math.max(0, this.#uncommittedBytes - entryBytes(entry))
    }
    if (this.#committedOwnTerm()) {
      for (const read of this.#reads.takeAwaitingOwnTermCommit()) this.#acceptRead(read.requestId, read.from)
    }
    if (this.#configIndex > 0 && this.#configIndex <= quorumMatch && !isVoter(this.#membership, this.id)) {
      // Thesis §4.2.2: a leader that removed itself steps down once the removal is committed.
      this.#becomeFollower(this.#term, noLeader)
    }
  }

  #acceptRead(requestId: string, from: NodeId): RaftRefusal | null {
    if (this.#reads.full) return { reason: 'busy', detail: 'too many reads waiting' }
    if (!this.#committedOwnTerm()) {
      this.#reads.awaitOwnTermCommit(requestId, from)
    } else if (this.#membership.voters.length === 1 && isVoter(this.#membership, this.id)) {
      this.#answerRead({ requestId, from, index: this.#log.committed, round: 0 })
    } else {
      this.#reads.enqueue(requestId, from, this.#log.committed)
    }
    return null
  }

  /** The highest read round a quorum of voters (this leader included) has answered. */
  #releaseReads(): void {
    const acked = this.#membership.voters
      .map((id) => (id === this.id ? this.#reads.round : (this.#progress.get(id)?.readRoundAcked ?? 0)))
      .sort((a, b) => b - a)
    const confirmedRound = acked[quorumSize(this.#membership) - 1] ?? 0
    for (const read of this.#reads.release(confirmedRound)) this.#answerRead(read)
  }

  #answerRead(read: PendingRead): void {
    if (read.from === this.id) this.#readStates.push({ requestId: read.requestId, index: read.index })
    else
      this.#send({
        type: 'readIndexResponse',
        to: read.from,
        requestId: read.requestId,
        index: read.index,
        reject: false,
      })
  }

  #hasAppendsToFlush(): boolean {
    if (this.#role !== 'leader') return false
    if (this.#reads.roundDue) return true
    for (const [id, progress] of this.#progress) {
      if (id === this.id) continue
      if (progress.state === 'snapshot') {
        if (this.#snapshotChunkDue(progress)) return true
      } else if (!progress.isPaused(this.#options.inflightAppendsMax)) {
        const behind = progress.next <= this.#log.lastIndex() || progress.sentCommit < this.#log.committed
        if (behind || progress.appendDue) return true
      }
    }
    return false
  }

  /** Batching: appends go out once per Ready, carrying everything proposed since the last one. */
  #flushLeader(): void {
    if (this.#reads.roundDue) {
      this.#heartbeatElapsed = 0
      this.#broadcastHeartbeat()
    }
    for (const [id, progress] of this.#progress) {
      if (id === this.id) continue
      if (progress.state === 'snapshot') {
        this.#sendSnapshotChunks(id, progress)
        continue
      }
      // Pipelining: keep sending while the inflight window has room.
      let sendEmpty = progress.sentCommit < this.#log.committed || progress.appendDue
      progress.appendDue = false
      while (!progress.isPaused(this.#options.inflightAppendsMax)) {
        if (!this.#sendAppend(id, sendEmpty)) break
        sendEmpty = false
        if (progress.state !== 'replicate') break
      }
    }
  }

  /** Sends one append (or starts a snapshot) to `to`; false when there was nothing to send. */
  #sendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const progress = this.#progress.get(to)!
    if (progress.isPaused(this.#options.inflightAppendsMax)) return false
    const prevIndex = progress.next - 1
    const prevTerm = this.#log.term(prevIndex)
    if (prevTerm === undefined) {
      // The follower needs entries we compacted away: send our snapshot instead.
      assert(this.#snapshot !== null, 'log compacted without a snapshot')
      progress.becomeSnapshot(this.#snapshot)
      this.#sendSnapshotChunks(to, progress)
      return false
    }
    const entries =
      progress.next <= this.#log.lastIndex()
        ? this.#log.slice(progress.next, this.#log.lastIndex(), this.#options.appendBytesMax)
        : []
    if (entries.length === 0 && !sendIfEmpty) return false
    const commit = this.#log.committed
    this.#send({ type: 'append', to, prevIndex, prevTerm, entries, commit })
    progress.sentCommit = commit
    progress.sentAppend(prevIndex + entries.length, entries.length)
    return entries.length > 0
  }

  #snapshotChunkDue(progress: Progress): boolean {
    const transfer = progress.transfer!
    const windowBytes = this.#options.snapshotChunksInflightMax * this.#options.snapshotChunkBytes
    return (
      transfer.sentOffset < transfer.snapshot.data.length &&
      transfer.sentOffset - transfer.ackedOffset < windowBytes
    )
  }

  /** Streams chunks within the window; acknowledgements open it again (backpressure). */
  #sendSnapshotChunks(to: NodeId, progress: Progress): void {
    const transfer = progress.transfer!
    const { snapshot } = transfer
    const totalBytes = snapshot.data.length
    while (this.#snapshotChunkDue(progress)) {
      const end = Math.min(totalBytes, transfer.sentOffset + this.#options.snapshotChunkBytes)
      const chunk = snapshot.data.subarray(transfer.sentOffset, end)
      this.#send({
        type: 'snapshot',
        to,
        meta: snapshot.meta,
        offset: transfer.sentOffset,
        totalBytes,
        chunk,
      })
      transfer.sentOffset = end
    }
  }

  // ---------------------------------------------------------------- plumbing

  /** The membership in force at `index`: its latest config entry, else the snapshot's. */
  #membershipAt(index: number): Membership {
    return this.#configEntryAt(index)?.membership ?? this.#log.snapshotMeta.membership
  }

  #configEntryAt(index: number): Extract<Entry, { kind: 'config' }> | undefined {
    for (let at = Math.min(index, this.#log.lastIndex()); at > this.#log.snapshotMeta.index; at--) {
      const entry = this.#log.entry(at)!
      if (entry.kind === 'config') return entry
    }
    return undefined
  }

  /**
   * The log changed from `index` on. Only a truncation that reached the latest config entry needs
   * a look further back; otherwise the new entries alone can change the membership.
   */
  #updateMembershipFrom(index: number): void {
    if (index <= this.#configIndex) {
      this.#recomputeMembership()
      return
    }
    for (let at = this.#log.lastIndex(); at >= index; at--) {
      if (this.#log.entry(at)?.kind === 'config') {
        this.#recomputeMembership()
        return
      }
    }
  }

  #recomputeMembership(): void {
    const latest = this.#configEntryAt(this.#log.lastIndex())
    this.#membership = latest?.membership ?? this.#log.snapshotMeta.membership
    this.#configIndex = latest?.index ?? 0
    if (this.#role === 'leader') {
      const membership = this.#membership
      for (const id of members(membership)) if (!this.#progress.has(id)) this.#addProgress(id)
      for (const id of [...this.#progress.keys()]) if (!isMember(membership, id)) this.#progress.delete(id)
      if (this.#transferee !== null && !isVoter(membership, this.#transferee)) this.#transferee = null
    }
  }

  #send(message: DistributiveOmit<Message, 'from' | 'term'> & { term?: number }): void {
    const full = { ...message, from: this.id, term: message.term ?? this.#term } as Message
    // A leader's appends, heartbeats and snapshot chunks do not promise anything about this
    // node's disk, so they may leave before the Ready is persisted, once our term is durable.
    const early =
      this.#role === 'leader' &&
      this.#persistedHardState.term === this.#term &&
      (full.type === 'append' ||
        full.type === 'heartbeat' ||
        full.type === 'snapshot' ||
        full.type === 'timeoutNow' ||
        full.type === 'readIndexResponse')
    if (early) this.#messages.push(full)
    else this.#messagesAfterPersist.push(full)
  }

  #hardState(): HardState {
    return { term: this.#term, vote: this.#vote, commit: this.#log.committed }
  }

  #hardStateChanged(): boolean {
    const previous = this.#persistedHardState
    return (
      previous.term !== this.#term || previous.vote !== this.#vote || previous.commit !== this.#log.committed
    )
  }

  #assertNoReadyInFlight(): void {
    assert(this.#readyInFlight === null, 'the core was called between ready() and advance()')
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

function concatBytes(chunks: readonly Uint8Array[], totalBytes: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(totalBytes)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}
