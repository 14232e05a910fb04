// The HTTPS client of the coxswain API, used by the `cox` CLI, the benchmarks and the tests. Owns
// one keep-alive connection pool per client (benchmarks push many concurrent requests through one
// client), the bearer token, the trust in the cluster CA, per-request deadlines, and turning
// failures to connect into errors that say which server could not be reached and what to check.
// It knows nothing of the API's paths or objects: callers build those.

import type { IncomingHttpHeaders } from 'node:http'
import { Agent, request as httpsRequest } from 'node:https'
import { type ResolveKubeconfigOptions, resolveKubeconfig } from './kubeconfig.ts'

export const requestTimeoutMsDefault = 30_000
/** Connections to the server kept by one client; requests beyond wait in the agent's queue. */
export const socketsMaxDefault = 64
/** A response larger than this is cut off with an error rather than filling memory. */
export const responseBytesMaxDefault = 256 * 1024 * 1024
/** Shown from a response that should have been JSON and was not. */
const bodyExcerptLength = 200

/** Methods that may be sent again when a kept-alive connection turns out to have been closed. */
const retryableMethods: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS'])
const certificateErrorCodes: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

export interface ApiClientOptions {
  /** The API server's URL, `https://HOST:PORT`, optionally with a path prefix. */
  readonly server: string
  /** The CA to trust (PEM); null trusts the system's roots. */
  readonly caPem: string | null
  /** Sent as `Authorization: Bearer TOKEN`; null sends none. */
  readonly token: string | null
  /** Skip certificate verification (kubeconfig `insecure-skip-tls-verify`). */
  readonly insecure?: boolean
  readonly timeoutMs?: number
  readonly socketsMax?: number
  readonly responseBytesMax?: number
}

export interface RequestOptions {
  /** Bytes and strings are sent as they are; any other object as JSON. */
  readonly body?: Uint8Array | string | object
  readonly headers?: Readonly<Record<string, string>>
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
}

export interface ApiResponse {
  readonly status: number
  /** Header names in lower case; repeated headers joined with ", ". */
  readonly headers: Record<string, string>
  readonly body: Buffer
  json<T>(): T
  text(): string
}

/** A response whose body is read as it arrives (`ApiClient.stream`). */
export interface ApiStream {
  readonly status: number
  /** Header names in lower case; repeated headers joined with ", ". */
  readonly headers: Record<string, string>
  /** The body's chunks as they arrive; the iteration ends when the server ends the response. */
  readonly body: AsyncIterable<Buffer>
  /** Stops reading and drops the connection. */
  close(): void
}

/** A watch line longer than this is not one the server sends (objects are at most 1.5 MiB). */
export const watchLineBytesMax = 16 * 1024 * 1024

export class WatchLineTooLargeError extends Error {
  static override readonly name = 'WatchLineTooLargeError'
  constructor() {
    super(`a watch event is longer than ${watchLineBytesMax} bytes`)
    this.name = 'WatchLineTooLargeError'
  }
}

/**
 * The JSON values of a body of newline-separated JSON (a watch: one event per line), as they
 * arrive. Blank lines are skipped; more than `watchLineBytesMax` pending is an error.
 */
export async function* jsonLines(body: AsyncIterable<Buffer>): AsyncGenerator<unknown> {
  let pending = ''
  for await (const chunk of body) {
    pending += chunk.toString('utf8')
    if (pending.length > watchLineBytesMax) throw new WatchLineTooLargeError()
    let newline = pending.indexOf('\n')
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim()
      pending = pending.slice(newline + 1)
      newline = pending.indexOf('\n')
      if (line !== '') yield JSON.parse(line)
    }
  }
}

/** The request never got an answer because of the connection: refused, reset, TLS, DNS. */
export class ApiUnreachableError extends Error {
  override readonly name = 'ApiUnreachableError'
  readonly server: string
  /** The system or TLS error code, e.g. ECONNREFUSED or ERR_TLS_CERT_ALTNAME_INVALID. */
  readonly code: string | undefined
  /** Whether the whole request had been sent: if so, the server may have acted on it. */
  readonly requestSent: boolean

  constructor(server: string, cause: NodeJS.ErrnoException, requestSent: boolean) {
    super(unreachableMessage(server, cause), { cause })
    this.server = server
    this.code = cause.code
    this.requestSent = requestSent
  }
}

/** No complete answer within the deadline. A write may or may not have happened. */
export class ApiTimeoutError extends Error {
  override readonly name = 'ApiTimeoutError'
  readonly server: string
  readonly timeoutMs: number
  readonly requestSent: boolean

  constructor(server: string, method: string, path: string, timeoutMs: number, requestSent: boolean) {
    super(
      `${method} ${path} on the API server at ${server} got no answer within ${timeoutMs} ms: ` +
        `the server may be overloaded or without a leader; a write may or may not have happened`,
    )
    this.server = server
    this.timeoutMs = timeoutMs
    this.requestSent = requestSent
  }
}

export class ApiClient {
  readonly server: string
  readonly #base: URL
  readonly #token: string | null
  readonly #timeoutMs: number
  readonly #responseBytesMax: number
  readonly #agent: Agent
  /**
   * Streams (watches) get connections of their own, not counted against socketsMax: each holds
   * its connection for as long as it lasts, and a thousand watches (hollow kubelets) sharing the
   * requests' pool would take every socket and leave the requests queued behind them for ever.
   */
  readonly #streamAgent: Agent

  static async fromKubeconfig(
    options: ResolveKubeconfigOptions & Pick<ApiClientOptions, 'timeoutMs' | 'socketsMax'> = {},
  ): Promise<ApiClient> {
    const resolved = await resolveKubeconfig(options)
    return new ApiClient({ ...resolved, timeoutMs: options.timeoutMs, socketsMax: options.socketsMax })
  }

  constructor(options: ApiClientOptions) {
    let base: URL
    try {
      base = new URL(options.server)
    } catch {
      throw new Error(`the API server "${options.server}" is not a URL: use https://HOST:PORT`)
    }
    if (base.protocol !== 'https:') {
      throw new Error(`the API server "${options.server}" is not an https:// URL: coxswain serves HTTPS only`)
    }
    this.server = options.server
    this.#base = base
    this.#token = options.token
    this.#timeoutMs = positive(options.timeoutMs ?? requestTimeoutMsDefault, 'timeoutMs')
    this.#responseBytesMax = positive(options.responseBytesMax ?? responseBytesMaxDefault, 'responseBytesMax')
    const tls = { ca: options.caPem ?? undefined, rejectUnauthorized: options.insecure !== true }
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: positive(options.socketsMax ?? socketsMaxDefault, 'socketsMax'),
      ...tls,
    })
    this.#streamAgent = new Agent({ keepAlive: false, ...tls })
  }

  /** The method, body and headers of a request: the token, the body's type and length, the caller's headers. */
  #prepare(
    what: string,
    method: string,
    path: string,
    options: RequestOptions,
  ): { upper: string; body: Uint8Array | undefined; headers: Record<string, string> } {
    if (!path.startsWith('/')) throw new Error(`ApiClient.${what}: the path "${path}" must start with "/"`)
    const { body, contentType } = encodeBody(options.body)
    const headers: Record<string, string> = { accept: 'application/json' }
    if (this.#token !== null) headers.authorization = `Bearer ${this.#token}`
    if (contentType !== undefined) headers['content-type'] = contentType
    if (body !== undefined) headers['content-length'] = String(body.byteLength)
    for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value
    return { upper: method.toUpperCase(), body, headers }
  }

  /** `path` starts with `/` and may carry a query string; it is appended to the server's path prefix. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const { upper, body, headers } = this.#prepare('request', method, path, options)
    const attempt = () => this.#send(upper, path, headers, body, options)
    try {
      return await attempt()
    } catch (error) {
      // The server closed a kept-alive connection just as this request went out on it.
      if (error instanceof StaleConnectionError && retryableMethods.has(upper)) return attempt()
      throw error instanceof StaleConnectionError ? error.unreachable : error
    }
  }

  /**
   * Sends a request and answers as soon as the response headers arrive, with the body as a stream
   * (a watch). The deadline covers only the wait for the headers; `close()` ends the stream.
   */
  async stream(method: string, path: string, options: RequestOptions = {}): Promise<ApiStream> {
    const { upper, body, headers } = this.#prepare('stream', method, path, options)
    const timeoutMs = positive(options.timeoutMs ?? this.#timeoutMs, 'timeoutMs')
    const prefix = this.#base.pathname.replace(/\/+$/, '')
    const { promise, resolve, reject } = Promise.withResolvers<ApiStream>()
    options.signal?.throwIfAborted()
    const request = httpsRequest({
      agent: this.#streamAgent,
      protocol: 'https:',
      hostname: this.#base.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: this.#base.port || 443,
      method: upper,
      path: prefix + path,
      headers,
    })
    const timer = setTimeout(() => {
      request.destroy(new ApiTimeoutError(this.server, upper, path, timeoutMs, request.writableFinished))
    }, timeoutMs)
    const onAbort = () => request.destroy(options.signal?.reason)
    options.signal?.addEventListener('abort', onAbort, { once: true })
    request.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      if (error instanceof ApiTimeoutError || error === options.signal?.reason) return reject(error)
      reject(
        typeof error.code === 'string'
          ? new ApiUnreachableError(this.server, error, request.writableFinished)
          : error,
      )
    })
    request.on('response', (response) => {
      clearTimeout(timer)
      const responseHeaders: Record<string, string> = {}
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value
      }
      response.once('close', () => options.signal?.removeEventListener('abort', onAbort))
      resolve({
        status: response.statusCode ?? 0,
        headers: responseHeaders,
        body: response,
        close: () => request.destroy(),
      })
    })
    request.end(body)
    return promise
  }

  /** Closes every pooled connection; requests in flight fail. */
  close(): void {
    this.#agent.destroy()
    this.#streamAgent.destroy()
  }

  #send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Uint8Array | undefined,
    options: RequestOptions,
  ): Promise<ApiResponse> {
    const timeoutMs = positive(options.timeoutMs ?? this.#timeoutMs, 'timeoutMs')
    const prefix = this.#base.pathname.replace(/\/+$/, '')
    const { promise, resolve, reject } = Promise.withResolvers<ApiResponse>()
    options.signal?.throwIfAborted()
    const request = httpsRequest({
      agent: this.#agent,
      protocol: 'https:',
      hostname: this.#base.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: this.#base.port || 443,
      method,
      path: prefix + path,
      headers,
    })
    const timer = setTimeout(() => {
      request.destroy(new ApiTimeoutError(this.server, method, path, timeoutMs, request.writableFinished))
    }, timeoutMs)
    const onAbort = () => request.destroy(options.signal?.reason)
    options.signal?.addEventListener('abort', onAbort, { once: true })
    const settle = () => {
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
    }
    let responded = false
    const fail = (error: NodeJS.ErrnoException) => {
      settle()
      if (error instanceof ApiTimeoutError || error === options.signal?.reason) return reject(error)
      if (typeof error.code !== 'string') return reject(error)
      const unreachable = new ApiUnreachableError(this.server, error, request.writableFinished)
      if (request.reusedSocket && error.code === 'ECONNRESET' && !responded) {
        reject(new StaleConnectionError(unreachable))
      } else reject(unreachable)
    }
    request.on('error', fail)
    request.on('response', (response) => {
      responded = true
      // A connection lost halfway through the response fails the response, not the request.
      response.on('error', fail)
      const chunks: Buffer[] = []
      let bytes = 0
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.byteLength
        if (bytes > this.#responseBytesMax) {
          request.destroy(
            new Error(
              `${method} ${path}: the response from ${this.server} is larger than ${this.#responseBytesMax} bytes`,
            ),
          )
          return
        }
        chunks.push(chunk)
      })
      response.on('end', () => {
        settle()
        resolve(apiResponse(response.statusCode ?? 0, response.headers, Buffer.concat(chunks), method, path))
      })
    })
    request.end(body)
    return promise
  }
}

/** Internal: a reset on a reused connection, which the caller may retry once. */
class StaleConnectionError extends Error {
  readonly unreachable: ApiUnreachableError
  constructor(unreachable: ApiUnreachableError) {
    super(unreachable.message)
    this.unreachable = unreachable
  }
}

function apiResponse(
  status: number,
  rawHeaders: IncomingHttpHeaders,
  body: Buffer,
  method: string,
  path: string,
): ApiResponse {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(rawHeaders)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return {
    status,
    headers,
    body,
    text: () => body.toString('utf8'),
    json<T>(): T {
      try {
        return JSON.parse(body.toString('utf8')) as T
      } catch {
        const excerpt = body.toString('utf8', 0, bodyExcerptLength)
        throw new Error(`${method} ${path} answered ${status} with a body that is not JSON: ${excerpt}`)
      }
    },
  }
}

function encodeBody(body: RequestOptions['body']): { body?: Uint8Array; contentType?: string } {
  if (body === undefined) return {}
  if (body instanceof Uint8Array) return { body }
  if (typeof body === 'string') return { body: Buffer.from(body, 'utf8') }
  return { body: Buffer.from(JSON.stringify(body), 'utf8'), contentType: 'application/json' }
}

function unreachableMessage(server: string, cause: NodeJS.ErrnoException): string {
  const what = `cannot reach the API server at ${server} (${cause.message})`
  if (cause.code !== undefined && certificateErrorCodes.has(cause.code)) {
    return (
      `${what}: its certificate was not accepted; check that the kubeconfig's certificate authority ` +
      `belongs to this cluster and that the server address is one the certificate was issued for`
    )
  }
  if (cause.code === 'ENOTFOUND' || cause.code === 'EAI_AGAIN') {
    return `${what}: the host name does not resolve; check the server address in the kubeconfig`
  }
  return `${what}: check that the agent is running and serving its API there, and that the kubeconfig points at it`
}

function positive(value: number, name: string): number {
  if (!(value > 0)) throw new Error(`ApiClient: ${name} must be a positive number, not ${value}`)
  return value
}
