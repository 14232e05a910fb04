// `npm run bench:scale`: how fast the control plane places and starts pods at scale. Three `cox
// agent` processes on loopback, plus one `cox hollow` process running N hollow worker nodes (real
// kubelets on the sim runtime, like kubemark); then D Deployments holding P pods in total are
// created at once, and a watch in this process times every pod from its creation to bound
// (spec.nodeName) and to Running and Ready. The clock stops when the last pod runs.
//
// Prints one JSON line on stdout (DESIGN.md "Benchmarks (contract)"): `points` has one point whose
// opsPerSec is pods Running per second and whose p50/p99 are pod creation-to-Running latencies;
// the extras say how long until all were bound and all Running, the scheduling rate (pods bound
// per second), the Raft term before and after (elections under the load), and the first leader's CPU
// and peak RSS over the run. Logs go to stderr.
//   COX_BENCH_NODES        hollow nodes (default 100)
//   COX_BENCH_PODS         pods in total (default 10000)
//   COX_BENCH_DEPLOYMENTS  Deployments they are spread over (default 100)
//   COX_BENCH_LIMIT_S      give up after this long (default 300)

import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type ApiClient, jsonLines } from '../../node/api-client.ts'
import { coxScript, type ProcessCluster, waitFor } from '../real/process-cluster.ts'
import {
  benchLogger,
  envNumber,
  machineCpu,
  machineCpuPercentSince,
  machineLoad,
  nodeClient,
  readStatus,
  startVoters,
  withCluster,
} from './bench-cluster.ts'
import { percentile, round, sortedCopy } from './stats.ts'

const log = benchLogger('scale')
const nodes = envNumber('COX_BENCH_NODES', 100)
const podsTotal = envNumber('COX_BENCH_PODS', 10_000)
const deployments = Math.max(1, Math.min(envNumber('COX_BENCH_DEPLOYMENTS', 100), podsTotal))
const limitS = envNumber('COX_BENCH_LIMIT_S', 300)
const hollowReadyMsMax = 120_000
const createAttemptsMax = 5

interface PodTimes {
  createdMs: number
  boundMs?: number
  runningMs?: number
}

async function main(): Promise<void> {
  const result = await withCluster(log, (limitS + 180) * 1000, async (cluster) => {
    const status = await startVoters(cluster, log)
    const client = await nodeClient(cluster, status.leader!.name, { socketsMax: 64, timeoutMs: 60_000 })
    const hollow = await startHollow(cluster, status.leader!.name)
    try {
      await waitForNodes(client, nodes)
      return await measure(cluster, client)
    } finally {
      if (hollow.exitCode === null && hollow.signalCode === null) hollow.kill('SIGTERM')
      client.close()
    }
  })
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

function startHollow(cluster: ProcessCluster, via: string): Promise<ChildProcess> {
  const token = cluster.token
  log('starting hollow nodes', { nodes, via })
  const child = spawn(
    process.execPath,
    [coxScript, 'hollow', '--count', String(nodes), '--join', token, '--prefix', 'hollow'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  // Whatever ends this process (the watchdog too) ends the hollow nodes with it.
  process.once('exit', () => child.kill('SIGTERM'))
  let tail = ''
  // Its log is kept with the agents' (COX_KEEP_E2E keeps the directory).
  const logFile = createWriteStream(join(cluster.dir, 'hollow.log'))
  child.stderr!.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000)
    logFile.write(chunk)
  })
  child.once('exit', () => logFile.end())
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hollow nodes did not start: ${tail}`)), hollowReadyMsMax)
    child.stdout!.once('data', () => {
      clearTimeout(timer)
      resolve(child)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`cox hollow exited with ${code}: ${tail}`))
    })
  })
}

async function waitForNodes(client: ApiClient, count: number): Promise<void> {
  await waitFor(`${count} hollow nodes Ready`, hollowReadyMsMax, async () => {
    const list = (
      await client.request('GET', '/api/v1/nodes?labelSelector=coxswain.dev%2Fhollow%3Dtrue')
    ).json<{
      items: { status?: { conditions?: { type: string; status: string }[] } }[]
    }>()
    const ready = list.items.filter((n) =>
      n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    )
    return ready.length === count
  })
  log('hollow nodes ready', { nodes: count })
}

async function measure(cluster: ProcessCluster, client: ApiClient) {
  const times = new Map<string, PodTimes>()
  let running = 0
  let bound = 0
  const { promise: allRunning, resolve: done } = Promise.withResolvers<void>()
  const list = client.request('GET', '/api/v1/namespaces/default/pods')
  const rv = (await list).json<{ metadata: { resourceVersion: string } }>().metadata.resourceVersion
  const watch = await client.stream('GET', `/api/v1/namespaces/default/pods?watch=1&resourceVersion=${rv}`, {
    timeoutMs: 60_000,
  })
  const follow = (async () => {
    for await (const value of jsonLines(watch.body)) {
      const event = value as {
        type: string
        object: {
          metadata: { uid: string }
          spec?: { nodeName?: string }
          status?: { phase?: string; conditions?: { type: string; status: string }[] }
        }
      }
      if (event.type !== 'ADDED' && event.type !== 'MODIFIED') continue
      const now = performance.now()
      const pod = event.object
      const entry = times.get(pod.metadata.uid) ?? { createdMs: now }
      times.set(pod.metadata.uid, entry)
      if (entry.boundMs === undefined && pod.spec?.nodeName) {
        entry.boundMs = now
        bound++
      }
      const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
      if (entry.runningMs === undefined && pod.status?.phase === 'Running' && ready) {
        entry.runningMs = now
        running++
        if (running === podsTotal) done()
      }
    }
  })()
  follow.catch(() => {})

  const statusBefore = await readStatus(client)
  const leader = statusBefore.leader!
  const leaderPid = cluster.agents.get(leader.name)!.process.pid!
  const cpuBefore = processCpuMs(leaderPid)
  const machineBefore = machineCpu()
  const startedMs = performance.now()
  log('creating deployments', { deployments, pods: podsTotal })
  const perDeployment = Math.floor(podsTotal / deployments)
  const creates = Array.from({ length: deployments }, (_, i) =>
    createDeployment(
      client,
      `scale-${i}`,
      deploymentOf(`scale-${i}`, perDeployment + (i < podsTotal % deployments ? 1 : 0)),
    ),
  )
  const answers = await Promise.all(creates)
  const failed = answers.filter((a) => a.status !== 201)
  for (const answer of failed.slice(0, 5))
    log('a deployment was not created', { status: answer.status, body: answer.text().slice(0, 300) })
  const errors = failed.length
  const progress = setInterval(
    () => log('progress', { bound, running, seconds: round((performance.now() - startedMs) / 1000, 1) }),
    5_000,
  )
  const finished = await Promise.race([
    allRunning.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), limitS * 1000).unref()),
  ])
  clearInterval(progress)
  const elapsedMs = performance.now() - startedMs
  if (!finished) await logStragglers(client)
  const cpuMs = processCpuMs(leaderPid) - cpuBefore
  watch.close()
  const statusAfter = await readStatus(client)

  const all = [...times.values()]
  const latencies = sortedCopy(
    all.flatMap((t) => (t.runningMs === undefined ? [] : [t.runningMs - t.createdMs])),
  )
  const boundTimes = all.flatMap((t) => (t.boundMs === undefined ? [] : [t.boundMs]))
  const firstCreatedMs = Math.min(...all.map((t) => t.createdMs))
  const lastBoundMs = Math.max(...boundTimes)
  const bindingSeconds = (lastBoundMs - Math.min(...boundTimes)) / 1000
  return {
    bench: 'scale',
    points: [
      {
        clients: deployments,
        opsPerSec: round(running / (elapsedMs / 1000), 1),
        p50Ms: round(percentile(latencies, 0.5), 1),
        p99Ms: round(percentile(latencies, 0.99), 1),
        errors,
      },
    ],
    nodes,
    pods: podsTotal,
    deployments,
    allRunning: finished,
    podsBound: bound,
    podsRunning: running,
    secondsToAllBound: round((lastBoundMs - startedMs) / 1000, 2),
    secondsToAllRunning: finished ? round(elapsedMs / 1000, 2) : null,
    firstPodSeenSeconds: round((firstCreatedMs - startedMs) / 1000, 2),
    schedulingPodsPerSec: round(bound / Math.max(bindingSeconds, 0.001), 1),
    // Every election (won or not) raises the term: a steady leader keeps it where it was.
    termBefore: statusBefore.term,
    termAfter: statusAfter.term,
    leaderCpuPercent: round((cpuMs / elapsedMs) * 100, 1),
    leaderPeakRssMiB: round(peakRssKiB(leaderPid) / 1024, 1),
    machineCpuPercent: machineCpuPercentSince(machineBefore),
    bar: { pods: 10_000, nodes: 100, seconds: 60 },
    meetsBar: finished && nodes >= 100 && podsTotal >= 10_000 && elapsedMs <= 60_000,
    node: process.version,
    machine: machineLoad(),
  }
}

/** Creates a Deployment as a careful client does: after a timeout, reads before trying again. */
async function createDeployment(client: ApiClient, name: string, deployment: object) {
  for (let attempt = 1; ; attempt++) {
    const answer = await client.request('POST', '/apis/apps/v1/namespaces/default/deployments', {
      body: JSON.stringify(deployment),
    })
    // A retry that finds it exists: the timed-out attempt applied after all.
    if (answer.status === 409 && attempt > 1) return { ...answer, status: 201 }
    if (answer.status === 503 && attempt < createAttemptsMax) {
      // No leader at the moment: the server says to retry shortly.
      await new Promise((resolve) => setTimeout(resolve, 500))
      continue
    }
    if (answer.status !== 504 || attempt === createAttemptsMax) return answer
    const read = await client.request('GET', `/apis/apps/v1/namespaces/default/deployments/${name}`)
    if (read.status === 200) return { ...read, status: 201 }
    log('a deployment create timed out and did not apply; creating it again', { name })
  }
}

/** The Deployments short of their pods, to say where a run that did not finish got stuck. */
async function logStragglers(client: ApiClient): Promise<void> {
  const list = (await client.request('GET', '/apis/apps/v1/namespaces/default/deployments')).json<{
    items: { metadata: { name: string }; spec: { replicas: number }; status?: Record<string, unknown> }[]
  }>()
  const short = list.items.filter((d) => d.status?.readyReplicas !== d.spec.replicas)
  for (const d of short.slice(0, 5)) log('deployment not ready', { name: d.metadata.name, status: d.status })
}

function deploymentOf(name: string, replicas: number): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { bench: 'scale' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, bench: 'scale' } },
        spec: { containers: [{ name: 'app', image: 'busybox' }] },
      },
    },
  }
}

/** User + system CPU of a process so far, from /proc (Linux). */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  const ticksPerSecond = 100
  return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1000
}

function peakRssKiB(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) : 0
}

await main()
