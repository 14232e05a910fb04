// In-memory storage adapter. A write becomes "durable" the moment `write()` is called, so the
// simulator can keep this object across a simulated crash and lose only what was never written.

import type { LogStore, RaftStorage, SnapshotStore, StableStore, StorageBatch } from '../storage.ts'
import type { Entry, HardState, Snapshot } from '../types.ts'

class MemoryBatch implements StorageBatch {
  readonly #operations: Array<() => void> = []
  #written = false
  stage(operation: () => void): void {
    if (this.#written) throw new Error('a storage batch cannot be reused after write()')
    this.#operations.push(operation)
  }
  write(): Promise<void> {
    // Running the operations again would replay stale writes over newer ones.
    if (this.#written) return Promise.reject(new Error('a storage batch cannot be written twice'))
    this.#written = true
    for (const operation of this.#operations) operation()
    return Promise.resolve()
  }
}

function asMemoryBatch(batch: StorageBatch): MemoryBatch {
  if (!(batch instanceof MemoryBatch)) throw new Error('batch was not created by this memory storage')
  return batch
}

export class MemoryStorage implements RaftStorage {
  #entries: Entry[] = []
  #hardState: HardState | null = null
  #snapshot: Snapshot | null = null

  readonly log: LogStore = {
    entries: () => Promise.resolve(this.#entries.slice()),
    append: (batch, entries) => {
      const copy = entries.slice()
      asMemoryBatch(batch).stage(() => {
        if (copy.length === 0) return
        const first = copy[0]!.index
        this.#entries = this.#entries.filter((entry) => entry.index < first).concat(copy)
      })
    },
    compact: (batch, index) =>
      asMemoryBatch(batch).stage(() => {
        this.#entries = this.#entries.filter((entry) => entry.index > index)
      }),
    clear: (batch) =>
      asMemoryBatch(batch).stage(() => {
        this.#entries = []
      }),
  }

  readonly stable: StableStore = {
    hardState: () => Promise.resolve(this.#hardState),
    setHardState: (batch, hardState) =>
      asMemoryBatch(batch).stage(() => {
        this.#hardState = hardState
      }),
  }

  readonly snapshots: SnapshotStore = {
    latest: () => Promise.resolve(this.#snapshot),
    save: (batch, snapshot) =>
      asMemoryBatch(batch).stage(() => {
        if (!this.#snapshot || snapshot.meta.index >= this.#snapshot.meta.index) this.#snapshot = snapshot
      }),
  }

  batch(): StorageBatch {
    return new MemoryBatch()
  }

  close(): Promise<void> {
    return Promise.resolve()
  }

  /** Synchronous view of what is durable, for the simulator (which has no event loop to await). */
  durable(): { hardState: HardState | null; snapshot: Snapshot | null; entries: readonly Entry[] } {
    return { hardState: this.#hardState, snapshot: this.#snapshot, entries: this.#entries.slice() }
  }
}
