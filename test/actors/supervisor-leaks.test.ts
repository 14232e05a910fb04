// No leaked actors (actors/actor-tree.ts, actors/supervisor.ts). In XState v5 an actor that fails
// because one of its actions threw does not stop its own children; the first test shows that
// against plain XState (so the others can fail), the rest that the supervisor stops the whole
// tree of a crashed child, at any depth, before restarting it, and also when it fails itself.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { type AnyActorRef, createActor, type EventObject, fromCallback, setup, spawnChild } from 'xstate'
import { collectDescendants, stopActorTree } from '../../actors/actor-tree.ts'
import { SimulatedClock } from '../../actors/clock.ts'
import { type ChildSpec, startSupervisor } from '../../actors/supervisor.ts'
import { briefs, childAt, crash, harness, statuses, worker } from './support.ts'

const test = suite('actors: supervisor leaks')

/** A callback actor that logs `start <name>` and, when cleaned up, `stop <name>`. */
const probe = (log: string[]) =>
  fromCallback<EventObject, string>(({ input }) => {
    log.push(`start ${input}`)
    return () => log.push(`stop ${input}`)
  })

/** Spawns grandchild `gc` on SPAWN and throws on BOOM. */
function spawnerLogic(log: string[], name: string) {
  return setup({ actors: { probe: probe(log) } }).createMachine({
    id: name,
    on: {
      SPAWN: { actions: spawnChild('probe', { id: 'gc', input: `${name}/gc` }) },
      BOOM: {
        actions: () => {
          throw new Error(`${name} threw`)
        },
      },
    },
  })
}

const grandchildOf = (ref: AnyActorRef): AnyActorRef =>
  (ref.getSnapshot() as { children: Record<string, AnyActorRef> }).children.gc!

test('control: in plain XState a child that throws in an action leaves its grandchild running', () => {
  const log: string[] = []
  const parent = setup({ actors: { spawner: spawnerLogic(log, 'child') } }).createMachine({
    invoke: { src: 'spawner', id: 'child' },
    on: { 'xstate.error.actor.child': {} },
  })
  const actor = createActor(parent).start()
  const child = actor.getSnapshot().children.child!
  child.send({ type: 'SPAWN' })
  const grandchild = grandchildOf(child)
  child.send({ type: 'BOOM' })

  assert.is(child.getSnapshot().status, 'error')
  assert.is(grandchild.getSnapshot().status, 'active')
  actor.stop()
  assert.is(grandchild.getSnapshot().status, 'active', 'even stopping the whole system does not reach it')
  assert.equal(log, ['start child/gc'])
  grandchild.send({ type: 'xstate.stop' }) // tidy up
})

test('a crashed child’s spawned grandchild is stopped before the child is restarted', () => {
  const log: string[] = []
  const child: ChildSpec = {
    id: 'child',
    restart: 'permanent',
    start: ({ restarts }) => {
      log.push(`start child#${restarts + 1}`)
      return spawnerLogic(log, 'child')
    },
  }
  const { supervisor } = harness({
    strategy: 'one_for_one',
    maxRestarts: 3,
    periodMs: 1_000,
    children: [child],
  })
  const first = childAt(supervisor, 'child')
  first.send({ type: 'SPAWN' })
  const grandchild = grandchildOf(first)
  first.send({ type: 'BOOM' })

  assert.is(first.getSnapshot().status, 'error')
  assert.is(grandchild.getSnapshot().status, 'stopped')
  assert.equal(log, ['start child#1', 'start child/gc', 'stop child/gc', 'start child#2'])
  assert.is(childAt(supervisor, 'child').getSnapshot().status, 'active')
})

test('an invoked grandchild is stopped too (the worker’s own life callback)', () => {
  const log: string[] = []
  const { supervisor } = harness({
    strategy: 'one_for_one',
    maxRestarts: 3,
    periodMs: 1_000,
    backoff: { initialMs: 1_000, factor: 2, maxMs: 1_000 },
    children: [worker(log, 'w')],
  })
  const invoked = Object.values(
    (childAt(supervisor, 'w').getSnapshot() as { children: Record<string, AnyActorRef> }).children,
  )
  assert.is(invoked.length, 1)
  crash(supervisor, 'w')
  // Still in backoff, nothing restarted yet, and the old tree is already gone.
  assert.equal(statuses(supervisor), ['w:restarting:0'])
  assert.is(invoked[0]!.getSnapshot().status, 'stopped')
  assert.equal(log, ['start w', 'stop w'])
})

test('orphans at any depth: a great-grandchild left by a grandchild that threw earlier is stopped too', () => {
  const log: string[] = []
  // child spawns gc (a spawner); gc spawns ggc and throws; child handles gc's failure and lives on.
  const childLogic = () =>
    setup({ actors: { spawner: spawnerLogic(log, 'gc'), probe: probe(log) } }).createMachine({
      entry: spawnChild('spawner', { id: 'gc' }),
      on: {
        'xstate.error.actor.gc': {},
        BOOM: {
          actions: () => {
            throw new Error('child threw')
          },
        },
      },
    })
  const { supervisor } = harness({
    strategy: 'one_for_one',
    maxRestarts: 3,
    periodMs: 1_000,
    children: [{ id: 'child', restart: 'permanent', start: childLogic }],
  })
  const child = childAt(supervisor, 'child')
  const gc = grandchildOf(child)
  gc.send({ type: 'SPAWN' })
  const ggc = grandchildOf(gc)
  gc.send({ type: 'BOOM' })
  assert.is(gc.getSnapshot().status, 'error')
  assert.is(ggc.getSnapshot().status, 'active', 'XState leaves it running')

  child.send({ type: 'BOOM' })
  assert.is(ggc.getSnapshot().status, 'stopped')
  assert.equal(log, ['start gc/gc', 'stop gc/gc'])
})

test('stopActorTree: parents before children, siblings newest first; returns only the orphans', () => {
  const log: string[] = []
  const leaf = probe(log)
  const mid = setup({ actors: { leaf } }).createMachine({
    entry: [spawnChild('leaf', { id: 'x', input: 'x' }), spawnChild('leaf', { id: 'y', input: 'y' })],
    on: {
      BOOM: {
        actions: () => {
          throw new Error('mid threw')
        },
      },
    },
  })
  const root = setup({ actors: { mid } }).createMachine({
    entry: [spawnChild('mid', { id: 'm1' }), spawnChild('mid', { id: 'm2' })],
    on: { 'xstate.error.actor.m1': {} },
  })
  const actor = createActor(root).start()
  const m1 = actor.getSnapshot().children.m1!
  m1.send({ type: 'BOOM' })
  assert.equal(
    collectDescendants(actor).map((ref) => ref.id),
    ['m2', 'y', 'x', 'm1', 'y', 'x'],
  )
  log.length = 0
  const orphans = stopActorTree(actor, (ref) => ref.stop())
  // The running root stops m2 and its children itself (XState: in start order); m1's are orphans.
  assert.equal(log, ['stop x', 'stop y', 'stop y', 'stop x'])
  assert.equal(
    orphans.map((ref) => ref.id),
    ['y', 'x'],
  )
  assert.ok(collectDescendants(actor).every((ref) => ref.getSnapshot().status !== 'active'))
})

test('a supervisor that fails itself (a throwing onEvent port) still stops its children, in reverse', () => {
  const log: string[] = []
  const escalations: unknown[] = []
  const supervisor = startSupervisor(
    {
      strategy: 'one_for_one',
      maxRestarts: 3,
      periodMs: 1_000,
      children: [worker(log, 'a'), worker(log, 'b')],
    },
    {
      clock: new SimulatedClock(),
      onEvent: (event) => {
        if (event.type === 'child-restarting') throw new Error('event sink broke')
      },
      onEscalate: (error) => escalations.push(error),
    },
  )
  crash(supervisor, 'a')
  assert.is(supervisor.getSnapshot().status, 'error')
  assert.equal(log, ['start a', 'start b', 'stop a', 'stop b'])
  assert.is((escalations[0] as Error).message, 'event sink broke')
})

test('a grandchild with a systemId spawned in the very transition that throws: XState keeps the id', () => {
  // Documented limit, not a supervisor bug: XState registers the systemId when the spawn action is
  // resolved but starts the actor only after the transition, which never completes. The actor is
  // in no snapshot, so nothing can stop it, and the restarted child cannot take the id again.
  const log: string[] = []
  const childLogic = () =>
    setup({ actors: { probe: probe(log) } }).createMachine({
      on: {
        BOTH: {
          actions: [
            spawnChild('probe', { id: 'gc', input: 'gc', systemId: 'the-grandchild' }),
            () => {
              throw new Error('threw while spawning')
            },
          ],
        },
      },
    })
  const { supervisor, events } = harness({
    strategy: 'one_for_one',
    maxRestarts: 3,
    periodMs: 1_000,
    children: [{ id: 'child', restart: 'permanent', start: childLogic }],
  })
  childAt(supervisor, 'child').send({ type: 'BOTH' })
  childAt(supervisor, 'child').send({ type: 'BOTH' })
  assert.equal(log, [], 'the grandchild never started')
  assert.equal(
    briefs(events).filter((line) => line.includes('crashed')),
    [
      '0 root crashed child: threw while spawning',
      "0 root crashed child: Actor with system ID 'the-grandchild' already exists.",
    ],
  )
})

test.run()
