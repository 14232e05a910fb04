// `npm run bench:failover`: how long writes stop when the Raft leader fails, and whether a healthy
// cluster under load stays put. Three `cox agent` processes on loopback (n1 bootstraps, n2 and n3
// join), then:
//
// 1. Faults, 10 rounds of each kind, one at a time: SIGKILL the current leader (its connections
//    close), then SIGSTOP it (its connections stay open and silent, the harder case to detect). The
//    fault's time is taken just before the signal; from then a probe write
//    (`PUT /cox/v1/kv/probe-…`, 1 s client deadline) starts through a surviving follower every 10 ms,
//    several in flight at once. The gap is from the fault to the completion of the first probe
//    answered 201. Then the cluster is healed (the killed agent restarted on its data directory, the
//    stopped one sent SIGCONT) and the next round waits until it is whole again: a leader, 3 voters,
//    every member reachable, the healed node ready, and every member's matchIndex at or past a
//    marker write made after the heal (so the healed node has caught up, not merely reconnected).
// 2. Steady state: 16 closed-loop writers (kv-load.ts), load over all members, no faults, for 60 s
//    after a 1 s warm-up. Leader changes are counted from each node's
//    `cox_raft_leader_changes_total` and the term and leader in the status before and after — the
//    target is none. Each node's event-loop delay p99 is scraped from `/metrics` at the end (it is
//    since the process started, so the survivors' figure includes the fault rounds).
//
// Prints one JSON line on stdout (DESIGN.md "Benchmarks (contract)"); logs go to stderr.
//   COX_FAILOVER_ROUNDS           rounds per fault kind (default 10)
//   COX_FAILOVER_STEADY_SECONDS   measured steady-state seconds (default 60)
//   COX_BENCH_WARMUP_SECONDS      warm-up before the steady state (default 1)
//   COX_FAILOVER_SETTLE_MS        extra wait after the cluster is whole, before the next fault (default
//                                 0), to tell a just-restarted agent's warm-up apart from the failover

import { performance } from 'node:perf_hooks'
import type { ApiClient } from '../../node/api-client.ts'
import type { ClusterStatus } from '../../node/cluster-api.ts'
import { type ProcessCluster, waitFor } from '../real/process-cluster.ts'
import {
  benchLogger,
  envNumber,
  machineCpu,
  machineCpuPercentSince,
  machineLoad,
  metricValue,
  nodeClient,
  nodeClients,
  readStatus,
  scrapeMetrics,
  startVoters,
  voterNames,
  withCluster,
} from './bench-cluster.ts'
import { runClosedLoop } from './kv-load.ts'
import { median, round } from './stats.ts'

const rounds = envNumber('COX_FAILOVER_ROUNDS', 10)
const steadySeconds = envNumber('COX_FAILOVER_STEADY_SECONDS', 60)
const warmupSeconds = envNumber('COX_BENCH_WARMUP_SECONDS', 1)
const settleMs = envNumber('COX_FAILOVER_SETTLE_MS', 0)
const steadyClients = 16
const valueBytes = 256
const probeIntervalMs = 10
const probeTimeoutMs = 1_000
const failureSampleLength = 200
/** A round whose signalled node turned out not to lead is repeated, this many times at most. */
const roundAttemptsMax = 3
/** A round whose writes have not resumed by then is recorded as unrecovered, and the run goes on. */
const recoveryMsMax = 30_000
/** Probes in flight at most: a 1 s deadline over a 10 ms cadence, and some slack. */
const probeSocketsMax = 128
/** Connections opened before the fault, so the first probes do not pay a TLS handshake. */
const probeSocketsWarm = 8
const wholeWaitMsMax = 60_000
/** Enough of an agent's log to cover one round or the steady state (a few lines per election). */
const agentLogLinesRead = 400
const statusTimeoutMs = 2_000
const loadTimeoutMs = 10_000
const targets = { medianMs: 250, maxMs: 500 }
const faultKinds = ['sigkill', 'sigstop'] as const
type FaultKind = (typeof faultKinds)[number]
/** Faults with restarts and catching up, then the steady state, with room to spare. */
const runMsMax =
  300_000 + rounds * faultKinds.length * (recoveryMsMax + wholeWaitMsMax + settleMs) + steadySeconds * 2_000

const log = benchLogger('failover')
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface ProbeOutcome {
  /** From the fault to the first successful probe's answer; null if none within recoveryMsMax. */
  readonly gapMs: number | null
  /** When that probe was sent, after the fault: the gap minus this is the write's own latency. */
  readonly okProbeSentMs: number | null
  readonly probes: number
  /** Failed probes by HTTP status or error name. */
  readonly failures: Record<string, number>
  /** The first answer or error message of each kind, cut short. */
  readonly failureSamples: Record<string, string>
}

/** Starts a probe write every probeIntervalMs from `faultMs` until one is answered 201. */
async function probeUntilWritten(
  client: ApiClient,
  keyPrefix: string,
  faultMs: number,
): Promise<ProbeOutcome> {
  const failures: Record<string, number> = {}
  const failureSamples: Record<string, string> = {}
  const inFlight = new Set<Promise<void>>()
  let gapMs: number | null = null
  let okProbeSentMs: number | null = null
  let probes = 0
  const probe = async (sequence: number) => {
    const sentMs = performance.now()
    let failure: string
    let detail: string
    try {
      const response = await client.request('PUT', `/cox/v1/kv/${keyPrefix}-${sequence}`, {
        body: 'probe',
        timeoutMs: probeTimeoutMs,
      })
      if (response.status === 201) {
        if (gapMs === null) {
          gapMs = performance.now() - faultMs
          okProbeSentMs = sentMs - faultMs
        }
        return
      }
      failure = String(response.status)
      detail = response.text()
    } catch (error) {
      failure = (error as Error).name
      detail = (error as Error).message
    }
    if (gapMs !== null) return
    failures[failure] = (failures[failure] ?? 0) + 1
    failureSamples[failure] ??= detail.slice(0, failureSampleLength)
  }
  while (gapMs === null && performance.now() - faultMs < recoveryMsMax) {
    const running = probe(probes++)
    inFlight.add(running)
    void running.finally(() => inFlight.delete(running))
    // On a fixed cadence from the fault, so a slow turn of the loop does not thin the probes out.
    await sleep(Math.max(0, faultMs + probes * probeIntervalMs - performance.now()))
  }
  await Promise.all(inFlight)
  return { gapMs, okProbeSentMs, probes, failures, failureSamples }
}

/** The member that will take the probes: the follower after the leader, in name order. */
function survivorOf(leader: string): string {
  return voterNames[(voterNames.indexOf(leader as (typeof voterNames)[number]) + 1) % voterNames.length]!
}

async function leaderStatus(cluster: ProcessCluster, via: string): Promise<ClusterStatus> {
  const client = await nodeClient(cluster, via, { socketsMax: 1, timeoutMs: statusTimeoutMs })
  try {
    return await readStatus(client)
  } finally {
    client.close()
  }
}

/** Writes a marker through `via` and answers its Raft index (the ETag). */
async function writeMarker(client: ApiClient, key: string): Promise<number> {
  const response = await client.request('PUT', `/cox/v1/kv/${key}`, { body: 'marker' })
  if (response.status !== 201) throw new Error(`marker write answered ${response.status}: ${response.text()}`)
  const index = Number(/"(\d+)"/.exec(response.headers.etag ?? '')?.[1])
  if (!Number.isInteger(index)) throw new Error(`marker write has no usable ETag: ${response.headers.etag}`)
  return index
}

function isWhole(status: ClusterStatus, markerIndex: number): boolean {
  if (status.leader === null) return false
  const voters = status.members.filter((member) => member.role === 'voter')
  if (voters.length !== voterNames.length) return false
  return voters.every(
    (member) =>
      member.reachable && (member.id === status.leader!.id || (member.matchIndex ?? 0) >= markerIndex),
  )
}

/** Waits until the healed node serves and the cluster is whole and caught up past a fresh write. */
async function waitWhole(cluster: ProcessCluster, healed: string, survivor: ApiClient, key: string) {
  const startedMs = performance.now()
  await cluster.waitReady(healed, wholeWaitMsMax)
  const markerIndex = await writeMarker(survivor, key)
  let status: ClusterStatus | null = null
  await waitFor('the cluster to be whole again', wholeWaitMsMax, async () => {
    try {
      status = await readStatus(survivor)
      return isWhole(status, markerIndex)
    } catch {
      return false
    }
  })
  return { status: status!, wholeMs: Math.round(performance.now() - startedMs) }
}

interface RoleChange {
  readonly wallMs: number
  readonly name: string
  readonly role: string
}

/**
 * Best effort, from the agents' logs (pino JSON lines, "raft role" on every change): the Raft role
 * changes of `names` since `sinceWallMs`, oldest first. Empty when the logs say nothing.
 */
function roleChanges(cluster: ProcessCluster, names: readonly string[], sinceWallMs: number): RoleChange[] {
  const changes: RoleChange[] = []
  for (const name of names) {
    for (const line of cluster.logTail(name, agentLogLinesRead).split('\n')) {
      let entry: { time?: string; msg?: string; role?: string }
      try {
        entry = JSON.parse(line)
      } catch {
        continue
      }
      const wallMs = Date.parse(entry.time ?? '')
      if (entry.msg === 'raft role' && wallMs >= sinceWallMs)
        changes.push({ wallMs, name, role: entry.role ?? '' })
    }
  }
  return changes.sort((a, b) => a.wallMs - b.wallMs)
}

/**
 * When the next leader took office after the fault, and how many candidacies it took, so that a
 * gap splits into the election and the time writes needed after it. Nulls when the logs say nothing.
 */
function electionAfter(cluster: ProcessCluster, survivors: readonly string[], faultWallMs: number) {
  const changes = roleChanges(cluster, survivors, faultWallMs)
  const elected = changes.find((change) => change.role === 'leader')
  if (!elected) return { electedMs: null, candidacies: null }
  return {
    electedMs: elected.wallMs - faultWallMs,
    candidacies: changes.filter((change) => change.role === 'candidate' && change.wallMs <= elected.wallMs)
      .length,
  }
}

/**
 * One fault and its heal, or null when the leader moved between choosing it and the fault (then
 * nothing was done). `attempt` keeps keys unique when a round is repeated.
 */
async function faultRound(cluster: ProcessCluster, kind: FaultKind, roundIndex: number, attempt: number) {
  const label = `${kind}-${roundIndex}-${attempt}`
  const chosen = await leaderStatus(cluster, voterNames[0])
  const leader = chosen.leader?.name
  if (!leader) throw new Error(`round ${label}: no leader before the fault`)
  const survivorName = survivorOf(leader)
  const survivor = await nodeClient(cluster, survivorName, {
    socketsMax: probeSocketsMax,
    timeoutMs: loadTimeoutMs,
  })
  try {
    const warm = Array.from({ length: probeSocketsWarm }, (_, i) =>
      writeMarker(survivor, `warm-${label}-${i}`),
    )
    await Promise.all(warm)
    // Read again just before the fault: a leader that moved meanwhile would make the gap meaningless.
    const before = await readStatus(survivor)
    if (before.leader?.name !== leader) {
      log('the leader moved before the fault; repeating the round', {
        label,
        was: leader,
        now: before.leader,
      })
      return null
    }
    const faultWallMs = Date.now()
    const faultMs = performance.now()
    cluster.signal(leader, kind === 'sigkill' ? 'SIGKILL' : 'SIGSTOP')
    const outcome = await probeUntilWritten(survivor, `probe-${label}`, faultMs)
    const recovered = await readStatus(survivor).catch(() => null)
    const healStartMs = performance.now()
    if (kind === 'sigkill') {
      await cluster.agents.get(leader)!.exited
      await cluster.restart(leader)
    } else {
      cluster.signal(leader, 'SIGCONT')
    }
    const healMs = Math.round(performance.now() - healStartMs)
    const election = electionAfter(
      cluster,
      voterNames.filter((name) => name !== leader),
      faultWallMs,
    )
    const healed = await waitWhole(cluster, leader, survivor, `healed-${label}`)
    await sleep(settleMs)
    const result = {
      kind,
      round: roundIndex,
      attempt,
      /** False when no new term began: the node signalled was not leading any more. */
      leaderWasKilled: recovered === null || recovered.term > before.term,
      leader,
      survivor: survivorName,
      gapMs: outcome.gapMs === null ? null : round1(outcome.gapMs),
      okProbeSentMs: outcome.okProbeSentMs === null ? null : round1(outcome.okProbeSentMs),
      electedMs: election.electedMs,
      candidacies: election.candidacies,
      faultAt: new Date(faultWallMs).toISOString(),
      probes: outcome.probes,
      failures: outcome.failures,
      failureSamples: outcome.failureSamples,
      newLeader: recovered?.leader?.name ?? null,
      terms: { before: before.term, recovered: recovered?.term ?? null, healed: healed.status.term },
      healLeader: healed.status.leader?.name ?? null,
      healMs,
      wholeMs: healed.wholeMs,
    }
    log('round', result)
    return result
  } finally {
    survivor.close()
  }
}

type RoundResult = NonNullable<Awaited<ReturnType<typeof faultRound>>>

/** A round, repeated (up to roundAttemptsMax) while it did not take down the leader. */
async function measuredRound(
  cluster: ProcessCluster,
  kind: FaultKind,
  roundIndex: number,
): Promise<RoundResult> {
  let last: RoundResult | null = null
  for (let attempt = 0; attempt < roundAttemptsMax; attempt++) {
    const result = await faultRound(cluster, kind, roundIndex, attempt)
    if (result?.leaderWasKilled) return result
    last = result ?? last
  }
  if (!last) throw new Error(`round ${kind}-${roundIndex}: the leader kept moving before the fault`)
  log('no attempt took down the leader; keeping the last', { kind, round: roundIndex })
  return last
}

const round1 = (value: number) => round(value, 1)

function summarizeGaps(results: readonly RoundResult[]) {
  const gaps = results.map((result) => result.gapMs ?? Number.POSITIVE_INFINITY)
  const finite = gaps.filter(Number.isFinite)
  return {
    gapsMs: results.map((result) => result.gapMs),
    medianMs: round1(median(gaps)),
    maxMs: round1(Math.max(...gaps)),
    minMs: round1(Math.min(...finite)),
    unrecovered: gaps.length - finite.length,
    /** Of the gap, the part before the successful probe was sent (the rest is that write's latency). */
    okProbeSentMedianMs: round1(
      median(results.map((result) => result.okProbeSentMs ?? Number.POSITIVE_INFINITY)),
    ),
    /**
     * Rounds whose heal (restart or SIGCONT) moved the term on — a disruptive rejoin — seen either
     * while waiting for the cluster to be whole or by the next round's start.
     */
    disruptiveHeals: results.filter((result, index) => {
      const next = results[index + 1]
      const movedWhileHealing =
        result.terms.recovered !== null && result.terms.healed > result.terms.recovered
      return movedWhileHealing || (next !== undefined && next.terms.before > result.terms.healed)
    }).length,
    wholeMedianMs: round1(median(results.map((result) => result.wholeMs))),
    /** From the fault until a survivor logged itself leader (from the agents' logs). */
    electedMedianMs: round1(median(results.map((result) => result.electedMs ?? Number.POSITIVE_INFINITY))),
    splitVoteRounds: results.filter((result) => (result.candidacies ?? 0) > 1).length,
  }
}

/** What each node's /metrics says now: event-loop delay (ms), leader changes, CPU seconds. */
async function scrapeNodes(nodes: ReadonlyMap<string, ApiClient>) {
  const p99: Record<string, number> = {}
  const max: Record<string, number> = {}
  const changes: Record<string, number> = {}
  const cpuSeconds: Record<string, number> = {}
  for (const [name, client] of nodes) {
    const text = await scrapeMetrics(client)
    p99[name] = round(metricValue(text, 'cox_event_loop_delay_seconds', { quantile: '0.99' }) * 1000, 2)
    max[name] = round(metricValue(text, 'cox_event_loop_delay_seconds', { quantile: 'max' }) * 1000, 2)
    changes[name] = metricValue(text, 'cox_raft_leader_changes_total')
    cpuSeconds[name] = metricValue(text, 'process_cpu_seconds_total')
  }
  return { p99, max, changes, cpuSeconds }
}

async function steadyState(cluster: ProcessCluster) {
  const nodes = await nodeClients(cluster, { socketsMax: steadyClients, timeoutMs: loadTimeoutMs })
  try {
    const statusBefore = await cluster.status(voterNames[0])
    const before = await scrapeNodes(nodes)
    const startWallMs = Date.now()
    const machineBefore = machineCpu()
    log('steady state', { seconds: steadySeconds, clients: steadyClients, leader: statusBefore.leader?.name })
    const point = await runClosedLoop({
      clients: steadyClients,
      clientFor: (client) => nodes.get(voterNames[client % voterNames.length]!)!,
      keyPrefix: 'steady',
      valueBytes,
      warmupSeconds,
      measureSeconds: steadySeconds,
    })
    const machineCpuPercent = machineCpuPercentSince(machineBefore)
    const seconds = (Date.now() - startWallMs) / 1000
    const after = await scrapeNodes(nodes)
    const statusAfter = await cluster.status(voterNames[0])
    const counted = Math.max(...voterNames.map((name) => after.changes[name]! - before.changes[name]!))
    const moved = statusAfter.leader?.id !== statusBefore.leader?.id ? 1 : 0
    const serverCpuPercent = Object.fromEntries(
      voterNames.map((name) => [
        name,
        Math.round(((after.cpuSeconds[name]! - before.cpuSeconds[name]!) / seconds) * 100),
      ]),
    )
    const ours = Object.values(serverCpuPercent).reduce(
      (sum, percent) => sum + percent,
      point.clientCpuPercent,
    )
    const steady = {
      seconds: steadySeconds,
      leaderChanges: Math.max(counted, moved),
      termBefore: statusBefore.term,
      termAfter: statusAfter.term,
      leaderBefore: statusBefore.leader?.name ?? null,
      leaderAfter: statusAfter.leader?.name ?? null,
      eventLoopP99Ms: after.p99,
      eventLoopMaxMs: after.max,
      /** Followers that missed the leader for an election timeout and tried a pre-vote. */
      preCandidacies: roleChanges(cluster, voterNames, startWallMs).filter(
        (change) => change.role === 'precandidate',
      ).length,
      serverCpuPercent,
      otherCpuPercent: machineCpuPercent === null ? null : Math.max(0, machineCpuPercent - ours),
    }
    log('steady result', { point, steady })
    return { point, steady }
  } finally {
    for (const client of nodes.values()) client.close()
  }
}

async function measure(cluster: ProcessCluster) {
  const loadBefore = machineLoad()
  await startVoters(cluster, log)
  const byKind: Record<FaultKind, RoundResult[]> = { sigkill: [], sigstop: [] }
  for (const kind of faultKinds) {
    for (let index = 0; index < rounds; index++) byKind[kind].push(await measuredRound(cluster, kind, index))
  }
  const { point, steady } = await steadyState(cluster)
  const sigkill = summarizeGaps(byKind.sigkill)
  const sigstop = summarizeGaps(byKind.sigstop)
  const meets = (gaps: typeof sigkill) => gaps.medianMs <= targets.medianMs && gaps.maxMs <= targets.maxMs
  return {
    bench: 'failover',
    points: [point],
    sigkill,
    sigstop,
    targets,
    meetsTargets: { sigkill: meets(sigkill), sigstop: meets(sigstop), steady: steady.leaderChanges === 0 },
    steady,
    detail: byKind,
    probeIntervalMs,
    probeTimeoutMs,
    settleMs,
    warmupSeconds,
    valueBytes,
    node: process.version,
    machine: { before: loadBefore, after: machineLoad() },
  }
}

const result = await withCluster(log, runMsMax, measure)
process.stdout.write(`${JSON.stringify(result)}\n`)
