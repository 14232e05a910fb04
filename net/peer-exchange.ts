// Peer exchange (`/cox/peers/1.0.0`): when two mesh nodes connect, each sends the other every member
// it knows (itself included), and each adds the ones it did not know. A node that learns something new
// passes its list on to everyone it is connected to, so one bootstrap address is enough for every node
// to learn every member, and a member that joins anywhere becomes known everywhere.

import type { Logger } from './logger.ts'
import { addressesPerPeerMax, type Member } from './members.ts'

export const peerExchangeProtocol = '/cox/peers/1.0.0'
export const peerListFormatVersion = 1
/** Members in one list; a larger list is cut to this (a cluster is far smaller). */
export const peersPerListMax = 1_024
export const peerExchangeQueueBytesMax = 1024 * 1024

export interface PeerList {
  readonly version: number
  readonly peers: readonly Member[]
}

export interface PeerExchangeInit {
  readonly send: (to: string, list: PeerList) => boolean
  readonly self: () => Member
  readonly members: () => readonly Member[]
  readonly connectedPeers: () => readonly string[]
  /** Adds a member the exchange heard of; true when it was new. Throws on an invalid peer id. */
  readonly learn: (member: Member) => boolean
  readonly logger: Logger
}

export class PeerExchange {
  readonly #init: PeerExchangeInit
  #announcing = false

  constructor(init: PeerExchangeInit) {
    this.#init = init
  }

  /** A connection to `peerId` opened: tell it whom we know. */
  greet(peerId: string): void {
    this.#init.send(peerId, this.#list())
  }

  /** Tells every connected peer whom we know, once per turn of the event loop however often asked. */
  announce(): void {
    if (this.#announcing) return
    this.#announcing = true
    setImmediate(() => {
      this.#announcing = false
      const list = this.#list()
      for (const peerId of this.#init.connectedPeers()) this.#init.send(peerId, list)
    })
  }

  receive(from: string, list: unknown): void {
    const peers = readPeers(list)
    if (peers === undefined) {
      this.#init.logger.debug({ peer: from }, 'dropped a malformed peer list')
      return
    }
    let learned = 0
    for (const peer of peers.slice(0, peersPerListMax)) {
      try {
        if (this.#init.learn(peer)) learned++
      } catch (error) {
        this.#init.logger.debug(
          { err: error, peer: from, id: peer.id },
          'skipped an invalid peer in a peer list',
        )
      }
    }
    if (learned > 0) {
      this.#init.logger.info({ peer: from, learned }, 'learned members by peer exchange')
      this.announce()
    }
  }

  #list(): PeerList {
    const peers = [this.#init.self(), ...this.#init.members()].slice(0, peersPerListMax)
    return { version: peerListFormatVersion, peers }
  }
}

function readPeers(list: unknown): Member[] | undefined {
  const candidate = list as { version?: unknown; peers?: unknown } | null
  if (typeof candidate !== 'object' || candidate === null || candidate.version !== peerListFormatVersion) {
    return undefined
  }
  if (!Array.isArray(candidate.peers)) return undefined
  const peers: Member[] = []
  for (const peer of candidate.peers as unknown[]) {
    const { id, addresses } = (peer ?? {}) as { id?: unknown; addresses?: unknown }
    if (typeof id !== 'string' || !Array.isArray(addresses)) continue
    const strings = addresses.filter((address): address is string => typeof address === 'string')
    peers.push({ id, addresses: strings.slice(0, addressesPerPeerMax) })
  }
  return peers
}
