// Peer exchange (net/peer-exchange.ts) and the redial loop (net/members.ts): from one bootstrap
// address every node learns every member and connects to it, and keeps reconnecting to members.

import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { redialBackoffMsMax } from '../../net/members.ts'
import type { Mesh } from '../../net/mesh.ts'
import { bounded, startMesh, startMeshes, stopAll, until } from './helpers.ts'

const test = suite('peer exchange')
const meshes: Mesh[] = []
let dKey: PrivateKey

test.after(async () => stopAll(meshes))

const fullyMeshed = (group: readonly Mesh[]) =>
  group.every((mesh) => group.every((other) => other === mesh || mesh.isConnected(other.id)))

test(
  'C and B bootstrap only from A: all three learn each other and connect',
  bounded(async () => {
    const [a, b, c] = (await startMeshes(3)) as [Mesh, Mesh, Mesh]
    meshes.push(a, b, c)
    assert.is(await c.connect(a.addresses()[0]!), a.id)
    assert.is(await b.connect(a.addresses()[0]!), a.id)
    await until(() => fullyMeshed([a, b, c]), 'a full mesh of three')

    for (const mesh of [a, b, c]) {
      const others = [a, b, c].filter((other) => other !== mesh)
      const peers = mesh.peers()
      assert.equal(peers.map((peer) => peer.id).sort(), others.map((other) => other.id).sort(), 'members')
      for (const peer of peers) {
        assert.ok(peer.connected)
        assert.ok(peer.addresses.length > 0)
        assert.ok(
          peer.addresses.every((address) => address.endsWith(`/p2p/${peer.id}`)),
          'dialable addresses',
        )
      }
    }
  }),
)

test(
  'a fourth node joining through B is learned by all, including A and C which it never dialed',
  bounded(async () => {
    const [a, b, c] = meshes as [Mesh, Mesh, Mesh]
    dKey = await generateKeyPair('Ed25519')
    const d = await startMesh({ privateKey: dKey })
    meshes.push(d)
    await d.connect(b.addresses()[0]!)
    await until(() => fullyMeshed([a, b, c, d]), 'a full mesh of four')
  }),
)

test(
  'a member that restarts with its identity and address is redialed by every member, untold',
  bounded(async () => {
    const [a, b, c, d] = meshes as [Mesh, Mesh, Mesh, Mesh]
    const changes: string[] = []
    a.onPeerChange((id, connected) => id === d.id && changes.push(connected ? 'up' : 'down'))
    const listen = d.addresses()[0]!.replace(/\/p2p\/.*$/, '')
    await d.stop()
    await until(() => [a, b, c].every((mesh) => !mesh.isConnected(d.id)), 'd gone everywhere')
    assert.ok(
      a.peers().some((peer) => peer.id === d.id && !peer.connected),
      'still a member while down',
    )
    // Let the redial backoff grow to its cap before d comes back.
    await new Promise((resolve) => setTimeout(resolve, 3 * redialBackoffMsMax))

    const startMs = performance.now()
    const restarted = await startMesh({ privateKey: dKey, listen })
    meshes[3] = restarted
    await until(() => fullyMeshed([a, b, c, restarted]), 'd redialed by a, b and c', 4 * redialBackoffMsMax)
    const elapsedMs = performance.now() - startMs
    assert.ok(elapsedMs < 2 * redialBackoffMsMax, `reconnected after ${Math.round(elapsedMs)} ms`)
    assert.equal(changes, ['down', 'up'])
  }),
)

test.run()
