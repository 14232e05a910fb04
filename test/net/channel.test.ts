// Channels (net/channel.ts, net/outbound-link.ts): ordered delivery, coalesced writes, the bounded
// per-peer queue under a receiver that stopped reading, and malformed frames from a raw stream.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { frameBytesMax } from '../../net/frames.ts'
import { streamWindowBytesMax } from '../../net/libp2p-node.ts'
import type { Mesh } from '../../net/mesh.ts'
import { flushBytesMax } from '../../net/outbound-link.ts'
import { bounded, link, startMeshes, stopAll, until } from './helpers.ts'

const test = suite('channel')
let a: Mesh
let b: Mesh

test.before(async () => {
  ;[a, b] = (await startMeshes(2)) as [Mesh, Mesh]
  await link(a, b)
})

test.after(async () => stopAll([a, b]))

test(
  '50k small messages arrive complete and in order, in far fewer stream writes than messages',
  bounded(async () => {
    const protocol = '/cox/test/ordered/1.0.0'
    const count = 50_000
    const received: number[] = []
    b.channel<{ seq: number }>(protocol, {
      onMessage: (from, message) => from === a.id && received.push(message.seq),
    })
    const channel = a.channel<{ seq: number }>(protocol, { onMessage: () => {} })
    // Half in one synchronous burst, half spread over turns of the event loop.
    for (let seq = 0; seq < count / 2; seq++) assert.ok(channel.send(b.id, { seq }), `message ${seq} queued`)
    for (let seq = count / 2; seq < count; seq++) {
      assert.ok(channel.send(b.id, { seq }), `message ${seq} queued`)
      if (seq % 1_000 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    await until(() => received.length === count, `${count} messages (have ${received.length})`)
    assert.ok(
      received.every((seq, index) => seq === index),
      'in order',
    )
    const stats = channel.stats()
    assert.is(stats.sent, count)
    assert.is(stats.dropped, 0)
    assert.ok(stats.sendCalls <= count / 100, `${stats.sendCalls} stream writes for ${count} messages`)
  }),
)

test(
  'a receiver that stops reading makes send refuse once the bounded queue is full; memory stays bounded',
  bounded(async () => {
    const protocol = '/cox/test/stalled/1.0.0'
    const queueBytesMax = 1024 * 1024
    // The receiver accepts the stream and never reads: yamux stops granting window, writes stall.
    await b.libp2p.handle(protocol, (stream) => stream.pause())
    const channel = a.channel<Uint8Array>(protocol, { onMessage: () => {}, queueBytesMax })
    const payload = new Uint8Array(1_000)
    let accepted = 0
    let refused = 0
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 1_000; i++) {
        if (channel.send(b.id, payload)) accepted++
        else refused++
      }
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    assert.ok(refused > 0, 'some sends refused')
    // What a stalled peer can hold: its queue, one batch in the stream's buffer, and a window in flight.
    const stalledBytes = accepted * payload.length
    const stalledBytesMax = queueBytesMax + flushBytesMax + streamWindowBytesMax
    assert.ok(
      stalledBytes <= stalledBytesMax,
      `accepted ${stalledBytes} of 50 MB, at most ${stalledBytesMax}`,
    )
    assert.ok(channel.queuedBytes(b.id) <= queueBytesMax, `queue ${channel.queuedBytes(b.id)} bytes`)
    const outbound = a.libp2p
      .getConnections(b.libp2p.peerId)
      .flatMap((connection) => connection.streams)
      .filter((stream) => stream.protocol === protocol)
    assert.is(outbound.length, 1)
    assert.ok(
      outbound[0]!.writeBufferLength <= flushBytesMax,
      `stream buffer ${outbound[0]!.writeBufferLength}`,
    )
    assert.ok(channel.stats().dropped >= refused)
    // The mesh itself is unaffected: RPC between the same peers still answers.
    b.handle('ping', async () => 'pong')
    assert.is(await a.call(b.id, 'ping', null), 'pong')
  }),
)

test(
  'a malformed or oversized frame resets that stream only; the channel keeps delivering',
  bounded(async () => {
    const protocol = '/cox/test/malformed/1.0.0'
    const received: unknown[] = []
    const receiving = a.channel<unknown>(protocol, { onMessage: (_from, message) => received.push(message) })
    const sending = b.channel<unknown>(protocol, { onMessage: () => {} })

    for (const garbage of [
      new Uint8Array([2, 0x92, 0x01]), // a two-byte frame that is not msgpack: an array of 2 holding 1 item
      encodeVarint(frameBytesMax + 1), // a length prefix beyond the limit
    ]) {
      const raw = await b.libp2p.dialProtocol(a.libp2p.peerId, protocol)
      const closed = new Promise<unknown>((resolve) =>
        raw.addEventListener('close', (event) => resolve(event.error)),
      )
      raw.send(garbage)
      const error = await closed
      assert.ok(error !== undefined, 'the raw stream was reset, not closed cleanly')
    }
    assert.is(receiving.stats().malformed, 2)

    assert.ok(sending.send(a.id, { hello: 'after garbage' }))
    await until(() => received.length === 1, 'a good message after the garbage')
    assert.equal(received, [{ hello: 'after garbage' }])
    assert.ok(a.isConnected(b.id), 'the connection survived')
  }),
)

test(
  'send to a peer that is not connected is refused at once',
  bounded(async () => {
    const channel = a.channel<string>('/cox/test/nobody/1.0.0', { onMessage: () => {} })
    assert.is(channel.send('12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo', 'hello'), false)
    assert.is(channel.stats().dropped, 1)
  }),
)

function encodeVarint(value: number): Uint8Array {
  const bytes: number[] = []
  let rest = value
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80)
    rest = Math.floor(rest / 0x80)
  }
  bytes.push(rest)
  return new Uint8Array(bytes)
}

test.run()
