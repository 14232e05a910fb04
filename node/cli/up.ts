// `cox up`: a local cluster of N agent processes on loopback, like kind or k3d. Node i keeps its
// data in DIR/node-i and its log in DIR/node-i/agent.log; DIR/kubeconfig gets one context per node.
// It waits until every node is a member and every API answers, prints where everything is, and
// stops the agents (SIGTERM, so a leader hands over first) on Ctrl-C or SIGTERM.

import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { ApiClient } from '../api-client.ts'
import type { ClusterStatus } from '../cluster-api.ts'
import { dataPaths, readNodeConfig, readSecrets, writeFileAtomic } from '../data-dir.ts'
import { renderKubeconfig } from '../kubeconfig.ts'
import { integerFlag, parse, UsageError } from './usage.ts'

export const upReadyTimeoutMs = 60_000
const coxScript = new URL('./cox.ts', import.meta.url).pathname

export interface UpNode {
  readonly name: string
  readonly pid: number
  readonly api: string
  readonly role: string
  readonly dir: string
}

export async function runUp(args: string[]): Promise<number> {
  const { values, positionals } = parse('up', args, {
    nodes: { type: 'string' },
    dir: { type: 'string' },
    runtime: { type: 'string' },
    json: { type: 'boolean' },
  })
  if (positionals.length > 0) throw new UsageError(`up: unexpected argument "${positionals[0]}"`)
  const count = integerFlag('nodes', values.nodes) ?? 3
  if (count < 1 || count > 16) throw new UsageError('up: --nodes must be from 1 to 16')
  const dir = resolve(values.dir ?? '.cox')
  mkdirSync(dir, { recursive: true })
  const runtime = values.runtime ?? 'auto'
  const children: ChildProcess[] = []
  const stopAll = async (): Promise<void> => {
    await Promise.all(children.map((child) => stopChild(child)))
  }
  let stopping = false
  const { promise: stopped, resolve: stop } = Promise.withResolvers<void>()
  const onSignal = (): void => {
    if (stopping) return
    stopping = true
    stopAll().then(() => stop())
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    const first = join(dir, 'node-1')
    const resuming = existsSync(join(first, 'node.json'))
    children.push(startAgent(first, 'node-1', runtime, null))
    let token: string | null = null
    if (!resuming) token = (await waitForFile(dataPaths(first).joinToken, children[0]!)).trim()
    for (let i = 2; i <= count; i++) {
      const nodeDir = join(dir, `node-${i}`)
      const fresh = !existsSync(join(nodeDir, 'node.json'))
      if (fresh && !token) token = (await readFile(dataPaths(first).joinToken, 'utf8')).trim()
      children.push(startAgent(nodeDir, `node-${i}`, runtime, fresh ? token : null))
    }
    const nodes = await waitUntilReady(dir, count, children)
    const kubeconfig = join(dir, 'kubeconfig')
    const summary = { dir, kubeconfig, nodes }
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`)
    else {
      process.stdout.write(`coxswain is up: ${count} nodes in ${dir}\n\n`)
      for (const node of nodes)
        process.stdout.write(`  ${node.name}  ${node.role.padEnd(8)} ${node.api}  pid ${node.pid}\n`)
      process.stdout.write(
        `\n  export KUBECONFIG=${kubeconfig}\n  kubectl get --raw /healthz\n  npx cox cluster status\n\nCtrl-C stops the cluster; \`cox up --dir ${dir}\` resumes it.\n`,
      )
    }
    for (const child of children) {
      child.once('exit', (code, signal) => {
        if (!stopping)
          process.stderr.write(`cox up: agent ${child.pid} exited (${signal ?? code}); see its agent.log\n`)
      })
    }
    await stopped
    return 0
  } catch (error) {
    await stopAll()
    throw error
  }
}

function startAgent(nodeDir: string, name: string, runtime: string, token: string | null): ChildProcess {
  mkdirSync(nodeDir, { recursive: true })
  const log = openSync(join(nodeDir, 'agent.log'), 'a')
  const args = [coxScript, 'agent', '--data', nodeDir, '--name', name, '--runtime', runtime]
  args.push('--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0')
  if (token) args.push('--join', token)
  return spawn(process.execPath, args, { stdio: ['ignore', log, log] })
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

async function waitForFile(path: string, child: ChildProcess): Promise<string> {
  const deadline = Date.now() + upReadyTimeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`the first agent exited (${child.exitCode}); see its agent.log`)
    if (existsSync(path)) return readFileSync(path, 'utf8')
    await sleep(50)
  }
  throw new Error(`the first agent did not write ${path} within ${upReadyTimeoutMs} ms; see its agent.log`)
}

/** Waits until every node is a member and answers, then writes DIR/kubeconfig. */
async function waitUntilReady(dir: string, count: number, children: ChildProcess[]): Promise<UpNode[]> {
  const deadline = Date.now() + upReadyTimeoutMs
  let lastProblem = 'starting'
  while (Date.now() < deadline) {
    for (const [i, child] of children.entries()) {
      if (child.exitCode !== null)
        throw new Error(
          `agent node-${i + 1} exited (${child.exitCode}); see ${join(dir, `node-${i + 1}`, 'agent.log')}`,
        )
    }
    try {
      const configs = await Promise.all(
        children.map((_, i) => readNodeConfig(dataPaths(join(dir, `node-${i + 1}`)))),
      )
      const secrets = await readSecrets(dataPaths(join(dir, 'node-1')))
      if (configs.every((c) => c !== null) && secrets) {
        const kubeconfig = renderKubeconfig({
          contexts: configs.map((c) => ({ name: c!.name, server: `https://${c!.apiAdvertise}` })),
          current: 'node-1',
          caPem: secrets.caCertPem,
          token: secrets.adminToken,
        })
        await writeFileAtomic(join(dir, 'kubeconfig'), kubeconfig)
        const client = new ApiClient({
          server: `https://${configs[0]!.apiAdvertise}`,
          caPem: secrets.caCertPem,
          token: secrets.adminToken,
          timeoutMs: 2_000,
        })
        try {
          const response = await client.request('GET', '/cox/v1/cluster/status')
          const status = response.json<ClusterStatus>()
          const ready = configs.every((c) =>
            status.members.some((m) => m.id === c!.id && m.reachable && m.role !== 'learner'),
          )
          if (response.status === 200 && status.leader && ready) {
            return configs.map((c, i) => ({
              name: c!.name,
              pid: children[i]!.pid!,
              api: `https://${c!.apiAdvertise}`,
              role: status.members.find((m) => m.id === c!.id)!.role,
              dir: join(dir, `node-${i + 1}`),
            }))
          }
          lastProblem = `${status.members.length} of ${count} members ready`
        } finally {
          client.close()
        }
      }
    } catch (error) {
      lastProblem = (error as Error).message
    }
    await sleep(200)
  }
  throw new Error(
    `the cluster was not ready within ${upReadyTimeoutMs} ms (${lastProblem}); see the agent.log files in ${dir}`,
  )
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
