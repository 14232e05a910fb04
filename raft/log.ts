// The in-memory Raft log of one node: the entries after its latest snapshot, what of them is
// durable, committed and applied. The host persists what the core hands it in each Ready; this
// log only remembers which indexes are durable so the leader can count itself honestly.

import { assert } from './assert.ts'
import type { Entry, Snapshot, SnapshotMeta } from './types.ts'

export function entryBytes(entry: Entry): number {
  return entry.kind === 'command' ? 24 + entry.data.length : 64
}

export class RaftLog {
  /** The snapshot the log starts after (index 0 and term 0 for a log that was never compacted). */
  snapshotMeta: SnapshotMeta
  /** entries[i].index === snapshotMeta.index + 1 + i */
  #entries: Entry[]
  /** Entries from this index on are not yet durable. */
  #unstableFrom: number
  committed: number
  applied: number
  /** A snapshot received from the leader, to be persisted and restored by the host. */
  pendingSnapshot: Snapshot | null = null

  constructor(snapshotMeta: SnapshotMeta, entries: readonly Entry[], committed: number) {
    this.snapshotMeta = snapshotMeta
    this.#entries = entries.filter((entry) => entry.index > snapshotMeta.index)
    for (let i = 0; i < this.#entries.length; i++) {
      assert(this.#entries[i]!.index === snapshotMeta.index + 1 + i, 'stored log has a gap')
    }
    this.#unstableFrom = this.lastIndex() + 1
    this.applied = snapshotMeta.index
    this.committed = Math.min(Math.max(committed, snapshotMeta.index), this.lastIndex())
  }

  firstIndex(): number {
    return this.snapshotMeta.index + 1
  }

  lastIndex(): number {
    return this.snapshotMeta.index + this.#entries.length
  }

  lastTerm(): number {
    return this.term(this.lastIndex())!
  }

  /** The term of the entry at `index`, or undefined when it is compacted away or beyond the log. */
  term(index: number): number | undefined {
    if (index === this.snapshotMeta.index) return this.snapshotMeta.term
    if (index < this.snapshotMeta.index || index > this.lastIndex()) return undefined
    return this.#entries[index - this.snapshotMeta.index - 1]!.term
  }

  entry(index: number): Entry | undefined {
    if (index <= this.snapshotMeta.index || index > this.lastIndex()) return undefined
    return this.#entries[index - this.snapshotMeta.index - 1]
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term
  }

  /** Raft's election restriction: is a log ending at (lastTerm, lastIndex) at least as up to date? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm()
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex())
  }

  /** Entries in [from, to] (inclusive), at most `bytesMax` bytes but at least one entry. */
  slice(from: number, to: number, bytesMax: number): Entry[] {
    assert(from > this.snapshotMeta.index, 'slice reaches into the compacted log')
    const out: Entry[] = []
    let bytes = 0
    for (let index = from; index <= Math.min(to, this.lastIndex()); index++) {
      const entry = this.entry(index)!
      bytes += entryBytes(entry)
      if (out.length > 0 && bytes > bytesMax) break
      out.push(entry)
    }
    return out
  }

  append(entry: Entry): void {
    assert(entry.index === this.lastIndex() + 1, 'append out of order')
    this.#entries.push(entry)
  }

  /**
   * Merges entries received from the leader after `prevIndex` (which matched): entries already
   * present with the same term are kept, the log is truncated at the first conflict. Returns the
   * index of the first conflict (0 when none), so the caller can recompute membership.
   */
  merge(entries: readonly Entry[]): number {
    for (const entry of entries) {
      const existing = this.term(entry.index)
      if (existing === entry.term) continue
      if (existing === undefined && entry.index <= this.snapshotMeta.index) continue
      assert(entry.index > this.committed, `conflict at committed index ${entry.index}`)
      this.truncateFrom(entry.index)
      for (const rest of entries) if (rest.index >= entry.index) this.append(rest)
      return entry.index
    }
    return 0
  }

  truncateFrom(index: number): void {
    assert(index > this.snapshotMeta.index, 'truncating into the snapshot')
    this.#entries.length = index - this.snapshotMeta.index - 1
    this.#unstableFrom = Math.min(this.#unstableFrom, index)
  }

  /**
   * The largest index <= `index` whose term is <= `term`: where a follower's log may match the
   * leader's, skipping a whole term of divergent entries per round trip (etcd's fast backtracking).
   */
  findConflictByTerm(index: number, term: number): number {
    let candidate = Math.min(index, this.lastIndex())
    while (candidate > this.snapshotMeta.index) {
      if (this.term(candidate)! <= term) return candidate
      candidate--
    }
    return candidate
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false
    assert(index <= this.lastIndex(), `commit ${index} beyond last index ${this.lastIndex()}`)
    this.committed = index
    return true
  }

  /** The last index that is durable on this node. */
  persistedIndex(): number {
    return this.#unstableFrom - 1
  }

  unstableEntries(): Entry[] {
    if (this.#unstableFrom > this.lastIndex()) return []
    return this.#entries.slice(this.#unstableFrom - this.snapshotMeta.index - 1)
  }

  /** Everything handed out in the last Ready is now durable. */
  markPersisted(): void {
    this.#unstableFrom = this.lastIndex() + 1
    this.pendingSnapshot = null
  }

  /** Committed entries not yet applied, bounded by bytes. */
  nextCommitted(bytesMax: number): Entry[] {
    const from = Math.max(this.applied, this.snapshotMeta.index) + 1
    if (from > this.committed) return []
    return this.slice(from, this.committed, bytesMax)
  }

  hasNextCommitted(): boolean {
    return Math.max(this.applied, this.snapshotMeta.index) < this.committed
  }

  appliedTo(index: number): void {
    assert(index <= this.committed, 'applied beyond commit')
    if (index > this.applied) this.applied = index
  }

  /** Drop entries up to a snapshot the host took of its own applied state. */
  compact(meta: SnapshotMeta): void {
    assert(meta.index <= this.applied, 'compacting entries that are not applied')
    if (meta.index <= this.snapshotMeta.index) return
    assert(this.term(meta.index) === meta.term, 'snapshot term does not match the log')
    this.#entries = this.#entries.slice(meta.index - this.snapshotMeta.index)
    this.snapshotMeta = meta
  }

  /** Replace the whole log with a snapshot received from the leader. */
  restore(snapshot: Snapshot): void {
    this.snapshotMeta = snapshot.meta
    this.#entries = []
    this.committed = snapshot.meta.index
    this.#unstableFrom = snapshot.meta.index + 1
    this.pendingSnapshot = snapshot
  }
}
