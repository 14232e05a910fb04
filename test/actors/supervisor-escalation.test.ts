// Escalation through two levels: a child supervisor that exceeds its restart intensity stops its
// children and fails; its parent sees an ordinary crashed child and applies its own strategy
// (restarting that whole subtree); when the parent in turn exceeds its intensity, the top of the
// tree stops everything and reports through onEscalate.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  type Strategy,
  SupervisorGaveUpError,
  type SupervisorSpec,
  supervisorChild,
} from '../../actors/supervisor.ts'
import { briefs, childAt, crash, harness, statuses, worker } from './support.ts'

const test = suite('actors: supervisor escalation')

/** root: [db, workers (a supervisor of w1, w2), api]; each supervisor allows one restart per period. */
function tree(log: string[], rootStrategy: Strategy): SupervisorSpec {
  const workers: SupervisorSpec = {
    strategy: 'one_for_all',
    maxRestarts: 1,
    periodMs: 1_000,
    children: [worker(log, 'w1'), worker(log, 'w2')],
  }
  return {
    strategy: rootStrategy,
    maxRestarts: 1,
    periodMs: 60_000,
    children: [worker(log, 'db'), supervisorChild('workers', workers), worker(log, 'api')],
  }
}

test('a child supervisor that gives up is restarted as a subtree by its parent, then the parent escalates', () => {
  const log: string[] = []
  const { supervisor, events, escalations, clock } = harness(tree(log, 'one_for_one'))
  assert.equal(log, ['start db', 'start w1', 'start w2', 'start api'])
  const db = childAt(supervisor, 'db')

  // The workers supervisor allows one restart within 1 s: the first crash restarts w1 and w2...
  crash(supervisor, 'workers/w1')
  assert.equal(log.slice(4), ['stop w1', 'stop w2', 'start w1', 'start w2'])
  // ...the second gives up: it stops its children in reverse, fails, and root restarts it.
  clock.advance(100)
  const from = events.length
  crash(supervisor, 'workers/w2')
  assert.equal(log.slice(8), ['stop w2', 'stop w1', 'start w1', 'start w2'])
  assert.equal(briefs(events, from), [
    '100 root/workers crashed w2: w2 crashed',
    '100 root/workers gave up on w2 after 2 restarts in 1000ms',
    '100 root/workers stopped w1 (gave-up)',
    '100 root/workers escalated',
    "100 root crashed workers: supervisor 'root/workers' gave up: child 'w2' needed more than 1 restarts in 1000 ms (last: w2 crashed)",
    '100 root restarting workers attempt=1 backoff=0 [workers]',
    // The new workers supervisor starts its children before root reports it started.
    '100 root/workers started w1#1',
    '100 root/workers started w2#1',
    '100 root started workers#2',
  ])
  // one_for_one at the root: db and api were left alone.
  assert.is(childAt(supervisor, 'db'), db)
  assert.equal(statuses(supervisor), ['db:running:0', 'workers:running:1', 'api:running:0'])
  assert.equal(escalations, [])

  // The new workers supervisor starts with a clean slate, and gives up again after two crashes:
  // that is root's second restart within its 60 s period, one too many.
  clock.advance(5_000)
  crash(supervisor, 'workers/w1')
  crash(supervisor, 'workers/w1')
  assert.equal(log.slice(12), [
    'stop w1',
    'stop w2',
    'start w1',
    'start w2',
    'stop w1',
    'stop w2',
    // root gives up: it stops what is left, in reverse order.
    'stop api',
    'stop db',
  ])
  assert.equal(briefs(events).slice(-5), [
    '5100 root crashed workers: ' +
      "supervisor 'root/workers' gave up: child 'w1' needed more than 1 restarts in 1000 ms (last: w1 crashed)",
    '5100 root gave up on workers after 2 restarts in 60000ms',
    '5100 root stopped api (gave-up)',
    '5100 root stopped db (gave-up)',
    '5100 root escalated',
  ])
  assert.is(supervisor.getSnapshot().status, 'error')
  assert.is(escalations.length, 1)
  const top = escalations[0] as SupervisorGaveUpError
  assert.instance(top, SupervisorGaveUpError)
  assert.is(top.supervisor, 'root')
  assert.is(top.childId, 'workers')
  const below = top.cause as SupervisorGaveUpError
  assert.instance(below, SupervisorGaveUpError)
  assert.is(below.supervisor, 'root/workers')
  assert.is(below.childId, 'w1')
  assert.is(clock.pendingTimers, 0)
})

test('rest_for_one at the root: a failed child supervisor takes down the children started after it', () => {
  const log: string[] = []
  const { supervisor, clock } = harness(tree(log, 'rest_for_one'))
  const db = childAt(supervisor, 'db')
  crash(supervisor, 'workers/w1')
  clock.advance(10)
  crash(supervisor, 'workers/w1')
  assert.equal(log.slice(4), [
    'stop w1',
    'stop w2',
    'start w1',
    'start w2',
    // workers gives up,
    'stop w1',
    'stop w2',
    // root stops api (started after workers), then restarts workers and api in order.
    'stop api',
    'start w1',
    'start w2',
    'start api',
  ])
  assert.is(childAt(supervisor, 'db'), db)
  assert.equal(statuses(supervisor), ['db:running:0', 'workers:running:1', 'api:running:1'])
})

test('one_for_all at the root: stopping a running child supervisor stops its children first, in reverse', () => {
  const log: string[] = []
  const { supervisor } = harness(tree(log, 'one_for_all'))
  crash(supervisor, 'api')
  assert.equal(log.slice(4), [
    'stop api',
    'stop w2',
    'stop w1',
    'stop db',
    'start db',
    'start w1',
    'start w2',
    'start api',
  ])
})

test('a nested supervisor shuts down gracefully within its shutdownMs when its parent stops it', () => {
  const log: string[] = []
  const inner: SupervisorSpec = {
    strategy: 'one_for_one',
    maxRestarts: 1,
    periodMs: 1_000,
    children: [
      worker(log, 'slow', 'permanent', { shutdownMs: 500, drainMs: 300 }),
      worker(log, 'quick', 'permanent', { shutdownMs: 500, drainMs: 100 }),
    ],
  }
  const { supervisor, clock } = harness({
    strategy: 'one_for_all',
    maxRestarts: 1,
    periodMs: 1_000,
    children: [worker(log, 'a'), supervisorChild('inner', inner, { shutdownMs: 1_000 })],
  })
  crash(supervisor, 'a')
  // inner is asked to shut down; it drains quick (100 ms), then slow (300 ms), then is done.
  clock.advance(100)
  assert.equal(log.slice(3), ['stop a', 'stop quick'])
  clock.advance(299)
  assert.equal(log.slice(5), [])
  clock.advance(1)
  assert.equal(log.slice(5), ['stop slow', 'start a', 'start slow', 'start quick'])
  assert.equal(statuses(supervisor), ['a:running:1', 'inner:running:1'])
})

test.run()
