// `cox agent`: one node of a cluster. It bootstraps a new cluster, joins one with a token, or
// resumes from its data directory (DESIGN.md, "Cluster lifecycle"), then keeps itself in the role
// the cluster assigns: a master holds a replica (Raft over LevelDB), a worker holds none. Every
// agent serves the HTTPS API. On the leader, the autopilot keeps the voter and standby targets.
//
// Housekeeping runs on one timer: peers from the member list, heartbeats to the leader (so it
// knows who is alive, including workers, which send no Raft traffic), the autopilot's next step,
// and a check of this node's own membership (a removed node discards its log and joins again).

import { timingSafeEqual } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import type { ServerResponse } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { availableParallelism, hostname, totalmem } from 'node:os'
import { planAutopilot } from '../core/autopilot.ts'
import {
  type ClusterSettings,
  type Command,
  defaultSettings,
  type MemberRole,
  settingsProblem,
  type TokenHash,
} from '../core/cluster.ts'
import { loadOrCreateIdentity } from '../net/identity.ts'
import { Mesh } from '../net/mesh.ts'
import { pskFromHex } from '../net/psk.ts'
import { RaftTransport } from '../net/raft-transport.ts'
import type { Message } from '../raft/types.ts'
import { freePort, isIpv4, primaryAddress, splitHostPort } from './addresses.ts'
import { expiredEvents, missingClusterObjects } from './api/cluster-objects.ts'
import { type ForwardedRequest, type ForwardedResponse, registerKubernetesApi } from './api/server.ts'
import { ApiClient } from './api-client.ts'
import { issueServerCert } from './certs.ts'
import { type ClusterStatus, registerClusterApi, tokenHash } from './cluster-api.ts'
import { ClusterOps, toRemote } from './cluster-ops.ts'
import { newClusterSecrets } from './cluster-secrets.ts'
import {
  type ClusterSecrets,
  type DataPaths,
  dataPaths,
  discardReplica,
  type NodeConfig,
  nodeConfigVersion,
  readNodeConfig,
  readSecrets,
  secretsVersion,
  writeFileAtomic,
  writeNodeConfig,
  writeSecrets,
} from './data-dir.ts'
import type { HollowCredentials } from './hollow.ts'
import { HttpError, HttpServer, statusBody } from './http-server.ts'
import { renderKubeconfig } from './kubeconfig.ts'
import { Kubelet } from './kubelet.ts'
import { LeaderControl, type NodeReport } from './leader-control.ts'
import type { Logger } from './logger.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { type RaftTiming, Replica, raftTimingDefault } from './replica.ts'
import { simRuntime } from './sim-runtime.ts'
import { decodeJoinToken, encodeJoinToken } from './token.ts'

export interface AgentOptions {
  readonly dataDir: string
  readonly listen?: string
  readonly advertise?: string
  readonly api?: string
  readonly join?: string
  readonly voters?: number
  readonly role?: 'auto' | 'worker'
  readonly name?: string
  readonly runtime?: string
  /** The sim runtime's pod start latency. */
  readonly simStartMs?: number
  /** Cluster settings at bootstrap beyond `voters` (tests shorten the autopilot grace). */
  readonly settings?: Partial<ClusterSettings>
  readonly timing?: RaftTiming
  readonly logger: Logger
}

/** How often housekeeping runs; heartbeats and the autopilot ride on it. */
export const housekeepingMs = 250
/** How often a node checks its own standing with the leader. */
export const membershipCheckMs = 1_000
/** How often the known peers are saved, so that a restarted worker finds the cluster again. */
export const peersWriteMs = 5_000
export const joinTimeoutMs = 30_000
/** A worker's API request served by a master. */
export const forwardTimeoutMs = 30_000
/** How often the leader checks that the default namespaces, Service and Node objects exist. */
export const clusterObjectsCheckMs = 1_000
/** How often the leader looks for expired events (they live an hour; this reads every event). */
export const eventsExpiryCheckMs = 30_000
export const connectTimeoutMs = 5_000
/** What a node offers the scheduler beyond its CPUs and memory (as a kubelet's defaults). */
export const podsPerNodeMax = 110
export const ephemeralStorageGi = 100
/** A leader hands leadership over before it stops, waiting at most this long. */
export const transferOnStopMs = 2_000

interface JoinReply {
  readonly role: MemberRole
  readonly secrets: ClusterSecrets
  readonly members: { id: string; p2pAddresses: string[]; role: MemberRole }[]
  readonly leader: string | null
}

interface Standing {
  readonly member: boolean
  readonly removed: boolean
  readonly role: MemberRole | null
  readonly inRaft: boolean
  readonly leader: string | null
  readonly masters: string[]
  /** API addresses (host:port) of the masters, the leader's first: where a worker's watches go. */
  readonly masterApis: string[]
  /** The API tokens' hashes, so that a worker (no replica) can check tokens too. */
  readonly tokens: TokenHash[]
}

interface HeartbeatReply {
  readonly leader: string | null
  /** From the leader only: how long a node may be silent before it is NotReady. */
  readonly nodeNotReadyGraceMs?: number
}

interface Heartbeat {
  readonly pid: number
  readonly applied: number
  /** Kubelet reports: this agent's own node, or the hollow nodes that reported through it. */
  readonly nodes?: readonly NodeReport[]
}

export class Agent {
  readonly paths: DataPaths
  readonly logger: Logger
  readonly mesh: Mesh
  readonly metrics: Metrics
  readonly ops: ClusterOps
  #config: NodeConfig
  readonly #secrets: ClusterSecrets
  #replica: Replica | null = null
  #replicaChanging: Promise<void> | null = null
  #opening: Promise<void> | null = null
  readonly #options: AgentOptions
  readonly #transport: RaftTransport
  #http: HttpServer | null = null
  #timer: ReturnType<typeof setInterval> | null = null
  #stopping = false
  /** Leader only: when each node was last heard from (Raft traffic or heartbeat). */
  readonly #lastHeard = new Map<string, number>()
  readonly #pids = new Map<string, number>()
  #leaderSince = 0
  #wasLeader = false
  #autopilotBusy = false
  #lastMembershipCheck = 0
  #lastPeersWrite = 0
  #lastObjectsCheck = 0
  #lastEventsExpiry = 0
  #loopback: ApiClient | null = null
  #nodeRegistered = false
  #registering = false
  #kubelet: Kubelet | null = null
  /** The cluster's NotReady grace as the leader last said (a worker has no replica to read it). */
  #nodeGraceMs = defaultSettings.nodeNotReadyGraceMs
  #masters: string[] = []
  #masterApis: string[] = []
  /** A worker's copy of the token hashes (a master reads its replica's). */
  #tokens = new Map<string, TokenHash>()
  /** The control plane and what the leader hears outside the log. */
  readonly leaderControl: LeaderControl

  private constructor(
    options: AgentOptions,
    paths: DataPaths,
    mesh: Mesh,
    config: NodeConfig,
    secrets: ClusterSecrets,
  ) {
    this.#options = options
    this.paths = paths
    this.logger = options.logger
    this.mesh = mesh
    this.#config = config
    this.#secrets = secrets
    this.metrics = createMetrics()
    this.ops = new ClusterOps({
      mesh,
      replica: () => this.#replica,
      masters: () => this.#masters,
      observeProposal: (seconds) => this.metrics.proposalDuration.observe(seconds),
      observeCall: (method, seconds) => this.metrics.rpcDuration.observe({ method }, seconds),
    })
    // A closed connection to the leader usually means its process died: campaign soon.
    mesh.onPeerChange((id, connected) => {
      const replica = this.#replica
      if (!connected && replica && replica.host.status().leader === id) replica.host.leaderUnreachable()
    })
    this.#transport = new RaftTransport(mesh, {
      onMessage: (message) => this.#receiveRaft(message),
      logger: options.logger,
    })
    this.leaderControl = new LeaderControl({
      nodeName: config.name,
      logger: options.logger.child({ component: 'control-plane' }),
      state: () => this.#replica?.state ?? null,
      appliedIndex: () => this.#replica?.host.applied ?? 0,
      propose: async (command) => {
        const { result } = await this.ops.propose({ type: 'api', command })
        if (result.ok && result.api) return result.api
        throw new Error(
          `the state machine refused the plan: ${'message' in result ? result.message : 'no answer'}`,
        )
      },
      barrier: async () => {
        await this.ops.propose({ type: 'api', command: { op: 'batch', commands: [] } })
      },
      memberSilentMs: (id) => {
        const state = this.#replica?.state
        if (!state?.members.has(id)) return null
        if (id === this.mesh.id) return 0
        const now = Date.now()
        // A member never heard from counts as just heard: it has only now come into view.
        return this.#silentMs(id, now, now)
      },
    })
  }

  // ---------------------------------------------------------------- starting

  static async start(options: AgentOptions): Promise<Agent> {
    const paths = dataPaths(options.dataDir)
    const config = await readNodeConfig(paths)
    const secrets = await readSecrets(paths)
    const privateKey = await loadOrCreateIdentity(paths.nodeKey)
    if (config && secrets) return Agent.#resume(options, paths, privateKey, config, secrets)
    if (options.join) return Agent.#join(options, paths, privateKey)
    return Agent.#bootstrap(options, paths, privateKey)
  }

  static async #bootstrap(
    options: AgentOptions,
    paths: DataPaths,
    privateKey: Parameters<typeof Mesh.start>[0]['privateKey'],
  ): Promise<Agent> {
    const settings: ClusterSettings = {
      ...defaultSettings,
      ...options.settings,
      voters: options.voters ?? defaultSettings.voters,
    }
    const problem = settingsProblem(settings)
    if (problem) throw new Error(`cannot bootstrap: ${problem}`)
    const secrets = await newClusterSecrets()
    const clusterId = secrets.clusterId
    await writeSecrets(paths, secrets)
    const mesh = await startMesh(options, secrets, privateKey, options.listen)
    const config = await firstConfig(options, paths, mesh, clusterId, 'voter')
    const agent = new Agent(options, paths, mesh, config, secrets)
    await agent.#openReplica(true)
    await agent.#serve()
    agent.#pendingBootstrap = settings
    await agent.#writeClientFiles()
    agent.logger.info({ clusterId, id: mesh.id, name: config.name }, 'bootstrapped a new cluster')
    agent.#startHousekeeping()
    return agent
  }

  static async #join(
    options: AgentOptions,
    paths: DataPaths,
    privateKey: Parameters<typeof Mesh.start>[0]['privateKey'],
  ): Promise<Agent> {
    const token = decodeJoinToken(options.join!)
    const provisional: ClusterSecrets = {
      version: secretsVersion,
      clusterId: token.clusterId,
      pskHex: token.pskHex,
      caCertPem: '',
      caKeyPem: '',
      adminToken: '',
      secretsKey: '',
    }
    const mesh = await startMesh(options, provisional, privateKey, options.listen)
    try {
      const peer = await connectToAny(mesh, token.bootstrap)
      const config = await firstConfig(options, paths, mesh, token.clusterId, 'worker')
      const reply = await requestJoin(mesh, peer, config)
      await writeSecrets(paths, reply.secrets)
      const joined = { ...config, role: reply.role }
      await writeNodeConfig(paths, joined)
      const agent = new Agent(options, paths, mesh, joined, reply.secrets)
      agent.#learnMembers(reply.members, reply.leader)
      if (reply.role !== 'worker') await agent.#openReplica(false)
      await agent.#serve()
      agent.logger.info({ clusterId: token.clusterId, id: mesh.id, role: reply.role }, 'joined the cluster')
      agent.#startHousekeeping()
      return agent
    } catch (error) {
      await mesh.stop()
      throw error
    }
  }

  static async #resume(
    options: AgentOptions,
    paths: DataPaths,
    privateKey: Parameters<typeof Mesh.start>[0]['privateKey'],
    config: NodeConfig,
    secrets: ClusterSecrets,
  ): Promise<Agent> {
    const mesh = await startMesh(options, secrets, privateKey, config.listen)
    const resumed = { ...config, pid: process.pid }
    await writeNodeConfig(paths, resumed)
    const agent = new Agent(options, paths, mesh, resumed, secrets)
    try {
      const peers = await readPeers(paths)
      agent.#learnMembers(peers, null)
      if (existsSync(paths.raft)) await agent.#openReplica(false)
      await agent.#serve()
    } catch (error) {
      await agent.stop()
      throw error
    }
    agent.logger.info({ clusterId: config.clusterId, id: mesh.id, role: config.role }, 'resumed')
    agent.#startHousekeeping()
    return agent
  }

  #pendingBootstrap: ClusterSettings | null = null

  get config(): NodeConfig {
    return this.#config
  }

  get replica(): Replica | null {
    return this.#replica
  }

  get apiUrl(): string {
    return `https://${this.#config.apiAdvertise}`
  }

  joinToken(): string {
    return encodeJoinToken({
      clusterId: this.#secrets.clusterId,
      pskHex: this.#secrets.pskHex,
      bootstrap: [`${this.#config.advertise}/p2p/${this.mesh.id}`],
    })
  }

  /** The principal a bearer token stands for, or null for none. */
  authenticate(token: string | null): 'admin' | 'read' | null {
    if (!token) return null
    if (safeEqual(token, this.#secrets.adminToken)) return 'admin'
    const tokens = this.#replica?.state.tokens ?? this.#tokens
    return tokens.get(tokenHash(token))?.access ?? null
  }

  // ---------------------------------------------------------------- the replica

  /** Opens the replica once, however many callers ask at the same time (a join and Raft traffic). */
  #openReplica(bootstrap: boolean): Promise<void> {
    if (this.#replica) return Promise.resolve()
    this.#opening ??= Replica.open({
      directory: this.paths.raft,
      id: this.mesh.id,
      bootstrap,
      send: (messages) => this.#transport.send(messages),
      timing: this.#options.timing ?? raftTimingDefault,
      logger: this.logger,
      onApplied: (_entries, changes) => this.leaderControl.applied(changes),
      onFatal: (error) => {
        this.logger.error({ err: error }, 'the replica failed; stopping this node so that it restarts clean')
        process.exitCode = 1
        void this.stop()
      },
    })
      .then((replica) => {
        this.#replica = replica
      })
      .finally(() => {
        this.#opening = null
      })
    return this.#opening
  }

  async #closeReplica(discard: boolean): Promise<void> {
    const replica = this.#replica
    this.#replica = null
    if (replica) await replica.close()
    if (discard) await discardReplica(this.paths)
  }

  #receiveRaft(message: Message): void {
    this.#lastHeard.set(message.from, Date.now())
    const replica = this.#replica
    if (replica) {
      replica.host.receive(message)
      return
    }
    // The leader sends Raft traffic only to members of its configuration: this node was added
    // (a worker raised to standby). Open an empty replica; Raft resends what was dropped.
    if (!this.#replicaChanging && !this.#opening && !this.#stopping && message.type !== 'timeoutNow') {
      this.#changeReplica(async () => {
        this.logger.info({ from: message.from }, 'the leader added this node to Raft: opening a replica')
        await this.#openReplica(false)
      })
    }
  }

  #changeReplica(change: () => Promise<void>): void {
    this.#replicaChanging = change()
      .catch((error) => this.logger.error({ err: error }, 'changing the replica failed'))
      .finally(() => {
        this.#replicaChanging = null
      })
  }

  // ---------------------------------------------------------------- serving

  async #serve(): Promise<void> {
    const [host, portText] = splitHostPort(this.#config.api)
    const advertisedHost = splitHostPort(this.#config.apiAdvertise)[0]
    const ips = [...new Set([advertisedHost, host, '127.0.0.1'].filter((h) => isIpv4(h) && h !== '0.0.0.0'))]
    const cert = await issueServerCert(
      { certPem: this.#secrets.caCertPem, keyPem: this.#secrets.caKeyPem },
      { commonName: this.#config.name, ipAddresses: ips, dnsNames: ['localhost', hostname()] },
    )
    const http = new HttpServer({
      cert: cert.certPem,
      key: cert.keyPem,
      host,
      port: Number(portText),
      logger: this.logger,
      authenticate: (token) => this.authenticate(token),
      observeRequest: (observation) => this.metrics.observeHttpRequest(observation),
    })
    registerClusterApi(http, this)
    const agent = this
    registerKubernetesApi(http, {
      ops: this.ops,
      get replica() {
        return agent.replica
      },
      logger: this.logger,
      secretsKey: Buffer.from(this.#secrets.secretsKey, 'base64'),
      forward: (request) => this.ops.callMaster<ForwardedResponse>('api.http', request, forwardTimeoutMs),
      forwardStream: (request, res) => this.#proxyWatch(request, res),
    })
    this.#registerRpc()
    await http.listen()
    this.#http = http
  }

  #registerRpc(): void {
    const mesh = this.mesh
    this.ops.handleProposals()
    mesh.handle('cluster.join', async (_from, request) => {
      const { clusterId, member, wants } = request as {
        clusterId: string
        member: Omit<NodeConfig, 'version'>
        wants: 'auto' | 'worker'
      }
      if (clusterId !== this.#secrets.clusterId) {
        throw Object.assign(
          new Error(`this node belongs to cluster ${this.#secrets.clusterId}, not ${clusterId}`),
          {
            code: 'ERR_WRONG_CLUSTER',
          },
        )
      }
      const command: Command = {
        type: 'join',
        member: {
          id: member.id,
          name: member.name,
          p2pAddresses: [`${member.advertise}/p2p/${member.id}`],
          apiAddress: member.apiAdvertise,
        },
        wants,
      }
      try {
        const { result } = await this.ops.propose(command, joinTimeoutMs)
        if (!result.ok)
          throw new Error(`the join was refused: ${'message' in result ? result.message : result.code}`)
        return {
          role: result.role ?? 'worker',
          secrets: this.#secrets,
          members: this.#memberList(),
          leader: this.ops.leader(),
        } satisfies JoinReply
      } catch (error) {
        throw toRemote(error)
      }
    })
    mesh.handle('cluster.heartbeat', async (from, request) => {
      const replica = this.#replica
      if (!replica?.isLeader()) return { leader: this.ops.leader() }
      const heartbeat = request as Heartbeat
      this.#lastHeard.set(from, Date.now())
      this.#pids.set(from, heartbeat.pid)
      for (const report of heartbeat.nodes ?? []) this.leaderControl.heard(report)
      return {
        leader: this.mesh.id,
        nodeNotReadyGraceMs: replica.state.settings.nodeNotReadyGraceMs,
      } satisfies HeartbeatReply
    })
    mesh.handle('cluster.standing', async (from) => this.#standingOf(from))
    // A peer holding the mesh key is inside the cluster's trust already (it could join); hollow
    // nodes use this to reach the API as kubelets do.
    mesh.handle('cluster.credentials', async (_from, request) => {
      const { clusterId } = request as { clusterId?: string }
      if (clusterId !== this.#secrets.clusterId)
        throw Object.assign(
          new Error(`this node belongs to cluster ${this.#secrets.clusterId}, not ${clusterId}`),
          {
            code: 'ERR_WRONG_CLUSTER',
          },
        )
      const state = this.#replica?.state
      const masters = state
        ? [...state.members.values()].filter((m) => m.role !== 'worker').map((m) => m.apiAddress)
        : this.#masterApis
      return {
        clusterId: this.#secrets.clusterId,
        caCertPem: this.#secrets.caCertPem,
        adminToken: this.#secrets.adminToken,
        apiAddresses: masters,
      } satisfies HollowCredentials
    })
    mesh.handle('api.http', async (_from, request) => {
      if (!this.#replica)
        throw Object.assign(new Error('this node keeps no replica'), {
          code: 'ERR_NOT_LEADER',
          details: { leader: this.ops.leader() },
        })
      return this.#serveForwarded(request as ForwardedRequest)
    })
    mesh.handle('cluster.status', async () => {
      if (!this.#replica?.isLeader())
        throw Object.assign(new Error('not the leader'), {
          code: 'ERR_NOT_LEADER',
          details: { leader: this.ops.leader() },
        })
      return this.status()
    })
    mesh.handle('cluster.read', async (_from, request) => {
      const { what, key } = request as { what: 'kv' | 'snapshot'; key?: string }
      try {
        await this.ops.linearize()
      } catch (error) {
        throw toRemote(error)
      }
      const state = this.#replica!.state
      if (what === 'snapshot') return { snapshot: state.encode() }
      return { record: state.kv.get(key ?? '') ?? null }
    })
  }

  /**
   * A worker's API request, served by this master through its own API (the worker checked the
   * caller's token; the mesh is private and encrypted).
   */
  async #serveForwarded(request: ForwardedRequest): Promise<ForwardedResponse> {
    const response = await this.#loopbackClient().request(
      request.method,
      `${request.path}${request.query ? `?${request.query}` : ''}`,
      {
        body: request.body.length > 0 ? request.body : undefined,
        headers: request.headers,
      },
    )
    const headers: Record<string, string> = {}
    for (const name of ['content-type', 'warning', 'etag'])
      if (response.headers[name]) headers[name] = response.headers[name]
    return { status: response.status, headers, body: response.body }
  }

  /**
   * A worker keeps no replica, so a watch made on it is carried by a master: proxied over HTTPS to
   * a master's API (trusting the cluster CA, with the admin token; this node already checked the
   * caller's token), the stream piped back as it comes.
   */
  async #proxyWatch(request: ForwardedRequest, res: ServerResponse): Promise<void> {
    const target = this.#masterApis[0]
    if (!target) throw new HttpError(503, 'ServiceUnavailable', 'no master is known yet; retry shortly')
    const [host, port] = splitHostPort(target)
    await new Promise<void>((resolve) => {
      const upstream = httpsRequest(
        {
          host,
          port: Number(port),
          method: 'GET',
          path: `${request.path}?${request.query}`,
          ca: this.#secrets.caCertPem,
          headers: { ...request.headers, authorization: `Bearer ${this.#secrets.adminToken}` },
        },
        (response) => {
          res.writeHead(response.statusCode ?? 502, {
            'content-type': response.headers['content-type'] ?? 'application/json',
            'cache-control': 'no-cache',
          })
          response.pipe(res)
          response.once('end', resolve)
          response.once('error', resolve)
        },
      )
      upstream.once('error', (error) => {
        if (!res.headersSent) {
          res.writeHead(503, { 'content-type': 'application/json' })
          res.end(
            JSON.stringify(
              statusBody(
                503,
                'ServiceUnavailable',
                `the master at ${target} did not answer: ${error.message}`,
              ),
            ),
          )
        } else res.end()
        resolve()
      })
      res.once('close', () => {
        upstream.destroy()
        resolve()
      })
      upstream.end()
    })
  }

  /** A client of this agent's own API, with the admin token (for work done on a caller's behalf). */
  #loopbackClient(): ApiClient {
    const [host, port] = splitHostPort(this.#config.api)
    this.#loopback ??= new ApiClient({
      server: `https://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
      caPem: this.#secrets.caCertPem,
      token: this.#secrets.adminToken,
      timeoutMs: forwardTimeoutMs,
    })
    return this.#loopback
  }

  /** Everything needed to answer the leader's view of a node's membership. */
  async #standingOf(id: string): Promise<Standing> {
    const replica = this.#replica
    if (!replica?.isLeader()) {
      throw Object.assign(new Error('not the leader'), {
        code: 'ERR_NOT_LEADER',
        details: { leader: this.ops.leader() },
      })
    }
    const raft = replica.host.status()
    if (replica.host.applied < raft.commit) {
      // A new leader answers only once it has applied all it knows committed, or a member it has
      // yet to apply would look unknown.
      throw Object.assign(new Error('the leader is catching up'), {
        code: 'ERR_NOT_LEADER',
        details: { leader: null },
      })
    }
    const state = replica.state
    const member = state.members.get(id)
    const membership = raft.membership
    return {
      member: member !== undefined,
      removed: state.removed.has(id),
      role: member?.role ?? null,
      inRaft: membership.voters.includes(id) || membership.learners.includes(id),
      leader: this.mesh.id,
      masters: [...state.members.values()].filter((m) => m.role !== 'worker').map((m) => m.id),
      masterApis: [...state.members.values()]
        .filter((m) => m.role !== 'worker')
        .sort((a, b) => Number(b.id === this.mesh.id) - Number(a.id === this.mesh.id))
        .map((m) => m.apiAddress),
      tokens: [...state.tokens.values()],
    }
  }

  #memberList(): JoinReply['members'] {
    const state = this.#replica?.state
    if (!state) return []
    return [...state.members.values()].map((m) => ({
      id: m.id,
      p2pAddresses: [...m.p2pAddresses],
      role: m.role,
    }))
  }

  #learnMembers(
    members: readonly { id: string; p2pAddresses: readonly string[]; role?: MemberRole }[],
    leader: string | null,
  ): void {
    for (const member of members) {
      if (member.id !== this.mesh.id) this.mesh.addPeer(member.id, stripPeer(member.p2pAddresses))
    }
    const masters = members.filter((m) => m.role !== 'worker').map((m) => m.id)
    if (masters.length > 0) this.#masters = masters
    this.ops.noteLeader(leader)
  }

  async #writeClientFiles(): Promise<void> {
    const kubeconfig = renderKubeconfig({
      contexts: [{ name: 'coxswain', server: this.apiUrl }],
      current: 'coxswain',
      caPem: this.#secrets.caCertPem,
      token: this.#secrets.adminToken,
    })
    await writeFileAtomic(this.paths.kubeconfig, kubeconfig, 0o600)
    await writeFileAtomic(this.paths.joinToken, `${this.joinToken()}\n`, 0o600)
  }

  // ---------------------------------------------------------------- status

  /**
   * How long this node (as leader) has not heard from a member: since its last message, or since
   * this node took the lead if that is later; `neverHeard` stands in for a member not heard at all.
   */
  #silentMs(id: string, now: number, neverHeard = 0): number {
    return now - Math.max(this.#lastHeard.get(id) ?? neverHeard, this.#leaderSince)
  }

  /** The cluster as this node sees it; the leader's view is the one with health and progress. */
  status(): ClusterStatus {
    const replica = this.#replica
    const raft = replica?.host.status()
    const state = replica?.state
    const leading = raft?.role === 'leader'
    const now = Date.now()
    const members = [...(state?.members.values() ?? [])].map((member) => {
      const isSelf = member.id === this.mesh.id
      const inLearners = raft?.membership.learners.includes(member.id) ?? false
      const silent = this.#silentMs(member.id, now)
      return {
        id: member.id,
        name: member.name,
        p2pAddress: member.p2pAddresses[0] ?? '',
        apiAddress: member.apiAddress,
        role: member.role === 'voter' && inLearners ? ('learner' as const) : member.role,
        reachable: isSelf || (leading ? silent < 2_000 : this.mesh.isConnected(member.id)),
        matchIndex: leading && member.role !== 'worker' ? (raft?.matchIndex.get(member.id) ?? null) : null,
        pid: isSelf ? process.pid : (this.#pids.get(member.id) ?? null),
      }
    })
    const leaderId = raft?.leader ?? null
    return {
      clusterId: this.#secrets.clusterId,
      leader: leaderId ? { id: leaderId, name: state?.members.get(leaderId)?.name ?? leaderId } : null,
      term: raft?.term ?? 0,
      commitIndex: raft?.commit ?? 0,
      appliedIndex: replica?.host.applied ?? 0,
      members,
    }
  }

  /** The leader's status, from wherever this node is; this node's own view if no leader answers. */
  async clusterStatus(): Promise<ClusterStatus> {
    if (this.#replica?.isLeader()) return this.status()
    try {
      return await this.ops.callMaster<ClusterStatus>('cluster.status', {}, 2_000)
    } catch {
      return this.status()
    }
  }

  // ---------------------------------------------------------------- housekeeping

  #startHousekeeping(): void {
    this.#timer = setInterval(() => void this.#housekeeping(), housekeepingMs)
    this.#timer.unref()
  }

  async #housekeeping(): Promise<void> {
    if (this.#stopping) return
    try {
      const replica = this.#replica
      const leading = replica?.isLeader() ?? false
      if (leading && !this.#wasLeader) {
        this.#leaderSince = Date.now()
      }
      this.#wasLeader = leading
      this.leaderControl.leading(leading)
      if (leading && this.#kubelet) {
        this.#kubelet.contact()
        this.leaderControl.heard(this.#kubelet.report())
      }
      this.#updateGauges()
      if (replica) {
        this.#learnMembers(this.#memberList(), replica.host.status().leader)
      }
      if (leading) {
        await this.#completeBootstrap()
        this.#autopilot()
        if (Date.now() - this.#lastObjectsCheck >= clusterObjectsCheckMs) {
          this.#lastObjectsCheck = Date.now()
          await this.#ensureClusterObjects()
        }
      } else {
        void this.#heartbeat()
      }
      if (!this.#nodeRegistered && !this.#registering) {
        this.#registering = true
        await this.#registerNode()
          .catch(() => {}) // the Node object may not exist yet; try again
          .finally(() => {
            this.#registering = false
          })
      }
      if (Date.now() - this.#lastPeersWrite >= peersWriteMs) {
        this.#lastPeersWrite = Date.now()
        await writePeers(this.paths, this.mesh)
      }
      if (Date.now() - this.#lastMembershipCheck >= membershipCheckMs && !this.#replicaChanging) {
        this.#lastMembershipCheck = Date.now()
        await this.#checkStanding()
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'housekeeping failed; retrying')
    }
  }

  #updateGauges(): void {
    const replica = this.#replica
    if (!replica) return
    const raft = replica.host.status()
    this.metrics.recordRaftStatus({
      term: raft.term,
      commitIndex: raft.commit,
      appliedIndex: replica.host.applied,
      isLeader: raft.role === 'leader',
      leaderId: raft.leader,
    })
  }

  /** The founding leader writes the cluster's first command (again, if it crashed before). */
  async #completeBootstrap(): Promise<void> {
    const replica = this.#replica!
    if (replica.state.clusterId !== '' || this.#config.clusterId !== this.#secrets.clusterId) return
    const settings = this.#pendingBootstrap ?? {
      ...defaultSettings,
      voters: this.#options.voters ?? defaultSettings.voters,
    }
    await this.ops.propose({
      type: 'bootstrap',
      clusterId: this.#secrets.clusterId,
      settings,
      member: {
        id: this.mesh.id,
        name: this.#config.name,
        p2pAddresses: [`${this.#config.advertise}/p2p/${this.mesh.id}`],
        apiAddress: this.#config.apiAdvertise,
      },
      tokenHashes: [],
    })
    this.#pendingBootstrap = null
  }

  async #ensureClusterObjects(): Promise<void> {
    const state = this.#replica!.state
    if (state.clusterId === '') return
    const now = Date.now()
    const expiring = now - this.#lastEventsExpiry >= eventsExpiryCheckMs
    if (expiring) this.#lastEventsExpiry = now
    const commands = [...missingClusterObjects(state), ...(expiring ? expiredEvents(state, now) : [])]
    if (commands.length === 0) return
    await this.ops.propose({ type: 'api', command: { op: 'batch', commands } })
  }

  /**
   * Like a kubelet registering its node: this agent writes its own capacity into its Node object
   * (through its own API, so a worker can too), once the leader has created the object.
   */
  async #registerNode(): Promise<void> {
    const capacity = {
      cpu: String(availableParallelism()),
      memory: `${Math.floor(totalmem() / 1024)}Ki`,
      pods: String(podsPerNodeMax),
      'ephemeral-storage': `${ephemeralStorageGi}Gi`,
    }
    const patch = { status: { capacity, allocatable: capacity } }
    const response = await this.#loopbackClient().request(
      'PATCH',
      `/api/v1/nodes/${encodeURIComponent(this.#config.name)}/status`,
      {
        body: JSON.stringify(patch),
        headers: { 'content-type': 'application/merge-patch+json' },
      },
    )
    if (response.status === 200) {
      this.#nodeRegistered = true
      this.logger.info({ capacity }, 'node capacity registered')
      this.#startKubelet()
    }
  }

  /** Runs the pods bound to this node (hollow pods, through the sim runtime, for now). */
  #startKubelet(): void {
    if (this.#kubelet || this.#stopping) return
    const runtime = this.#options.runtime ?? 'auto'
    if (runtime === 'docker' || runtime === 'process')
      this.logger.warn({ runtime }, 'this runtime is not available yet: pods run hollow, on the sim runtime')
    const [host] = splitHostPort(this.#config.apiAdvertise)
    this.#kubelet = new Kubelet({
      nodeName: this.#config.name,
      hostIp: host,
      api: this.#loopbackClient(),
      runtime: simRuntime({ startMs: this.#options.simStartMs }),
      logger: this.logger.child({ component: 'kubelet' }),
      fenceAfterMs: () => this.#replica?.state.settings.nodeNotReadyGraceMs ?? this.#nodeGraceMs,
    })
    this.#kubelet.start()
  }

  /** The leader answered a heartbeat: this node is in touch with the masters. */
  #leaderAnswered(reply: HeartbeatReply): void {
    if (reply.nodeNotReadyGraceMs !== undefined) this.#nodeGraceMs = reply.nodeNotReadyGraceMs
    this.#kubelet?.contact()
  }

  get kubelet(): Kubelet | null {
    return this.#kubelet
  }

  /** Kubelet reports that came through this node's API (hollow nodes), for the leader. */
  async reportNodes(reports: readonly NodeReport[]): Promise<{ nodeNotReadyGraceMs: number }> {
    const replica = this.#replica
    if (replica?.isLeader()) {
      for (const report of reports) this.leaderControl.heard(report)
      return { nodeNotReadyGraceMs: replica.state.settings.nodeNotReadyGraceMs }
    }
    const leader = this.ops.leader()
    if (!leader) throw new HttpError(503, 'ServiceUnavailable', 'no leader is known yet; retry shortly')
    const reply = await this.mesh.call<HeartbeatReply>(
      leader,
      'cluster.heartbeat',
      { pid: process.pid, applied: replica?.host.applied ?? 0, nodes: reports } satisfies Heartbeat,
      { timeoutMs: 1_000 },
    )
    if (reply.leader !== leader || reply.nodeNotReadyGraceMs === undefined)
      throw new HttpError(503, 'ServiceUnavailable', 'the leader is changing; retry shortly')
    return { nodeNotReadyGraceMs: reply.nodeNotReadyGraceMs }
  }

  async #heartbeat(): Promise<void> {
    const leader = this.ops.leader()
    if (!leader || leader === this.mesh.id || !this.mesh.isConnected(leader)) return
    try {
      const heartbeat: Heartbeat = {
        pid: process.pid,
        applied: this.#replica?.host.applied ?? 0,
        ...(this.#kubelet ? { nodes: [this.#kubelet.report()] } : {}),
      }
      const reply = await this.mesh.call<HeartbeatReply>(leader, 'cluster.heartbeat', heartbeat, {
        timeoutMs: 1_000,
      })
      this.ops.noteLeader(reply.leader)
      if (reply.leader === leader) this.#leaderAnswered(reply)
    } catch {
      // The leader may be gone; the next heartbeat goes wherever the next leader is.
    }
  }

  #autopilot(): void {
    if (this.#autopilotBusy) return
    const replica = this.#replica!
    const state = replica.state
    if (state.clusterId === '') return
    const raft = replica.host.status()
    const now = Date.now()
    // A member the leader has never heard from is timed from when it first appears, not from
    // when this leader took office: a node that just joined is not dead.
    for (const id of state.members.keys()) if (!this.#lastHeard.has(id)) this.#lastHeard.set(id, now)
    const step = planAutopilot({
      state,
      leaderId: this.mesh.id,
      raftVoters: raft.membership.voters,
      raftLearners: raft.membership.learners,
      lastIndex: raft.lastIndex,
      matchIndex: raft.matchIndex,
      health: (id) => ({ silentMs: this.#silentMs(id, now) }),
    })
    if (!step) return
    this.#autopilotBusy = true
    const run = async (): Promise<void> => {
      switch (step.kind) {
        case 'addLearner':
          await replica.host.proposeConfigChange({ type: 'addLearner', nodeId: step.id })
          break
        case 'promote':
          await replica.host.proposeConfigChange({ type: 'promote', nodeId: step.id })
          break
        case 'removeFromRaft':
          if (step.id === this.mesh.id) {
            await this.#handOverLeadership()
            return
          }
          await replica.host.proposeConfigChange({ type: 'remove', nodeId: step.id })
          break
        case 'command':
          await this.ops.propose(step.command)
          break
      }
    }
    this.logger.info(
      {
        step: step.kind,
        id: 'id' in step ? step.id : undefined,
        command: 'command' in step ? step.command : undefined,
        why: step.why,
      },
      'autopilot',
    )
    run()
      .catch((error) =>
        this.logger.debug({ err: error, step: step.kind }, 'autopilot step refused; planning again'),
      )
      .finally(() => {
        this.#autopilotBusy = false
      })
  }

  /** Asks the leader where this node stands, and acts on it. */
  async #checkStanding(): Promise<void> {
    let standing: Standing
    try {
      standing = this.#replica?.isLeader()
        ? await this.#standingOf(this.mesh.id)
        : await this.ops.callMaster<Standing>('cluster.standing', {}, 1_000)
    } catch {
      return // no leader answers now; try again later
    }
    this.ops.noteLeader(standing.leader)
    if (standing.masters.length > 0) this.#masters = standing.masters
    if (standing.masterApis.length > 0) this.#masterApis = standing.masterApis
    this.#tokens = new Map(standing.tokens.map((token) => [token.sha256, token]))
    if (standing.removed) {
      this.logger.warn({}, 'this node was removed from the cluster: discarding its replica and joining again')
      this.#changeReplica(() => this.#rejoin())
      return
    }
    if (!standing.member || standing.role === null) return // the leader has yet to apply its join
    const role = standing.role
    if (role !== this.#config.role) {
      this.#config = { ...this.#config, role }
      await writeNodeConfig(this.paths, this.#config)
      this.logger.info({ role }, 'role changed')
    }
    if (role === 'worker' && this.#replica && !standing.inRaft) {
      this.#changeReplica(async () => {
        this.logger.info({}, 'this node is a worker now: discarding its replica')
        await this.#closeReplica(true)
      })
    } else if (role !== 'worker' && !this.#replica) {
      this.#changeReplica(() => this.#openReplica(false))
    }
  }

  async #rejoin(): Promise<void> {
    await this.#closeReplica(true)
    const leader = this.ops.leader()
    const peer =
      leader && this.mesh.isConnected(leader) ? leader : this.#masters.find((id) => this.mesh.isConnected(id))
    if (!peer) return
    const reply = await requestJoin(this.mesh, peer, this.#config)
    this.#config = { ...this.#config, role: reply.role }
    await writeNodeConfig(this.paths, this.#config)
    this.#learnMembers(reply.members, reply.leader)
    if (reply.role !== 'worker') await this.#openReplica(false)
    this.logger.info({ role: reply.role }, 'joined the cluster again')
  }

  /** A leader about to leave hands leadership to the most caught-up voter first. */
  async #handOverLeadership(): Promise<void> {
    const replica = this.#replica
    if (!replica?.isLeader()) return
    const raft = replica.host.status()
    const candidates = raft.membership.voters
      .filter((id) => id !== this.mesh.id)
      .sort((a, b) => (raft.matchIndex.get(b) ?? 0) - (raft.matchIndex.get(a) ?? 0))
    const target = candidates[0]
    if (!target) return
    try {
      await replica.host.transferLeadership(target, { timeoutMs: transferOnStopMs })
    } catch (error) {
      this.logger.warn({ err: error }, 'leader transfer refused')
      return
    }
    const deadline = Date.now() + transferOnStopMs
    while (replica.isLeader() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
    this.logger.info({ to: target, handedOver: !replica.isLeader() }, 'leadership transferred')
  }

  // ---------------------------------------------------------------- stopping

  /** Clean shutdown: hand over leadership, stop serving, close the replica, leave the mesh. */
  async stop(): Promise<void> {
    if (this.#stopping) return
    this.#stopping = true
    if (this.#timer) clearInterval(this.#timer)
    this.leaderControl.stop()
    this.#kubelet?.stop()
    await this.#handOverLeadership().catch(() => {})
    await this.#http?.close().catch(() => {})
    await this.#replicaChanging
    await this.#opening?.catch(() => {})
    await this.#closeReplica(false).catch((error) =>
      this.logger.error({ err: error }, 'closing the replica failed'),
    )
    await writePeers(this.paths, this.mesh).catch(() => {})
    this.#loopback?.close()
    await this.mesh.stop().catch(() => {})
    this.metrics.stop()
    this.logger.info({}, 'stopped')
  }
}

// ---------------------------------------------------------------- helpers

async function startMesh(
  options: AgentOptions,
  secrets: ClusterSecrets,
  privateKey: Parameters<typeof Mesh.start>[0]['privateKey'],
  listen: string | undefined,
): Promise<Mesh> {
  return Mesh.start({
    privateKey,
    psk: pskFromHex(secrets.pskHex),
    listen: listen ?? '/ip4/0.0.0.0/tcp/0',
    logger: options.logger,
  })
}

/** node.json for a new node: its name, and the ports it now listens on, fixed from here on. */
async function firstConfig(
  options: AgentOptions,
  paths: DataPaths,
  mesh: Mesh,
  clusterId: string,
  role: MemberRole,
): Promise<NodeConfig> {
  const listened = mesh.addresses()[0] ?? ''
  const port = /\/tcp\/(\d+)/.exec(listened)?.[1] ?? '0'
  const listenHost = /^\/ip4\/([^/]+)/.exec(options.listen ?? '/ip4/0.0.0.0')?.[1] ?? '0.0.0.0'
  const advertiseHost = listenHost === '0.0.0.0' ? primaryAddress() : listenHost
  const advertise = options.advertise ?? `/ip4/${advertiseHost}/tcp/${port}`
  const [apiHost, apiPortText] = splitHostPort(options.api ?? '0.0.0.0:0')
  const apiPort = Number(apiPortText) === 0 ? await freePort(apiHost) : Number(apiPortText)
  const apiAdvertiseHost = apiHost === '0.0.0.0' ? primaryAddress() : apiHost
  const config: NodeConfig = {
    version: nodeConfigVersion,
    clusterId,
    id: mesh.id,
    name: options.name ?? `${hostname()}-${mesh.id.slice(-6).toLowerCase()}`,
    listen: `/ip4/${listenHost}/tcp/${port}`,
    advertise: advertise.replace(/\/p2p\/.*$/, ''),
    api: `${apiHost}:${apiPort}`,
    apiAdvertise: `${apiAdvertiseHost}:${apiPort}`,
    role,
    wants: options.role ?? 'auto',
    pid: process.pid,
  }
  if (role === 'voter') await writeNodeConfig(paths, config)
  return config
}

async function connectToAny(mesh: Mesh, addresses: readonly string[]): Promise<string> {
  const failures: string[] = []
  for (const address of addresses) {
    try {
      return await mesh.connect(address, { timeoutMs: connectTimeoutMs })
    } catch (error) {
      failures.push((error as Error).message)
    }
  }
  throw new Error(
    `could not join: no bootstrap address in the token answered (${failures.join('; ')}). ` +
      'Check that the token is current (`cox token join` on a member) and that the member is reachable.',
  )
}

async function requestJoin(mesh: Mesh, peer: string, config: NodeConfig): Promise<JoinReply> {
  try {
    return await mesh.call<JoinReply>(
      peer,
      'cluster.join',
      { clusterId: config.clusterId, member: config, wants: config.wants },
      { timeoutMs: joinTimeoutMs },
    )
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code === 'ERR_WRONG_CLUSTER')
      throw new Error(`could not join: ${(error as Error).message}; the token is for another cluster`)
    throw new Error(`could not join through ${peer}: ${(error as Error).message}`, { cause: error })
  }
}

const peersFile = (paths: DataPaths): string => `${paths.dir}/peers.json`

async function readPeers(paths: DataPaths): Promise<{ id: string; p2pAddresses: string[] }[]> {
  try {
    return JSON.parse(await readFile(peersFile(paths), 'utf8'))
  } catch {
    return []
  }
}

async function writePeers(paths: DataPaths, mesh: Mesh): Promise<void> {
  const peers = mesh.peers().map((p) => ({ id: p.id, p2pAddresses: p.addresses }))
  await writeFileAtomic(peersFile(paths), JSON.stringify(peers), 0o644)
}

function stripPeer(addresses: readonly string[]): string[] {
  return addresses.map((a) => a.replace(/\/p2p\/[^/]+$/, ''))
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
