// The linearizability checker: hand-written histories for each rule of the register, a
// brute-force cross-check on small random histories, and large histories recorded from a truly
// atomic register (accepted), then mutated (rejected).
//
//   COX_SEED=n node test/chaos/linearizability.test.ts   reproduces a randomized failure

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  checkLinearizable,
  type KvInput,
  type KvOperation,
  type KvOutput,
  type LinearizabilityResult,
} from '../../chaos/check/linearizability.ts'

const seed = process.env.COX_SEED === undefined ? 20_240_601 : Number(process.env.COX_SEED)
console.log(`linearizability: seed=${seed} (set COX_SEED to reproduce)`)

type Interval = readonly [callTime: number, returnTime: number]

function operation(clientId: number, [callTime, returnTime]: Interval, input: KvInput, output: KvOutput) {
  return { clientId, input, callTime, returnTime, output } satisfies KvOperation
}

const put = (clientId: number, interval: Interval, key: string, value: string): KvOperation =>
  operation(clientId, interval, { kind: 'put', key, value }, { kind: 'put' })

const get = (clientId: number, interval: Interval, key: string, value: string | null): KvOperation =>
  operation(clientId, interval, { kind: 'get', key }, { kind: 'get', value })

const cas = (
  clientId: number,
  interval: Interval,
  key: string,
  [expected, value]: readonly [string | null, string],
  ok: boolean,
): KvOperation => operation(clientId, interval, { kind: 'cas', key, expected, value }, { kind: 'cas', ok })

const remove = (clientId: number, interval: Interval, key: string, existed: boolean): KvOperation =>
  operation(clientId, interval, { kind: 'delete', key }, { kind: 'delete', existed })

/** An operation whose answer never came: it may or may not have taken effect. */
const indeterminate = (clientId: number, callTime: number, input: KvInput): KvOperation => ({
  clientId,
  input,
  callTime,
  returnTime: Number.POSITIVE_INFINITY,
  output: null,
})

function assertOk(result: LinearizabilityResult): void {
  assert.equal(result.ok, true, `expected linearizable, got ${JSON.stringify(result)}`)
}

function assertRejected(result: LinearizabilityResult, key: string): void {
  assert.ok(result.ok === false, `expected a violation on ${key}, got ${JSON.stringify(result)}`)
  if (result.ok === false) {
    assert.is(result.key, key)
    assert.ok(result.reason.length > 0)
  }
}

// ---- The register's rules ----

test('a sequential history that follows the register is linearizable', () => {
  const result = checkLinearizable([
    get(1, [0, 1], 'k', null),
    put(1, [2, 3], 'k', 'a'),
    get(2, [4, 5], 'k', 'a'),
    put(2, [6, 7], 'k', 'b'),
    get(1, [8, 9], 'k', 'b'),
  ])
  assert.equal(result, { ok: true, checkedOperations: 5 })
})

test('a read concurrent with two overlapping writes may see either', () => {
  for (const seen of ['a', 'b']) {
    const result = checkLinearizable([
      put(1, [0, 10], 'k', 'a'),
      put(2, [1, 9], 'k', 'b'),
      get(3, [2, 11], 'k', seen),
      get(3, [12, 13], 'k', seen),
    ])
    assertOk(result)
  }
})

test('a read that returns an overwritten value after the overwrite completed is rejected', () => {
  const history = [put(1, [0, 1], 'k', 'a'), put(2, [2, 3], 'k', 'b'), get(3, [4, 5], 'k', 'a')]
  const result = checkLinearizable(history)
  assertRejected(result, 'k')
  if (result.ok === false) {
    assert.equal(result.operations, history)
    assert.match(result.reason, 'client 3 get() -> "a" [4, 5]')
  }
})

test('a read of a value never written is rejected', () => {
  assertRejected(checkLinearizable([put(1, [0, 1], 'k', 'a'), get(2, [0, 3], 'k', 'z')]), 'k')
  assertRejected(checkLinearizable([get(1, [0, 1], 'k', 'z')]), 'k')
})

test('intervals are closed: a return and a call at the same time are concurrent', () => {
  assertOk(checkLinearizable([put(1, [0, 5], 'k', 'a'), get(2, [5, 6], 'k', null)]))
  assertRejected(checkLinearizable([put(1, [0, 5], 'k', 'a'), get(2, [6, 7], 'k', null)]), 'k')
})

test('cas succeeds exactly when the register holds the expected value', () => {
  assertOk(
    checkLinearizable([
      cas(1, [0, 1], 'k', [null, 'a'], true),
      cas(2, [2, 3], 'k', [null, 'b'], false),
      cas(1, [4, 5], 'k', ['b', 'c'], false),
      cas(2, [6, 7], 'k', ['a', 'c'], true),
      get(1, [8, 9], 'k', 'c'),
    ]),
  )
  assertRejected(checkLinearizable([put(1, [0, 1], 'k', 'a'), cas(2, [2, 3], 'k', ['b', 'c'], true)]), 'k')
  assertRejected(checkLinearizable([put(1, [0, 1], 'k', 'a'), cas(2, [2, 3], 'k', ['a', 'c'], false)]), 'k')
  // A failed cas writes nothing.
  assertRejected(checkLinearizable([cas(1, [0, 1], 'k', ['x', 'a'], false), get(2, [2, 3], 'k', 'a')]), 'k')
})

test('two concurrent cas on the same expected value cannot both succeed', () => {
  const history = [
    put(1, [0, 1], 'k', 'a'),
    cas(2, [2, 5], 'k', ['a', 'b'], true),
    cas(3, [2, 5], 'k', ['a', 'c'], true),
  ]
  assertRejected(checkLinearizable(history), 'k')
  assertOk(checkLinearizable([...history.slice(0, 2), cas(3, [2, 5], 'k', ['a', 'c'], false)]))
})

test('delete removes the key and reports whether it was present', () => {
  assertOk(
    checkLinearizable([
      remove(1, [0, 1], 'k', false),
      put(1, [2, 3], 'k', 'a'),
      remove(2, [4, 5], 'k', true),
      get(1, [6, 7], 'k', null),
      cas(2, [8, 9], 'k', [null, 'b'], true),
    ]),
  )
  assertRejected(checkLinearizable([remove(1, [0, 1], 'k', true)]), 'k')
  assertRejected(checkLinearizable([put(1, [0, 1], 'k', 'a'), remove(2, [2, 3], 'k', false)]), 'k')
  assertRejected(
    checkLinearizable([put(1, [0, 1], 'k', 'a'), remove(2, [2, 3], 'k', true), get(1, [4, 5], 'k', 'a')]),
    'k',
  )
})

test('an indeterminate put may take effect late, or never', () => {
  const lost = indeterminate(1, 0, { kind: 'put', key: 'k', value: 'a' })
  // Observed long after the client gave up on it.
  assertOk(checkLinearizable([lost, get(2, [10, 11], 'k', null), get(2, [20, 21], 'k', 'a')]))
  // Never observed.
  assertOk(checkLinearizable([lost, get(2, [10, 11], 'k', null), get(2, [20, 21], 'k', null)]))
  // But not before it was called, and not undone once seen.
  assertRejected(
    checkLinearizable([get(2, [0, 1], 'k', 'a'), indeterminate(1, 2, { kind: 'put', key: 'k', value: 'a' })]),
    'k',
  )
  assertRejected(checkLinearizable([lost, get(2, [10, 11], 'k', 'a'), get(2, [20, 21], 'k', null)]), 'k')
})

test('an indeterminate cas still only writes when it matches', () => {
  const attempt = indeterminate(1, 0, { kind: 'cas', key: 'k', expected: 'x', value: 'a' })
  assertRejected(checkLinearizable([attempt, get(2, [10, 11], 'k', 'a')]), 'k')
  assertOk(checkLinearizable([attempt, put(3, [1, 2], 'k', 'x'), get(2, [10, 11], 'k', 'a')]))
})

test('an indeterminate get is never a violation', () => {
  assertOk(checkLinearizable([put(1, [0, 1], 'k', 'a'), indeterminate(2, 2, { kind: 'get', key: 'k' })]))
})

test('two sequential reads cannot see new then old while a write spans both', () => {
  const history = [
    put(1, [0, 1], 'k', 'old'),
    put(2, [2, 20], 'k', 'new'),
    get(3, [3, 4], 'k', 'new'),
    get(4, [5, 6], 'k', 'old'),
  ]
  assertRejected(checkLinearizable(history), 'k')
  // Old then new is fine.
  assertOk(
    checkLinearizable([history[0]!, history[1]!, get(3, [3, 4], 'k', 'old'), get(4, [5, 6], 'k', 'new')]),
  )
})

test('each key is checked on its own and the failing one is named', () => {
  const history = [
    put(1, [0, 1], 'a', '1'),
    put(2, [0, 1], 'b', '1'),
    put(3, [0, 1], 'c', '1'),
    get(1, [2, 3], 'a', '1'),
    put(2, [2, 3], 'b', '2'),
    get(3, [2, 3], 'c', '1'),
    get(1, [4, 5], 'b', '1'),
    get(3, [4, 5], 'a', '1'),
  ]
  const result = checkLinearizable(history)
  assertRejected(result, 'b')
  if (result.ok === false) assert.equal(result.operations, [history[1], history[4], history[6]])
  // The same values interleaved across keys would be fine on one register: the partition matters.
  assertOk(checkLinearizable(history.filter((operation) => operation.input.key !== 'b')))
})

test('a malformed history is a programmer error', () => {
  const mismatched: KvOperation = {
    clientId: 1,
    input: { kind: 'get', key: 'k' },
    callTime: 0,
    returnTime: 1,
    output: { kind: 'put' },
  }
  assert.throws(() => checkLinearizable([mismatched]), /get input/)
  assert.throws(() => checkLinearizable([get(1, [5, 4], 'k', null)]), /return before its call/)
  assert.throws(() => checkLinearizable([get(1, [5, Number.POSITIVE_INFINITY], 'k', null)]), /finite return/)
  assert.throws(() => checkLinearizable([], { searchStepsMax: 0 }), /searchStepsMax/)
})

test('a thousands-long sequential history needs no deep recursion', () => {
  const history: KvOperation[] = []
  for (let index = 0; index < 20_000; index++) {
    const time = index * 2
    history.push(
      index % 2 === 0
        ? put(1, [time, time + 1], 'k', `v${index}`)
        : get(2, [time, time + 1], 'k', `v${index - 1}`),
    )
  }
  assert.equal(checkLinearizable(history), { ok: true, checkedOperations: 20_000 })
})

test('many lost writes do not make a refutation exponential', () => {
  const lostPut = (clientId: number, value: string) =>
    indeterminate(clientId, 0, { kind: 'put', key: 'k', value })
  // Forty lost writes no one read, any of which might have landed anywhere: a stale read is still refuted.
  const unread = Array.from({ length: 40 }, (_, index) => lostPut(100 + index, `lost${index}`))
  const stale = [
    put(1, [0, 1], 'k', 'a'),
    ...unread,
    put(2, [100, 101], 'k', 'b'),
    get(2, [102, 103], 'k', 'a'),
  ]
  assertRejected(checkLinearizable(stale, { searchStepsMax: 100_000 }), 'k')
  // Forty lost writes, each read once in turn: accepted, and reading the first again at the end is not.
  const read = Array.from({ length: 40 }, (_, index) => lostPut(100 + index, `seen${index}`))
  const reads = read.map((_, index) => get(1, [10 + 2 * index, 11 + 2 * index], 'k', `seen${index}`))
  assertOk(checkLinearizable([...read, ...reads], { searchStepsMax: 100_000 }))
  const again = [put(2, [1000, 1001], 'k', 'b'), get(2, [1002, 1003], 'k', 'seen0')]
  assertRejected(checkLinearizable([...read, ...reads, ...again], { searchStepsMax: 100_000 }), 'k')
})

test('a lost write can be read only once it is called, and only while not overwritten', () => {
  const lost = indeterminate(9, 5, { kind: 'put', key: 'k', value: 'lost' })
  assertOk(checkLinearizable([lost, get(1, [0, 5], 'k', 'lost')]))
  assertRejected(checkLinearizable([lost, get(1, [0, 4], 'k', 'lost')]), 'k')
  // Once it was read, a completed write hides it for good.
  const history = [lost, get(1, [6, 7], 'k', 'lost'), put(2, [8, 9], 'k', 'b'), get(1, [10, 11], 'k', 'lost')]
  assertRejected(checkLinearizable(history), 'k')
})

test('lost compare-and-sets can chain', () => {
  const history = [
    put(1, [0, 1], 'k', 'a'),
    indeterminate(2, 2, { kind: 'cas', key: 'k', expected: 'b', value: 'c' }),
    indeterminate(3, 2, { kind: 'cas', key: 'k', expected: 'a', value: 'b' }),
    get(1, [10, 11], 'k', 'c'),
  ]
  assertOk(checkLinearizable(history))
  // Without the first step of the chain the second never matches.
  assertRejected(checkLinearizable(history.filter((operation) => operation.clientId !== 3)), 'k')
})

// ---- The search budget ----

/** Many concurrent writes then a read of a value none wrote: every order must be refuted. */
function hardHistory(writes: number): KvOperation[] {
  const history = Array.from({ length: writes }, (_, index) => put(index, [0, 100], 'k', `v${index}`))
  return [...history, get(writes, [101, 102], 'k', 'never written')]
}

test('a search that runs out of budget answers unknown, naming the key', () => {
  const result = checkLinearizable(hardHistory(10), { searchStepsMax: 1_000 })
  assert.equal(result.ok, 'unknown')
  if (result.ok === 'unknown') {
    assert.is(result.key, 'k')
    assert.match(result.reason, '1000 steps')
  }
  assertRejected(checkLinearizable(hardHistory(10)), 'k')
})

test('an unknown key does not hide a refuted one after it', () => {
  const refuted = [put(1, [200, 201], 'other', 'a'), get(2, [202, 203], 'other', 'b')]
  const result = checkLinearizable([...hardHistory(10), ...refuted], { searchStepsMax: 1_000 })
  assertRejected(result, 'other')
})

// ---- Randomized ----

/** mulberry32: a tiny seeded generator, enough for test data. */
function mulberry32(initial: number): () => number {
  let state = initial >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let z = state
    z = Math.imul(z ^ (z >>> 15), z | 1)
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61)
    return ((z ^ (z >>> 14)) >>> 0) / 4_294_967_296
  }
}

interface Random {
  int(min: number, max: number): number
  chance(probability: number): boolean
  pick<T>(items: readonly T[]): T
}

function seededRandom(initial: number): Random {
  const next = mulberry32(initial)
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1))
  return {
    int,
    chance: (probability) => next() < probability,
    pick: (items) => items[int(0, items.length - 1)]!,
  }
}

/** What the register answers and becomes: written separately from the checker's model on purpose. */
function applyToRegister(registers: Map<string, string>, input: KvInput): KvOutput {
  const current = registers.get(input.key) ?? null
  switch (input.kind) {
    case 'put':
      registers.set(input.key, input.value)
      return { kind: 'put' }
    case 'get':
      return { kind: 'get', value: current }
    case 'cas':
      if (current !== input.expected) return { kind: 'cas', ok: false }
      registers.set(input.key, input.value)
      return { kind: 'cas', ok: true }
    case 'delete':
      registers.delete(input.key)
      return { kind: 'delete', existed: current !== null }
  }
}

interface Pending {
  readonly clientId: number
  readonly input: KvInput
  readonly callTime: number
  readonly applyTime: number
  readonly returnTime: number
  output: KvOutput | null
}

interface SimulationOptions {
  readonly operations: number
  readonly clients: number
  readonly keys: readonly string[]
  /** How often an answer is lost. */
  readonly lostChance: number
  /** Values to write, repeats allowed; by default each write has a value of its own. */
  readonly values?: readonly string[]
}

/**
 * Clients run against one atomic register per key: each operation takes effect at one instant
 * between its call and return, so the recorded history is linearizable by construction. Some
 * operations lose their answer; half of those still take effect, possibly well after the call.
 */
function simulateRegisters(random: Random, options: SimulationOptions) {
  const { operations: operationsMax, clients, keys, lostChance } = options
  const registers = new Map<string, string>()
  const history: KvOperation[] = []
  const pending = new Map<number, Pending>()
  const orphans: { readonly applyTime: number; readonly input: KvInput }[] = []
  let started = 0
  let concurrencyMax = 0
  let valueCounter = 0
  const nextValue = () => (options.values ? random.pick(options.values) : `v${++valueCounter}`)
  const nextInput = (): KvInput => {
    const key = random.pick(keys)
    const roll = random.int(1, 100)
    if (roll <= 40) return { kind: 'get', key }
    if (roll <= 70) return { kind: 'put', key, value: nextValue() }
    if (roll <= 85) {
      const recent = options.values ? random.pick(options.values) : `v${valueCounter}`
      const expected = random.chance(0.7) ? (registers.get(key) ?? null) : random.pick([null, recent])
      return { kind: 'cas', key, expected, value: nextValue() }
    }
    return { kind: 'delete', key }
  }
  for (let time = 0; started < operationsMax || pending.size > 0; time++) {
    for (let clientId = 1; clientId <= clients && started < operationsMax; clientId++) {
      if (pending.has(clientId) || !random.chance(0.5)) continue
      started++
      const input = nextInput()
      if (random.chance(lostChance)) {
        history.push({ clientId, input, callTime: time, returnTime: Number.POSITIVE_INFINITY, output: null })
        if (random.chance(0.5)) orphans.push({ applyTime: time + random.int(0, 30), input })
        continue
      }
      const applyTime = time + random.int(0, 3)
      pending.set(clientId, {
        clientId,
        input,
        callTime: time,
        applyTime,
        returnTime: applyTime + random.int(0, 3),
        output: null,
      })
    }
    concurrencyMax = Math.max(concurrencyMax, pending.size)
    const due: { readonly input: KvInput; readonly answer?: Pending }[] = [
      ...orphans.filter((orphan) => orphan.applyTime === time),
      ...[...pending.values()]
        .filter((operation) => operation.applyTime === time)
        .map((answer) => ({ input: answer.input, answer })),
    ]
    while (due.length > 0) {
      const [next] = due.splice(random.int(0, due.length - 1), 1)
      const output = applyToRegister(registers, next!.input)
      if (next!.answer) next!.answer.output = output
    }
    for (const operation of [...pending.values()].filter((operation) => operation.returnTime === time)) {
      pending.delete(operation.clientId)
      const { clientId, input, callTime, returnTime, output } = operation
      history.push({ clientId, input, callTime, returnTime, output })
    }
  }
  return { history, concurrencyMax }
}

/** The value a completed operation leaves in the register, or undefined when it writes nothing. */
function writtenValue(operation: KvOperation): string | null | undefined {
  if (operation.output === null) return undefined
  if (operation.input.kind === 'put') return operation.input.value
  if (operation.input.kind === 'delete') return null
  if (operation.input.kind === 'cas' && operation.output.kind === 'cas' && operation.output.ok)
    return operation.input.value
  return undefined
}

/** The operation of `operations` that returned last, or undefined if there are none. */
function lastReturned(operations: readonly KvOperation[]): KvOperation | undefined {
  return operations.reduce<KvOperation | undefined>(
    (latest, operation) =>
      latest === undefined || operation.returnTime > latest.returnTime ? operation : latest,
    undefined,
  )
}

/**
 * Changes one read in the second half to a value that can never be current then: one written by
 * a completed write W, followed in real time by another completed write O, itself completed
 * before the read was called. Values are unique, so no order puts W's value back after O. W and
 * O are the latest such, so the value is only just stale and the search has to get that far.
 */
function mutateStaleRead(history: readonly KvOperation[]): { history: KvOperation[]; key: string } | null {
  for (let readIndex = Math.floor(history.length / 2); readIndex < history.length; readIndex++) {
    const read = history[readIndex]!
    if (read.input.kind !== 'get' || read.output === null) continue
    const key = read.input.key
    const writes = history.filter(
      (operation) => operation.input.key === key && writtenValue(operation) !== undefined,
    )
    const overwrite = lastReturned(writes.filter((write) => write.returnTime < read.callTime))
    if (overwrite === undefined) continue
    const stale = lastReturned(
      writes.filter(
        (write) => typeof writtenValue(write) === 'string' && write.returnTime < overwrite.callTime,
      ),
    )
    if (stale === undefined) continue
    const mutated = [...history]
    mutated[readIndex] = { ...read, output: { kind: 'get', value: writtenValue(stale)! } }
    return { history: mutated, key }
  }
  return null
}

test('a large history from an atomic register is accepted, and one stale read in it is not', () => {
  const random = seededRandom(seed)
  const { history, concurrencyMax } = simulateRegisters(random, {
    operations: 2_000,
    clients: 8,
    keys: ['a', 'b', 'c'],
    lostChance: 0.03,
  })
  assert.is(history.length, 2_000)
  assert.ok(concurrencyMax >= 4, `only ${concurrencyMax} operations were ever concurrent`)

  const acceptStartMs = performance.now()
  const accepted = checkLinearizable(history)
  const acceptMs = performance.now() - acceptStartMs
  assert.equal(accepted, { ok: true, checkedOperations: 2_000 }, `seed=${seed}`)

  const mutation = mutateStaleRead(history)
  assert.ok(mutation !== null, `seed=${seed}: no read to mutate`)
  const rejectStartMs = performance.now()
  const rejected = checkLinearizable(mutation.history)
  const rejectMs = performance.now() - rejectStartMs
  assertRejected(rejected, mutation.key)

  console.log(
    `linearizability: ${history.length} operations, up to ${concurrencyMax} concurrent: ` +
      `accepted in ${acceptMs.toFixed(1)} ms, mutation rejected in ${rejectMs.toFixed(1)} ms`,
  )
  assert.ok(acceptMs < 1_000 && rejectMs < 1_000, `seed=${seed}: too slow`)
})

/** Tries every order allowed by real time: the definition, for histories of a few operations. */
function bruteForceLinearizable(history: readonly KvOperation[]): boolean {
  const placed = history.map(() => false)
  const isDone = () => history.every((operation, index) => placed[index] || operation.output === null)
  const extend = (registers: Map<string, string>): boolean => {
    if (isDone()) return true
    for (let index = 0; index < history.length; index++) {
      const candidate = history[index]!
      if (placed[index]) continue
      const mustWait = history.some(
        (other, otherIndex) =>
          !placed[otherIndex] && other.output !== null && other.returnTime < candidate.callTime,
      )
      if (mustWait) continue
      const next = new Map(registers)
      const output = applyToRegister(next, candidate.input)
      if (candidate.output !== null && JSON.stringify(output) !== JSON.stringify(candidate.output)) continue
      placed[index] = true
      if (extend(next)) return true
      placed[index] = false
    }
    return false
  }
  return extend(new Map())
}

function randomSmallHistory(random: Random): KvOperation[] {
  const values = ['x', 'y']
  return Array.from({ length: random.int(1, 7) }, (_, index): KvOperation => {
    const key = random.pick(['a', 'b'])
    const callTime = random.int(0, 10)
    const returnTime = callTime + random.int(0, 4)
    const kind = random.pick(['put', 'get', 'cas', 'delete'] as const)
    const input: KvInput =
      kind === 'put'
        ? { kind, key, value: random.pick(values) }
        : kind === 'cas'
          ? { kind, key, expected: random.pick([null, ...values]), value: random.pick(values) }
          : { kind, key }
    if (random.chance(0.15))
      return { clientId: index, input, callTime, returnTime: Number.POSITIVE_INFINITY, output: null }
    const output: KvOutput =
      kind === 'put'
        ? { kind }
        : kind === 'get'
          ? { kind, value: random.pick([null, ...values]) }
          : kind === 'cas'
            ? { kind, ok: random.chance(0.5) }
            : { kind, existed: random.chance(0.5) }
    return { clientId: index, input, callTime, returnTime, output }
  })
}

/** Changes one answer, or none: the result may or may not still be linearizable. */
function perturbOneAnswer(random: Random, history: readonly KvOperation[]): KvOperation[] {
  const perturbed = [...history]
  const index = random.int(0, history.length - 1)
  const operation = history[index]!
  const output = operation.output
  if (output?.kind === 'get')
    perturbed[index] = { ...operation, output: { ...output, value: random.pick([null, 'x', 'y']) } }
  if (output?.kind === 'cas') perturbed[index] = { ...operation, output: { ...output, ok: !output.ok } }
  if (output?.kind === 'delete')
    perturbed[index] = { ...operation, output: { ...output, existed: !output.existed } }
  return perturbed
}

test('on small histories the checker agrees with brute force', () => {
  const random = seededRandom(seed ^ 0x5eed)
  const verdicts = { linearizable: 0, refuted: 0 }
  const compare = (history: readonly KvOperation[], round: number) => {
    const expected = bruteForceLinearizable(history)
    const result = checkLinearizable(history)
    assert.is(result.ok, expected, `seed=${seed} round ${round}: ${JSON.stringify(history)}`)
    verdicts[expected ? 'linearizable' : 'refuted']++
  }
  for (let round = 0; round < 2_000; round++) {
    // Arbitrary answers, so mostly refuted.
    compare(randomSmallHistory(random), round)
    // Answers from a real register with lost ones and repeated values, then perhaps one changed.
    const options = {
      operations: random.int(2, 8),
      clients: 4,
      keys: ['a', 'b'],
      lostChance: 0.3,
      values: ['x', 'y'],
    }
    compare(perturbOneAnswer(random, simulateRegisters(random, options).history), round)
  }
  assert.ok(verdicts.linearizable > 1_000 && verdicts.refuted > 1_000, JSON.stringify(verdicts))
})

test.run()
