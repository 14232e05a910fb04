// What the real-process benchmarks share: a cluster of `cox agent` processes that is always torn
// down (on success, on an error, on SIGINT/SIGTERM and when the run overruns its time limit), the
// start of three voters, an API client per node, and reading a node's status and Prometheus metrics.
// Logs are JSON lines on stderr; stdout is left to the one result line.

import { readFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { join } from 'node:path'
import { ApiClient } from '../../node/api-client.ts'
import type { ClusterStatus } from '../../node/cluster-api.ts'
import { dataPaths, readSecrets } from '../../node/data-dir.ts'
import { ProcessCluster, waitFor } from '../real/process-cluster.ts'

export const voterNames = ['n1', 'n2', 'n3'] as const
/** Joining, electing and replicating the membership of three fresh agents. */
const votersWaitMsMax = 60_000
/** Exit code of a run that overran its limit, as timeout(1) reports it. */
const overrunExitCode = 124
const interruptedExitCode = 130

export type Log = (message: string, fields?: Record<string, unknown>) => void

export function benchLogger(bench: string): Log {
  return (message, fields = {}) => process.stderr.write(`${JSON.stringify({ bench, message, ...fields })}\n`)
}

/**
 * What else the machine was doing: the 1-minute load average against the CPU count. Figures taken
 * while other work ran (load above the CPUs) understate the product.
 */
export function machineLoad(): { loadAverage1m: number; cpus: number } {
  return { loadAverage1m: Number(loadavg()[0]!.toFixed(2)), cpus: availableParallelism() }
}

/** Jiffies the whole machine spent busy and in all, from Linux's /proc/stat; null elsewhere. */
export interface MachineCpu {
  readonly busy: number
  readonly total: number
}

export function machineCpu(): MachineCpu | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
    const idle = fields[3]! + (fields[4] ?? 0) // idle and iowait
    const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0) // without guest time, counted in user
    return { busy: total - idle, total }
  } catch {
    return null
  }
}

/** The machine's CPU use since `before`, in percent of one CPU (like the per-process figures). */
export function machineCpuPercentSince(before: MachineCpu | null): number | null {
  const after = machineCpu()
  if (!before || !after || after.total === before.total) return null
  return Math.round(
    ((after.busy - before.busy) / (after.total - before.total)) * availableParallelism() * 100,
  )
}

export function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback)
  if (!(value >= 0)) throw new Error(`${name} must be a non-negative number`)
  return value
}

/**
 * Runs `body` against a new cluster and destroys the cluster afterwards whatever happens. Past
 * `limitMs` the agents are stopped and the process exits with 124, so a hung agent cannot hang the
 * benchmark.
 */
export async function withCluster<T>(
  log: Log,
  limitMs: number,
  body: (cluster: ProcessCluster) => Promise<T>,
): Promise<T> {
  const cluster = await ProcessCluster.create()
  log('cluster directory', { dir: cluster.dir, limitMs })
  const abandon = (why: string, code: number) => {
    log('abandoning the run', { why })
    void cluster.destroy().finally(() => process.exit(code))
  }
  const watchdog = setTimeout(() => abandon(`over the time limit of ${limitMs} ms`, overrunExitCode), limitMs)
  const onSignal = (signal: NodeJS.Signals) => abandon(`received ${signal}`, interruptedExitCode)
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    return await body(cluster)
  } catch (error) {
    for (const name of cluster.agents.keys()) log('agent log tail', { name, tail: cluster.logTail(name, 20) })
    throw error
  } finally {
    clearTimeout(watchdog)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await cluster.destroy()
  }
}

/** Bootstraps n1, joins n2 and n3, and waits until `cox cluster status` shows 3 voters and a leader. */
export async function startVoters(cluster: ProcessCluster, log: Log): Promise<ClusterStatus> {
  const [first, ...others] = voterNames
  const startedMs = Date.now()
  await cluster.bootstrap(first)
  await Promise.all(others.map((name) => cluster.join(name)))
  let status: ClusterStatus | null = null
  await waitFor('3 voters and a leader', votersWaitMsMax, async () => {
    status = await cluster.status(first)
    const voters = status.members.filter((member) => member.role === 'voter')
    return status.leader !== null && voters.length === voterNames.length
  })
  log('cluster up', { leader: status!.leader, term: status!.term, startMs: Date.now() - startedMs })
  return status!
}

export interface NodeClientOptions {
  readonly socketsMax: number
  readonly timeoutMs: number
}

export async function nodeClients(
  cluster: ProcessCluster,
  options: NodeClientOptions,
): Promise<Map<string, ApiClient>> {
  const entries = await Promise.all(
    voterNames.map(async (name) => [name, await nodeClient(cluster, name, options)] as const),
  )
  return new Map(entries)
}

/** A client of its own, rather than `cluster.client(name)`, to size its pool and deadline. */
export async function nodeClient(
  cluster: ProcessCluster,
  name: string,
  options: NodeClientOptions,
): Promise<ApiClient> {
  const config = await cluster.config(name)
  const secrets = await readSecrets(dataPaths(join(cluster.dir, name)))
  if (!secrets) throw new Error(`${name} has no secrets yet`)
  return new ApiClient({
    server: `https://${config.apiAdvertise}`,
    caPem: secrets.caCertPem,
    token: secrets.adminToken,
    timeoutMs: options.timeoutMs,
    socketsMax: options.socketsMax,
  })
}

/** The status the CLI shows, read straight from the API (no `cox` process per poll). */
export async function readStatus(client: ApiClient): Promise<ClusterStatus> {
  const response = await client.request('GET', '/cox/v1/cluster/status')
  if (response.status !== 200)
    throw new Error(`cluster status answered ${response.status}: ${response.text()}`)
  return response.json<ClusterStatus>()
}

export async function scrapeMetrics(client: ApiClient): Promise<string> {
  const response = await client.request('GET', '/metrics')
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}: ${response.text()}`)
  return response.text()
}

/**
 * One sample's value from Prometheus text exposition: the series `name` whose labels include
 * every label in `labels`. NaN when the series is absent.
 */
export function metricValue(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue
    const match = /^([A-Za-z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line)
    if (!match || match[1] !== name) continue
    const seen = new Map(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]),
    )
    if (Object.entries(labels).every(([label, value]) => seen.get(label) === value)) return Number(match[3])
  }
  return Number.NaN
}
