// The private network's cipher (xsalsa20, its WebAssembly build) works in a fixed 64 MiB of
// memory and throws when handed more at once; @libp2p/pnet hands it whatever a connection has
// queued or received in one go, and the throw escapes libp2p and kills the process (seen under
// load: tens of MB of Raft entries behind a slow peer, in either direction). A stream cipher gives
// the same bytes when fed in pieces, so every update is cut into pieces it can always take.
// Imported for this effect by the libp2p host (libp2p-node.ts), before any connection exists.

import { createRequire } from 'node:module'

/** The most the cipher is given at once. */
export const cipherPieceBytesMax = 1024 * 1024

interface XSalsa20 {
  update(input: Uint8Array, output?: Uint8Array): Uint8Array
}

const require = createRequire(import.meta.url)
const XSalsa20 = require('xsalsa20') as { prototype: XSalsa20 & { piecewise?: true } }
const whole = XSalsa20.prototype.update

if (!XSalsa20.prototype.piecewise) {
  XSalsa20.prototype.piecewise = true
  XSalsa20.prototype.update = function update(this: XSalsa20, input: Uint8Array, output?: Uint8Array) {
    if (!input || input.length <= cipherPieceBytesMax) return whole.call(this, input, output)
    const out = output ?? new Uint8Array(input.length)
    for (let at = 0; at < input.length; at += cipherPieceBytesMax) {
      const end = Math.min(input.length, at + cipherPieceBytesMax)
      whole.call(this, input.subarray(at, end), out.subarray(at, end))
    }
    return out
  }
}
