// The autopilot's plan: given the replicated member list, the Raft membership and what the leader
// sees of each member's health, the one next step that brings the cluster closer to its targets.
// Pure and level-triggered: the leader calls it on every wake, carries out the step (a membership
// change or a cluster command through Raft), and calls it again; a step lost to a crash or a
// leader change is simply planned again by whoever leads next.
//
// Order matters for safety: a replacement voter is promoted before the dead one is removed (so
// the quorum never shrinks below the live members), and one Raft membership change runs at a time.

import type { ClusterState, Command, Member } from './cluster.ts'

export interface MemberHealth {
  /** Milliseconds since the leader last heard from it; 0 when it is in touch now. */
  readonly silentMs: number
}

export interface AutopilotView {
  readonly state: ClusterState
  readonly leaderId: string
  readonly raftVoters: readonly string[]
  readonly raftLearners: readonly string[]
  readonly lastIndex: number
  /** The durable matching index of each Raft member, as the leader tracks it. */
  readonly matchIndex: ReadonlyMap<string, number>
  readonly health: (id: string) => MemberHealth
}

export type AutopilotStep =
  | { readonly kind: 'addLearner'; readonly id: string; readonly why: string }
  | { readonly kind: 'promote'; readonly id: string; readonly why: string }
  | { readonly kind: 'removeFromRaft'; readonly id: string; readonly why: string }
  | { readonly kind: 'command'; readonly command: Command; readonly why: string }

/** A learner within this many entries of the leader's log counts as caught up. */
export const catchUpLagMax = 64
/** A member silent this long is not "in touch" for promotions and new roles. */
export const inTouchMs = 2_000

export function planAutopilot(view: AutopilotView): AutopilotStep | null {
  const { state, raftVoters, raftLearners } = view
  const inRaft = (id: string): boolean => raftVoters.includes(id) || raftLearners.includes(id)
  const inTouch = (id: string): boolean => id === view.leaderId || view.health(id).silentMs < inTouchMs
  const dead = (id: string): boolean =>
    id !== view.leaderId && view.health(id).silentMs >= state.settings.autopilotGraceMs
  const caughtUp = (id: string): boolean => {
    const match = view.matchIndex.get(id) ?? 0
    return match > 0 && match + catchUpLagMax >= view.lastIndex
  }
  const members = [...state.members.values()].sort((a, b) => a.joinedIndex - b.joinedIndex)
  const withRole = (role: Member['role']): Member[] => members.filter((m) => m.role === role)

  // 1. A voter-to-be that holds a full replica is promoted.
  for (const member of withRole('voter')) {
    if (raftLearners.includes(member.id) && inTouch(member.id) && caughtUp(member.id)) {
      return { kind: 'promote', id: member.id, why: `${member.name} is caught up` }
    }
  }
  // 2. Raft members the cluster no longer wants leave Raft (after any promotion above).
  for (const id of [...raftLearners, ...raftVoters]) {
    const member = state.members.get(id)
    if (!member) return { kind: 'removeFromRaft', id, why: `${id} was removed from the cluster` }
    if (member.role === 'worker') return { kind: 'removeFromRaft', id, why: `${member.name} is now a worker` }
  }
  // 3. Members that should hold a replica get one, as learners first.
  for (const member of members) {
    if (member.role !== 'worker' && !inRaft(member.id) && inTouch(member.id)) {
      return { kind: 'addLearner', id: member.id, why: `${member.name} is a ${member.role}` }
    }
  }
  const readyStandbys = withRole('standby').filter(
    (m) => raftLearners.includes(m.id) && inTouch(m.id) && caughtUp(m.id),
  )
  // 4. A dead voter is replaced by a ready standby, in one decision.
  for (const voter of withRole('voter')) {
    if (dead(voter.id) && readyStandbys.length > 0) {
      const standby = readyStandbys[0]!
      return {
        kind: 'command',
        command: { type: 'replaceVoter', dead: voter.id, standby: standby.id },
        why: `${voter.name} has been silent for ${view.health(voter.id).silentMs} ms`,
      }
    }
  }
  // 5. Too few voters (a member was removed): a ready standby becomes one.
  if (withRole('voter').length < state.settings.voters && readyStandbys.length > 0) {
    const standby = readyStandbys[0]!
    return {
      kind: 'command',
      command: { type: 'setRole', id: standby.id, role: 'voter' },
      why: `${withRole('voter').length} voters of ${state.settings.voters} wanted`,
    }
  }
  // 6. A dead standby makes way for a live one.
  for (const standby of withRole('standby')) {
    if (dead(standby.id)) {
      return {
        kind: 'command',
        command: { type: 'setRole', id: standby.id, role: 'worker' },
        why: `standby ${standby.name} has been silent for ${view.health(standby.id).silentMs} ms`,
      }
    }
  }
  // 7. Too few standbys (or voters with no standby to promote): the oldest live worker steps up.
  const wanted = state.settings.standbys + Math.max(0, state.settings.voters - withRole('voter').length)
  if (withRole('standby').length < wanted) {
    const worker = withRole('worker').find((m) => inTouch(m.id))
    if (worker) {
      return {
        kind: 'command',
        command: { type: 'setRole', id: worker.id, role: 'standby' },
        why: `${withRole('standby').length} standbys of ${state.settings.standbys} wanted`,
      }
    }
  }
  return null
}
