// Randomized supervision: random trees (strategy, intensity, backoff, restart types, graceful
// shutdowns, a nested supervisor) under random crashes, normal exits, dynamic children and clock
// advances. After every step: no actor anywhere is alive without being a running child of a
// running supervisor (each worker's life callback counts itself), which_children agrees with the
// actors, and the root never exceeds its restart intensity. Each seed also runs twice and must
// produce the same history.
//
//   COX_SEED=n node test/actors/supervisor-random.test.ts   reproduces a run

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { AnyActorRef } from 'xstate'
import { SimulatedClock } from '../../actors/clock.ts'
import {
  type ChildSpec,
  type RestartType,
  type Strategy,
  type SupervisorSnapshot,
  type SupervisorSpec,
  shutdownSupervisor,
  startChild,
  startSupervisor,
  stopChild,
  supervisorChild,
} from '../../actors/supervisor.ts'
import { type Random, seededRandom } from '../../core/random.ts'
import { brief, type WorkerOptions, workerLogic } from './support.ts'

const test = suite('actors: supervisor (randomized)')

const seed = process.env.COX_SEED === undefined ? 20_250_601 : Number(process.env.COX_SEED)
const runs = process.env.COX_SEED === undefined ? 60 : 1
console.log(`supervisor-random: seed=${seed}, ${runs} run(s) (set COX_SEED to reproduce one)`)

const stepsMax = 300

interface World {
  /** Live life-callbacks per worker name: 0 or 1 when nothing leaks. */
  readonly live: Map<string, number>
  readonly history: string[]
}

function countingWorker(world: World, id: string, restart: RestartType, random: Random): ChildSpec {
  const shutdownMs = random.chance(0.3) ? random.int(1, 300) : undefined
  let options: WorkerOptions = {}
  if (shutdownMs !== undefined)
    options = random.chance(0.5) ? { drainMs: random.int(1, 400) } : { ignoreShutdown: true }
  // The worker's invoked callback writes `start x` / `stop x`: count them.
  const sink = {
    push: (line: string) => {
      const [verb, name] = line.split(' ') as [string, string]
      world.live.set(name, (world.live.get(name) ?? 0) + (verb === 'start' ? 1 : -1))
      world.history.push(line)
    },
  }
  return {
    id,
    restart,
    ...(shutdownMs === undefined ? {} : { shutdownMs }),
    start: () => workerLogic(sink, id, options),
  }
}

const restartTypes: readonly RestartType[] = ['permanent', 'permanent', 'transient', 'temporary']
const strategies: readonly Strategy[] = ['one_for_one', 'one_for_all', 'rest_for_one']

function randomSpec(random: Random, world: World, prefix: string, depth: number): SupervisorSpec {
  const children: ChildSpec[] = []
  const count = random.int(1, 5)
  for (let i = 0; i < count; i++) {
    const id = `${prefix}w${i}`
    if (depth === 0 && random.chance(0.25)) {
      const nested = randomSpec(random, world, `${prefix}s${i}.`, depth + 1)
      const shutdownMs = random.chance(0.5) ? random.int(1, 1_000) : undefined
      children.push(
        supervisorChild(`${prefix}s${i}`, nested, {
          restart: random.pick(restartTypes),
          ...(shutdownMs === undefined ? {} : { shutdownMs }),
        }),
      )
    } else {
      children.push(countingWorker(world, id, random.pick(restartTypes), random))
    }
  }
  const initialMs = random.int(0, 200)
  return {
    strategy: random.pick(strategies),
    maxRestarts: random.int(1, 8),
    periodMs: random.int(100, 5_000),
    ...(random.chance(0.6)
      ? {
          backoff: {
            initialMs,
            factor: random.pick([1, 1.5, 2, 3]),
            maxMs: initialMs + random.int(0, 2_000),
          },
        }
      : {}),
    children,
  }
}

const childrenOf = (ref: AnyActorRef) => (ref.getSnapshot() as SupervisorSnapshot).children ?? {}
const isSupervisor = (ref: AnyActorRef) => 'childInfo' in (ref.getSnapshot() as object)

/** Every running worker below `root`, with its path. */
function runningWorkers(root: AnyActorRef, path: string[] = []): { path: string[]; ref: AnyActorRef }[] {
  const found: { path: string[]; ref: AnyActorRef }[] = []
  for (const [id, ref] of Object.entries(childrenOf(root))) {
    if (ref.getSnapshot().status !== 'active') continue
    if (isSupervisor(ref)) found.push(...runningWorkers(ref, [...path, id]))
    else found.push({ path: [...path, id], ref })
  }
  return found
}

function checkInvariants(root: AnyActorRef, world: World, spec: SupervisorSpec, context: string): void {
  // No leaks: a worker's callback is alive exactly when the worker is a live child in the tree.
  const alive = new Set(runningWorkers(root).map((w) => w.path.at(-1)!))
  for (const [name, count] of world.live) {
    assert.ok(count === 0 || count === 1, `${context}: ${name} has ${count} live callbacks`)
    assert.is(
      count === 1,
      alive.has(name),
      `${context}: ${name} live=${count} but in tree=${alive.has(name)}`,
    )
  }
  // which_children agrees with the actors, at every level.
  const visit = (ref: AnyActorRef, where: string) => {
    const snapshot = ref.getSnapshot() as SupervisorSnapshot
    if (snapshot.status !== 'active') {
      assert.equal(Object.keys(snapshot.children), [], `${context}: ${where} ended with children`)
      return
    }
    for (const info of snapshot.childInfo) {
      const child = snapshot.children[info.id]
      const expectsActor = info.status === 'running' || info.status === 'stopping'
      assert.is(child !== undefined, expectsActor, `${context}: ${where}/${info.id} is ${info.status}`)
      if (info.status === 'running')
        assert.is(child!.getSnapshot().status, 'active', `${context}: ${info.id}`)
      if (child && isSupervisor(child)) visit(child, `${where}/${info.id}`)
    }
  }
  visit(root, 'root')
  // The root never restarts more than maxRestarts times within periodMs.
  const restartsMs = world.history
    .filter((line) => / root restarting /.test(line))
    .map((line) => Number(line.split(' ')[0]))
  for (const atMs of restartsMs) {
    const inWindow = restartsMs.filter((t) => t <= atMs && atMs - t < spec.periodMs).length
    assert.ok(
      inWindow <= spec.maxRestarts,
      `${context}: ${inWindow} root restarts in the window ending ${atMs}`,
    )
  }
}

/** One run; returns its history (events and worker starts/stops, in order). */
function runOnce(runSeed: number): string[] {
  const random = seededRandom(runSeed)
  const world: World = { live: new Map(), history: [] }
  const spec = randomSpec(random, world, '', 0)
  const clock = new SimulatedClock()
  const supervisor = startSupervisor(spec, {
    clock,
    onEvent: (event) => world.history.push(brief(event)),
    onEscalate: (error) => world.history.push(`escalated: ${(error as Error).message}`),
  })
  let dynamicIds = 0
  for (let step = 0; step < stepsMax && supervisor.getSnapshot().status === 'active'; step++) {
    const context = `seed=${runSeed} step ${step}`
    const workers = runningWorkers(supervisor)
    const roll = random.next()
    if (roll < 0.3 && workers.length > 0) random.pick(workers).ref.send({ type: 'CRASH' })
    else if (roll < 0.38 && workers.length > 0) random.pick(workers).ref.send({ type: 'EXIT' })
    else if (roll < 0.45)
      startChild(supervisor, countingWorker(world, `d${dynamicIds++}`, random.pick(restartTypes), random))
    else if (roll < 0.5) {
      const ids = supervisor.getSnapshot().childInfo.map((info) => info.id)
      stopChild(supervisor, ids.length > 0 && random.chance(0.9) ? random.pick(ids) : 'unknown')
    } else if (roll < 0.505) shutdownSupervisor(supervisor)
    else clock.advance(random.int(0, 600))
    checkInvariants(supervisor, world, spec, context)
  }
  // Let graceful stops finish, then stop whatever is left: nothing may survive, no timer may remain.
  clock.advance(10_000)
  supervisor.stop()
  checkInvariants(supervisor, world, spec, `seed=${runSeed} end`)
  assert.ok(
    [...world.live.values()].every((count) => count === 0),
    `seed=${runSeed}: live after stop`,
  )
  assert.is(clock.pendingTimers, 0, `seed=${runSeed}: timers left after stop`)
  return world.history
}

test('random trees under random faults leak nothing, keep their books straight, and replay exactly', () => {
  const seeds = seededRandom(seed)
  const outcomes = { escalated: 0, restarts: 0, forced: 0, nestedEvents: 0 }
  for (let run = 0; run < runs; run++) {
    const runSeed = runs === 1 ? seed : seeds.int(0, 2 ** 31 - 1)
    const history = runOnce(runSeed)
    assert.equal(runOnce(runSeed), history, `seed=${runSeed}: a second run differed`)
    if (history.some((line) => line.startsWith('escalated'))) outcomes.escalated++
    outcomes.restarts += history.filter((line) => line.includes(' restarting ')).length
    outcomes.forced += history.filter((line) => line.includes(', forced)')).length
    outcomes.nestedEvents += history.filter((line) => / root\/s\d/.test(line)).length
  }
  // The runs must have reached the interesting places to mean anything.
  if (runs > 1) {
    assert.ok(outcomes.escalated > 0, `seed=${seed}: no run escalated`)
    assert.ok(outcomes.restarts > 100, `seed=${seed}: only ${outcomes.restarts} restarts`)
    assert.ok(outcomes.forced > 0, `seed=${seed}: no forced stop`)
    assert.ok(outcomes.nestedEvents > 0, `seed=${seed}: no nested supervisor did anything`)
  }
})

test.run()
