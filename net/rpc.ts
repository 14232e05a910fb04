// Request/response with deadlines on top of a message transport (the mesh's RPC channel): requests
// and replies are frames matched by id, so every call to a peer shares the one long-lived stream
// each way and calls pipeline freely. It owns the calls waiting for answers and the requests being
// served; it knows nothing of libp2p.

import { toError } from './errors.ts'
import type { Logger } from './logger.ts'
import { RpcRemoteError, RpcTimeoutError, RpcUnknownMethodError, RpcUnreachableError } from './rpc-errors.ts'

export const callTimeoutMsDefault = 5_000
/** The longest deadline a request may carry; a remote clamps what it is told to this. */
export const callTimeoutMsMax = 10 * 60_000
/** Calls waiting for answers, over all peers; beyond it `call` fails at once. */
export const callsPendingMax = 65_536
/**
 * Requests from one peer being served at once; beyond it they are answered with ERR_RPC_OVERLOADED.
 * A follower forwards every client's write to the leader, so this is sized for thousands of clients.
 */
export const requestsServingPerPeerMax = 16_384
export const methodNameLengthMax = 256
/** The code of the error a caller gets when the handler's answer could not be sent (e.g. too large). */
export const answerUndeliverable = 'ERR_RPC_ANSWER_UNDELIVERABLE'

export type RpcHandler = (from: string, request: unknown, signal: AbortSignal) => Promise<unknown>

export interface CallOptions {
  /** Give up with `RpcTimeoutError` after this long; the remote handler's signal aborts then too. */
  readonly timeoutMs?: number
  /** Abort the call early; it rejects with the signal's reason. */
  readonly signal?: AbortSignal
}

/** An error as it crosses the wire. */
export interface WireError {
  readonly name: string
  readonly message: string
  readonly code?: string
  readonly details?: Record<string, unknown>
  /** Set by the RPC layer itself when no handler is registered for the method. */
  readonly unknownMethod?: boolean
}

export type RpcFrame =
  | {
      readonly type: 'request'
      readonly id: number
      readonly method: string
      readonly body: unknown
      readonly timeoutMs: number
    }
  | { readonly type: 'response'; readonly id: number; readonly body: unknown }
  | { readonly type: 'error'; readonly id: number; readonly error: WireError }

export interface RpcInit {
  /** Hands a frame to the transport; false when it was not accepted (no connection, full queue). */
  readonly send: (to: string, frame: RpcFrame) => boolean
  readonly isConnected: (peerId: string) => boolean
  readonly logger: Logger
}

interface PendingCall {
  readonly to: string
  readonly method: string
  readonly resolve: (value: unknown) => void
  readonly reject: (error: Error) => void
  readonly cleanUp: () => void
}

export class Rpc {
  readonly #init: RpcInit
  readonly #handlers = new Map<string, RpcHandler>()
  readonly #pending = new Map<number, PendingCall>()
  /** Per caller: the abort controllers of the requests being served for it. */
  readonly #serving = new Map<string, Set<AbortController>>()
  #nextId = 1
  #closed = false

  constructor(init: RpcInit) {
    this.#init = init
  }

  handle(method: string, handler: RpcHandler): void {
    if (method.length === 0 || method.length > methodNameLengthMax) {
      throw new Error(`an RPC method name has 1 to ${methodNameLengthMax} characters`)
    }
    if (this.#handlers.has(method)) throw new Error(`an RPC handler for ${method} is already registered`)
    this.#handlers.set(method, handler)
  }

  call<R>(to: string, method: string, request: unknown, options: CallOptions = {}): Promise<R> {
    const timeoutMs = Math.min(options.timeoutMs ?? callTimeoutMsDefault, callTimeoutMsMax)
    const unreachable = (why: string) => Promise.reject(new RpcUnreachableError(to, method, why, false))
    if (options.signal?.aborted) return Promise.reject(toError(options.signal.reason))
    if (this.#closed) return unreachable('the mesh is stopped')
    if (!this.#init.isConnected(to)) return unreachable('not connected')
    if (this.#pending.size >= callsPendingMax) {
      return unreachable(`${callsPendingMax} calls are already waiting`)
    }
    if (!(timeoutMs > 0)) return Promise.reject(new Error(`timeoutMs must be a positive number of ms`))

    const id = this.#nextId++
    const { promise, resolve, reject } = Promise.withResolvers<R>()
    const timer = setTimeout(() => this.#settle(id, new RpcTimeoutError(to, method, timeoutMs)), timeoutMs)
    const onAbort = () => this.#settle(id, toError(options.signal?.reason))
    options.signal?.addEventListener('abort', onAbort, { once: true })
    const cleanUp = () => {
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
    }
    this.#pending.set(id, { to, method, resolve: resolve as (value: unknown) => void, reject, cleanUp })
    let sent: boolean
    try {
      sent = this.#init.send(to, { type: 'request', id, method, body: request, timeoutMs })
    } catch (error) {
      this.#settle(id, toError(error)) // the request cannot be encoded: the caller's mistake
      return promise
    }
    if (!sent) this.#settle(id, new RpcUnreachableError(to, method, 'the request could not be queued', false))
    return promise
  }

  /** Takes one frame from the transport. Malformed frames are logged and dropped, never thrown. */
  receive(from: string, frame: unknown): void {
    if (this.#closed) return
    const candidate = frame as Partial<Record<string, unknown>> | null
    const id = candidate?.id
    if (
      typeof candidate !== 'object' ||
      candidate === null ||
      typeof id !== 'number' ||
      !Number.isSafeInteger(id)
    ) {
      this.#init.logger.debug({ peer: from }, 'dropped a malformed RPC frame')
      return
    }
    if (candidate.type === 'request') this.#serve(from, id, candidate)
    else if (candidate.type === 'response') this.#answer(from, id, { body: candidate.body })
    else if (candidate.type === 'error') this.#answer(from, id, { error: candidate.error })
    else this.#init.logger.debug({ peer: from, id }, 'dropped an RPC frame of an unknown type')
  }

  /** The connection to `peerId` is gone: its calls fail now, and its requests' handlers are aborted. */
  peerDisconnected(peerId: string): void {
    for (const [id, call] of this.#pending) {
      if (call.to === peerId)
        this.#settle(id, new RpcUnreachableError(peerId, call.method, 'connection lost', true))
    }
    for (const controller of this.#serving.get(peerId) ?? [])
      controller.abort(new Error(`${peerId} disconnected`))
  }

  /** Fails every waiting call with `RpcUnreachableError` and aborts every handler. */
  close(): void {
    this.#closed = true
    for (const [id, call] of this.#pending) {
      this.#settle(id, new RpcUnreachableError(call.to, call.method, 'the mesh stopped', true))
    }
    for (const controllers of this.#serving.values()) {
      for (const controller of controllers) controller.abort(new Error('the mesh stopped'))
    }
  }

  #settle(id: number, outcome: Error | { value: unknown }): void {
    const call = this.#pending.get(id)
    if (call === undefined) return
    this.#pending.delete(id)
    call.cleanUp()
    if (outcome instanceof Error) call.reject(outcome)
    else call.resolve(outcome.value)
  }

  #answer(from: string, id: number, reply: { body?: unknown; error?: unknown }): void {
    const call = this.#pending.get(id)
    // A late answer (after a deadline) or one from a peer we did not ask is not ours to take.
    if (call === undefined || call.to !== from) {
      this.#init.logger.debug({ peer: from, id }, 'dropped an RPC answer nobody waits for')
      return
    }
    if (!('error' in reply)) {
      this.#settle(id, { value: reply.body })
      return
    }
    const error = readWireError(reply.error)
    this.#settle(
      id,
      error.unknownMethod
        ? new RpcUnknownMethodError(from, call.method)
        : new RpcRemoteError(from, call.method, error),
    )
  }

  #serve(from: string, id: number, request: Partial<Record<string, unknown>>): void {
    const admitted = this.#admit(from, request)
    if ('refused' in admitted) {
      this.#reply(from, id, { type: 'error', id, error: admitted.refused })
      return
    }
    const { handler, timeoutMs, serving } = admitted
    this.#serving.set(from, serving)
    const controller = new AbortController()
    serving.add(controller)
    const deadline = setTimeout(
      () => controller.abort(new Error('the caller gave up (deadline passed)')),
      Math.min(timeoutMs, callTimeoutMsMax),
    )
    controller.signal.addEventListener('abort', () => clearTimeout(deadline), { once: true })
    const finish = (frame: RpcFrame) => {
      clearTimeout(deadline)
      serving.delete(controller)
      if (serving.size === 0 && this.#serving.get(from) === serving) this.#serving.delete(from)
      // Nobody waits for an answer past the deadline, or from a connection that is gone.
      if (!controller.signal.aborted) this.#reply(from, id, frame)
    }
    // The handler is async by contract, but may still throw before its first await.
    Promise.resolve()
      .then(() => handler(from, request.body, controller.signal))
      .then(
        (body) => finish({ type: 'response', id, body }),
        (error: unknown) => finish({ type: 'error', id, error: toWireError(error) }),
      )
  }

  #admit(
    from: string,
    request: Partial<Record<string, unknown>>,
  ): { refused: WireError } | { handler: RpcHandler; timeoutMs: number; serving: Set<AbortController> } {
    const { method, timeoutMs } = request
    if (typeof method !== 'string' || typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
      return {
        refused: { name: 'RpcError', code: 'ERR_RPC_MALFORMED_REQUEST', message: 'no method or deadline' },
      }
    }
    const handler = this.#handlers.get(method)
    if (handler === undefined) {
      return {
        refused: { name: 'RpcUnknownMethodError', message: `no handler for ${method}`, unknownMethod: true },
      }
    }
    const serving = this.#serving.get(from) ?? new Set<AbortController>()
    if (serving.size >= requestsServingPerPeerMax) {
      return {
        refused: {
          name: 'RpcError',
          code: 'ERR_RPC_OVERLOADED',
          message: `${serving.size} requests are running`,
        },
      }
    }
    return { handler, timeoutMs, serving }
  }

  #reply(from: string, id: number, frame: RpcFrame): void {
    let why = 'was not accepted by the transport (no connection, full queue, or too large)'
    try {
      if (this.#init.send(from, frame)) return
    } catch (error) {
      why = `could not be encoded: ${toError(error).message}`
    }
    this.#init.logger.debug({ peer: from, id, why }, 'could not send an RPC answer')
    // Tell the caller rather than leave it waiting for its deadline; this small frame usually fits.
    if (frame.type === 'error' && frame.error.code === answerUndeliverable) return
    this.#init.send(from, refusal(id, answerUndeliverable, `the answer ${why}`))
  }
}

function refusal(id: number, code: string, message: string): RpcFrame {
  return { type: 'error', id, error: { name: 'RpcError', message, code } }
}

function toWireError(thrown: unknown): WireError {
  const error = toError(thrown) as Error & { code?: unknown; details?: unknown }
  const wire: { -readonly [K in keyof WireError]: WireError[K] } = {
    name: error.name,
    message: error.message,
  }
  if (typeof error.code === 'string') wire.code = error.code
  if (isPlainObject(error.details)) wire.details = error.details
  return wire
}

function readWireError(value: unknown): WireError {
  const wire = (isPlainObject(value) ? value : {}) as Record<string, unknown>
  return {
    name: typeof wire.name === 'string' ? wire.name : 'Error',
    message: typeof wire.message === 'string' ? wire.message : 'the remote failed without a message',
    ...(typeof wire.code === 'string' ? { code: wire.code } : {}),
    ...(isPlainObject(wire.details) ? { details: wire.details } : {}),
    ...(wire.unknownMethod === true ? { unknownMethod: true } : {}),
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}
