// Client sessions (raft/sessions.ts): at-most-once application of retried commands, with expiry
// and eviction driven only by the leader-written time in entries, so every replica agrees.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { type SessionEnvelope, type SessionLimits, SessionTable } from '../../raft/sessions.ts'

/** A counter machine: each command adds to it and returns the new total. */
function counterTable(limits: SessionLimits = { sessionIdleMsMax: 1000, sessionsMax: 10 }) {
  const table = new SessionTable<number, number>(limits)
  let total = 0
  let executions = 0
  const apply = (index: number, envelope: SessionEnvelope<number>) =>
    table.apply(index, envelope, (amount) => {
      executions++
      total += amount
      return total
    })
  return { table, apply, executions: () => executions }
}

const register = (timeMs: number): SessionEnvelope<number> => ({ type: 'register', timeMs })
const command = (
  clientId: number,
  sequence: number,
  amount: number,
  timeMs: number,
): SessionEnvelope<number> => ({
  type: 'command',
  clientId,
  sequence,
  timeMs,
  command: amount,
})

test('register answers with the index of the register entry as the client id', () => {
  const { table, apply } = counterTable()
  assert.equal(apply(7, register(0)), { type: 'registered', clientId: 7 })
  assert.equal(apply(9, register(0)), { type: 'registered', clientId: 9 })
  assert.is(table.size, 2)
  assert.equal(apply(10, command(7, 1, 5, 0)), { type: 'applied', result: 5 })
})

test('a retried sequence gets the remembered result without executing again', () => {
  // Guards against applying a retried write twice (the client resent after a lost answer).
  const { apply, executions } = counterTable()
  apply(1, register(0))
  assert.equal(apply(2, command(1, 1, 5, 10)), { type: 'applied', result: 5 })
  assert.equal(apply(3, command(1, 1, 5, 20)), { type: 'duplicate', result: 5 })
  assert.is(executions(), 1)
  assert.equal(apply(4, command(1, 2, 3, 30)), { type: 'applied', result: 8 })
  assert.is(executions(), 2)
})

test('an older sequence is refused as stale, nothing executed', () => {
  const { apply, executions } = counterTable()
  apply(1, register(0))
  apply(2, command(1, 1, 5, 0))
  apply(3, command(1, 2, 5, 0))
  assert.equal(apply(4, command(1, 1, 5, 0)), { type: 'stale' })
  assert.is(executions(), 2)
})

test('an unknown client is told its session expired', () => {
  const { apply, executions } = counterTable()
  assert.equal(apply(1, command(42, 1, 5, 0)), { type: 'sessionExpired' })
  assert.is(executions(), 0)
})

test('idle sessions expire by the leader time in the envelopes, not by a local clock', () => {
  // Guards against replicas disagreeing on which sessions exist (a local clock would differ).
  const { table, apply } = counterTable({ sessionIdleMsMax: 1000, sessionsMax: 10 })
  apply(1, register(0))
  apply(2, register(0))
  apply(3, command(2, 1, 1, 900)) // client 2 stays active
  assert.equal(apply(4, command(1, 1, 1, 1000)).type, 'applied', 'idle exactly the maximum: alive')

  apply(5, command(2, 2, 1, 1500))
  assert.is(table.size, 2)
  apply(6, command(2, 3, 1, 2001)) // time moves on: client 1, idle since 1000, is 1001 ms idle
  assert.is(table.size, 1)
  assert.equal(apply(7, command(1, 2, 1, 2001)), { type: 'sessionExpired' })
  assert.equal(apply(8, command(2, 4, 1, 2001)).type, 'applied')
})

test('time never runs backwards: an envelope with an older time does not revive anything', () => {
  const { apply } = counterTable({ sessionIdleMsMax: 1000, sessionsMax: 10 })
  apply(1, register(0))
  apply(2, register(5000)) // expires client 1
  assert.equal(apply(3, command(1, 1, 1, 0)), { type: 'sessionExpired' })
})

test('registering beyond sessionsMax evicts the least recently active session', () => {
  const { table, apply } = counterTable({ sessionIdleMsMax: 1_000_000, sessionsMax: 2 })
  apply(1, register(0))
  apply(2, register(10))
  apply(3, command(1, 1, 1, 20)) // client 1 is now more recently active than client 2

  assert.equal(apply(4, register(30)), { type: 'registered', clientId: 4 })
  assert.is(table.size, 2)
  assert.equal(apply(5, command(2, 1, 1, 40)), { type: 'sessionExpired' }, 'client 2 was evicted')
  assert.equal(apply(6, command(1, 2, 1, 40)).type, 'applied')
  assert.equal(apply(7, command(4, 1, 1, 40)).type, 'applied')
})

test('toSnapshot and restore round-trip the sessions and the replicated clock', () => {
  const original = counterTable({ sessionIdleMsMax: 1000, sessionsMax: 10 })
  original.apply(1, register(100))
  original.apply(2, register(200))
  original.apply(3, command(1, 1, 5, 300))
  const snapshot = original.table.toSnapshot()

  const restored = counterTable({ sessionIdleMsMax: 1000, sessionsMax: 10 })
  restored.table.restore(structuredClone(snapshot))
  assert.equal(restored.table.toSnapshot(), snapshot)
  assert.equal(restored.apply(4, command(1, 1, 5, 300)), { type: 'duplicate', result: 5 })
  assert.is(restored.executions(), 0)
  // The restored clock (300) drives expiry the same way: client 2 (active at 200) expires at 1201.
  for (const table of [original, restored]) {
    assert.equal(table.apply(5, command(1, 2, 1, 1201)).type, 'applied')
    assert.equal(table.apply(6, command(2, 1, 1, 1201)), { type: 'sessionExpired' })
  }
})

test.run()
