// Hollow nodes (`cox hollow --count N --join TOKEN`), like Kubernetes' kubemark: N worker nodes in
// one process, each a real kubelet (its own Node object, its own pods watch filtered by
// spec.nodeName, Pod actors) running hollow pods on the sim runtime. They are not cluster members:
// the process enters the mesh once with the join token's key, asks a member for the API's address
// and credentials, and from then on talks to the masters' APIs as kubelets talk to API servers.
// Their heartbeats go to the leader in one request a second for all of them.

import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PodRuntime } from '../actors/pod-actor.ts'
import { defaultSettings } from '../core/cluster.ts'
import { Mesh } from '../net/mesh.ts'
import { pskFromHex } from '../net/psk.ts'
import { timestamp } from './api/server.ts'
import {
  ApiClient,
  type ApiResponse,
  type ApiStream,
  ApiUnreachableError,
  type RequestOptions,
} from './api-client.ts'
import { Kubelet, type KubeletApi } from './kubelet.ts'
import type { Logger } from './logger.ts'
import { decodeJoinToken } from './token.ts'

/** What a member hands a hollow-node process that holds the cluster's key. */
export interface HollowCredentials {
  readonly clusterId: string
  readonly caCertPem: string
  readonly adminToken: string
  /** API addresses (host:port) of the masters. */
  readonly apiAddresses: readonly string[]
}

export interface HollowOptions {
  readonly join: string
  readonly count: number
  /** Node names are `<prefix>-<i>`. */
  readonly prefix: string
  readonly runtime: PodRuntime
  readonly logger: Logger
  /** What each hollow node offers the scheduler (kubemark's defaults). */
  readonly capacity?: Readonly<Record<string, string>>
}

export const hollowCountMax = 5_000
export const hollowCapacityDefault = { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' }
export const hollowLabel = 'coxswain.dev/hollow'
const heartbeatMs = 1_000
const connectTimeoutMs = 5_000

export class HollowNodes {
  readonly #options: HollowOptions
  readonly #clients: ApiClient[]
  readonly #api: KubeletApi
  readonly #kubelets: Kubelet[] = []
  #timer: ReturnType<typeof setInterval> | undefined
  #stopped = false
  /** The cluster's NotReady grace, as the leader last answered a heartbeat. */
  #graceMs = defaultSettings.nodeNotReadyGraceMs

  private constructor(options: HollowOptions, credentials: HollowCredentials) {
    this.#options = options
    this.#clients = credentials.apiAddresses.map(
      (address) =>
        new ApiClient({
          server: `https://${address}`,
          caPem: credentials.caCertPem,
          token: credentials.adminToken,
          timeoutMs: 30_000,
          socketsMax: 256,
        }),
    )
    this.#api = failover(this.#clients)
  }

  /** Enters the mesh with the token's key, gets the API's credentials, and registers the nodes. */
  static async start(options: HollowOptions): Promise<HollowNodes> {
    if (!Number.isInteger(options.count) || options.count < 1 || options.count > hollowCountMax)
      throw new Error(`--count must be a whole number from 1 to ${hollowCountMax}`)
    const credentials = await fetchCredentials(options.join)
    const hollow = new HollowNodes(options, credentials)
    await hollow.#registerAll()
    hollow.#timer = setInterval(() => void hollow.#heartbeat(), heartbeatMs)
    await hollow.#heartbeat()
    return hollow
  }

  get names(): string[] {
    return this.#kubelets.map((k) => k.nodeName)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer) clearInterval(this.#timer)
    for (const kubelet of this.#kubelets) kubelet.stop()
    for (const client of this.#clients) client.close()
  }

  async #registerAll(): Promise<void> {
    const { count, prefix, logger } = this.#options
    const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`)
    // Registered a few at a time: a thousand nodes at once would only queue up at the leader.
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map((name) => this.#register(name)))
    }
    for (const name of names) {
      const kubelet = new Kubelet({
        nodeName: name,
        hostIp: '127.0.0.1',
        // Spread over the masters: each serves its share of the kubelets' requests.
        api: failover(this.#clients, this.#kubelets.length),
        runtime: this.#options.runtime,
        logger: logger.child({ component: 'kubelet', node: name }),
        fenceAfterMs: () => this.#graceMs,
      })
      this.#kubelets.push(kubelet)
      kubelet.start()
    }
    logger.info({ count, prefix }, 'hollow nodes registered and running')
  }

  /** Creates the Node (or finds it from an earlier run) and writes its capacity and readiness. */
  async #register(name: string): Promise<void> {
    const capacity = this.#options.capacity ?? hollowCapacityDefault
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', [hollowLabel]: 'true' },
      },
    }
    const created = await this.#api.request('POST', '/api/v1/nodes', { body: JSON.stringify(node) })
    if (created.status !== 201 && created.status !== 409)
      throw new Error(`registering hollow node ${name} failed: ${created.status} ${created.text()}`)
    const status = {
      capacity,
      allocatable: capacity,
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: name },
      ],
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'hollow kubelet is posting ready status',
          lastHeartbeatTime: timestamp(),
          lastTransitionTime: timestamp(),
        },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.32.0-coxswain-hollow',
        containerRuntimeVersion: 'sim://1',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    }
    const patched = await this.#api.request('PATCH', `/api/v1/nodes/${name}/status`, {
      body: JSON.stringify({ status }),
      headers: { 'content-type': 'application/merge-patch+json' },
    })
    if (patched.status !== 200)
      throw new Error(`writing hollow node ${name}'s status failed: ${patched.status} ${patched.text()}`)
  }

  async #heartbeat(): Promise<void> {
    if (this.#stopped) return
    try {
      const response = await this.#api.request('POST', '/cox/v1/node-heartbeats', {
        body: JSON.stringify({ nodes: this.#kubelets.map((k) => k.report()) }),
        timeoutMs: 2_000,
      })
      if (response.status !== 200) return
      this.#graceMs = response.json<{ nodeNotReadyGraceMs: number }>().nodeNotReadyGraceMs
      for (const kubelet of this.#kubelets) kubelet.contact()
    } catch {
      // The next beat tries again (through another master if this one is gone).
    }
  }
}

/** Dials the token's members with its key and asks one for the API's address and credentials. */
async function fetchCredentials(join: string): Promise<HollowCredentials> {
  const token = decodeJoinToken(join)
  const mesh = await Mesh.start({
    privateKey: await generateKeyPair('Ed25519'),
    psk: pskFromHex(token.pskHex),
    listen: '/ip4/127.0.0.1/tcp/0',
  })
  try {
    const failures: string[] = []
    for (const address of token.bootstrap) {
      try {
        const peer = await mesh.connect(address, { timeoutMs: connectTimeoutMs })
        const credentials = await mesh.call<HollowCredentials>(peer, 'cluster.credentials', {
          clusterId: token.clusterId,
        })
        if (credentials.apiAddresses.length === 0) throw new Error('the member knows no master API yet')
        return credentials
      } catch (error) {
        failures.push((error as Error).message)
      }
    }
    throw new Error(
      `could not reach the cluster with this token (${failures.join('; ')}). Check that it is current (\`cox token join\` on a member) and that a member is reachable.`,
    )
  } finally {
    await mesh.stop()
  }
}

/**
 * Requests go to one master (the `start`-th); when it cannot be reached, or answers that it
 * cannot serve (5xx: a master cut off from the others answers 503), to the next.
 */
function failover(clients: readonly ApiClient[], start = 0): KubeletApi {
  let current = start % clients.length
  const attempt = async <T extends { status: number }>(
    call: (client: ApiClient) => Promise<T>,
  ): Promise<T> => {
    let last: { answer: T } | { error: unknown } | undefined
    for (let tried = 0; tried < clients.length; tried++) {
      const index = current
      try {
        const answer = await call(clients[index]!)
        if (answer.status < 500) return answer
        last = { answer }
      } catch (error) {
        if (!(error instanceof ApiUnreachableError)) throw error
        last = { error }
      }
      if (current === index) current = (index + 1) % clients.length
    }
    if (last && 'answer' in last) return last.answer
    throw last?.error
  }
  return {
    request: (method: string, path: string, options?: RequestOptions): Promise<ApiResponse> =>
      attempt((client) => client.request(method, path, options)),
    stream: async (method: string, path: string, options?: RequestOptions): Promise<ApiStream> =>
      attempt(async (client) => {
        const stream = await client.stream(method, path, options)
        if (stream.status >= 500) stream.close()
        return stream
      }),
  }
}
