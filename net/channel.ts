// A channel: one-way messages of one protocol between mesh peers, over one long-lived outbound stream
// per peer (opened lazily on the live connection, reopened after a failure), length-prefixed frames,
// coalesced writes and a bounded per-peer queue. Delivery is best effort and in order per sender:
// `send` drops (returns false) when the peer is not connected, is partitioned away, or its queue is
// full, because the callers (Raft first) recover from loss and must never block or grow without bound.

import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { Packr } from 'msgpackr'
import { FrameDecoder, frameBytesMax } from './frames.ts'
import type { Logger } from './logger.ts'
import { type LinkCounters, OutboundLink } from './outbound-link.ts'

export const channelQueueBytesMaxDefault = 4 * 1024 * 1024
/**
 * Inbound streams of one channel protocol on one connection. A peer keeps one; a few more cover a
 * stream being replaced while the old one is still closing.
 */
export const channelInboundStreamsMax = 8

// Plain maps, no shared record structures: every frame decodes on its own, from any peer.
const packr = new Packr({ useRecords: false })

/** What a channel needs from the mesh it runs on. */
export interface ChannelHost {
  readonly libp2p: Libp2p
  readonly logger: Logger
  /** The largest chunk an inbound stream delivers at once (the muxer's stream window). */
  readonly streamChunkBytesMax: number
  /** Whether traffic with the peer is cut by the partition switch. */
  blocks(peerId: string): boolean
  /** The newest open connection to the peer, if any. */
  connectionTo(peerId: string): Connection | undefined
  onPeerChange(listener: (peerId: string, connected: boolean) => void): () => void
}

export interface ChannelOptions<T> {
  /** Called once per message, in the order the sender sent them; must not throw (it is logged if it does). */
  readonly onMessage: (from: string, message: T) => void
  /** Per peer: bytes waiting to be written before `send` starts refusing. */
  readonly queueBytesMax?: number
  readonly encode?: (message: T) => Uint8Array
  readonly decode?: (bytes: Uint8Array) => T
}

export interface ChannelStats {
  /** Messages accepted by `send`. */
  readonly sent: number
  /** Messages refused by `send` or lost in a failed stream. */
  readonly dropped: number
  /** Messages delivered to `onMessage`. */
  readonly received: number
  /** Inbound streams reset for a malformed or oversized frame. */
  readonly malformed: number
  /** `stream.send` calls: with coalescing, far fewer than messages. */
  readonly sendCalls: number
  /** Bytes waiting in all per-peer queues. */
  readonly queuedBytes: number
}

export class Channel<T> {
  readonly protocol: string
  readonly #host: ChannelHost
  readonly #onMessage: (from: string, message: T) => void
  readonly #encode: (message: T) => Uint8Array
  readonly #decode: (bytes: Uint8Array) => T
  readonly #queueBytesMax: number
  readonly #links = new Map<string, OutboundLink>()
  readonly #counters: LinkCounters = { queued: 0, dropped: 0, sendCalls: 0, framesWritten: 0 }
  readonly #inbound = new Set<Stream>()
  readonly #stopWatchingPeers: () => void
  #received = 0
  #malformed = 0
  #closed = false

  constructor(host: ChannelHost, protocol: string, options: ChannelOptions<T>) {
    this.#host = host
    this.protocol = protocol
    this.#onMessage = options.onMessage
    this.#encode = options.encode ?? ((message) => packr.pack(message))
    this.#decode = options.decode ?? ((bytes) => packr.unpack(bytes) as T)
    this.#queueBytesMax = options.queueBytesMax ?? channelQueueBytesMaxDefault
    if (!(this.#queueBytesMax > 0)) throw new Error(`channel ${protocol}: queueBytesMax must be positive`)
    this.#stopWatchingPeers = host.onPeerChange((peerId, connected) => {
      if (!connected) this.#dropLink(peerId)
    })
    host.libp2p
      .handle(protocol, (stream, connection) => this.#accept(stream, connection), {
        maxInboundStreams: channelInboundStreamsMax,
      })
      .catch((error: unknown) => host.logger.error({ err: error, protocol }, 'could not register a channel'))
  }

  /**
   * Queues `message` for `to`. Returns false, dropping it, when `to` is not connected or is partitioned
   * away, when its queue is full, or when the message encodes to more than `frameBytesMax`; true means
   * queued, not delivered. An encoder that throws (a message it cannot encode) throws here.
   */
  send(to: string, message: T): boolean {
    if (this.#closed || this.#host.blocks(to) || this.#host.connectionTo(to) === undefined) {
      this.#counters.dropped++
      this.#host.logger.debug({ peer: to, protocol: this.protocol }, 'dropped: not connected')
      return false
    }
    const payload = this.#encode(message)
    if (payload.length > frameBytesMax) {
      this.#counters.dropped++
      this.#host.logger.warn(
        { peer: to, protocol: this.protocol, bytes: payload.length },
        'dropped: too large',
      )
      return false
    }
    const accepted = this.#linkTo(to).enqueue(payload)
    if (!accepted) this.#host.logger.debug({ peer: to, protocol: this.protocol }, 'dropped: queue full')
    return accepted
  }

  /** Bytes waiting in the queue to `peerId`. */
  queuedBytes(peerId: string): number {
    return this.#links.get(peerId)?.queuedBytes ?? 0
  }

  stats(): ChannelStats {
    let queuedBytes = 0
    for (const link of this.#links.values()) queuedBytes += link.queuedBytes
    return {
      sent: this.#counters.queued,
      dropped: this.#counters.dropped,
      received: this.#received,
      malformed: this.#malformed,
      sendCalls: this.#counters.sendCalls,
      queuedBytes,
    }
  }

  /** Stops accepting and delivering; queued messages are dropped. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#stopWatchingPeers()
    for (const peerId of [...this.#links.keys()]) this.#dropLink(peerId)
    for (const stream of this.#inbound) stream.abort(new Error('channel closed'))
    await this.#host.libp2p.unhandle(this.protocol).catch(() => {})
  }

  #linkTo(peerId: string): OutboundLink {
    let link = this.#links.get(peerId)
    if (link === undefined) {
      link = new OutboundLink({
        peerId,
        protocol: this.protocol,
        queueBytesMax: this.#queueBytesMax,
        counters: this.#counters,
        logger: this.#host.logger,
        openStream: async (signal) => {
          const connection = this.#host.connectionTo(peerId)
          if (connection === undefined) throw new Error(`not connected to ${peerId}`)
          return connection.newStream(this.protocol, { signal })
        },
      })
      this.#links.set(peerId, link)
    }
    return link
  }

  #dropLink(peerId: string): void {
    this.#links.get(peerId)?.close()
    this.#links.delete(peerId)
  }

  #accept(stream: Stream, connection: Connection): void {
    const from = connection.remotePeer.toString()
    if (this.#closed || this.#host.blocks(from)) {
      stream.abort(new Error('not accepting streams from this peer'))
      return
    }
    this.#inbound.add(stream)
    const decoder = new FrameDecoder(this.#host.streamChunkBytesMax)
    stream.addEventListener('message', (event) => {
      // A partition that started after this stream opened: its connection is being closed, but no
      // message may slip through in the meantime.
      if (this.#host.blocks(from)) return stream.abort(new Error('partitioned'))
      try {
        for (const payload of decoder.decode(event.data)) this.#deliver(from, this.#decode(payload))
      } catch (error) {
        this.#malformed++
        this.#host.logger.warn(
          { err: error, peer: from, protocol: this.protocol },
          'malformed frame; resetting the stream',
        )
        stream.abort(error instanceof Error ? error : new Error('malformed frame'))
      }
    })
    // The sender closed its end: close ours so the stream is released on both sides.
    stream.addEventListener('remoteCloseWrite', () => void stream.close().catch(() => {}))
    stream.addEventListener('close', () => this.#inbound.delete(stream))
  }

  #deliver(from: string, message: T): void {
    this.#received++
    try {
      this.#onMessage(from, message)
    } catch (error) {
      this.#host.logger.error(
        { err: error, peer: from, protocol: this.protocol },
        'channel message handler threw',
      )
    }
  }
}
