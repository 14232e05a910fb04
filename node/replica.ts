// A full replica of the cluster state on a master (voter, standby or learner): the Raft core on its
// LevelDB storage, the host loop that drives it, and the cluster state machine its committed
// entries are applied to. It answers proposals with the state machine's result for that entry.

import { randomInt } from 'node:crypto'
import type { WatchChange } from '../core/api/store.ts'
import {
  ClusterState,
  type Command,
  type CommandResult,
  decodeCommand,
  encodeCommand,
} from '../core/cluster.ts'
import { seededRandom } from '../core/random.ts'
import { Raft } from '../raft/raft.ts'
import { type LevelStorage, openLevelStorage } from '../raft/storage/level.ts'
import { loadPersistedState } from '../raft/storage.ts'
import type { Entry, Message, Snapshot } from '../raft/types.ts'
import { WatchHub } from './api/watch-hub.ts'
import { RaftHost, type RequestOptions } from './raft-host.ts'

export interface ReplicaLogger {
  info(fields: object, message: string): void
  warn(fields: object, message: string): void
  error(fields: object, message: string): void
}

export interface RaftTiming {
  readonly tickMs: number
  readonly electionTicks: number
  readonly heartbeatTicks: number
}

/**
 * Failover fast enough to beat etcd's tuned 364 ms, without spurious elections on a busy 2-core
 * machine: heartbeats every 30 ms travel on their own stream, and a follower waits 100–200 ms of
 * silence (several lost heartbeats) before it campaigns, drawn in 5 ms steps so that two followers
 * rarely time out together (a split vote costs a whole extra round). A follower that sees the
 * leader's connection close campaigns within 0–100 ms instead (Raft.leaderUnreachable).
 */
export const raftTimingDefault: RaftTiming = { tickMs: 5, electionTicks: 20, heartbeatTicks: 6 }
export const snapshotEveryEntriesDefault = 10_000
/** Results kept for proposals this node may be waiting on; older ones are forgotten. */
const resultsKeptMax = 65_536

export interface ReplicaOptions {
  readonly directory: string
  readonly id: string
  /** Found a new cluster with this node as its sole voter (ignored once a log exists). */
  readonly bootstrap: boolean
  readonly send: (messages: readonly Message[]) => void
  readonly timing?: RaftTiming
  readonly snapshotEveryEntries?: number
  readonly logger: ReplicaLogger
  readonly onFatal: (error: Error) => void
  /** Told after each batch of entries is applied (or a snapshot restored). */
  /** After each batch of applied entries, with their API changes (null: a snapshot replaced everything). */
  readonly onApplied?: (entries: readonly Entry[], changes: readonly WatchChange[] | null) => void
}

export class Replica {
  readonly host: RaftHost
  readonly storage: LevelStorage
  /** Watch events of this replica's API objects. */
  readonly hub: WatchHub
  #state: ClusterState
  readonly #results = new Map<number, CommandResult>()
  readonly #logger: ReplicaLogger

  private constructor(host: RaftHost, storage: LevelStorage, state: ClusterState, logger: ReplicaLogger) {
    this.host = host
    this.storage = storage
    this.#state = state
    this.#logger = logger
    this.hub = new WatchHub(host.applied)
  }

  static async open(options: ReplicaOptions): Promise<Replica> {
    const storage = await openLevelStorage(options.directory)
    try {
      const persisted = await loadPersistedState(storage)
      const timing = options.timing ?? raftTimingDefault
      const raft = new Raft(
        {
          id: options.id,
          random: seededRandom(randomInt(2 ** 31)),
          bootstrapMembership: options.bootstrap ? { voters: [options.id], learners: [] } : undefined,
          electionTicks: timing.electionTicks,
          heartbeatTicks: timing.heartbeatTicks,
        },
        persisted,
      )
      const state = persisted.snapshot ? ClusterState.decode(persisted.snapshot.data) : new ClusterState()
      let replica: Replica | null = null
      const host = new RaftHost({
        raft,
        storage,
        send: options.send,
        apply: (entries, snapshot) => replica!.#apply(entries, snapshot, options.onApplied),
        tickMs: timing.tickMs,
        snapshotEveryEntries: options.snapshotEveryEntries ?? snapshotEveryEntriesDefault,
        takeSnapshot: () => replica!.#state.encoder(),
        logger: {
          info: (message, fields) => options.logger.info(fields ?? {}, message),
          error: (message, fields) => options.logger.error(fields ?? {}, message),
        },
        onFatal: options.onFatal,
      })
      replica = new Replica(host, storage, state, options.logger)
      host.start()
      return replica
    } catch (error) {
      await storage.close()
      throw error
    }
  }

  get state(): ClusterState {
    return this.#state
  }

  /** Proposes on this node (it must lead) and resolves with the state machine's answer. */
  async propose(
    command: Command,
    options: RequestOptions = {},
  ): Promise<{ index: number; result: CommandResult }> {
    const { index } = await this.host.propose(encodeCommand(command), options)
    const result = this.#results.get(index) ?? { ok: true }
    this.#results.delete(index)
    return { index, result }
  }

  /** Resolves once this replica has applied everything committed before the call (ReadIndex). */
  async linearize(options: RequestOptions = {}): Promise<void> {
    await this.host.read(options)
  }

  isLeader(): boolean {
    return this.host.status().role === 'leader'
  }

  async close(): Promise<void> {
    await this.host.stop()
    await this.storage.close()
  }

  #apply(
    entries: readonly Entry[],
    snapshot: Snapshot | null,
    onApplied?: (entries: readonly Entry[], changes: readonly WatchChange[] | null) => void,
  ): void {
    let changes: WatchChange[] | null = []
    if (snapshot) {
      changes = null
      this.#state = ClusterState.decode(snapshot.data)
      this.#results.clear()
      this.hub.reset(snapshot.meta.index)
      this.#logger.info({ index: snapshot.meta.index }, 'state restored from a snapshot')
    }
    for (const entry of entries) {
      if (entry.kind !== 'command') continue
      let result: CommandResult
      try {
        result = this.#state.apply(entry.index, decodeCommand(entry.data))
      } catch (error) {
        // Every replica refuses the same malformed entry the same way, so they stay equal.
        result = { ok: false, code: 'invalid', message: (error as Error).message }
        this.#logger.warn({ index: entry.index, err: error }, 'a committed entry could not be applied')
      }
      this.#remember(entry.index, result)
      if (this.#state.lastChanges.length > 0) {
        this.hub.publish(entry.index, this.#state.lastChanges)
        changes?.push(...this.#state.lastChanges)
      }
    }
    onApplied?.(entries, changes)
  }

  #remember(index: number, result: CommandResult): void {
    this.#results.set(index, result)
    if (this.#results.size > resultsKeptMax) {
      const oldest = this.#results.keys().next().value
      if (oldest !== undefined) this.#results.delete(oldest)
    }
  }
}
