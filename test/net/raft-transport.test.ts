// The Raft transport (net/raft-transport.ts): control messages keep flowing while the data channel
// drains a large backlog of appends, and a message whose `from` is not the authenticated sender, or
// that does not decode, is dropped without disturbing the messages behind it.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Mesh } from '../../net/mesh.ts'
import { RaftTransport, raftControlProtocol } from '../../net/raft-transport.ts'
import { encodeMessage } from '../../raft/codec.ts'
import type { Message } from '../../raft/types.ts'
import { bounded, link, startMeshes, stopAll, until } from './helpers.ts'

const test = suite('raft transport')
const appendCount = 40
const entryBytes = 512 * 1024
let leader: Mesh
let follower: Mesh
let stranger: Mesh
let leaderTransport: RaftTransport
let followerTransport: RaftTransport
const inbox: { message: Message; atMs: number }[] = []

test.before(async () => {
  ;[leader, follower, stranger] = (await startMeshes(3)) as [Mesh, Mesh, Mesh]
  await link(leader, follower)
  await link(stranger, follower)
  leaderTransport = new RaftTransport(leader, { onMessage: () => {} })
  followerTransport = new RaftTransport(follower, {
    onMessage: (message) => inbox.push({ message, atMs: performance.now() }),
  })
})

test.after(async () => stopAll([leader, follower, stranger]))

function append(index: number): Message {
  const entry = { kind: 'command' as const, term: 1, index, data: new Uint8Array(entryBytes).fill(index) }
  return {
    type: 'append',
    from: leader.id,
    to: follower.id,
    term: 1,
    prevIndex: index - 1,
    prevTerm: 1,
    entries: [entry],
    commit: 0,
  }
}

function heartbeat(from: string, round: number): Message {
  return { type: 'heartbeat', from, to: follower.id, term: 1, commit: 0, readRound: round }
}

test(
  'heartbeats overtake a 20 MiB backlog of appends and keep arriving while it drains',
  bounded(async () => {
    leaderTransport.send(Array.from({ length: appendCount }, (_, i) => append(i + 1)))
    const sentAtMs = new Map<number, number>()
    let round = 0
    const beat = () => {
      round++
      sentAtMs.set(round, performance.now())
      leaderTransport.send([heartbeat(leader.id, round)])
    }
    beat()
    const appendsArrived = () => inbox.filter((item) => item.message.type === 'append').length
    while (appendsArrived() < appendCount) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      beat()
    }
    const heartbeatsArrived = () => inbox.filter((item) => item.message.type === 'heartbeat').length
    await until(() => heartbeatsArrived() === round, `all ${round} heartbeats`)
    const heartbeats = inbox.filter((item) => item.message.type === 'heartbeat')
    const appends = inbox.filter((item) => item.message.type === 'append')
    assert.equal(
      appends.map((item) => (item.message as Extract<Message, { type: 'append' }>).prevIndex + 1),
      Array.from({ length: appendCount }, (_, i) => i + 1),
      'appends in order, none lost',
    )
    const first = inbox.findIndex((item) => item.message.type === 'heartbeat')
    const appendsBeforeFirst = inbox.slice(0, first).filter((item) => item.message.type === 'append').length
    assert.ok(
      appendsBeforeFirst < appendCount / 2,
      `the first heartbeat came after ${appendsBeforeFirst} appends`,
    )

    const drainMs = appends.at(-1)!.atMs - sentAtMs.get(1)!
    const latenciesMs = heartbeats.map((item) => {
      const sent = sentAtMs.get((item.message as Extract<Message, { type: 'heartbeat' }>).readRound)!
      return item.atMs - sent
    })
    const worstMs = Math.max(...latenciesMs)
    assert.ok(heartbeats.length >= 2, `${heartbeats.length} heartbeats during the drain`)
    assert.ok(
      worstMs < drainMs / 2,
      `worst heartbeat latency ${worstMs.toFixed(1)} ms, drain ${drainMs.toFixed(1)} ms`,
    )
    assert.equal(leaderTransport.stats().dropped, 0)
  }),
)

test(
  'a message claiming another sender is dropped; one that does not decode too; the next good one arrives',
  bounded(async () => {
    inbox.length = 0
    // The stranger is a mesh member without a Raft transport, speaking the control protocol by hand.
    const raw = stranger.channel<Uint8Array>(raftControlProtocol, {
      onMessage: () => {},
      encode: (bytes) => bytes,
      decode: (bytes) => bytes,
    })
    const before = followerTransport.stats()
    assert.ok(raw.send(follower.id, encodeMessage(heartbeat(leader.id, 1)))) // forged: claims to be the leader
    assert.ok(raw.send(follower.id, new Uint8Array([99, 1, 2, 3]))) // an unknown format version
    assert.ok(raw.send(follower.id, encodeMessage(heartbeat(stranger.id, 2)))) // honest
    await until(() => inbox.length === 1, 'the honest heartbeat')
    assert.is(inbox[0]!.message.from, stranger.id)
    const after = followerTransport.stats()
    assert.is(after.rejected - before.rejected, 2)
    assert.is(after.received - before.received, 1)
  }),
)

test('messages to unconnected peers, or to this node, are dropped without blocking', () => {
  const before = leaderTransport.stats().dropped
  const nobody = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
  leaderTransport.send([
    { ...heartbeat(leader.id, 1), to: nobody },
    { ...append(1), to: nobody },
    { ...heartbeat(leader.id, 1), to: leader.id },
  ])
  assert.is(leaderTransport.stats().dropped - before, 3)
})

test.run()
