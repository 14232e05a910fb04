// The mesh's pre-shared key (libp2p private network, "pnet"): the 95-byte key file format that
// @libp2p/pnet reads, and its 64 hex characters, which is the part a join token carries.

import { generateKey } from '@libp2p/pnet'

const header = '/key/swarm/psk/1.0.0/\n/base16/\n'
/** The key itself is 32 random bytes, written as 64 hex characters after the header. */
export const pskHexLength = 64
export const pskBytesLength = header.length + pskHexLength

export function generatePsk(): Uint8Array {
  const psk = new Uint8Array(pskBytesLength)
  generateKey(psk)
  return psk
}

/** The 64 hex characters of a key file; throws if `psk` is not a key file as `generatePsk` makes. */
export function pskToHex(psk: Uint8Array): string {
  const text = new TextDecoder().decode(psk)
  const hex = text.slice(header.length)
  if (psk.length !== pskBytesLength || !text.startsWith(header) || !isHexKey(hex)) {
    throw new Error(
      `not a pre-shared key file: expected ${pskBytesLength} bytes starting with the pnet header`,
    )
  }
  return hex.toLowerCase()
}

/** The key file for 64 hex characters (surrounding white space is ignored). */
export function pskFromHex(hex: string): Uint8Array {
  const trimmed = hex.trim()
  if (!isHexKey(trimmed)) {
    throw new Error(
      `invalid pre-shared key: expected ${pskHexLength} hex characters (0-9, a-f), got ${trimmed.length} characters` +
        (trimmed.length === pskHexLength ? ' with a non-hex character' : ''),
    )
  }
  return new TextEncoder().encode(header + trimmed.toLowerCase())
}

function isHexKey(text: string): boolean {
  return text.length === pskHexLength && /^[0-9a-fA-F]+$/.test(text)
}
