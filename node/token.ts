// The join token: what a new node needs to find and enter the cluster — the cluster id, the mesh's
// pre-shared key and the addresses of members to dial first. It is a secret (the key admits a peer
// to the mesh), printed by `cox token join` and written to DIR/join-token by the bootstrap node.
//
// Format: `cox1.` + base64url(JSON). The prefix carries the version, so a token from a future
// format is refused with a clear message instead of being misread.

export const tokenPrefix = 'cox1.'
const pskHexPattern = /^[0-9a-f]{64}$/

export interface JoinToken {
  readonly clusterId: string
  readonly pskHex: string
  /** Multiaddrs ending in /p2p/<peer id>. */
  readonly bootstrap: readonly string[]
}

export class TokenError extends Error {
  static override readonly name = 'TokenError'
  readonly code = 'ERR_BAD_TOKEN'
  constructor(detail: string) {
    super(`the join token is not valid: ${detail}. Get a fresh one with \`cox token join\` on a member.`)
    this.name = 'TokenError'
  }
}

export function encodeJoinToken(token: JoinToken): string {
  const body = { v: 1, c: token.clusterId, k: token.pskHex, b: token.bootstrap }
  return tokenPrefix + Buffer.from(JSON.stringify(body)).toString('base64url')
}

export function decodeJoinToken(text: string): JoinToken {
  const trimmed = text.trim()
  if (!trimmed.startsWith(tokenPrefix)) {
    const prefix = /^cox\d+\./.exec(trimmed)?.[0]
    throw new TokenError(
      prefix ? `format ${prefix} is not one this build reads` : 'it does not start with "cox1."',
    )
  }
  const encoded = trimmed.slice(tokenPrefix.length)
  if (encoded.length === 0) throw new TokenError('it is truncated or corrupted')
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) throw new TokenError('it holds characters outside base64url')
  let body: { c?: unknown; k?: unknown; b?: unknown }
  try {
    body = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'))
  } catch {
    throw new TokenError('it is truncated or corrupted')
  }
  if (typeof body !== 'object' || body === null) throw new TokenError('it is truncated or corrupted')
  if (typeof body.c !== 'string' || body.c.length === 0) throw new TokenError('the cluster id is missing')
  if (typeof body.k !== 'string' || !pskHexPattern.test(body.k)) throw new TokenError('the key is malformed')
  if (
    !Array.isArray(body.b) ||
    body.b.length === 0 ||
    !body.b.every((a) => typeof a === 'string' && a.includes('/p2p/'))
  ) {
    throw new TokenError('it names no bootstrap address with a peer id')
  }
  return { clusterId: body.c, pskHex: body.k, bootstrap: body.b as string[] }
}
