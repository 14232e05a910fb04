// Raft's transport over the mesh: two channels per peer so that small, latency-critical messages
// (heartbeats, votes, read-index rounds) never queue behind bulk data (appends, snapshot chunks).
// Messages travel in raft/codec.ts's versioned encoding. `send` never blocks: anything that cannot
// be queued is dropped, which Raft tolerates. A message is accepted only if its `from` is the peer
// the connection authenticated, so no member can speak for another.

import { decodeMessage, encodeMessage } from '../raft/codec.ts'
import type { Message, MessageType } from '../raft/types.ts'
import type { Channel } from './channel.ts'
import { type Logger, silentLogger } from './logger.ts'
import type { Mesh } from './mesh.ts'

export const raftControlProtocol = '/cox/raft-ctl/1.0.0'
export const raftDataProtocol = '/cox/raft-data/1.0.0'
/** Per peer. Control messages are tens of bytes; this holds thousands. */
export const raftControlQueueBytesMax = 1024 * 1024
/** Per peer. Room for a few maximal appends or snapshot chunks in flight behind the stream. */
export const raftDataQueueBytesMax = 32 * 1024 * 1024

const controlTypes: ReadonlySet<MessageType> = new Set<MessageType>([
  'heartbeat',
  'heartbeatResponse',
  'vote',
  'voteResponse',
  'timeoutNow',
  'readIndex',
  'readIndexResponse',
])

export interface RaftTransportOptions {
  readonly onMessage: (message: Message) => void
  readonly logger?: Logger
}

export interface RaftTransportStats {
  readonly sent: number
  /** Not queued: peer not connected, queue full, or too large. */
  readonly dropped: number
  readonly received: number
  /** Received but refused: undecodable, or `from` not the authenticated sender. */
  readonly rejected: number
}

export class RaftTransport {
  readonly #mesh: Mesh
  readonly #onMessage: (message: Message) => void
  readonly #logger: Logger
  readonly #control: Channel<Uint8Array>
  readonly #data: Channel<Uint8Array>
  #sent = 0
  #dropped = 0
  #received = 0
  #rejected = 0

  constructor(mesh: Mesh, options: RaftTransportOptions) {
    this.#mesh = mesh
    this.#onMessage = options.onMessage
    this.#logger = options.logger ?? silentLogger
    // Bytes pass through the channels untouched: decoding here lets one bad message be dropped
    // without resetting the stream (and losing the good messages behind it).
    const receive = (from: string, bytes: Uint8Array) => this.#receive(from, bytes)
    const raw = {
      encode: (bytes: Uint8Array) => bytes,
      decode: (bytes: Uint8Array) => bytes,
      onMessage: receive,
    }
    this.#control = mesh.channel(raftControlProtocol, { ...raw, queueBytesMax: raftControlQueueBytesMax })
    this.#data = mesh.channel(raftDataProtocol, { ...raw, queueBytesMax: raftDataQueueBytesMax })
  }

  /** Queues each message on its peer's control or data channel; drops what cannot be queued. */
  send(messages: readonly Message[]): void {
    for (const message of messages) {
      if (message.to === this.#mesh.id) {
        this.#logger.debug({ type: message.type }, 'dropped a raft message addressed to this node')
        this.#dropped++
        continue
      }
      const channel = controlTypes.has(message.type) ? this.#control : this.#data
      if (channel.send(message.to, encodeMessage(message))) {
        this.#sent++
      } else {
        this.#dropped++
      }
    }
  }

  stats(): RaftTransportStats {
    return { sent: this.#sent, dropped: this.#dropped, received: this.#received, rejected: this.#rejected }
  }

  #receive(from: string, bytes: Uint8Array): void {
    let message: Message
    try {
      message = decodeMessage(bytes)
    } catch (error) {
      this.#rejected++
      this.#logger.debug({ err: error, peer: from }, 'dropped an undecodable raft message')
      return
    }
    if (message.from !== from) {
      this.#rejected++
      this.#logger.debug(
        { peer: from, claimed: message.from, type: message.type },
        'dropped a raft message with a forged sender',
      )
      return
    }
    this.#received++
    this.#onMessage(message)
  }
}
