// The errors `Mesh.call` rejects with, each with a stable `code`. They tell a caller what it may assume
// about the request: never sent, outcome unknown, or answered with an error by the remote handler.

export class RpcTimeoutError extends Error {
  static override readonly name = 'RpcTimeoutError'
  readonly code = 'ERR_RPC_TIMEOUT'
  readonly peer: string
  readonly method: string
  readonly timeoutMs: number

  /** The deadline passed without an answer: the request may or may not have run at the remote. */
  constructor(peer: string, method: string, timeoutMs: number) {
    super(`${method} on ${peer}: no answer within ${timeoutMs} ms (the outcome at the remote is unknown)`)
    this.name = 'RpcTimeoutError'
    this.peer = peer
    this.method = method
    this.timeoutMs = timeoutMs
  }
}

export class RpcUnreachableError extends Error {
  static override readonly name = 'RpcUnreachableError'
  readonly code = 'ERR_RPC_UNREACHABLE'
  readonly peer: string
  readonly method: string
  /**
   * False: the request never left this node (no connection, full queue), so retrying cannot run it
   * twice. True: the connection was lost after sending, so the outcome at the remote is unknown.
   */
  readonly maybeDelivered: boolean

  constructor(peer: string, method: string, why: string, maybeDelivered: boolean) {
    super(`${method} on ${peer}: ${why}`)
    this.name = 'RpcUnreachableError'
    this.peer = peer
    this.method = method
    this.maybeDelivered = maybeDelivered
  }
}

/**
 * The remote handler threw. `code` is the code of the error it threw (`ERR_RPC_REMOTE` when it had no
 * string code), so callers rebuild typed errors from `code`, `remoteName` and `details` (e.g. a
 * not-leader error with a leader hint) without a second lookup.
 */
export class RpcRemoteError extends Error {
  static override readonly name = 'RpcRemoteError'
  static readonly codeWithoutRemoteCode = 'ERR_RPC_REMOTE'
  readonly code: string
  readonly peer: string
  readonly method: string
  /** The `name` of the error the handler threw. */
  readonly remoteName: string
  /** The `details` object of the error the handler threw, if it had one. */
  readonly details: Readonly<Record<string, unknown>> | undefined

  constructor(
    peer: string,
    method: string,
    remote: { message: string; name: string; code?: string; details?: Record<string, unknown> },
  ) {
    super(remote.message)
    this.name = 'RpcRemoteError'
    this.code = remote.code ?? RpcRemoteError.codeWithoutRemoteCode
    this.peer = peer
    this.method = method
    this.remoteName = remote.name
    this.details = remote.details
  }
}

export class RpcUnknownMethodError extends Error {
  static override readonly name = 'RpcUnknownMethodError'
  readonly code = 'ERR_RPC_UNKNOWN_METHOD'
  readonly peer: string
  readonly method: string

  constructor(peer: string, method: string) {
    super(`${peer} has no handler for the method ${JSON.stringify(method)}`)
    this.name = 'RpcUnknownMethodError'
    this.peer = peer
    this.method = method
  }
}
