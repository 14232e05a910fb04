// A connection with more queued than the private network's cipher can take in one piece (its
// WebAssembly memory is capped at 64 MiB): every byte arrives, and the agent does not crash.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { sealedPieceBytesMax } from '../../net/libp2p-node.ts'
import type { Mesh } from '../../net/mesh.ts'
import { bounded, link, startMeshes, stopAll, until } from './helpers.ts'

const test = suite('net: large backlog')
let a: Mesh
let b: Mesh

test.before(async () => {
  ;[a, b] = (await startMeshes(2)) as [Mesh, Mesh]
  await link(a, b)
})

test.after(async () => stopAll([a, b]))

test(
  '80 MiB queued at once on one connection all arrive',
  bounded(async () => {
    const protocol = '/cox/test/backlog/1.0.0'
    const streams = 40
    const bytesPerStream = 2 * 1024 * 1024
    let received = 0
    await b.libp2p.handle(
      protocol,
      (stream) => {
        stream.addEventListener('message', (event) => {
          received += event.data.byteLength
        })
      },
      { maxInboundStreams: streams },
    )
    const opened = await Promise.all(
      Array.from({ length: streams }, () =>
        a.libp2p.dialProtocol(b.libp2p.peerId, protocol, { maxOutboundStreams: streams }),
      ),
    )
    // All written in one turn of the event loop: nothing drains before the last write.
    for (const stream of opened) stream.send(new Uint8Array(bytesPerStream))
    await until(() => received === streams * bytesPerStream, `all bytes (have ${received})`, 60_000)
    assert.ok(streams * bytesPerStream > 64 * 1024 * 1024 && sealedPieceBytesMax <= 1024 * 1024)
    for (const stream of opened) await stream.close()
  }),
)

test.run()
