// The agent's own HTTPS endpoints, beside the Kubernetes API: health, metrics, the cluster
// operations the `cox` CLI needs, and the replicated key-value store (DESIGN.md, "The key-value
// endpoint"). Every write goes through Raft on the leader; every GET without a stated staleness
// is linearizable.

import { createHash, randomBytes } from 'node:crypto'
import {
  type ClusterSettings,
  type KvRecord,
  kvKeyBytesMax,
  kvValueBytesMax,
  type MemberRole,
} from '../core/cluster.ts'
import type { Mesh } from '../net/mesh.ts'
import { ClusterOpError, type ClusterOps } from './cluster-ops.ts'
import { HttpError, type HttpServer, type RequestContext } from './http-server.ts'
import type { Kubelet } from './kubelet.ts'
import type { LeaderControl, NodeReport } from './leader-control.ts'
import type { Logger } from './logger.ts'
import type { Metrics } from './metrics.ts'
import type { Replica } from './replica.ts'

/** What the endpoints need of the agent that serves them. */
export interface ClusterApiHost {
  readonly ops: ClusterOps
  readonly replica: Replica | null
  readonly mesh: Mesh
  readonly metrics: Metrics
  readonly logger: Logger
  clusterStatus(): Promise<ClusterStatus>
  joinToken(): string
  /** This node's kubelet, once its Node is registered. */
  readonly kubelet: Kubelet | null
  readonly leaderControl: LeaderControl
  /** Kubelet heartbeats (hollow nodes' too), relayed to the leader; answers the NotReady grace. */
  reportNodes(reports: readonly NodeReport[]): Promise<{ nodeNotReadyGraceMs: number }>
}

export interface ClusterStatus {
  readonly clusterId: string
  readonly leader: { readonly id: string; readonly name: string } | null
  readonly term: number
  readonly commitIndex: number
  readonly appliedIndex: number
  readonly members: readonly {
    readonly id: string
    readonly name: string
    readonly p2pAddress: string
    readonly apiAddress: string
    readonly role: MemberRole | 'learner'
    readonly reachable: boolean
    readonly matchIndex: number | null
    readonly pid: number | null
  }[]
}

const settingKeys: readonly (keyof ClusterSettings)[] = [
  'voters',
  'standbys',
  'autopilotGraceMs',
  'nodeNotReadyGraceMs',
  'evictionTimeoutMs',
]

/** How an API token is kept in the replicated state: its SHA-256, hex (the token itself never is). */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

export function registerClusterApi(http: HttpServer, agent: ClusterApiHost): void {
  const ok = (ctx: RequestContext, text: string): void =>
    ctx.send(200, text, { 'content-type': 'text/plain' })
  http.route('GET', '/healthz', (ctx) => ok(ctx, 'ok'), { auth: 'none' })
  http.route('GET', '/livez', (ctx) => ok(ctx, 'ok'), { auth: 'none' })
  http.route(
    'GET',
    '/readyz',
    (ctx) => {
      const leader = agent.ops.leader()
      if (!leader) throw new HttpError(503, 'ServiceUnavailable', 'no leader is known yet')
      ok(ctx, 'ok')
    },
    { auth: 'none' },
  )
  http.route(
    'GET',
    '/metrics',
    async (ctx) => ctx.send(200, await agent.metrics.text(), { 'content-type': agent.metrics.contentType }),
    { auth: 'read' },
  )

  http.route('GET', '/cox/v1/cluster/status', async (ctx) => ctx.send(200, await agent.clusterStatus()), {
    auth: 'read',
  })
  http.route(
    'PUT',
    '/cox/v1/cluster/config',
    async (ctx) => {
      const body = await ctx.json<Record<string, unknown>>()
      const settings: Record<string, number> = {}
      for (const [key, value] of Object.entries(body ?? {})) {
        if (!settingKeys.includes(key as keyof ClusterSettings)) {
          throw new HttpError(400, 'BadRequest', `unknown setting "${key}"; known: ${settingKeys.join(', ')}`)
        }
        if (typeof value !== 'number')
          throw new HttpError(400, 'BadRequest', `setting "${key}" must be a number`)
        settings[key] = value
      }
      const { result } = await translate(() => agent.ops.propose({ type: 'settings', settings }))
      if (!result.ok) throw new HttpError(422, 'Invalid', 'message' in result ? result.message : result.code)
      // The write may have been made on the leader: wait until this replica has applied it.
      if (agent.replica) await translate(() => agent.ops.linearize())
      ctx.send(200, agent.replica?.state.settings ?? settings)
    },
    { auth: 'admin' },
  )
  http.route(
    'GET',
    '/cox/v1/cluster/config',
    async (ctx) => {
      const status = await agent.clusterStatus()
      ctx.send(200, { clusterId: status.clusterId, settings: agent.replica?.state.settings ?? null })
    },
    { auth: 'read' },
  )
  http.route(
    'DELETE',
    '/cox/v1/cluster/members/:name',
    async (ctx) => {
      const status = await agent.clusterStatus()
      const name = ctx.params.name!
      const member = status.members.find((m) => m.name === name || m.id === name)
      if (!member)
        throw new HttpError(404, 'NotFound', `no member is named "${name}"; see \`cox cluster status\``)
      const { result } = await translate(() => agent.ops.propose({ type: 'remove', id: member.id }))
      if (!result.ok) throw new HttpError(404, 'NotFound', 'message' in result ? result.message : result.code)
      ctx.send(200, { removed: { id: member.id, name: member.name } })
    },
    { auth: 'admin' },
  )
  http.route(
    'GET',
    '/cox/v1/token/join',
    (ctx) => ctx.send(200, `${agent.joinToken()}\n`, { 'content-type': 'text/plain' }),
    {
      auth: 'admin',
    },
  )
  http.route(
    'POST',
    '/cox/v1/tokens',
    async (ctx) => {
      const body = await ctx.json<{ access?: unknown }>()
      const access = body?.access ?? 'admin'
      if (access !== 'admin' && access !== 'read') {
        throw new HttpError(400, 'BadRequest', 'access must be "admin" or "read"')
      }
      const token = randomBytes(32).toString('base64url')
      const sha256 = tokenHash(token)
      const { result } = await translate(() =>
        agent.ops.propose({ type: 'addToken', token: { sha256, access } }),
      )
      if (!result.ok) throw new HttpError(422, 'Invalid', 'message' in result ? result.message : result.code)
      ctx.send(201, { token, access })
    },
    { auth: 'admin' },
  )
  http.route(
    'GET',
    '/cox/v1/snapshot',
    async (ctx) => {
      const bytes = await translate(async () => {
        if (agent.replica) {
          await agent.ops.linearize()
          return agent.replica.state.encode()
        }
        return (await agent.ops.callMaster<{ snapshot: Uint8Array }>('cluster.read', { what: 'snapshot' }))
          .snapshot
      })
      ctx.send(200, Buffer.from(bytes), { 'content-type': 'application/octet-stream' })
    },
    { auth: 'admin' },
  )
  http.route(
    'PUT',
    '/cox/v1/debug/isolation',
    async (ctx) => {
      const { blocked } = await ctx.json<{ blocked?: unknown }>()
      if (
        typeof blocked !== 'boolean' &&
        !(Array.isArray(blocked) && blocked.every((b) => typeof b === 'string'))
      ) {
        throw new HttpError(400, 'BadRequest', 'body must be {"blocked": true | false | [peer ids]}')
      }
      await agent.mesh.isolate(blocked as boolean | string[])
      agent.logger.warn({ blocked }, 'mesh isolation changed')
      ctx.send(200, { blocked: agent.mesh.isolated() })
    },
    { auth: 'admin' },
  )

  registerKv(http, agent)
  registerNodeApi(http, agent)
}

/** Kubelet heartbeats, a kubelet's own view of its pods, and the control plane's debugging hooks. */
function registerNodeApi(http: HttpServer, agent: ClusterApiHost): void {
  http.route(
    'POST',
    '/cox/v1/node-heartbeats',
    async (ctx) => {
      const { nodes } = await ctx.json<{ nodes?: unknown }>()
      if (!Array.isArray(nodes) || nodes.length > nodeReportsMax || !nodes.every(isNodeReport)) {
        throw new HttpError(
          400,
          'BadRequest',
          `body must be {"nodes": [{"node": NAME, "podCpuMillis": {"ns/pod": millicores}}]} with at most ${nodeReportsMax} nodes`,
        )
      }
      ctx.send(200, await agent.reportNodes(nodes))
    },
    { auth: 'admin' },
  )
  http.route(
    'GET',
    '/cox/v1/kubelet/pods',
    (ctx) => ctx.send(200, { pods: agent.kubelet?.localPods() ?? [] }),
    {
      auth: 'read',
    },
  )
  http.route(
    'GET',
    '/cox/v1/debug/control-plane',
    (ctx) => {
      const plane = agent.leaderControl.plane
      ctx.send(200, { running: plane.running, controllers: plane.paths() })
    },
    { auth: 'read' },
  )
  http.route(
    'POST',
    '/cox/v1/debug/control-plane/crash',
    async (ctx) => {
      const { path } = await ctx.json<{ path?: unknown }>()
      if (typeof path !== 'string' || path === '')
        throw new HttpError(400, 'BadRequest', 'body must be {"path": "replicasets/default/web-7d4b9"}')
      const plane = agent.leaderControl.plane
      if (!plane.running)
        throw new HttpError(409, 'Conflict', 'the control plane runs on the leader only; ask the leader')
      if (!plane.crash(path))
        throw new HttpError(
          404,
          'NotFound',
          `no controller at ${path}; GET /cox/v1/debug/control-plane lists them`,
        )
      agent.logger.warn({ controller: path }, 'controller crashed on request')
      ctx.send(202, { crashed: path })
    },
    { auth: 'admin' },
  )
}

/** Node reports in one heartbeat at most (a hollow process reports all its nodes at once). */
export const nodeReportsMax = 10_000

function isNodeReport(value: unknown): value is NodeReport {
  if (typeof value !== 'object' || value === null) return false
  const { node, podCpuMillis } = value as { node?: unknown; podCpuMillis?: unknown }
  if (typeof node !== 'string' || node === '') return false
  if (podCpuMillis === undefined) return true
  return (
    typeof podCpuMillis === 'object' &&
    podCpuMillis !== null &&
    Object.values(podCpuMillis).every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0)
  )
}

function registerKv(http: HttpServer, agent: ClusterApiHost): void {
  const keyOf = (ctx: RequestContext): string => {
    const key = ctx.params.key ?? ''
    if (key === '') throw new HttpError(400, 'BadRequest', 'the key is empty: use /cox/v1/kv/{key}')
    if (Buffer.byteLength(key) > kvKeyBytesMax) {
      throw new HttpError(400, 'BadRequest', `the key is longer than ${kvKeyBytesMax} bytes`)
    }
    return key
  }
  http.route(
    'PUT',
    '/cox/v1/kv/*key',
    async (ctx) => {
      const key = keyOf(ctx)
      const value = await ctx.body()
      if (value.length > kvValueBytesMax) {
        throw new HttpError(413, 'RequestEntityTooLarge', `values are limited to ${kvValueBytesMax} bytes`)
      }
      const ifVersion = preconditionOf(ctx)
      const { result } = await translate(() =>
        agent.ops.propose({ type: 'kvPut', key, value: new Uint8Array(value), ifVersion }),
      )
      if (!result.ok) throw failure(result, key)
      ctx.send(result.created ? 201 : 200, { key, version: result.version }, { etag: `"${result.version}"` })
    },
    { auth: 'admin' },
  )
  http.route(
    'DELETE',
    '/cox/v1/kv/*key',
    async (ctx) => {
      const key = keyOf(ctx)
      const ifVersion = preconditionOf(ctx)
      const { result } = await translate(() => agent.ops.propose({ type: 'kvDelete', key, ifVersion }))
      if (!result.ok) throw failure(result, key)
      ctx.send(200, { key, deleted: true })
    },
    { auth: 'admin' },
  )
  http.route(
    'GET',
    '/cox/v1/kv/*key',
    async (ctx) => {
      const key = keyOf(ctx)
      const record = await translate(async (): Promise<KvRecord | null> => {
        if (agent.replica) {
          await agent.ops.linearize()
          return agent.replica.state.kv.get(key) ?? null
        }
        return (await agent.ops.callMaster<{ record: KvRecord | null }>('cluster.read', { what: 'kv', key }))
          .record
      })
      if (!record) throw new HttpError(404, 'NotFound', `key "${key}" not found`)
      ctx.send(200, Buffer.from(record.value), {
        'content-type': 'application/octet-stream',
        etag: `"${record.version}"`,
      })
    },
    { auth: 'read' },
  )
}

/** `If-Match: "v"` is a compare-and-set on version v; `If-None-Match: *` a create-only (version 0). */
function preconditionOf(ctx: RequestContext): number | undefined {
  const ifMatch = ctx.req.headers['if-match']
  const ifNoneMatch = ctx.req.headers['if-none-match']
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') throw new HttpError(400, 'BadRequest', 'If-None-Match supports only "*"')
    return 0
  }
  if (ifMatch === undefined) return undefined
  const match = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(ifMatch)
  if (!match)
    throw new HttpError(400, 'BadRequest', `If-Match must be a version such as "42", not ${ifMatch}`)
  return Number(match[1])
}

function failure(result: { code: string; version?: number; message?: string }, key: string): HttpError {
  if (result.code === 'preconditionFailed') {
    return new HttpError(412, 'PreconditionFailed', `key "${key}" is at version ${result.version}`)
  }
  if (result.code === 'notFound') return new HttpError(404, 'NotFound', `key "${key}" not found`)
  return new HttpError(422, 'Invalid', result.message ?? result.code)
}

/** Errors of the cluster operations become Status answers. */
async function translate<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (error instanceof ClusterOpError) throw new HttpError(error.status, error.reason, error.message)
    throw error
  }
}
