// The workload controllers on a 3-agent cluster with hollow nodes (`cox hollow`, the sim runtime),
// driven by the real kubectl: a lost node's pods come back elsewhere within the configured
// timeouts, drain honours a PodDisruptionBudget, Jobs complete and fail, a CronJob runs on its
// schedule, a DaemonSet covers every node, a StatefulSet starts in order and — on a node cut off
// from the masters — is stopped by that node before the leader replaces it, and a
// HorizontalPodAutoscaler scales on the CPU the nodes report.

import { type ChildProcess, spawn } from 'node:child_process'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { coxScript, ProcessCluster, run, waitFor } from '../../chaos/real/process-cluster.ts'

const graceMs = 2_000
const evictionMs = 2_000
let cluster: ProcessCluster
const hollows = new Map<string, ChildProcess>()

async function kubectl(...args: string[]): Promise<string> {
  const result = await run('/usr/bin/kubectl', ['--kubeconfig', cluster.kubeconfig, ...args], {
    HOME: cluster.dir,
  })
  assert.is(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`)
  return result.stdout
}

async function apply(manifest: object): Promise<void> {
  const result = await run(
    '/bin/sh',
    [
      '-c',
      `echo '${JSON.stringify(manifest)}' | /usr/bin/kubectl --kubeconfig ${cluster.kubeconfig} apply -f -`,
    ],
    { HOME: cluster.dir },
  )
  assert.is(result.code, 0, result.stderr)
}

/** `count` hollow nodes named `<prefix>-<i>`, in a process of their own. */
async function startHollow(prefix: string, count: number): Promise<void> {
  const child = spawn(
    process.execPath,
    [
      coxScript,
      'hollow',
      '--count',
      String(count),
      '--prefix',
      prefix,
      '--join',
      cluster.token,
      '--sim-start-ms',
      '100',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  hollows.set(prefix, child)
  let log = ''
  child.stderr!.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-3000)
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`cox hollow exited with ${code}: ${log}`)))
  })
}

interface Pod {
  name: string
  uid: string
  node: string
  phase: string
  ready: boolean
}

async function pods(selector: string): Promise<Pod[]> {
  const list = JSON.parse(await kubectl('get', 'pods', '-l', selector, '-o', 'json')) as {
    items: {
      metadata: { name: string; uid: string }
      spec: { nodeName?: string }
      status?: { phase?: string; conditions?: { type: string; status: string }[] }
    }[]
  }
  return list.items.map((p) => ({
    name: p.metadata.name,
    uid: p.metadata.uid,
    node: p.spec.nodeName ?? '',
    phase: p.status?.phase ?? '',
    ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
  }))
}

const running = (list: Pod[]) => list.filter((p) => p.phase === 'Running' && p.ready)

function deployment(
  name: string,
  replicas: number,
  extra: { nodeSelector?: object; annotations?: object; cpu?: string } = {},
) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
        spec: {
          ...(extra.nodeSelector ? { nodeSelector: extra.nodeSelector } : {}),
          containers: [
            {
              name: 'app',
              image: 'busybox',
              ...(extra.cpu ? { resources: { requests: { cpu: extra.cpu } } } : {}),
            },
          ],
        },
      },
    },
  }
}

test.before(async () => {
  cluster = await ProcessCluster.withVoters(3, [
    '--node-grace-ms',
    String(graceMs),
    '--eviction-timeout-ms',
    String(evictionMs),
  ])
  await cluster.writeKubeconfig('n1')
  // Hollow nodes sort after the agents (n1..n3): bin packing breaks ties by name.
  await startHollow('x-a', 1)
  await startHollow('x-b', 2)
  await waitFor('6 Ready nodes', 30_000, async () => {
    const nodes = await kubectl('get', 'nodes', '--no-headers')
    return (
      nodes
        .trim()
        .split('\n')
        .filter((l) => /\sReady\s/.test(l)).length === 6
    )
  })
  // A CronJob that runs every minute; checked at the end, after the other tests' time.
  await apply({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'tick' },
    spec: {
      schedule: '* * * * *',
      jobTemplate: {
        spec: {
          template: {
            metadata: { annotations: { 'sim.coxswain.dev/exit-after-ms': '200' } },
            spec: { restartPolicy: 'Never', containers: [{ name: 'tick', image: 'busybox' }] },
          },
        },
      },
    },
  })
})

test.after(async () => {
  for (const child of hollows.values()) if (child.exitCode === null) child.kill('SIGTERM')
  await cluster?.destroy()
})

test("a lost node's pods are replaced on another node within the NotReady grace and eviction timeout", async () => {
  await apply(deployment('lost', 3, { nodeSelector: { 'coxswain.dev/hollow': 'true' } }))
  let before: Pod[] = []
  await waitFor('3 pods running on x-a-0', 30_000, async () => {
    before = running(await pods('app=lost'))
    return before.length === 3
  })
  assert.ok(
    before.every((p) => p.node === 'x-a-0'),
    `bin packing put them on x-a-0: ${before.map((p) => p.node)}`,
  )
  const killedMs = Date.now()
  hollows.get('x-a')!.kill('SIGKILL')
  let after: Pod[] = []
  await waitFor('3 replacements running elsewhere', 30_000, async () => {
    after = running(await pods('app=lost'))
    return after.length === 3 && after.every((p) => p.node !== 'x-a-0')
  })
  const tookMs = Date.now() - killedMs
  assert.ok(
    after.every((p) => p.node.startsWith('x-b-')),
    'replaced on the remaining hollow nodes',
  )
  // Grace and eviction timeout, plus a heartbeat period and the replacements' start and report.
  assert.ok(tookMs < graceMs + evictionMs + 8_000, `replaced in ${tookMs} ms`)
  assert.match(await kubectl('get', 'node', 'x-a-0'), /NotReady/)
  const events = await kubectl('get', 'events', '--field-selector', 'reason=TaintManagerEviction')
  assert.match(events, /Marking for deletion Pod default\/lost-/)
})

test('kubectl drain honours a PodDisruptionBudget', async () => {
  await apply(deployment('guarded', 3, { nodeSelector: { 'coxswain.dev/hollow': 'true' } }))
  await apply({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'guarded' },
    spec: { minAvailable: 2, selector: { matchLabels: { app: 'guarded' } } },
  })
  let placed: Pod[] = []
  await waitFor('3 guarded pods running', 30_000, async () => {
    placed = running(await pods('app=guarded'))
    return placed.length === 3
  })
  await waitFor(
    'the budget to allow one disruption',
    15_000,
    async () =>
      (await kubectl('get', 'pdb', 'guarded', '-o', 'jsonpath={.status.disruptionsAllowed}')) === '1',
  )
  const node = placed[0]!.node
  let fewest = 3
  let watching = true
  const watcher = (async () => {
    while (watching) {
      fewest = Math.min(fewest, running(await pods('app=guarded')).length)
      await new Promise((r) => setTimeout(r, 100))
    }
  })()
  const drained = await run(
    '/usr/bin/kubectl',
    ['--kubeconfig', cluster.kubeconfig, 'drain', node, '--ignore-daemonsets', '--timeout=90s'],
    { HOME: cluster.dir },
  )
  watching = false
  await watcher
  assert.is(drained.code, 0, drained.stderr)
  assert.match(drained.stdout, /evicting pod default\/guarded-/)
  assert.match(drained.stdout, new RegExp(`node/${node} drained`))
  assert.match(drained.stdout + drained.stderr, /disruption budget/)
  assert.ok(fewest >= 2, `never fewer than 2 running during the drain (saw ${fewest})`)
  assert.match(await kubectl('get', 'node', node), /SchedulingDisabled/)
  assert.ok(
    (await pods('app=guarded')).every((p) => p.node !== node),
    'none left on the drained node',
  )
  await kubectl('uncordon', node)
  assert.not.match(await kubectl('get', 'node', node), /SchedulingDisabled/)
})

test('Jobs run to completion, and one past its backoff limit fails', async () => {
  await apply({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'batch' },
    spec: {
      completions: 4,
      parallelism: 2,
      template: {
        metadata: { annotations: { 'sim.coxswain.dev/exit-after-ms': '300' } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox' }] },
      },
    },
  })
  await apply({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'broken' },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: {
          annotations: { 'sim.coxswain.dev/exit-after-ms': '200', 'sim.coxswain.dev/exit-code': '3' },
        },
        spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox' }] },
      },
    },
  })
  await kubectl('wait', '--for=condition=complete', 'job/batch', '--timeout=60s')
  assert.is(await kubectl('get', 'job', 'batch', '-o', 'jsonpath={.status.succeeded}'), '4')
  await kubectl('wait', '--for=condition=failed', 'job/broken', '--timeout=60s')
  const reason = await kubectl(
    'get',
    'job',
    'broken',
    '-o',
    'jsonpath={.status.conditions[?(@.type=="Failed")].reason}',
  )
  assert.is(reason, 'BackoffLimitExceeded')
})

test('a DaemonSet runs one pod on every node', async () => {
  await apply({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: {
        metadata: { labels: { app: 'agent' } },
        spec: { containers: [{ name: 'a', image: 'busybox' }] },
      },
    },
  })
  await kubectl('rollout', 'status', 'daemonset/agent', '--timeout=60s')
  const ready = (await kubectl('get', 'nodes', '--no-headers'))
    .trim()
    .split('\n')
    .filter((l) => /\sReady/.test(l))
  const placed = running(await pods('app=agent'))
  assert.is(placed.length, ready.length)
  assert.is(new Set(placed.map((p) => p.node)).size, placed.length, 'one per node')
})

test('a StatefulSet starts in order; a node cut off stops its pods before the leader replaces them', async () => {
  const status = await cluster.status('n1')
  const leader = status.leader!.name
  const [target, ...others] = ['n1', 'n2', 'n3'].filter((n) => n !== leader).concat(leader)
  // Only `target` takes new pods for now.
  for (const node of [...others, 'x-b-0', 'x-b-1']) await kubectl('cordon', node)
  await apply({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db' },
    spec: {
      serviceName: 'db',
      replicas: 3,
      selector: { matchLabels: { app: 'db' } },
      template: {
        metadata: { labels: { app: 'db' } },
        spec: { containers: [{ name: 'db', image: 'busybox' }] },
      },
    },
  })
  await kubectl('rollout', 'status', 'statefulset/db', '--timeout=60s')
  const first = running(await pods('app=db'))
  assert.equal(first.map((p) => p.name).sort(), ['db-0', 'db-1', 'db-2'])
  assert.ok(
    first.every((p) => p.node === target),
    `all on ${target}`,
  )
  const created = JSON.parse(await kubectl('get', 'pods', '-l', 'app=db', '-o', 'json')) as {
    items: { metadata: { name: string; creationTimestamp: string } }[]
  }
  const order = created.items.sort((a, b) =>
    a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp),
  )
  assert.is(order[0]!.metadata.name, 'db-0', 'ordinal 0 first')

  for (const node of others) await kubectl('uncordon', node)
  await cluster.request(target, 'PUT', '/cox/v1/debug/isolation', { blocked: true })
  const cutMs = Date.now()
  let fencedMs = 0
  let replacedMs = 0
  await cluster.writeKubeconfig(others[0]!)
  let seen = ''
  try {
    await waitFor('the cut-off node to stop its pods and the leader to replace them', 40_000, async () => {
      const local = (await cluster.request(target, 'GET', '/cox/v1/kubelet/pods')).json<{
        pods: { name: string; uid: string; running: boolean; fenced: boolean }[]
      }>()
      const mine = local.pods.filter((p) => p.name.startsWith('db-'))
      if (!fencedMs && mine.length === 3 && mine.every((p) => p.fenced && !p.running)) fencedMs = Date.now()
      const now = await pods('app=db')
      if (!replacedMs && now.some((p) => p.node !== target && p.node !== '')) replacedMs = Date.now()
      seen = JSON.stringify({
        local: mine,
        cluster: now,
        nodes: await kubectl('get', 'nodes', '--no-headers'),
      })
      return fencedMs > 0 && running(now).length === 3 && running(now).every((p) => p.node !== target)
    })
  } catch (error) {
    throw new Error(`${(error as Error).message}; last seen ${seen}`)
  }
  assert.ok(fencedMs > 0 && replacedMs > 0)
  assert.ok(
    fencedMs < replacedMs,
    `stopped on ${target} (${fencedMs - cutMs} ms) before replaced (${replacedMs - cutMs} ms)`,
  )
  assert.ok(replacedMs - cutMs >= graceMs + evictionMs, 'not replaced before grace + eviction timeout')
  await cluster.request(target, 'PUT', '/cox/v1/debug/isolation', { blocked: false })
  for (const node of ['x-b-0', 'x-b-1']) await kubectl('uncordon', node)
})

test('a HorizontalPodAutoscaler scales a Deployment on the CPU its pods report', async () => {
  await apply(deployment('busy', 1, { cpu: '100m', annotations: { 'sim.coxswain.dev/cpu-millis': '90' } }))
  await waitFor('the busy pod running', 30_000, async () => running(await pods('app=busy')).length === 1)
  await kubectl('autoscale', 'deployment', 'busy', '--cpu-percent=50', '--min=1', '--max=4')
  await waitFor(
    'the autoscaler to scale up',
    45_000,
    async () => Number(await kubectl('get', 'deployment', 'busy', '-o', 'jsonpath={.spec.replicas}')) >= 2,
  )
  const hpa = await kubectl('get', 'hpa', 'busy')
  assert.match(hpa, /cpu: \d+%\/50%/)
  const events = await kubectl(
    'get',
    'events',
    '--field-selector',
    'involvedObject.name=busy,reason=SuccessfulRescale',
  )
  assert.match(
    events,
    /New size: \d; reason: cpu resource utilization \(percentage of request\) above target/,
  )
})

test('the CronJob ran on its schedule and its job completed', async () => {
  await waitFor('a job of the CronJob to complete', 75_000, async () => {
    const jobs = await kubectl('get', 'jobs', '-o', 'json')
    const items = (
      JSON.parse(jobs) as { items: { metadata: { name: string }; status?: { succeeded?: number } }[] }
    ).items
    return items.some((j) => j.metadata.name.startsWith('tick-') && j.status?.succeeded === 1)
  })
  assert.match(await kubectl('get', 'cronjob', 'tick'), /tick\s+\* \* \* \* \*/)
  assert.match(
    await kubectl('get', 'cronjob', 'tick', '-o', 'jsonpath={.status.lastScheduleTime}'),
    /^\d{4}-/,
  )
})

test.run()
