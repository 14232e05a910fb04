// Versioned binary formats for entries, messages and snapshots (msgpackr). Every encoding starts
// with a format byte so that a rolling upgrade never reads an entry with the wrong meaning: an
// unknown format is refused with an error instead of being guessed at.

import { Packr } from 'msgpackr'
import { frame, unframe } from '../core/framed.ts'
import type { Entry, HardState, Message, Snapshot } from './types.ts'

export const entryFormatVersion = 1
export const messageFormatVersion = 1
export const snapshotFormatVersion = 2
export const hardStateFormatVersion = 1

// Plain maps, no shared record structures: every value decodes on its own (disk, any peer).
const packr = new Packr({ useRecords: false, moreTypes: false })

export class FormatError extends Error {
  static override readonly name = 'FormatError'
  readonly code = 'ERR_RAFT_FORMAT'
  constructor(message: string) {
    super(message)
    this.name = 'FormatError'
  }
}

function encodeVersioned(version: number, value: unknown): Uint8Array {
  const body = packr.pack(value)
  const out = new Uint8Array(body.length + 1)
  out[0] = version
  out.set(body, 1)
  return out
}

function decodeVersioned(what: string, expected: number, bytes: Uint8Array): unknown {
  if (bytes.length < 2) throw new FormatError(`${what}: ${bytes.length} bytes is too short to be valid`)
  if (bytes[0] !== expected) {
    throw new FormatError(
      `${what}: format version ${bytes[0]} is not supported (this build reads ${expected})`,
    )
  }
  try {
    return packr.unpack(bytes.subarray(1))
  } catch (error) {
    throw new FormatError(`${what}: malformed body (${(error as Error).message})`)
  }
}

export const encodeEntry = (entry: Entry): Uint8Array => encodeVersioned(entryFormatVersion, entry)
export const decodeEntry = (bytes: Uint8Array): Entry =>
  decodeVersioned('raft entry', entryFormatVersion, bytes) as Entry

export const encodeMessage = (message: Message): Uint8Array => encodeVersioned(messageFormatVersion, message)
export const decodeMessage = (bytes: Uint8Array): Message =>
  decodeVersioned('raft message', messageFormatVersion, bytes) as Message

/** Format 2 is framed (core/framed.ts): the packed meta, then the state machine's bytes as they are. */
export const encodeSnapshot = (snapshot: Snapshot): Uint8Array =>
  frame(snapshotFormatVersion, packr.pack(snapshot.meta), [snapshot.data])

export function decodeSnapshot(bytes: Uint8Array): Snapshot {
  // Format 1 (meta and data packed together) is still read: snapshots written before format 2.
  if (bytes[0] === 1) return decodeVersioned('raft snapshot', 1, bytes) as Snapshot
  if (bytes.length >= 1 && bytes[0] !== snapshotFormatVersion) {
    throw new FormatError(
      `raft snapshot: format version ${bytes[0]} is not supported (this build reads ${snapshotFormatVersion})`,
    )
  }
  const framed = unframe(bytes, 'meta')
  // A snapshot holds at least one byte of data.
  if (typeof framed === 'string' || framed.body.length === 0) {
    throw new FormatError(
      `raft snapshot: ${typeof framed === 'string' ? framed : 'the meta runs past the end'}`,
    )
  }
  let meta: Snapshot['meta']
  try {
    meta = packr.unpack(framed.header) as Snapshot['meta']
  } catch (error) {
    throw new FormatError(`raft snapshot: malformed meta (${(error as Error).message})`)
  }
  // A copy: the data outlives the buffer it was read into.
  return { meta, data: framed.body.slice() }
}

export const encodeHardState = (hardState: HardState): Uint8Array =>
  encodeVersioned(hardStateFormatVersion, hardState)
export const decodeHardState = (bytes: Uint8Array): HardState =>
  decodeVersioned('raft hard state', hardStateFormatVersion, bytes) as HardState
