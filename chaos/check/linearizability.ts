// The linearizability checker for the clients' key-value history: it decides whether some total
// order of the operations, consistent with their real-time order, explains every answer a client
// saw. It owns the register model (put, get, compare-and-set, delete on one key) and the search:
// Wing & Gong's algorithm with Lowe's cache, as in Porcupine (github.com/anishathalye/porcupine),
// run once per key because linearizability is compositional (Herlihy & Wing's locality), with
// reductions that keep operations whose answer was lost from making the search exponential.

export type KvInput =
  | { readonly kind: 'put'; readonly key: string; readonly value: string }
  | { readonly kind: 'get'; readonly key: string }
  /** `expected: null` means "the key is absent". */
  | { readonly kind: 'cas'; readonly key: string; readonly expected: string | null; readonly value: string }
  | { readonly kind: 'delete'; readonly key: string }

export type KvOutput =
  | { readonly kind: 'put' }
  | { readonly kind: 'get'; readonly value: string | null }
  | { readonly kind: 'cas'; readonly ok: boolean }
  | { readonly kind: 'delete'; readonly existed: boolean }

export interface KvOperation {
  readonly clientId: number
  readonly input: KvInput
  /** When the client invoked it. */
  readonly callTime: number
  /** When the client saw the answer; Infinity when indeterminate. */
  readonly returnTime: number
  /** Null when indeterminate (timed out, node died): it may or may not take effect, with any result. */
  readonly output: KvOutput | null
}

export type LinearizabilityResult =
  | { readonly ok: true; readonly checkedOperations: number }
  /** `operations` are all those on the failing key, in history order, for the report. */
  | {
      readonly ok: false
      readonly key: string
      readonly reason: string
      readonly operations: readonly KvOperation[]
    }
  /** The search ran out of budget on `key`: neither proven nor refuted. */
  | { readonly ok: 'unknown'; readonly key: string; readonly reason: string }

export interface LinearizabilityOptions {
  /**
   * Work allowed per key, in steps of the walk plus comparisons in the cache. The search is
   * exponential in the worst case, so it must stop somewhere; past this the answer is 'unknown'.
   */
  readonly searchStepsMax?: number
}

export const searchStepsMaxDefault = 2_000_000

/** The cache of explored configurations per key: 256 MiB; when full, the answer is 'unknown'. */
const cacheWordsMax = 1 << 26

/**
 * Checks a whole history. Keys are checked in order of first appearance; a refuted key is
 * reported even when an earlier key was left undecided, since a refutation is definite.
 */
export function checkLinearizable(
  history: readonly KvOperation[],
  options: LinearizabilityOptions = {},
): LinearizabilityResult {
  const searchStepsMax = options.searchStepsMax ?? searchStepsMaxDefault
  if (!Number.isSafeInteger(searchStepsMax) || searchStepsMax < 1) {
    throw new Error(`linearizability: searchStepsMax must be a positive integer, not ${searchStepsMax}`)
  }
  let undecided: LinearizabilityResult | null = null
  for (const [key, operations] of partitionByKey(history)) {
    const outcome = checkKey(operations, searchStepsMax)
    if (outcome.kind === 'refuted') return { ok: false, key, reason: outcome.reason, operations }
    if (outcome.kind === 'exhausted' && undecided === null) {
      undecided = { ok: 'unknown', key, reason: outcome.reason }
    }
  }
  return undecided ?? { ok: true, checkedOperations: history.length }
}

function partitionByKey(history: readonly KvOperation[]): Map<string, KvOperation[]> {
  const byKey = new Map<string, KvOperation[]>()
  for (const operation of history) {
    validate(operation)
    const operations = byKey.get(operation.input.key)
    if (operations) operations.push(operation)
    else byKey.set(operation.input.key, [operation])
  }
  return byKey
}

/** A malformed history is the recorder's bug, not a linearizability violation: fail loudly. */
function validate(operation: KvOperation): void {
  const problem = findProblem(operation)
  if (problem !== null) throw new Error(`linearizability: ${describe(operation)} has ${problem}`)
}

function findProblem({ input, output, callTime, returnTime }: KvOperation): string | null {
  if (!Number.isFinite(callTime)) return 'a call time that is not finite'
  // Whatever return time an unanswered operation carries, it is treated as never returning.
  if (output === null) return null
  if (output.kind !== input.kind) return `a ${output.kind} output for a ${input.kind} input`
  if (!Number.isFinite(returnTime)) return 'an output but no finite return time'
  if (returnTime < callTime) return 'a return before its call'
  return null
}

type KeyOutcome =
  | { readonly kind: 'linearizable' }
  | { readonly kind: 'refuted'; readonly reason: string }
  | { readonly kind: 'exhausted'; readonly reason: string }

function checkKey(operations: readonly KvOperation[], searchStepsMax: number): KeyOutcome {
  const register = compileRegister(operations)
  const outcome = new Search(register).run(searchStepsMax)
  const counts = `${register.determinate.length} answered and ${register.indeterminateCount} unanswered operations`
  switch (outcome.kind) {
    case 'linearizable':
      return outcome
    case 'exhausted': {
      const limit =
        outcome.why === 'steps' ? `${searchStepsMax} steps` : `filling its cache (${cacheWordsMax * 4} bytes)`
      return { kind: 'exhausted', reason: `search gave up after ${limit} over ${counts}` }
    }
    case 'refuted':
      return {
        kind: 'refuted',
        reason: `no order of the ${counts} explains the answers: ${explain(register, outcome.deepest)}`,
      }
  }
}

/** Why the longest partial linearization could go no further. */
function explain(register: CompiledRegister, deepest: Deepest): string {
  const { depth, operationId, state, linearized } = deepest
  const blocked = register.determinate[operationId]!
  const start = `at best ${depth} answered ones take effect, then ${describe(blocked.source)} cannot take effect by its return`
  const value = register.labels[state]
  // A value written once that some answered operation has yet to see pins the search down.
  const reader =
    register.readersOfSingleWrites[state]! > 0
      ? register.determinate.find(
          (operation, id) => readsValue(operation) && operation.compared === state && !hasBit(linearized, id),
        )
      : undefined
  if (reader === undefined) return `${start} (the register holds ${value})`
  const next = stepRegister(state, blocked)
  if (next !== rejected && next !== state) {
    return `${start}: it would overwrite ${value} before ${describe(reader.source)} sees it`
  }
  return `${start}: the register holds ${value}, which ${describe(reader.source)} has yet to see`
}

// ---- The register model ----

/** An operation with its values interned as small integers, so states compare and hash cheaply. */
interface RegisterOperation {
  readonly source: KvOperation
  readonly kind: KvInput['kind']
  readonly determinate: boolean
  /** put, cas: the value written. */
  readonly written: number
  /** get: the value seen; cas: the value expected. */
  readonly compared: number
  /** cas: whether it succeeded; delete: whether the key existed. */
  readonly flag: boolean
}

interface CompiledRegister {
  /** The interned values as the report shows them: index 0 is absent, 1 stands for every unread value. */
  readonly labels: readonly string[]
  readonly determinate: readonly RegisterOperation[]
  /**
   * The unanswered operations, grouped by effect (same kind and values), each group in call
   * order. Within a group they differ only in when they may start, which lets the search treat
   * them as interchangeable (see `Search`).
   */
  readonly indeterminateGroups: readonly (readonly RegisterOperation[])[]
  readonly indeterminateCount: number
  /**
   * Per value written by exactly one operation: how many answered operations must see it (gets
   * that returned it, cas that expected it and succeeded); -1 for other values. Once such a value
   * is overwritten it never returns, so a move that overwrites it before all of them is a dead end.
   */
  readonly readersOfSingleWrites: Int32Array
}

const absent = 0
const unread = 1
const rejected = -1

function compileRegister(operations: readonly KvOperation[]): CompiledRegister {
  const intern = valueInterner(operations)
  const determinate: RegisterOperation[] = []
  const groups = new Map<string, RegisterOperation[]>()
  let indeterminateCount = 0
  for (const source of operations) {
    const { input, output } = source
    // An indeterminate get changes nothing and accepts any answer: leaving it out only shrinks the search.
    if (output === null && input.kind === 'get') continue
    const written = input.kind === 'put' || input.kind === 'cas' ? intern.id(input.value) : absent
    let compared = absent
    if (input.kind === 'cas') compared = intern.id(input.expected)
    else if (output?.kind === 'get') compared = intern.id(output.value)
    const flag = output?.kind === 'cas' ? output.ok : output?.kind === 'delete' ? output.existed : false
    const operation = { source, kind: input.kind, determinate: output !== null, written, compared, flag }
    if (operation.determinate) {
      determinate.push(operation)
      continue
    }
    indeterminateCount++
    const effect = `${input.kind}:${written}:${compared}`
    const group = groups.get(effect)
    if (group) group.push(operation)
    else groups.set(effect, [operation])
  }
  const indeterminateGroups = [...groups.values()].map((group) =>
    group.sort((a, b) => a.source.callTime - b.source.callTime),
  )
  const readersOfSingleWrites = countReadersOfSingleWrites(
    intern.labels.length,
    determinate,
    indeterminateGroups,
  )
  return {
    labels: intern.labels,
    determinate,
    indeterminateGroups,
    indeterminateCount,
    readersOfSingleWrites,
  }
}

function countReadersOfSingleWrites(
  valueCount: number,
  determinate: readonly RegisterOperation[],
  indeterminateGroups: readonly (readonly RegisterOperation[])[],
): Int32Array {
  const writers = new Int32Array(valueCount)
  const readers = new Int32Array(valueCount)
  for (const operation of [...determinate, ...indeterminateGroups.flat()]) {
    const writes =
      operation.kind === 'put' || (operation.kind === 'cas' && (operation.flag || !operation.determinate))
    if (writes) writers[operation.written]!++
    if (readsValue(operation)) readers[operation.compared]!++
  }
  // Absent and the unread values have many writers (deletes, the start, all unread writes).
  return readers.map((count, value) => (value > unread && writers[value] === 1 ? count : -1))
}

/** Whether an operation needs the register to hold `compared`: an answered get, or cas that succeeded. */
function readsValue(operation: RegisterOperation): boolean {
  return operation.determinate && (operation.kind === 'get' || (operation.kind === 'cas' && operation.flag))
}

/**
 * Interns values as small integers. A value that no answered get returned and no cas expected
 * cannot be told apart from another such value by any operation (each is simply "present"), so
 * all of them share one id, `unread`: the search then sees fewer distinct states, and writes of
 * unread values (typically lost ones) fall into one group.
 */
function valueInterner(operations: readonly KvOperation[]) {
  const distinguished = new Set<string | null>()
  for (const { input, output } of operations) {
    if (input.kind === 'cas') distinguished.add(input.expected)
    if (output?.kind === 'get') distinguished.add(output.value)
  }
  const labels = [formatValue(null), 'a value no one read']
  const ids = new Map<string | null, number>([[null, absent]])
  const id = (value: string | null): number => {
    if (!distinguished.has(value)) return value === null ? absent : unread
    let interned = ids.get(value)
    if (interned === undefined) {
      interned = labels.push(formatValue(value)) - 1
      ids.set(value, interned)
    }
    return interned
  }
  return { labels, id }
}

/**
 * Applies one operation to the register: the new value, or `rejected` when the recorded answer
 * is not what the register would give. An indeterminate operation accepts any answer, but its
 * effect still depends on the value (a cas only writes when it matches).
 */
function stepRegister(current: number, operation: RegisterOperation): number {
  switch (operation.kind) {
    case 'put':
      return operation.written
    case 'get':
      return !operation.determinate || operation.compared === current ? current : rejected
    case 'cas': {
      const matches = current === operation.compared
      if (operation.determinate && operation.flag !== matches) return rejected
      return matches ? operation.written : current
    }
    case 'delete':
      return !operation.determinate || operation.flag === (current !== absent) ? absent : rejected
  }
}

// ---- The event list: answered calls and returns in time order, doubly linked so lifting is O(1) ----

interface EventNode {
  /** An index into the register's determinate operations; -1 on the head. */
  readonly operationId: number
  readonly time: number
  /** On a call, its return; null on a return. */
  readonly match: EventNode | null
  previous: EventNode | null
  next: EventNode | null
}

/** Returns the list's head, a sentinel before the first event. */
function buildEventList(operations: readonly RegisterOperation[]): EventNode {
  const link = (operationId: number, time: number, match: EventNode | null): EventNode => ({
    operationId,
    time,
    match,
    previous: null,
    next: null,
  })
  const returns = operations.map((operation, operationId) =>
    link(operationId, operation.source.returnTime, null),
  )
  const calls = operations.map((operation, operationId) =>
    link(operationId, operation.source.callTime, returns[operationId]!),
  )
  // Calls before returns at equal times make the intervals closed: an operation that returns when
  // another is called counts as concurrent with it, the conservative reading of a coarse clock.
  // The sort is stable, so other ties keep history order and the search stays deterministic.
  const events = [...calls, ...returns].sort((a, b) =>
    a.time !== b.time ? a.time - b.time : Number(b.match !== null) - Number(a.match !== null),
  )
  const head = link(-1, Number.NEGATIVE_INFINITY, null)
  let last = head
  for (const node of events) {
    node.previous = last
    last.next = node
    last = node
  }
  return head
}

/** Takes a call and its return out of the list (the return always follows, so call.next is set). */
function lift(call: EventNode): void {
  call.previous!.next = call.next
  call.next!.previous = call.previous
  const match = call.match!
  match.previous!.next = match.next
  if (match.next !== null) match.next.previous = match.previous
}

/** Puts back what `lift` took out; lifts are undone in reverse order, so the neighbours are intact. */
function unlift(call: EventNode): void {
  const match = call.match!
  match.previous!.next = match
  if (match.next !== null) match.next.previous = match
  call.previous!.next = call
  call.next!.previous = call
}

// ---- The search ----

interface Deepest {
  /** How many answered operations the longest partial linearization held. */
  readonly depth: number
  /** Which ones. */
  readonly linearized: Uint32Array
  /** The answered operation whose return that linearization reached without being able to place it. */
  readonly operationId: number
  readonly state: number
}

type SearchOutcome =
  | { readonly kind: 'linearizable' }
  | { readonly kind: 'refuted'; readonly deepest: Deepest }
  | { readonly kind: 'exhausted'; readonly why: 'steps' | 'memory' }

/** One choice on the explicit stack, with what it takes to undo it and try the next candidate. */
type Frame =
  | { readonly kind: 'call'; readonly call: EventNode; readonly state: number }
  | { readonly kind: 'indeterminate'; readonly group: number; readonly at: EventNode; readonly state: number }

/**
 * Wing & Gong: walk the events; at a call, linearize it now (lift it out of the list and restart
 * from the front); at a return, the operation it ends could not be placed, so undo the latest
 * choice and try the next candidate after it. Lowe's cache skips a configuration already
 * explored, which makes the usual search near linear. The stack is explicit because histories
 * hold thousands of operations. One check is added ahead of Porcupine: a move that overwrites a
 * value only one operation writes, while an answered operation has yet to read it, is a dead end
 * (the value can never come back), so it is cut at once instead of after exploring all below it.
 *
 * Unanswered operations are Porcupine's calls that return at +Infinity: they stay candidates from
 * their call on, and need never be linearized. Left as they are, k of them pending together
 * multiply a refutation's work by up to 2^k, so four things differ from Porcupine:
 * - They are tried only when the walk reaches a return, after every answered candidate. The
 *   candidates are the same, but configurations with fewer of them taken come first, and such
 *   a configuration dominates one with more taken (the rest can still be taken later, or never).
 *   So the cache prunes a configuration when one with the same answered set and value and no
 *   more taken from each group was explored.
 * - Within a group of the same effect, only the earliest-called untaken one is tried: all those
 *   called before the first remaining return stay candidates for the rest of the path, so which
 *   of them is taken does not matter, only how many. The configuration keeps a count per group.
 * - One that would leave the value unchanged is not tried: not taking it is at least as good.
 * - One is taken only just in time: the move after it must need it (an answered operation that
 *   the value before it would reject, or an unanswered one that would do nothing from that
 *   value). Any linearization can be rearranged so: an unanswered operation whose successor does
 *   not need it either changed nothing visible (drop it) or commutes with it (move it later).
 *   Then which moves are open depends on the last one, so the cache keeps that too.
 */
class Search {
  readonly #register: CompiledRegister
  readonly #head: EventNode
  readonly #linearized: Bitset
  /** Per group of unanswered operations, how many have been taken: always its earliest-called. */
  readonly #takenCounts: Uint32Array
  /** `readersOfSingleWrites` less those linearized. */
  readonly #readersPending: Int32Array
  readonly #cache: StateCache
  readonly #frames: Frame[] = []
  #state = absent
  #node: EventNode | null
  /** At a return, the next group of unanswered operations to try. */
  #group = 0
  #deepest: Deepest | null = null
  #linearizedCount = 0

  constructor(register: CompiledRegister) {
    this.#register = register
    this.#head = buildEventList(register.determinate)
    this.#linearized = new Bitset(register.determinate.length)
    this.#takenCounts = new Uint32Array(register.indeterminateGroups.length)
    this.#readersPending = register.readersOfSingleWrites.slice()
    this.#cache = new StateCache(this.#linearized.words.length, register.indeterminateGroups.length)
    this.#node = this.#head.next
  }

  run(searchStepsMax: number): SearchOutcome {
    // An empty list means every answered operation is linearized; the rest may never have happened.
    for (let steps = 0; this.#node !== null; steps++) {
      // Cache comparisons count too: a long bucket is work that must stay bounded as well.
      if (steps + this.#cache.comparisons >= searchStepsMax) return { kind: 'exhausted', why: 'steps' }
      if (this.#cache.full) return { kind: 'exhausted', why: 'memory' }
      const node = this.#node
      if (node.match !== null) this.#tryCall(node)
      else if (this.#seekGroup(node)) this.#tryIndeterminate(node)
      else if (!this.#backtrack(node)) return { kind: 'refuted', deepest: this.#deepest! }
    }
    return { kind: 'linearizable' }
  }

  #tryCall(call: EventNode): void {
    const operation = this.#register.determinate[call.operationId]!
    const next = stepRegister(this.#state, operation)
    const open =
      next !== rejected &&
      !this.#strandsReaders(operation, next) &&
      needsLastMove(operation, this.#valueBeforeLastMove())
    if (open) {
      this.#linearized.set(call.operationId)
      if (this.#cache.add(this.#linearized, this.#takenCounts, next, unrestricted)) {
        this.#frames.push({ kind: 'call', call, state: this.#state })
        this.#countRead(operation, this.#state, -1)
        this.#linearizedCount++
        lift(call)
        this.#advance(next)
        return
      }
      this.#linearized.clear(call.operationId)
    }
    this.#node = call.next
  }

  /**
   * Moves the group cursor to the next group whose candidate may be taken at the return `at`;
   * false if none is left. Skipping the others is cheap, so it does not count as a step.
   */
  #seekGroup(at: EventNode): boolean {
    const groups = this.#register.indeterminateGroups
    const before = this.#valueBeforeLastMove()
    for (; this.#group < groups.length; this.#group++) {
      const candidate = groups[this.#group]![this.#takenCounts[this.#group]!]
      if (candidate === undefined || candidate.source.callTime > at.time) continue
      if (!needsLastMove(candidate, before)) continue
      const next = stepRegister(this.#state, candidate)
      if (next !== this.#state && !this.#strandsReaders(candidate, next)) return true
    }
    return false
  }

  /**
   * Whether moving to `next` would overwrite a value written once while answered operations
   * still have to read it: nothing could satisfy them afterwards.
   */
  #strandsReaders(operation: RegisterOperation, next: number): boolean {
    if (next === this.#state) return false
    return this.#readersPending[this.#state]! > (readsValue(operation) ? 1 : 0)
  }

  #countRead(operation: RegisterOperation, value: number, change: 1 | -1): void {
    if (readsValue(operation) && this.#readersPending[value]! >= 0) this.#readersPending[value]! += change
  }

  /** After an unanswered move, the value it started from; `unrestricted` after an answered one. */
  #valueBeforeLastMove(): number {
    const last = this.#frames.at(-1)
    return last?.kind === 'indeterminate' ? last.state : unrestricted
  }

  #tryIndeterminate(at: EventNode): void {
    const group = this.#group
    this.#group++
    const next = stepRegister(
      this.#state,
      this.#register.indeterminateGroups[group]![this.#takenCounts[group]!]!,
    )
    this.#takenCounts[group]!++
    if (this.#cache.add(this.#linearized, this.#takenCounts, next, this.#state)) {
      this.#frames.push({ kind: 'indeterminate', group, at, state: this.#state })
      this.#advance(next)
      return
    }
    this.#takenCounts[group]!--
  }

  #advance(next: number): void {
    this.#state = next
    this.#node = this.#head.next
    this.#group = 0
  }

  /** Undoes the latest choice; false when there is none left, so the history is refuted. */
  #backtrack(at: EventNode): boolean {
    if (this.#deepest === null || this.#linearizedCount > this.#deepest.depth) {
      this.#deepest = {
        depth: this.#linearizedCount,
        linearized: this.#linearized.words.slice(),
        operationId: at.operationId,
        state: this.#state,
      }
    }
    const frame = this.#frames.pop()
    if (frame === undefined) return false
    this.#state = frame.state
    if (frame.kind === 'call') {
      this.#linearized.clear(frame.call.operationId)
      this.#countRead(this.#register.determinate[frame.call.operationId]!, frame.state, 1)
      this.#linearizedCount--
      unlift(frame.call)
      this.#node = frame.call.next
      this.#group = 0
    } else {
      this.#takenCounts[frame.group]!--
      this.#node = frame.at
      this.#group = frame.group + 1
    }
    return true
  }
}

const unrestricted = -1

/**
 * Whether `operation` may follow an unanswered move that started from value `before`: only if it
 * needs that move, being rejected (answered) or doing nothing (unanswered) from `before`.
 */
function needsLastMove(operation: RegisterOperation, before: number): boolean {
  if (before === unrestricted) return true
  const fromBefore = stepRegister(before, operation)
  return operation.determinate ? fromBefore === rejected : fromBefore === before
}

// ---- Sets of operations and Lowe's cache ----

/** A set of operation ids that keeps a hash of itself up to date as bits flip. */
class Bitset {
  readonly words: Uint32Array
  hash = 0

  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32))
  }

  set(id: number): void {
    this.words[id >>> 5]! |= 1 << (id & 31)
    this.hash ^= mix(id)
  }

  clear(id: number): void {
    this.words[id >>> 5]! &= ~(1 << (id & 31))
    this.hash ^= mix(id)
  }
}

/** Kept a small integer so that the map stores it unboxed. */
function bucketHash(linearized: Bitset, state: number, lastMoveFrom: number): number {
  return (
    (linearized.hash ^ Math.imul(state + 1, 0x27d4eb2f) ^ Math.imul(lastMoveFrom + 2, 0x165667b1)) &
    0x3fffffff
  )
}

function hasBit(words: Uint32Array, id: number): boolean {
  return (words[id >>> 5]! & (1 << (id & 31))) !== 0
}

/**
 * murmur3's 32-bit finalizer. A set's hash is the XOR of its members' (Zobrist hashing), so
 * adding or removing one id costs O(1) instead of rehashing every word.
 */
function mix(id: number): number {
  let z = Math.imul(id + 1, 0x9e3779b1)
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

/**
 * Explored configurations, each stored as one record in a growing arena: [next record in its
 * bucket + 1 (0 ends the bucket), value, `lastMoveFrom` + 1, the answered set's words, the count
 * taken from each group]. One arena instead of a typed array per record keeps the refutation of
 * a long history from spending its time allocating.
 */
class StateCache {
  readonly #linearizedWords: number
  readonly #recordWords: number
  #arena: Uint32Array
  #usedWords = 0
  /** By hash of the answered set and value, the newest record in that bucket, + 1. */
  readonly #buckets = new Map<number, number>()
  /** How many records were compared, which `Search` counts as work. */
  comparisons = 0

  constructor(linearizedWords: number, groupCount: number) {
    this.#linearizedWords = linearizedWords
    this.#recordWords = 3 + linearizedWords + groupCount
    this.#arena = new Uint32Array(Math.min(this.#recordWords * 1024, cacheWordsMax))
  }

  /** Whether there is room for another record. */
  get full(): boolean {
    return this.#usedWords + this.#recordWords > cacheWordsMax
  }

  /**
   * Records a configuration; false if one explored already dominates it (same answered set and
   * value, no more taken from any group, no fewer moves open): that one's search failed, or it
   * would have stopped. `lastMoveFrom` is the value an unanswered last move started from, which
   * restricts the next move, or `unrestricted`.
   */
  add(linearized: Bitset, takenCounts: Uint32Array, state: number, lastMoveFrom: number): boolean {
    // A restricted configuration is dominated by an unrestricted one or one with the same
    // restriction: the two live in different buckets, so only those two are looked at.
    const hash = bucketHash(linearized, state, lastMoveFrom)
    if (this.#bucketDominates(hash, linearized.words, takenCounts, state, lastMoveFrom)) return false
    if (lastMoveFrom !== unrestricted) {
      const unrestrictedHash = bucketHash(linearized, state, unrestricted)
      if (this.#bucketDominates(unrestrictedHash, linearized.words, takenCounts, state, unrestricted))
        return false
    }
    const newest = this.#buckets.get(hash) ?? 0
    this.#buckets.set(hash, this.#append(newest, linearized.words, takenCounts, state, lastMoveFrom) + 1)
    return true
  }

  #bucketDominates(
    hash: number,
    linearized: Uint32Array,
    takenCounts: Uint32Array,
    state: number,
    lastMoveFrom: number,
  ): boolean {
    for (let record = (this.#buckets.get(hash) ?? 0) - 1; record >= 0; record = this.#arena[record]! - 1) {
      this.comparisons++
      if (this.#dominates(record, linearized, takenCounts, state, lastMoveFrom)) return true
    }
    return false
  }

  #dominates(
    record: number,
    linearized: Uint32Array,
    takenCounts: Uint32Array,
    state: number,
    lastMoveFrom: number,
  ): boolean {
    const arena = this.#arena
    if (arena[record + 1] !== state || arena[record + 2] !== lastMoveFrom + 1) return false
    const linearizedStart = record + 3
    for (let index = 0; index < linearized.length; index++) {
      if (arena[linearizedStart + index] !== linearized[index]) return false
    }
    const takenStart = linearizedStart + this.#linearizedWords
    for (let index = 0; index < takenCounts.length; index++) {
      if (arena[takenStart + index]! > takenCounts[index]!) return false
    }
    return true
  }

  #append(
    next: number,
    linearized: Uint32Array,
    takenCounts: Uint32Array,
    state: number,
    lastMoveFrom: number,
  ): number {
    if (this.#usedWords + this.#recordWords > this.#arena.length) {
      const grown = new Uint32Array(Math.min(this.#arena.length * 2, cacheWordsMax))
      grown.set(this.#arena)
      this.#arena = grown
    }
    const record = this.#usedWords
    this.#usedWords += this.#recordWords
    this.#arena[record] = next
    this.#arena[record + 1] = state
    this.#arena[record + 2] = lastMoveFrom + 1
    this.#arena.set(linearized, record + 3)
    this.#arena.set(takenCounts, record + 3 + this.#linearizedWords)
    return record
  }
}

// ---- Reporting ----

function describe(operation: KvOperation): string {
  const { clientId, input, output, callTime, returnTime } = operation
  let call = `${input.kind}()`
  if (input.kind === 'put') call = `put(${formatValue(input.value)})`
  if (input.kind === 'cas') call = `cas(${formatValue(input.expected)} -> ${formatValue(input.value)})`
  const interval = output === null ? `[${callTime}, never returned]` : `[${callTime}, ${returnTime}]`
  return `client ${clientId} ${call} -> ${formatOutput(output)} ${interval}`
}

function formatOutput(output: KvOutput | null): string {
  if (output === null) return 'unknown'
  switch (output.kind) {
    case 'put':
      return 'ok'
    case 'get':
      return formatValue(output.value)
    case 'cas':
      return output.ok ? 'ok' : 'failed'
    case 'delete':
      return output.existed ? 'existed' : 'was absent'
  }
}

function formatValue(value: string | null): string {
  return value === null ? 'absent' : JSON.stringify(value)
}
