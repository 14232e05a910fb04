// The peers this node keeps connected: their addresses, and a redial loop per peer with capped
// exponential backoff that runs for as long as the peer is a member. libp2p's own keep-alive
// reconnects gives up after five retries; a cluster member must be redialed for ever, so that a
// healed partition or a restarted node reconnects by itself within about a second.

import { multiaddr } from '@multiformats/multiaddr'
import { toError } from './errors.ts'
import type { Logger } from './logger.ts'

export const redialBackoffMsMin = 25
/** The longest wait between two dials of a member: a healed partition reconnects within about this. */
export const redialBackoffMsMax = 1_000
/** A connection that lived this long was healthy: the next redial starts from the shortest backoff. */
export const connectionStableMs = 2_000
export const addressesPerPeerMax = 16
export const addressLengthMax = 1_024

export interface Member {
  readonly id: string
  readonly addresses: readonly string[]
}

export interface MembersInit {
  readonly selfId: string
  /** Dials the peer at these addresses (each ending in /p2p/ID); rejects on failure. */
  readonly dial: (addresses: readonly string[], signal: AbortSignal) => Promise<void>
  readonly isConnected: (peerId: string) => boolean
  /** Whether the partition switch cuts this peer (no point dialing it until healed). */
  readonly blocks: (peerId: string) => boolean
  readonly dialTimeoutMs: number
  readonly logger: Logger
}

interface MemberState {
  readonly id: string
  addresses: string[]
  backoffMs: number
  timer: NodeJS.Timeout | undefined
  dialing: boolean
  connectedAtMs: number | undefined
}

export class Members {
  readonly #init: MembersInit
  readonly #members = new Map<string, MemberState>()
  #stopped = false

  constructor(init: MembersInit) {
    this.#init = init
  }

  /**
   * Adds a member, or merges new addresses into a known one (newest first, at most
   * `addressesPerPeerMax`). Unusable addresses are skipped. Returns true when the member is new.
   */
  add(id: string, addresses: readonly string[]): boolean {
    if (id === this.#init.selfId || this.#stopped) return false
    const usable = addresses.map((address) => withPeerId(address, id)).filter((a) => a !== undefined)
    const known = this.#members.get(id)
    if (known !== undefined) {
      known.addresses = [...new Set([...usable, ...known.addresses])].slice(0, addressesPerPeerMax)
      return false
    }
    const member: MemberState = {
      id,
      addresses: [...new Set(usable)].slice(0, addressesPerPeerMax),
      backoffMs: redialBackoffMsMin,
      timer: undefined,
      dialing: false,
      connectedAtMs: this.#init.isConnected(id) ? performance.now() : undefined,
    }
    this.#members.set(id, member)
    this.#schedule(member, 0)
    return true
  }

  remove(id: string): void {
    const member = this.#members.get(id)
    if (member === undefined) return
    clearTimeout(member.timer)
    this.#members.delete(id)
  }

  list(): Member[] {
    return [...this.#members.values()].map(({ id, addresses }) => ({ id, addresses: [...addresses] }))
  }

  connected(id: string): void {
    const member = this.#members.get(id)
    if (member === undefined) return
    member.connectedAtMs = performance.now()
    clearTimeout(member.timer)
    member.timer = undefined
  }

  disconnected(id: string): void {
    const member = this.#members.get(id)
    if (member === undefined) return
    const livedMs = member.connectedAtMs === undefined ? 0 : performance.now() - member.connectedAtMs
    member.connectedAtMs = undefined
    // A connection that dies young (a peer that accepts and then drops us) must not redial in a tight loop.
    member.backoffMs =
      livedMs >= connectionStableMs ? redialBackoffMsMin : Math.min(member.backoffMs * 2, redialBackoffMsMax)
    this.#schedule(member, jitter(member.backoffMs))
  }

  /** Dials every member that is not connected now (after a partition heals). */
  wake(): void {
    for (const member of this.#members.values()) {
      member.backoffMs = redialBackoffMsMin
      clearTimeout(member.timer)
      member.timer = undefined
      this.#schedule(member, 0)
    }
  }

  stop(): void {
    this.#stopped = true
    for (const member of this.#members.values()) clearTimeout(member.timer)
    this.#members.clear()
  }

  #schedule(member: MemberState, delayMs: number): void {
    if (this.#stopped || member.timer !== undefined) return
    member.timer = setTimeout(() => {
      member.timer = undefined
      void this.#dial(member)
    }, delayMs)
  }

  async #dial(member: MemberState): Promise<void> {
    const { isConnected, blocks } = this.#init
    // A blocked member is dialed again by wake() when the partition heals.
    if (this.#members.get(member.id) !== member || member.dialing || blocks(member.id)) return
    if (isConnected(member.id) || member.addresses.length === 0) return
    member.dialing = true
    try {
      await this.#init.dial(member.addresses, AbortSignal.timeout(this.#init.dialTimeoutMs))
    } catch (error) {
      this.#init.logger.debug({ err: toError(error), peer: member.id }, 'redial failed')
    } finally {
      member.dialing = false
    }
    if (this.#members.get(member.id) !== member || isConnected(member.id)) return
    member.backoffMs = Math.min(member.backoffMs * 2, redialBackoffMsMax)
    this.#schedule(member, jitter(member.backoffMs))
  }
}

/**
 * `address` ending in /p2p/`id` (appended when missing), or undefined when it is not a multiaddr, is
 * too long, or names another peer.
 */
function withPeerId(address: string, id: string): string | undefined {
  if (typeof address !== 'string' || address.length > addressLengthMax) return undefined
  try {
    const parsed = multiaddr(address)
    const named = parsed.getComponents().findLast((component) => component.name === 'p2p')?.value
    if (named === undefined) return parsed.encapsulate(`/p2p/${id}`).toString()
    return named === id ? parsed.toString() : undefined
  } catch {
    return undefined
  }
}

/** Between half and all of `delayMs`, so two peers that lost each other do not dial at the same instant. */
function jitter(delayMs: number): number {
  return delayMs / 2 + Math.random() * (delayMs / 2)
}
