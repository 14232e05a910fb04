// Shared pieces for the supervisor tests: a worker machine that records its life in a log, a
// harness that runs a supervisor on a simulated clock, and short renderings of what it reports.

import { type AnyActorRef, type EventObject, fromCallback, setup } from 'xstate'
import { SimulatedClock } from '../../actors/clock.ts'
import {
  type ChildSpec,
  type RestartType,
  type SupervisorEvent,
  type SupervisorRef,
  type SupervisorSpec,
  startSupervisor,
} from '../../actors/supervisor.ts'

/** Where a worker writes `start x` / `stop x`: an array, or anything else that takes lines. */
export interface LineSink {
  push(line: string): unknown
}

export interface WorkerOptions {
  /** On `supervisor.shutdown`: finish after this long (an XState `after`, on the shared clock). */
  readonly drainMs?: number
  /** On `supervisor.shutdown`: do nothing, so only the supervisor's shutdownMs ends it. */
  readonly ignoreShutdown?: boolean
}

/**
 * A worker whose life is an invoked callback: `start <name>` when it starts, `stop <name>` when
 * that callback is cleaned up. CRASH throws in an action (which, in XState, leaves the invoked
 * callback running: only the supervisor's sweep stops it), EXIT ends it normally.
 */
export function workerLogic(log: LineSink, name: string, options: WorkerOptions = {}) {
  const onShutdown = options.ignoreShutdown
    ? {}
    : { 'supervisor.shutdown': options.drainMs ? 'draining' : 'exited' }
  return setup({
    actors: {
      life: fromCallback<EventObject, string>(({ input }) => {
        log.push(`start ${input}`)
        return () => log.push(`stop ${input}`)
      }),
    },
  }).createMachine({
    id: name,
    invoke: { src: 'life', input: name },
    initial: 'running',
    states: {
      running: {
        on: {
          CRASH: {
            actions: () => {
              throw new Error(`${name} crashed`)
            },
          },
          EXIT: 'exited',
          ...onShutdown,
        },
      },
      draining: { after: { [options.drainMs ?? 0]: 'exited' }, on: { CRASH: 'exited' } },
      exited: { type: 'final' },
    },
  })
}

/** A worker child spec. */
export function worker(
  log: string[],
  id: string,
  restart: RestartType = 'permanent',
  options: WorkerOptions & { shutdownMs?: number } = {},
): ChildSpec {
  const { shutdownMs, ...workerOptions } = options
  return {
    id,
    restart,
    ...(shutdownMs === undefined ? {} : { shutdownMs }),
    start: () => workerLogic(log, id, workerOptions),
  }
}

export interface Harness {
  readonly clock: SimulatedClock
  readonly supervisor: ReturnType<typeof startSupervisor>
  readonly events: SupervisorEvent[]
  readonly escalations: unknown[]
}

export function harness(spec: SupervisorSpec, clock = new SimulatedClock()): Harness {
  const events: SupervisorEvent[] = []
  const escalations: unknown[] = []
  const supervisor = startSupervisor(spec, {
    clock,
    onEvent: (event) => events.push(event),
    onEscalate: (error) => escalations.push(error),
  })
  return { clock, supervisor, events, escalations }
}

/** The child actor at `path` below `supervisor`: ids separated by `/`, or a list of ids. */
export function childAt(supervisor: AnyActorRef, path: string | readonly string[]): AnyActorRef {
  let ref = supervisor
  for (const id of typeof path === 'string' ? path.split('/') : path) {
    const next = (ref.getSnapshot() as { children?: Record<string, AnyActorRef> }).children?.[id]
    if (!next) throw new Error(`no running child '${id}' in ${path}`)
    ref = next
  }
  return ref
}

type Path = string | readonly string[]
export const crash = (supervisor: AnyActorRef, path: Path) =>
  childAt(supervisor, path).send({ type: 'CRASH' })
export const exit = (supervisor: AnyActorRef, path: Path) => childAt(supervisor, path).send({ type: 'EXIT' })

/** One line per event: `atMs path type details`, the way the tests compare what happened. */
export function brief(event: SupervisorEvent): string {
  const head = `${event.atMs} ${event.supervisor}`
  switch (event.type) {
    case 'child-started':
      return `${head} started ${event.id}#${event.incarnation}`
    case 'child-exited':
      return `${head} exited ${event.id}`
    case 'child-crashed':
      return `${head} crashed ${event.id}: ${(event.error as Error).message}`
    case 'child-restarting':
      return `${head} restarting ${event.id} attempt=${event.attempt} backoff=${event.backoffMs} [${event.ids.join(',')}]`
    case 'child-stopped':
      return `${head} stopped ${event.id} (${event.reason}${event.forced ? ', forced' : ''})`
    case 'supervisor-gave-up':
      return `${head} gave up on ${event.id} after ${event.restarts} restarts in ${event.periodMs}ms`
    case 'supervisor-escalated':
      return `${head} escalated`
    case 'request-rejected':
      return `${head} rejected ${event.request} ${event.id}: ${event.reason}`
  }
}

/** The events since `from`, briefly; `from` defaults to the start. */
export function briefs(events: readonly SupervisorEvent[], from = 0): string[] {
  return events.slice(from).map(brief)
}

/** `id:status:restarts` for each child, in start order. */
export function statuses(supervisor: SupervisorRef): string[] {
  return supervisor.getSnapshot().childInfo.map((c) => `${c.id}:${c.status}:${c.restarts}`)
}
