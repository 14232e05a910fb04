// Single-server membership changes: each change adds or removes at most one voter, so the
// majorities of the old and the new membership always overlap (Raft thesis §4.1).

import type { ConfigChange, Membership, NodeId } from './types.ts'

export function isVoter(membership: Membership, id: NodeId): boolean {
  return membership.voters.includes(id)
}

export function isMember(membership: Membership, id: NodeId): boolean {
  return membership.voters.includes(id) || membership.learners.includes(id)
}

export function members(membership: Membership): NodeId[] {
  return [...membership.voters, ...membership.learners]
}

export function quorumSize(membership: Membership): number {
  return Math.floor(membership.voters.length / 2) + 1
}

const sorted = (ids: Iterable<NodeId>): NodeId[] => [...ids].sort()

/** The membership after `change`, or a reason why the change is not allowed. */
export function applyConfigChange(
  membership: Membership,
  change: ConfigChange,
): { membership: Membership } | { refused: string } {
  const { nodeId } = change
  const voters = new Set(membership.voters)
  const learners = new Set(membership.learners)
  switch (change.type) {
    case 'addLearner':
      if (voters.has(nodeId) || learners.has(nodeId)) return { refused: `${nodeId} is already a member` }
      learners.add(nodeId)
      break
    case 'addVoter':
      if (voters.has(nodeId)) return { refused: `${nodeId} is already a voter` }
      learners.delete(nodeId)
      voters.add(nodeId)
      break
    case 'promote':
      if (!learners.has(nodeId)) return { refused: `${nodeId} is not a learner` }
      learners.delete(nodeId)
      voters.add(nodeId)
      break
    case 'remove':
      if (!voters.has(nodeId) && !learners.has(nodeId)) return { refused: `${nodeId} is not a member` }
      if (voters.has(nodeId) && voters.size === 1) return { refused: 'the last voter cannot be removed' }
      voters.delete(nodeId)
      learners.delete(nodeId)
      break
  }
  return { membership: { voters: sorted(voters), learners: sorted(learners) } }
}
