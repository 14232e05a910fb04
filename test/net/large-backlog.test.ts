// A connection with more queued than the private network's cipher can take in one piece (its
// WebAssembly memory is capped at 64 MiB): every byte arrives, and the agent does not crash.

import { createRequire } from 'node:module'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Mesh } from '../../net/mesh.ts'
import { cipherPieceBytesMax } from '../../net/xsalsa20-pieces.ts'
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
    assert.ok(streams * bytesPerStream > 64 * 1024 * 1024 && cipherPieceBytesMax <= 1024 * 1024)
    for (const stream of opened) await stream.close()
  }),
)

test('the cipher takes 80 MiB in one update, and gives the bytes it gives piece by piece', () => {
  const require = createRequire(import.meta.url)
  const xsalsa20 = require('xsalsa20') as (
    nonce: Uint8Array,
    key: Uint8Array,
  ) => {
    update(input: Uint8Array): Uint8Array
  }
  const nonce = new Uint8Array(24).fill(7)
  const key = new Uint8Array(32).fill(9)
  const input = new Uint8Array(80 * 1024 * 1024)
  for (let i = 0; i < input.length; i += 4093) input[i] = i & 255
  const whole = xsalsa20(nonce, key).update(input)
  const cipher = xsalsa20(nonce, key)
  const step = 65_537 // not a multiple of the cipher's 64-byte block
  for (let at = 0; at < input.length; at += step) {
    const piece = cipher.update(input.subarray(at, at + step))
    assert.ok(Buffer.from(piece).equals(Buffer.from(whole.subarray(at, at + step))), `bytes at ${at}`)
  }
  assert.ok(cipherPieceBytesMax < input.length)
})

test('ciphers whose view of the shared memory went stale do not grow it without end', () => {
  const require = createRequire(import.meta.url)
  const xsalsa20 = require('xsalsa20') as (
    nonce: Uint8Array,
    key: Uint8Array,
  ) => {
    update(input: Uint8Array): Uint8Array
  }
  const ciphers = Array.from({ length: 8 }, (_, i) =>
    xsalsa20(new Uint8Array(24).fill(i), new Uint8Array(32)),
  )
  const piece = new Uint8Array(900 * 1024)
  // Each round, one cipher grows the memory a little further, leaving the others' views stale.
  for (let round = 0; round < 200; round++) {
    for (const cipher of ciphers)
      cipher.update(piece.subarray(0, 100 * 1024 + ((round * 4096) % (800 * 1024))))
  }
})

test.run()
