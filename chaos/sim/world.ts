// The simulated world of one seed: a clock, a network that drops, delays, duplicates and
// reorders messages and can be partitioned, the nodes, and the fault injector. Everything random
// is drawn from the seed, so a run replays exactly.

import type { Random } from '../../core/random.ts'
import { isMember } from '../../raft/membership.ts'
import type { ConfigChange, Entry, Message, NodeId } from '../../raft/types.ts'
import { EventQueue } from './event-queue.ts'
import { SafetyChecker } from './invariants.ts'
import { type SimHost, SimNode, type SimNodeOptions } from './sim-node.ts'

export interface FaultCounts {
  drop: number
  partition: number
  crash: number
  membership: number
  transfer: number
  snapshot: number
}

export function noFaults(): FaultCounts {
  return { drop: 0, partition: 0, crash: 0, membership: 0, transfer: 0, snapshot: 0 }
}

export class SimNetwork {
  readonly #world: World
  /** Directed links cut by partitions: `from>to`. */
  readonly blocked = new Map<string, number>()
  dropProbability = 0
  duplicateProbability = 0.01
  delivered = 0

  constructor(world: World) {
    this.#world = world
  }

  send(message: Message): void {
    const world = this.#world
    if (this.blocked.has(`${message.from}>${message.to}`)) return
    if (this.dropProbability > 0 && world.random.chance(this.dropProbability)) {
      world.faultCounts.drop++
      return
    }
    const copies = world.random.chance(this.duplicateProbability) ? 2 : 1
    for (let copy = 0; copy < copies; copy++) {
      world.queue.after(this.latencyMs(), () => {
        this.delivered++
        world.nodes.get(message.to)?.deliver(message)
      })
    }
  }

  /** Mostly a few milliseconds; sometimes much longer, which reorders messages. */
  latencyMs(): number {
    const random = this.#world.random
    return random.chance(0.05) ? random.int(10, 60) : random.int(1, 4)
  }

  block(from: NodeId, to: NodeId): void {
    const key = `${from}>${to}`
    this.blocked.set(key, (this.blocked.get(key) ?? 0) + 1)
  }

  unblock(from: NodeId, to: NodeId): void {
    const key = `${from}>${to}`
    const count = (this.blocked.get(key) ?? 0) - 1
    if (count <= 0) this.blocked.delete(key)
    else this.blocked.set(key, count)
  }
}

export interface WorldOptions {
  readonly random: Random
  readonly nodeCount: number
  readonly tickMs: number
  readonly node: Omit<SimNodeOptions, 'raft'> & { raft: Omit<SimNodeOptions['raft'], 'bootstrapMembership'> }
  readonly trace?: (line: string) => void
  /** Break the persistence contract on purpose (acknowledge before fsync), to test the checkers. */
  readonly unsafeAckBeforePersist?: boolean
}

export class World implements SimHost {
  readonly random: Random
  readonly queue = new EventQueue()
  readonly checker = new SafetyChecker()
  readonly network: SimNetwork
  readonly nodes = new Map<NodeId, SimNode>()
  readonly faultCounts: FaultCounts = noFaults()
  readonly tickMs: number
  readonly unsafeAckBeforePersist: boolean
  readonly #options: WorldOptions
  readonly #trace: ((line: string) => void) | undefined
  #nextNodeNumber = 1

  constructor(options: WorldOptions) {
    this.#options = options
    this.random = options.random
    this.tickMs = options.tickMs
    this.unsafeAckBeforePersist = options.unsafeAckBeforePersist ?? false
    this.#trace = options.trace
    this.network = new SimNetwork(this)
    const founders = Array.from({ length: options.nodeCount }, () => this.#newId())
    for (const id of founders) this.#addNode(id, { voters: founders, learners: [] }).start()
  }

  trace(line: string): void {
    this.#trace?.(`[${String(this.queue.nowMs).padStart(6)} ms] ${line}`)
  }

  diskLatencyMs(): number {
    return this.random.chance(0.3) ? this.random.int(2, 12) : this.random.int(0, 2)
  }

  upNodes(): SimNode[] {
    return [...this.nodes.values()].filter((node) => node.up)
  }

  /** The node that leads the highest term, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined
    let bestTerm = -1
    for (const node of this.upNodes()) {
      const status = node.raft!.status()
      if (status.role === 'leader' && status.term > bestTerm) {
        best = node
        bestTerm = status.term
      }
    }
    return best
  }

  /** The membership as the most up-to-date live node sees it. */
  membership(): { voters: readonly NodeId[]; learners: readonly NodeId[] } {
    let best = {
      lastIndex: -1,
      membership: { voters: [] as readonly NodeId[], learners: [] as readonly NodeId[] },
    }
    for (const node of this.upNodes()) {
      const status = node.raft!.status()
      if (status.commit > best.lastIndex) best = { lastIndex: status.commit, membership: status.membership }
    }
    return best.membership
  }

  #newId(): NodeId {
    return `n${this.#nextNodeNumber++}`
  }

  #addNode(id: NodeId, bootstrapMembership?: { voters: NodeId[]; learners: NodeId[] }): SimNode {
    const options = this.#options.node
    const node = new SimNode(this, id, { ...options, raft: { ...options.raft, bootstrapMembership } })
    this.nodes.set(id, node)
    return node
  }

  // ------------------------------------------------------------------ faults

  /** Crash `node` now, or in the middle of its next disk write (losing that write). */
  crash(node: SimNode, downMs: number, duringWrite = false): void {
    if (!node.up) return
    if (duringWrite) {
      node.crashDuringNextWrite(() => this.crash(node, downMs))
      return
    }
    node.crash()
    this.faultCounts.crash++
    this.trace(`${node.id} crashed (down ${downMs} ms)`)
    // Its connections close: followers that saw it as their leader hear of it at once, as the
    // agent's mesh tells them (Raft.leaderUnreachable), so that shortcut is checked here too.
    for (const other of this.nodes.values()) {
      if (other.up && other.raft!.status().leader === node.id) other.input((raft) => raft.leaderUnreachable())
    }
    this.queue.after(downMs, () => this.restart(node))
  }

  restart(node: SimNode): void {
    if (node.up || node.retired) return
    node.start()
    this.trace(`${node.id} restarted`)
  }

  /** Cut the links from every node in `from` to every node in `to` for `durationMs`. */
  partition(links: Array<[NodeId, NodeId]>, durationMs: number, description: string): void {
    if (links.length === 0) return
    this.faultCounts.partition++
    this.trace(`partition: ${description} for ${durationMs} ms`)
    for (const [from, to] of links) this.network.block(from, to)
    this.queue.after(durationMs, () => {
      for (const [from, to] of links) this.network.unblock(from, to)
    })
  }

  proposeMembershipChange(change: ConfigChange): void {
    const leader = this.leader()
    if (!leader) return
    leader.input((raft) => {
      const result = raft.proposeConfigChange(change)
      if (result.ok) {
        this.faultCounts.membership++
        this.trace(`${leader.id} proposes ${change.type} ${change.nodeId} at ${result.index}`)
      }
    })
  }

  addNode(): void {
    const node = this.#addNode(this.#newId())
    node.start()
    this.proposeMembershipChange({ type: 'addLearner', nodeId: node.id })
  }

  /** Learners that have caught up with the leader are promoted to voters. */
  promoteCaughtUpLearners(): void {
    const leader = this.leader()
    if (!leader) return
    const status = leader.raft!.status()
    for (const learner of status.membership.learners) {
      if ((status.matchIndex.get(learner) ?? 0) >= status.commit) {
        this.proposeMembershipChange({ type: 'promote', nodeId: learner })
        return
      }
    }
  }

  transferLeadership(): void {
    const leader = this.leader()
    if (!leader) return
    const voters = leader.raft!.status().membership.voters.filter((id) => id !== leader.id)
    if (voters.length === 0) return
    const target = this.random.pick(voters)
    leader.input((raft) => {
      if (raft.transferLeadership(target).ok) {
        this.faultCounts.transfer++
        this.trace(`${leader.id} transfers leadership to ${target}`)
      }
    })
  }

  /** A node applied a membership change; nodes it removed are shut down a little later. */
  onConfigApplied(_node: SimNode, entry: Extract<Entry, { kind: 'config' }>): void {
    if (entry.change.type !== 'remove') return
    const removed = this.nodes.get(entry.change.nodeId)
    if (!removed || removed.retired) return
    this.queue.after(this.random.int(200, 2000), () => {
      if (removed.retired || isMember(this.membership(), removed.id)) return
      removed.retired = true
      removed.crash()
      this.trace(`${removed.id} was removed and shuts down`)
    })
  }

  /** End every fault: links heal, drops stop, crashed nodes come back. */
  heal(): void {
    this.network.blocked.clear()
    this.network.dropProbability = 0
    this.network.duplicateProbability = 0
    for (const node of this.nodes.values()) this.restart(node)
    this.trace('all faults healed')
  }
}
