// The real Raft host, three of them in one process: each on its own LevelDB in a temporary
// directory, talking through an in-process transport that encodes every message as the wire does
// and delivers it on a later turn of the event loop (setImmediate).

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { seededRandom } from '../../core/random.ts'
import { DeadlineError, NotLeaderError, RaftHost, StoppedError } from '../../node/raft-host.ts'
import { decodeMessage, encodeMessage } from '../../raft/codec.ts'
import { Raft } from '../../raft/raft.ts'
import { type LevelStorage, openLevelStorage } from '../../raft/storage/level.ts'
import { MemoryStorage } from '../../raft/storage/memory.ts'
import { loadPersistedState, type PersistedState, type RaftStorage } from '../../raft/storage.ts'
import type { Entry, Message, NodeId } from '../../raft/types.ts'

const seed = Number(process.env.COX_TEST_SEED ?? 20_240_601)
console.log(`raft-host test: seed=${seed} (reproduce with COX_TEST_SEED=${seed})`)

const ids: readonly NodeId[] = ['n1', 'n2', 'n3']
const tickMs = 5
const waitMsMax = 10_000
const proposalCount = 200

interface Node {
  readonly id: NodeId
  readonly directory: string
  storage: LevelStorage
  raft: Raft
  host: RaftHost
  /** Every entry handed to the state machine since this incarnation started, in order. */
  applied: Entry[]
}

interface Cluster {
  readonly nodes: Node[]
  readonly hosts: Map<NodeId, RaftHost>
  incarnation: number
}

/** Frames are encoded at send time and decoded at delivery, a turn of the event loop later. */
function sendThrough(hosts: ReadonlyMap<NodeId, RaftHost>): (messages: readonly Message[]) => void {
  return (messages) => {
    const frames = messages.map((message) => ({ to: message.to, bytes: encodeMessage(message) }))
    setImmediate(() => {
      for (const frame of frames) hosts.get(frame.to)?.receive(decodeMessage(frame.bytes))
    })
  }
}

async function startNode(cluster: Cluster, id: NodeId, directory: string): Promise<PersistedState> {
  const storage = await openLevelStorage(directory)
  const persisted = await loadPersistedState(storage)
  const raft = new Raft(
    {
      id,
      random: seededRandom(seed * 31 + cluster.incarnation * 7 + ids.indexOf(id)),
      bootstrapMembership: { voters: ids, learners: [] },
      electionTicks: 10,
      heartbeatTicks: 1,
    },
    persisted,
  )
  const applied: Entry[] = []
  const host = new RaftHost({
    raft,
    storage,
    send: sendThrough(cluster.hosts),
    apply: (entries) => {
      applied.push(...entries)
    },
    tickMs,
  })
  const existing = cluster.nodes.find((node) => node.id === id)
  if (existing) Object.assign(existing, { storage, raft, host, applied })
  else cluster.nodes.push({ id, directory, storage, raft, host, applied })
  cluster.hosts.set(id, host)
  return persisted
}

async function stopCluster(cluster: Cluster): Promise<void> {
  for (const node of cluster.nodes) await node.host.stop()
  for (const node of cluster.nodes) await node.storage.close()
  cluster.hosts.clear()
}

/** Polls `condition` every tick until it holds, failing after a bounded wait. */
async function waitFor<T>(what: string, condition: () => T | null | undefined | false): Promise<T> {
  const deadline = performance.now() + waitMsMax
  for (;;) {
    const value = condition()
    if (value) return value
    if (performance.now() > deadline) throw new Error(`timed out after ${waitMsMax} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, tickMs))
  }
}

/** The leader every node agrees on, once there is one. */
function agreedLeader(cluster: Cluster): Node | null {
  const statuses = cluster.nodes.map((node) => node.host.status())
  const leader = statuses[0]!.leader
  if (leader === null || statuses.some((status) => status.leader !== leader)) return null
  const node = cluster.nodes.find((candidate) => candidate.id === leader)!
  return node.host.status().role === 'leader' ? node : null
}

const commandsOf = (entries: readonly Entry[]) =>
  entries.flatMap((entry) =>
    entry.kind === 'command' ? [{ index: entry.index, term: entry.term, text: decode(entry.data) }] : [],
  )
/** One line per entry, so that logs from disk (Buffer) and memory (Uint8Array) compare equal. */
const describe = (entries: readonly Entry[]) =>
  entries.map(
    (entry) =>
      `${entry.index}/${entry.term}/${entry.kind}${entry.kind === 'command' ? `/${decode(entry.data)}` : ''}`,
  )
const encode = (text: string) => new TextEncoder().encode(text)
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

const host = suite<{ cluster: Cluster; roots: string[] }>('node: raft host', {
  cluster: { nodes: [], hosts: new Map(), incarnation: 0 },
  roots: [],
})

host.before(async (context) => {
  for (const id of ids) {
    const directory = await mkdtemp(join(tmpdir(), `coxswain-raft-host-${id}-`))
    context.roots.push(directory)
    await startNode(context.cluster, id, directory)
  }
  for (const node of context.cluster.nodes) node.host.start()
})

host.after(async (context) => {
  await stopCluster(context.cluster).catch(() => undefined)
  for (const directory of context.roots) await rm(directory, { recursive: true, force: true })
})

host('elects one leader that every node knows', async ({ cluster }) => {
  const leader = await waitFor('a leader', () => agreedLeader(cluster))
  assert.ok(ids.includes(leader.id))
})

host(
  '200 concurrent proposals through the leader resolve and apply identically everywhere',
  async ({ cluster }) => {
    const leader = agreedLeader(cluster)!
    const fsyncsBefore = leader.storage.syncedWrites

    const results = await Promise.all(
      Array.from({ length: proposalCount }, (_, i) => leader.host.propose(encode(`put ${i}`))),
    )

    const indexes = results.map((result) => result.index)
    assert.is(new Set(indexes).size, proposalCount, 'every proposal has its own index')
    const last = Math.max(...indexes)
    await waitFor('every node to apply the proposals', () =>
      cluster.nodes.every((node) => node.host.applied >= last),
    )
    const expected = commandsOf(leader.applied)
    assert.equal(
      expected.map((command) => command.text).sort(),
      indexes.map((_, i) => `put ${i}`).sort(),
      'the leader applied each proposal once',
    )
    for (const node of cluster.nodes) assert.equal(commandsOf(node.applied), expected, `${node.id} applied`)
    // Group commit: proposals arriving together share synced writes.
    assert.ok(leader.storage.syncedWrites - fsyncsBefore < proposalCount / 4, 'fsyncs are batched')
  },
)

host('a follower refuses a proposal and names the leader', async ({ cluster }) => {
  const leader = agreedLeader(cluster)!
  const follower = cluster.nodes.find((node) => node.id !== leader.id)!

  const error = await follower.host.propose(encode('on a follower')).then(
    () => null,
    (caught: unknown) => caught,
  )

  assert.instance(error, NotLeaderError)
  assert.is((error as NotLeaderError).leader, leader.id)
})

host('a linearizable read after a write returns an index at least the write', async ({ cluster }) => {
  const leader = agreedLeader(cluster)!
  const follower = cluster.nodes.find((node) => node.id !== leader.id)!

  const write = await leader.host.propose(encode('read after this'))
  const onLeader = await leader.host.read()
  const onFollower = await follower.host.read()

  assert.ok(onLeader >= write.index, `leader read index ${onLeader} < write ${write.index}`)
  assert.ok(onFollower >= write.index, `follower read index ${onFollower} < write ${write.index}`)
  assert.ok(follower.host.applied >= onFollower, 'the follower applied its read index before answering')
})

host(
  'after a full restart the cluster resumes from disk and applies everything again',
  async ({ cluster }) => {
    const leader = agreedLeader(cluster)!
    await leader.host.propose(encode('before restart'))
    await waitFor('every node to apply the last write', () =>
      cluster.nodes.every((node) => node.host.applied >= leader.host.applied),
    )
    await stopCluster(cluster)
    const before = new Map(
      cluster.nodes.map((node) => {
        const status = node.host.status()
        return [node.id, { term: status.term, log: coreLog(node), applied: commandsOf(node.applied) }]
      }),
    )

    cluster.incarnation++
    for (const node of cluster.nodes) {
      const persisted = await startNode(cluster, node.id, node.directory)
      const was = before.get(node.id)!
      assert.is(persisted.hardState?.term, was.term, `${node.id} kept its term`)
      assert.equal(describe(persisted.entries), describe(was.log), `${node.id} kept its log`)
    }
    for (const node of cluster.nodes) node.host.start()

    const resumed = await waitFor('a leader after the restart', () => agreedLeader(cluster))
    assert.ok(resumed.host.status().term > before.get(resumed.id)!.term, 'the new leader is in a later term')
    const after = await resumed.host.propose(encode('after restart'))
    await waitFor('every node to apply the first write after the restart', () =>
      cluster.nodes.every((node) => node.host.applied >= after.index),
    )
    for (const node of cluster.nodes) {
      const reapplied = commandsOf(node.applied)
      const was = before.get(node.id)!.applied
      assert.equal(reapplied.slice(0, was.length), was, `${node.id} applied its old log again, in order`)
      assert.is(reapplied.at(-1)?.text, 'after restart')
    }
  },
)

/** The entries the core of a stopped node holds, everything of which is durable. */
function coreLog(node: Node): Entry[] {
  const status = node.host.status()
  assert.is(status.persistedIndex, status.lastIndex, `${node.id} stopped with every entry durable`)
  const log: Entry[] = []
  for (let index = status.snapshotIndex + 1; index <= status.lastIndex; index++)
    log.push(node.raft.entryAt(index)!)
  return log
}

host.run()

// ---------------------------------------------------------------- one node, on a disk we control

/** Memory storage whose writes can be held back or made to fail, as a slow or broken disk would. */
function controlledStorage() {
  const inner = new MemoryStorage()
  const control = { mode: 'pass' as 'pass' | 'hold' | 'fail', held: Promise.withResolvers<void>() }
  const storage: RaftStorage = {
    log: inner.log,
    stable: inner.stable,
    snapshots: inner.snapshots,
    close: () => inner.close(),
    batch: () => {
      const batch = inner.batch()
      const write = batch.write.bind(batch)
      batch.write = async () => {
        if (control.mode === 'fail') throw new Error('EIO: fsync failed')
        if (control.mode === 'hold') await control.held.promise
        return write()
      }
      return batch
    },
  }
  return { storage, control }
}

async function soloLeader(
  storage: RaftStorage,
  onFatal: (error: Error) => void = () => {},
): Promise<RaftHost> {
  const raft = new Raft({
    id: 'solo',
    random: seededRandom(seed),
    bootstrapMembership: { voters: ['solo'], learners: [] },
  })
  const host = new RaftHost({ raft, storage, send: () => {}, apply: () => {}, tickMs, onFatal })
  host.start()
  await waitFor('the single node to lead', () => host.status().role === 'leader')
  return host
}

const solo = suite('node: raft host, one node')

solo('a proposal past its deadline fails, and stop() waits for the cycle in progress', async () => {
  const { storage, control } = controlledStorage()
  const host = await soloLeader(storage)
  control.mode = 'hold'

  const late = await host.propose(encode('never durable in time'), { timeoutMs: 30 }).catch((e: unknown) => e)
  let stopped = false
  const stopping = host.stop().then(() => {
    stopped = true
  })
  for (let turn = 0; turn < 5; turn++) await new Promise(setImmediate)
  const stoppedWhileHeld = stopped
  control.held.resolve()
  await stopping
  const afterStop = await host.propose(encode('too late')).catch((e: unknown) => e)

  assert.instance(late, DeadlineError)
  assert.not.ok(stoppedWhileHeld, 'stop() returned before the write in progress finished')
  assert.instance(afterStop, StoppedError)
})

solo('a failed write stops the host loudly and fails everything waiting', async () => {
  const { storage, control } = controlledStorage()
  const fatal = Promise.withResolvers<Error>()
  const host = await soloLeader(storage, fatal.resolve)
  control.mode = 'fail'

  const pending = await host.propose(encode('lost with the disk')).catch((e: unknown) => e)
  const error = await fatal.promise
  const afterwards = await host.read().catch((e: unknown) => e)

  assert.match(error.message, 'EIO')
  assert.instance(pending, StoppedError)
  assert.is((pending as StoppedError).cause, error)
  assert.instance(afterwards, StoppedError)
  await host.stop()
})

solo(
  'a snapshot is encoded a slice at a time while the host goes on; it holds the state it began at',
  async () => {
    const storage = new MemoryStorage()
    const raft = new Raft({
      id: 'solo',
      random: seededRandom(seed),
      bootstrapMembership: { voters: ['solo'], learners: [] },
    })
    let appliedCommands = 0
    const encoding = { started: -1, slices: 0, stepsDone: 0, finished: false, appliedMeanwhile: 0 }
    const stepsMax = 40
    const host = new RaftHost({
      raft,
      storage,
      send: () => {},
      apply: (entries) => {
        appliedCommands += entries.filter((e) => e.kind === 'command').length
        if (encoding.started >= 0 && !encoding.finished) encoding.appliedMeanwhile++
      },
      tickMs,
      snapshotEveryEntries: 20,
      takeSnapshot: () => {
        const count = appliedCommands
        encoding.started = count
        return (function* () {
          for (let step = 0; step < stepsMax; step++) {
            const until = performance.now() + 1 // a millisecond of work per step
            while (performance.now() < until) {}
            encoding.stepsDone++
            yield
          }
          encoding.finished = true
          return encode(`count ${count}`)
        })()
      },
    })
    host.start()
    await waitFor('the single node to lead', () => host.status().role === 'leader')
    for (let i = 0; i < 20; i++) await host.propose(encode(`entry ${i}`))
    // The snapshot is due: while it is encoded, proposals go on being applied.
    await waitFor('the encoding to begin', () => encoding.started >= 0)
    for (let i = 0; i < 5; i++) await host.propose(encode(`meanwhile ${i}`))
    assert.ok(encoding.appliedMeanwhile > 0, 'entries were applied while the snapshot was encoded')
    await waitFor('the snapshot to be written', () => host.status().snapshotIndex > 0)
    await host.stop()
    const saved = await storage.snapshots.latest()
    assert.ok(saved, 'a snapshot was written')
    assert.is(decode(saved!.data), `count ${encoding.started}`)
    assert.is(encoding.stepsDone, stepsMax)
    const commandIndexes = (await storage.log.entries()).filter((e) => e.kind === 'command')
    assert.ok(
      commandIndexes.every((e) => e.index > saved!.meta.index),
      'the log holds only entries after the snapshot',
    )
  },
)

solo.run()
