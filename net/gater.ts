// The partition switch: a libp2p connection gater whose verdicts come from one mutable setting,
// `true` (cut off from everyone), a set of blocked peer ids, or `false` (healed). libp2p consults a
// gater only for new connections, so `Mesh.isolate` closes the existing ones itself; the gater makes
// sure neither side can build a new one, whichever side dials.

import type { ConnectionGater, PeerId } from '@libp2p/interface'

export type Isolation = boolean | readonly string[]

export class PartitionGater {
  #everyone = false
  #blocked = new Set<string>()

  set(isolation: Isolation): void {
    this.#everyone = isolation === true
    this.#blocked = new Set(Array.isArray(isolation) ? isolation : [])
  }

  get(): boolean | string[] {
    if (this.#everyone) return true
    return this.#blocked.size > 0 ? [...this.#blocked] : false
  }

  /** Whether traffic with `peerId` is cut. */
  blocks(peerId: string): boolean {
    return this.#everyone || this.#blocked.has(peerId)
  }

  /** The hooks handed to libp2p: every stage that names a peer, plus the anonymous ones when cut off. */
  hooks(): ConnectionGater {
    const denyPeer = (peer: PeerId) => this.blocks(peer.toString())
    const denyAll = () => this.#everyone
    return {
      denyDialPeer: denyPeer,
      denyDialMultiaddr: denyAll,
      // Before encryption the remote is anonymous; when cut off from everyone, refuse it right there so
      // the dialer's handshake fails instead of succeeding and being dropped a moment later.
      denyInboundConnection: denyAll,
      denyOutboundConnection: denyPeer,
      denyInboundEncryptedConnection: denyPeer,
      denyOutboundEncryptedConnection: denyPeer,
      denyInboundUpgradedConnection: denyPeer,
      denyOutboundUpgradedConnection: denyPeer,
    }
  }
}
