// `npm run bench:cluster`: replicated writes per second through the real product. Three `cox agent`
// processes on loopback (n1 bootstraps, n2 and n3 join; each on its own LevelDB data directory),
// and in this separate process closed-loop clients writing unique keys with 256-byte values by
// `PUT /cox/v1/kv/{key}` over keep-alive HTTPS, client i talking to node i % 3 — so two thirds of
// the writes enter at a follower and are forwarded to the leader, as in etcd's own benchmark with
// the load spread over all members. Each point is a 1 s warm-up then 10 s measured (kv-load.ts says
// what counts). Leader changes during the run are read from `cox cluster status` (term and leader
// before and after) and from each node's `cox_raft_leader_changes_total`.
//
// Prints one JSON line on stdout (DESIGN.md "Benchmarks (contract)"); logs go to stderr.
//   COX_BENCH_SECONDS          measured seconds per point (default 10)
//   COX_BENCH_WARMUP_SECONDS   warm-up seconds per point (default 1)
//   COX_BENCH_CLIENTS          comma-separated client counts (default 1,16,64)

import type { ApiClient } from '../../node/api-client.ts'
import type { ClusterStatus } from '../../node/cluster-api.ts'
import type { ProcessCluster } from '../real/process-cluster.ts'
import {
  benchLogger,
  envNumber,
  machineCpu,
  machineCpuPercentSince,
  machineLoad,
  metricValue,
  nodeClients,
  scrapeMetrics,
  startVoters,
  voterNames,
  withCluster,
} from './bench-cluster.ts'
import { type LoadPoint, runClosedLoop } from './kv-load.ts'

const measureSeconds = envNumber('COX_BENCH_SECONDS', 10)
const warmupSeconds = envNumber('COX_BENCH_WARMUP_SECONDS', 1)
const clientCounts = (process.env.COX_BENCH_CLIENTS ?? '1,16,64').split(',').map(Number)
if (!clientCounts.every((count) => Number.isInteger(count) && count > 0)) {
  throw new Error('COX_BENCH_CLIENTS must be comma-separated positive integers')
}
const valueBytes = 256
/** Every client of a point may talk to the same node without queueing in the client's pool. */
const socketsPerNode = Math.max(...clientCounts)
const requestTimeoutMs = 10_000
/** Starting three agents, scraping, and stopping them, on top of the points themselves. */
const setupMsMax = 180_000
const runMsMax = setupMsMax + clientCounts.length * (warmupSeconds + measureSeconds) * 1000 * 2

/** etcd 3.4, 3 members on loopback, its HTTP API, load over all members (DESIGN.md). */
const etcdReference = [
  { clients: 1, opsPerSec: 650, p99Ms: 4 },
  { clients: 16, opsPerSec: 2_500, p99Ms: 18 },
  { clients: 64, opsPerSec: 4_500, p99Ms: 43 },
] as const

const log = benchLogger('cluster')

interface NodeCounters {
  readonly cpuSeconds: number
  readonly leaderChanges: number
}

async function readCounters(clients: ReadonlyMap<string, ApiClient>): Promise<Map<string, NodeCounters>> {
  const entries = await Promise.all(
    [...clients].map(async ([name, client]) => {
      const text = await scrapeMetrics(client)
      const counters = {
        cpuSeconds: metricValue(text, 'process_cpu_seconds_total'),
        leaderChanges: metricValue(text, 'cox_raft_leader_changes_total'),
      }
      return [name, counters] as const
    }),
  )
  return new Map(entries)
}

function cpuPercentByNode(
  before: ReadonlyMap<string, NodeCounters>,
  after: ReadonlyMap<string, NodeCounters>,
  seconds: number,
): Record<string, number> {
  const percent = (name: string) =>
    ((after.get(name)!.cpuSeconds - before.get(name)!.cpuSeconds) / seconds) * 100
  return Object.fromEntries(voterNames.map((name) => [name, Math.round(percent(name))]))
}

/** Each node counts every leader it sees; the most any node saw is the cluster's count. */
function leaderChangesBetween(
  before: ReadonlyMap<string, NodeCounters>,
  after: ReadonlyMap<string, NodeCounters>,
): number {
  return Math.max(
    ...voterNames.map((name) => after.get(name)!.leaderChanges - before.get(name)!.leaderChanges),
  )
}

async function runPoint(clients: number, nodes: ReadonlyMap<string, ApiClient>) {
  const before = await readCounters(nodes)
  const machineBefore = machineCpu()
  const point: LoadPoint = await runClosedLoop({
    clients,
    clientFor: (client) => nodes.get(voterNames[client % voterNames.length]!)!,
    keyPrefix: `bench-c${clients}`,
    valueBytes,
    warmupSeconds,
    measureSeconds,
  })
  const machineCpuPercent = machineCpuPercentSince(machineBefore)
  const after = await readCounters(nodes)
  // Server and machine CPU cover the warm-up too: they are read around the whole point.
  const serverCpuPercent = cpuPercentByNode(before, after, point.measuredSeconds + warmupSeconds)
  const ours = Object.values(serverCpuPercent).reduce((sum, percent) => sum + percent, point.clientCpuPercent)
  const result = {
    ...point,
    serverCpuPercent,
    /** CPU the rest of the machine used meanwhile (other work skews the figures), of one CPU. */
    otherCpuPercent: machineCpuPercent === null ? null : Math.max(0, machineCpuPercent - ours),
    leaderChanges: leaderChangesBetween(before, after),
  }
  log('point', result)
  return result
}

function compareWithEtcd(points: readonly LoadPoint[]): string {
  const parts = points.map((point) => {
    const etcd = etcdReference.find((reference) => reference.clients === point.clients)
    if (!etcd)
      return `${point.clients} clients: ${point.opsPerSec} writes/s, p99 ${point.p99Ms} ms (no etcd figure)`
    const share = Math.round((point.opsPerSec / etcd.opsPerSec) * 100)
    return (
      `${point.clients} clients: ${point.opsPerSec} writes/s (${share}% of etcd's ${etcd.opsPerSec}), ` +
      `p99 ${point.p99Ms} ms (etcd ≈ ${etcd.p99Ms} ms)`
    )
  })
  return `against etcd 3.4 on loopback, 3 members, load over all members — ${parts.join('; ')}`
}

const summary = (status: ClusterStatus) => ({ leader: status.leader?.name ?? null, term: status.term })

async function measure(cluster: ProcessCluster) {
  const loadBefore = machineLoad()
  await startVoters(cluster, log)
  const nodes = await nodeClients(cluster, { socketsMax: socketsPerNode, timeoutMs: requestTimeoutMs })
  try {
    const statusBefore = await cluster.status(voterNames[0])
    const countersBefore = await readCounters(nodes)
    log('measuring', { clientCounts, measureSeconds, warmupSeconds, ...summary(statusBefore) })
    const points = []
    for (const clients of clientCounts) points.push(await runPoint(clients, nodes))
    const statusAfter = await cluster.status(voterNames[0])
    const countersAfter = await readCounters(nodes)
    return {
      bench: 'cluster',
      points,
      valueBytes,
      measureSeconds,
      warmupSeconds,
      node: process.version,
      leader: {
        before: summary(statusBefore),
        after: summary(statusAfter),
        changes: leaderChangesBetween(countersBefore, countersAfter),
        termChanges: statusAfter.term - statusBefore.term,
      },
      socketsPerNode,
      spread: 'client i writes through node i % 3 (2/3 of writes forwarded by a follower)',
      reference: { etcd: '3.4', points: etcdReference },
      note: compareWithEtcd(points),
      machine: { before: loadBefore, after: machineLoad() },
    }
  } finally {
    for (const client of nodes.values()) client.close()
  }
}

const result = await withCluster(log, runMsMax, measure)
process.stdout.write(`${JSON.stringify(result)}\n`)
