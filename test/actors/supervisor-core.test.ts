// The supervisor's decisions without XState (actors/supervisor-core.ts): the exact effects, in
// order, for a crash, a graceful stop and a stale exit; and the checks a spec must pass.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { type CoreSpec, type Effect, SupervisorCore } from '../../actors/supervisor-core.ts'
import { assertSupervisorSpec, backoffDelayMs, type SupervisorSpec } from '../../actors/supervisor-spec.ts'

const test = suite('actors: supervisor core')

/** Effects as short strings; reports show only their type and child. */
const show = (effects: Effect[]): string[] =>
  effects.map((effect) => {
    switch (effect.type) {
      case 'report':
        return `report ${effect.event.type}${'id' in effect.event ? ` ${effect.event.id}` : ''}`
      case 'spawn':
        return `spawn ${effect.id}#${effect.incarnation}`
      case 'set-timer':
        return `set-timer ${effect.key} ${effect.delayMs}`
      case 'clear-timer':
        return `clear-timer ${effect.key}`
      case 'finish':
        return `finish ${effect.outcome}`
      default:
        return `${effect.type} ${effect.id}`
    }
  })

const spec = (fields: Partial<CoreSpec>): CoreSpec => ({
  strategy: 'one_for_all',
  maxRestarts: 3,
  periodMs: 1_000,
  children: [
    { id: 'a', restart: 'permanent' },
    { id: 'b', restart: 'permanent' },
    { id: 'c', restart: 'permanent' },
  ],
  ...fields,
})

test('init starts the children in order', () => {
  const core = new SupervisorCore(spec({}), 'root')
  assert.equal(show(core.handle({ type: 'init' }, 0)), [
    'spawn a#1',
    'report child-started a',
    'spawn b#1',
    'report child-started b',
    'spawn c#1',
    'report child-started c',
  ])
})

test('a crash under one_for_all: sweep the failed tree, stop the rest in reverse, arm the backoff, restart in order', () => {
  const core = new SupervisorCore(spec({ backoff: { initialMs: 50, factor: 2, maxMs: 500 } }), 'root')
  core.handle({ type: 'init' }, 0)
  const crash = core.handle(
    { type: 'exit', id: 'b', incarnation: 1, outcome: 'error', error: new Error('x') },
    10,
  )
  assert.equal(show(crash), [
    'kill b',
    'report child-crashed b',
    'report child-restarting b',
    'kill c',
    'report child-stopped c',
    'kill a',
    'report child-stopped a',
    'set-timer restart:1 50',
  ])
  assert.equal(show(core.handle({ type: 'timer', key: 'restart:1' }, 60)), [
    'spawn a#2',
    'report child-started a',
    'spawn b#2',
    'report child-started b',
    'spawn c#2',
    'report child-started c',
  ])
})

test('a graceful stop holds the queue until the child ends or its shutdownMs runs out', () => {
  const core = new SupervisorCore(
    spec({
      strategy: 'one_for_one',
      children: [
        { id: 'a', restart: 'permanent', shutdownMs: 100 },
        { id: 'b', restart: 'permanent', shutdownMs: 100 },
      ],
    }),
    'root',
  )
  core.handle({ type: 'init' }, 0)
  assert.equal(show(core.handle({ type: 'shutdown' }, 0)), ['request-shutdown b', 'set-timer shutdown:1 100'])
  // b ends on its own: its timer is cleared and a's turn comes.
  assert.equal(show(core.handle({ type: 'exit', id: 'b', incarnation: 1, outcome: 'done' }, 30)), [
    'kill b',
    'clear-timer shutdown:1',
    'report child-stopped b',
    'request-shutdown a',
    'set-timer shutdown:2 100',
  ])
  // a does not: it is stopped outright, and the supervisor is done.
  assert.equal(show(core.handle({ type: 'timer', key: 'shutdown:2' }, 130)), [
    'kill a',
    'report child-stopped a',
    'finish done',
  ])
  assert.ok(core.ended)
  assert.equal(core.handle({ type: 'stop-child', id: 'a' }, 200), [])
})

test('an exit from an earlier incarnation changes nothing', () => {
  const core = new SupervisorCore(spec({ strategy: 'one_for_one' }), 'root')
  core.handle({ type: 'init' }, 0)
  core.handle({ type: 'exit', id: 'a', incarnation: 1, outcome: 'error' }, 0)
  const before = core.whichChildren()
  assert.equal(core.handle({ type: 'exit', id: 'a', incarnation: 1, outcome: 'error' }, 0), [])
  assert.equal(core.whichChildren(), before)
  assert.is(core.restartsInPeriod(0), 1)
  assert.is(core.restartsInPeriod(1_000), 0)
})

test('backoff delays grow by the factor and stop at maxMs; no backoff means no delay', () => {
  const backoff = { initialMs: 100, factor: 2.5, maxMs: 1_000 }
  assert.equal(
    [1, 2, 3, 4].map((attempt) => backoffDelayMs(backoff, attempt)),
    [100, 250, 625, 1_000],
  )
  assert.is(backoffDelayMs(undefined, 7), 0)
})

test('bad specs are refused before anything starts', () => {
  const good: SupervisorSpec = {
    strategy: 'one_for_one',
    maxRestarts: 3,
    periodMs: 1_000,
    children: [{ id: 'a', restart: 'permanent', start: () => ({}) as never }],
  }
  assertSupervisorSpec(good)
  const bad: [Partial<SupervisorSpec>, RegExp][] = [
    [{ maxRestarts: -1 }, /maxRestarts/],
    [{ maxRestarts: 1.5 }, /maxRestarts/],
    [{ periodMs: 0 }, /periodMs/],
    [{ backoff: { initialMs: 10, factor: 0.5, maxMs: 100 } }, /factor/],
    [{ backoff: { initialMs: 100, factor: 2, maxMs: 10 } }, /maxMs/],
    [{ children: [...good.children, ...good.children] }, /duplicate child id 'a'/],
    [{ children: [{ ...good.children[0]!, shutdownMs: -1 }] }, /shutdownMs/],
    [{ childrenMax: 0 }, /childrenMax/],
  ]
  for (const [fields, message] of bad) {
    assert.throws(() => assertSupervisorSpec({ ...good, ...fields }), message, JSON.stringify(fields))
  }
})

test.run()
