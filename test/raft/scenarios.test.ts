// Named scenarios for the classic Raft bugs, each driven message by message through the
// deterministic harness. Every test says which bug it guards against; a failure prints the seed.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Message, NodeId } from '../../raft/types.ts'
import {
  decodeText,
  describeEntry,
  type MessageFilter,
  matching,
  TestCluster,
  type TestClusterOptions,
  votes,
} from './harness.ts'

const electionTicks = 10

/** Campaigns (again, if a vote was split or lost) delivering only votes; true once leader. */
function winVotesOnly(cluster: TestCluster, id: NodeId, attemptsMax = 4): boolean {
  for (let attempt = 0; attempt < attemptsMax; attempt++) {
    cluster.campaign(id)
    cluster.settle(votes)
    if (cluster.status(id).role === 'leader') return true
  }
  return false
}

/** Lets time pass with the network working until `done` holds; throws past `ticksMax`. */
function runUntil(cluster: TestCluster, done: () => boolean, ticksMax = 20 * electionTicks): number {
  for (let ticks = 0; ticks < ticksMax; ticks++) {
    if (done()) return ticks
    cluster.run(1)
  }
  throw new Error(`condition not reached within ${ticksMax} ticks (seed=${cluster.seed})`)
}

const between =
  (...ids: NodeId[]): MessageFilter =>
  (message) =>
    ids.includes(message.from) && ids.includes(message.to)

// ---------------------------------------------------------------- 1. figure 8

// The paper's figure 8 with five nodes. Appends carry one entry each (appendBytesMax 1) so that
// followers can hold the old-term entries without the new leader's own no-op. Terms are one lower
// than the paper's (2, 3, 4 become 1, 2, 3), and index 1 holds each leader's election no-op instead
// of a common entry; the contested index is 2, as in the paper.
const figure8Ids = ['s1', 's2', 's3', 's4', 's5']
const figure8Options: TestClusterOptions = { preVote: false, checkQuorum: false, appendBytesMax: 1 }

/**
 * Brings the cluster to the paper's (c): s1, leader of term 3, has replicated its term-1 entry
 * `x` (index 2) to s3 and s4, a majority with itself, but not yet its term-3 no-op (index 3).
 * s5 (crashed) holds a conflicting term-2 entry `y` at index 2.
 */
function figure8UpToC(options: TestClusterOptions): TestCluster {
  const cluster = new TestCluster(figure8Ids, { ...figure8Options, ...options })
  // (a) s1 leads term 1 and gets `x` to s2 only.
  assert.ok(winVotesOnly(cluster, 's1'), 's1 wins term 1')
  assert.ok(cluster.propose('s1', 'x').ok)
  cluster.drop(matching({ from: 's1', to: ['s3', 's4', 's5'] }))
  cluster.settle(between('s1', 's2'))
  assert.is(cluster.status('s2').lastIndex, 2, 's2 holds x')
  assert.is(cluster.status('s1').commit, 0, 'two of five copies commit nothing')
  // (b) s1 crashes; s5 wins term 2 with s3 and s4 and appends `y` at index 2, on itself only.
  cluster.crash('s1')
  assert.ok(winVotesOnly(cluster, 's5'), 's5 wins with s3 and s4')
  assert.is(cluster.status('s5').term, 2)
  assert.ok(cluster.propose('s5', 'y').ok)
  cluster.drop(matching({ from: 's5' }))
  assert.is(decodeText(commandData(cluster, 's5', 2)), 'y')
  cluster.crash('s5')
  // (c) s1 restarts and wins term 3 with s2, s3 and s4 (s3 and s4 voted for s5 in term 2, so it
  // takes two campaigns). It replicates its old entries to s3 and s4, holding back its no-op.
  cluster.restart('s1')
  assert.ok(winVotesOnly(cluster, 's1'), 's1 wins again')
  assert.is(cluster.status('s1').term, 3)
  cluster.drop(matching({ to: ['s2', 's5'] }))
  const withoutTerm3Entries: MessageFilter = (message) =>
    message.type !== 'append' ||
    message.entries.every((entry) => entry.term !== 3) ||
    cluster.status(message.to).lastIndex < message.prevIndex // will be refused: a probe
  cluster.settle(withoutTerm3Entries)
  for (const id of ['s3', 's4']) {
    assert.is(cluster.status(id).lastIndex, 2, `${id} holds x and not the term-3 no-op`)
    assert.is(cluster.status('s1').matchIndex.get(id), 2, `s1 counts ${id} at index 2`)
  }
  assert.is(describeEntry(cluster.raft('s3').entryAt(2)!), '1:command:x')
  return cluster
}

function commandData(cluster: TestCluster, id: NodeId, index: number): Uint8Array {
  const entry = cluster.raft(id).entryAt(index)
  assert.ok(entry?.kind === 'command', `${id} holds a command at ${index}`)
  return entry.data
}

test('figure 8: an old-term entry on a majority is not committed by counting replicas', () => {
  // Guards against committing by replica count alone: x (term 1) sits on s1, s2, s3, s4, yet s5
  // could still be elected (its last term, 2, beats theirs) and overwrite it.
  const cluster = figure8UpToC({})

  assert.is(cluster.status('s1').commit, 0, 'x is on a majority but not committed')
  assert.equal(cluster.applied('s1'), [])

  // Once the term-3 no-op reaches the majority, it commits and x is committed with it.
  cluster.settle()
  assert.is(cluster.status('s1').commit, 3)
  assert.equal(cluster.applied('s1').map(describeEntry), ['1:noop', '1:command:x', '3:noop'])
  // Now s5 can no longer win: s3 and s4 hold a term-3 entry and refuse it.
  cluster.crash('s1')
  cluster.restart('s5')
  assert.not.ok(winVotesOnly(cluster, 's5'), 's5 must not be elected over a committed entry')
  assert.equal(cluster.conflicts, [])
})

test('figure 8 with unsafeCountOldTermReplicas: a committed entry is lost', () => {
  // Shows the bug the rule above prevents, so that rule is known to be load-bearing.
  const cluster = figure8UpToC({ unsafeCountOldTermReplicas: true })

  assert.is(cluster.status('s1').commit, 2, 'the unsafe leader commits x by counting replicas')
  assert.is(cluster.stateOf('s1'), 'x', 'and applies it')
  // (d) s1 crashes before its no-op spreads; s5 wins with s2, s3, s4 and overwrites index 2.
  cluster.crash('s1')
  cluster.drop(matching({ from: 's1' }))
  cluster.restart('s5')
  assert.ok(winVotesOnly(cluster, 's5'), 's5 is elected: its last term 2 beats their 1')
  // s4 learned commit 1 (the unsafe s1 committed its term-1 no-op the same way). Followers trust
  // that a committed prefix matches the leader's, so s5 and s4 would now exchange appends and
  // refusals forever: leave s4 out and let s5 commit with s2 and s3.
  cluster.settle((message) => message.from !== 's4' && message.to !== 's4')

  assert.is(describeEntry(cluster.raft('s5').entryAt(2)!), '2:command:y', 'the committed x is gone')
  assert.is(cluster.stateOf('s3'), 'y')
  assert.is(cluster.status('s4').commit, 1)
  assert.is(describeEntry(cluster.raft('s4').entryAt(1)!), '1:noop', 's4 committed another index 1')
  assert.ok(
    cluster.conflicts.some((conflict) => conflict.index === 2),
    'two nodes applied different entries at index 2',
  )
})

// ---------------------------------------------------------------- 2. membership changes

test('single-server change without the own-term entry: refused until the no-op commits', () => {
  // Guards against the single-server change bug (Ongaro, raft-dev 2015): a new leader that
  // changes the membership before committing in its term can let two disjoint majorities form.
  const cluster = new TestCluster(['a', 'b', 'c'])
  cluster.addNode('d')
  assert.ok(winVotesOnly(cluster, 'a'))

  const early = cluster.proposeConfigChange('a', { type: 'addLearner', nodeId: 'd' })
  assert.equal(early.ok ? null : early.refusal.reason, 'configPending', 'no-op not committed yet')

  cluster.settle()
  const accepted = cluster.proposeConfigChange('a', { type: 'addLearner', nodeId: 'd' })
  assert.ok(accepted.ok, 'accepted once the no-op is committed')
  const second = cluster.proposeConfigChange('a', { type: 'promote', nodeId: 'd' })
  assert.equal(second.ok ? null : second.refusal.reason, 'configPending', 'one change at a time')

  cluster.settle()
  assert.ok(cluster.proposeConfigChange('a', { type: 'promote', nodeId: 'd' }).ok)
  cluster.settle()
  for (const id of ['a', 'b', 'c', 'd']) {
    assert.equal(cluster.status(id).membership, { voters: ['a', 'b', 'c', 'd'], learners: [] }, id)
  }
})

// ---------------------------------------------------------------- 3. stranded node

test('pre-vote with check-quorum: a node stranded at a higher term rejoins', () => {
  // Guards against a liveness bug: c ran its term up while cut off (pre-vote off on c) and its
  // log is behind. Under check-quorum the others ignore its votes, and it ignores the stale
  // leader's lower-term appends; without an answer to those appends it would stay out forever.
  const cluster = new TestCluster(['a', 'b', 'c'], { nodeOptions: { c: { preVote: false } } })
  cluster.elect('a')
  cluster.propose('a', 'x')
  cluster.settle()
  cluster.isolate('c')
  cluster.propose('a', 'y')
  cluster.settle()
  cluster.tick('c', 5 * electionTicks)
  const strandedTerm = cluster.status('c').term
  assert.ok(strandedTerm > cluster.status('a').term, 'c ran its term up')
  assert.ok(cluster.status('c').lastIndex < cluster.status('a').lastIndex, 'c is behind')

  cluster.heal()
  cluster.tick('a') // a heartbeat of the stale term
  cluster.deliver(matching({ to: 'c' }))
  const answer = cluster.queued(matching({ from: 'c', to: 'a', type: 'appendResponse' }))
  assert.is(answer.length, 1, 'c answers the lower-term heartbeat')
  assert.is(answer[0]!.term, strandedTerm)
  cluster.deliver(matching({ from: 'c', to: 'a' }))
  assert.is(cluster.status('a').role, 'follower', 'the stale leader steps down')
  assert.is(cluster.status('a').term, strandedTerm)

  runUntil(cluster, () => {
    const leader = cluster.leader()
    return leader !== null && cluster.status('c').leader === leader
  })
  const leader = cluster.leader()!
  assert.ok(cluster.status(leader).term >= strandedTerm)
  assert.ok(cluster.propose(leader, 'z').ok)
  cluster.settle()
  assert.is(cluster.stateOf('c'), 'x,y,z', 'c caught up and makes progress with the others')
})

// ---------------------------------------------------------------- 4. pre-vote

test('pre-vote: a node cut off cannot disrupt the majority', () => {
  // Guards against disruption: without pre-vote, c would return with a higher term and depose
  // a healthy leader.
  const cluster = new TestCluster(['a', 'b', 'c'])
  cluster.elect('a')
  cluster.propose('a', 'x')
  cluster.settle()
  const leaderTerm = cluster.status('a').term
  const cTerm = cluster.status('c').term
  cluster.isolate('c')

  cluster.run(10 * electionTicks)
  cluster.propose('a', 'y')
  cluster.settle()
  assert.is(cluster.status('c').term, cTerm, 'pre-vote failed: c did not raise its term')

  cluster.heal()
  cluster.run(3 * electionTicks)
  assert.is(cluster.leader(), 'a')
  assert.is(cluster.status('a').term, leaderTerm, 'same leader, same term')
  assert.is(cluster.status('c').leader, 'a')
  cluster.propose('a', 'z')
  cluster.settle()
  assert.is(cluster.stateOf('c'), 'x,y,z', 'c caught up')
})

test('leader unreachable: followers replace a dead leader within one election timeout', () => {
  // Guards the failover shortcut: a follower that saw its connection to the leader close campaigns
  // after a random part of one timeout instead of a whole one, and the other follower, which saw
  // the same, grants its pre-vote because its lease lapsed too.
  const cluster = new TestCluster(['a', 'b', 'c'])
  cluster.elect('a')
  cluster.settle()
  cluster.crash('a')
  for (const id of ['b', 'c']) cluster.raft(id).leaderUnreachable()
  const ticks = runUntil(cluster, () => cluster.leader() !== null && cluster.leader() !== 'a')
  assert.ok(ticks <= electionTicks + 2, `a new leader within one election timeout (${ticks} ticks)`)
  assert.is(cluster.leader(), 'b', 'the survivors took turns in id order: b first, without a split vote')
  assert.is(cluster.status('b').term, 2, 'one election, no split vote')
})

test('leader unreachable on one follower alone cannot disrupt a live leader', () => {
  // The shortcut must not become a way to depose a healthy leader: b lost only its own
  // connection, c still hears a and keeps its lease, so b's pre-vote fails.
  const cluster = new TestCluster(['a', 'b', 'c'])
  cluster.elect('a')
  cluster.propose('a', 'x')
  cluster.settle()
  const term = cluster.status('a').term
  // The link between a and b is cut (b reports it); c hears both.
  const notAB = (m: Message) => !between('a', 'b')(m)
  cluster.raft('b').leaderUnreachable()
  for (let tick = 0; tick < 5 * electionTicks; tick++) {
    cluster.tickAll()
    cluster.drop(between('a', 'b'))
    cluster.settle(notAB)
    cluster.drop(between('a', 'b'))
  }
  assert.ok(cluster.status('b').role !== 'leader')
  assert.is(cluster.leader(), 'a')
  assert.is(cluster.status('a').term, term, 'no election happened')
  assert.is(cluster.status('b').term, term, 'b did not raise its term')
})

test('a follower whose appends were lost catches up on heartbeats, without a new write', () => {
  // Guards against a liveness bug: Raft's leader retries AppendEntries indefinitely; an idle
  // cluster must not leave a reconnected follower behind until the next client write. (Fails at
  // the time of writing: a follower in the `replicate` state whose append was lost is repaired
  // only by a later append's refusal, or once its inflight window fills; a heartbeat response
  // from it changes nothing. etcd sends an append on such a response when Match < lastIndex.)
  const cluster = new TestCluster(['a', 'b', 'c'])
  cluster.elect('a')
  cluster.isolate('c')
  cluster.propose('a', 'y') // c's copy of the append is lost
  cluster.settle()

  cluster.heal()
  cluster.run(3 * electionTicks)
  assert.is(cluster.status('c').lastIndex, cluster.status('a').lastIndex, 'c holds y')
  assert.is(cluster.stateOf('c'), 'y', 'c applied y')
})

// ---------------------------------------------------------------- 5. removed leader

test('a removed leader steps down, never campaigns, and cannot disrupt the new leader', () => {
  // Guards against a removed server that keeps leading (or keeps campaigning) and disrupts the
  // cluster it no longer belongs to (thesis §4.2.2, §4.2.3).
  const cluster = new TestCluster(['a', 'b', 'c'])
  cluster.elect('a')
  const oldTerm = cluster.status('a').term
  assert.ok(cluster.proposeConfigChange('a', { type: 'remove', nodeId: 'a' }).ok)
  assert.is(cluster.status('a').role, 'leader', 'a leads until its removal commits')
  cluster.tick('a')
  const staleHeartbeats = cluster.drop(matching({ from: 'a', type: 'heartbeat' }))
  assert.ok(staleHeartbeats.length > 0)

  cluster.settle()
  assert.is(cluster.status('a').role, 'follower', 'a stepped down once its removal committed')
  assert.equal(cluster.status('a').membership.voters, ['b', 'c'])
  const removedAt = cluster.trace.length
  runUntil(cluster, () => cluster.leader() !== null)
  const leader = cluster.leader()!
  assert.ok(leader === 'b' || leader === 'c')
  const newTerm = cluster.status(leader).term
  assert.ok(newTerm > oldTerm)

  cluster.inject(staleHeartbeats)
  cluster.settle()
  cluster.run(10 * electionTicks)
  assert.is(cluster.leader(), leader, 'the stale heartbeats did not depose the new leader')
  assert.is(cluster.status(leader).term, newTerm)
  const campaigns = cluster.trace
    .slice(removedAt)
    .filter(({ kind, message }) => kind === 'send' && message.from === 'a' && message.type === 'vote')
  assert.is(campaigns.length, 0, 'a never campaigned after its removal')
  assert.is(cluster.status('a').role, 'follower')
})

// ---------------------------------------------------------------- 6. crash before fsync

test('a crash between taking a Ready and persisting it acknowledges nothing', () => {
  // Guards against acknowledging entries before they are durable: a follower that answered
  // before its fsync and then crashed would let the leader commit an entry held by no majority.
  const cluster = new TestCluster(['a', 'b', 'c'])
  cluster.elect('a')
  cluster.isolate('c')
  const x = cluster.propose('a', 'x')
  assert.ok(x.ok)
  cluster.deliver(matching({ to: 'b', type: 'append' }), { cycle: false })

  const ready = cluster.readyOnly('b')
  assert.equal(ready.entries.map(describeEntry), ['1:command:x'])
  assert.not.ok(
    ready.messages.some((message) => message.type === 'appendResponse'),
    'the acknowledgement must wait for the disk',
  )
  assert.ok(ready.messagesAfterPersist.some((message) => message.type === 'appendResponse'))
  cluster.crash('b')
  cluster.settle()

  assert.is(cluster.storage('b').durable().entries.length, 1, 'only the no-op reached b’s disk')
  assert.is(cluster.status('a').commit, x.index - 1, 'x is not committed')
  assert.is(cluster.status('a').matchIndex.get('b'), x.index - 1)
  cluster.restart('b')
  assert.is(cluster.status('b').lastIndex, x.index - 1, 'b restarts without x')

  cluster.heal()
  cluster.run(2 * electionTicks)
  assert.ok(cluster.propose('a', 'y').ok)
  cluster.settle()
  assert.is(cluster.status('a').commit, x.index + 1)
  for (const id of ['a', 'b', 'c']) assert.is(cluster.stateOf(id), 'x,y', id)
  assert.equal(cluster.conflicts, [])
})

// ---------------------------------------------------------------- 7. snapshots

test('a follower behind a compacted log gets the snapshot in chunks, within the window', () => {
  // Guards against a follower stranded behind log compaction, and against a leader flooding a
  // slow follower with an unbounded snapshot stream.
  const cluster = new TestCluster(['a', 'b', 'c'], { snapshotChunkBytes: 16, snapshotChunksInflightMax: 2 })
  cluster.elect('a')
  cluster.isolate('c')
  for (let i = 1; i <= 10; i++) cluster.propose('a', `command-${String(i).padStart(2, '0')}`)
  cluster.settle()
  const snapshot = cluster.compact('a')
  assert.is(snapshot.meta.index, cluster.status('a').commit)
  assert.ok(snapshot.data.length > 4 * 16, 'the snapshot needs several chunks')

  cluster.heal()
  cluster.propose('a', 'after')
  cluster.settle()

  const chunks = cluster.trace.filter(
    ({ kind, message }) => kind === 'send' && message.type === 'snapshot' && message.to === 'c',
  )
  assert.ok(chunks.length > 1, `sent in ${chunks.length} chunks`)
  // The window is used, and never exceeded: at most 2 chunks unacknowledged.
  assert.is(snapshotChunksInFlightMax(cluster.trace, 'a', 'c'), 2)
  const readies = cluster.readies('c')
  const installed = readies.findIndex((ready) => ready.snapshot !== null)
  const later = readies.findIndex((ready) => ready.committedEntries.some((entry) => entry.kind === 'command'))
  assert.ok(installed >= 0, 'c restored the snapshot')
  assert.ok(later > installed, 'then applied the entries after it')
  assert.is(cluster.status('c').snapshotIndex, snapshot.meta.index)
  assert.is(cluster.stateOf('c'), cluster.stateOf('a'))
  assert.ok(cluster.stateOf('c').endsWith('command-10,after'))
})

/** The most snapshot chunks `leader` had sent to `follower` beyond what it had heard acknowledged. */
function snapshotChunksInFlightMax(
  trace: readonly { kind: string; message: Message }[],
  leader: NodeId,
  follower: NodeId,
): number {
  const chunkEnds: number[] = []
  let ackedBytes = 0
  let inFlightMax = 0
  for (const { kind, message } of trace) {
    if (kind === 'send' && message.type === 'snapshot' && message.to === follower) {
      chunkEnds.push(message.offset + message.chunk.length)
      inFlightMax = Math.max(inFlightMax, chunkEnds.filter((end) => end > ackedBytes).length)
    } else if (kind === 'deliver' && message.from === follower && message.to === leader) {
      if (message.type === 'snapshotResponse' && !message.reject)
        ackedBytes = Math.max(ackedBytes, message.offset)
      if (message.type === 'appendResponse' && chunkEnds.length > 0) ackedBytes = Number.POSITIVE_INFINITY
    }
  }
  return inFlightMax
}

// ---------------------------------------------------------------- 8. leader transfer

test('leader transfer catches the target up first, then hands over; writes wait', () => {
  // Guards against a transfer to a lagging node (it could not win, and the cluster would sit
  // leaderless) and against writes accepted by a leader that is about to leave.
  const cluster = new TestCluster(['a', 'b', 'c'])
  cluster.elect('a')
  const oldTerm = cluster.status('a').term
  cluster.propose('a', 'x')
  cluster.settle((message) => message.to !== 'c') // c lags: its appends stay queued

  assert.ok(cluster.transferLeadership('a', 'c').ok)
  assert.is(cluster.queued(matching({ type: 'timeoutNow' })).length, 0, 'c is behind: no timeoutNow yet')
  const refused = cluster.propose('a', 'during')
  assert.equal(refused.ok ? null : refused.refusal.reason, 'transferring')

  cluster.deliver(matching({ to: 'c' }))
  cluster.deliver(matching({ from: 'c', to: 'a' }))
  assert.is(cluster.queued(matching({ type: 'timeoutNow', to: 'c' })).length, 1)
  assert.is(cluster.status('c').lastIndex, cluster.status('a').lastIndex, 'c was caught up first')

  cluster.settle()
  assert.is(cluster.leader(), 'c')
  assert.is(cluster.status('c').term, oldTerm + 1)
  assert.is(cluster.status('a').role, 'follower')
  assert.ok(cluster.propose('c', 'after').ok)
  cluster.settle()
  assert.is(cluster.stateOf('a'), 'x,after')
})

test('leader transfer to a follower whose appends were lost completes', () => {
  // The usual way to lag is a lost append (a short partition), not a slow queue. The transfer
  // must still bring the target up to date and hand over, within an election timeout.
  const cluster = new TestCluster(['a', 'b', 'c'])
  cluster.elect('a')
  const oldTerm = cluster.status('a').term
  cluster.isolate('c')
  cluster.propose('a', 'x') // c's copy of the append is lost
  cluster.settle()
  cluster.heal()
  cluster.run(2)

  assert.ok(cluster.transferLeadership('a', 'c').ok)
  runUntil(cluster, () => cluster.status('a').transferee === null, 2 * electionTicks)
  assert.is(cluster.leader(), 'c', 'c took over')
  assert.is(cluster.status('c').term, oldTerm + 1)
})

// ---------------------------------------------------------------- 9. ReadIndex

test('ReadIndex: answered only after a quorum acknowledges a heartbeat round', () => {
  // Guards against stale reads from a deposed leader that still believes it leads.
  const cluster = new TestCluster(['a', 'b', 'c'])
  cluster.elect('a')
  const write = cluster.propose('a', 'w')
  assert.ok(write.ok)
  cluster.settle()

  cluster.isolate('b', 'c')
  assert.ok(cluster.readIndex('a', 'r1').ok)
  cluster.tick('a', electionTicks / 2) // within the lease: a still leads, but hears nobody
  assert.equal(cluster.readStates('a'), [], 'no answer without a quorum')

  cluster.heal()
  cluster.tick('a')
  cluster.settle()
  assert.is(cluster.readStates('a').length, 1)
  assert.is(cluster.readStates('a')[0]!.requestId, 'r1')
  assert.ok(cluster.readStates('a')[0]!.index >= write.index)

  const second = cluster.propose('a', 'w2')
  assert.ok(second.ok)
  cluster.settle()
  assert.ok(cluster.readIndex('b', 'r2').ok, 'a follower forwards the read')
  cluster.settle()
  const answer = cluster.readStates('b').find((read) => read.requestId === 'r2')
  assert.ok(answer, 'the follower got an answer')
  assert.ok(answer.index >= second.index, 'at least the last committed write')
  assert.ok(cluster.status('b').applied >= answer.index)
})

// ---------------------------------------------------------------- 10. learners

test('learners receive entries but count toward commit only once promoted', () => {
  // Guards against a learner (catching up, not yet trusted) deciding commits.
  const cluster = new TestCluster(['a', 'b'], { learners: ['l'] })
  cluster.elect('a')
  const noop = cluster.status('a').commit
  cluster.isolate('b')
  const x = cluster.propose('a', 'x')
  assert.ok(x.ok)
  cluster.settle()
  assert.is(cluster.status('l').lastIndex, x.index, 'the learner holds x')
  assert.is(cluster.status('a').commit, noop, 'a and the learner are not a quorum of {a, b}')
  cluster.tick('l', 5 * electionTicks)
  assert.is(cluster.status('l').role, 'follower', 'a learner never campaigns')

  const promotion = cluster.proposeConfigChange('a', { type: 'promote', nodeId: 'l' })
  assert.ok(promotion.ok)
  cluster.settle()
  assert.is(cluster.status('a').commit, promotion.index, 'a and l are a quorum of {a, b, l}')
  assert.is(cluster.stateOf('a'), 'x')
  assert.is(cluster.stateOf('l'), 'x')
})

// ---------------------------------------------------------------- 11. restart

test('a node reopened from its storage resumes its term, vote, log and snapshot', () => {
  // Guards against forgetting a vote (two leaders in a term) or acknowledged entries on restart.
  const cluster = new TestCluster(['a', 'b', 'c'])
  cluster.elect('a')
  cluster.propose('a', 'p1')
  cluster.propose('a', 'p2')
  cluster.settle()
  cluster.compact('b')
  cluster.propose('a', 'p3')
  cluster.settle()
  const before = cluster.status('b')
  const entries = range(before.snapshotIndex + 1, before.lastIndex).map((index) =>
    describeEntry(cluster.raft('b').entryAt(index)!),
  )
  assert.ok(before.snapshotIndex > 0 && entries.length > 0)

  cluster.crash('b')
  cluster.restart('b')
  const after = cluster.status('b')
  for (const field of ['term', 'vote', 'lastIndex', 'lastTerm', 'snapshotIndex', 'commit'] as const) {
    assert.equal(after[field], before[field], field)
  }
  assert.equal(
    range(after.snapshotIndex + 1, after.lastIndex).map((index) =>
      describeEntry(cluster.raft('b').entryAt(index)!),
    ),
    entries,
  )
  assert.is(cluster.stateOf('b'), 'p1,p2', 'the state machine starts from the snapshot')
  cluster.settle()
  assert.is(cluster.stateOf('b'), 'p1,p2,p3', 'and re-applies the committed entries after it')

  const leaderBefore = cluster.status('a')
  cluster.crash('a')
  cluster.restart('a')
  assert.is(cluster.status('a').term, leaderBefore.term)
  assert.is(cluster.status('a').vote, 'a')
  assert.is(cluster.status('a').lastIndex, leaderBefore.lastIndex)
  assert.equal(cluster.conflicts, [])
})

function range(first: number, last: number): number[] {
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, offset) => first + offset)
}

test.run()
