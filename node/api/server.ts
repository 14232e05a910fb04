// The Kubernetes API on every agent: discovery, OpenAPI v3, and the REST verbs on the resources of
// core/api/resources.ts, in the shapes kubectl v1.32 expects (shared/notes/kubectl-api-surface.md).
//
// Reads: without resourceVersion (or with one other than "0") a GET or LIST is linearizable — a
// ReadIndex round, then served from this node's replica; "0" is served from the replica as it
// stands; watches stream from the replica's WatchHub. Writes: validated and defaulted here, with
// everything non-deterministic (uid, timestamps, generated names, encryption nonces) fixed into the
// command, then proposed through the leader; the state machine checks what depends on the state
// (existence, resourceVersion, namespaces). Read-modify-write verbs (PATCH, /scale) retry on a
// conflict they did not ask for, as the Kubernetes API server's GuaranteedUpdate does.
// A worker keeps no replica: it hands every API request to a master over the mesh.

import { randomBytes, randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { parse as parseYaml } from 'yaml'
import { evictionPlan, podDisruptionBudgetsResource } from '../../actors/plans/disruption.ts'
import { formatTime } from '../../actors/plans/plan.ts'
import { applyDefaults } from '../../core/api/defaults.ts'
import type { KubeObject } from '../../core/api/object.ts'
import { openApiDocument, openApiIndex, typeMismatches, unknownFields } from '../../core/api/openapi.ts'
import { convertObject, type ResourceType, storageResource } from '../../core/api/resources.ts'
import {
  checkFieldSelector,
  matchesFields,
  matchesLabelSelector,
  parseFieldSelector,
  parseLabelSelector,
} from '../../core/api/selectors.ts'
import {
  type ApiCommand,
  type ApiResult,
  describe,
  type ResourceRef,
  resourceKey,
} from '../../core/api/store.ts'
import { invalidStatus, validateObject } from '../../core/api/validation.ts'
import type { ClusterOps } from '../cluster-ops.ts'
import { ClusterOpError } from '../cluster-ops.ts'
import { HttpError, type HttpServer, type RequestContext } from '../http-server.ts'
import type { Logger } from '../logger.ts'
import type { Replica } from '../replica.ts'
import {
  aggregatedDiscovery,
  aggregatedDiscoveryType,
  group,
  groupList,
  legacyVersions,
  resourceList,
  wantsAggregated,
} from './discovery.ts'
import {
  applyJsonPatch,
  applyMergePatch,
  applyServerSide,
  applyStrategicMergePatch,
  PatchError,
} from './patch.ts'
import { parseApiPath, type ResourceTarget } from './paths.ts'
import { decodeKubernetesProtobuf, isKubernetesProtobuf, ProtobufError } from './protobuf.ts'
import { decryptSecret, encryptSecret } from './secret-crypto.ts'
import { toTable } from './table.ts'
import type { HubEvent } from './watch-hub.ts'

/** Objects larger than this are refused (below Raft's message limit). */
export const objectBytesMax = 1.5 * 1024 * 1024
/** Read-modify-write verbs retry this often on a conflict they did not ask for. */
export const conflictRetriesMax = 5
/** A watch without timeoutSeconds ends after this long (kubectl and reflectors reconnect). */
export const watchTimeoutDefaultSeconds = 1800
/** A watch with allowWatchBookmarks gets a BOOKMARK this often. */
export const bookmarkEveryMs = 10_000
/** A watcher whose unsent bytes exceed this is dropped with 410 so that it relists. */
export const watcherBufferBytesMax = 16 * 1024 * 1024

export const serverVersion = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-coxswain',
  gitCommit: '',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'n/a',
  compiler: 'coxswain',
  platform: `${process.platform}/${process.arch}`,
}

export interface KubernetesApiHost {
  readonly ops: ClusterOps
  readonly replica: Replica | null
  readonly logger: Logger
  /** AES-256 key for Secrets at rest. */
  readonly secretsKey: Buffer
  /** Forwards a whole API request to a master (this node keeps no replica). */
  forward(request: ForwardedRequest): Promise<ForwardedResponse>
  /** Carries a watch (a stream) to a master and pipes its answer into `res`. */
  forwardStream(request: ForwardedRequest, res: ServerResponse): Promise<void>
}

export interface ForwardedRequest {
  readonly method: string
  readonly path: string
  readonly query: string
  readonly headers: Record<string, string>
  readonly body: Uint8Array
}

export interface ForwardedResponse {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: Uint8Array
}

const tableAccept = /as=Table/

export function registerKubernetesApi(http: HttpServer, host: KubernetesApiHost): void {
  http.route('GET', '/version', (ctx) => ctx.send(200, serverVersion), { auth: 'read' })
  http.route('GET', '/openapi/v3', (ctx) => ctx.send(200, openApiIndex()), { auth: 'read' })
  http.route(
    'GET',
    '/openapi/v3/*path',
    (ctx) => {
      const [root, ...rest] = (ctx.params.path ?? '').split('/')
      const gv =
        root === 'api'
          ? { group: '', version: rest[0] ?? '' }
          : { group: rest[0] ?? '', version: rest[1] ?? '' }
      const document = openApiDocument(gv.group, gv.version)
      if (!document) throw new HttpError(404, 'NotFound', `no OpenAPI document for ${ctx.params.path}`)
      ctx.send(200, document, { 'cache-control': 'public, immutable' })
    },
    { auth: 'read' },
  )
  const api = new KubernetesApi(host)
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
    const auth = method === 'GET' ? 'read' : 'admin'
    for (const root of ['/api', '/apis']) {
      http.route(method, root, (ctx) => api.handle(ctx), { auth })
      http.route(method, `${root}/*rest`, (ctx) => api.handle(ctx), { auth })
    }
  }
}

class KubernetesApi {
  readonly #host: KubernetesApiHost

  constructor(host: KubernetesApiHost) {
    this.#host = host
  }

  async handle(ctx: RequestContext): Promise<void> {
    if (!this.#host.replica) return this.#forward(ctx)
    const parsed = parseApiPath(ctx.path)
    try {
      switch (parsed.kind) {
        case 'versions':
          return this.#discovery(ctx, true)
        case 'groups':
          return this.#discovery(ctx, false)
        case 'group': {
          const doc = group(parsed.group)
          if (!doc) throw notFoundPath()
          return ctx.send(200, doc)
        }
        case 'resources': {
          const doc = resourceList(parsed.group, parsed.version)
          if (!doc) throw notFoundPath()
          return ctx.send(200, doc)
        }
        case 'unknown':
          throw new HttpError(404, 'NotFound', parsed.message)
        case 'resource':
          return await this.#resource(ctx, parsed)
      }
    } catch (error) {
      if (error instanceof ClusterOpError) throw new HttpError(error.status, error.reason, error.message)
      if (error instanceof PatchError) {
        throw new HttpError(error.reason === 'BadRequest' ? 400 : 422, error.reason, error.message)
      }
      throw error
    }
  }

  #discovery(ctx: RequestContext, legacy: boolean): void {
    if (wantsAggregated(ctx.req.headers.accept)) {
      ctx.send(200, aggregatedDiscovery(legacy), { 'content-type': aggregatedDiscoveryType })
    } else if (legacy) {
      ctx.send(200, legacyVersions(`${ctx.req.socket.localAddress}:${ctx.req.socket.localPort}`))
    } else {
      ctx.send(200, groupList())
    }
  }

  async #resource(ctx: RequestContext, target: ResourceTarget): Promise<void> {
    const { method } = ctx
    if (target.subresource === 'scale') return this.#scale(ctx, target)
    if (target.subresource === 'eviction') return this.#evict(ctx, target)
    if (method === 'GET' && target.name === null) {
      if (isTrue(ctx.query.get('watch'))) return this.#watch(ctx, target)
      return this.#list(ctx, target)
    }
    if (method === 'GET') return this.#get(ctx, target)
    if (method === 'POST' && target.name === null) return this.#create(ctx, target)
    if (method === 'PUT' && target.name !== null) return this.#update(ctx, target)
    if (method === 'PATCH' && target.name !== null) return this.#patch(ctx, target)
    if (method === 'DELETE' && target.name !== null) return this.#delete(ctx, target)
    if (method === 'DELETE') return this.#deleteCollection(ctx, target)
    throw new HttpError(
      405,
      'MethodNotAllowed',
      `the server does not allow this method on the requested resource`,
    )
  }

  // ---------------------------------------------------------------- reads

  get #replica(): Replica {
    const replica = this.#host.replica
    if (!replica) throw new HttpError(503, 'ServiceUnavailable', 'this node keeps no replica')
    return replica
  }

  /** Linearizable unless the client asked for resourceVersion "0" (any version will do). */
  async #readBarrier(ctx: RequestContext): Promise<void> {
    if (ctx.query.get('resourceVersion') === '0') return
    await this.#host.ops.linearize()
  }

  async #get(ctx: RequestContext, target: ResourceTarget): Promise<void> {
    await this.#readBarrier(ctx)
    const object = this.#stored(target, target.name!)
    if (!object) throw notFound(target.resource, target.name!)
    this.#sendObject(ctx, target.resource, object)
  }

  async #list(ctx: RequestContext, target: ResourceTarget): Promise<void> {
    await this.#readBarrier(ctx)
    const filter = this.#filter(ctx, target.resource)
    const replica = this.#replica
    const items = replica.state.objects
      .list(target.resource, target.namespace ?? undefined)
      .filter(filter)
      .map((object) => this.#present(target.resource, object))
    const resourceVersion = String(replica.host.applied)
    if (tableAccept.test(ctx.req.headers.accept ?? '')) {
      ctx.send(
        200,
        toTable(items, {
          kind: target.resource.kind,
          group: target.resource.group,
          wide: true,
          now: Date.now(),
          listMeta: { resourceVersion },
        }),
      )
      return
    }
    ctx.send(200, {
      kind: target.resource.listKind,
      apiVersion: apiVersionOf(target.resource),
      metadata: { resourceVersion },
      items,
    })
  }

  /** The label and field selectors of a list or watch; a malformed or unsupported one is a 400. */
  #filter(ctx: RequestContext, resource: ResourceType): (object: KubeObject) => boolean {
    let labels: ReturnType<typeof parseLabelSelector>
    let fields: ReturnType<typeof parseFieldSelector>
    try {
      labels = parseLabelSelector(ctx.query.get('labelSelector') ?? '')
      fields = parseFieldSelector(ctx.query.get('fieldSelector') ?? '')
      checkFieldSelector(resource, fields)
    } catch (error) {
      throw new HttpError(400, 'BadRequest', (error as Error).message)
    }
    return (object) =>
      matchesLabelSelector(labels, object.metadata.labels ?? {}) && matchesFields(resource, object, fields)
  }

  async #watch(ctx: RequestContext, target: ResourceTarget): Promise<void> {
    const filter = this.#filter(ctx, target.resource)
    const replica = this.#replica
    const wantsTable = tableAccept.test(ctx.req.headers.accept ?? '')
    const resource = target.resource
    const inScope = (object: KubeObject): boolean =>
      (target.namespace === null || object.metadata.namespace === target.namespace) && filter(object)
    const requested = ctx.query.get('resourceVersion') ?? ''
    const res = ctx.res
    res.writeHead(200, {
      'content-type': 'application/json',
      'transfer-encoding': 'chunked',
      'cache-control': 'no-cache',
    })
    res.flushHeaders()
    const write = (type: string, object: unknown): void => {
      const body =
        type === 'ERROR' || type === 'BOOKMARK' || !wantsTable
          ? object
          : toTable([object as KubeObject], {
              kind: resource.kind,
              group: resource.group,
              wide: true,
              now: Date.now(),
            })
      res.write(`${JSON.stringify({ type, object: body })}\n`)
      if (res.writableLength > watcherBufferBytesMax) stop(gone('the watcher fell behind; relist'))
    }
    let from: number
    if (requested === '' || requested === '0') {
      // Kubernetes' semantics: synthetic ADDED events for the current state, then the changes.
      if (requested === '') await this.#host.ops.linearize()
      from = replica.host.applied
      for (const object of replica.state.objects.list(resource, target.namespace ?? undefined)) {
        if (inScope(object)) write('ADDED', this.#present(resource, object))
      }
    } else {
      from = Number(requested)
      if (!Number.isInteger(from) || from < 0) {
        write('ERROR', statusObject(400, 'BadRequest', `invalid resourceVersion "${requested}"`))
        res.end()
        return
      }
    }
    let unsubscribe: (() => void) | null = null
    let timer: ReturnType<typeof setTimeout> | null = null
    let bookmarks: ReturnType<typeof setInterval> | null = null
    let done = false
    const stop = (error?: object): void => {
      if (done) return
      done = true
      unsubscribe?.()
      if (timer) clearTimeout(timer)
      if (bookmarks) clearInterval(bookmarks)
      if (error && !res.destroyed) res.write(`${JSON.stringify({ type: 'ERROR', object: error })}\n`)
      if (!res.destroyed) res.end()
    }
    unsubscribe = replica.hub.subscribe(
      {
        resource: resourceKey(resource),
        wants: inScope,
        ...boundTo(resource, ctx.query.get('fieldSelector') ?? ''),
        deliver: (events: readonly HubEvent[]) => {
          for (const event of events) write(event.change.type, this.#present(resource, event.change.object))
        },
        expire: () => stop(gone('the watch history was reset; relist')),
      },
      from,
    )
    if (!unsubscribe) {
      stop(gone(`too old resource version: ${from} (${replica.hub.oldestIndex})`))
      return
    }
    const timeoutSeconds = Number(ctx.query.get('timeoutSeconds') ?? watchTimeoutDefaultSeconds)
    timer = setTimeout(() => stop(), Math.max(1, timeoutSeconds) * 1000)
    if (isTrue(ctx.query.get('allowWatchBookmarks'))) {
      bookmarks = setInterval(() => {
        write('BOOKMARK', {
          kind: resource.kind,
          apiVersion: apiVersionOf(resource),
          metadata: { resourceVersion: String(replica.host.applied) },
        })
      }, bookmarkEveryMs)
    }
    ctx.req.once('close', () => stop())
    res.once('close', () => stop())
    await new Promise<void>((resolve) => res.once('close', resolve))
  }

  // ---------------------------------------------------------------- writes

  async #create(ctx: RequestContext, target: ResourceTarget): Promise<void> {
    const resource = target.resource
    const body = await this.#body(ctx, resource)
    if (resource.namespaced) {
      const namespace = target.namespace ?? body.metadata.namespace
      if (!namespace)
        throw new HttpError(400, 'BadRequest', 'the namespace is required for a namespaced resource')
      if (body.metadata.namespace && body.metadata.namespace !== namespace) {
        throw new HttpError(
          400,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        )
      }
      body.metadata.namespace = namespace
    }
    const now = timestamp()
    const metadata = { ...body.metadata }
    delete metadata.resourceVersion
    if (!metadata.name && metadata.generateName) metadata.name = `${metadata.generateName}${randomSuffix()}`
    metadata.uid = randomUUID()
    metadata.creationTimestamp = now
    delete metadata.deletionTimestamp
    let object: KubeObject = { ...body, metadata }
    if (resource.subresources.includes('status') && resource.kind !== 'Namespace') delete object.status
    object = applyDefaults(resource, object)
    this.#validate(ctx, resource, object, null)
    const result = await this.#write(ctx, {
      op: 'create',
      resource: refOf(resource),
      object: this.#seal(resource, object),
    })
    this.#sendObject(ctx, resource, result.object!, 201)
  }

  async #update(ctx: RequestContext, target: ResourceTarget): Promise<void> {
    const resource = target.resource
    const body = await this.#body(ctx, resource)
    this.#checkIdentity(target, body)
    const current = this.#stored(target, target.name!)
    if (!current) throw notFound(resource, target.name!)
    const object = applyDefaults(resource, body)
    this.#validate(ctx, resource, object, current, target.subresource === 'status' ? 'status' : null)
    const result = await this.#write(ctx, {
      op: 'update',
      resource: refOf(resource),
      object: this.#seal(resource, object),
      subresource: target.subresource === 'status' ? 'status' : null,
      expected: { resourceVersion: body.metadata.resourceVersion, uid: body.metadata.uid },
      now: timestamp(),
    })
    this.#sendObject(ctx, resource, result.object!)
  }

  async #patch(ctx: RequestContext, target: ResourceTarget): Promise<void> {
    const resource = target.resource
    const contentType = (ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim()
    const raw = (await ctx.body()).toString('utf8')
    const patch = parsePatchBody(contentType, raw)
    for (let attempt = 0; ; attempt++) {
      await this.#host.ops.linearize()
      const current = this.#stored(target, target.name!)
      const live = current ? this.#present(resource, current) : null
      let next: KubeObject
      switch (contentType) {
        case 'application/json-patch+json':
          next = applyJsonPatch(requireLive(live, resource, target), patch as never) as KubeObject
          break
        case 'application/merge-patch+json':
          next = applyMergePatch(requireLive(live, resource, target), patch) as KubeObject
          break
        case 'application/strategic-merge-patch+json':
          next = applyStrategicMergePatch(requireLive(live, resource, target), patch, {
            apiVersion: apiVersionOf(resource),
            kind: resource.kind,
          }) as KubeObject
          break
        case 'application/apply-patch+yaml': {
          const manager = ctx.query.get('fieldManager')
          if (!manager) throw new HttpError(400, 'BadRequest', 'fieldManager is required for apply requests')
          const applied = applyServerSide(live, patch as KubeObject, {
            manager,
            force: isTrue(ctx.query.get('force')),
            now: timestamp(),
            kind: { apiVersion: apiVersionOf(resource), kind: resource.kind },
          })
          if (applied.conflicts.length > 0) {
            throw new HttpError(
              409,
              'Conflict',
              `Apply failed with ${applied.conflicts.length} conflict${applied.conflicts.length > 1 ? 's' : ''}: ${applied.conflicts.map((c) => `conflict with "${c.manager}": ${c.field}`).join(', ')}`,
            )
          }
          next = applied.object as KubeObject
          if (!live) {
            // Server-side apply creates what does not exist.
            next.metadata = {
              ...next.metadata,
              name: target.name!,
              ...(resource.namespaced ? { namespace: target.namespace! } : {}),
            }
            const created = applyDefaults(resource, {
              ...next,
              metadata: { ...next.metadata, uid: randomUUID(), creationTimestamp: timestamp() },
            })
            this.#validate(ctx, resource, created, null)
            const result = await this.#write(ctx, {
              op: 'create',
              resource: refOf(resource),
              object: this.#seal(resource, created),
            })
            this.#sendObject(ctx, resource, result.object!, 201)
            return
          }
          break
        }
        default:
          throw new HttpError(
            415,
            'UnsupportedMediaType',
            `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
          )
      }
      this.#checkIdentity(target, next)
      const object = applyDefaults(resource, next)
      this.#validate(ctx, resource, object, live, target.subresource === 'status' ? 'status' : null)
      const askedVersion = (patch as { metadata?: { resourceVersion?: string } } | null)?.metadata
        ?.resourceVersion
      try {
        const result = await this.#write(ctx, {
          op: 'update',
          resource: refOf(resource),
          object: this.#seal(resource, object),
          subresource: target.subresource === 'status' ? 'status' : null,
          expected: { resourceVersion: askedVersion ?? live!.metadata.resourceVersion },
          now: timestamp(),
        })
        this.#sendObject(ctx, resource, result.object!)
        return
      } catch (error) {
        const retry =
          error instanceof HttpError && error.status === 409 && !askedVersion && attempt < conflictRetriesMax
        if (!retry) throw error
      }
    }
  }

  async #delete(ctx: RequestContext, target: ResourceTarget): Promise<void> {
    const options = await this.#deleteOptions(ctx)
    const result = await this.#write(ctx, {
      op: 'delete',
      resource: refOf(target.resource),
      namespace: target.namespace ?? '',
      name: target.name!,
      propagation: options.propagation,
      expected: options.preconditions,
      now: timestamp(),
    })
    this.#sendObject(ctx, target.resource, result.object!)
  }

  async #deleteCollection(ctx: RequestContext, target: ResourceTarget): Promise<void> {
    const options = await this.#deleteOptions(ctx)
    await this.#host.ops.linearize()
    const filter = this.#filter(ctx, target.resource)
    const victims = this.#replica.state.objects
      .list(target.resource, target.namespace ?? undefined)
      .filter(filter)
    const now = timestamp()
    const commands: ApiCommand[] = victims.map((object) => ({
      op: 'delete',
      resource: refOf(target.resource),
      namespace: object.metadata.namespace ?? '',
      name: object.metadata.name ?? '',
      propagation: options.propagation,
      now,
    }))
    if (commands.length > 0) await this.#write(ctx, { op: 'batch', commands })
    ctx.send(200, {
      kind: target.resource.listKind,
      apiVersion: apiVersionOf(target.resource),
      metadata: {},
      items: victims.map((o) => this.#present(target.resource, o)),
    })
  }

  async #deleteOptions(ctx: RequestContext): Promise<{
    propagation: 'Background' | 'Foreground' | 'Orphan'
    preconditions?: { uid?: string; resourceVersion?: string }
  }> {
    const raw = (await ctx.body()).toString('utf8').trim()
    let body: {
      propagationPolicy?: string
      orphanDependents?: boolean
      preconditions?: { uid?: string; resourceVersion?: string }
    } = {}
    if (raw !== '') {
      try {
        body = JSON.parse(raw)
      } catch (error) {
        throw new HttpError(
          400,
          'BadRequest',
          `the DeleteOptions body is not valid JSON: ${(error as Error).message}`,
        )
      }
    }
    const policy =
      ctx.query.get('propagationPolicy') ??
      body.propagationPolicy ??
      (body.orphanDependents ? 'Orphan' : 'Background')
    if (!['Background', 'Foreground', 'Orphan'].includes(policy)) {
      throw new HttpError(
        400,
        'BadRequest',
        `propagationPolicy must be Background, Foreground or Orphan, not ${policy}`,
      )
    }
    return { propagation: policy as 'Background', preconditions: body.preconditions }
  }

  async #scale(ctx: RequestContext, target: ResourceTarget): Promise<void> {
    const resource = target.resource
    if (target.name === null) throw notFoundPath()
    if (ctx.method === 'GET') {
      await this.#readBarrier(ctx)
      const object = this.#stored(target, target.name)
      if (!object) throw notFound(resource, target.name)
      ctx.send(200, scaleOf(object))
      return
    }
    if (ctx.method !== 'PUT' && ctx.method !== 'PATCH')
      throw new HttpError(405, 'MethodNotAllowed', 'only get, update and patch on scale')
    const raw = (await ctx.body()).toString('utf8')
    const contentType = (ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim()
    for (let attempt = 0; ; attempt++) {
      await this.#host.ops.linearize()
      const current = this.#stored(target, target.name)
      if (!current) throw notFound(resource, target.name)
      let scale = scaleOf(current)
      if (ctx.method === 'PUT') scale = parseJson(raw) as typeof scale
      else if (contentType === 'application/json-patch+json')
        scale = applyJsonPatch(scale, parsePatchBody(contentType, raw) as never) as typeof scale
      else scale = applyMergePatch(scale, parsePatchBody(contentType, raw)) as typeof scale
      const replicas = (scale as { spec?: { replicas?: unknown } }).spec?.replicas
      if (!Number.isInteger(replicas) || (replicas as number) < 0) {
        throw new HttpError(
          422,
          'Invalid',
          `Scale.autoscaling "${target.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
        )
      }
      const askedVersion = (scale as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion
      const live = this.#present(resource, current)
      const next = { ...live, spec: { ...(live.spec as object), replicas } } as KubeObject
      try {
        const result = await this.#write(ctx, {
          op: 'update',
          resource: refOf(resource),
          object: this.#seal(resource, next),
          subresource: null,
          expected: {
            resourceVersion:
              ctx.method === 'PUT' && askedVersion ? askedVersion : current.metadata.resourceVersion,
          },
          now: timestamp(),
        })
        ctx.send(200, scaleOf(result.object!))
        return
      } catch (error) {
        const retry =
          error instanceof HttpError &&
          error.status === 409 &&
          ctx.method === 'PATCH' &&
          attempt < conflictRetriesMax
        if (!retry) throw error
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  /** Proposes a write (unless dry run) and turns the state machine's refusal into a Status. */
  /**
   * `POST pods/{name}/eviction` (kubectl drain): deletes the pod if its PodDisruptionBudget allows
   * one more disruption, spending it in the same atomic write; otherwise 429, and the client tries
   * again later. Budgets are read linearizably and the spend is preconditioned on the budget as
   * read, so concurrent evictions take turns instead of overspending it.
   */
  async #evict(ctx: RequestContext, target: ResourceTarget): Promise<void> {
    if (ctx.method !== 'POST' || target.name === null)
      throw new HttpError(405, 'MethodNotAllowed', 'an eviction is created with POST on pods/{name}/eviction')
    const body = await this.#decodedBody(ctx)
    if (body.kind !== undefined && body.kind !== 'Eviction')
      throw new HttpError(400, 'BadRequest', `the body of an eviction must be an Eviction, not ${body.kind}`)
    if (body.metadata?.name && body.metadata.name !== target.name) {
      throw new HttpError(
        400,
        'BadRequest',
        `name in URL does not match name in Eviction object: ${target.name} != ${body.metadata.name}`,
      )
    }
    await this.#host.ops.linearize()
    const pod = this.#stored(target, target.name)
    if (!pod) throw notFound(target.resource, target.name)
    const pdbs = this.#replica.state.objects.list(podDisruptionBudgetsResource, target.namespace ?? '')
    const plan = evictionPlan({ pod, pdbs, now: timestamp() })
    if (!plan.allowed) {
      throw new HttpError(plan.code, plan.code === 429 ? 'TooManyRequests' : 'InternalError', plan.message, {
        ...(plan.cause ? { causes: [{ reason: plan.cause.type, message: plan.cause.message }] } : {}),
      })
    }
    try {
      await this.#write(ctx, { op: 'batch', atomic: true, commands: plan.commands })
    } catch (error) {
      // The pod or its budget changed since it was read: the client asks again.
      if (error instanceof HttpError && error.status === 409)
        throw new HttpError(
          429,
          'TooManyRequests',
          'the pod or its disruption budget changed meanwhile; try again',
        )
      throw error
    }
    this.#host.logger.info({ pod: `${target.namespace}/${target.name}` }, 'pod evicted')
    ctx.send(201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 })
  }

  async #write(ctx: RequestContext, command: ApiCommand): Promise<Extract<ApiResult, { ok: true }>> {
    if (ctx.query.getAll('dryRun').includes('All')) {
      return { ok: true, object: 'object' in command ? (command.object as KubeObject) : null }
    }
    const { result } = await this.#host.ops.propose({ type: 'api', command })
    if (!result.ok) throw new HttpError(422, 'Invalid', 'message' in result ? result.message : result.code)
    const api = result.api
    if (!api) throw new HttpError(500, 'InternalError', 'the state machine gave no answer')
    if (!api.ok)
      throw new HttpError(api.code, api.reason, api.message, {
        name: api.details.name,
        group: api.details.group,
        kind: api.details.kind,
      })
    return api
  }

  /** The request body as an object (JSON, YAML or protobuf), within the size limit. */
  async #decodedBody(ctx: RequestContext): Promise<KubeObject> {
    const raw = await ctx.body()
    if (raw.length > objectBytesMax) {
      throw new HttpError(
        413,
        'RequestEntityTooLarge',
        `Request entity too large: limit is ${objectBytesMax}`,
      )
    }
    const contentType = (ctx.req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim()
    const body = decodeBody(contentType, raw) as KubeObject
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new HttpError(400, 'BadRequest', 'the request body must be a JSON object')
    }
    return body
  }

  async #body(ctx: RequestContext, resource: ResourceType): Promise<KubeObject> {
    const body = await this.#decodedBody(ctx)
    const expected = apiVersionOf(resource)
    if (body.kind !== undefined && body.kind !== resource.kind) {
      throw new HttpError(
        400,
        'BadRequest',
        `the API version in the data (${body.apiVersion}) does not match the expected API version (${expected}) or the kind (${body.kind}) is not ${resource.kind}`,
      )
    }
    if (body.apiVersion !== undefined && body.apiVersion !== expected) {
      throw new HttpError(
        400,
        'BadRequest',
        `the API version in the data (${body.apiVersion}) does not match the expected API version (${expected})`,
      )
    }
    if (typeof body.metadata !== 'object' || body.metadata === null) body.metadata = {}
    return { ...body, apiVersion: expected, kind: resource.kind }
  }

  #checkIdentity(target: ResourceTarget, object: KubeObject): void {
    if (object.metadata.name !== target.name) {
      throw new HttpError(
        400,
        'BadRequest',
        `the name of the object (${object.metadata.name}) does not match the name on the URL (${target.name})`,
      )
    }
    if (
      target.resource.namespaced &&
      target.namespace &&
      object.metadata.namespace &&
      object.metadata.namespace !== target.namespace
    ) {
      throw new HttpError(
        400,
        'BadRequest',
        'the namespace of the provided object does not match the namespace sent on the request',
      )
    }
    if (target.resource.namespaced && target.namespace) object.metadata.namespace = target.namespace
  }

  /** Strict/Warn/Ignore field validation, then the object's own rules (422 Invalid with causes). */
  #validate(
    ctx: RequestContext,
    resource: ResourceType,
    object: KubeObject,
    old: KubeObject | null,
    subresource: 'status' | null = null,
  ): void {
    const mismatches = typeMismatches(resource, object)
    if (mismatches.length > 0) throw new HttpError(400, 'BadRequest', mismatches.join('; '))
    const mode = ctx.query.get('fieldValidation') ?? 'Warn'
    if (mode !== 'Ignore') {
      const unknown = unknownFields(resource, object)
      if (unknown.length > 0 && mode === 'Strict') {
        const list = unknown.map((f) => `unknown field "${f}"`).join(', ')
        throw new HttpError(400, 'BadRequest', `strict decoding error: ${list}`)
      }
      if (unknown.length > 0) {
        ctx.res.setHeader(
          'warning',
          unknown.map((f) => `299 - "unknown field \\"${f}\\""`),
        )
      }
    }
    if (JSON.stringify(object).length > objectBytesMax) {
      throw new HttpError(
        413,
        'RequestEntityTooLarge',
        `Request entity too large: limit is ${objectBytesMax}`,
      )
    }
    const causes = validateObject(resource, object, {
      ...(old ? { update: old } : {}),
      ...(subresource ? { subresource } : {}),
    })
    if (causes.length > 0) {
      const status = invalidStatus(resource, object.metadata.name ?? '', causes)
      throw new HttpError(422, 'Invalid', status.message ?? 'invalid', status.details)
    }
  }

  #stored(target: ResourceTarget, name: string): KubeObject | undefined {
    return this.#replica.state.objects.get(
      target.resource,
      target.resource.namespaced ? (target.namespace ?? '') : '',
      name,
    )
  }

  /** A stored object as clients see it: Secrets decrypted, HPAs in the requested version. */
  #present(resource: ResourceType, object: KubeObject): KubeObject {
    const apiVersion = apiVersionOf(resource)
    const shown = object.apiVersion === apiVersion ? object : convertObject(object, apiVersion)
    return resource.kind === 'Secret' ? decryptSecret(shown, this.#host.secretsKey) : shown
  }

  /** An object as it is stored: Secrets encrypted with a fresh nonce. */
  #seal(resource: ResourceType, object: KubeObject): KubeObject {
    if (resource.kind === 'Secret') return encryptSecret(object, this.#host.secretsKey, randomBytes(12))
    const storage = apiVersionOf(storageResource(resource))
    return object.apiVersion === storage ? object : convertObject(object, storage)
  }

  #sendObject(ctx: RequestContext, resource: ResourceType, object: KubeObject, status = 200): void {
    const shown = this.#present(resource, object)
    if (tableAccept.test(ctx.req.headers.accept ?? '')) {
      ctx.send(
        status,
        toTable([shown], { kind: resource.kind, group: resource.group, wide: true, now: Date.now() }),
      )
    } else {
      ctx.send(status, shown)
    }
  }

  async #forward(ctx: RequestContext): Promise<void> {
    if (isTrue(ctx.query.get('watch'))) {
      const accept = ctx.req.headers.accept
      await this.#host.forwardStream(
        {
          method: 'GET',
          path: ctx.path,
          query: ctx.query.toString(),
          headers: accept ? { accept } : {},
          body: new Uint8Array(),
        },
        ctx.res,
      )
      return
    }
    const headers: Record<string, string> = {}
    for (const name of ['accept', 'content-type']) {
      const value = ctx.req.headers[name]
      if (typeof value === 'string') headers[name] = value
    }
    const response = await this.#host.forward({
      method: ctx.method,
      path: ctx.path,
      query: ctx.query.toString(),
      headers,
      body: await ctx.body(),
    })
    ctx.send(response.status, Buffer.from(response.body), response.headers)
  }
}

// ---------------------------------------------------------------- pure helpers

function refOf(resource: ResourceType): ResourceRef {
  return {
    group: resource.group,
    plural: resource.plural,
    kind: resource.kind,
    namespaced: resource.namespaced,
    hasStatus: resource.subresources.includes('status'),
  }
}

export function apiVersionOf(resource: Pick<ResourceType, 'group' | 'version'>): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`
}

function scaleOf(object: KubeObject): object {
  const spec = (object.spec ?? {}) as {
    replicas?: number
    selector?: { matchLabels?: Record<string, string> }
  }
  const status = (object.status ?? {}) as { replicas?: number }
  const selector = Object.entries(spec.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',')
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: object.metadata.name,
      namespace: object.metadata.namespace,
      uid: object.metadata.uid,
      resourceVersion: object.metadata.resourceVersion,
      creationTimestamp: object.metadata.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector },
  }
}

function requireLive(live: KubeObject | null, resource: ResourceType, target: ResourceTarget): KubeObject {
  if (!live) throw notFound(resource, target.name!)
  return live
}

/** A request body in any of the encodings kubectl sends: JSON, YAML, or Kubernetes protobuf. */
function decodeBody(contentType: string, raw: Buffer): unknown {
  if (isKubernetesProtobuf(contentType)) {
    try {
      return decodeKubernetesProtobuf(raw).object
    } catch (error) {
      if (error instanceof ProtobufError) throw new HttpError(415, 'UnsupportedMediaType', error.message)
      throw new HttpError(
        400,
        'BadRequest',
        `the protobuf request body is malformed: ${(error as Error).message}`,
      )
    }
  }
  const text = raw.toString('utf8')
  if (contentType === 'application/yaml') return parseYamlBody(text)
  if (contentType !== 'application/json' && contentType !== '') {
    throw new HttpError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`,
    )
  }
  return parseJson(text)
}

function parsePatchBody(contentType: string, raw: string): unknown {
  if (contentType === 'application/apply-patch+yaml') return parseYamlBody(raw)
  return parseJson(raw)
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new HttpError(400, 'BadRequest', `the request body is not valid JSON: ${(error as Error).message}`)
  }
}

function parseYamlBody(text: string): unknown {
  try {
    return parseYaml(text)
  } catch (error) {
    throw new HttpError(400, 'BadRequest', `the request body is not valid YAML: ${(error as Error).message}`)
  }
}

function notFound(resource: ResourceType, name: string): HttpError {
  return new HttpError(404, 'NotFound', `${describe(resource)} "${name}" not found`, {
    name,
    group: resource.group,
    kind: resource.plural,
  })
}

const notFoundPath = (): HttpError =>
  new HttpError(404, 'NotFound', 'the server could not find the requested resource')

function gone(message: string): object {
  return statusObject(410, 'Expired', message)
}

function statusObject(code: number, reason: string, message: string): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }
}

const isTrue = (value: string | null): boolean => value === 'true' || value === '1'

/** RFC 3339 with seconds, as Kubernetes writes timestamps. */
export function timestamp(ms = Date.now()): string {
  return formatTime(ms)
}

/** Kubernetes' generateName alphabet: no vowels, no look-alike digits. */
const suffixAlphabet = 'bcdfghjklmnpqrstvwxz2456789'

export function randomSuffix(): string {
  const bytes = randomBytes(5)
  return [...bytes].map((b) => suffixAlphabet[b % suffixAlphabet.length]).join('')
}

export type { ServerResponse }

/**
 * The node a pods watch wants only pods of (a kubelet's `spec.nodeName=NAME` selector), so the
 * hub asks it only about those; {} for any other watch. The selector was checked by #filter.
 */
function boundTo(resource: ResourceType, fieldSelector: string): { nodeName?: string } {
  if (resource.group !== '' || resource.kind !== 'Pod') return {}
  const node = parseFieldSelector(fieldSelector).find(
    (r) => r.field === 'spec.nodeName' && r.operator === '=',
  )
  return node && node.value !== '' ? { nodeName: node.value } : {}
}
