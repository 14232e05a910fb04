// The storage compliance suite: the behaviour every adapter of the Raft storage ports must share
// (raft/storage.ts), written once and run against each adapter by its own test file.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { loadPersistedState, persistReady, persistSnapshot, type RaftStorage } from '../../raft/storage.ts'
import type { Entry, HardState, Membership, Snapshot } from '../../raft/types.ts'

export interface StorageFixture {
  readonly storage: RaftStorage
  /** A restart: storage that holds only what was durably written (closing the previous one if needed). */
  reopen(): Promise<RaftStorage>
  /** Releases whatever the fixture holds (the open storage, a temporary directory). */
  dispose?(): Promise<void>
}

const membership: Membership = { voters: ['a', 'b', 'c'], learners: ['d'] }

export function noop(term: number, index: number): Entry {
  return { kind: 'noop', term, index }
}

export function command(
  term: number,
  index: number,
  data = Uint8Array.of(index & 0xff, term & 0xff, 0, 255),
): Entry {
  return { kind: 'command', term, index, data }
}

function config(term: number, index: number): Entry {
  return { kind: 'config', term, index, change: { type: 'addLearner', nodeId: 'd' }, membership }
}

export function commands(first: number, last: number, term: number): Entry[] {
  return Array.from({ length: last - first + 1 }, (_, offset) => command(term, first + offset))
}

/** Decoders may hand back a Buffer for a Uint8Array; compare the bytes, not the class. */
export function comparable(entries: readonly Entry[]): unknown[] {
  return entries.map((entry) =>
    entry.kind === 'command' ? { ...entry, data: Array.from(entry.data) } : entry,
  )
}

function snapshot(index: number, term: number, data: Uint8Array = Uint8Array.of(index & 0xff)): Snapshot {
  return { meta: { index, term, membership }, data }
}

// A fixed-seed xorshift: the bytes only need to defeat compression and be reproducible.
function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length)
  let state = seed >>> 0 || 1
  for (let offset = 0; offset < length; offset++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    bytes[offset] = state & 0xff
  }
  return bytes
}

function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`)
  assert.ok(
    Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(expected),
    `${what}: bytes differ`,
  )
}

function assertSnapshot(actual: Snapshot | null, expected: Snapshot): void {
  assert.ok(actual, 'a snapshot is stored')
  assert.equal(actual.meta, expected.meta)
  assertSameBytes(actual.data, expected.data, 'snapshot data')
}

async function writeEntries(storage: RaftStorage, entries: readonly Entry[]): Promise<void> {
  const batch = storage.batch()
  storage.log.append(batch, entries)
  await batch.write()
}

async function assertEntries(storage: RaftStorage, expected: readonly Entry[]): Promise<void> {
  assert.equal(comparable(await storage.log.entries()), comparable(expected))
}

export async function assertRejects(action: () => unknown, pattern: RegExp): Promise<void> {
  try {
    await action()
  } catch (error) {
    assert.match((error as Error).message, pattern)
    return
  }
  assert.unreachable(`expected a rejection matching ${pattern}`)
}

export function defineStorageCompliance(name: string, open: () => Promise<StorageFixture>) {
  const storageSuite = suite(name)
  const define = (title: string, body: (fixture: StorageFixture) => Promise<void>) =>
    storageSuite(title, async () => {
      const fixture = await open()
      try {
        await body(fixture)
      } finally {
        await fixture.dispose?.()
      }
    })

  define('empty storage loads nothing', async ({ storage, reopen }) => {
    const empty = { hardState: null, snapshot: null, entries: [] }
    assert.equal(await loadPersistedState(storage), empty)
    assert.equal(await loadPersistedState(await reopen()), empty)
  })

  define('appended entries of every kind survive a reopen, in order and byte-exact', async (fixture) => {
    const entries = [
      noop(1, 1),
      config(1, 2),
      command(1, 3, Uint8Array.of(0, 1, 127, 128, 255)),
      command(2, 4),
    ]
    await writeEntries(fixture.storage, entries)

    const storage = await fixture.reopen()

    const loaded = await storage.log.entries()
    await assertEntries(storage, entries)
    const third = loaded[2]!
    assert.ok(third.kind === 'command' && third.data instanceof Uint8Array)
    assertSameBytes(third.data, Uint8Array.of(0, 1, 127, 128, 255), 'command data')
  })

  define('an append from the middle overwrites and drops the stale suffix', async (fixture) => {
    await writeEntries(fixture.storage, commands(1, 10, 1))

    await writeEntries(fixture.storage, commands(6, 7, 2))

    const expected = [...commands(1, 5, 1), ...commands(6, 7, 2)]
    await assertEntries(fixture.storage, expected)
    await assertEntries(await fixture.reopen(), expected)
  })

  define('entries and hard state written in one batch are both durable', async (fixture) => {
    const hardState: HardState = { term: 3, vote: 'b', commit: 2 }
    const batch = fixture.storage.batch()
    fixture.storage.log.append(batch, commands(1, 3, 3))
    fixture.storage.stable.setHardState(batch, hardState)

    await batch.write()

    const storage = await fixture.reopen()
    assert.equal(await storage.stable.hardState(), hardState)
    await assertEntries(storage, commands(1, 3, 3))
  })

  define('nothing staged is visible before write()', async ({ storage }) => {
    const batch = storage.batch()
    storage.log.append(batch, commands(1, 3, 1))
    storage.stable.setHardState(batch, { term: 1, vote: null, commit: 0 })
    storage.snapshots.save(batch, snapshot(5, 1))

    assert.equal(await loadPersistedState(storage), { hardState: null, snapshot: null, entries: [] })
    await batch.write()
    const loaded = await loadPersistedState(storage)
    assert.is(loaded.entries.length, 3)
    assert.ok(loaded.hardState && loaded.snapshot)
  })

  define('compaction drops entries <= index and keeps the rest', async (fixture) => {
    await writeEntries(fixture.storage, commands(1, 10, 1))
    const batch = fixture.storage.batch()

    fixture.storage.log.compact(batch, 4)
    await batch.write()

    await assertEntries(fixture.storage, commands(5, 10, 1))
    const storage = await fixture.reopen()
    await assertEntries(storage, commands(5, 10, 1))
    await writeEntries(storage, commands(11, 12, 1))
    await assertEntries(storage, commands(5, 12, 1))
  })

  define('compaction past the last entry empties the log', async ({ storage }) => {
    await writeEntries(storage, commands(1, 5, 1))
    const batch = storage.batch()

    storage.log.compact(batch, 9)
    await batch.write()

    await assertEntries(storage, [])
    await writeEntries(storage, commands(10, 11, 2))
    await assertEntries(storage, commands(10, 11, 2))
  })

  define('clear then append in one batch leaves only the new entries', async (fixture) => {
    await writeEntries(fixture.storage, commands(1, 10, 1))
    const batch = fixture.storage.batch()

    fixture.storage.log.clear(batch)
    fixture.storage.log.append(batch, commands(21, 23, 2))
    await batch.write()

    await assertEntries(fixture.storage, commands(21, 23, 2))
    await assertEntries(await fixture.reopen(), commands(21, 23, 2))
  })

  define('append then compact in one batch composes', async (fixture) => {
    await writeEntries(fixture.storage, commands(1, 3, 1))
    const batch = fixture.storage.batch()

    fixture.storage.log.append(batch, commands(2, 8, 2))
    fixture.storage.log.compact(batch, 4)
    await batch.write()

    await assertEntries(await fixture.reopen(), commands(5, 8, 2))
  })

  define('the newest snapshot is kept and an older save does not replace it', async (fixture) => {
    const { storage } = fixture
    let batch = storage.batch()
    storage.snapshots.save(batch, snapshot(10, 2))
    await batch.write()
    batch = storage.batch()
    storage.snapshots.save(batch, snapshot(20, 3))
    await batch.write()

    batch = storage.batch()
    storage.snapshots.save(batch, snapshot(15, 3))
    await batch.write()

    assertSnapshot(await storage.snapshots.latest(), snapshot(20, 3))
    assertSnapshot(await (await fixture.reopen()).snapshots.latest(), snapshot(20, 3))
  })

  define('within one batch a later, older snapshot does not replace a newer one', async (fixture) => {
    const batch = fixture.storage.batch()
    fixture.storage.snapshots.save(batch, snapshot(20, 3))

    fixture.storage.snapshots.save(batch, snapshot(15, 3))
    await batch.write()

    assertSnapshot(await (await fixture.reopen()).snapshots.latest(), snapshot(20, 3))
  })

  define('persistReady with a snapshot replaces the log and stores what follows it', async (fixture) => {
    await writeEntries(fixture.storage, commands(1, 10, 1))
    const hardState: HardState = { term: 4, vote: 'c', commit: 30 }

    await persistReady(fixture.storage, {
      snapshot: snapshot(30, 4),
      entries: commands(31, 32, 4),
      hardState,
    })

    const loaded = await loadPersistedState(await fixture.reopen())
    assertSnapshot(loaded.snapshot, snapshot(30, 4))
    assert.equal(comparable(loaded.entries), comparable(commands(31, 32, 4)))
    assert.equal(loaded.hardState, hardState)
  })

  define('persistSnapshot saves the snapshot and compacts behind it', async (fixture) => {
    await writeEntries(fixture.storage, commands(1, 10, 1))

    await persistSnapshot(fixture.storage, snapshot(6, 1))

    const loaded = await loadPersistedState(await fixture.reopen())
    assertSnapshot(loaded.snapshot, snapshot(6, 1))
    assert.equal(comparable(loaded.entries), comparable(commands(7, 10, 1)))
  })

  define(
    'a snapshot of several MiB round-trips byte-exact, and a smaller one replaces it',
    async (fixture) => {
      const large = snapshot(100, 5, pseudoRandomBytes(3.5 * 1024 * 1024, 20240601))
      await persistSnapshot(fixture.storage, large)

      let storage = await fixture.reopen()

      assertSnapshot(await storage.snapshots.latest(), large)
      const small = snapshot(200, 6, pseudoRandomBytes(1000, 7))
      await persistSnapshot(storage, small)
      storage = await fixture.reopen()
      assertSnapshot(await storage.snapshots.latest(), small)
    },
  )

  define('a batch cannot be written twice or staged into after write()', async ({ storage }) => {
    const batch = storage.batch()
    storage.log.append(batch, commands(1, 2, 1))
    await batch.write()

    await assertRejects(() => batch.write(), /twice/)
    assert.throws(() => storage.log.append(batch, commands(3, 3, 1)), /after write/)
    await assertEntries(storage, commands(1, 2, 1))
  })

  return storageSuite
}
