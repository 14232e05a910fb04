// Linearizable reads without writing to the log (ReadIndex, Raft thesis §6.4). The leader notes
// its commit index for each read, then confirms it is still leader by a round of heartbeats that
// a quorum answers; reads arriving before the next heartbeat share its round. Only after an entry
// of its own term is committed does a new leader know the commit index is current, so reads
// arriving earlier wait for that.

import type { NodeId } from './types.ts'

export interface PendingRead {
  readonly requestId: string
  /** The node that asked: the leader itself, or a follower whose request was forwarded. */
  readonly from: NodeId
  readonly index: number
  readonly round: number
}

export class ReadIndexQueue {
  readonly #pendingMax: number
  #round = 0
  #broadcastRound = 0
  #pending: PendingRead[] = []
  #awaitingOwnTermCommit: Array<{ requestId: string; from: NodeId }> = []

  constructor(pendingMax: number) {
    this.#pendingMax = pendingMax
  }

  /** The newest round: the leader has seen its own heartbeat answered up to here. */
  get round(): number {
    return this.#round
  }

  get full(): boolean {
    return this.#pending.length + this.#awaitingOwnTermCommit.length >= this.#pendingMax
  }

  /** Reads are waiting for a heartbeat round that has not been sent yet. */
  get roundDue(): boolean {
    return this.#round > this.#broadcastRound
  }

  /** A heartbeat goes out now: returns the round it carries. */
  broadcast(): number {
    this.#broadcastRound = this.#round
    return this.#round
  }

  awaitOwnTermCommit(requestId: string, from: NodeId): void {
    this.#awaitingOwnTermCommit.push({ requestId, from })
  }

  takeAwaitingOwnTermCommit(): Array<{ requestId: string; from: NodeId }> {
    const waiting = this.#awaitingOwnTermCommit
    this.#awaitingOwnTermCommit = []
    return waiting
  }

  enqueue(requestId: string, from: NodeId, index: number): void {
    if (this.#round === this.#broadcastRound) this.#round++
    this.#pending.push({ requestId, from, index, round: this.#round })
  }

  /** Reads whose round a quorum has confirmed, oldest first. */
  release(confirmedRound: number): PendingRead[] {
    let count = 0
    while (count < this.#pending.length && this.#pending[count]!.round <= confirmedRound) count++
    return this.#pending.splice(0, count)
  }

  /** Leadership is lost: the reads get no answer (their hosts time them out). */
  clear(): void {
    this.#round = 0
    this.#broadcastRound = 0
    this.#pending = []
    this.#awaitingOwnTermCommit = []
  }
}
