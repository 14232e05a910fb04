// A supervisor is data (Erlang/OTP `sup_princ`): a restart strategy, a restart intensity, an
// optional backoff, and ordered child specs. This module owns those shapes, what a supervisor
// reports about itself (`SupervisorEvent`, `ChildInfo`), and the checks a spec must pass.

import type { AnyActorLogic } from 'xstate'
import { assert } from './assert.ts'
import type { Clock } from './clock.ts'

/**
 * Which children a crash takes down with it: only the failed one; all of them (stopped in reverse
 * start order, restarted in start order); or the failed one and every child started after it.
 */
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one'

/** permanent: always restarted; transient: only after an abnormal exit (error); temporary: never. */
export type RestartType = 'permanent' | 'transient' | 'temporary'

/** Delay before restart n (1-based) of one child: min(maxMs, initialMs * factor^(n-1)). */
export interface Backoff {
  readonly initialMs: number
  readonly maxMs: number
  readonly factor: number
}

/** The ports every child is started with, so a child supervisor reports and waits as its parent does. */
export interface SupervisorPorts {
  readonly clock: Clock
  readonly onEvent?: (event: SupervisorEvent) => void
}

export interface ChildStartContext extends SupervisorPorts {
  readonly id: string
  /** Where this child sits in the supervision tree, e.g. `root/workers/w1`. */
  readonly path: string
  /** How many times this child has been restarted before this start. */
  readonly restarts: number
}

/** What `start` returns: the logic to run, or the logic with its input and a system-wide id. */
export type ChildStart =
  | AnyActorLogic
  | { readonly logic: AnyActorLogic; readonly input?: unknown; readonly systemId?: string }

export interface ChildSpec {
  readonly id: string
  /** Called on every (re)start, so each incarnation gets fresh logic and input. */
  readonly start: (context: ChildStartContext) => ChildStart
  readonly restart: RestartType
  /**
   * How long a stop waits for the child to finish after it is sent `supervisor.shutdown` before it
   * is stopped outright. Absent or 0: stopped outright at once (XState still runs its cleanups).
   */
  readonly shutdownMs?: number
}

export interface SupervisorSpec {
  readonly strategy: Strategy
  /** More than `maxRestarts` restarts within `periodMs` and the supervisor gives up and escalates. */
  readonly maxRestarts: number
  readonly periodMs: number
  /** Absent: restart at once, as OTP does. */
  readonly backoff?: Backoff
  /** Started in this order, stopped in reverse. */
  readonly children: readonly ChildSpec[]
  /** A bound on children, static and dynamic together; default `childrenMaxDefault`. */
  readonly childrenMax?: number
}

export const childrenMaxDefault = 10_000

/**
 * starting: its first start is queued; running: alive; stopping: a stop is queued or under way;
 * restarting: stopped, waiting for its backoff or its turn to start; exited: a transient child
 * that ended normally (not restarted); stopped: stopped for good (the supervisor is ending).
 */
export type ChildStatus = 'starting' | 'running' | 'stopping' | 'restarting' | 'exited' | 'stopped'

/** One row of `whichChildren` (OTP `which_children` plus restart counts). */
export interface ChildInfo {
  readonly id: string
  readonly restart: RestartType
  readonly status: ChildStatus
  /** 1 for the first start; each start adds one. 0 before the first start. */
  readonly incarnation: number
  /** Starts after the first, whatever caused them. */
  readonly restarts: number
  readonly lastError?: string
}

/** Why a child was stopped. */
export type StopReason = 'restart' | 'removed' | 'shutdown' | 'gave-up'

interface EventBase {
  /** The reporting supervisor's path in the tree. */
  readonly supervisor: string
  readonly atMs: number
}

/** What a supervisor reports through `onEvent`: the raw material for Kubernetes Events and logs. */
export type SupervisorEvent = EventBase &
  (
    | {
        readonly type: 'child-started'
        readonly id: string
        readonly incarnation: number
        readonly restarts: number
      }
    | { readonly type: 'child-exited'; readonly id: string }
    | { readonly type: 'child-crashed'; readonly id: string; readonly error: unknown }
    | {
        readonly type: 'child-restarting'
        readonly id: string
        /** This child's restarts within the period, this one included. */
        readonly attempt: number
        readonly backoffMs: number
        /** Every child this restart takes down and brings back, in start order. */
        readonly ids: readonly string[]
      }
    | {
        readonly type: 'child-stopped'
        readonly id: string
        readonly reason: StopReason
        readonly forced: boolean
      }
    | {
        readonly type: 'supervisor-gave-up'
        readonly id: string
        readonly restarts: number
        readonly periodMs: number
        readonly error: unknown
      }
    | { readonly type: 'supervisor-escalated'; readonly error: Error }
    | {
        readonly type: 'request-rejected'
        readonly request: 'start-child' | 'stop-child'
        readonly id: string
        readonly reason: string
      }
  )

/** Checks a spec before anything starts: a bad spec is a programmer error. */
export function assertSupervisorSpec(spec: SupervisorSpec): void {
  assert(
    Number.isInteger(spec.maxRestarts) && spec.maxRestarts >= 0,
    `maxRestarts must be an integer >= 0, got ${spec.maxRestarts}`,
  )
  assert(Number.isFinite(spec.periodMs) && spec.periodMs > 0, `periodMs must be > 0, got ${spec.periodMs}`)
  const childrenMax = spec.childrenMax ?? childrenMaxDefault
  assert(
    Number.isInteger(childrenMax) && childrenMax > 0,
    `childrenMax must be an integer > 0, got ${childrenMax}`,
  )
  assert(
    spec.children.length <= childrenMax,
    `${spec.children.length} children exceed childrenMax ${childrenMax}`,
  )
  if (spec.backoff) {
    const { initialMs, maxMs, factor } = spec.backoff
    assert(Number.isFinite(initialMs) && initialMs >= 0, `backoff.initialMs must be >= 0, got ${initialMs}`)
    assert(Number.isFinite(maxMs) && maxMs >= initialMs, `backoff.maxMs must be >= initialMs, got ${maxMs}`)
    assert(Number.isFinite(factor) && factor >= 1, `backoff.factor must be >= 1, got ${factor}`)
  }
  const ids = new Set<string>()
  for (const child of spec.children) {
    assertChildSpec(child)
    assert(!ids.has(child.id), `duplicate child id '${child.id}'`)
    ids.add(child.id)
  }
}

export function assertChildSpec(child: ChildSpec): void {
  const problem = childSpecProblem(child)
  assert(problem === undefined, problem ?? '')
}

/** What is wrong with a child spec, if anything (a dynamic one is rejected, not thrown). */
export function childSpecProblem(child: ChildSpec): string | undefined {
  if (typeof child?.id !== 'string' || child.id === '') return 'a child id must be a non-empty string'
  if (typeof child.start !== 'function') return `child '${child.id}': start must be a function`
  if (child.restart !== 'permanent' && child.restart !== 'transient' && child.restart !== 'temporary') {
    return `child '${child.id}': unknown restart type '${child.restart}'`
  }
  const { shutdownMs } = child
  if (shutdownMs !== undefined && !(Number.isFinite(shutdownMs) && shutdownMs >= 0)) {
    return `child '${child.id}': shutdownMs must be >= 0, got ${shutdownMs}`
  }
  return undefined
}

/** Restart `attempt` (1-based) of one child waits this long; no backoff means no wait. */
export function backoffDelayMs(backoff: Backoff | undefined, attempt: number): number {
  if (!backoff) return 0
  return Math.min(backoff.maxMs, Math.round(backoff.initialMs * backoff.factor ** (attempt - 1)))
}
