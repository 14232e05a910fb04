// The private network's cipher (xsalsa20 1.2, its WebAssembly build) runs in one WebAssembly
// memory, capped at 64 MiB, that all its instances share; each instance keeps its own view of
// that memory. Two faults made it throw once the memory filled up, and the throw escaped libp2p
// (@libp2p/pnet) and killed the process:
//  - an instance whose view went stale (another instance grew the memory, which detaches the old
//    buffer) sees a memory of length 0 and grows it again by all it needs, on every update;
//  - one update is given whatever a connection has queued or read at once, tens of MB under load.
// So before each update a stale view is renewed, and updates are cut into pieces of at most
// 1 MiB (a stream cipher gives the same bytes when fed in pieces). Imported for this effect by
// the libp2p host (libp2p-node.ts) before any connection exists.

import { createRequire } from 'node:module'

/** The most the cipher is given at once. */
export const cipherPieceBytesMax = 1024 * 1024

interface Cipher {
  update(input: Uint8Array, output?: Uint8Array): Uint8Array
  /** The WebAssembly state, when the WebAssembly build is used. */
  _xor?: { _memory?: Uint8Array }
}

const require = createRequire(import.meta.url)
const XSalsa20 = require('xsalsa20') as { prototype: Cipher & { renewsViews?: true } }
const whole = XSalsa20.prototype.update
/** The memory's live buffer, as last seen by any instance (growing it detaches the old one). */
let live: ArrayBufferLike | undefined

function renewView(cipher: Cipher): void {
  const state = cipher._xor
  if (!state?._memory) return
  if (state._memory.buffer.byteLength === 0) {
    if (live && live.byteLength > 0) state._memory = new Uint8Array(live)
  } else live = state._memory.buffer
}

function updateOnce(cipher: Cipher, input: Uint8Array, output: Uint8Array): void {
  renewView(cipher)
  whole.call(cipher, input, output)
  renewView(cipher)
}

if (!XSalsa20.prototype.renewsViews) {
  XSalsa20.prototype.renewsViews = true
  XSalsa20.prototype.update = function update(this: Cipher, input: Uint8Array, output?: Uint8Array) {
    if (!input) return whole.call(this, input, output)
    const out = output ?? new Uint8Array(input.length)
    for (let at = 0; at < input.length; at += cipherPieceBytesMax) {
      const end = Math.min(input.length, at + cipherPieceBytesMax)
      updateOnce(this, input.subarray(at, end), out.subarray(at, end))
    }
    return out
  }
}
