// `npm run bench:raft`: commits per second through the real Raft host. Three nodes in one process,
// each a RaftHost on its own LevelDB in a temporary directory (one synced batch per cycle); every
// message is encoded with the wire codec (msgpackr) and decoded on delivery, which happens on a
// later turn of the event loop (setImmediate, one per send call). Closed-loop proposers each
// propose unique 256-byte commands through the leader and wait until the entry is applied there.
//
// Prints one JSON line on stdout (DESIGN.md "Benchmarks (contract)"); logs go to stderr.
//   COX_BENCH_SECONDS          measured seconds per point (default 10)
//   COX_BENCH_WARMUP_SECONDS   warm-up seconds per point (default 1)
//   COX_BENCH_CLIENTS          comma-separated proposer counts (default 1,16,64)
//   COX_BENCH_TICK_MS          the hosts' tick (default 10)

import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { seededRandom } from '../../core/random.ts'
import { NotLeaderError, RaftHost } from '../../node/raft-host.ts'
import { decodeMessage, encodeMessage } from '../../raft/codec.ts'
import { Raft } from '../../raft/raft.ts'
import { type LevelStorage, openLevelStorage } from '../../raft/storage/level.ts'
import type { Message, NodeId } from '../../raft/types.ts'

const measureSeconds = envNumber('COX_BENCH_SECONDS', 10)
const warmupSeconds = envNumber('COX_BENCH_WARMUP_SECONDS', 1)
const tickMs = envNumber('COX_BENCH_TICK_MS', 10)
const clientCounts = (process.env.COX_BENCH_CLIENTS ?? '1,16,64').split(',').map(Number)
const commandBytes = 256
/** Snapshots keep the in-memory log and LevelDB small over a long run. */
const snapshotEveryEntries = 10_000
const leaderWaitMsMax = 10_000
const ids: readonly NodeId[] = ['n1', 'n2', 'n3']

interface Node {
  readonly id: NodeId
  readonly storage: LevelStorage
  readonly host: RaftHost
}

/** What the transport saw: the leader's batching shows in entries per append. */
const traffic = { appends: 0, appendedEntries: 0, messages: 0, bytes: 0 }

function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback)
  if (!(value >= 0)) throw new Error(`${name} must be a non-negative number`)
  return value
}

function log(message: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ bench: 'raft', message, ...fields })}\n`)
}

function sendThrough(hosts: ReadonlyMap<NodeId, RaftHost>): (messages: readonly Message[]) => void {
  return (messages) => {
    const frames = messages.map((message) => {
      if (message.type === 'append' && message.entries.length > 0) {
        traffic.appends++
        traffic.appendedEntries += message.entries.length
      }
      const bytes = encodeMessage(message)
      traffic.messages++
      traffic.bytes += bytes.length
      return { to: message.to, bytes }
    })
    setImmediate(() => {
      for (const frame of frames) hosts.get(frame.to)?.receive(decodeMessage(frame.bytes))
    })
  }
}

async function startCluster(directories: readonly string[]): Promise<Node[]> {
  const hosts = new Map<NodeId, RaftHost>()
  const nodes: Node[] = []
  for (const [position, id] of ids.entries()) {
    const storage = await openLevelStorage(directories[position]!)
    const raft = new Raft({
      id,
      random: seededRandom(position + 1),
      bootstrapMembership: { voters: ids, learners: [] },
      electionTicks: 10,
      heartbeatTicks: 1,
    })
    // The state machine folds every command into a checksum: cheap, and its snapshot is 8 bytes.
    let applied = 0
    let checksum = 0
    const host = new RaftHost({
      raft,
      storage,
      send: sendThrough(hosts),
      apply: (entries) => {
        for (const entry of entries) {
          if (entry.kind !== 'command') continue
          applied++
          checksum = (Math.imul(checksum, 31) + entry.data[0]! + entry.data[1]! * 256) >>> 0
        }
      },
      tickMs,
      snapshotEveryEntries,
      takeSnapshot: () => {
        const bytes = new Uint8Array(8)
        new DataView(bytes.buffer).setUint32(0, applied)
        new DataView(bytes.buffer).setUint32(4, checksum)
        // Eight bytes need no slices: the encoder is done at its first step.
        return { next: () => ({ done: true as const, value: bytes }) }
      },
      logger: {
        info: (message, fields) => log(message, fields),
        error: (message, fields) => log(message, fields),
      },
    })
    hosts.set(id, host)
    nodes.push({ id, storage, host })
  }
  for (const node of nodes) node.host.start()
  return nodes
}

async function waitForLeader(nodes: readonly Node[]): Promise<Node> {
  const deadline = performance.now() + leaderWaitMsMax
  for (;;) {
    const leader = nodes.find((node) => node.host.status().role === 'leader')
    if (leader && nodes.every((node) => node.host.status().leader === leader.id)) return leader
    if (performance.now() > deadline) throw new Error(`no leader within ${leaderWaitMsMax} ms`)
    await new Promise((resolve) => setTimeout(resolve, tickMs))
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!
}

const round = (value: number, digits: number) => Number(value.toFixed(digits))

/** One point: `clients` closed-loop proposers, a warm-up, then the measured window. */
async function runPoint(nodes: readonly Node[], clients: number) {
  let leader = await waitForLeader(nodes)
  const latenciesMs: number[] = []
  let errors = 0
  let measuring = false
  const filler = new Uint8Array(commandBytes)
  for (let i = 0; i < commandBytes; i++) filler[i] = (i * 131 + clients) & 0xff

  const proposer = async (client: number, stopAt: { ms: number }) => {
    const command = new Uint8Array(commandBytes)
    const view = new DataView(command.buffer)
    let sequence = 0
    while (performance.now() < stopAt.ms) {
      command.set(filler)
      view.setUint32(0, clients)
      view.setUint32(4, client)
      view.setFloat64(8, sequence++)
      const startMs = performance.now()
      try {
        await leader.host.propose(command.slice())
        if (measuring) latenciesMs.push(performance.now() - startMs)
      } catch (error) {
        if (measuring) errors++
        if (error instanceof NotLeaderError) leader = await waitForLeader(nodes)
      }
    }
  }

  const stopAt = { ms: Number.POSITIVE_INFINITY }
  const running = Array.from({ length: clients }, (_, client) => proposer(client, stopAt))
  await new Promise((resolve) => setTimeout(resolve, warmupSeconds * 1000))
  const fsyncsBefore = nodes.reduce((sum, node) => sum + node.storage.syncedWrites, 0)
  const trafficBefore = { ...traffic }
  const cyclesBefore = nodes.map((node) => node.host.cycles)
  const cpuBefore = process.cpuUsage()
  const loopBefore = performance.eventLoopUtilization()
  const startMs = performance.now()
  measuring = true
  await new Promise((resolve) => setTimeout(resolve, measureSeconds * 1000))
  measuring = false
  const elapsedS = (performance.now() - startMs) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  const loop = performance.eventLoopUtilization(loopBefore)
  const fsyncs = nodes.reduce((sum, node) => sum + node.storage.syncedWrites, 0) - fsyncsBefore
  const appends = traffic.appends - trafficBefore.appends
  stopAt.ms = 0
  await Promise.all(running)

  const sorted = Float64Array.from(latenciesMs).sort()
  const point = {
    clients,
    opsPerSec: Math.round(latenciesMs.length / elapsedS),
    p50Ms: round(percentile(sorted, 0.5), 3),
    p99Ms: round(percentile(sorted, 0.99), 3),
    errors,
    fsyncsPerSec: Math.round(fsyncs / elapsedS),
    entriesPerAppend: round(
      appends > 0 ? (traffic.appendedEntries - trafficBefore.appendedEntries) / appends : 0,
      2,
    ),
    cyclesPerSec: nodes.map((node, i) => Math.round((node.host.cycles - cyclesBefore[i]!) / elapsedS)),
    messagesPerSec: Math.round((traffic.messages - trafficBefore.messages) / elapsedS),
    /** All threads of the process (LevelDB writes and compactions run off the main thread). */
    cpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / elapsedS) * 100),
    /** The one JavaScript thread that runs all three nodes, the transport and the proposers. */
    mainThreadBusyPercent: Math.round(loop.utilization * 100),
  }
  log('point', point)
  return point
}

async function main(): Promise<void> {
  const directories = await Promise.all(
    ids.map((id) => mkdtemp(join(tmpdir(), `coxswain-raft-bench-${id}-`))),
  )
  let nodes: Node[] = []
  // Interrupted runs must not leave LevelDB directories behind either.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const directory of directories) rmSync(directory, { recursive: true, force: true })
      process.exit(130)
    })
  }
  try {
    nodes = await startCluster(directories)
    const leader = await waitForLeader(nodes)
    log('leader elected', { leader: leader.id, measureSeconds, warmupSeconds, clientCounts })
    const points = []
    for (const clients of clientCounts) points.push(await runPoint(nodes, clients))
    const result = {
      bench: 'raft',
      points,
      fsyncsPerSec: points.at(-1)?.fsyncsPerSec ?? 0,
      fsyncsPerSecNote: 'summed over the 3 nodes; top level is the last point',
      commandBytes,
      tickMs,
      delivery: 'setImmediate',
      codec: 'msgpackr (raft/codec.ts)',
      storage: 'level, one synced batch per cycle',
      measureSeconds,
      warmupSeconds,
      node: process.version,
    }
    process.stdout.write(`${JSON.stringify(result)}\n`)
  } finally {
    for (const node of nodes) await node.host.stop()
    for (const node of nodes) await node.storage.close()
    for (const directory of directories) await rm(directory, { recursive: true, force: true })
  }
}

await main()
