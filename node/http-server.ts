// A small HTTPS server toolkit on node:https, on which the agent registers its API (Kubernetes REST
// paths, the key-value endpoint, health, metrics). Owns what every route needs alike, so that
// handlers hold only their own logic: routing by method and path pattern, bearer-token
// authentication and the read/admin rights check, request bodies within a size limit, a
// per-server request-rate limit, errors as Kubernetes `Status` objects (what kubectl expects to
// read), a debug line per request, and closing every connection on shutdown.
//
// Patterns are `/`-separated segments: a literal, `:name` (one segment) or `*name` (the rest of
// the path, slashes included; last only). Parameters are percent-decoded. When several patterns
// match, the most specific wins: literal over `:name` over `*name`, segment by segment from the left.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Logger } from './logger.ts'

export const bodyBytesMaxDefault = 3 * 1024 * 1024
/** The request-rate limit: tokens added per second, and the bucket's size (the burst allowed). */
export const requestsPerSecondDefault = 50_000
export const requestBurstDefault = 10_000
/** Longer than a client's idle pool timeout would be pointless; shorter makes clients reconnect. */
export const keepAliveTimeoutMsDefault = 30_000
/** Logged and observed for a request whose client left before the response was out (nginx's 499). */
export const clientClosedStatus = 499
/** How long close() lets requests in flight finish before it cuts their connections. */
export const closeGraceMsDefault = 2_000

/** The `reason` values of Kubernetes' Status objects (k8s.io/apimachinery metav1.StatusReason). */
export const StatusReason = {
  BadRequest: 'BadRequest',
  Unauthorized: 'Unauthorized',
  Forbidden: 'Forbidden',
  NotFound: 'NotFound',
  MethodNotAllowed: 'MethodNotAllowed',
  AlreadyExists: 'AlreadyExists',
  Conflict: 'Conflict',
  Gone: 'Gone',
  // Kubernetes has no reason for 412; this one says what happened.
  PreconditionFailed: 'PreconditionFailed',
  RequestEntityTooLarge: 'RequestEntityTooLarge',
  UnsupportedMediaType: 'UnsupportedMediaType',
  Invalid: 'Invalid',
  TooManyRequests: 'TooManyRequests',
  InternalError: 'InternalError',
  ServiceUnavailable: 'ServiceUnavailable',
  Timeout: 'Timeout',
} as const
export type StatusReason = (typeof StatusReason)[keyof typeof StatusReason]

export interface StatusCause {
  readonly reason?: string
  readonly message?: string
  readonly field?: string
}

export interface StatusDetails {
  readonly name?: string
  readonly group?: string
  readonly kind?: string
  readonly uid?: string
  readonly causes?: readonly StatusCause[]
  /** Also sent as the Retry-After header, as the Kubernetes API server does. */
  readonly retryAfterSeconds?: number
}

export interface Status {
  readonly kind: 'Status'
  readonly apiVersion: 'v1'
  readonly metadata: Record<string, never>
  readonly status: 'Failure'
  readonly message: string
  readonly reason: string
  readonly code: number
  readonly details?: StatusDetails
}

export function statusBody(code: number, reason: string, message: string, details?: StatusDetails): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
    ...(details === undefined ? {} : { details }),
  }
}

/** Thrown by a handler (or the toolkit) to answer with this status and a Status body. */
export class HttpError extends Error {
  override readonly name = 'HttpError'
  readonly status: number
  readonly reason: string
  readonly details: StatusDetails | undefined

  constructor(status: number, reason: string, message: string, details?: StatusDetails) {
    super(message)
    this.status = status
    this.reason = reason
    this.details = details
  }
}

export type Principal = 'admin' | 'read'
export type RouteAuth = 'none' | Principal

export interface RequestContext {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly method: string
  /** The path as sent, without the query string, not decoded. */
  readonly path: string
  /** The route's `:name` and `*name` parameters, percent-decoded. */
  readonly params: Record<string, string>
  readonly query: URLSearchParams
  readonly principal: Principal | null
  /** The whole body; more than bodyBytesMax answers 413. Can be called again. */
  body(): Promise<Buffer>
  /** The body parsed as JSON; an empty or malformed body answers 400. */
  json<T>(): Promise<T>
  /** Answers: bytes as application/octet-stream, strings as text/plain, objects as JSON. */
  send(status: number, body: string | Uint8Array | object, headers?: Readonly<Record<string, string>>): void
}

export type Handler = (ctx: RequestContext) => Promise<void> | void

export interface RouteOptions {
  /** Who may call the route; default 'admin', so that a route nobody thought about is not open. */
  readonly auth?: RouteAuth
}

export interface RequestObservation {
  readonly method: string
  /** The route's pattern, or 'unmatched': a label with few values, unlike the path. */
  readonly route: string
  readonly code: number
  readonly durationSeconds: number
}

export interface HttpServerOptions {
  readonly cert: string
  readonly key: string
  readonly host: string
  /** 0 picks a free port; listen() says which. */
  readonly port: number
  readonly bodyBytesMax?: number
  readonly logger: Logger
  /**
   * Maps the bearer token (null when none was sent) to the caller's rights, or null for none. Without
   * it authentication is off and every request has admin rights (tests, a sandbox).
   */
  readonly authenticate?: (token: string | null, req: IncomingMessage) => Principal | null
  readonly requestsPerSecond?: number
  readonly requestBurst?: number
  readonly keepAliveTimeoutMs?: number
  readonly closeGraceMs?: number
  /** Called once per finished request, e.g. to feed a duration histogram. */
  readonly observeRequest?: (observation: RequestObservation) => void
}

type Segment =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'rest'; readonly name: string }

interface Route {
  readonly method: string
  readonly pattern: string
  readonly segments: readonly Segment[]
  readonly handler: Handler
  readonly auth: RouteAuth
}

/** Method labels beyond these are reported as OTHER, so a client cannot mint label values. */
const knownMethods: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
])
const segmentRank = { literal: 2, param: 1, rest: 0 } as const

export class HttpServer {
  readonly #options: HttpServerOptions
  readonly #logger: Logger
  readonly #bodyBytesMax: number
  readonly #routes: Route[] = []
  readonly #server: Server
  readonly #bucket: TokenBucket

  constructor(options: HttpServerOptions) {
    this.#options = options
    this.#logger = options.logger
    this.#bodyBytesMax = positive(options.bodyBytesMax ?? bodyBytesMaxDefault, 'bodyBytesMax')
    this.#bucket = tokenBucket(
      positive(options.requestsPerSecond ?? requestsPerSecondDefault, 'requestsPerSecond'),
      positive(options.requestBurst ?? requestBurstDefault, 'requestBurst'),
    )
    this.#server = createServer(
      { cert: options.cert, key: options.key, minVersion: 'TLSv1.2' },
      (req, res) => {
        void this.#handle(req, res)
      },
    )
    this.#server.keepAliveTimeout = positive(
      options.keepAliveTimeoutMs ?? keepAliveTimeoutMsDefault,
      'keepAliveTimeoutMs',
    )
    this.#server.on('tlsClientError', (error) => {
      this.#logger.debug({ err: error }, 'TLS handshake failed')
    })
  }

  route(method: string, pattern: string, handler: Handler, options: RouteOptions = {}): void {
    const upper = method.toUpperCase()
    const segments = parsePattern(pattern)
    const same = this.#routes.find((route) => route.method === upper && samePattern(route.segments, segments))
    if (same !== undefined) {
      throw new Error(`route ${upper} ${pattern} is already registered (as ${same.pattern})`)
    }
    this.#routes.push({ method: upper, pattern, segments, handler, auth: options.auth ?? 'admin' })
  }

  async listen(): Promise<{ host: string; port: number }> {
    const { host, port } = this.#options
    const { promise, resolve, reject } = Promise.withResolvers<void>()
    const onError = (error: NodeJS.ErrnoException) => {
      const hint =
        error.code === 'EADDRINUSE'
          ? 'another process uses that port: choose another with --api or stop that process'
          : 'check the --api address'
      reject(
        new Error(`cannot serve the API on ${host}:${port} (${error.message}): ${hint}`, { cause: error }),
      )
    }
    this.#server.once('error', onError)
    this.#server.listen(port, host, () => resolve())
    await promise
    this.#server.off('error', onError)
    this.#server.on('error', (error) => this.#logger.error({ err: error }, 'API server error'))
    if (this.#options.authenticate === undefined) {
      this.#logger.warn({}, 'API authentication is off: every request has admin rights')
    }
    const address = this.#server.address() as AddressInfo
    return { host: address.address, port: address.port }
  }

  /** Stops accepting, closes idle connections now and busy ones after the grace period. */
  async close(): Promise<void> {
    if (!this.#server.listening) return
    const { promise, resolve } = Promise.withResolvers<void>()
    this.#server.close(() => resolve())
    this.#server.closeIdleConnections()
    const grace = setTimeout(
      () => this.#server.closeAllConnections(),
      this.#options.closeGraceMs ?? closeGraceMsDefault,
    )
    await promise
    clearTimeout(grace)
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startMs = performance.now()
    const method = req.method ?? 'GET'
    const url = req.url ?? '/'
    const queryAt = url.indexOf('?')
    const path = queryAt === -1 ? url : url.slice(0, queryAt)
    let routeLabel = 'unmatched'
    res.once('close', () => {
      const code = res.writableFinished ? res.statusCode : clientClosedStatus
      this.#finished(method, path, routeLabel, code, startMs)
    })
    try {
      const waitMs = this.#bucket.take(performance.now())
      if (waitMs > 0) {
        const retryAfterSeconds = Math.ceil(waitMs / 1000)
        const message = 'too many requests to this server: retry later'
        throw new HttpError(429, StatusReason.TooManyRequests, message, { retryAfterSeconds })
      }
      const { route, params } = this.#match(method, path, res)
      routeLabel = route.pattern
      const principal = this.#authorize(route, req)
      const ctx = this.#context(req, res, method, path, params, url.slice(path.length + 1), principal)
      await route.handler(ctx)
      if (!res.headersSent) {
        throw new Error(`the handler of ${method} ${route.pattern} returned without answering`)
      }
      if (!res.writableEnded) res.end()
    } catch (error) {
      this.#fail(req, res, error, method, path)
    }
  }

  #match(
    method: string,
    path: string,
    res: ServerResponse,
  ): { route: Route; params: Record<string, string> } {
    if (!path.startsWith('/')) {
      throw new HttpError(400, StatusReason.BadRequest, `the path "${path}" is not absolute`)
    }
    const parts = path.split('/').slice(1)
    const matches: { route: Route; params: Record<string, string> }[] = []
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, parts)
      if (params !== undefined) matches.push({ route, params })
    }
    if (matches.length === 0) {
      throw new HttpError(
        404,
        StatusReason.NotFound,
        `the server could not find the requested resource (${path})`,
      )
    }
    // HEAD is answered by the GET route; Node leaves the body out.
    const wanted = method === 'HEAD' ? ['HEAD', 'GET'] : [method]
    const candidates = matches.filter((match) => wanted.includes(match.route.method))
    if (candidates.length === 0) {
      const allowed = [...new Set(matches.map((match) => match.route.method))].sort().join(', ')
      res.setHeader('allow', allowed)
      throw new HttpError(
        405,
        StatusReason.MethodNotAllowed,
        `${method} is not supported on ${path}: use ${allowed}`,
      )
    }
    candidates.sort((a, b) => compareSpecificity(b.route.segments, a.route.segments))
    return candidates[0]!
  }

  #authorize(route: Route, req: IncomingMessage): Principal | null {
    const authenticate = this.#options.authenticate
    if (authenticate === undefined) return 'admin'
    const principal = authenticate(bearerToken(req), req)
    if (route.auth === 'none') return principal
    if (principal === null) {
      throw new HttpError(
        401,
        StatusReason.Unauthorized,
        'missing or invalid bearer token: use the token in the kubeconfig the bootstrap node wrote',
      )
    }
    if (route.auth === 'admin' && principal !== 'admin') {
      throw new HttpError(
        403,
        StatusReason.Forbidden,
        `${req.method} ${route.pattern} needs an admin token; this token may only read`,
      )
    }
    return principal
  }

  #context(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    path: string,
    params: Record<string, string>,
    queryText: string,
    principal: Principal | null,
  ): RequestContext {
    let body: Promise<Buffer> | undefined
    const readBody = () => {
      body ??= readRequestBody(req, this.#bodyBytesMax)
      return body
    }
    return {
      req,
      res,
      method,
      path,
      params,
      query: new URLSearchParams(queryText),
      principal,
      body: readBody,
      json: async <T>() => parseJson<T>(await readBody()),
      send: (status, payload, headers) => send(req, res, status, payload, headers),
    }
  }

  #fail(req: IncomingMessage, res: ServerResponse, error: unknown, method: string, path: string): void {
    if (res.destroyed || req.socket.destroyed) {
      // The client left (e.g. halfway through its body): nobody to answer, nothing went wrong here.
      this.#logger.debug({ err: error, method, path }, 'client closed the connection before the answer')
      return
    }
    if (res.headersSent) {
      // Too late for a Status: cutting the connection is the only way left to say it failed.
      this.#logger.error({ err: error, method, path }, 'request failed after its response had started')
      res.destroy()
      return
    }
    if (error instanceof HttpError) {
      const headers: Record<string, string> = {}
      if (error.details?.retryAfterSeconds !== undefined) {
        headers['retry-after'] = String(error.details.retryAfterSeconds)
      }
      if (error.status === 401) headers['www-authenticate'] = 'Bearer'
      send(
        req,
        res,
        error.status,
        statusBody(error.status, error.reason, error.message, error.details),
        headers,
      )
      return
    }
    this.#logger.error({ err: error, method, path }, 'request handler failed')
    const message = `Internal error occurred: ${error instanceof Error ? error.message : String(error)}`
    send(req, res, 500, statusBody(500, StatusReason.InternalError, message))
  }

  #finished(method: string, path: string, route: string, code: number, startMs: number): void {
    const ms = performance.now() - startMs
    this.#logger.debug({ method, path, status: code, ms: Math.round(ms * 10) / 10 }, 'request')
    this.#options.observeRequest?.({
      method: knownMethods.has(method) ? method : 'OTHER',
      route,
      code,
      durationSeconds: ms / 1000,
    })
  }
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  payload: string | Uint8Array | object,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent) {
    throw new Error(`a response (${res.statusCode}) was already sent for ${req.method} ${req.url}`)
  }
  let bytes: Uint8Array
  let contentType: string
  if (payload instanceof Uint8Array) {
    bytes = payload
    contentType = 'application/octet-stream'
  } else if (typeof payload === 'string') {
    bytes = Buffer.from(payload, 'utf8')
    contentType = 'text/plain; charset=utf-8'
  } else {
    bytes = Buffer.from(JSON.stringify(payload), 'utf8')
    contentType = 'application/json'
  }
  const lowered = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  )
  // A body left unread (too large, or of no interest) is not drained: the connection closes instead.
  if (!req.complete) lowered.connection = 'close'
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': String(bytes.byteLength),
    ...lowered,
  })
  res.end(bytes)
}

/** A body over the limit but under this is drained before the 413 is sent (see readRequestBody). */
export const bodyDrainBytesMax = 64 * 1024 * 1024

function readRequestBody(req: IncomingMessage, bytesMax: number): Promise<Buffer> {
  const tooLarge = () =>
    new HttpError(
      413,
      StatusReason.RequestEntityTooLarge,
      `the request body is larger than ${bytesMax} bytes: send less (objects are limited in size)`,
    )
  // A body somewhat too large is read to its end and thrown away, so that the client, still
  // writing, gets the 413 instead of a broken pipe; a huge one closes the connection at once.
  const declared = Number(req.headers['content-length'])
  if (declared > bodyDrainBytesMax) return Promise.reject(tooLarge())
  const { promise, resolve, reject } = Promise.withResolvers<Buffer>()
  let chunks: Buffer[] = []
  let bytes = 0
  let over = declared > bytesMax
  const onData = (chunk: Buffer) => {
    bytes += chunk.byteLength
    if (bytes > bytesMax) {
      over = true
      chunks = []
    }
    if (!over) {
      chunks.push(chunk)
    } else if (bytes > bodyDrainBytesMax) {
      req.off('data', onData)
      req.pause()
      reject(tooLarge())
    }
  }
  req.on('data', onData)
  req.once('end', () => (over ? reject(tooLarge()) : resolve(Buffer.concat(chunks))))
  req.once('error', reject)
  req.once('close', () => {
    if (!req.complete) {
      reject(new HttpError(400, StatusReason.BadRequest, 'the client closed before the whole body came'))
    }
  })
  return promise
}

function parseJson<T>(body: Buffer): T {
  if (body.byteLength === 0) {
    throw new HttpError(400, StatusReason.BadRequest, 'the request body is empty: send JSON')
  }
  try {
    return JSON.parse(body.toString('utf8')) as T
  } catch (error) {
    throw new HttpError(
      400,
      StatusReason.BadRequest,
      `the request body is not valid JSON (${(error as Error).message}): send a JSON document`,
    )
  }
}

function bearerToken(req: IncomingMessage): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')
  return match ? match[1]! : null
}

function parsePattern(pattern: string): Segment[] {
  if (!pattern.startsWith('/')) throw new Error(`route pattern "${pattern}" must start with "/"`)
  const segments = pattern
    .split('/')
    .slice(1)
    .map((part): Segment => {
      if (part.startsWith(':')) return { kind: 'param', name: part.slice(1) }
      if (part.startsWith('*')) return { kind: 'rest', name: part.slice(1) }
      return { kind: 'literal', value: part }
    })
  const names = segments.flatMap((segment) => (segment.kind === 'literal' ? [] : [segment.name]))
  if (names.some((name) => name === '') || new Set(names).size !== names.length) {
    throw new Error(`route pattern "${pattern}" has an unnamed or repeated parameter`)
  }
  const restAt = segments.findIndex((segment) => segment.kind === 'rest')
  if (restAt !== -1 && restAt !== segments.length - 1) {
    throw new Error(`route pattern "${pattern}": a *name parameter must be the last segment`)
  }
  return segments
}

/** The decoded parameters when `parts` (the path's raw segments) match, else undefined. */
function matchSegments(
  segments: readonly Segment[],
  parts: readonly string[],
): Record<string, string> | undefined {
  const params: Record<string, string> = {}
  for (const [i, segment] of segments.entries()) {
    const part = parts[i]
    if (part === undefined) return undefined
    if (segment.kind === 'rest') {
      const rest = parts.slice(i).join('/')
      if (rest === '') return undefined
      params[segment.name] = decode(rest)
      return params
    }
    if (segment.kind === 'param') {
      if (part === '') return undefined
      params[segment.name] = decode(part)
    } else if (decode(part) !== segment.value) {
      return undefined
    }
  }
  return parts.length === segments.length ? params : undefined
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw new HttpError(
      400,
      StatusReason.BadRequest,
      `the path segment "${part}" is not valid percent-encoding`,
    )
  }
}

function compareSpecificity(a: readonly Segment[], b: readonly Segment[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const difference = segmentRank[a[i]!.kind] - segmentRank[b[i]!.kind]
    if (difference !== 0) return difference
  }
  return a.length - b.length
}

function samePattern(a: readonly Segment[], b: readonly Segment[]): boolean {
  return (
    a.length === b.length &&
    a.every((segment, i) => {
      const other = b[i]!
      return (
        segment.kind === other.kind &&
        (segment.kind !== 'literal' || segment.value === (other as typeof segment).value)
      )
    })
  )
}

interface TokenBucket {
  /** Takes a token: 0 when one was there, else the milliseconds until the next one. */
  take(nowMs: number): number
}

function tokenBucket(perSecond: number, size: number): TokenBucket {
  let tokens = size
  let lastMs = performance.now()
  return {
    take(nowMs) {
      tokens = Math.min(size, tokens + ((nowMs - lastMs) * perSecond) / 1000)
      lastMs = nowMs
      if (tokens >= 1) {
        tokens -= 1
        return 0
      }
      return ((1 - tokens) * 1000) / perSecond
    },
  }
}

function positive(value: number, name: string): number {
  if (!(value > 0)) throw new Error(`HttpServer: ${name} must be a positive number, not ${value}`)
  return value
}
