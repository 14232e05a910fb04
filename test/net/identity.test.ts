// The node identity (net/identity.ts) and the pre-shared key format (net/psk.ts): a restarted node keeps
// its PeerId and, on the same port, its address; keys round-trip through their hex form; bad input is
// refused with a clear error.

import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { identityFileMode, loadOrCreateIdentity } from '../../net/identity.ts'
import { Mesh } from '../../net/mesh.ts'
import { generatePsk, pskBytesLength, pskFromHex, pskToHex } from '../../net/psk.ts'
import { bounded, rejection, sharedPsk } from './helpers.ts'

const test = suite('identity')
let directory: string

test.before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'cox-net-identity-'))
})

test.after(async () => rm(directory, { recursive: true, force: true }))

test(
  'a restarted node keeps its PeerId and, on the same port, its address',
  bounded(async () => {
    const path = join(directory, 'data', 'node.key')
    const port = await freePort()
    const listen = `/ip4/127.0.0.1/tcp/${port}`
    const first = await Mesh.start({ privateKey: await loadOrCreateIdentity(path), psk: sharedPsk, listen })
    const before = { id: first.id, addresses: first.addresses() }
    await first.stop()

    const second = await Mesh.start({ privateKey: await loadOrCreateIdentity(path), psk: sharedPsk, listen })
    try {
      assert.is(second.id, before.id)
      assert.equal(second.addresses(), before.addresses)
      assert.equal(second.addresses(), [`${listen}/p2p/${before.id}`])
    } finally {
      await second.stop()
    }
    assert.is((await stat(path)).mode & 0o777, identityFileMode)
  }),
)

test(
  'distinct files make distinct identities; a damaged file is refused, never replaced',
  bounded(async () => {
    const a = await loadOrCreateIdentity(join(directory, 'a.key'))
    const b = await loadOrCreateIdentity(join(directory, 'b.key'))
    assert.is.not(a.publicKey.toString(), b.publicKey.toString())

    const damaged = join(directory, 'damaged.key')
    await writeFile(damaged, 'not a key')
    const error = await rejection(loadOrCreateIdentity(damaged))
    assert.match(error.message, /damaged\.key is not a libp2p private key/)
    assert.is(await readFile(damaged, 'utf8'), 'not a key')
  }),
)

test('a generated pre-shared key round-trips through its 64 hex characters', () => {
  const psk = generatePsk()
  assert.is(psk.length, pskBytesLength)
  const hex = pskToHex(psk)
  assert.match(hex, /^[0-9a-f]{64}$/)
  assert.equal(pskFromHex(hex), psk)
  assert.equal(pskFromHex(` ${hex.toUpperCase()}\n`), psk, 'white space and case do not matter')
  assert.is.not(pskToHex(generatePsk()), hex)
})

test('malformed pre-shared keys are refused with a clear error', () => {
  assert.throws(() => pskFromHex('abc'), /expected 64 hex characters.*got 3/)
  assert.throws(() => pskFromHex('z'.repeat(64)), /non-hex character/)
  assert.throws(() => pskToHex(new Uint8Array(95)), /not a pre-shared key file/)
})

test(
  'a start on a port in use, or with a bad key, fails with an error that says so',
  bounded(async () => {
    const first = await Mesh.start({
      privateKey: await loadOrCreateIdentity(join(directory, 'first.key')),
      psk: sharedPsk,
      listen: '/ip4/127.0.0.1/tcp/0',
    })
    try {
      const listen = first.addresses()[0]!.replace(/\/p2p\/.*$/, '')
      const privateKey = await loadOrCreateIdentity(join(directory, 'second.key'))
      const inUse = await rejection(Mesh.start({ privateKey, psk: sharedPsk, listen }))
      assert.is(
        inUse.message,
        `could not start the mesh listening on ${listen}: the address is already in use (another process listens on that port)`,
      )
      const badKey = await rejection(
        Mesh.start({ privateKey, psk: new Uint8Array(95), listen: '/ip4/127.0.0.1/tcp/0' }),
      )
      assert.match(badKey.message, /not a pre-shared key file/)
    } finally {
      await first.stop()
    }
  }),
)

/** A port that was free a moment ago (the kernel picks it; we release it for the mesh). */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

test.run()
