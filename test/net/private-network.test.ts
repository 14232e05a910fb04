// The pre-shared key keeps strangers out (net/libp2p-node.ts, net/errors.ts): a node with another key,
// or with none, cannot connect either way and gets an error that says why; the protected node stays
// connected to its real peers and keeps serving them.

import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { type Mesh, MeshConnectError } from '../../net/mesh.ts'
import { generatePsk } from '../../net/psk.ts'
import { bounded, link, loopback, rejection, startMesh, startMeshes, stopAll } from './helpers.ts'

const test = suite('private network')
const strangerDialTimeoutMs = 2_000
let a: Mesh
let b: Mesh
let otherKey: Mesh
let noKey: Libp2p
const opened: string[] = []

test.before(async () => {
  ;[a, b] = (await startMeshes(2)) as [Mesh, Mesh]
  await link(a, b)
  a.handle('ping', async () => 'pong')
  a.libp2p.addEventListener('connection:open', (event) => opened.push(event.detail.remotePeer.toString()))
  otherKey = await startMesh({ psk: generatePsk(), dialTimeoutMs: strangerDialTimeoutMs })
  noKey = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: [loopback] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
  })
})

test.after(async () => {
  await stopAll([a, b, otherKey])
  await noKey.stop()
})

/** A refused stranger fails in the handshake or, as the garbled bytes sometimes go unanswered, by timing out. */
function assertRefused(error: Error, address: string): void {
  assert.instance(error, MeshConnectError)
  const refusal = error as MeshConnectError
  assert.ok(['handshake', 'timeout'].includes(refusal.reason), `reason ${refusal.reason}: ${refusal.message}`)
  assert.ok(refusal.message.startsWith(`could not connect to ${address}: `), refusal.message)
  assert.match(refusal.message, /join token \(pre-shared key\)/)
}

test(
  'a node with another key cannot connect and is told it may hold the wrong join token',
  bounded(async () => {
    const address = a.addresses()[0]!
    const error = await rejection(otherKey.connect(address))
    assertRefused(error, address)
    assert.is(otherKey.isConnected(a.id), false)
  }),
)

test(
  'a member cannot connect to a node with another key either',
  bounded(async () => {
    const address = otherKey.addresses()[0]!
    assertRefused(await rejection(a.connect(address, { timeoutMs: strangerDialTimeoutMs })), address)
  }),
)

test(
  'a node without a key cannot connect, in either direction',
  bounded(async () => {
    const failure = await rejection(
      noKey.dial(multiaddr(a.addresses()[0]!), { signal: AbortSignal.timeout(strangerDialTimeoutMs) }),
    )
    assert.ok(failure instanceof Error)
    assert.is(noKey.getConnections().length, 0)
    const address = noKey.getMultiaddrs()[0]!.toString()
    assertRefused(await rejection(a.connect(address, { timeoutMs: strangerDialTimeoutMs })), address)
  }),
)

test(
  'the protected node never opened a connection to a stranger and still serves its real peer',
  bounded(async () => {
    assert.ok(!opened.includes(otherKey.id), 'no connection with the other-key node')
    assert.ok(!opened.includes(noKey.peerId.toString()), 'no connection with the keyless node')
    assert.ok(a.isConnected(b.id))
    assert.equal(
      a.libp2p.getConnections().map((connection) => connection.remotePeer.toString()),
      [b.id],
    )
    assert.is(await b.call(a.id, 'ping', null), 'pong')
  }),
)

test(
  'an address that is not a multiaddr, or where nothing listens, gets its own explanation',
  bounded(async () => {
    const invalid = (await rejection(a.connect('not-an-address'))) as MeshConnectError
    assert.instance(invalid, MeshConnectError)
    assert.is(invalid.reason, 'address')
    const stopped = await startMesh()
    const address = stopped.addresses()[0]!
    await stopped.stop()
    const refused = (await rejection(a.connect(address))) as MeshConnectError
    assert.is(refused.reason, 'refused', refused.message)
  }),
)

test.run()
