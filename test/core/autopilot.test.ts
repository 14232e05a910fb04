// The autopilot planner (core/autopilot.ts): each rule in its order of precedence, on views built
// by hand, and a failed voter replaced step by step until the plan is empty, without the quorum
// ever depending on fewer live voters than it did when the voter died.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  type AutopilotStep,
  type AutopilotView,
  catchUpLagMax,
  inTouchMs,
  planAutopilot,
} from '../../core/autopilot.ts'
import { type ClusterSettings, ClusterState, defaultSettings, type MemberRole } from '../../core/cluster.ts'

const test = suite('core: autopilot')

const graceMs = defaultSettings.autopilotGraceMs

/** A mutable stand-in for what the leader sees; `view()` gives the planner its read-only view. */
class World {
  readonly state = new ClusterState()
  leaderId = 'v1'
  raftVoters: string[] = []
  raftLearners: string[] = []
  lastIndex = 0
  readonly matchIndex = new Map<string, number>()
  readonly silentMs = new Map<string, number>()

  view(): AutopilotView {
    return {
      state: this.state,
      leaderId: this.leaderId,
      raftVoters: [...this.raftVoters],
      raftLearners: [...this.raftLearners],
      lastIndex: this.lastIndex,
      matchIndex: new Map(this.matchIndex),
      health: (id) => ({ silentMs: this.silentMs.get(id) ?? 0 }),
    }
  }

  plan(): AutopilotStep | null {
    return planAutopilot(this.view())
  }

  /** Applies a cluster command at the next log index; it must succeed. */
  command(command: Parameters<ClusterState['apply']>[1]): void {
    const result = this.state.apply(++this.lastIndex, command)
    assert.ok(result.ok, `${command.type}: ${JSON.stringify(result)}`)
  }

  /** Every Raft member that is in touch has the whole log. */
  replicate(): void {
    for (const id of [...this.raftVoters, ...this.raftLearners]) {
      if ((this.silentMs.get(id) ?? 0) < inTouchMs) this.matchIndex.set(id, this.lastIndex)
    }
  }
}

const member = (id: string) => ({
  id,
  name: `node-${id}`,
  p2pAddresses: [`/ip4/10.0.0.1/tcp/7000/p2p/${id}`],
  apiAddress: 'https://10.0.0.1:7443',
})

/**
 * The cluster bootstrapped by `v1` and joined by the other ids in order, with roles as the join
 * rule gives them (with the defaults: v1 v2 v3 voters, s1 s2 standbys, then workers); Raft holds
 * the voters as voters and the standbys as learners, every one of them caught up.
 */
function healthyCluster(
  ids = ['v1', 'v2', 'v3', 's1', 's2', 'w1'],
  settings: Partial<ClusterSettings> = {},
): World {
  const world = new World()
  const [founder, ...joiners] = ids
  world.command({
    type: 'bootstrap',
    clusterId: 'c',
    settings: { ...defaultSettings, ...settings },
    member: member(founder!),
    tokenHashes: [],
  })
  for (const id of joiners) world.command({ type: 'join', member: member(id), wants: 'auto' })
  for (const m of world.state.members.values()) {
    assert.is(m.role, roleByName(m.id), `${m.id} joined as ${m.role}`)
    if (m.role === 'voter') world.raftVoters.push(m.id)
    if (m.role === 'standby') world.raftLearners.push(m.id)
  }
  world.lastIndex += 10 * catchUpLagMax // traffic since, so a lagging member is far behind
  world.replicate()
  return world
}

function roleByName(id: string): MemberRole {
  return id.startsWith('v') ? 'voter' : id.startsWith('s') ? 'standby' : 'worker'
}

test('a healthy, full cluster needs nothing', () => {
  assert.is(healthyCluster().plan(), null)
  assert.is(healthyCluster(['v1']).plan(), null, 'nor does a lone founder with no one to promote')
})

// ---------------------------------------------------------------- 1. promote

/** v3 is a voter in the cluster state but still a Raft learner (it was added, not yet promoted). */
function voterToBe(): World {
  const world = healthyCluster()
  world.raftVoters = ['v1', 'v2']
  world.raftLearners = ['v3', 's1', 's2']
  return world
}

test('a learner whose role is voter is promoted once caught up and in touch', () => {
  const world = voterToBe()
  world.matchIndex.set('v3', world.lastIndex - catchUpLagMax) // just within the lag allowed
  world.silentMs.set('v3', inTouchMs - 1)
  const step = world.plan()
  assert.is(step?.kind, 'promote')
  assert.is((step as { id: string }).id, 'v3')
})

test('a voter-to-be is not promoted while it lags more than catchUpLagMax entries', () => {
  const world = voterToBe()
  world.matchIndex.set('v3', world.lastIndex - catchUpLagMax - 1)
  assert.is(world.plan(), null)
})

test('a voter-to-be is not promoted while it is silent for inTouchMs or more', () => {
  const world = voterToBe()
  world.silentMs.set('v3', inTouchMs)
  assert.is(world.plan(), null)
})

test('a learner that is only a standby is not promoted', () => {
  const world = healthyCluster()
  assert.ok(world.raftLearners.includes('s1'))
  assert.is(world.plan(), null)
})

// ---------------------------------------------------------------- 2. leave Raft

test('a Raft member removed from the cluster state is removed from Raft', () => {
  const world = healthyCluster()
  world.command({ type: 'remove', id: 's2' })
  world.replicate()
  const step = world.plan()
  assert.is(step?.kind, 'removeFromRaft')
  assert.is((step as { id: string }).id, 's2')
})

test('a Raft member that is now a worker is removed from Raft', () => {
  const world = healthyCluster()
  world.command({ type: 'setRole', id: 'v2', role: 'worker' })
  world.replicate()
  const step = world.plan()
  assert.is(step?.kind, 'removeFromRaft')
  assert.is((step as { id: string }).id, 'v2')
  assert.match(step!.why, 'worker')
})

test('a pending promotion is planned before a removal from Raft', () => {
  // Guards against shrinking the voters before their replacement votes: the dead one goes last.
  const world = healthyCluster()
  world.command({ type: 'replaceVoter', dead: 'v2', standby: 's1' })
  world.replicate()
  assert.equal(world.plan(), { kind: 'promote', id: 's1', why: 'node-s1 is caught up' })

  world.raftLearners = ['s2']
  world.raftVoters = ['v1', 'v2', 'v3', 's1']
  const step = world.plan()
  assert.is(step?.kind, 'removeFromRaft')
  assert.is((step as { id: string }).id, 'v2')
})

test('a removal from Raft is planned before adding a learner', () => {
  const world = healthyCluster()
  world.command({ type: 'remove', id: 's2' })
  world.command({ type: 'setRole', id: 'w1', role: 'standby' })
  world.replicate()
  assert.is(world.plan()?.kind, 'removeFromRaft')
  world.raftLearners = ['s1']
  assert.equal(world.plan(), { kind: 'addLearner', id: 'w1', why: 'node-w1 is a standby' })
})

// ---------------------------------------------------------------- 3. add learners

test('a standby or a voter that is not in Raft and is in touch is added as a learner', () => {
  const standby = healthyCluster()
  standby.raftLearners = ['s1']
  assert.equal(standby.plan(), { kind: 'addLearner', id: 's2', why: 'node-s2 is a standby' })

  const voter = healthyCluster()
  voter.raftVoters = ['v1', 'v2']
  assert.equal(voter.plan(), { kind: 'addLearner', id: 'v3', why: 'node-v3 is a voter' })
})

test('a member out of touch is not added to Raft', () => {
  const world = healthyCluster()
  world.raftLearners = ['s1']
  world.silentMs.set('s2', inTouchMs)
  assert.is(world.plan(), null)
})

// ---------------------------------------------------------------- 4. replace a dead voter

test('a voter silent for autopilotGraceMs is replaced by the oldest ready standby, in one command', () => {
  const world = healthyCluster()
  world.silentMs.set('v2', graceMs)
  const step = world.plan()
  assert.is(step?.kind, 'command')
  assert.equal((step as { command: unknown }).command, { type: 'replaceVoter', dead: 'v2', standby: 's1' })

  world.matchIndex.set('s1', world.lastIndex - catchUpLagMax - 1) // s1 lags: s2 is the ready one
  assert.equal((world.plan() as { command: unknown }).command, {
    type: 'replaceVoter',
    dead: 'v2',
    standby: 's2',
  })
})

test('a voter silent for less than autopilotGraceMs is left alone', () => {
  const world = healthyCluster()
  world.silentMs.set('v2', graceMs - 1)
  assert.is(world.plan(), null)
})

test('the leader is never replaced, whatever its health says', () => {
  const world = healthyCluster()
  world.silentMs.set('v1', graceMs * 10)
  assert.is(world.plan(), null)
})

test('a dead voter with no ready standby is left alone', () => {
  const world = healthyCluster()
  world.silentMs.set('v2', graceMs)
  world.silentMs.set('s1', inTouchMs) // out of touch
  world.matchIndex.set('s2', 0) // far behind
  assert.is(world.plan(), null)
})

// ---------------------------------------------------------------- 5. too few voters

test('too few voters with a ready standby: the standby becomes a voter', () => {
  const world = healthyCluster()
  world.command({ type: 'remove', id: 'v3' })
  world.raftVoters = ['v1', 'v2']
  world.replicate()
  assert.equal((world.plan() as { command: unknown }).command, { type: 'setRole', id: 's1', role: 'voter' })
})

test('a dead voter is replaced before the voter count is topped up', () => {
  const world = healthyCluster()
  world.command({ type: 'remove', id: 'v3' })
  world.raftVoters = ['v1', 'v2']
  world.silentMs.set('v2', graceMs)
  world.replicate()
  assert.equal((world.plan() as { command: unknown }).command, {
    type: 'replaceVoter',
    dead: 'v2',
    standby: 's1',
  })
})

// ---------------------------------------------------------------- 6. dead standby

test('a standby silent for autopilotGraceMs becomes a worker', () => {
  const world = healthyCluster()
  world.silentMs.set('s2', graceMs)
  assert.equal((world.plan() as { command: unknown }).command, { type: 'setRole', id: 's2', role: 'worker' })

  world.silentMs.set('s2', graceMs - 1)
  assert.is(world.plan(), null)
})

// ---------------------------------------------------------------- 7. too few standbys

test('too few standbys: the oldest worker in touch becomes one', () => {
  const world = healthyCluster(['v1', 'v2', 'v3', 's1', 's2', 'w1', 'w2', 'w3'])
  world.command({ type: 'remove', id: 's2' })
  world.raftLearners = ['s1']
  world.replicate()
  assert.equal((world.plan() as { command: unknown }).command, { type: 'setRole', id: 'w1', role: 'standby' })

  world.silentMs.set('w1', inTouchMs)
  assert.equal((world.plan() as { command: unknown }).command, { type: 'setRole', id: 'w2', role: 'standby' })

  world.silentMs.set('w2', inTouchMs)
  world.silentMs.set('w3', inTouchMs)
  assert.is(world.plan(), null, 'no worker in touch: nothing to do')
})

test('the oldest worker is the one with the lowest joinedIndex, whatever the map order', () => {
  const world = healthyCluster(['v1', 'v2', 'v3', 's1'])
  // Applied out of index order on purpose, so insertion order and join order differ.
  world.state.apply(world.lastIndex + 20, { type: 'join', member: member('w-late'), wants: 'worker' })
  world.state.apply(world.lastIndex + 10, { type: 'join', member: member('w-early'), wants: 'worker' })
  world.lastIndex += 20
  world.replicate()
  assert.equal((world.plan() as { command: unknown }).command, {
    type: 'setRole',
    id: 'w-early',
    role: 'standby',
  })
})

test('too few voters and no ready standby: a worker becomes a standby to fill the gap', () => {
  const world = healthyCluster(['v1', 'v2', 'v3', 'w1'], { standbys: 0 })
  world.command({ type: 'remove', id: 'v3' })
  world.raftVoters = ['v1', 'v2']
  world.replicate()
  assert.equal((world.plan() as { command: unknown }).command, { type: 'setRole', id: 'w1', role: 'standby' })
})

// ---------------------------------------------------------------- convergence

/** Carries out a step the way the leader does: a Raft membership change or a command. */
function carryOut(world: World, step: AutopilotStep): void {
  const without = (ids: string[], id: string) => ids.filter((x) => x !== id)
  switch (step.kind) {
    case 'addLearner':
      world.raftLearners.push(step.id)
      world.lastIndex++
      world.matchIndex.set(step.id, world.lastIndex)
      break
    case 'promote':
      world.raftLearners = without(world.raftLearners, step.id)
      world.raftVoters.push(step.id)
      world.lastIndex++
      break
    case 'removeFromRaft':
      world.raftLearners = without(world.raftLearners, step.id)
      world.raftVoters = without(world.raftVoters, step.id)
      world.matchIndex.delete(step.id)
      world.lastIndex++
      break
    case 'command':
      world.command(step.command)
      break
  }
  world.replicate()
}

/** Each member's place in Raft: 'voter', 'learner' or absent. */
function raftPlaces(world: World): Map<string, string> {
  const places = new Map<string, string>()
  for (const id of world.raftVoters) places.set(id, 'voter')
  for (const id of world.raftLearners) places.set(id, 'learner')
  return places
}

test('a dead voter is replaced step by step until nothing is left to do, never risking the quorum', () => {
  const world = healthyCluster()
  world.silentMs.set('v2', graceMs * 2)
  const alive = (id: string) => id !== 'v2'
  const liveVoters = () => world.raftVoters.filter(alive).length
  const liveVotersAtFailure = liveVoters()
  const steps: string[] = []
  const stepsMax = 20

  for (let step = world.plan(); step !== null; step = world.plan()) {
    assert.ok(steps.length < stepsMax, `no convergence after ${stepsMax} steps: ${steps.join(', ')}`)
    const before = raftPlaces(world)
    carryOut(world, step)
    steps.push(step.kind === 'command' ? step.command.type : `${step.kind} ${step.id}`)

    const after = raftPlaces(world)
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter(
      (id) => before.get(id) !== after.get(id),
    )
    assert.ok(changed.length <= 1, `step ${steps.length} changed Raft for ${changed.join(', ')}`)
    if (step.kind === 'command') assert.is(changed.length, 0, 'a command step changes no Raft membership')
    assert.ok(world.raftVoters.length >= 3, `step ${steps.length}: Raft voters ${world.raftVoters}`)
    assert.ok(
      liveVoters() >= liveVotersAtFailure,
      `step ${steps.length}: fewer live voters than at the failure`,
    )
    assert.ok(2 * liveVoters() > world.raftVoters.length, `step ${steps.length}: no live majority`)
    if (step.kind === 'removeFromRaft' && step.id === 'v2') {
      assert.is(liveVoters(), 3, 'the dead voter leaves Raft only once three live voters remain without it')
    }
  }

  assert.equal(steps, ['replaceVoter', 'promote s1', 'removeFromRaft v2', 'setRole', 'addLearner w1'])
  assert.not.ok(world.state.members.has('v2'))
  assert.ok(world.state.removed.has('v2'))
  assert.equal([...world.raftVoters].sort(), ['s1', 'v1', 'v3'])
  assert.equal([...world.raftLearners].sort(), ['s2', 'w1'])
  assert.is(world.state.members.get('s1')!.role, 'voter')
  assert.is(world.state.members.get('w1')!.role, 'standby')
  assert.equal(
    ['voter', 'standby', 'worker'].map((role) => world.state.count(role as MemberRole)),
    [3, 2, 0],
  )
})

test.run()
