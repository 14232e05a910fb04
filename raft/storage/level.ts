// LevelDB adapter of the Raft storage ports: owns one `level` database per node directory, its key
// layout and its format record. Every change goes through a `StorageBatch` that becomes one synced,
// atomic LevelDB write, so one Ready cycle costs one fsync whatever it touches.
//
// Key layout (each key starts with a one-byte family prefix; integers are big-endian):
//   0x00                       format record: u32 layout version (written at creation, checked at open)
//   0x01                       hard state (raft/codec.ts)
//   0x02                       snapshot header: u64 index, u32 chunk count, u64 encoded bytes
//   0x03 + u32 chunk number    one chunk of the encoded snapshot (raft/codec.ts), in order
//   0x04 + u64 index           log entry (raft/codec.ts); big-endian, so key order is index order
//
// The log is contiguous, so its first and last index (kept in memory, loaded at open) name every
// stored key: truncation and compaction delete keys computed from those bounds instead of scanning.

import { mkdir } from 'node:fs/promises'
import { Level } from 'level'
import { assert } from '../assert.ts'
import {
  decodeEntry,
  decodeHardState,
  decodeSnapshot,
  encodeEntry,
  encodeHardState,
  encodeSnapshot,
  FormatError,
} from '../codec.ts'
import type { LogStore, RaftStorage, SnapshotStore, StableStore, StorageBatch } from '../storage.ts'
import type { Entry, HardState, Snapshot } from '../types.ts'

/** Bump when the key layout or a record's framing changes; older builds then refuse the directory. */
export const levelStorageLayoutVersion = 1

// LevelDB copies a value whole on every read, compaction and write-ahead-log record; 1 MiB chunks keep
// a large snapshot from turning into one huge allocation and one huge log record.
export const snapshotChunkBytesDefault = 1024 * 1024
export const snapshotChunkBytesMax = 64 * 1024 * 1024

const formatPrefix = 0x00
const hardStatePrefix = 0x01
const snapshotHeaderPrefix = 0x02
const snapshotChunkPrefix = 0x03
const entryPrefix = 0x04

const formatKey = Uint8Array.of(formatPrefix)
const hardStateKey = Uint8Array.of(hardStatePrefix)
const snapshotHeaderKey = Uint8Array.of(snapshotHeaderPrefix)
const formatRecordBytes = 4
const snapshotHeaderBytes = 20

export interface LevelStorageOptions {
  /** Encoded snapshots are stored in records of at most this many bytes. */
  readonly snapshotChunkBytes?: number
}

/** First and last stored log index; null when the log is empty. */
type LogBounds = { readonly first: number; readonly last: number } | null

interface SnapshotHeader {
  readonly index: number
  readonly chunkCount: number
  readonly encodedBytes: number
}

interface DurableState {
  readonly bounds: LogBounds
  readonly snapshot: SnapshotHeader | null
}

// Values are encoded when staged, so a batch holds bytes and later mutation by the caller is harmless.
type Operation =
  | { readonly type: 'append'; readonly first: number; readonly values: readonly Uint8Array[] }
  | { readonly type: 'compact'; readonly index: number }
  | { readonly type: 'clear' }
  | { readonly type: 'hardState'; readonly value: Uint8Array }
  | { readonly type: 'snapshot'; readonly header: SnapshotHeader; readonly chunks: readonly Uint8Array[] }

/** Where a plan's puts and deletes go: a LevelDB chained batch in production. */
interface WriteSink {
  put(key: Uint8Array, value: Uint8Array): unknown
  del(key: Uint8Array): unknown
}

function writeUint64(view: DataView, offset: number, value: number): void {
  assert(Number.isSafeInteger(value) && value >= 0, `${value} is not a non-negative safe integer`)
  view.setUint32(offset, Math.floor(value / 2 ** 32))
  view.setUint32(offset + 4, value >>> 0)
}

function readUint64(view: DataView, offset: number): number {
  return view.getUint32(offset) * 2 ** 32 + view.getUint32(offset + 4)
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function entryKey(index: number): Uint8Array {
  const key = new Uint8Array(9)
  key[0] = entryPrefix
  writeUint64(viewOf(key), 1, index)
  return key
}

function snapshotChunkKey(chunk: number): Uint8Array {
  const key = new Uint8Array(5)
  key[0] = snapshotChunkPrefix
  viewOf(key).setUint32(1, chunk)
  return key
}

const entryRange = { gte: Uint8Array.of(entryPrefix), lt: Uint8Array.of(entryPrefix + 1) }

function encodeSnapshotHeader(header: SnapshotHeader): Uint8Array {
  const bytes = new Uint8Array(snapshotHeaderBytes)
  const view = viewOf(bytes)
  writeUint64(view, 0, header.index)
  view.setUint32(8, header.chunkCount)
  writeUint64(view, 12, header.encodedBytes)
  return bytes
}

function decodeSnapshotHeader(bytes: Uint8Array): SnapshotHeader {
  if (bytes.length !== snapshotHeaderBytes) {
    throw new FormatError(`snapshot header: ${bytes.length} bytes, expected ${snapshotHeaderBytes}`)
  }
  const view = viewOf(bytes)
  return { index: readUint64(view, 0), chunkCount: view.getUint32(8), encodedBytes: readUint64(view, 12) }
}

function entryKeyIndex(key: Uint8Array): number {
  if (key.length !== 9) throw new FormatError(`log key of ${key.length} bytes, expected 9`)
  return readUint64(viewOf(key), 1)
}

function corrupt(directory: string, what: string, error: unknown): FormatError {
  const reason = error instanceof Error ? error.message : String(error)
  return new FormatError(`raft storage at ${directory}: ${what} is unreadable (${reason})`)
}

function deleteEntries(sink: WriteSink, first: number, last: number): void {
  for (let index = first; index <= last; index++) sink.del(entryKey(index))
}

/**
 * Turns staged operations into puts and deletes against the durable state they will land on, in
 * order, so that operations in one batch compose (a LevelDB batch applies its puts and deletes in
 * order too). Returns the durable state once the sink has been written.
 */
function planWrite(state: DurableState, operations: readonly Operation[], sink: WriteSink): DurableState {
  let { bounds, snapshot } = state
  for (const operation of operations) {
    switch (operation.type) {
      case 'append': {
        const first = operation.first
        const last = first + operation.values.length - 1
        // A gap would break the contiguity the bounds stand for (and Raft's log matching).
        assert(!bounds || first <= bounds.last + 1, `append at ${first} leaves a gap after ${bounds?.last}`)
        if (bounds && bounds.last > last) deleteEntries(sink, Math.max(last + 1, bounds.first), bounds.last)
        for (const [offset, value] of operation.values.entries()) sink.put(entryKey(first + offset), value)
        bounds = { first: bounds && bounds.first < first ? bounds.first : first, last }
        break
      }
      case 'compact': {
        if (!bounds || operation.index < bounds.first) break
        deleteEntries(sink, bounds.first, Math.min(operation.index, bounds.last))
        bounds = operation.index >= bounds.last ? null : { first: operation.index + 1, last: bounds.last }
        break
      }
      case 'clear': {
        if (bounds) deleteEntries(sink, bounds.first, bounds.last)
        bounds = null
        break
      }
      case 'hardState': {
        sink.put(hardStateKey, operation.value)
        break
      }
      case 'snapshot': {
        const header = operation.header
        if (snapshot && header.index < snapshot.index) break
        for (const [number, chunk] of operation.chunks.entries()) sink.put(snapshotChunkKey(number), chunk)
        for (let number = header.chunkCount; number < (snapshot?.chunkCount ?? 0); number++) {
          sink.del(snapshotChunkKey(number))
        }
        sink.put(snapshotHeaderKey, encodeSnapshotHeader(header))
        snapshot = header
        break
      }
    }
  }
  return { bounds, snapshot }
}

class LevelBatch implements StorageBatch {
  readonly owner: LevelStorage
  readonly #commit: (operations: readonly Operation[], sync: boolean) => Promise<void>
  readonly #operations: Operation[] = []
  #written = false

  constructor(
    owner: LevelStorage,
    commit: (operations: readonly Operation[], sync: boolean) => Promise<void>,
  ) {
    this.owner = owner
    this.#commit = commit
  }

  stage(operation: Operation): void {
    assert(!this.#written, 'a storage batch cannot be reused after write()')
    this.#operations.push(operation)
  }

  async write(options?: { readonly sync?: boolean }): Promise<void> {
    assert(!this.#written, 'a storage batch cannot be written twice')
    this.#written = true
    await this.#commit(this.#operations, options?.sync ?? true)
  }
}

export class LevelStorage implements RaftStorage {
  readonly directory: string
  readonly #db: Level<Uint8Array, Uint8Array>
  readonly #snapshotChunkBytes: number
  #durable: DurableState
  #syncedWrites = 0
  // Writes are planned against the durable state, so each waits for the one before it.
  #tail: Promise<void> = Promise.resolve()
  #failure: Error | null = null

  /** Use `openLevelStorage`, which checks the format and loads the durable state first. */
  constructor(
    db: Level<Uint8Array, Uint8Array>,
    directory: string,
    snapshotChunkBytes: number,
    durable: DurableState,
  ) {
    this.#db = db
    this.directory = directory
    this.#snapshotChunkBytes = snapshotChunkBytes
    this.#durable = durable
  }

  /** How many batches this instance has made durable with a synced write (one fsync each). */
  get syncedWrites(): number {
    return this.#syncedWrites
  }

  readonly log: LogStore = {
    entries: () => this.#readEntries(),
    append: (batch, entries) => {
      if (entries.length === 0) return
      const first = entries[0]!.index
      for (const [offset, entry] of entries.entries()) {
        assert(entry.index === first + offset, `appended entries skip from ${first} to ${entry.index}`)
      }
      this.#own(batch).stage({ type: 'append', first, values: entries.map(encodeEntry) })
    },
    compact: (batch, index) => this.#own(batch).stage({ type: 'compact', index }),
    clear: (batch) => this.#own(batch).stage({ type: 'clear' }),
  }

  readonly stable: StableStore = {
    hardState: () => this.#readHardState(),
    setHardState: (batch, hardState) =>
      this.#own(batch).stage({ type: 'hardState', value: encodeHardState(hardState) }),
  }

  readonly snapshots: SnapshotStore = {
    latest: () => this.#readSnapshot(),
    save: (batch, snapshot) => {
      const encoded = encodeSnapshot(snapshot)
      const chunks: Uint8Array[] = []
      for (let offset = 0; offset < encoded.length; offset += this.#snapshotChunkBytes) {
        chunks.push(encoded.subarray(offset, offset + this.#snapshotChunkBytes))
      }
      const header = { index: snapshot.meta.index, chunkCount: chunks.length, encodedBytes: encoded.length }
      this.#own(batch).stage({ type: 'snapshot', header, chunks })
    },
  }

  batch(): StorageBatch {
    return new LevelBatch(this, (operations, sync) => this.#enqueue(operations, sync))
  }

  async close(): Promise<void> {
    await this.#tail
    await this.#db.close()
  }

  #own(batch: StorageBatch): LevelBatch {
    assert(batch instanceof LevelBatch && batch.owner === this, 'batch was not created by this storage')
    return batch
  }

  #enqueue(operations: readonly Operation[], sync: boolean): Promise<void> {
    const written = this.#tail.then(() => this.#write(operations, sync))
    this.#tail = written.catch(() => undefined)
    return written
  }

  async #write(operations: readonly Operation[], sync: boolean): Promise<void> {
    if (this.#failure) throw this.#failure
    // Nothing staged: nothing to make durable, so spare the fsync.
    if (operations.length === 0) return
    const chained = this.#db.batch()
    let next: DurableState
    try {
      next = planWrite(this.#durable, operations, chained)
    } catch (error) {
      await chained.close()
      throw error
    }
    try {
      await chained.write({ sync })
    } catch (error) {
      // After a failed fsync the disk's content is unknown (it may hold the batch or not), so the
      // in-memory bounds can no longer be trusted: fail every later write until the node reopens.
      this.#failure = new Error(`raft storage at ${this.directory} failed a write; reopen it to continue`, {
        cause: error,
      })
      throw this.#failure
    }
    this.#durable = next
    if (sync) this.#syncedWrites += 1
  }

  async #readEntries(): Promise<Entry[]> {
    const records = await this.#db.iterator(entryRange).all()
    return records.map(([key, value], position) => {
      let entry: Entry
      try {
        entry = decodeEntry(value)
        const index = entryKeyIndex(key)
        if (entry.index !== index) throw new FormatError(`key says ${index}, entry says ${entry.index}`)
      } catch (error) {
        throw corrupt(this.directory, `log record ${position}`, error)
      }
      const previous = position > 0 ? records[position - 1]![0] : null
      if (previous && entryKeyIndex(previous) !== entry.index - 1) {
        throw corrupt(this.directory, 'the log', `a gap before index ${entry.index}`)
      }
      return entry
    })
  }

  async #readHardState(): Promise<HardState | null> {
    const value = await this.#db.get(hardStateKey)
    if (value === undefined) return null
    try {
      return decodeHardState(value)
    } catch (error) {
      throw corrupt(this.directory, 'the hard state record', error)
    }
  }

  async #readSnapshot(): Promise<Snapshot | null> {
    const header = this.#durable.snapshot
    if (!header) return null
    const chunks = await this.#db
      .values({ gte: snapshotChunkKey(0), lt: snapshotChunkKey(header.chunkCount) })
      .all()
    const encodedBytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0)
    if (chunks.length !== header.chunkCount || encodedBytes !== header.encodedBytes) {
      const found = `${chunks.length} chunks of ${encodedBytes} bytes`
      const expected = `${header.chunkCount} chunks of ${header.encodedBytes} bytes`
      throw corrupt(this.directory, 'the snapshot', `found ${found}, header says ${expected}`)
    }
    const encoded = new Uint8Array(encodedBytes)
    let offset = 0
    for (const chunk of chunks) {
      encoded.set(chunk, offset)
      offset += chunk.length
    }
    let snapshot: Snapshot
    try {
      snapshot = decodeSnapshot(encoded)
    } catch (error) {
      throw corrupt(this.directory, 'the snapshot', error)
    }
    if (snapshot.meta.index !== header.index) {
      throw corrupt(
        this.directory,
        'the snapshot',
        `header says index ${header.index}, data ${snapshot.meta.index}`,
      )
    }
    return snapshot
  }
}

/** Opens (creating if missing) the Raft storage of one node in `directory`. */
export async function openLevelStorage(
  directory: string,
  options: LevelStorageOptions = {},
): Promise<LevelStorage> {
  const snapshotChunkBytes = options.snapshotChunkBytes ?? snapshotChunkBytesDefault
  assert(
    Number.isInteger(snapshotChunkBytes) &&
      snapshotChunkBytes >= 1 &&
      snapshotChunkBytes <= snapshotChunkBytesMax,
    `snapshotChunkBytes must be an integer in 1..${snapshotChunkBytesMax}, not ${snapshotChunkBytes}`,
  )
  await mkdir(directory, { recursive: true })
  const db = new Level<Uint8Array, Uint8Array>(directory, { keyEncoding: 'view', valueEncoding: 'view' })
  try {
    await db.open()
  } catch (error) {
    const reason = (error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : error
    throw new Error(`raft storage at ${directory} cannot be opened (${reason})`, { cause: error })
  }
  try {
    await checkLayout(db, directory)
    const durable = {
      bounds: await loadBounds(db, directory),
      snapshot: await loadSnapshotHeader(db, directory),
    }
    return new LevelStorage(db, directory, snapshotChunkBytes, durable)
  } catch (error) {
    await db.close()
    throw error
  }
}

async function checkLayout(db: Level<Uint8Array, Uint8Array>, directory: string): Promise<void> {
  const record = await db.get(formatKey)
  if (record === undefined) {
    // Only an empty database may be claimed: anything else is some other program's data.
    const [anyKey] = await db.keys({ limit: 1 }).all()
    if (anyKey !== undefined) {
      throw new FormatError(`raft storage at ${directory}: LevelDB database without a format record`)
    }
    const fresh = new Uint8Array(formatRecordBytes)
    viewOf(fresh).setUint32(0, levelStorageLayoutVersion)
    await db.put(formatKey, fresh, { sync: true })
    return
  }
  if (record.length !== formatRecordBytes) {
    throw corrupt(directory, 'the format record', `${record.length} bytes, expected ${formatRecordBytes}`)
  }
  const version = viewOf(record).getUint32(0)
  if (version !== levelStorageLayoutVersion) {
    throw new FormatError(
      `raft storage at ${directory} has layout version ${version}; this build reads only version ${levelStorageLayoutVersion}`,
    )
  }
}

async function loadBounds(db: Level<Uint8Array, Uint8Array>, directory: string): Promise<LogBounds> {
  const [firstKey] = await db.keys({ ...entryRange, limit: 1 }).all()
  const [lastKey] = await db.keys({ ...entryRange, limit: 1, reverse: true }).all()
  if (firstKey === undefined || lastKey === undefined) return null
  try {
    return { first: entryKeyIndex(firstKey), last: entryKeyIndex(lastKey) }
  } catch (error) {
    throw corrupt(directory, 'a log key', error)
  }
}

async function loadSnapshotHeader(
  db: Level<Uint8Array, Uint8Array>,
  directory: string,
): Promise<SnapshotHeader | null> {
  const value = await db.get(snapshotHeaderKey)
  if (value === undefined) return null
  try {
    return decodeSnapshotHeader(value)
  } catch (error) {
    throw corrupt(directory, 'the snapshot header', error)
  }
}
