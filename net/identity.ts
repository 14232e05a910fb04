// The node's libp2p identity: an Ed25519 key kept in one file (`DIR/node.key`, protobuf, mode 0600),
// so a restarted node keeps its PeerId and the addresses others remember for it stay valid.

import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'

export const identityFileMode = 0o600

export async function loadOrCreateIdentity(path: string): Promise<PrivateKey> {
  const existing = await readIdentity(path)
  if (existing) return existing
  const key = await generateKeyPair('Ed25519')
  await writeFileAtomically(path, privateKeyToProtobuf(key))
  return key
}

async function readIdentity(path: string): Promise<PrivateKey | undefined> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  try {
    return privateKeyFromProtobuf(bytes)
  } catch (error) {
    // Never replace a damaged key silently: the node would come back as a stranger to its cluster.
    throw new Error(`the identity file ${path} is not a libp2p private key (${(error as Error).message})`, {
      cause: error,
    })
  }
}

/** Writes a temporary file, syncs it, renames it over `path` and syncs the directory: all or nothing. */
async function writeFileAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const directory = dirname(path)
  await mkdir(directory, { recursive: true })
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    const file = await open(temporary, 'wx', identityFileMode)
    try {
      await file.writeFile(bytes)
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
  const handle = await open(directory, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
