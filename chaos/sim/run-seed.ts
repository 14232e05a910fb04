// One simulator run: a cluster, a workload and a storm of faults, all drawn from one seed; then
// the faults heal and the run must show liveness, and the clients' history must be linearizable.

import { seededRandom } from '../../core/random.ts'
import { isMember } from '../../raft/membership.ts'
import { checkLinearizable } from '../check/linearizability.ts'
import { Workload } from './workload.ts'
import { type FaultCounts, World } from './world.ts'

export interface SeedOptions {
  readonly seed: number
  /** Cluster size; drawn from the seed (3 or 5) when absent. */
  readonly nodes?: 3 | 5
  readonly trace?: (line: string) => void
  /** Deliberately broken rules, for the test that shows the checkers catch them. */
  readonly unsafe?: { readonly ackBeforePersist?: boolean; readonly commitOldTermEntries?: boolean }
}

export interface SeedResult {
  readonly seed: number
  readonly nodes: number
  readonly ok: boolean
  readonly violations: readonly string[]
  readonly faultCounts: FaultCounts
  readonly operations: number
  readonly simulatedMs: number
  readonly messages: number
}

const tickMs = 10
/** After the faults heal, a leader and full replication must follow within this many ticks. */
export const livenessTicksMax = 1000

export function runSeed(options: SeedOptions): SeedResult {
  const random = seededRandom(options.seed)
  const nodeCount = options.nodes ?? (random.chance(0.5) ? 3 : 5)
  const clients = random.int(2, 5)
  const world = new World({
    random: random.fork(),
    nodeCount,
    tickMs,
    trace: options.trace,
    unsafeAckBeforePersist: options.unsafe?.ackBeforePersist,
    node: {
      raft: {
        electionTicks: 10,
        heartbeatTicks: 2,
        inflightAppendsMax: random.int(2, 64),
        appendBytesMax: random.pick([512, 4096, 65536]),
        snapshotChunkBytes: random.pick([64, 256, 4096]),
        snapshotChunksInflightMax: random.int(1, 4),
        unsafeCountOldTermReplicas: options.unsafe?.commitOldTermEntries,
      },
      sessions: { sessionIdleMsMax: random.int(1000, 5000), sessionsMax: clients + random.int(0, 3) },
      snapshotEveryEntries: random.int(10, 200),
    },
  })
  const faults = random.fork()
  const chaosMs = random.int(3000, 6000)
  const workload = new Workload(world, {
    clients,
    keys: random.int(1, 5),
    attemptTimeoutMs: 300,
    operationDeadlineMs: 2000,
    stopAtMs: chaosMs + 1000,
  })
  scheduleFaults(world, faults, chaosMs)
  world.queue.at(chaosMs, () => world.heal())

  const violations: string[] = []
  const settleBy = chaosMs + 1000 + livenessTicksMax * tickMs
  let lastEventMs = 0
  let lastLivenessCheckMs = 0
  while (world.queue.runNext(settleBy)) {
    lastEventMs = world.queue.nowMs
    if (world.checker.violations.length > 0) break
    // Checking liveness reads every node's status: once per tick is plenty.
    if (lastEventMs > chaosMs + 1000 && lastEventMs - lastLivenessCheckMs >= tickMs) {
      lastLivenessCheckMs = lastEventMs
      if (workload.inFlight === 0 && isLive(world, workload)) break
    }
  }
  violations.push(...world.checker.violations)
  if (violations.length === 0 && !(workload.inFlight === 0 && isLive(world, workload))) {
    violations.push(
      `liveness: no leader with every acknowledged write applied on all live members ${livenessTicksMax} ticks after healing ` +
        `(acknowledged up to ${Math.max(0, ...workload.acknowledgedIndexes)}, ${workload.inFlight} operations in flight; ${describeNodes(world)})`,
    )
  }
  if (violations.length === 0) {
    const result = checkLinearizable(workload.history)
    if (result.ok === false) violations.push(`linearizability: key ${result.key}: ${result.reason}`)
    else if (result.ok === 'unknown')
      violations.push(`linearizability: undecided for key ${result.key}: ${result.reason}`)
  }
  return {
    seed: options.seed,
    nodes: nodeCount,
    ok: violations.length === 0,
    violations,
    faultCounts: world.faultCounts,
    operations: workload.history.length,
    simulatedMs: lastEventMs,
    messages: world.network.delivered,
  }
}

function describeNodes(world: World): string {
  return world
    .upNodes()
    .map((node) => {
      const s = node.raft!.status()
      return `${s.id} ${s.role} term ${s.term} commit ${s.commit} applied ${node.lastApplied} last ${s.lastIndex} voters ${s.membership.voters.join(',')}`
    })
    .join('; ')
}

/** A leader is up, and every live member has applied every acknowledged write. */
function isLive(world: World, workload: Workload): boolean {
  const leader = world.leader()
  if (!leader) return false
  const membership = leader.raft!.status().membership
  const needed = Math.max(0, ...workload.acknowledgedIndexes)
  for (const node of world.upNodes()) {
    if (isMember(membership, node.id) && node.lastApplied < needed) return false
  }
  return leader.raft!.status().commit >= needed
}

function scheduleFaults(world: World, random: ReturnType<typeof seededRandom>, chaosMs: number): void {
  let atMs = random.int(100, 400)
  while (atMs < chaosMs) {
    world.queue.at(atMs, () => injectFault(world, random, chaosMs))
    atMs += random.int(50, 400)
  }
  // Learners are promoted once they catch up.
  for (let checkMs = 0; checkMs < chaosMs + 1000; checkMs += 100)
    world.queue.at(checkMs, () => world.promoteCaughtUpLearners())
}

function injectFault(world: World, random: ReturnType<typeof seededRandom>, chaosMs: number): void {
  const remainingMs = Math.max(50, chaosMs - world.queue.nowMs)
  const durationMs = (): number => Math.min(remainingMs, random.int(100, 2500))
  const live = world.upNodes()
  const ids = [...world.nodes.values()].filter((node) => !node.retired).map((node) => node.id)
  const roll = random.next()
  if (roll < 0.1) {
    // A power failure: every node stops at once, losing whatever it was writing.
    world.trace('power failure')
    for (const node of live) world.crash(node, random.int(50, 1500))
  } else if (roll < 0.2) {
    const down = [...world.nodes.values()].filter((node) => !node.up && !node.retired).length
    // Leaders are the interesting victims; half the crashes hit a node in the middle of a write.
    const leader = world.leader()
    const victim = leader && random.chance(0.5) ? leader : live.length > 0 ? random.pick(live) : undefined
    if (down < 2 && victim) world.crash(victim, random.int(50, 2000), random.chance(0.5))
  } else if (roll < 0.45) {
    partition(world, random, ids, durationMs())
  } else if (roll < 0.6) {
    const probability = random.pick([0.02, 0.1, 0.3])
    world.network.dropProbability = probability
    world.network.duplicateProbability = random.pick([0.01, 0.05])
    world.trace(`network drops ${probability * 100}% of messages`)
    world.queue.after(durationMs(), () => {
      world.network.dropProbability = 0
    })
  } else if (roll < 0.75) {
    const voters = world.membership().voters
    if (random.chance(0.5) && voters.length > 3) {
      const leader = world.leader()
      const target = leader && random.chance(0.3) ? leader.id : random.pick(voters)
      world.proposeMembershipChange({ type: 'remove', nodeId: target })
    } else if (voters.length + world.membership().learners.length < 6) {
      world.addNode()
    }
  } else if (roll < 0.87) {
    world.transferLeadership()
  } else if (live.length > 0) {
    random.pick(live).requestSnapshot()
  }
}

function partition(
  world: World,
  random: ReturnType<typeof seededRandom>,
  ids: string[],
  durationMs: number,
): void {
  const links: Array<[string, string]> = []
  const shape = random.int(0, 2)
  if (shape === 0) {
    const isolated = random.pick(ids)
    for (const other of ids) if (other !== isolated) links.push([isolated, other], [other, isolated])
    world.partition(links, durationMs, `${isolated} isolated`)
  } else if (shape === 1) {
    const side = new Set(ids.filter(() => random.chance(0.5)))
    for (const a of ids) for (const b of ids) if (side.has(a) && !side.has(b)) links.push([a, b], [b, a])
    world.partition(
      links,
      durationMs,
      `split ${[...side].join(',')} | ${ids.filter((id) => !side.has(id)).join(',')}`,
    )
  } else {
    for (const a of ids) for (const b of ids) if (a !== b && random.chance(0.25)) links.push([a, b])
    world.partition(links, durationMs, `one-way cuts ${links.map(([a, b]) => `${a}>${b}`).join(' ')}`)
  }
}
