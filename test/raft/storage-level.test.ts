// The storage compliance suite against the LevelDB adapter (a restart closes and reopens the
// directory), plus what only a disk format has: the layout version, corrupt records, volume, fsyncs.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { Packr } from 'msgpackr'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { decodeSnapshot, encodeSnapshot, FormatError } from '../../raft/codec.ts'
import { type LevelStorage, levelStorageLayoutVersion, openLevelStorage } from '../../raft/storage/level.ts'
import { persistSnapshot, type RaftStorage } from '../../raft/storage.ts'
import type { Snapshot } from '../../raft/types.ts'
import { assertRejects, commands, comparable, defineStorageCompliance } from './storage-compliance.ts'

async function temporaryDirectory(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'coxswain-raft-storage-'))
}

/** Runs `body` on a fresh directory, removed afterwards whatever happens. */
async function inTemporaryDirectory(body: (directory: string) => Promise<void>): Promise<void> {
  const directory = await temporaryDirectory()
  try {
    await body(directory)
  } finally {
    await rm(directory, { recursive: true, force: true })
  }
}

defineStorageCompliance('storage: level', async () => {
  const directory = await temporaryDirectory()
  let current: RaftStorage = await openLevelStorage(directory)
  return {
    storage: current,
    reopen: async () => {
      await current.close()
      current = await openLevelStorage(directory)
      return current
    },
    dispose: async () => {
      await current.close()
      await rm(directory, { recursive: true, force: true })
    },
  }
}).run()

const level = suite('storage: level only')

// Writes a raw record where the adapter would not, as another build or a damaged disk might.
async function putRaw(directory: string, key: Uint8Array, value: Uint8Array): Promise<void> {
  const db = new Level<Uint8Array, Uint8Array>(directory, { keyEncoding: 'view', valueEncoding: 'view' })
  await db.put(key, value)
  await db.close()
}

level('a directory with an unknown layout version is refused, naming the directory', () =>
  inTemporaryDirectory(async (directory) => {
    await (await openLevelStorage(directory)).close()
    const version = new Uint8Array(4)
    new DataView(version.buffer).setUint32(0, levelStorageLayoutVersion + 1)
    await putRaw(directory, Uint8Array.of(0x00), version)

    await assertRejects(
      () => openLevelStorage(directory),
      new RegExp(`${directory}.*layout version ${levelStorageLayoutVersion + 1}`),
    )
  }),
)

level('a LevelDB database that is not raft storage is refused', () =>
  inTemporaryDirectory(async (directory) => {
    await putRaw(directory, Uint8Array.of(0x61), Uint8Array.of(1))

    await assertRejects(() => openLevelStorage(directory), /without a format record/)
  }),
)

level('a corrupt hard state record fails its read, naming the directory', () =>
  inTemporaryDirectory(async (directory) => {
    await (await openLevelStorage(directory)).close()
    await putRaw(directory, Uint8Array.of(0x01), Uint8Array.of(99, 1, 2))
    const storage = await openLevelStorage(directory)

    try {
      await assertRejects(
        () => storage.stable.hardState(),
        new RegExp(`${directory}.*hard state.*format version 99`),
      )
    } finally {
      await storage.close()
    }
  }),
)

level('a second open of the same directory is refused while the first holds it', () =>
  inTemporaryDirectory(async (directory) => {
    const storage = await openLevelStorage(directory)

    try {
      await assertRejects(() => openLevelStorage(directory), new RegExp(`${directory} cannot be opened`))
    } finally {
      await storage.close()
    }
  }),
)

level('20,000 entries written in batches of 500 reopen correctly and quickly', () =>
  inTemporaryDirectory(async (directory) => {
    const entriesTotal = 20_000
    const batchEntries = 500
    let storage = await openLevelStorage(directory)
    for (let first = 1; first <= entriesTotal; first += batchEntries) {
      const batch = storage.batch()
      storage.log.append(batch, commands(first, first + batchEntries - 1, 1))
      await batch.write()
    }
    await storage.close()

    const startMs = performance.now()
    storage = await openLevelStorage(directory)
    const entries = await storage.log.entries()
    const elapsedMs = performance.now() - startMs
    await storage.close()

    console.log(`    reopen + read of ${entriesTotal} entries: ${elapsedMs.toFixed(1)} ms`)
    assert.is(entries.length, entriesTotal)
    assert.ok(entries.every((entry, offset) => entry.index === offset + 1))
    assert.equal(comparable(entries.slice(-2)), comparable(commands(entriesTotal - 1, entriesTotal, 1)))
    assert.ok(elapsedMs < 5_000, `reopen took ${elapsedMs} ms`)
  }),
)

level('syncedWrites counts batch writes and skips empty ones', () =>
  inTemporaryDirectory(async (directory) => {
    const storage: LevelStorage = await openLevelStorage(directory)
    try {
      assert.is(storage.syncedWrites, 0)
      for (let index = 1; index <= 3; index++) {
        const batch = storage.batch()
        storage.log.append(batch, commands(index, index, 1))
        storage.stable.setHardState(batch, { term: 1, vote: null, commit: index })
        await batch.write()
      }
      await storage.batch().write()

      assert.is(storage.syncedWrites, 3)
    } finally {
      await storage.close()
    }
  }),
)

level('a failed plan writes nothing and leaves the bounds intact', () =>
  inTemporaryDirectory(async (directory) => {
    const storage = await openLevelStorage(directory)
    try {
      let batch = storage.batch()
      storage.log.append(batch, commands(1, 5, 1))
      await batch.write()
      batch = storage.batch()
      storage.log.compact(batch, 2)
      storage.log.append(batch, commands(9, 9, 1)) // a gap after 5: a programmer error

      await assertRejects(() => batch.write(), /gap/)

      assert.equal(comparable(await storage.log.entries()), comparable(commands(1, 5, 1)))
      batch = storage.batch()
      storage.log.append(batch, commands(6, 6, 1))
      await batch.write()
      assert.equal(comparable(await storage.log.entries()), comparable(commands(1, 6, 1)))
    } finally {
      await storage.close()
    }
  }),
)

level('a batch from another storage is refused', () =>
  inTemporaryDirectory(async (directory) => {
    const first = await openLevelStorage(join(directory, 'a'))
    const second = await openLevelStorage(join(directory, 'b'))
    try {
      assert.throws(() => second.log.clear(first.batch()), /not created by this storage/)
    } finally {
      await first.close()
      await second.close()
    }
  }),
)

level('a small chunk size splits a snapshot into many records and reassembles it', () =>
  inTemporaryDirectory(async (directory) => {
    const data = Uint8Array.from({ length: 10_000 }, (_, offset) => (offset * 31) & 0xff)
    const snapshot = { meta: { index: 7, term: 2, membership: { voters: ['a'], learners: [] } }, data }
    let storage = await openLevelStorage(directory, { snapshotChunkBytes: 97 })
    const batch = storage.batch()
    storage.snapshots.save(batch, snapshot)
    await batch.write()
    await storage.close()

    storage = await openLevelStorage(directory, { snapshotChunkBytes: 97 })
    const loaded = await storage.snapshots.latest()
    await storage.close()

    assert.ok(loaded)
    assert.equal(loaded.meta, snapshot.meta)
    assert.equal(Array.from(loaded.data), Array.from(data))
  }),
)

level('a smaller snapshot deletes the chunks of the larger one it replaces', () =>
  inTemporaryDirectory(async (directory) => {
    const chunkRecords = async (): Promise<number> => {
      const db = new Level<Uint8Array, Uint8Array>(directory, { keyEncoding: 'view', valueEncoding: 'view' })
      const keys = await db.keys({ gte: Uint8Array.of(0x03), lt: Uint8Array.of(0x04) }).all()
      await db.close()
      return keys.length
    }
    const snapshotOf = (index: number, bytes: number): Snapshot => ({
      meta: { index, term: 1, membership: { voters: ['a'], learners: [] } },
      data: new Uint8Array(bytes).fill(index),
    })
    const save = async (snapshot: Snapshot): Promise<void> => {
      const storage = await openLevelStorage(directory, { snapshotChunkBytes })
      await persistSnapshot(storage, snapshot)
      await storage.close()
    }
    const snapshotChunkBytes = 100
    const small = snapshotOf(2, 150)
    await save(snapshotOf(1, 1_000))
    const largeChunks = await chunkRecords()

    await save(small)

    assert.ok(largeChunks >= 10, `${largeChunks} chunks for 1,000 bytes`)
    assert.is(await chunkRecords(), Math.ceil(encodeSnapshot(small).length / snapshotChunkBytes))
  }),
)

level('a snapshot record keeps its data as bytes after the meta; format 1 is still read', () => {
  const snapshot: Snapshot = {
    meta: { index: 7, term: 2, membership: { voters: ['a', 'b'], learners: [] } },
    data: Uint8Array.from({ length: 300 }, (_, i) => i % 256),
  }
  const encoded = encodeSnapshot(snapshot)
  assert.equal(decodeSnapshot(encoded), snapshot)
  assert.equal(encoded.subarray(encoded.length - 300), snapshot.data, 'the data is stored as it is')
  const formatOne = Uint8Array.of(1, ...new Packr({ useRecords: false, moreTypes: false }).pack(snapshot))
  assert.equal(decodeSnapshot(formatOne), snapshot)
  const refused = (bytes: Uint8Array, pattern: RegExp) =>
    assert.throws(
      () => decodeSnapshot(bytes),
      (error: Error) => error instanceof FormatError && pattern.test(error.message),
    )
  refused(encoded.subarray(0, 8), /meta runs past the end/)
  refused(
    Uint8Array.of(9, ...encoded.subarray(1)),
    /format version 9 is not supported \(this build reads 2\)/,
  )
  refused(Uint8Array.of(2, 0, 0, 0, 1, 0x82, 0), /malformed meta/)
  refused(Uint8Array.of(2, 0), /too short/)
})

level.run()
