// Where a request meets the replicated state, whichever node it arrives on. A write is proposed on
// the leader: here if this node leads, else forwarded over the mesh and answered once applied. A
// linearizable read is a ReadIndex round on a master's replica (its core asks the leader); a worker,
// which keeps no replica, hands the whole read to a master. Forwarding retries only while the
// request has certainly not been proposed (no leader yet, a refused or unreachable peer), so a
// retried write can never be applied twice; a deadline passed after sending is "indeterminate".

import { type Command, type CommandResult, decodeCommand, encodeCommand } from '../core/cluster.ts'
import type { Mesh } from '../net/mesh.ts'
import { RpcRemoteError, RpcTimeoutError, RpcUnreachableError } from '../net/mesh.ts'
import {
  BusyError,
  DeadlineError,
  NotLeaderError,
  ProposalLostError,
  StoppedError,
  TooLargeError,
} from './raft-host.ts'
import type { Replica } from './replica.ts'

export const requestTimeoutMsDefault = 5_000
/** One ReadIndex round waits this long before it is asked again (its messages may be lost). */
export const readAttemptMs = 1_000
/** Pause between attempts while no leader is known (an election takes tens of milliseconds). */
export const leaderWaitMs = 5
/** ...doubling while no leader appears, up to this: hundreds of waiting requests must not spin. */
export const leaderWaitMsMax = 100

/** A write or read that could not be served; `status` is the HTTP status it maps to. */
export class ClusterOpError extends Error {
  static override readonly name = 'ClusterOpError'
  readonly status: number
  readonly reason: string
  constructor(status: number, reason: string, message: string) {
    super(message)
    this.name = 'ClusterOpError'
    this.status = status
    this.reason = reason
  }
}

export const noLeaderError = (): ClusterOpError =>
  new ClusterOpError(503, 'ServiceUnavailable', 'no leader is elected at the moment; retry shortly')
export const indeterminateError = (what: string): ClusterOpError =>
  new ClusterOpError(
    504,
    'Timeout',
    `${what} timed out: it may or may not have been applied; read before retrying`,
  )

export interface ClusterOpsOptions {
  readonly mesh: Mesh
  /** The local replica, when this node keeps one. */
  readonly replica: () => Replica | null
  /** Masters to try when no leader is known (a worker's only way in). */
  readonly masters: () => readonly string[]
  readonly observeProposal?: (seconds: number) => void
  readonly observeCall?: (method: string, seconds: number) => void
}

export class ClusterOps {
  readonly #options: ClusterOpsOptions
  /** The last leader a reply named: where to go first. */
  #leaderHint: string | null = null

  constructor(options: ClusterOpsOptions) {
    this.#options = options
  }

  /** The leader as best known here. */
  leader(): string | null {
    const replica = this.#options.replica()
    return replica?.host.status().leader ?? this.#leaderHint
  }

  noteLeader(leader: string | null): void {
    if (leader) this.#leaderHint = leader
  }

  /** Proposes `command` on the leader and answers with its result once applied. */
  async propose(
    command: Command,
    timeoutMs = requestTimeoutMsDefault,
  ): Promise<{ index: number; result: CommandResult }> {
    const started = performance.now()
    const outcome = await this.#propose(command, timeoutMs)
    this.#options.observeProposal?.((performance.now() - started) / 1000)
    return outcome
  }

  async #propose(command: Command, timeoutMs: number): Promise<{ index: number; result: CommandResult }> {
    const deadline = Date.now() + timeoutMs
    const encoded = encodeCommand(command)
    for (let attempt = 0; ; attempt++) {
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw noLeaderError()
      const replica = this.#options.replica()
      if (replica?.isLeader()) {
        try {
          return await replica.propose(command, { timeoutMs: remaining })
        } catch (error) {
          if (error instanceof NotLeaderError) continue
          // Overwritten by a new leader's log: it was certainly not applied, so propose again.
          if (error instanceof ProposalLostError) continue
          throw hostError(error, 'the write')
        }
      }
      const target = this.#target()
      if (!target) {
        await sleep(leaderWait(attempt))
        continue
      }
      try {
        return await this.#call<{ index: number; result: CommandResult }>(
          target,
          'cluster.propose',
          { command: encoded },
          remaining,
        )
      } catch (error) {
        if (!(await this.#retryable(error, target, false))) throw remoteError(error, 'the write')
      }
    }
  }

  /**
   * Runs `read` against a replica that has applied everything committed before this call:
   * this node's own, or, on a worker, a master's (then `read` runs there, by name).
   */
  async linearize(timeoutMs = requestTimeoutMsDefault): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (let attempt = 0; ; attempt++) {
      const replica = this.#options.replica()
      if (!replica) throw new ClusterOpError(500, 'InternalError', 'this node keeps no replica')
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw noLeaderError()
      try {
        await replica.linearize({ timeoutMs: Math.min(remaining, readAttemptMs) })
        return
      } catch (error) {
        if (error instanceof NotLeaderError) {
          await sleep(leaderWait(attempt))
          continue
        }
        // A ReadIndex request or its answer can be lost with a dropped message (Raft does not
        // resend them); a read has no effect, so ask again rather than wait out the deadline.
        if (error instanceof DeadlineError && deadline - Date.now() > 0) continue
        if (error instanceof DeadlineError) throw noLeaderError()
        throw hostError(error, 'the read')
      }
    }
  }

  /** Calls `method` on a master (the leader first), retrying while none answers. */
  async callMaster<T>(method: string, request: unknown, timeoutMs = requestTimeoutMsDefault): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (let attempt = 0; ; attempt++) {
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw noLeaderError()
      const target = this.#target()
      if (!target) {
        await sleep(leaderWait(attempt))
        continue
      }
      try {
        return await this.#call<T>(target, method, request, remaining)
      } catch (error) {
        if (!(await this.#retryable(error, target, true))) throw remoteError(error, method)
      }
    }
  }

  /** Serves forwarded proposals on this node (it answers "not the leader" unless it leads). */
  handleProposals(): void {
    this.#options.mesh.handle('cluster.propose', async (_from, request) => {
      const replica = this.#options.replica()
      if (!replica?.isLeader()) throw notLeaderRemote(replica?.host.status().leader ?? null)
      const { command } = request as { command: Uint8Array }
      try {
        return await replica.propose(decodeCommand(command))
      } catch (error) {
        if (error instanceof NotLeaderError) throw notLeaderRemote(error.leader)
        if (error instanceof ProposalLostError)
          throw Object.assign(new Error(error.message), { code: 'ERR_PROPOSAL_LOST' })
        throw toRemote(hostError(error, 'the write'))
      }
    })
  }

  async #call<T>(target: string, method: string, request: unknown, timeoutMs: number): Promise<T> {
    const started = performance.now()
    try {
      return await this.#options.mesh.call<T>(target, method, request, { timeoutMs })
    } finally {
      this.#options.observeCall?.(method, (performance.now() - started) / 1000)
    }
  }

  #target(): string | null {
    const leader = this.leader()
    const mesh = this.#options.mesh
    if (leader && leader !== mesh.id && mesh.isConnected(leader)) return leader
    return this.#options.masters().find((id) => id !== mesh.id && mesh.isConnected(id)) ?? null
  }

  /**
   * True when the request may be sent again: it certainly did not take effect, or taking effect
   * twice is harmless (`idempotent`).
   */
  async #retryable(error: unknown, target: string, idempotent: boolean): Promise<boolean> {
    if (error instanceof RpcRemoteError && error.code === 'ERR_NOT_LEADER') {
      const leader = (error.details as { leader?: string | null } | undefined)?.leader ?? null
      this.#leaderHint = leader !== target ? leader : null
      // Go straight to a leader we can reach; otherwise (none named, or the one named is the
      // dead leader that an election is replacing) wait, rather than bounce between followers.
      if (!leader || leader === target || !this.#options.mesh.isConnected(leader)) await sleep(leaderWaitMs)
      return true
    }
    if (error instanceof RpcRemoteError && error.code === 'ERR_PROPOSAL_LOST') {
      await sleep(leaderWaitMs) // overwritten by a new leader's log: certainly not applied
      return true
    }
    if (error instanceof RpcUnreachableError) {
      if (this.#leaderHint === target) this.#leaderHint = null
      if (error.maybeDelivered && !idempotent) return false
      await sleep(leaderWaitMs)
      return true
    }
    return false
  }
}

function notLeaderRemote(leader: string | null): Error & { code: string; details: object } {
  return Object.assign(new Error(leader ? `not the leader; try ${leader}` : 'no leader is known'), {
    code: 'ERR_NOT_LEADER',
    details: { leader },
  })
}

function hostError(error: unknown, what: string): Error {
  if (error instanceof DeadlineError) return indeterminateError(what)
  if (error instanceof BusyError)
    return new ClusterOpError(429, 'TooManyRequests', `${what} was refused: ${error.message}`)
  if (error instanceof TooLargeError) return new ClusterOpError(413, 'RequestEntityTooLarge', error.message)
  if (error instanceof StoppedError)
    return new ClusterOpError(503, 'ServiceUnavailable', 'this node is shutting down')
  return error instanceof Error ? error : new Error(String(error))
}

function remoteError(error: unknown, what: string): Error {
  if (error instanceof RpcTimeoutError) return indeterminateError(what)
  if (error instanceof RpcUnreachableError && error.maybeDelivered) return indeterminateError(what)
  if (error instanceof RpcRemoteError) {
    const status = (error.details as { status?: number } | undefined)?.status
    if (error.code === 'ERR_CLUSTER_OP' && status) {
      return new ClusterOpError(status, (error.details as { reason: string }).reason, error.message)
    }
  }
  return error instanceof Error ? error : new Error(String(error))
}

/** Turns a ClusterOpError into something the RPC layer carries back intact. */
/** How long the attempt-th retry waits for a leader. */
function leaderWait(attempt: number): number {
  return Math.min(leaderWaitMsMax, leaderWaitMs * 2 ** Math.min(attempt, 10))
}

export function toRemote(error: unknown): unknown {
  if (error instanceof ClusterOpError) {
    return Object.assign(new Error(error.message), {
      code: 'ERR_CLUSTER_OP',
      details: { status: error.status, reason: error.reason },
    })
  }
  return error
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
