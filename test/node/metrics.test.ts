// The agent's metrics: the names and labels in the exposition text, leader changes counted as etcd
// counts them, the event-loop delay seen after the loop is blocked, and a registry of its own.

import { register as globalRegistry } from 'prom-client'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createMetrics, type Metrics } from '../../node/metrics.ts'

const test = suite<{ metrics: Metrics[] }>('node: metrics')

test.before.each((context) => {
  context.metrics = []
})

test.after.each((context) => {
  for (const metrics of context.metrics) metrics.stop()
})

function create(context: { metrics: Metrics[] }): Metrics {
  const metrics = createMetrics()
  context.metrics.push(metrics)
  return metrics
}

/** The value of the sample line `name{labels}` in the text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

function blockLoop(ms: number): void {
  const untilMs = performance.now() + ms
  while (performance.now() < untilMs) {
    // Busy on purpose: this is the stall the monitor must see.
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

test('the Raft gauges follow the status; every new leader counts as a change', async (context) => {
  const metrics = create(context)

  for (const [leaderId, term] of [
    ['n1', 1],
    ['n1', 1],
    [null, 2],
    ['n2', 2],
    ['n2', 2],
  ] as const) {
    metrics.recordRaftStatus({
      term,
      commitIndex: 40,
      appliedIndex: 39,
      isLeader: leaderId === 'n2',
      leaderId,
    })
  }
  const text = await metrics.text()

  assert.is(sample(text, 'cox_raft_term'), 2)
  assert.is(sample(text, 'cox_raft_commit_index'), 40)
  assert.is(sample(text, 'cox_raft_applied_index'), 39)
  assert.is(sample(text, 'cox_raft_is_leader'), 1)
  assert.is(sample(text, 'cox_raft_leader_changes_total'), 2)
})

test('the histograms carry their labels', async (context) => {
  const metrics = create(context)

  metrics.rpcDuration.observe({ method: 'append' }, 0.002)
  metrics.proposalDuration.observe(0.03)
  metrics.observeHttpRequest({ method: 'PUT', route: '/cox/v1/kv/*key', code: 201, durationSeconds: 0.004 })
  const text = await metrics.text()

  assert.is(sample(text, 'cox_rpc_duration_seconds_bucket{le="0.001",method="append"}'), 0)
  assert.is(sample(text, 'cox_rpc_duration_seconds_bucket{le="0.0025",method="append"}'), 1)
  assert.is(sample(text, 'cox_proposal_duration_seconds_count'), 1)
  assert.is(
    sample(text, 'cox_http_request_duration_seconds_count{method="PUT",route="/cox/v1/kv/*key",code="201"}'),
    1,
  )
  assert.match(text, '# TYPE cox_rpc_duration_seconds histogram')
  assert.match(text, '# TYPE cox_raft_leader_changes_total counter')
})

test('a blocked event loop shows in the delay quantiles and p99; a reset forgets it', async (context) => {
  const metrics = create(context)
  metrics.resetEventLoopDelay()
  await sleep(30)

  blockLoop(120)
  await sleep(30)
  const p99Ms = metrics.eventLoopDelayP99Ms()
  const text = await metrics.text()
  metrics.resetEventLoopDelay()
  const afterResetMs = metrics.eventLoopDelayP99Ms()

  assert.ok(p99Ms >= 80, `p99 ${p99Ms} ms after a 120 ms stall`)
  assert.ok((sample(text, 'cox_event_loop_delay_seconds{quantile="max"}') ?? 0) >= 0.08)
  assert.ok((sample(text, 'cox_event_loop_delay_seconds{quantile="0.99"}') ?? 0) >= 0.08)
  assert.type(sample(text, 'cox_event_loop_delay_seconds{quantile="0.5"}'), 'number')
  assert.is(afterResetMs, 0)
})

test("the process's default metrics are there too, and the content type is Prometheus text", async (context) => {
  const metrics = create(context)

  const text = await metrics.text()

  assert.type(sample(text, 'process_cpu_user_seconds_total'), 'number')
  assert.match(text, 'nodejs_heap_size_total_bytes')
  assert.match(metrics.contentType, 'text/plain')
})

test('each instance has a registry of its own, and none of it is global', async (context) => {
  const first = create(context)
  const second = create(context)

  first.raftTerm.set(5)
  second.raftTerm.set(7)

  assert.is(sample(await first.text(), 'cox_raft_term'), 5)
  assert.is(sample(await second.text(), 'cox_raft_term'), 7)
  assert.not.match(await globalRegistry.metrics(), 'cox_')
})

test('stop() empties the registry', async () => {
  const metrics = createMetrics()

  metrics.stop()

  assert.is((await metrics.text()).trim(), '')
})

test.run()
