// The agent's Prometheus metrics, on a registry of its own rather than prom-client's global one, so
// that several agents in one process (tests, `cox up` experiments) keep apart. Owns the metric names
// and buckets, the event-loop delay monitor (a stalled loop is what delays heartbeats and elections
// first), and the exposition text served on /metrics. What the numbers are fed with is the agent's
// business: it sets the gauges and observes the histograms.

import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

/** How often the loop-delay timer samples; its own interval is taken off what it records. */
export const eventLoopResolutionMs = 10
/** Latency buckets in seconds, from half a millisecond (a loopback RPC) to a 10 s proposal timeout. */
export const latencyBucketsSeconds: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]
export const eventLoopQuantiles: readonly number[] = [0.5, 0.99]

const nsPerMs = 1e6
const nsPerSecond = 1e9

export interface RaftStatusSample {
  readonly term: number
  readonly commitIndex: number
  readonly appliedIndex: number
  readonly isLeader: boolean
  /** Who this node thinks leads; each new leader seen counts as a leader change. */
  readonly leaderId: string | null
}

export interface HttpRequestSample {
  readonly method: string
  readonly route: string
  readonly code: number
  readonly durationSeconds: number
}

export interface Metrics {
  readonly registry: Registry
  /** The Content-Type of text(). */
  readonly contentType: string
  readonly raftTerm: Gauge
  readonly raftCommitIndex: Gauge
  readonly raftAppliedIndex: Gauge
  readonly raftIsLeader: Gauge
  readonly raftLeaderChanges: Counter
  readonly rpcDuration: Histogram<'method'>
  readonly proposalDuration: Histogram
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'code'>
  /** Sets the Raft gauges and counts leader changes. */
  recordRaftStatus(sample: RaftStatusSample): void
  /** Shaped to be HttpServer's `observeRequest`. */
  observeHttpRequest(sample: HttpRequestSample): void
  /** The 99th percentile of the event loop's delay since start or the last reset, in ms. */
  eventLoopDelayP99Ms(): number
  resetEventLoopDelay(): void
  /** The Prometheus exposition text of every metric. */
  text(): Promise<string>
  /** Stops the event-loop monitor and empties the registry. */
  stop(): void
}

export function createMetrics(): Metrics {
  const registry = new Registry()
  const registers = [registry]
  const loopDelay = monitorEventLoopDelay({ resolution: eventLoopResolutionMs })
  loopDelay.enable()
  // Each sample spans at least one resolution interval; only what goes beyond it is delay.
  const delayNs = (ns: number) =>
    loopDelay.count === 0 ? 0 : Math.max(0, ns - eventLoopResolutionMs * nsPerMs)

  const raftTerm = new Gauge({ name: 'cox_raft_term', help: 'The current Raft term.', registers })
  const raftCommitIndex = new Gauge({
    name: 'cox_raft_commit_index',
    help: 'The highest log index known to be committed.',
    registers,
  })
  const raftAppliedIndex = new Gauge({
    name: 'cox_raft_applied_index',
    help: 'The highest log index applied to the state machine.',
    registers,
  })
  const raftIsLeader = new Gauge({
    name: 'cox_raft_is_leader',
    help: '1 if this node is the Raft leader.',
    registers,
  })
  const raftLeaderChanges = new Counter({
    name: 'cox_raft_leader_changes_total',
    help: 'Leaders this node has seen take over, the first one included.',
    registers,
  })
  const rpcDuration = new Histogram({
    name: 'cox_rpc_duration_seconds',
    help: 'Duration of RPCs over the mesh, by method.',
    labelNames: ['method'] as const,
    buckets: [...latencyBucketsSeconds],
    registers,
  })
  const proposalDuration = new Histogram({
    name: 'cox_proposal_duration_seconds',
    help: 'From proposing a command to its being applied.',
    buckets: [...latencyBucketsSeconds],
    registers,
  })
  const httpRequestDuration = new Histogram({
    name: 'cox_http_request_duration_seconds',
    help: 'Duration of API requests, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'code'] as const,
    buckets: [...latencyBucketsSeconds],
    registers,
  })
  new Gauge({
    name: 'cox_event_loop_delay_seconds',
    help: 'Event-loop delay since start: quantile 0.5 and 0.99, and "max".',
    labelNames: ['quantile'] as const,
    registers,
    collect() {
      for (const quantile of eventLoopQuantiles) {
        this.set({ quantile: String(quantile) }, delayNs(loopDelay.percentile(quantile * 100)) / nsPerSecond)
      }
      this.set({ quantile: 'max' }, delayNs(loopDelay.max) / nsPerSecond)
    },
  })
  collectDefaultMetrics({ register: registry })

  let leaderId: string | null = null
  return {
    registry,
    contentType: registry.contentType,
    raftTerm,
    raftCommitIndex,
    raftAppliedIndex,
    raftIsLeader,
    raftLeaderChanges,
    rpcDuration,
    proposalDuration,
    httpRequestDuration,
    recordRaftStatus(sample) {
      raftTerm.set(sample.term)
      raftCommitIndex.set(sample.commitIndex)
      raftAppliedIndex.set(sample.appliedIndex)
      raftIsLeader.set(sample.isLeader ? 1 : 0)
      // As etcd's leader_changes_seen_total: every new leader counts, the first one too.
      if (sample.leaderId !== null && sample.leaderId !== leaderId) raftLeaderChanges.inc()
      if (sample.leaderId !== null) leaderId = sample.leaderId
    },
    observeHttpRequest(sample) {
      httpRequestDuration.observe(
        { method: sample.method, route: sample.route, code: String(sample.code) },
        sample.durationSeconds,
      )
    },
    eventLoopDelayP99Ms: () => delayNs(loopDelay.percentile(99)) / nsPerMs,
    resetEventLoopDelay: () => loopDelay.reset(),
    text: () => registry.metrics(),
    stop() {
      loopDelay.disable()
      registry.clear()
    },
  }
}
