// Error normalization for everything libp2p throws at us, and the one error `Mesh.connect` rejects
// with. libp2p sometimes rejects with an event object instead of an Error (a `StreamCloseEvent` when
// a stream races a closing connection), and a dial failure arrives as one of a dozen classes, often
// wrapped in an AggregateError; callers get one class with a reason and a sentence a person can act on.

/** Turns anything thrown or rejected into an Error, keeping the original as `cause`. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value
  const event = value as { error?: unknown; type?: unknown } | null | undefined
  if (event?.error instanceof Error) return event.error
  const type = typeof event?.type === 'string' ? event.type : typeof value
  return new Error(`libp2p failed with a ${type} event instead of an error`, { cause: value })
}

export type ConnectFailure = 'handshake' | 'timeout' | 'refused' | 'blocked' | 'address' | 'stopped' | 'other'

export class MeshConnectError extends Error {
  static override readonly name = 'MeshConnectError'
  readonly code = 'ERR_MESH_CONNECT'
  readonly address: string
  readonly reason: ConnectFailure

  constructor(address: string, reason: ConnectFailure, detail: string, cause?: unknown) {
    super(`could not connect to ${address}: ${detail}`, { cause })
    this.name = 'MeshConnectError'
    this.address = address
    this.reason = reason
  }
}

const explanations: Record<ConnectFailure, string> = {
  handshake:
    'the peer refused the handshake — wrong join token (pre-shared key) or not a coxswain node' +
    ' (or a node partitioned away from us)',
  timeout:
    'no answer in time — the node may be down or unreachable, or it does not share our join token (pre-shared key)',
  refused: 'nothing is listening there (connection refused)',
  blocked: 'the connection is blocked by a partition on this node (isolate)',
  address: 'not a dialable multiaddr (expected e.g. /ip4/10.0.0.1/tcp/4001/p2p/12D3KooW...)',
  stopped: 'the mesh is stopped',
  other: 'the dial failed',
}

/** Classifies a failed dial of `address` into a `MeshConnectError`. */
export function connectError(address: string, failure: unknown, timedOut: boolean): MeshConnectError {
  if (timedOut) return new MeshConnectError(address, 'timeout', explanations.timeout, failure)
  const reason = classify(leafErrors(toError(failure)))
  const error = toError(failure)
  const detail =
    reason === 'other' ? `${explanations.other} (${error.name}: ${error.message})` : explanations[reason]
  return new MeshConnectError(address, reason, detail, failure)
}

function classify(errors: readonly Error[]): ConnectFailure {
  const has = (test: (error: Error & { code?: unknown }) => boolean) => errors.some(test)
  if (has((e) => e.name === 'DialDeniedError')) return 'blocked'
  if (has((e) => e.code === 'ECONNREFUSED')) return 'refused'
  if (has((e) => /InvalidMultiaddr|InvalidParameters|NoValidAddresses|UnsupportedProtocol/.test(e.name))) {
    return 'address'
  }
  if (has((e) => e.name === 'NotStartedError')) return 'stopped'
  if (has((e) => e.name === 'TimeoutError' || e.name === 'AbortError')) return 'timeout'
  // A wrong pre-shared key turns every byte after the nonces into noise, so the upgrade fails in a
  // random place: the encryption, the muxer selection, or a reset connection. All mean "not one of us".
  const upgrade = /Encryption|Muxer|InvalidCrypto|UnexpectedPeer|Protector|InvalidMessage|UnexpectedEOF/
  if (has((e) => upgrade.test(e.name) || e.code === 'ECONNRESET' || e.code === 'EPIPE')) return 'handshake'
  return 'other'
}

/** Why the mesh could not start listening on `listen`, in words (libp2p's own message suggests settings). */
export function startError(listen: string, failure: unknown): Error {
  const error = toError(failure)
  const text = leafErrors(error)
    .map((e) => e.message)
    .join('\n')
  const socket: Record<string, string> = {
    EADDRINUSE: 'the address is already in use (another process listens on that port)',
    EADDRNOTAVAIL: 'the address is not one of this host',
    EACCES: 'permission denied (a port below 1024 needs privileges)',
  }
  const code = Object.keys(socket).find((name) => text.includes(name))
  const why = code === undefined ? (error.message.split('\n')[0] ?? error.name) : socket[code]
  return new Error(`could not start the mesh listening on ${listen}: ${why}`, { cause: failure })
}

/** How deep `leafErrors` follows causes and aggregates (libp2p nests a few levels at most). */
export const causeDepthMax = 8

/** The error, its causes and, for an AggregateError, every error it gathers. */
function leafErrors(error: Error, depth = 0): Error[] {
  const found: Error[] = [error]
  if (depth >= causeDepthMax) return found
  if (error instanceof AggregateError) {
    for (const inner of error.errors) found.push(...leafErrors(toError(inner), depth + 1))
  }
  if (error.cause !== undefined) found.push(...leafErrors(toError(error.cause), depth + 1))
  return found
}
