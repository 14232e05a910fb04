// The storage ports of Raft. All three stores of one node write through a shared `StorageBatch`,
// so one Ready cycle is one atomic, synced write (group commit), whatever the adapter.

import type { Entry, HardState, Snapshot } from './types.ts'

/**
 * Collects the writes of one Ready cycle; `write()` resolves once all of them are durable. With
 * `{ sync: false }` they are written in order but not flushed to the disk: a later synced write
 * flushes them too, and a power failure before that may lose them.
 */
export interface StorageBatch {
  write(options?: { readonly sync?: boolean }): Promise<void>
}

export interface LogStore {
  /** Every stored entry, in index order (read once, at open). */
  entries(): Promise<Entry[]>
  /** Store `entries`, first dropping any stored entry whose index is >= `entries[0].index`. */
  append(batch: StorageBatch, entries: readonly Entry[]): void
  /** Drop every entry whose index is <= `index` (log compaction behind a snapshot). */
  compact(batch: StorageBatch, index: number): void
  /** Drop every entry (a snapshot from the leader replaces the whole log). */
  clear(batch: StorageBatch): void
}

export interface StableStore {
  hardState(): Promise<HardState | null>
  setHardState(batch: StorageBatch, hardState: HardState): void
}

export interface SnapshotStore {
  latest(): Promise<Snapshot | null>
  save(batch: StorageBatch, snapshot: Snapshot): void
}

export interface RaftStorage {
  readonly log: LogStore
  readonly stable: StableStore
  readonly snapshots: SnapshotStore
  batch(): StorageBatch
  close(): Promise<void>
}

/** What a node needs to resume: everything durable, as the core's constructor takes it. */
export interface PersistedState {
  readonly hardState: HardState | null
  readonly snapshot: Snapshot | null
  readonly entries: readonly Entry[]
}

export async function loadPersistedState(storage: RaftStorage): Promise<PersistedState> {
  const [hardState, snapshot, entries] = await Promise.all([
    storage.stable.hardState(),
    storage.snapshots.latest(),
    storage.log.entries(),
  ])
  return { hardState, snapshot, entries }
}

/** Stages the durable part of a Ready (snapshot, entries, hard state) in one batch and writes it. */
export function persistReady(
  storage: RaftStorage,
  ready: Pick<PersistedState, 'hardState' | 'snapshot' | 'entries'> & { readonly mustSync?: boolean },
): Promise<void> {
  const batch = storage.batch()
  if (ready.snapshot) {
    storage.snapshots.save(batch, ready.snapshot)
    storage.log.clear(batch)
  }
  if (ready.entries.length > 0) storage.log.append(batch, ready.entries)
  if (ready.hardState) storage.stable.setHardState(batch, ready.hardState)
  return batch.write({ sync: ready.mustSync ?? true })
}

/** Saves a snapshot the host took itself and compacts the log behind it, in one batch. */
export function persistSnapshot(storage: RaftStorage, snapshot: Snapshot): Promise<void> {
  const batch = storage.batch()
  storage.snapshots.save(batch, snapshot)
  storage.log.compact(batch, snapshot.meta.index)
  return batch.write()
}
