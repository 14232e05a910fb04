// A framed binary layout for values that carry many megabytes of bytes (a cluster state, a Raft
// snapshot): the format byte, the length of a packed header (4 bytes, big-endian), the header,
// then the body's bytes as they are. Packed as one msgpack value instead, the body was copied
// several times over, for a hundred milliseconds and more.

/** The frame of `header` and the body parts, laid one after another. */
export function frame(version: number, header: Uint8Array, body: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(5 + header.length + body.reduce((sum, part) => sum + part.length, 0))
  out[0] = version
  new DataView(out.buffer).setUint32(1, header.length)
  out.set(header, 5)
  let offset = 5 + header.length
  for (const part of body) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/**
 * A frame's header and body (views into `bytes`), or what is wrong with it. The caller has checked
 * the format byte; `headerName` names the header in the problem (`the meta runs past the end`).
 */
export function unframe(
  bytes: Uint8Array,
  headerName: string,
): { readonly header: Uint8Array; readonly body: Uint8Array } | string {
  if (bytes.length < 5) return `too short (${bytes.length} bytes)`
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1)
  if (5 + headerLength > bytes.length) return `the ${headerName} runs past the end`
  return { header: bytes.subarray(5, 5 + headerLength), body: bytes.subarray(5 + headerLength) }
}
