// The simulated clock (actors/clock.ts): timers fire in due-time order, ties in the order they were
// set, each seeing its own due time as "now"; timers set while firing fire in the same advance.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { SimulatedClock } from '../../actors/clock.ts'

const test = suite('actors: simulated clock')

test('fires due timers in due-time order, ties in the order they were set, each at its own time', () => {
  const clock = new SimulatedClock(1_000)
  const fired: string[] = []
  const at = (name: string) => () => fired.push(`${name}@${clock.nowMs()}`)
  clock.setTimeout(at('c'), 30)
  clock.setTimeout(at('a'), 10)
  clock.setTimeout(at('b1'), 20)
  clock.setTimeout(at('b2'), 20)
  clock.setTimeout(at('late'), 31)

  assert.is(clock.advance(30), 4)
  assert.equal(fired, ['a@1010', 'b1@1020', 'b2@1020', 'c@1030'])
  assert.is(clock.nowMs(), 1_030)
  assert.is(clock.pendingTimers, 1)
  assert.is(clock.nextDueMs(), 1_031)
})

test('nothing fires before its time; advance(0) fires what is due now', () => {
  const clock = new SimulatedClock()
  const fired: number[] = []
  clock.setTimeout(() => fired.push(clock.nowMs()), 100)
  clock.setTimeout(() => fired.push(clock.nowMs()), 0)
  clock.advance(99)
  assert.equal(fired, [0])
  clock.advance(0)
  assert.equal(fired, [0])
  clock.advance(1)
  assert.equal(fired, [0, 100])
})

test('a timer set while firing counts from the moment it fired and fires in the same advance if due', () => {
  const clock = new SimulatedClock()
  const fired: string[] = []
  clock.setTimeout(() => {
    fired.push(`outer@${clock.nowMs()}`)
    clock.setTimeout(() => fired.push(`inner@${clock.nowMs()}`), 15)
    clock.setTimeout(() => fired.push(`beyond@${clock.nowMs()}`), 100)
  }, 10)
  clock.setTimeout(() => fired.push(`other@${clock.nowMs()}`), 20)
  clock.advance(50)
  assert.equal(fired, ['outer@10', 'other@20', 'inner@25'])
  clock.runAll()
  assert.equal(fired, ['outer@10', 'other@20', 'inner@25', 'beyond@110'])
  assert.is(clock.pendingTimers, 0)
})

test('clearTimeout cancels, also from inside another timer; unknown handles are ignored', () => {
  const clock = new SimulatedClock()
  const fired: string[] = []
  const later = clock.setTimeout(() => fired.push('later'), 20)
  clock.setTimeout(() => {
    fired.push('first')
    clock.clearTimeout(later)
  }, 10)
  clock.clearTimeout(12345)
  clock.advance(100)
  assert.equal(fired, ['first'])
})

test('time never goes back, and a timer that re-arms itself forever is caught', () => {
  const clock = new SimulatedClock(50)
  assert.throws(() => clock.advanceTo(10), /cannot go back/)
  assert.throws(() => clock.advance(-1), /non-negative/)
  const again = () => {
    clock.setTimeout(again, 0)
  }
  clock.setTimeout(again, 0)
  assert.throws(() => clock.runAll(100), /still timers pending/)
})

test.run()
