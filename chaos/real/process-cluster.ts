// Real clusters for end-to-end tests, benchmarks and fault injection: each agent is its own
// `cox agent` process on loopback with its own data directory under one temporary directory; the
// real `cox` CLI and real HTTPS reach them. Only processes started here are ever signalled, by PID.

import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ApiClient, type ApiResponse } from '../../node/api-client.ts'
import type { ClusterStatus } from '../../node/cluster-api.ts'
import {
  dataPaths,
  type NodeConfig,
  readNodeConfig,
  readSecrets,
  writeFileAtomic,
} from '../../node/data-dir.ts'
import { renderKubeconfig } from '../../node/kubeconfig.ts'

const root = resolve(import.meta.dirname, '../..')
export const coxScript = join(root, 'node/cli/cox.ts')

export interface AgentProcess {
  readonly name: string
  readonly dir: string
  process: ChildProcess
  exited: Promise<number | null>
}

export interface CommandResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export class ProcessCluster {
  readonly dir: string
  readonly agents = new Map<string, AgentProcess>()
  readonly #flags: string[]
  #token: string | null = null

  private constructor(dir: string, flags: string[]) {
    this.dir = dir
    this.#flags = flags
  }

  /** `flags` go to every agent (e.g. a short --autopilot-grace-ms for the bootstrap node). */
  static async create(flags: string[] = []): Promise<ProcessCluster> {
    return new ProcessCluster(await mkdtemp(join(tmpdir(), 'cox-e2e-')), flags)
  }

  /** A new cluster of `count` voters named n1, n2, ...: n1 bootstraps, the others join at once. */
  static async withVoters(count = 3, flags: string[] = []): Promise<ProcessCluster> {
    const cluster = await ProcessCluster.create(flags)
    try {
      await cluster.bootstrap('n1')
      await Promise.all(Array.from({ length: count - 1 }, (_, i) => cluster.join(`n${i + 2}`)))
      await waitFor(`${count} voters and a leader`, 30_000, async () => {
        const status = await cluster.status('n1')
        return status.leader !== null && status.members.filter((m) => m.role === 'voter').length === count
      })
    } catch (error) {
      await cluster.destroy()
      throw error
    }
    return cluster
  }

  get kubeconfig(): string {
    return join(this.dir, 'kubeconfig')
  }

  get token(): string {
    if (!this.#token) throw new Error('no cluster bootstrapped yet')
    return this.#token
  }

  /** Starts the first node of a new cluster and waits until it serves. */
  async bootstrap(name: string, extra: string[] = []): Promise<AgentProcess> {
    const agent = this.#spawn(name, [...this.#flags, ...extra])
    await waitFor(
      `${name} to write its join token`,
      30_000,
      () => existsSync(dataPaths(agent.dir).joinToken),
      agent,
    )
    this.#token = readFileSync(dataPaths(agent.dir).joinToken, 'utf8').trim()
    await this.waitReady(name)
    return agent
  }

  /** Starts a node that joins with the cluster's token and waits until it serves. */
  async join(name: string, extra: string[] = []): Promise<AgentProcess> {
    const agent = this.#spawn(name, ['--join', this.token, ...extra])
    await this.waitReady(name)
    return agent
  }

  /** Starts an agent that exists already on its data directory (after a kill or stop). */
  async restart(name: string): Promise<AgentProcess> {
    const agent = this.#spawn(name, [])
    await this.waitReady(name)
    return agent
  }

  /** Starts an agent with arbitrary arguments and does not wait (for failure tests). */
  spawnRaw(name: string, args: string[]): AgentProcess {
    return this.#spawn(name, args)
  }

  #spawn(name: string, args: string[]): AgentProcess {
    const dir = join(this.dir, name)
    mkdirSync(dir, { recursive: true })
    const log = openSync(join(dir, 'agent.log'), 'a')
    const fresh = !existsSync(join(dir, 'node.json'))
    const all = ['agent', '--data', dir]
    if (fresh) all.push('--name', name, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0')
    const child = spawn(process.execPath, [coxScript, ...all, ...(fresh ? args : [])], {
      stdio: ['ignore', log, log],
      env: { ...process.env, COX_LOG_LEVEL: process.env.COX_LOG_LEVEL ?? 'info' },
    })
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
    const agent: AgentProcess = { name, dir, process: child, exited }
    this.agents.set(name, agent)
    return agent
  }

  async config(name: string): Promise<NodeConfig> {
    const config = await readNodeConfig(dataPaths(join(this.dir, name)))
    if (!config) throw new Error(`${name} has no node.json yet`)
    return config
  }

  /** An API client for one node, trusting the cluster's CA with the admin token. */
  async client(name: string): Promise<ApiClient> {
    const config = await this.config(name)
    const secrets = await readSecrets(dataPaths(join(this.dir, name)))
    if (!secrets) throw new Error(`${name} has no secrets yet`)
    return new ApiClient({
      server: `https://${config.apiAdvertise}`,
      caPem: secrets.caCertPem,
      token: secrets.adminToken,
      timeoutMs: 10_000,
    })
  }

  async request(
    name: string,
    method: string,
    path: string,
    body?: string | Uint8Array | object,
  ): Promise<ApiResponse> {
    const client = await this.client(name)
    try {
      return await client.request(method, path, { body })
    } finally {
      client.close()
    }
  }

  async waitReady(name: string, timeoutMs = 30_000): Promise<void> {
    const agent = this.agents.get(name)!
    await waitFor(
      `${name} to answer /readyz`,
      timeoutMs,
      async () => {
        if (!existsSync(join(agent.dir, 'node.json')) || !existsSync(join(agent.dir, 'secrets.key')))
          return false
        try {
          return (await this.request(name, 'GET', '/readyz')).status === 200
        } catch {
          return false
        }
      },
      agent,
    )
  }

  /** Writes DIR/kubeconfig with one context per running node (named after it). */
  async writeKubeconfig(current: string): Promise<string> {
    const names = [...this.agents.keys()]
    const secrets = await readSecrets(dataPaths(join(this.dir, current)))
    const contexts = await Promise.all(
      names.map(async (name) => ({ name, server: `https://${(await this.config(name)).apiAdvertise}` })),
    )
    await writeFileAtomic(
      this.kubeconfig,
      renderKubeconfig({ contexts, current, caPem: secrets!.caCertPem, token: secrets!.adminToken }),
    )
    return this.kubeconfig
  }

  /** Runs the real `cox` CLI. */
  cox(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
    return run(process.execPath, [coxScript, ...args], env)
  }

  /** `cox cluster status -o json` through the node named `via`. */
  async status(via: string): Promise<ClusterStatus> {
    await this.writeKubeconfig(via)
    const result = await this.cox([
      'cluster',
      'status',
      '-o',
      'json',
      '--kubeconfig',
      this.kubeconfig,
      '--context',
      via,
    ])
    if (result.code !== 0) throw new Error(`cox cluster status failed (${result.code}): ${result.stderr}`)
    return JSON.parse(result.stdout) as ClusterStatus
  }

  signal(name: string, signal: NodeJS.Signals): void {
    const agent = this.agents.get(name)
    if (agent?.process.pid && agent.process.exitCode === null && agent.process.signalCode === null) {
      agent.process.kill(signal)
    }
  }

  async kill(name: string): Promise<void> {
    this.signal(name, 'SIGKILL')
    await this.agents.get(name)?.exited
  }

  /** SIGTERM, and SIGKILL if it has not stopped within 10 s. */
  async stop(name: string): Promise<number | null> {
    const agent = this.agents.get(name)
    if (!agent) return null
    this.signal(name, 'SIGCONT')
    this.signal(name, 'SIGTERM')
    const timer = setTimeout(() => this.signal(name, 'SIGKILL'), 10_000)
    const code = await agent.exited
    clearTimeout(timer)
    return code
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.agents.keys()].map((name) => this.stop(name)))
    if (process.env.COX_KEEP_E2E) process.stderr.write(`kept ${this.dir}\n`)
    else await rm(this.dir, { recursive: true, force: true })
  }

  /** The tail of a node's log, for failure messages. */
  logTail(name: string, lines = 40): string {
    try {
      return readFileSync(join(this.dir, name, 'agent.log'), 'utf8')
        .split('\n')
        .slice(-lines)
        .join('\n')
    } catch {
      return '(no log)'
    }
  }
}

export function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 60_000,
): Promise<CommandResult> {
  return new Promise((done) => {
    execFile(
      command,
      args,
      { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        done({ code, stdout, stderr })
      },
    )
  })
}

/** Polls `check` every 100 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => boolean | Promise<boolean>,
  agent?: AgentProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (agent && agent.process.exitCode !== null) {
      throw new Error(
        `waiting for ${what}: the agent exited with ${agent.process.exitCode}; log:\n${tail(agent)}`,
      )
    }
    if (await check()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${agent ? `; log:\n${tail(agent)}` : ''}`,
  )
}

function tail(agent: AgentProcess): string {
  try {
    return readFileSync(join(agent.dir, 'agent.log'), 'utf8').split('\n').slice(-30).join('\n')
  } catch {
    return '(no log)'
  }
}
