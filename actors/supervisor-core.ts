// The supervisor's decisions, apart from XState: which children a crash takes down, whether the
// restart intensity is exceeded, how long the backoff is, and in what order children stop and
// start. Deterministic and free of I/O: time comes in with each input, and every consequence goes
// out as an `Effect` for the XState adapter (supervisor.ts) to carry out, in order.
//
// Stops run one at a time from a task queue, as in OTP, because a stop may wait up to `shutdownMs`
// for the child to finish; starts and backoff timers queue behind the stops they depend on. A
// child taken down for a restart belongs to a restart group (keyed like its backoff timer); the
// whole group starts, in start order, when the timer fires.

import { assert } from './assert.ts'
import { describeError, SupervisorGaveUpError } from './supervisor-errors.ts'
import {
  backoffDelayMs,
  type ChildInfo,
  type ChildSpec,
  type ChildStatus,
  childrenMaxDefault,
  type StopReason,
  type SupervisorEvent,
  type SupervisorSpec,
} from './supervisor-spec.ts'

/** The part of a child spec the decisions need (the rest, the `start` function, stays in the adapter). */
export type CoreChildSpec = Pick<ChildSpec, 'id' | 'restart' | 'shutdownMs'>

export type CoreSpec = Omit<SupervisorSpec, 'children'> & { readonly children: readonly CoreChildSpec[] }

export type CoreInput =
  /** Start the children in order. */
  | { readonly type: 'init' }
  /** A child's actor ended by itself: `done` is a normal exit, `error` an abnormal one. */
  | {
      readonly type: 'exit'
      readonly id: string
      readonly incarnation: number
      readonly outcome: 'done' | 'error'
      readonly error?: unknown
    }
  | { readonly type: 'timer'; readonly key: string }
  | { readonly type: 'start-child'; readonly spec: CoreChildSpec }
  | { readonly type: 'stop-child'; readonly id: string }
  /** Stop every child in reverse order, each given its `shutdownMs`, then end normally. */
  | { readonly type: 'shutdown' }
  /** The supervisor itself is being stopped: stop every child outright, now, in reverse order. */
  | { readonly type: 'halt' }

export type Effect =
  | { readonly type: 'spawn'; readonly id: string; readonly incarnation: number; readonly restarts: number }
  /** Ask the child to finish (send it `supervisor.shutdown`). */
  | { readonly type: 'request-shutdown'; readonly id: string }
  /** Stop the child's whole actor tree now (also sweeps what a crashed child left running). */
  | { readonly type: 'kill'; readonly id: string }
  | { readonly type: 'set-timer'; readonly key: string; readonly delayMs: number }
  | { readonly type: 'clear-timer'; readonly key: string }
  | { readonly type: 'report'; readonly event: SupervisorEvent }
  /** The child's spec is gone (temporary child ended, child removed): drop its `start` function. */
  | { readonly type: 'forget'; readonly id: string }
  /** The supervisor is over: `done` after a shutdown, `error` (escalate) after giving up. */
  | { readonly type: 'finish'; readonly outcome: 'done' }
  | { readonly type: 'finish'; readonly outcome: 'error'; readonly error: SupervisorGaveUpError }

type AfterStop = 'restart' | 'remove' | 'terminate'

interface Child {
  readonly spec: CoreChildSpec
  status: ChildStatus
  incarnation: number
  restarts: number
  /** When this child's own crashes led to restarts, within the period: its backoff attempts. */
  failuresMs: number[]
  /** The restart group it waits for, while starting or restarting as part of one. */
  waitingOn?: string
  /** While stopping: what happens once it has stopped, and why it is being stopped. */
  afterStop?: AfterStop
  stopReason?: StopReason
  lastError?: string
}

type Task =
  | { readonly kind: 'stop'; readonly id: string }
  | { readonly kind: 'arm'; readonly key: string; readonly delayMs: number }
  | { readonly kind: 'start'; readonly id: string; readonly key: string | undefined }
  | { readonly kind: 'finish' }

type Phase = 'running' | 'failing' | 'shutting-down' | 'ended'

export class SupervisorCore {
  readonly #spec: CoreSpec
  readonly #path: string
  readonly #childrenMax: number
  /** In start order. */
  readonly #children: Child[]
  #phase: Phase = 'running'
  /** Restarts of any child within the period: the restart intensity. */
  #restartsMs: number[] = []
  #tasks: Task[] = []
  /** A stop waiting for its child to finish; the task queue waits with it. */
  #awaiting: { readonly id: string; readonly key: string } | undefined
  /** Restart groups not started yet: their arm task is queued or their timer is set. */
  readonly #pendingGroups = new Set<string>()
  readonly #armedGroups = new Set<string>()
  #gaveUp: SupervisorGaveUpError | undefined
  #keySeq = 0
  #nowMs = 0
  #effects: Effect[] = []

  constructor(spec: CoreSpec, path: string) {
    this.#spec = spec
    this.#path = path
    this.#childrenMax = spec.childrenMax ?? childrenMaxDefault
    this.#children = spec.children.map((childSpec) => newChild(childSpec))
  }

  /** Takes one input at `nowMs`; returns what to do, in order. */
  handle(input: CoreInput, nowMs: number): Effect[] {
    this.#nowMs = nowMs
    this.#effects = []
    if (this.#phase !== 'ended') {
      this.#apply(input)
      this.#pump()
    }
    return this.#effects
  }

  has(id: string): boolean {
    return this.#find(id) !== undefined
  }

  get ended(): boolean {
    return this.#phase === 'ended'
  }

  /** OTP `which_children`: every child, in start order. */
  whichChildren(): ChildInfo[] {
    return this.#children.map((child) => ({
      id: child.spec.id,
      restart: child.spec.restart,
      status: child.status,
      incarnation: child.incarnation,
      restarts: child.restarts,
      ...(child.lastError === undefined ? {} : { lastError: child.lastError }),
    }))
  }

  /** Restarts that still count against the intensity at `nowMs`. */
  restartsInPeriod(nowMs: number): number {
    return this.#restartsMs.filter((atMs) => nowMs - atMs < this.#spec.periodMs).length
  }

  #apply(input: CoreInput): void {
    switch (input.type) {
      case 'init':
        for (const child of this.#children) {
          this.#tasks.push({ kind: 'start', id: child.spec.id, key: undefined })
        }
        return
      case 'exit':
        this.#onExit(input.id, input.incarnation, input.outcome, input.error)
        return
      case 'timer':
        this.#onTimer(input.key)
        return
      case 'start-child':
        this.#onStartChild(input.spec)
        return
      case 'stop-child':
        this.#onStopChild(input.id)
        return
      case 'shutdown':
        if (this.#phase !== 'running') return
        this.#phase = 'shutting-down'
        this.#endAll('shutdown')
        return
      case 'halt':
        this.#halt()
        return
    }
  }

  #onExit(id: string, incarnation: number, outcome: 'done' | 'error', error: unknown): void {
    const child = this.#find(id)
    // A late word from an incarnation already dealt with.
    if (!child || child.incarnation !== incarnation) return
    if (child.status !== 'running' && child.status !== 'stopping') return
    // An actor that failed because one of its actions threw leaves its own children running.
    this.#effect({ type: 'kill', id })
    if (outcome === 'error') {
      child.lastError = describeError(error)
      this.#report({ type: 'child-crashed', id, error })
    } else if (child.status === 'running') {
      this.#report({ type: 'child-exited', id })
    }
    if (child.status === 'stopping') {
      // It ended while we were stopping it (or about to): that completes the stop.
      if (this.#awaiting?.id === id) {
        this.#effect({ type: 'clear-timer', key: this.#awaiting.key })
        this.#awaiting = undefined
      }
      this.#completeStop(child, false)
      return
    }
    assert(this.#phase === 'running', `child '${id}' running while the supervisor is ${this.#phase}`)
    this.#decideRestart(child, outcome, error)
  }

  #decideRestart(child: Child, outcome: 'done' | 'error', error: unknown): void {
    const { restart, id } = child.spec
    if (restart === 'temporary' || (restart === 'transient' && outcome === 'done')) {
      if (restart === 'temporary') this.#remove(child)
      else child.status = 'exited'
      return
    }
    this.#restartsMs = [...this.#withinPeriod(this.#restartsMs), this.#nowMs]
    if (this.#restartsMs.length > this.#spec.maxRestarts) {
      this.#giveUp(child, error)
      return
    }

    child.failuresMs = [...this.#withinPeriod(child.failuresMs), this.#nowMs]
    const attempt = child.failuresMs.length
    const delayMs = backoffDelayMs(this.#spec.backoff, attempt)
    const key = `restart:${++this.#keySeq}`
    const members: Child[] = []
    const toStop: Child[] = []
    for (const member of this.#groupOf(child)) {
      if (member === child) {
        child.status = 'restarting'
        child.waitingOn = key
        members.push(child)
      } else if (member.status === 'running') {
        // Temporary children are never restarted: taken down with the group, they are removed.
        this.#markStopping(member, member.spec.restart === 'temporary' ? 'remove' : 'restart', 'restart')
        toStop.push(member)
        if (member.afterStop === 'restart') {
          member.waitingOn = key
          members.push(member)
        }
      } else if (member.status === 'stopping' && member.afterStop === 'restart') {
        member.waitingOn = key
        members.push(member)
      } else if (member.status === 'starting' || member.status === 'restarting') {
        member.waitingOn = key
        members.push(member)
      }
    }
    this.#report({
      type: 'child-restarting',
      id,
      attempt,
      backoffMs: delayMs,
      ids: members.map((m) => m.spec.id),
    })
    this.#dropUnusedGroups()
    for (const member of toStop.reverse()) this.#tasks.push({ kind: 'stop', id: member.spec.id })
    this.#pendingGroups.add(key)
    this.#tasks.push({ kind: 'arm', key, delayMs })
  }

  /** The children a crash of `child` takes down, in start order. */
  #groupOf(child: Child): Child[] {
    switch (this.#spec.strategy) {
      case 'one_for_one':
        return [child]
      case 'one_for_all':
        return [...this.#children]
      case 'rest_for_one':
        return this.#children.slice(this.#children.indexOf(child))
    }
  }

  #giveUp(child: Child, error: unknown): void {
    const { maxRestarts, periodMs } = this.#spec
    this.#report({
      type: 'supervisor-gave-up',
      id: child.spec.id,
      restarts: this.#restartsMs.length,
      periodMs,
      error,
    })
    this.#gaveUp = new SupervisorGaveUpError({
      supervisor: this.#path,
      childId: child.spec.id,
      maxRestarts,
      periodMs,
      cause: error,
    })
    child.status = 'stopped'
    this.#phase = 'failing'
    this.#endAll('gave-up')
  }

  /** Stops every child in reverse start order, then finishes; nothing starts any more. */
  #endAll(reason: StopReason): void {
    for (const key of this.#armedGroups) this.#effect({ type: 'clear-timer', key })
    this.#armedGroups.clear()
    this.#pendingGroups.clear()
    for (const child of this.#children) {
      child.waitingOn = undefined
      if (child.status === 'starting' || child.status === 'restarting') child.status = 'stopped'
      else if (child.status === 'running') this.#markStopping(child, 'terminate', reason)
      else if (child.status === 'stopping' && child.afterStop !== 'remove') {
        child.afterStop = 'terminate'
        child.stopReason = reason
      }
    }
    // One stop task per stopping child, in reverse start order; the one being awaited has its own.
    const stopping = this.#children.filter((c) => c.status === 'stopping' && c.spec.id !== this.#awaiting?.id)
    this.#tasks = stopping.reverse().map((c): Task => ({ kind: 'stop', id: c.spec.id }))
    this.#tasks.push({ kind: 'finish' })
  }

  #halt(): void {
    this.#phase = 'ended'
    if (this.#awaiting) this.#effect({ type: 'clear-timer', key: this.#awaiting.key })
    for (const key of this.#armedGroups) this.#effect({ type: 'clear-timer', key })
    this.#awaiting = undefined
    this.#armedGroups.clear()
    this.#pendingGroups.clear()
    this.#tasks = []
    for (const child of [...this.#children].reverse()) {
      const wasAlive = child.status === 'running' || child.status === 'stopping'
      child.status = 'stopped'
      child.waitingOn = undefined
      child.afterStop = undefined
      if (!wasAlive) continue
      this.#effect({ type: 'kill', id: child.spec.id })
      this.#report({ type: 'child-stopped', id: child.spec.id, reason: 'shutdown', forced: false })
    }
  }

  #onTimer(key: string): void {
    if (this.#awaiting?.key === key) {
      // The child did not finish within its shutdownMs: stop it outright.
      const child = this.#find(this.#awaiting.id)
      this.#awaiting = undefined
      assert(child?.status === 'stopping', `awaited child is ${child?.status ?? 'gone'}`)
      this.#effect({ type: 'kill', id: child.spec.id })
      this.#completeStop(child, true)
      return
    }
    if (!this.#armedGroups.delete(key)) return
    this.#startGroup(key)
  }

  #onStartChild(spec: CoreChildSpec): void {
    const reject = (reason: string) =>
      this.#report({ type: 'request-rejected', request: 'start-child', id: spec.id, reason })
    if (this.#phase !== 'running') {
      reject(`the supervisor is ${this.#phase}`)
      return
    }
    if (this.#find(spec.id)) {
      reject('a child with this id is already present')
      return
    }
    if (this.#children.length >= this.#childrenMax) {
      reject(`childrenMax ${this.#childrenMax} reached`)
      return
    }
    const child = newChild(spec)
    this.#children.push(child)
    // Children after a restarting one depend on it (one_for_all, rest_for_one): start with its group.
    const waitingBefore = this.#spec.strategy === 'one_for_one' ? undefined : this.#lastPendingGroup()
    if (waitingBefore) child.waitingOn = waitingBefore
    else this.#tasks.push({ kind: 'start', id: spec.id, key: undefined })
  }

  #lastPendingGroup(): string | undefined {
    for (let i = this.#children.length - 1; i >= 0; i--) {
      const key = this.#children[i]!.waitingOn
      if (key !== undefined && this.#pendingGroups.has(key)) return key
    }
    return undefined
  }

  #onStopChild(id: string): void {
    const child = this.#find(id)
    const reject = (reason: string) =>
      this.#report({ type: 'request-rejected', request: 'stop-child', id, reason })
    if (!child) {
      reject('no child with this id')
      return
    }
    if (this.#phase !== 'running') {
      reject(`the supervisor is ${this.#phase}`)
      return
    }
    switch (child.status) {
      case 'running':
        this.#markStopping(child, 'remove', 'removed')
        this.#tasks.push({ kind: 'stop', id })
        return
      case 'stopping':
        child.afterStop = 'remove'
        child.stopReason = 'removed'
        return
      default:
        // Not running: nothing to stop, only the spec to forget.
        this.#remove(child)
        this.#report({ type: 'child-stopped', id, reason: 'removed', forced: false })
        this.#dropUnusedGroups()
    }
  }

  #markStopping(child: Child, afterStop: AfterStop, reason: StopReason): void {
    child.status = 'stopping'
    child.afterStop = afterStop
    child.stopReason = reason
  }

  #completeStop(child: Child, forced: boolean): void {
    const { id } = child.spec
    const afterStop = child.afterStop
    const reason = child.stopReason ?? 'shutdown'
    child.afterStop = undefined
    child.stopReason = undefined
    if (afterStop === 'remove') this.#remove(child)
    else if (afterStop === 'restart') {
      child.status = 'restarting'
      // Its group has started already (it cannot, while one of its stops is queued; but be sure).
      if (child.waitingOn === undefined || !this.#pendingGroups.has(child.waitingOn)) {
        this.#tasks.push({ kind: 'start', id, key: child.waitingOn })
      }
    } else child.status = 'stopped'
    this.#report({ type: 'child-stopped', id, reason, forced })
  }

  #startGroup(key: string): void {
    this.#pendingGroups.delete(key)
    for (const child of this.#children) {
      if (child.waitingOn === key) this.#tasks.push({ kind: 'start', id: child.spec.id, key })
    }
  }

  /** Runs queued tasks until one has to wait (a stop given time to finish) or none is left. */
  #pump(): void {
    while (this.#awaiting === undefined && this.#phase !== 'ended') {
      const task = this.#tasks.shift()
      if (!task) return
      this.#run(task)
    }
  }

  #run(task: Task): void {
    switch (task.kind) {
      case 'stop':
        this.#runStop(task.id)
        return
      case 'arm':
        if (!this.#pendingGroups.has(task.key)) return
        if (task.delayMs === 0) {
          this.#startGroup(task.key)
          return
        }
        this.#armedGroups.add(task.key)
        this.#effect({ type: 'set-timer', key: task.key, delayMs: task.delayMs })
        return
      case 'start':
        this.#runStart(task.id, task.key)
        return
      case 'finish':
        this.#finish()
        return
    }
  }

  #runStop(id: string): void {
    const child = this.#find(id)
    // Already ended by itself, or removed, since the stop was queued.
    if (child?.status !== 'stopping') return
    const shutdownMs = child.spec.shutdownMs ?? 0
    if (shutdownMs > 0) {
      const key = `shutdown:${++this.#keySeq}`
      this.#awaiting = { id, key }
      this.#effect({ type: 'request-shutdown', id })
      this.#effect({ type: 'set-timer', key, delayMs: shutdownMs })
      return
    }
    this.#effect({ type: 'kill', id })
    this.#completeStop(child, false)
  }

  #runStart(id: string, key: string | undefined): void {
    const child = this.#find(id)
    if (!child || this.#phase !== 'running') return
    if ((child.status !== 'starting' && child.status !== 'restarting') || child.waitingOn !== key) return
    child.incarnation++
    if (child.incarnation > 1) child.restarts++
    child.status = 'running'
    child.waitingOn = undefined
    this.#effect({ type: 'spawn', id, incarnation: child.incarnation, restarts: child.restarts })
    this.#report({ type: 'child-started', id, incarnation: child.incarnation, restarts: child.restarts })
  }

  #finish(): void {
    const gaveUp = this.#gaveUp
    this.#phase = 'ended'
    if (gaveUp) {
      this.#report({ type: 'supervisor-escalated', error: gaveUp })
      this.#effect({ type: 'finish', outcome: 'error', error: gaveUp })
    } else {
      this.#effect({ type: 'finish', outcome: 'done' })
    }
  }

  #remove(child: Child): void {
    const index = this.#children.indexOf(child)
    if (index >= 0) this.#children.splice(index, 1)
    this.#effect({ type: 'forget', id: child.spec.id })
  }

  /** Forgets restart groups nobody waits for any more, and their timers. */
  #dropUnusedGroups(): void {
    for (const key of this.#pendingGroups) {
      if (this.#children.some((child) => child.waitingOn === key)) continue
      this.#pendingGroups.delete(key)
      if (this.#armedGroups.delete(key)) this.#effect({ type: 'clear-timer', key })
    }
  }

  #withinPeriod(timesMs: number[]): number[] {
    return timesMs.filter((atMs) => this.#nowMs - atMs < this.#spec.periodMs)
  }

  #find(id: string): Child | undefined {
    return this.#children.find((child) => child.spec.id === id)
  }

  #effect(effect: Effect): void {
    this.#effects.push(effect)
  }

  #report(event: DistributiveOmit<SupervisorEvent, 'supervisor' | 'atMs'>): void {
    this.#effects.push({
      type: 'report',
      event: { ...event, supervisor: this.#path, atMs: this.#nowMs } as SupervisorEvent,
    })
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

function newChild(spec: CoreChildSpec): Child {
  return { spec, status: 'starting', incarnation: 0, restarts: 0, failuresMs: [] }
}
