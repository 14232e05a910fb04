// Shared by the net/ tests: real meshes on 127.0.0.1 (port 0), waiting on conditions with a bound,
// and a deadline around every test so a hung libp2p operation fails the test instead of the run.

import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { Mesh } from '../../net/mesh.ts'
import { generatePsk } from '../../net/psk.ts'

export const loopback = '/ip4/127.0.0.1/tcp/0'
/** Default bound for one test; a test that needs more says so. */
export const testTimeoutMs = 10_000
export const pollIntervalMs = 5

export const sharedPsk = generatePsk()

export interface TestMeshOptions {
  readonly privateKey?: PrivateKey
  readonly psk?: Uint8Array
  readonly listen?: string
  readonly dialTimeoutMs?: number
}

export async function startMesh(options: TestMeshOptions = {}): Promise<Mesh> {
  return Mesh.start({
    privateKey: options.privateKey ?? (await generateKeyPair('Ed25519')),
    psk: options.psk ?? sharedPsk,
    listen: options.listen ?? loopback,
    dialTimeoutMs: options.dialTimeoutMs ?? 2_000,
  })
}

export async function startMeshes(count: number): Promise<Mesh[]> {
  return Promise.all(Array.from({ length: count }, () => startMesh()))
}

/** Connects `from` to `to` and waits until both ends see the connection. */
export async function link(from: Mesh, to: Mesh): Promise<void> {
  await from.connect(to.addresses()[0]!)
  await until(() => from.isConnected(to.id) && to.isConnected(from.id), `${from.id} and ${to.id} connected`)
}

export async function stopAll(meshes: readonly Mesh[]): Promise<void> {
  await Promise.all(meshes.map((mesh) => mesh.stop()))
}

/** Resolves once `predicate` holds; rejects naming `what` after `timeoutMs`. */
export async function until(
  predicate: () => boolean,
  what: string,
  timeoutMs = testTimeoutMs,
): Promise<void> {
  const startMs = performance.now()
  while (!predicate()) {
    if (performance.now() - startMs > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs))
  }
}

/** Runs `body`, failing if it takes longer than `timeoutMs`. */
export function bounded(body: () => Promise<void>, timeoutMs = testTimeoutMs): () => Promise<void> {
  return async () => {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`test exceeded its bound of ${timeoutMs} ms`)), timeoutMs)
    })
    try {
      await Promise.race([body(), deadline])
    } finally {
      clearTimeout(timer)
    }
  }
}

/** The rejection of `promise`, or a failure if it fulfils. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection, but the promise fulfilled')
}
