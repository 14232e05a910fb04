// An OTP supervisor as XState v5 actor logic: children are XState actors it creates with itself as
// parent, so a child's failure reaches it as `xstate.error.actor.<id>` and a child supervisor that
// gives up is, to its parent, simply a child that failed. The decisions are SupervisorCore's; this
// module carries them out against XState and the injected ports (Clock, onEvent).
//
// Why custom logic and not a machine: XState stops a machine's children in start order, with no
// hook to reverse it, and a machine that fails by throwing leaves its children running. Here every
// stop is ours: children in reverse start order, each with its whole actor tree (actor-tree.ts).
//
// Level-triggered: an exit event only wakes the supervisor up; it then looks at the child's actual
// snapshot, so a late event from an incarnation already replaced is ignored.
//
// Not persistable: a restored supervisor starts its children afresh (XState drops pending timers
// on restore anyway). Persist domain state, rebuild supervisors on boot.

import {
  type Actor,
  type ActorLogic,
  type ActorRef,
  type ActorScope,
  type AnyActorLogic,
  type AnyActorRef,
  createActor,
  type Snapshot,
} from 'xstate'
import { stopActorTree } from './actor-tree.ts'
import type { Clock, TimerHandle } from './clock.ts'
import { type CoreInput, type Effect, SupervisorCore } from './supervisor-core.ts'
import {
  assertSupervisorSpec,
  type ChildInfo,
  type ChildSpec,
  type ChildStart,
  childSpecProblem,
  type RestartType,
  type SupervisorPorts,
  type SupervisorSpec,
} from './supervisor-spec.ts'

export { SupervisorGaveUpError } from './supervisor-errors.ts'
export type * from './supervisor-spec.ts'

/** Sent to a child asked to finish within its `shutdownMs`; a supervisor child handles it itself. */
export const shutdownEventType = 'supervisor.shutdown'

/** What may be sent to a supervisor. */
export type SupervisorRequest =
  | { readonly type: 'supervisor.start-child'; readonly spec: ChildSpec }
  | { readonly type: 'supervisor.stop-child'; readonly id: string }
  | { readonly type: 'supervisor.start-children'; readonly specs: readonly ChildSpec[] }
  | { readonly type: 'supervisor.stop-children'; readonly ids: readonly string[] }
  | { readonly type: typeof shutdownEventType }

type TimerEvent = { readonly type: 'supervisor.timer'; readonly key: string }
type SupervisorActorEvent = SupervisorRequest | TimerEvent

export type SupervisorSnapshot = Snapshot<undefined> & {
  /** The running child actors, in start order (XState tooling walks trees through `children`). */
  readonly children: Readonly<Record<string, AnyActorRef>>
  /** Every child spec and how it is doing, in start order. */
  readonly childInfo: readonly ChildInfo[]
}

export type SupervisorLogic = ActorLogic<SupervisorSnapshot, SupervisorActorEvent, undefined>
export type SupervisorRef = ActorRef<SupervisorSnapshot, SupervisorActorEvent>

export interface SupervisorOptions extends SupervisorPorts {
  /** This supervisor's place in the tree, for its events and errors; default: its actor id. */
  readonly path?: string
}

interface Running {
  readonly ref: AnyActorRef
  readonly incarnation: number
}

/** What one supervisor actor holds besides its snapshot: live refs, timers and functions. */
interface Runtime {
  readonly core: SupervisorCore
  readonly path: string
  readonly scope: ActorScope<SupervisorSnapshot, SupervisorActorEvent>
  readonly specs: Map<string, ChildSpec>
  readonly actors: Map<string, Running>
  readonly timers: Map<string, TimerHandle>
  outcome: { readonly status: 'done' } | { readonly status: 'error'; readonly error: unknown } | undefined
}

/** The actor logic of a supervisor; run it with `createActor` or as a child of another supervisor. */
export function createSupervisorLogic(spec: SupervisorSpec, options: SupervisorOptions): SupervisorLogic {
  assertSupervisorSpec(spec)
  const { clock } = options
  const runtimes = new WeakMap<AnyActorRef, Runtime>()

  const run = (runtime: Runtime, input: CoreInput): void => {
    const inputs = [input]
    for (let next = inputs.shift(); next !== undefined; next = inputs.shift()) {
      for (const effect of runtime.core.handle(next, clock.nowMs())) execute(runtime, effect, inputs)
    }
  }

  const execute = (runtime: Runtime, effect: Effect, inputs: CoreInput[]): void => {
    switch (effect.type) {
      case 'spawn':
        spawn(runtime, effect.id, effect.incarnation, effect.restarts, inputs)
        return
      case 'request-shutdown':
        runtime.actors.get(effect.id)?.ref.send({ type: shutdownEventType })
        return
      case 'kill':
        kill(runtime, effect.id)
        return
      case 'set-timer': {
        const { key } = effect
        const handle = clock.setTimeout(() => {
          runtime.timers.delete(key)
          runtime.scope.self.send({ type: 'supervisor.timer', key })
        }, effect.delayMs)
        runtime.timers.set(key, handle)
        return
      }
      case 'clear-timer':
        clearTimer(runtime, effect.key)
        return
      case 'report':
        options.onEvent?.(effect.event)
        return
      case 'forget':
        runtime.specs.delete(effect.id)
        return
      case 'finish':
        for (const key of [...runtime.timers.keys()]) clearTimer(runtime, key)
        runtime.outcome =
          effect.outcome === 'done' ? { status: 'done' } : { status: 'error', error: effect.error }
        return
    }
  }

  const spawn = (
    runtime: Runtime,
    id: string,
    incarnation: number,
    restarts: number,
    inputs: CoreInput[],
  ) => {
    const spec = runtime.specs.get(id)
    try {
      if (!spec) throw new Error(`no spec for child '${id}'`)
      const path = `${runtime.path}/${id}`
      const { logic, input, systemId } = normalizeStart(spec.start({ ...options, id, path, restarts }))
      const ref = createActor(logic, { parent: runtime.scope.self, id, input, systemId })
      runtime.actors.set(id, { ref, incarnation })
      // A child that fails while starting tells us through our mailbox, after this transition.
      ref.start()
    } catch (error) {
      // The start function (or createActor: a taken systemId) threw: the child crashed.
      inputs.push({ type: 'exit', id, incarnation, outcome: 'error', error })
    }
  }

  const kill = (runtime: Runtime, id: string): void => {
    const running = runtime.actors.get(id)
    if (!running) return
    runtime.actors.delete(id)
    stopActorTree(running.ref, (ref) => runtime.scope.stopChild(ref))
  }

  const clearTimer = (runtime: Runtime, key: string): void => {
    const handle = runtime.timers.get(key)
    if (handle === undefined) return
    runtime.timers.delete(key)
    clock.clearTimeout(handle)
  }

  /** A bug of ours (or a throwing onEvent port) must not leak the children: stop them, then fail. */
  const crash = (runtime: Runtime, error: unknown): void => {
    const order = runtime.core.whichChildren().map((info) => info.id)
    const ids = [...order.filter((id) => runtime.actors.has(id)), ...runtime.actors.keys()]
    for (const id of [...new Set(ids)].reverse()) kill(runtime, id)
    for (const key of [...runtime.timers.keys()]) clearTimer(runtime, key)
    runtime.outcome = { status: 'error', error }
  }

  const onEvent = (runtime: Runtime, event: SupervisorActorEvent): void => {
    // XState's own events (stop, child exits) arrive through the same door as ours.
    const type: string = event.type
    if (type === 'xstate.stop') {
      run(runtime, { type: 'halt' })
      return
    }
    const exited = /^xstate\.(?:done|error)\.actor\.(.*)$/s.exec(type)
    if (exited) {
      childExited(runtime, exited[1]!)
      return
    }
    switch (event.type) {
      case 'supervisor.timer':
        run(runtime, { type: 'timer', key: event.key })
        return
      case shutdownEventType:
        run(runtime, { type: 'shutdown' })
        return
      case 'supervisor.stop-child':
        run(runtime, { type: 'stop-child', id: event.id })
        return
      case 'supervisor.start-child':
        startChildRequest(runtime, event.spec)
        return
      case 'supervisor.stop-children':
        for (const id of event.ids) run(runtime, { type: 'stop-child', id })
        return
      case 'supervisor.start-children':
        for (const childSpec of event.specs) startChildRequest(runtime, childSpec)
        return
    }
    // Anything else (a child's sendParent, say) is not for the supervisor.
  }

  const startChildRequest = (runtime: Runtime, childSpec: ChildSpec): void => {
    const problem = childSpecProblem(childSpec)
    if (problem !== undefined) {
      const id = typeof childSpec?.id === 'string' ? childSpec.id : '?'
      const event = { type: 'request-rejected', request: 'start-child', id, reason: problem } as const
      options.onEvent?.({ ...event, supervisor: runtime.path, atMs: clock.nowMs() })
      return
    }
    const known = runtime.specs.has(childSpec.id)
    if (!known) runtime.specs.set(childSpec.id, childSpec)
    const { id, restart, shutdownMs } = childSpec
    run(runtime, {
      type: 'start-child',
      spec: { id, restart, ...(shutdownMs === undefined ? {} : { shutdownMs }) },
    })
    if (!known && !runtime.core.has(id)) runtime.specs.delete(id)
  }

  const childExited = (runtime: Runtime, id: string): void => {
    const running = runtime.actors.get(id)
    if (!running) return
    const snapshot = running.ref.getSnapshot()
    // Still running: the event came from an earlier incarnation.
    if (snapshot.status === 'active') return
    const { incarnation } = running
    if (snapshot.status === 'done') {
      run(runtime, { type: 'exit', id, incarnation, outcome: 'done' })
      return
    }
    const error =
      snapshot.status === 'error' ? snapshot.error : new Error(`child '${id}' was stopped behind our back`)
    run(runtime, { type: 'exit', id, incarnation, outcome: 'error', error })
  }

  const view = (runtime: Runtime): SupervisorSnapshot => {
    const childInfo = runtime.core.whichChildren()
    const children: Record<string, AnyActorRef> = {}
    for (const { id } of childInfo) {
      const running = runtime.actors.get(id)
      if (running) children[id] = running.ref
    }
    const { outcome } = runtime
    if (outcome?.status === 'error') {
      return { status: 'error', output: undefined, error: outcome.error, children, childInfo }
    }
    if (outcome?.status === 'done')
      return { status: 'done', output: undefined, error: undefined, children, childInfo }
    return { status: 'active', output: undefined, error: undefined, children, childInfo }
  }

  return {
    config: spec,
    getInitialSnapshot: () => ({
      status: 'active',
      output: undefined,
      error: undefined,
      children: {},
      childInfo: spec.children.map((child) => ({
        id: child.id,
        restart: child.restart,
        status: 'starting',
        incarnation: 0,
        restarts: 0,
      })),
    }),
    start: (snapshot, scope) => {
      const path = options.path ?? scope.id
      const runtime: Runtime = {
        core: new SupervisorCore(spec, path),
        path,
        scope,
        specs: new Map(spec.children.map((child) => [child.id, child])),
        actors: new Map(),
        timers: new Map(),
        outcome: undefined,
      }
      runtimes.set(scope.self, runtime)
      try {
        run(runtime, { type: 'init' })
      } catch (error) {
        crash(runtime, error)
      }
      // XState publishes the snapshot it passed in (start returns nothing), so fill that one in.
      Object.assign(snapshot, view(runtime))
    },
    transition: (snapshot, event, scope) => {
      const runtime = runtimes.get(scope.self)
      if (!runtime || runtime.outcome) return snapshot
      try {
        onEvent(runtime, event)
      } catch (error) {
        crash(runtime, error)
      }
      if (event.type === ('xstate.stop' as string)) {
        for (const key of [...runtime.timers.keys()]) clearTimer(runtime, key)
        runtimes.delete(scope.self)
        return { ...view(runtime), status: 'stopped', output: undefined, error: undefined }
      }
      return view(runtime)
    },
    getPersistedSnapshot: (snapshot) => {
      // Refs and functions do not persist; see the header.
      const { children: _children, ...rest } = snapshot
      return rest as Snapshot<unknown>
    },
  }
}

function normalizeStart(started: ChildStart): { logic: AnyActorLogic; input?: unknown; systemId?: string } {
  if (typeof (started as AnyActorLogic).transition === 'function') return { logic: started as AnyActorLogic }
  return started as { logic: AnyActorLogic; input?: unknown; systemId?: string }
}

/** A child spec for a nested supervisor: it inherits the clock, the event port and its tree path. */
export function supervisorChild(
  id: string,
  spec: SupervisorSpec,
  options: { readonly restart?: RestartType; readonly shutdownMs?: number } = {},
): ChildSpec {
  assertSupervisorSpec(spec)
  return {
    id,
    restart: options.restart ?? 'permanent',
    ...(options.shutdownMs === undefined ? {} : { shutdownMs: options.shutdownMs }),
    start: ({ clock, onEvent, path }) =>
      createSupervisorLogic(spec, { clock, path, ...(onEvent ? { onEvent } : {}) }),
  }
}

export interface StartSupervisorOptions extends SupervisorPorts {
  /** The root's actor id and tree path; default `root`. */
  readonly id?: string
  /** The top of the tree has no parent to escalate to: it calls this when it gives up. */
  readonly onEscalate?: (error: unknown) => void
}

/**
 * Starts a top-level supervisor. The clock is also handed to XState, so the children's own delays
 * (`after`, delayed events) run on the same time line as restarts and backoff.
 */
export function startSupervisor(
  spec: SupervisorSpec,
  options: StartSupervisorOptions,
): Actor<SupervisorLogic> {
  const id = options.id ?? 'root'
  const { clock, onEvent, onEscalate } = options
  const logic = createSupervisorLogic(spec, { clock, path: id, ...(onEvent ? { onEvent } : {}) })
  const actor = createActor(logic, { clock: xstateClock(clock), id })
  // An error observer also keeps XState from rethrowing the failure as an unhandled error.
  actor.subscribe({ error: (error) => onEscalate?.(error) })
  return actor.start()
}

/** XState's clock interface is the setTimeout/clearTimeout half of ours. */
function xstateClock(clock: Clock) {
  return {
    setTimeout: (callback: (...args: unknown[]) => void, delayMs: number) =>
      clock.setTimeout(callback, delayMs),
    clearTimeout: (handle: unknown) => clock.clearTimeout(handle),
  }
}

/** OTP `start_child`: adds a child at the end and starts it; duplicates are rejected (see onEvent). */
export function startChild(supervisor: SupervisorRef, spec: ChildSpec): void {
  supervisor.send({ type: 'supervisor.start-child', spec })
}

/**
 * startChild for each spec in order, as one event: the supervisor's snapshot (every child's info)
 * is made once, not once per child — a control plane starting a thousand actors at once.
 */
export function startChildren(supervisor: SupervisorRef, specs: readonly ChildSpec[]): void {
  if (specs.length > 0) supervisor.send({ type: 'supervisor.start-children', specs })
}

/** stopChild for each id in order, as one event. */
export function stopChildren(supervisor: SupervisorRef, ids: readonly string[]): void {
  if (ids.length > 0) supervisor.send({ type: 'supervisor.stop-children', ids })
}

/** OTP `terminate_child` + `delete_child`: stops the child (honouring shutdownMs) and forgets it. */
export function stopChild(supervisor: SupervisorRef, id: string): void {
  supervisor.send({ type: 'supervisor.stop-child', id })
}

/** Stops every child in reverse order, each within its shutdownMs; the supervisor then ends (done). */
export function shutdownSupervisor(supervisor: SupervisorRef): void {
  supervisor.send({ type: shutdownEventType })
}

/** OTP `which_children`: every child with its status and restart counts, in start order. */
export function whichChildren(supervisor: SupervisorRef): readonly ChildInfo[] {
  return supervisor.getSnapshot().childInfo
}
