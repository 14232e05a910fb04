// What the leader knows of one follower's log, and how it paces replication to it:
// `probe` sends one append at a time until it finds where the logs match, `replicate` pipelines
// appends within a window of inflight messages, `snapshot` streams a snapshot in chunks.

import type { Snapshot } from './types.ts'

export type ProgressState = 'probe' | 'replicate' | 'snapshot'

export interface SnapshotTransfer {
  readonly snapshot: Snapshot
  sentOffset: number
  ackedOffset: number
  /** Ticks since the last acknowledgement; lost chunks are re-sent after a while. */
  idleTicks: number
}

export class Progress {
  match = 0
  next: number
  state: ProgressState = 'probe'
  /** In probe state, an append is out and unanswered. */
  probeSent = false
  /** Last index of each append in flight, oldest first (replicate state). */
  readonly inflights: number[] = []
  /** Heard from within the current election timeout (check-quorum). */
  recentActive = false
  transfer: SnapshotTransfer | null = null
  /** The commit index last sent to this follower, so a commit advance can be announced. */
  sentCommit = 0
  /** Send an append at the next flush even if it carries no entries. */
  appendDue = false
  /** The highest read round this follower acknowledged. */
  readRoundAcked = 0

  constructor(next: number) {
    this.next = next
  }

  becomeProbe(): void {
    // After a snapshot the follower holds everything up to it; resume right after.
    if (this.state === 'snapshot' && this.transfer) {
      this.next = Math.max(this.match + 1, this.transfer.snapshot.meta.index + 1)
    } else {
      this.next = this.match + 1
    }
    this.state = 'probe'
    this.probeSent = false
    this.inflights.length = 0
    this.transfer = null
  }

  becomeReplicate(): void {
    this.state = 'replicate'
    this.next = this.match + 1
    this.inflights.length = 0
    this.transfer = null
  }

  becomeSnapshot(snapshot: Snapshot): void {
    this.state = 'snapshot'
    this.inflights.length = 0
    this.transfer = { snapshot, sentOffset: 0, ackedOffset: 0, idleTicks: 0 }
  }

  /** An acknowledgement up to `index`: returns false when it is stale. */
  maybeUpdate(index: number): boolean {
    let updated = false
    if (index > this.match) {
      this.match = index
      updated = true
      this.probeSent = false
    }
    this.next = Math.max(this.next, index + 1)
    while (this.inflights.length > 0 && this.inflights[0]! <= index) this.inflights.shift()
    return updated
  }

  /**
   * A rejection of the append after `rejected`; `matchHint` is where the logs may match.
   * Returns false when the rejection is stale (answers an append we no longer care about).
   */
  maybeDecreaseTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false
      this.next = this.match + 1
      return true
    }
    if (this.next - 1 !== rejected) return false
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1)
    this.probeSent = false
    return true
  }

  isPaused(inflightAppendsMax: number): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent
      case 'replicate':
        return this.inflights.length >= inflightAppendsMax
      case 'snapshot':
        return true
    }
  }

  sentAppend(lastIndex: number, entryCount: number): void {
    if (this.state === 'replicate') {
      if (entryCount > 0) {
        this.next = lastIndex + 1
        this.inflights.push(lastIndex)
      }
    } else if (this.state === 'probe') {
      this.probeSent = true
    }
  }
}
