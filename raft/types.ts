// The vocabulary of the Raft core: log entries, membership, persisted state, messages and the
// Ready batch through which the core hands work to its host. Plain data only, so every value can
// be encoded for the wire and for disk and compared in tests.

export type NodeId = string

/** Voters decide elections and commits; learners receive the log but never count. */
export interface Membership {
  readonly voters: readonly NodeId[]
  readonly learners: readonly NodeId[]
}

export type ConfigChange =
  | { readonly type: 'addLearner'; readonly nodeId: NodeId }
  | { readonly type: 'promote'; readonly nodeId: NodeId }
  | { readonly type: 'addVoter'; readonly nodeId: NodeId }
  | { readonly type: 'remove'; readonly nodeId: NodeId }

/**
 * `noop`: the entry a new leader appends to commit an entry of its own term.
 * `config`: a membership change; it carries the whole resulting membership, which takes effect as
 *   soon as the entry is in a log (Ongaro's thesis §4.1), and reverts if the entry is truncated.
 * `command`: opaque bytes for the state machine.
 */
export type Entry =
  | { readonly kind: 'noop'; readonly term: number; readonly index: number }
  | {
      readonly kind: 'config'
      readonly term: number
      readonly index: number
      readonly change: ConfigChange
      readonly membership: Membership
    }
  | { readonly kind: 'command'; readonly term: number; readonly index: number; readonly data: Uint8Array }

export interface HardState {
  readonly term: number
  readonly vote: NodeId | null
  readonly commit: number
}

export interface SnapshotMeta {
  readonly index: number
  readonly term: number
  readonly membership: Membership
}

export interface Snapshot {
  readonly meta: SnapshotMeta
  /** The state machine's own encoding of its state at `meta.index`. */
  readonly data: Uint8Array
}

interface Envelope {
  readonly from: NodeId
  readonly to: NodeId
  readonly term: number
}

export type Message =
  | (Envelope & {
      readonly type: 'append'
      readonly prevIndex: number
      readonly prevTerm: number
      readonly entries: readonly Entry[]
      readonly commit: number
    })
  | (Envelope & {
      readonly type: 'appendResponse'
      /** Accepted: the last index now durable and matching. Rejected: the prevIndex refused. */
      readonly index: number
      readonly reject: boolean
      /** On reject: the follower's best guess of where logs may match, and that entry's term. */
      readonly hintIndex: number
      readonly hintTerm: number
    })
  | (Envelope & { readonly type: 'heartbeat'; readonly commit: number; readonly readRound: number })
  | (Envelope & { readonly type: 'heartbeatResponse'; readonly readRound: number })
  | (Envelope & {
      readonly type: 'vote'
      readonly prevote: boolean
      readonly lastIndex: number
      readonly lastTerm: number
      /** Set by a leadership transfer so that voters ignore their leader lease. */
      readonly transfer: boolean
    })
  | (Envelope & { readonly type: 'voteResponse'; readonly prevote: boolean; readonly reject: boolean })
  | (Envelope & {
      readonly type: 'snapshot'
      readonly meta: SnapshotMeta
      readonly offset: number
      readonly totalBytes: number
      readonly chunk: Uint8Array
    })
  | (Envelope & {
      readonly type: 'snapshotResponse'
      readonly snapshotIndex: number
      /** Bytes of the snapshot received in order so far; totalBytes once installed and durable. */
      readonly offset: number
      readonly reject: boolean
    })
  | (Envelope & { readonly type: 'timeoutNow' })
  | (Envelope & { readonly type: 'readIndex'; readonly requestId: string })
  | (Envelope & {
      readonly type: 'readIndexResponse'
      readonly requestId: string
      readonly index: number
      readonly reject: boolean
    })

export type MessageType = Message['type']

/** A linearizable read may be served once the local state machine has applied `index`. */
export interface ReadState {
  readonly requestId: string
  readonly index: number
}

export type Role = 'follower' | 'precandidate' | 'candidate' | 'leader'

/**
 * The work the core hands to its host, one batch per cycle. The host must, in this order:
 * 1. send `messages` at any time (they do not depend on this batch being durable: the leader's
 *    appends, heartbeats and snapshot chunks, Raft thesis §10.2.1);
 * 2. make `snapshot`, then `entries` (which overwrite any stored entries from `entries[0].index`
 *    on), then `hardState` durable, atomically, in one synced write;
 * 3. only then send `messagesAfterPersist` (votes and acknowledgements promise durability);
 * 4. restore the state machine from `snapshot` if present, then apply `committedEntries` in order;
 * 5. hand `readStates` to waiting readers (serve each once `index` is applied);
 * 6. call `advance()`. No other call may be made on the core between `ready()` and `advance()`.
 */
export interface Ready {
  /**
   * Step 2 must be synced to the disk (entries, a snapshot, a new term or vote). When only the
   * commit index changed, an unsynced write is enough: a lost commit index is learned again.
   */
  readonly mustSync: boolean
  readonly hardState: HardState | null
  readonly snapshot: Snapshot | null
  readonly entries: readonly Entry[]
  readonly messages: readonly Message[]
  readonly messagesAfterPersist: readonly Message[]
  readonly committedEntries: readonly Entry[]
  readonly readStates: readonly ReadState[]
}

export const emptyMembership: Membership = { voters: [], learners: [] }
