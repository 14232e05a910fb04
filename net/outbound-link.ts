// One long-lived outbound stream to one peer for one protocol, and the bounded queue in front of it.
// Messages queue as encoded frames; a flush runs on the next microtask, so everything sent in one
// synchronous burst (a Raft Ready, a loop of sends) leaves in a single `stream.send` of one
// Uint8ArrayList: each send costs a yamux frame, a Noise frame and an XSalsa20 pass, whatever its size.
// Writes respect backpressure by waiting for 'drain' (never `stream.onDrain()`, whose promise goes
// stale after the first drain in @libp2p/utils 7.4). When the queue is full, `enqueue` refuses.

import type { Stream } from '@libp2p/interface'
import { pEvent } from 'p-event'
import { Uint8ArrayList } from 'uint8arraylist'
import { toError } from './errors.ts'
import { appendFrame, frameBytesMax, framePrefixBytesMax } from './frames.ts'
import type { Logger } from './logger.ts'

/** The most bytes handed to the stream in one `send`: big enough to amortize, small enough to interleave. */
export const flushBytesMax = 1024 * 1024
/** Opening a stream on a live connection takes one round trip; past this the connection is not live. */
export const streamOpenTimeoutMs = 5_000
/** Sent messages are spliced off the queue array in batches of at least this many (amortized O(1)). */
export const queueCompactAfterMessages = 1024

/** Counters shared by all links of one channel. */
export interface LinkCounters {
  /** Messages accepted into a queue. */
  queued: number
  /** Messages refused or lost before reaching a stream: queue full, no connection, stream failed. */
  dropped: number
  /** `stream.send` calls, each carrying one or more frames. */
  sendCalls: number
  /** Frames handed to a stream. */
  framesWritten: number
}

export interface OutboundLinkInit {
  readonly peerId: string
  readonly protocol: string
  readonly queueBytesMax: number
  /** Opens a stream for `protocol` on a live connection to the peer (never dials a new connection). */
  readonly openStream: (signal: AbortSignal) => Promise<Stream>
  readonly counters: LinkCounters
  readonly logger: Logger
}

export class OutboundLink {
  readonly #init: OutboundLinkInit
  readonly #queue: Uint8Array[] = []
  #queueHead = 0
  #queuedBytes = 0
  #stream: Stream | undefined
  #pumping = false
  #closed = false

  constructor(init: OutboundLinkInit) {
    this.#init = init
  }

  /** Bytes waiting in this link's queue (not yet handed to the stream). */
  get queuedBytes(): number {
    return this.#queuedBytes
  }

  /** Queues one encoded message; false (and nothing queued) when it does not fit or the link is closed. */
  enqueue(payload: Uint8Array): boolean {
    const bytes = payload.length + framePrefixBytesMax
    if (
      this.#closed ||
      payload.length > frameBytesMax ||
      this.#queuedBytes + bytes > this.#init.queueBytesMax
    ) {
      this.#init.counters.dropped++
      return false
    }
    this.#queue.push(payload)
    this.#queuedBytes += bytes
    this.#init.counters.queued++
    if (!this.#pumping) {
      this.#pumping = true
      queueMicrotask(() => void this.#pump())
    }
    return true
  }

  /** Drops the queue and resets the stream; the link accepts nothing afterwards. */
  close(): void {
    this.#closed = true
    this.#dropQueue('link closed')
    this.#stream?.abort(new Error('link closed'))
    this.#stream = undefined
  }

  async #pump(): Promise<void> {
    try {
      while (this.#queueHead < this.#queue.length && !this.#closed) {
        const stream = this.#stream ?? (await this.#open())
        if (stream === undefined) {
          this.#dropQueue('no stream')
          return
        }
        await this.#write(stream, this.#takeBatch())
      }
    } catch (error) {
      this.#init.logger.error({ err: error, peer: this.#init.peerId }, 'outbound link failed')
      this.#dropQueue('link failed')
    } finally {
      this.#pumping = false
    }
  }

  async #write(stream: Stream, batch: { frames: Uint8ArrayList; count: number }): Promise<void> {
    const counters = this.#init.counters
    let canSendMore: boolean
    try {
      counters.sendCalls++
      canSendMore = stream.send(batch.frames)
      counters.framesWritten += batch.count
    } catch (error) {
      counters.dropped += batch.count
      this.#discard(stream, toError(error))
      return
    }
    if (canSendMore) return
    try {
      await pEvent(stream, 'drain', { rejectionEvents: ['close'] })
    } catch (error) {
      this.#discard(stream, toError(error))
    }
  }

  async #open(): Promise<Stream | undefined> {
    let stream: Stream
    try {
      stream = await this.#init.openStream(AbortSignal.timeout(streamOpenTimeoutMs))
    } catch (error) {
      this.#init.logger.debug(
        { err: toError(error), peer: this.#init.peerId, protocol: this.#init.protocol },
        'could not open a stream',
      )
      return undefined
    }
    if (this.#closed) {
      stream.abort(new Error('link closed'))
      return undefined
    }
    // The remote never writes on this stream; its close or reset ends our use of it.
    stream.addEventListener('close', () => {
      if (this.#stream === stream) this.#stream = undefined
    })
    this.#stream = stream
    return stream
  }

  #discard(stream: Stream, error: Error): void {
    this.#init.logger.debug(
      { err: error, peer: this.#init.peerId, protocol: this.#init.protocol },
      'outbound stream failed; the next message opens a new one',
    )
    if (this.#stream === stream) this.#stream = undefined
    stream.abort(error)
  }

  /** Frames from the head of the queue, at least one, up to `flushBytesMax`. */
  #takeBatch(): { frames: Uint8ArrayList; count: number } {
    const frames = new Uint8ArrayList()
    let count = 0
    while (this.#queueHead < this.#queue.length) {
      const payload = this.#queue[this.#queueHead]!
      if (count > 0 && frames.byteLength + payload.length + framePrefixBytesMax > flushBytesMax) break
      appendFrame(frames, payload)
      this.#queueHead++
      this.#queuedBytes -= payload.length + framePrefixBytesMax
      count++
    }
    this.#compactQueue()
    return { frames, count }
  }

  #dropQueue(reason: string): void {
    const count = this.#queue.length - this.#queueHead
    if (count === 0) return
    this.#init.counters.dropped += count
    this.#init.logger.debug(
      { peer: this.#init.peerId, protocol: this.#init.protocol, count },
      `dropped: ${reason}`,
    )
    this.#queue.length = 0
    this.#queueHead = 0
    this.#queuedBytes = 0
  }

  #compactQueue(): void {
    if (this.#queueHead === this.#queue.length) {
      this.#queue.length = 0
      this.#queueHead = 0
    } else if (this.#queueHead > queueCompactAfterMessages && this.#queueHead * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#queueHead)
      this.#queueHead = 0
    }
  }
}
