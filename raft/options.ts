// The tunables and limits of the Raft core, each a named maximum checked once at construction.

import type { Random } from '../core/random.ts'
import type { Membership, NodeId } from './types.ts'

export interface RaftOptions {
  readonly id: NodeId
  /** Randomizes election timeouts; seeded in tests and the simulator. */
  readonly random: Random
  /**
   * The membership of a brand-new cluster: the same on every founding member, empty on a node
   * that joins later (it learns the membership from the leader). Ignored once a log or snapshot exists.
   */
  readonly bootstrapMembership?: Membership
  /** A follower campaigns after a random timeout in [electionTicks, 2 * electionTicks). */
  readonly electionTicks?: number
  readonly heartbeatTicks?: number
  readonly preVote?: boolean
  readonly checkQuorum?: boolean
  /** Append messages in flight to one follower before the leader waits for acknowledgements. */
  readonly inflightAppendsMax?: number
  /** Entry bytes in one append message (at least one entry is always sent). */
  readonly appendBytesMax?: number
  /** Proposals are refused while the leader's uncommitted entries exceed this many bytes. */
  readonly uncommittedBytesMax?: number
  /** Committed entry bytes handed to the host in one Ready (at least one entry). */
  readonly applyBytesMax?: number
  readonly snapshotChunkBytes?: number
  /** Snapshot chunks sent and not yet acknowledged, per follower. */
  readonly snapshotChunksInflightMax?: number
  /** Reads waiting for a quorum round, per leader. */
  readonly readsPendingMax?: number
  /** Largest single proposal. */
  readonly proposalBytesMax?: number
  /**
   * Breaks Raft on purpose by counting replicas of older-term entries toward commit (the bug of
   * the paper's figure 8). Only for the test proving that the simulator's checkers catch it.
   */
  readonly unsafeCountOldTermReplicas?: boolean
}

export type ResolvedRaftOptions = Required<Omit<RaftOptions, 'bootstrapMembership'>> &
  Pick<RaftOptions, 'bootstrapMembership'>

export const raftDefaults = {
  electionTicks: 10,
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  inflightAppendsMax: 256,
  appendBytesMax: 1024 * 1024,
  uncommittedBytesMax: 64 * 1024 * 1024,
  applyBytesMax: 8 * 1024 * 1024,
  snapshotChunkBytes: 256 * 1024,
  snapshotChunksInflightMax: 4,
  readsPendingMax: 65536,
  proposalBytesMax: 4 * 1024 * 1024,
  unsafeCountOldTermReplicas: false,
} as const

export function resolveRaftOptions(options: RaftOptions): ResolvedRaftOptions {
  const resolved = { ...raftDefaults, ...options }
  const positive = [
    'electionTicks',
    'heartbeatTicks',
    'inflightAppendsMax',
    'appendBytesMax',
    'uncommittedBytesMax',
    'applyBytesMax',
    'snapshotChunkBytes',
    'snapshotChunksInflightMax',
    'readsPendingMax',
    'proposalBytesMax',
  ] as const
  for (const name of positive) {
    const value = resolved[name]
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`raft option ${name} must be a positive integer`)
  }
  if (resolved.heartbeatTicks >= resolved.electionTicks) {
    throw new Error('raft option heartbeatTicks must be smaller than electionTicks')
  }
  if (resolved.id === '') throw new Error('raft option id must not be empty')
  return resolved
}
