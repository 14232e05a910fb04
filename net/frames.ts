// Length-prefixed framing for the mesh's long-lived streams: a varint byte length, then the payload.
// libp2p streams keep no message boundaries, so every protocol here frames its messages this way.

import { LengthPrefixedDecoder } from '@libp2p/utils'
import * as varint from 'uint8-varint'
import type { Uint8ArrayList } from 'uint8arraylist'

/**
 * The largest frame accepted or sent. Raft bounds its own messages well below this (objects are at most
 * 1.5 MiB, snapshots travel in chunks); a bigger length prefix means a broken or hostile peer.
 */
export const frameBytesMax = 8 * 1024 * 1024
/** The most a varint length prefix of a frame up to `frameBytesMax` takes. */
export const framePrefixBytesMax = varint.encodingLength(frameBytesMax)

/** Appends `payload` with its length prefix to `out`. */
export function appendFrame(out: Uint8ArrayList, payload: Uint8Array): void {
  out.append(varint.encode(payload.length), payload)
}

/**
 * Splits incoming chunks into frame payloads. Throws (and must then be discarded with its stream)
 * on a length beyond `frameBytesMax` or a buffer that cannot be a frame in progress.
 */
export class FrameDecoder {
  readonly #decoder: LengthPrefixedDecoder

  /** `chunkBytesMax`: the largest chunk the stream can deliver at once (its receive window). */
  constructor(chunkBytesMax: number) {
    this.#decoder = new LengthPrefixedDecoder({
      maxDataLength: frameBytesMax,
      // A frame in progress plus one more chunk is the most that can legitimately be waiting.
      maxBufferSize: frameBytesMax + framePrefixBytesMax + chunkBytesMax,
    })
  }

  *decode(chunk: Uint8Array | Uint8ArrayList): Generator<Uint8Array> {
    for (const frame of this.#decoder.decode(chunk)) yield frame.subarray()
  }
}
