// The control plane: the tree of controller actors the Raft leader runs.
//
//   control-plane (one_for_one)
//   ├─ scheduler                      one actor
//   ├─ nodes/<name>                   one actor per Node        (readiness, eviction)
//   ├─ replicasets/<ns>/<name>        one actor per ReplicaSet
//   ├─ deployments/<ns>/<name>        one actor per Deployment
//   ├─ services/<ns>/<name>           one actor per Service     (Endpoints)
//   └─ jobs, cronjobs, daemonsets, …  one actor per kind, planning for each of its objects
//
// Every controller is level-triggered (controller.ts): woken whenever the replicated state moves,
// it plans from a ClusterView (pure planners in plans/) and proposes the plan as one atomic batch
// led by a precondition on the object it plans for, so a plan made from a state that has moved on
// — a user's write, a deposed leader's plan — is refused whole instead of doubling anything. The
// per-object supervisors gain and lose children as objects come and go. Crashes, restarts and a
// supervisor giving up are logged and written as Events.
//
// Pure of I/O: the state, proposals, time and identifiers come in through ControlPlanePorts.

import type { AnyActorRef } from 'xstate'
import type { KubeObject } from '../core/api/object.ts'
import type { ApiCommand, ApiResult, ResourceRef, WatchChange } from '../core/api/store.ts'
import type { Clock } from './clock.ts'
import { ClusterView, type ObjectSource } from './cluster-view.ts'
import { type ControllerInput, controllerLogic, crashEventType } from './controller.ts'
import { eventCommand, eventCommands, type Plan, type PlanEvent, parseTime } from './plans/plan.ts'
import type { Fixed } from './plans/pods.ts'
import {
  type ChildSpec,
  type SupervisorEvent,
  type SupervisorRef,
  type SupervisorSpec,
  startChildren,
  startSupervisor,
  stopChildren,
  supervisorChild,
} from './supervisor.ts'
import { describeError } from './supervisor-errors.ts'

export interface ControlPlaneLogger {
  info(fields: object, message: string): void
  warn(fields: object, message: string): void
  error(fields: object, message: string): void
}

export interface ControlPlanePorts {
  readonly clock: Clock
  /** The replicated objects as last applied here (read-only), and the index they stand at. */
  readonly objects: () => ObjectSource
  readonly version: () => number
  /** Proposes one command through Raft; resolves once it is applied here, with its answer. */
  readonly propose: (command: ApiCommand) => Promise<ApiResult>
  /** The leader's time (RFC 3339) and its generators of uids and names, fresh for each plan. */
  readonly fixed: () => Fixed
  /** The name of the Node this leader runs on: events about the control plane itself name it. */
  readonly nodeName: string
  readonly logger: ControlPlaneLogger
}

/** What one controller plans from: the view, fresh identifiers, and the ports it may read. */
export interface PlanContext {
  readonly view: ClusterView
  readonly fixed: Fixed
}

/** A controller of one kind of object. */
export interface ObjectController {
  /** The child's id in the tree (`replicasets`). */
  readonly id: string
  readonly resource: ResourceRef
  /** One actor per object, or one actor planning for each object in turn. */
  readonly actors: 'per-object' | 'per-kind'
  readonly plan: (object: KubeObject, context: PlanContext) => Plan
  /** The resources (`group/plural`) whose changes wake it; its own is always one. */
  readonly watches: readonly string[]
  /**
   * Per-object controllers: which of its objects (`namespace/name`) a change to a watched resource
   * concerns. Absent: a change to one of its own objects concerns that object.
   */
  readonly concerns?: (change: WatchChange, view: ClusterView) => readonly string[]
  /**
   * Plan again this often even if the log does not move: for controllers that read what the
   * leader hears outside the log (node heartbeats, CPU reports).
   */
  readonly resyncMs?: number
}

/** A controller that plans for the whole cluster at once (the scheduler, the garbage collector). */
export interface ClusterController {
  readonly id: string
  readonly plan: (context: PlanContext) => Plan
  /**
   * Whether the plan is all or nothing. The scheduler's bindings each stand alone (one pod that
   * moved on must not hold back the others); each is preconditioned on its own pod.
   */
  readonly atomic: boolean
  /**
   * Goes to the head of the queue for a turn to propose (the scheduler: every pod waits on it,
   * while the controllers that make pods can always wait a little).
   */
  readonly urgent?: boolean
  /** The resources (`group/plural`) whose changes wake it. */
  readonly watches: readonly string[]
  /**
   * Not woken by every change but run this often (the garbage collector: it reads every object,
   * and nothing is urgent about garbage). Absent: woken by changes, as the others.
   */
  readonly periodMs?: number
}

/** How long a burst of applied entries is gathered into one wake-up of the controllers. */
export const wakeCoalesceMs = 20

/** Restart intensity and backoff of every supervisor in the tree. */
const supervision = {
  strategy: 'one_for_one',
  maxRestarts: 10,
  periodMs: 10_000,
  backoff: { initialMs: 100, maxMs: 5_000, factor: 2 },
} as const satisfies Omit<SupervisorSpec, 'children'>

/**
 * Plans in flight at once, all controllers together. A burst (a hundred new ReplicaSets each
 * creating a hundred pods) proposed at once lands as one huge Raft cycle on the leader, long enough
 * to stall its heartbeats; queued here, the same work flows through in steady, bounded batches.
 */
export const plansInFlightMax = 8

/**
 * The longest the control plane plans without letting the event loop turn. Raft's heartbeats share
 * this thread: a leader planning for hundreds of actors in one go (its tree starting, a burst of
 * wake-ups) stalls its heartbeats past the followers' election timeout and loses the lead — and the
 * next leader, starting its own tree, does the same. Rounds take turns to plan, at most this long
 * per turn of the event loop.
 */
export const planSliceMs = 10

/** Object actors started (or stopped) in one turn of the event loop at most (about 0.2 ms each). */
export const objectActorsPerTurnMax = 100

/** A plan whose proposal failed (not refused: failed to be decided) is made again after this long. */
export const proposeRetryMs = 1_000

/** After the root itself gives up, the tree is started afresh after this long. */
export const treeRestartDelayMs = 5_000

const component = 'control-plane'

export class ControlPlane {
  readonly #ports: ControlPlanePorts
  readonly #objectControllers: readonly ObjectController[]
  readonly #clusterControllers: readonly ClusterController[]
  /** Actor path → how to wake it. */
  readonly #listeners = new Map<string, () => void>()
  /** What changed since the last wake-up; null: everything may have (a snapshot was installed). */
  #changed: WatchChange[] | null = []
  #root: ReturnType<typeof startSupervisor> | undefined
  #view: ClusterView | undefined
  #wakeTimer: unknown
  #restartTimer: unknown
  #plansInFlight = 0
  #plansWaiting: (() => void)[] = []
  /** Rounds waiting for their slice to plan in; the slice running started at #sliceStartMs. */
  #planners: (() => void)[] = []
  #sliceStartMs: number | undefined
  #sliceTimer: unknown
  /** Starts the object actors that did not fit in the last sync's turn. */
  #syncTimer: unknown
  /**
   * Bumped by stop(): the rounds of a stopped tree neither plan again nor hand on turns, and the
   * turns they held are forgotten (a round dropped while it waited would otherwise hold its turn
   * for ever, and a few leadership changes would leave no turn for anyone).
   */
  #generation = 0
  #stopped = true

  constructor(
    ports: ControlPlanePorts,
    controllers: {
      readonly objects: readonly ObjectController[]
      readonly cluster: readonly ClusterController[]
    },
  ) {
    this.#ports = ports
    this.#objectControllers = controllers.objects
    this.#clusterControllers = controllers.cluster
  }

  get running(): boolean {
    return this.#root !== undefined
  }

  start(): void {
    if (!this.#stopped) return
    this.#stopped = false
    this.#startTree()
  }

  /** Stops every controller (leadership lost, or the agent stopping); a round in flight is dropped. */
  stop(): void {
    this.#stopped = true
    const { clock } = this.#ports
    if (this.#wakeTimer !== undefined) clock.clearTimeout(this.#wakeTimer)
    if (this.#restartTimer !== undefined) clock.clearTimeout(this.#restartTimer)
    if (this.#sliceTimer !== undefined) clock.clearTimeout(this.#sliceTimer)
    if (this.#syncTimer !== undefined) clock.clearTimeout(this.#syncTimer)
    this.#wakeTimer = this.#restartTimer = this.#sliceTimer = this.#syncTimer = this.#sliceStartMs = undefined
    // Rounds still waiting to plan belong to the stopped tree: they never plan.
    this.#planners = []
    this.#plansWaiting = []
    this.#plansInFlight = 0
    this.#generation++
    const root = this.#root
    this.#root = undefined
    if (root) this.#tearDown(root)
    this.#listeners.clear()
    this.#view = undefined
  }

  /**
   * Stops a tree a hundred object actors per turn of the event loop, then its root: stopping a
   * thousand-node cluster's tree in one go held the thread for a second just as the leadership was
   * moving. Its actors can no longer plan meanwhile (their rounds belong to an older generation).
   */
  #tearDown(root: ReturnType<typeof startSupervisor>): void {
    for (const { supervisor } of this.#objectSupervisors(root)) {
      const ids = supervisor.getSnapshot().childInfo.map((info) => info.id)
      if (ids.length === 0) continue
      stopChildren(supervisor, ids.slice(-objectActorsPerTurnMax).reverse())
      this.#ports.clock.setTimeout(() => this.#tearDown(root), 0)
      return
    }
    root.stop()
  }

  /**
   * The replicated state moved: wake the controllers these changes concern (null: all of them).
   * Bursts are gathered into one wake-up.
   */
  notify(changes: readonly WatchChange[] | null = null): void {
    if (this.#stopped) return
    if (changes === null) this.#changed = null
    else this.#changed?.push(...changes)
    if (this.#wakeTimer !== undefined) return
    this.#wakeTimer = this.#ports.clock.setTimeout(() => {
      this.#wakeTimer = undefined
      this.#wake()
    }, wakeCoalesceMs)
  }

  /**
   * Crashes the controller actor at `path` (`scheduler`, `replicasets/default/web-7d4b9`): for
   * operators and tests, to see the supervisor restart it. Returns false if there is none.
   */
  crash(path: string, reason = 'crashed on request'): boolean {
    const actor = this.#find(path)
    if (!actor) return false
    actor.send({ type: crashEventType, reason })
    return true
  }

  /** The controllers running now, as paths. */
  paths(): string[] {
    const root = this.#root
    if (!root) return []
    const out: string[] = []
    for (const [id, child] of Object.entries(root.getSnapshot().children)) {
      const grandchildren = (child.getSnapshot() as { childInfo?: unknown }).childInfo
      if (Array.isArray(grandchildren) && this.#perObject(id)) {
        for (const key of Object.keys(child.getSnapshot().children ?? {})) out.push(`${id}/${key}`)
      } else out.push(id)
    }
    return out
  }

  // --------------------------------------------------------------------------------- the tree

  #startTree(): void {
    const children: ChildSpec[] = [
      ...this.#clusterControllers.map((c) =>
        this.#actorSpec(c.id, c.id, () => this.#reconcileCluster(c), c.periodMs === undefined),
      ),
      ...this.#objectControllers.map((c) =>
        c.actors === 'per-object'
          ? supervisorChild(c.id, { ...supervision, children: [] })
          : this.#actorSpec(c.id, c.id, () => this.#reconcileKind(c)),
      ),
    ]
    this.#root = startSupervisor(
      { ...supervision, maxRestarts: 5, periodMs: 30_000, children },
      {
        id: component,
        clock: this.#ports.clock,
        onEvent: (event) => this.#report(event),
        onEscalate: (error) => this.#rootGaveUp(error),
      },
    )
    this.#syncObjectActors()
  }

  #rootGaveUp(error: unknown): void {
    this.#ports.logger.error(
      { err: describeError(error), restartInMs: treeRestartDelayMs },
      'the control plane gave up after too many controller crashes; starting it afresh shortly',
    )
    this.#root = undefined
    this.#listeners.clear()
    if (this.#stopped) return
    this.#restartTimer = this.#ports.clock.setTimeout(() => {
      this.#restartTimer = undefined
      if (!this.#stopped) this.#startTree()
    }, treeRestartDelayMs)
  }

  #actorSpec(
    id: string,
    path: string,
    reconcile: () => Promise<{ recheckAtMs?: number }>,
    woken = true,
  ): ChildSpec {
    const generation = this.#generation
    return {
      id,
      restart: 'permanent',
      start: () => ({
        logic: controllerLogic,
        input: {
          // An actor of a stopped tree, waiting to be torn down, does nothing.
          reconcile: () => (generation === this.#generation ? reconcile() : Promise.resolve({})),
          subscribe: (wake) => {
            if (!woken) return () => {}
            this.#listeners.set(path, wake)
            return () => {
              if (this.#listeners.get(path) === wake) this.#listeners.delete(path)
            }
          },
          nowMs: () => this.#ports.clock.nowMs(),
        } satisfies ControllerInput,
      }),
    }
  }

  #wake(): void {
    const changed = this.#changed
    this.#changed = []
    if (!this.#root) return
    this.#syncObjectActors()
    const paths = changed === null ? [...this.#listeners.keys()] : this.#concerned(changed)
    for (const path of paths) this.#listeners.get(path)?.()
  }

  /** The actors a batch of changes concerns. */
  #concerned(changes: readonly WatchChange[]): Set<string> {
    const paths = new Set<string>()
    if (changes.length === 0) return paths
    const resources = new Set(changes.map((c) => c.resource))
    for (const controller of this.#clusterControllers) {
      if (controller.watches.some((r) => resources.has(r))) paths.add(controller.id)
    }
    const view = this.#currentView()
    for (const controller of this.#objectControllers) {
      const own = `${controller.resource.group}/${controller.resource.plural}`
      if (!resources.has(own) && !controller.watches.some((r) => resources.has(r))) continue
      if (controller.actors === 'per-kind') {
        paths.add(controller.id)
        continue
      }
      for (const change of changes) {
        if (change.resource === own) paths.add(`${controller.id}/${objectKey(change.object)}`)
        else if (controller.watches.includes(change.resource) && controller.concerns)
          for (const key of controller.concerns(change, view)) paths.add(`${controller.id}/${key}`)
      }
    }
    return paths
  }

  /**
   * Per-object supervisors gain a child for each new object and lose those whose object went. At
   * most objectActorsPerTurnMax start at once (a new leader of a thousand-node cluster has a
   * thousand Node actors to start); the rest start on the next turns of the event loop.
   */
  #syncObjectActors(): void {
    const root = this.#root
    if (!root) return
    const view = this.#currentView()
    let budget = objectActorsPerTurnMax
    for (const { controller, supervisor } of this.#objectSupervisors(root)) {
      const wanted = new Set(view.list(controller.resource).map(objectKey))
      const have = new Set(supervisor.getSnapshot().childInfo.map((info) => info.id))
      stopChildren(
        supervisor,
        [...have].filter((key) => !wanted.has(key)),
      )
      const missing = [...wanted].filter((key) => !have.has(key))
      const starting = missing.slice(0, budget)
      budget -= starting.length
      startChildren(
        supervisor,
        starting.map((key) =>
          this.#actorSpec(key, `${controller.id}/${key}`, () => this.#reconcileObject(controller, key)),
        ),
      )
      if (starting.length < missing.length && this.#syncTimer === undefined) {
        this.#syncTimer = this.#ports.clock.setTimeout(() => {
          this.#syncTimer = undefined
          this.#syncObjectActors()
        }, 0)
      }
    }
  }

  /** The per-object controllers' supervisors under `root` (one restarting is missing until it is back). */
  #objectSupervisors(
    root: ReturnType<typeof startSupervisor>,
  ): { controller: ObjectController; supervisor: SupervisorRef }[] {
    const running = root.getSnapshot().children
    return this.#objectControllers.flatMap((controller) => {
      const supervisor = running[controller.id] as SupervisorRef | undefined
      return controller.actors === 'per-object' && supervisor ? [{ controller, supervisor }] : []
    })
  }

  #find(path: string): AnyActorRef | undefined {
    const root = this.#root
    if (!root) return undefined
    const [id, ...rest] = path.split('/')
    const child = root.getSnapshot().children[id ?? '']
    if (!child || rest.length === 0) return child
    return (child.getSnapshot() as { children?: Record<string, AnyActorRef> }).children?.[rest.join('/')]
  }

  #perObject(id: string): boolean {
    return this.#objectControllers.some((c) => c.id === id && c.actors === 'per-object')
  }

  // --------------------------------------------------------------------------------- rounds

  #currentView(): ClusterView {
    const version = this.#ports.version()
    if (this.#view?.version !== version) this.#view = new ClusterView(this.#ports.objects(), version)
    return this.#view
  }

  #context(): PlanContext {
    return { view: this.#currentView(), fixed: this.#ports.fixed() }
  }

  async #reconcileObject(controller: ObjectController, key: string): Promise<{ recheckAtMs?: number }> {
    return this.#resync(controller, await this.#objectRound(controller, key))
  }

  async #reconcileKind(controller: ObjectController): Promise<{ recheckAtMs?: number }> {
    const keys = this.#currentView().list(controller.resource).map(objectKey)
    const outcomes = await Promise.all(keys.map((key) => this.#objectRound(controller, key)))
    return this.#resync(controller, earliest(outcomes))
  }

  /** One round for the object at `key`, guarded by the object as planned from. */
  #objectRound(controller: ObjectController, key: string): Promise<{ recheckAtMs?: number }> {
    const { namespace, name } = splitKey(key)
    return this.#round((context) => {
      const object = context.view.get(controller.resource, namespace, name)
      if (!object) return null
      return { plan: controller.plan(object, context), guarded: guard(controller.resource, object) }
    })
  }

  #resync(controller: ObjectController, outcome: { recheckAtMs?: number }): { recheckAtMs?: number } {
    if (controller.resyncMs === undefined) return outcome
    return earliest([outcome, { recheckAtMs: this.#ports.clock.nowMs() + controller.resyncMs }])
  }

  async #reconcileCluster(controller: ClusterController): Promise<{ recheckAtMs?: number }> {
    const outcome = await this.#round(
      (context) => ({ plan: controller.plan(context), guarded: controller.atomic ? null : undefined }),
      controller.urgent ?? false,
    )
    if (controller.periodMs === undefined) return outcome
    return earliest([outcome, { recheckAtMs: this.#ports.clock.nowMs() + controller.periodMs }])
  }

  /**
   * One round: plan; if the plan writes anything, wait for a turn (plansInFlightMax) and carry it
   * out — planned again if the state moved during the wait, as a plan made before it would often
   * be stale by the end of it.
   */
  async #round(
    make: (context: PlanContext) => { plan: Plan; guarded: ApiCommand | null | undefined } | null,
    urgent = false,
  ): Promise<{ recheckAtMs?: number }> {
    await this.#planSlot()
    let context = this.#context()
    let planned = make(context)
    if (!planned) return {}
    if (planned.plan.commands.length === 0)
      return this.#carryOut(planned.plan, context.fixed, planned.guarded)
    const generation = this.#generation
    await this.#turn(urgent)
    try {
      if (this.#ports.version() !== context.view.version) {
        await this.#planSlot()
        context = this.#context()
        planned = make(context)
        if (!planned) return {}
      }
      return await this.#carryOut(planned.plan, context.fixed, planned.guarded)
    } finally {
      this.#endTurn(generation)
    }
  }

  /** Resolves when the caller may plan: in order, at most planSliceMs of planning in a row. */
  #planSlot(): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>()
    this.#planners.push(resolve)
    if (this.#sliceStartMs === undefined && this.#sliceTimer === undefined) {
      this.#sliceStartMs = this.#ports.clock.nowMs()
      const generation = this.#generation
      queueMicrotask(() => this.#nextPlanner(generation))
    }
    return promise
  }

  /**
   * Lets the next round plan. Queued after its continuation, the following call runs once that
   * round has planned (planning is synchronous up to the proposal), so the slice's clock sees it.
   */
  #nextPlanner(generation: number): void {
    if (generation !== this.#generation || this.#sliceStartMs === undefined) return
    const { clock } = this.#ports
    const next = this.#planners.shift()
    if (!next) {
      this.#sliceStartMs = undefined
      return
    }
    if (clock.nowMs() - this.#sliceStartMs >= planSliceMs) {
      this.#planners.unshift(next)
      this.#sliceStartMs = undefined
      this.#sliceTimer = clock.setTimeout(() => {
        this.#sliceTimer = undefined
        this.#sliceStartMs = clock.nowMs()
        this.#nextPlanner(generation)
      }, 0)
      return
    }
    next()
    queueMicrotask(() => this.#nextPlanner(generation))
  }

  /**
   * Proposes a plan and waits for it to apply. A refused plan (a precondition failed) is not an
   * error: the state moved, and the next round plans from the new one.
   * `guarded`: the precondition leading an atomic batch; null: atomic without one; undefined: not atomic.
   */
  async #carryOut(
    plan: Plan,
    fixed: Fixed,
    guarded: ApiCommand | null | undefined,
  ): Promise<{ recheckAtMs?: number }> {
    const recheckAtMs = parseTime(plan.recheckAt)
    const outcome = recheckAtMs === undefined ? {} : { recheckAtMs: this.#toClock(recheckAtMs, fixed) }
    if (plan.commands.length === 0) return outcome
    const commands = [...(guarded ? [guarded] : []), ...plan.commands, ...eventCommands(plan.events, fixed)]
    let result: ApiResult
    try {
      result = await this.#ports.propose({
        op: 'batch',
        commands,
        ...(guarded === undefined ? {} : { atomic: true }),
      })
    } catch (error) {
      // Not applied (a timeout, the leadership moving): look again shortly. If this node no longer
      // leads, the whole tree is stopped before then.
      this.#ports.logger.warn({ err: describeError(error) }, 'a controller plan was not applied; retrying')
      return { recheckAtMs: this.#ports.clock.nowMs() + proposeRetryMs }
    }
    if (!result.ok) return {} // planned from a state that has moved on; the wake-up follows
    return outcome
  }

  /** Waits until fewer than plansInFlightMax plans are in flight. */
  async #turn(urgent: boolean): Promise<void> {
    if (this.#plansInFlight < plansInFlightMax) {
      this.#plansInFlight++
      return
    }
    await new Promise<void>((go) => (urgent ? this.#plansWaiting.unshift(go) : this.#plansWaiting.push(go)))
  }

  #endTurn(generation: number): void {
    if (generation !== this.#generation) return // the tree it was taken in is gone
    const next = this.#plansWaiting.shift()
    if (next)
      next() // the turn passes on; the count stays
    else this.#plansInFlight--
  }

  /** A plan's recheck time is wall-clock (RFC 3339); the actors wait on the clock's own time line. */
  #toClock(atMs: number, fixed: Fixed): number {
    const nowMs = parseTime(fixed.now) ?? atMs
    return this.#ports.clock.nowMs() + Math.max(0, atMs - nowMs)
  }

  // --------------------------------------------------------------------------------- reporting

  #report(event: SupervisorEvent): void {
    const { logger } = this.#ports
    const path = `${event.supervisor}/${'id' in event ? event.id : ''}`
    switch (event.type) {
      case 'child-crashed':
        logger.error({ controller: path, err: describeError(event.error) }, 'controller crashed')
        this.#recordEvent(
          path,
          'Warning',
          'ControllerCrashed',
          `${path} crashed: ${describeError(event.error)}`,
        )
        return
      case 'child-restarting':
        logger.warn(
          { controller: path, attempt: event.attempt, backoffMs: event.backoffMs },
          'controller restarting',
        )
        this.#recordEvent(
          path,
          'Normal',
          'ControllerRestarted',
          `${path} restarted by its supervisor (attempt ${event.attempt}, after ${event.backoffMs} ms)`,
        )
        return
      case 'supervisor-gave-up':
        logger.error(
          { controller: path, restarts: event.restarts, periodMs: event.periodMs },
          'supervisor gave up; escalating',
        )
        this.#recordEvent(
          path,
          'Warning',
          'SupervisorEscalated',
          `${event.supervisor} gave up on ${event.id} after ${event.restarts} restarts in ${event.periodMs} ms; escalating`,
        )
        return
      default:
        return
    }
  }

  /** An Event about the object a controller actor is for, or else about the leader's Node. */
  #recordEvent(path: string, type: PlanEvent['type'], reason: string, message: string): void {
    const event: PlanEvent = {
      type,
      reason,
      message,
      involvedObject: this.#subjectOf(path),
      component,
    }
    this.#ports.propose(eventCommand(event, this.#ports.fixed())).catch(() => {
      // An event lost with the leadership is not worth more than the log line already written.
    })
  }

  #subjectOf(path: string): PlanEvent['involvedObject'] {
    const [, id, ...rest] = path.split('/')
    const controller = this.#objectControllers.find((c) => c.id === id && c.actors === 'per-object')
    if (controller && rest.length > 0) {
      const { namespace, name } = splitKey(rest.join('/'))
      const object = this.#currentView().get(controller.resource, namespace, name)
      if (object) {
        return {
          apiVersion: object.apiVersion,
          kind: object.kind,
          namespace,
          name,
          uid: object.metadata.uid ?? '',
        }
      }
    }
    const node = this.#currentView().get({ group: '', plural: 'nodes' }, '', this.#ports.nodeName)
    return {
      apiVersion: 'v1',
      kind: 'Node',
      namespace: '',
      name: this.#ports.nodeName,
      uid: node?.metadata.uid ?? '',
    }
  }
}

/**
 * A check that fails unless `object` is still as planned from: it leads every per-object plan's
 * atomic batch, so the plan applies only to the state it was made from.
 */
export function guard(resource: ResourceRef, object: KubeObject): ApiCommand {
  const { resourceVersion, uid } = object.metadata
  return {
    op: 'check',
    resource,
    namespace: object.metadata.namespace ?? '',
    name: object.metadata.name ?? '',
    expected: { ...(resourceVersion ? { resourceVersion } : {}), ...(uid ? { uid } : {}) },
  }
}

export function objectKey(object: KubeObject): string {
  const namespace = object.metadata.namespace ?? ''
  return namespace === '' ? (object.metadata.name ?? '') : `${namespace}/${object.metadata.name ?? ''}`
}

function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/')
  return slash < 0
    ? { namespace: '', name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) }
}

function earliest(outcomes: readonly { recheckAtMs?: number }[]): { recheckAtMs?: number } {
  const times = outcomes.flatMap((o) => (o.recheckAtMs === undefined ? [] : [o.recheckAtMs]))
  return times.length === 0 ? {} : { recheckAtMs: Math.min(...times) }
}
