// The supervisor (actors/supervisor.ts) on a simulated clock: start order and reverse stop order,
// the three strategies, the three restart types, restart intensity (within the period and spread
// beyond it), exact backoff times, graceful shutdown, which_children, and dynamic children.
// Workers log `start x` / `stop x` from inside the actor (see support.ts), so the logs below are
// what the actors did, not what the supervisor says it did.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { fromCallback, setup } from 'xstate'
import {
  type ChildSpec,
  SupervisorGaveUpError,
  shutdownSupervisor,
  startChild,
  startChildren,
  stopChild,
  stopChildren,
  whichChildren,
} from '../../actors/supervisor.ts'
import { briefs, crash, exit, harness, statuses, worker } from './support.ts'

const test = suite('actors: supervisor')

const threeChildren = (log: string[]): ChildSpec[] => [worker(log, 'a'), worker(log, 'b'), worker(log, 'c')]

test('children start in order and stop in reverse order when the supervisor stops', () => {
  const log: string[] = []
  const { supervisor, events } = harness({
    strategy: 'one_for_one',
    maxRestarts: 3,
    periodMs: 1_000,
    children: threeChildren(log),
  })
  assert.equal(log, ['start a', 'start b', 'start c'])
  assert.equal(Object.keys(supervisor.getSnapshot().children), ['a', 'b', 'c'])
  const refs = Object.values(supervisor.getSnapshot().children)

  supervisor.stop()
  assert.equal(log.slice(3), ['stop c', 'stop b', 'stop a'])
  assert.equal(
    refs.map((ref) => ref.getSnapshot().status),
    ['stopped', 'stopped', 'stopped'],
  )
  assert.is(supervisor.getSnapshot().status, 'stopped')
  assert.equal(briefs(events, 3), [
    '0 root stopped c (shutdown)',
    '0 root stopped b (shutdown)',
    '0 root stopped a (shutdown)',
  ])
})

test('one_for_one restarts only the failed child', () => {
  const log: string[] = []
  const { supervisor, events } = harness({
    strategy: 'one_for_one',
    maxRestarts: 3,
    periodMs: 1_000,
    children: threeChildren(log),
  })
  const before = { ...supervisor.getSnapshot().children }
  crash(supervisor, 'b')
  // `stop b` is the crashed actor's own invoked callback, which XState left running.
  assert.equal(log.slice(3), ['stop b', 'start b'])
  const after = supervisor.getSnapshot().children
  assert.is(after.a, before.a)
  assert.is(after.c, before.c)
  assert.is.not(after.b, before.b)
  assert.equal(statuses(supervisor), ['a:running:0', 'b:running:1', 'c:running:0'])
  assert.equal(briefs(events, 3), [
    '0 root crashed b: b crashed',
    '0 root restarting b attempt=1 backoff=0 [b]',
    '0 root started b#2',
  ])
})

test('one_for_all stops the others in reverse order, then restarts all in start order', () => {
  const log: string[] = []
  const { supervisor, events } = harness({
    strategy: 'one_for_all',
    maxRestarts: 3,
    periodMs: 1_000,
    children: [...threeChildren(log), worker(log, 'd')],
  })
  crash(supervisor, 'b')
  assert.equal(log.slice(4), [
    'stop b',
    'stop d',
    'stop c',
    'stop a',
    'start a',
    'start b',
    'start c',
    'start d',
  ])
  assert.equal(statuses(supervisor), ['a:running:1', 'b:running:1', 'c:running:1', 'd:running:1'])
  assert.equal(briefs(events, 4), [
    '0 root crashed b: b crashed',
    '0 root restarting b attempt=1 backoff=0 [a,b,c,d]',
    '0 root stopped d (restart)',
    '0 root stopped c (restart)',
    '0 root stopped a (restart)',
    '0 root started a#2',
    '0 root started b#2',
    '0 root started c#2',
    '0 root started d#2',
  ])
})

test('rest_for_one restarts the failed child and those started after it, not those before', () => {
  const log: string[] = []
  const { supervisor } = harness({
    strategy: 'rest_for_one',
    maxRestarts: 3,
    periodMs: 1_000,
    children: [...threeChildren(log), worker(log, 'd')],
  })
  const a = supervisor.getSnapshot().children.a
  crash(supervisor, 'b')
  assert.equal(log.slice(4), ['stop b', 'stop d', 'stop c', 'start b', 'start c', 'start d'])
  assert.is(supervisor.getSnapshot().children.a, a)
  assert.equal(statuses(supervisor), ['a:running:0', 'b:running:1', 'c:running:1', 'd:running:1'])

  // The last child takes down only itself.
  crash(supervisor, 'd')
  assert.equal(log.slice(10), ['stop d', 'start d'])
})

test('permanent children are restarted after a crash and after a normal exit', () => {
  const log: string[] = []
  const { supervisor, events } = harness({
    strategy: 'one_for_one',
    maxRestarts: 5,
    periodMs: 1_000,
    children: [worker(log, 'p', 'permanent')],
  })
  exit(supervisor, 'p')
  crash(supervisor, 'p')
  assert.equal(log, ['start p', 'stop p', 'start p', 'stop p', 'start p'])
  assert.equal(statuses(supervisor), ['p:running:2'])
  assert.equal(
    briefs(events).filter((line) => /exited|crashed/.test(line)),
    ['0 root exited p', '0 root crashed p: p crashed'],
  )
})

test('transient children are restarted only after an abnormal exit', () => {
  const log: string[] = []
  const { supervisor, events } = harness({
    strategy: 'one_for_one',
    maxRestarts: 5,
    periodMs: 1_000,
    children: [worker(log, 't', 'transient')],
  })
  crash(supervisor, 't')
  assert.equal(statuses(supervisor), ['t:running:1'])
  exit(supervisor, 't')
  assert.equal(log, ['start t', 'stop t', 'start t', 'stop t'])
  assert.equal(statuses(supervisor), ['t:exited:1'])
  assert.equal(supervisor.getSnapshot().children, {})
  assert.equal(whichChildren(supervisor)[0]!.lastError, 't crashed')
  assert.ok(briefs(events).includes('0 root exited t'))
})

test('temporary children are never restarted and are forgotten when they end', () => {
  const log: string[] = []
  const { supervisor } = harness({
    strategy: 'one_for_one',
    maxRestarts: 5,
    periodMs: 1_000,
    children: [worker(log, 'crashes', 'temporary'), worker(log, 'exits', 'temporary'), worker(log, 'stays')],
  })
  crash(supervisor, 'crashes')
  exit(supervisor, 'exits')
  assert.equal(log, ['start crashes', 'start exits', 'start stays', 'stop crashes', 'stop exits'])
  assert.equal(statuses(supervisor), ['stays:running:0'])
})

test('a temporary child taken down by a sibling restart is not brought back', () => {
  const log: string[] = []
  const { supervisor } = harness({
    strategy: 'one_for_all',
    maxRestarts: 5,
    periodMs: 1_000,
    children: [worker(log, 'a'), worker(log, 'tmp', 'temporary'), worker(log, 'c')],
  })
  crash(supervisor, 'a')
  assert.equal(log.slice(3), ['stop a', 'stop c', 'stop tmp', 'start a', 'start c'])
  assert.equal(statuses(supervisor), ['a:running:1', 'c:running:1'])
})

test('more than maxRestarts within periodMs: the supervisor stops all children in reverse and escalates', () => {
  const log: string[] = []
  const { supervisor, events, escalations, clock } = harness({
    strategy: 'one_for_one',
    maxRestarts: 2,
    periodMs: 1_000,
    children: threeChildren(log),
  })
  crash(supervisor, 'b')
  clock.advance(400)
  crash(supervisor, 'b')
  clock.advance(500)
  assert.equal(escalations, [])
  crash(supervisor, 'b') // the third restart within 1000 ms (at 0, 400, 900)
  assert.equal(log.slice(3), ['stop b', 'start b', 'stop b', 'start b', 'stop b', 'stop c', 'stop a'])
  assert.equal(briefs(events).slice(-5), [
    '900 root crashed b: b crashed',
    '900 root gave up on b after 3 restarts in 1000ms',
    '900 root stopped c (gave-up)',
    '900 root stopped a (gave-up)',
    '900 root escalated',
  ])
  const snapshot = supervisor.getSnapshot()
  assert.is(snapshot.status, 'error')
  assert.equal(statuses(supervisor), ['a:stopped:0', 'b:stopped:2', 'c:stopped:0'])
  assert.is(escalations.length, 1)
  const error = escalations[0] as SupervisorGaveUpError
  assert.instance(error, SupervisorGaveUpError)
  assert.is(snapshot.error, error)
  assert.is(error.childId, 'b')
  assert.is(error.supervisor, 'root')
  assert.is((error.cause as Error).message, 'b crashed')
  assert.is(clock.pendingTimers, 0)
})

test('the same number of restarts spread beyond periodMs never gives up; the window is half-open', () => {
  const log: string[] = []
  const { supervisor, events, escalations, clock } = harness({
    strategy: 'one_for_one',
    maxRestarts: 2,
    periodMs: 1_000,
    children: threeChildren(log),
  })
  // Restarts at 0, 500, 1000, 1500, ...: any 1000 ms window (now - t < 1000) holds two of them.
  for (let i = 0; i < 10; i++) {
    crash(supervisor, i % 2 === 0 ? 'a' : 'c')
    clock.advance(500)
  }
  assert.equal(escalations, [])
  assert.equal(statuses(supervisor), ['a:running:5', 'b:running:0', 'c:running:5'])
  assert.is(events.filter((e) => e.type === 'supervisor-gave-up').length, 0)

  // Now (5000) the restart at 4000 is exactly periodMs old and no longer counts: this is the third
  // restart in [4000, 5000] but only the second in (4000, 5000].
  crash(supervisor, 'b')
  assert.is(supervisor.getSnapshot().status, 'active')
  crash(supervisor, 'b')
  assert.is(supervisor.getSnapshot().status, 'error')
  assert.is(escalations.length, 1)
})

test('backoff: restart n of a child waits min(maxMs, initialMs * factor^(n-1)), fired at exact times', () => {
  const log: string[] = []
  const { supervisor, events, clock } = harness({
    strategy: 'one_for_one',
    maxRestarts: 10,
    periodMs: 10_000,
    backoff: { initialMs: 100, factor: 3, maxMs: 1_000 },
    children: [worker(log, 'w'), worker(log, 'other')],
  })
  const startTimes = () => events.filter((e) => e.type === 'child-started' && e.id === 'w').map((e) => e.atMs)

  crash(supervisor, 'w') // at 0: wait 100
  assert.equal(statuses(supervisor), ['w:restarting:0', 'other:running:0'])
  clock.advance(99)
  assert.equal(startTimes(), [0])
  clock.advance(1)
  assert.equal(startTimes(), [0, 100])

  crash(supervisor, 'w') // at 100: wait 300
  clock.advance(1_000)
  crash(supervisor, 'w') // at 1100: wait 900
  clock.advance(1_000)
  crash(supervisor, 'w') // at 2100: wait 2700, capped at 1000
  clock.advance(1_000)
  assert.equal(startTimes(), [0, 100, 400, 2_000, 3_100])
  assert.equal(
    events
      .filter((e) => e.type === 'child-restarting')
      .map((e) => (e.type === 'child-restarting' ? e.backoffMs : 0)),
    [100, 300, 900, 1_000],
  )
  // The sibling was never touched, and the supervisor held no timer while nothing was pending.
  assert.equal(statuses(supervisor), ['w:running:4', 'other:running:0'])
  assert.is(clock.pendingTimers, 0)

  // A quiet period longer than periodMs: the attempts start over.
  clock.advance(10_000)
  crash(supervisor, 'w')
  assert.equal(briefs(events).at(-1), '13100 root restarting w attempt=1 backoff=100 [w]')
})

test('backoff under one_for_all: the group is stopped at once and restarted together after the delay', () => {
  const log: string[] = []
  const { supervisor, clock } = harness({
    strategy: 'one_for_all',
    maxRestarts: 10,
    periodMs: 10_000,
    backoff: { initialMs: 250, factor: 2, maxMs: 1_000 },
    children: threeChildren(log),
  })
  crash(supervisor, 'c')
  assert.equal(log.slice(3), ['stop c', 'stop b', 'stop a'])
  assert.equal(statuses(supervisor), ['a:restarting:0', 'b:restarting:0', 'c:restarting:0'])
  clock.advance(249)
  assert.is(log.length, 6)
  clock.advance(1)
  assert.equal(log.slice(6), ['start a', 'start b', 'start c'])
})

test('a crash during another child’s backoff pulls it into the new group (rest_for_one)', () => {
  const log: string[] = []
  const { supervisor, events, clock } = harness({
    strategy: 'rest_for_one',
    maxRestarts: 10,
    periodMs: 10_000,
    backoff: { initialMs: 100, factor: 2, maxMs: 1_000 },
    children: threeChildren(log),
  })
  crash(supervisor, 'c') // c waits until 100
  clock.advance(50)
  crash(supervisor, 'a') // a, b, c wait until 150; c's own timer is cancelled
  assert.is(clock.pendingTimers, 1)
  clock.advance(100)
  assert.equal(briefs(events, 3), [
    '0 root crashed c: c crashed',
    '0 root restarting c attempt=1 backoff=100 [c]',
    '50 root crashed a: a crashed',
    '50 root restarting a attempt=1 backoff=100 [a,b,c]',
    '50 root stopped b (restart)',
    '150 root started a#2',
    '150 root started b#2',
    '150 root started c#2',
  ])
})

test('a child that does not finish within shutdownMs is stopped outright; one that does, is not', () => {
  const log: string[] = []
  const { supervisor, events, clock } = harness({
    strategy: 'one_for_all',
    maxRestarts: 5,
    periodMs: 10_000,
    children: [
      worker(log, 'a'),
      worker(log, 'drains', 'permanent', { shutdownMs: 500, drainMs: 200 }),
      worker(log, 'stuck', 'permanent', { shutdownMs: 300, ignoreShutdown: true }),
    ],
  })
  crash(supervisor, 'a')
  // Stops one at a time in reverse order: stuck is given its 300 ms first.
  assert.equal(log.slice(3), ['stop a'])
  clock.advance(299)
  assert.equal(log.slice(4), [])
  clock.advance(1)
  assert.equal(log.slice(4), ['stop stuck'])
  // drains finishes on its own 200 ms later (its `after` runs on the same clock), well within 500.
  clock.advance(199)
  assert.equal(log.slice(5), [])
  clock.advance(1)
  assert.equal(log.slice(5), ['stop drains', 'start a', 'start drains', 'start stuck'])
  assert.equal(briefs(events, 3).slice(2), [
    '300 root stopped stuck (restart, forced)',
    '500 root stopped drains (restart)',
    '500 root started a#2',
    '500 root started drains#2',
    '500 root started stuck#2',
  ])
  assert.is(clock.pendingTimers, 0)
})

test('shutdownSupervisor stops children gracefully in reverse order, then the supervisor is done', () => {
  const log: string[] = []
  const { supervisor, events, clock, escalations } = harness({
    strategy: 'one_for_one',
    maxRestarts: 5,
    periodMs: 10_000,
    children: [
      worker(log, 'first', 'permanent', { shutdownMs: 1_000, drainMs: 10 }),
      worker(log, 'second', 'permanent', { shutdownMs: 1_000, drainMs: 20 }),
    ],
  })
  shutdownSupervisor(supervisor)
  assert.is(supervisor.getSnapshot().status, 'active')
  clock.advance(20)
  assert.equal(log.slice(2), ['stop second'])
  clock.advance(10)
  assert.equal(log.slice(2), ['stop second', 'stop first'])
  assert.is(supervisor.getSnapshot().status, 'done')
  assert.equal(statuses(supervisor), ['first:stopped:0', 'second:stopped:0'])
  assert.equal(briefs(events, 2), ['20 root stopped second (shutdown)', '30 root stopped first (shutdown)'])
  assert.equal(escalations, [])
})

test('a start function that throws counts as a crash of that child', () => {
  const log: string[] = []
  let starts = 0
  const flaky: ChildSpec = {
    id: 'flaky',
    restart: 'permanent',
    start: (context) => {
      starts++
      if (context.restarts === 0) throw new Error('no config yet')
      return worker(log, 'flaky').start(context)
    },
  }
  const { supervisor, events } = harness({
    strategy: 'one_for_one',
    maxRestarts: 3,
    periodMs: 1_000,
    children: [flaky],
  })
  assert.is(starts, 2)
  assert.equal(log, ['start flaky'])
  assert.equal(statuses(supervisor), ['flaky:running:1'])
  assert.ok(briefs(events).includes('0 root crashed flaky: no config yet'))
})

test('which_children reports every child with its status and restart counts', () => {
  const log: string[] = []
  const { supervisor, clock } = harness({
    strategy: 'one_for_one',
    maxRestarts: 10,
    periodMs: 10_000,
    backoff: { initialMs: 100, factor: 2, maxMs: 1_000 },
    children: [worker(log, 'a'), worker(log, 'b', 'transient'), worker(log, 'c')],
  })
  crash(supervisor, 'a')
  exit(supervisor, 'b')
  clock.advance(100)
  crash(supervisor, 'a')
  assert.equal(whichChildren(supervisor), [
    {
      id: 'a',
      restart: 'permanent',
      status: 'restarting',
      incarnation: 2,
      restarts: 1,
      lastError: 'a crashed',
    },
    { id: 'b', restart: 'transient', status: 'exited', incarnation: 1, restarts: 0 },
    { id: 'c', restart: 'permanent', status: 'running', incarnation: 1, restarts: 0 },
  ])
})

test('startChild adds a child at the end and starts it; duplicates and bad specs are rejected', () => {
  const log: string[] = []
  const { supervisor, events } = harness({
    strategy: 'one_for_one',
    maxRestarts: 3,
    periodMs: 1_000,
    children: [worker(log, 'a')],
  })
  startChild(supervisor, worker(log, 'deployment/web'))
  startChild(supervisor, worker(log, 'a'))
  startChild(supervisor, { ...worker(log, 'bad'), restart: 'sometimes' as 'permanent' })
  assert.equal(log, ['start a', 'start deployment/web'])
  assert.equal(statuses(supervisor), ['a:running:0', 'deployment/web:running:0'])
  assert.equal(briefs(events, 1), [
    '0 root started deployment/web#1',
    '0 root rejected start-child a: a child with this id is already present',
    "0 root rejected start-child bad: child 'bad': unknown restart type 'sometimes'",
  ])
  // A dynamic child is supervised like a static one.
  crash(supervisor, ['deployment/web'])
  assert.equal(statuses(supervisor), ['a:running:0', 'deployment/web:running:1'])
})

test('startChildren and stopChildren act as startChild and stopChild for each, in order, in one event', () => {
  const log: string[] = []
  const { supervisor, events } = harness({
    strategy: 'one_for_one',
    maxRestarts: 3,
    periodMs: 1_000,
    children: [worker(log, 'a')],
  })
  let snapshots = 0
  supervisor.subscribe(() => snapshots++)
  startChildren(supervisor, [worker(log, 'b'), worker(log, 'a'), worker(log, 'c')])
  assert.is(snapshots, 1, 'one snapshot for the three requests')
  assert.equal(log, ['start a', 'start b', 'start c'])
  assert.equal(statuses(supervisor), ['a:running:0', 'b:running:0', 'c:running:0'])
  stopChildren(supervisor, ['c', 'nope', 'a'])
  assert.equal(log.slice(3), ['stop c', 'stop a'])
  assert.equal(statuses(supervisor), ['b:running:0'])
  assert.ok(briefs(events, 0).some((brief) => brief.includes('rejected start-child a')))
  assert.ok(briefs(events, 0).some((brief) => brief.includes('nope')))
})

test('stopChild stops the child (with its tree) and forgets it; unknown ids are rejected', () => {
  const log: string[] = []
  const { supervisor, events, clock } = harness({
    strategy: 'one_for_all',
    maxRestarts: 3,
    periodMs: 1_000,
    children: [
      worker(log, 'a'),
      worker(log, 'b', 'permanent', { shutdownMs: 100, drainMs: 40 }),
      worker(log, 'c'),
    ],
  })
  stopChild(supervisor, 'b')
  clock.advance(40)
  stopChild(supervisor, 'nope')
  // Stopping one child on request is not a crash: the others stay up, even under one_for_all.
  assert.equal(log.slice(3), ['stop b'])
  assert.equal(statuses(supervisor), ['a:running:0', 'c:running:0'])
  assert.equal(briefs(events, 3), [
    '40 root stopped b (removed)',
    '40 root rejected stop-child nope: no child with this id',
  ])
  // The id is free again.
  startChild(supervisor, worker(log, 'b'))
  assert.equal(statuses(supervisor), ['a:running:0', 'c:running:0', 'b:running:0'])
})

test('a dynamic child added while an earlier one waits for its backoff starts with that group', () => {
  const log: string[] = []
  const { supervisor, clock } = harness({
    strategy: 'rest_for_one',
    maxRestarts: 3,
    periodMs: 10_000,
    backoff: { initialMs: 100, factor: 2, maxMs: 1_000 },
    children: [worker(log, 'a'), worker(log, 'b')],
  })
  crash(supervisor, 'a')
  startChild(supervisor, worker(log, 'late'))
  assert.equal(statuses(supervisor), ['a:restarting:0', 'b:restarting:0', 'late:starting:0'])
  clock.advance(100)
  assert.equal(log.slice(2), ['stop a', 'stop b', 'start a', 'start b', 'start late'])
})

test('level-triggered: a late exit event from a replaced incarnation is ignored', () => {
  // a's cleanup crashes its sibling b while the supervisor is busy restarting both (one_for_all):
  // b#1's failure reaches the supervisor only after b#2 has started, and must not count against it.
  const log: string[] = []
  let poke = () => {}
  const pokesOnCleanup: ChildSpec = {
    id: 'a',
    restart: 'permanent',
    start: () =>
      setup({ actors: { life: fromCallback(() => () => poke()) } }).createMachine({
        invoke: { src: 'life' },
        on: {
          CRASH: {
            actions: () => {
              throw new Error('a crashed')
            },
          },
        },
      }),
  }
  const { supervisor, events } = harness({
    strategy: 'one_for_all',
    maxRestarts: 1,
    periodMs: 1_000,
    children: [pokesOnCleanup, worker(log, 'b')],
  })
  poke = () => supervisor.getSnapshot().children.b?.send({ type: 'CRASH' })
  crash(supervisor, 'a')
  assert.equal(statuses(supervisor), ['a:running:1', 'b:running:1'])
  assert.is(events.filter((e) => e.type === 'child-restarting').length, 1)

  // The same for an exit event that does not match what the child is doing.
  supervisor.send({ type: 'xstate.error.actor.b', error: new Error('not true') } as never)
  assert.equal(statuses(supervisor), ['a:running:1', 'b:running:1'])
  assert.is(supervisor.getSnapshot().status, 'active')
})

test('requests after the supervisor has ended are ignored, and its timers are gone', () => {
  const log: string[] = []
  const { supervisor, clock } = harness({
    strategy: 'one_for_one',
    maxRestarts: 3,
    periodMs: 1_000,
    backoff: { initialMs: 100, factor: 2, maxMs: 1_000 },
    children: [worker(log, 'a')],
  })
  crash(supervisor, 'a')
  assert.is(clock.pendingTimers, 1)
  supervisor.stop()
  assert.is(clock.pendingTimers, 0)
  clock.advance(1_000)
  assert.equal(log, ['start a', 'stop a'])
})

test.run()
