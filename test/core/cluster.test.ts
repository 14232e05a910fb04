// The cluster state machine (core/cluster.ts): who joins as what, atomic voter replacement,
// tombstones, settings validation, the key-value store's versions and preconditions, the state and
// command formats, and determinism (a replica fed the log and one restored from a snapshot agree).
//
//   COX_SEED=n node test/core/cluster.test.ts   reproduces the randomized determinism test

import { Packr } from 'msgpackr'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  ClusterFormatError,
  type ClusterSettings,
  ClusterState,
  type Command,
  type CommandResult,
  commandFormatVersion,
  decodeCommand,
  defaultSettings,
  encodeCommand,
  type Member,
  type MemberRole,
  settingsProblem,
  type TokenHash,
} from '../../core/cluster.ts'
import { type Random, seededRandom } from '../../core/random.ts'

const test = suite('core: cluster')

const seed = process.env.COX_SEED === undefined ? 20_250_301 : Number(process.env.COX_SEED)
console.log(`cluster: seed=${seed} (set COX_SEED to reproduce)`)

type Joiner = Omit<Member, 'role' | 'joinedIndex'>

const joiner = (id: string, host = '10.0.0.1'): Joiner => ({
  id,
  name: `node-${id}`,
  p2pAddresses: [`/ip4/${host}/tcp/7000/p2p/${id}`],
  apiAddress: `https://${host}:7443`,
})

const adminToken: TokenHash = { sha256: 'a'.repeat(64), access: 'admin' }

/** A state bootstrapped at index 1 by `n0`; the next free index is 2. */
function bootstrapped(settings: Partial<ClusterSettings> = {}): ClusterState {
  const state = new ClusterState()
  const result = state.apply(1, {
    type: 'bootstrap',
    clusterId: 'cluster-1',
    settings: { ...defaultSettings, ...settings },
    member: joiner('n0'),
    tokenHashes: [adminToken],
  })
  assert.equal(result, { ok: true, role: 'voter' })
  return state
}

/** Joins `ids` in order at indexes from `firstIndex`; returns the roles the cluster gave them. */
function join(state: ClusterState, ids: string[], firstIndex: number): MemberRole[] {
  return ids.map((id, i) => {
    const result = state.apply(firstIndex + i, { type: 'join', member: joiner(id), wants: 'auto' })
    assert.ok(result.ok, `join ${id}: ${JSON.stringify(result)}`)
    return (result as { role: MemberRole }).role
  })
}

const roleOf = (state: ClusterState, id: string): MemberRole | undefined => state.members.get(id)?.role
const counts = (state: ClusterState) => ({
  voter: state.count('voter'),
  standby: state.count('standby'),
  worker: state.count('worker'),
})

/** Applies a command that must be refused, and checks that it left the state as it was. */
function assertRefused(state: ClusterState, index: number, command: Command, code: 'invalid' | 'notFound') {
  const before = state.encode()
  const result = state.apply(index, command)
  assert.is(result.ok, false, `${command.type} should be refused`)
  assert.is((result as { code: string }).code, code)
  assert.equal(state.encode(), before, `${command.type} was refused but changed the state`)
  return result
}

// ---------------------------------------------------------------- members

test('bootstrap founds the cluster once; a second bootstrap is refused and changes nothing', () => {
  const state = bootstrapped({ voters: 5 })
  assert.is(state.clusterId, 'cluster-1')
  assert.is(state.settings.voters, 5)
  assert.equal(state.members.get('n0'), { ...joiner('n0'), role: 'voter', joinedIndex: 1 })
  assert.equal([...state.tokens.values()], [adminToken])

  const result = assertRefused(
    state,
    2,
    {
      type: 'bootstrap',
      clusterId: 'cluster-2',
      settings: defaultSettings,
      member: joiner('intruder'),
      tokenHashes: [{ sha256: 'b'.repeat(64), access: 'admin' }],
    },
    'invalid',
  )
  assert.match((result as { message: string }).message, 'already bootstrapped')
  assert.is(state.clusterId, 'cluster-1')
  assert.not.ok(state.members.has('intruder'))
})

test('joiners become voters up to the target, then standbys up to theirs, then workers', () => {
  const state = bootstrapped({ voters: 3, standbys: 2 })
  const roles = join(state, ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'], 2)
  assert.equal(roles, ['voter', 'voter', 'standby', 'standby', 'worker', 'worker'])
  assert.equal(counts(state), { voter: 3, standby: 2, worker: 2 })
  assert.is(state.members.get('n3')!.joinedIndex, 4, 'joinedIndex is the index of the join')
})

test('a joiner that wants to be a worker is one, even while voters and standbys are wanted', () => {
  const state = bootstrapped({ voters: 3, standbys: 2 })
  const result = state.apply(2, { type: 'join', member: joiner('n1'), wants: 'worker' })
  assert.equal(result, { ok: true, role: 'worker' })
  assert.equal(counts(state), { voter: 1, standby: 0, worker: 1 })
  assert.is(join(state, ['n2'], 3)[0], 'voter', 'the next automatic joiner still fills the voter gap')
})

test('joins applied back to back never overshoot the targets', () => {
  // Guards against a role decided from a stale count: each join must see the ones before it.
  const state = bootstrapped({ voters: 3, standbys: 2 })
  join(
    state,
    Array.from({ length: 9 }, (_, i) => `n${i + 1}`),
    2,
  )
  assert.equal(counts(state), { voter: 3, standby: 2, worker: 5 })
})

test('a repeated join keeps the role and the joinedIndex, and takes the new addresses', () => {
  const state = bootstrapped({ voters: 3, standbys: 2 })
  join(state, ['n1', 'n2', 'n3', 'n4', 'n5'], 2) // n1 voter, n2 voter, n3 n4 standbys, n5 worker
  const moved = joiner('n1', '10.0.0.9')
  const result = state.apply(10, { type: 'join', member: moved, wants: 'worker' })
  assert.equal(result, { ok: true, role: 'voter' })
  assert.equal(state.members.get('n1'), { ...moved, role: 'voter', joinedIndex: 2 })
  assert.equal(counts(state), { voter: 3, standby: 2, worker: 1 })
})

test('replaceVoter swaps the roles in one step and tombstones the dead voter', () => {
  const state = bootstrapped({ voters: 3, standbys: 2 })
  join(state, ['n1', 'n2', 'n3', 'n4'], 2) // voters n0 n1 n2, standbys n3 n4
  const result = state.apply(6, { type: 'replaceVoter', dead: 'n1', standby: 'n3' })
  assert.equal(result, { ok: true })
  assert.not.ok(state.members.has('n1'))
  assert.ok(state.removed.has('n1'))
  assert.is(roleOf(state, 'n3'), 'voter')
  assert.equal(counts(state), { voter: 3, standby: 1, worker: 0 })
})

test('replaceVoter is refused, changing nothing, unless it names a voter and a standby', () => {
  const state = bootstrapped({ voters: 3, standbys: 2 })
  join(state, ['n1', 'n2', 'n3', 'n4', 'n5'], 2) // voters n0 n1 n2, standbys n3 n4, worker n5
  const cases: [string, string][] = [
    ['n3', 'n4'], // the "dead" one is a standby
    ['n5', 'n3'], // ... a worker
    ['ghost', 'n3'], // ... unknown
    ['n1', 'n2'], // the replacement is a voter
    ['n1', 'n5'], // ... a worker
    ['n1', 'ghost'], // ... unknown
  ]
  for (const [dead, standby] of cases) {
    const result = assertRefused(state, 8, { type: 'replaceVoter', dead, standby }, 'invalid')
    assert.match((result as { message: string }).message, /is not a (voter|standby)/)
  }
  assert.is(state.removed.size, 0)
})

test('remove tombstones a member; joining again clears the tombstone and starts afresh', () => {
  const state = bootstrapped({ voters: 3, standbys: 0 })
  join(state, ['n1', 'n2', 'n3'], 2) // voters n0 n1 n2, worker n3
  assert.equal(state.apply(5, { type: 'remove', id: 'n1' }), { ok: true })
  assert.not.ok(state.members.has('n1'))
  assert.ok(state.removed.has('n1'))

  assertRefused(state, 6, { type: 'remove', id: 'n1' }, 'notFound')
  assert.equal(state.apply(7, { type: 'join', member: joiner('n1'), wants: 'auto' }), {
    ok: true,
    role: 'voter',
  })
  assert.not.ok(state.removed.has('n1'))
  assert.is(state.members.get('n1')!.joinedIndex, 7)
})

test('setRole changes the role of a member, and is refused for an unknown one', () => {
  const state = bootstrapped()
  join(state, ['n1'], 2)
  assert.equal(state.apply(3, { type: 'setRole', id: 'n1', role: 'worker' }), { ok: true, role: 'worker' })
  assert.is(roleOf(state, 'n1'), 'worker')
  assertRefused(state, 4, { type: 'setRole', id: 'ghost', role: 'voter' }, 'notFound')
})

test('memberByName finds a member by id or by name', () => {
  const state = bootstrapped()
  join(state, ['n1'], 2)
  assert.is(state.memberByName('n1')?.id, 'n1')
  assert.is(state.memberByName('node-n1')?.id, 'n1')
  assert.is(state.memberByName('nobody'), undefined)
})

// ---------------------------------------------------------------- settings and tokens

test('settings accepts a valid change and refuses invalid ones, keeping the old settings', () => {
  const state = bootstrapped()
  assert.equal(state.apply(2, { type: 'settings', settings: { voters: 5, standbys: 0 } }), { ok: true })
  assert.equal(state.settings, { ...defaultSettings, voters: 5, standbys: 0 })

  const refusals: [Partial<ClusterSettings>, RegExp][] = [
    [{ voters: 2 }, /voters must be one of 1, 3, 5 \(got 2\)/],
    [{ voters: 7 }, /voters/],
    [{ standbys: -1 }, /standbys must be an integer from 0 to 9 \(got -1\)/],
    [{ standbys: 10 }, /standbys/],
    [{ standbys: 1.5 }, /standbys/],
    [{ autopilotGraceMs: 99 }, /autopilotGraceMs must be a whole number of milliseconds from 100/],
    [{ autopilotGraceMs: 86_400_001 }, /autopilotGraceMs/],
    [{ nodeNotReadyGraceMs: 0 }, /nodeNotReadyGraceMs/],
    [{ evictionTimeoutMs: 1000.5 }, /evictionTimeoutMs/],
    [{ voters: 3, standbys: -1 }, /standbys/], // one bad field refuses the whole change
  ]
  for (const [settings, message] of refusals) {
    const result = assertRefused(state, 3, { type: 'settings', settings }, 'invalid')
    assert.match((result as { message: string }).message, message)
  }
  assert.equal(state.settings, { ...defaultSettings, voters: 5, standbys: 0 })
})

test('settingsProblem accepts the defaults and the edges of each range', () => {
  assert.is(settingsProblem(defaultSettings), null)
  assert.is(settingsProblem({ ...defaultSettings, voters: 1, standbys: 0, autopilotGraceMs: 100 }), null)
  assert.is(
    settingsProblem({ ...defaultSettings, voters: 5, standbys: 9, evictionTimeoutMs: 86_400_000 }),
    null,
  )
  assert.type(settingsProblem({ ...defaultSettings, autopilotGraceMs: Number.NaN }), 'string')
})

test('addToken adds a token hash, and the same hash again replaces it', () => {
  const state = bootstrapped()
  const read: TokenHash = { sha256: 'c'.repeat(64), access: 'read' }
  assert.equal(state.apply(2, { type: 'addToken', token: read }), { ok: true })
  assert.equal(state.apply(3, { type: 'addToken', token: { ...read, access: 'admin' } }), { ok: true })
  assert.is(state.tokens.size, 2)
  assert.is(state.tokens.get(read.sha256)!.access, 'admin')
})

// ---------------------------------------------------------------- key-value

const bytes = (text: string) => new TextEncoder().encode(text)

test('kvPut stores the value with the log index as its version, and says whether it created it', () => {
  const state = bootstrapped()
  assert.equal(state.apply(5, { type: 'kvPut', key: 'a', value: bytes('1') }), {
    ok: true,
    version: 5,
    created: true,
  })
  assert.equal(state.apply(9, { type: 'kvPut', key: 'a', value: bytes('2') }), {
    ok: true,
    version: 9,
    created: false,
  })
  assert.equal(state.kv.get('a'), { value: bytes('2'), version: 9 })
})

test('kvPut with ifVersion sets only when the version matches, else answers the current one', () => {
  const state = bootstrapped()
  state.apply(5, { type: 'kvPut', key: 'a', value: bytes('1') })

  const mismatch = state.apply(6, { type: 'kvPut', key: 'a', value: bytes('x'), ifVersion: 4 })
  assert.equal(mismatch, { ok: false, code: 'preconditionFailed', version: 5 })
  assert.equal(state.kv.get('a'), { value: bytes('1'), version: 5 })

  const matched = state.apply(7, { type: 'kvPut', key: 'a', value: bytes('2'), ifVersion: 5 })
  assert.equal(matched, { ok: true, version: 7, created: false })
  assert.equal(state.kv.get('a'), { value: bytes('2'), version: 7 })

  const absent = state.apply(8, { type: 'kvPut', key: 'b', value: bytes('x'), ifVersion: 3 })
  assert.equal(absent, { ok: false, code: 'preconditionFailed', version: 0 }, 'an absent key has version 0')
  assert.not.ok(state.kv.has('b'))
})

test('kvPut with ifVersion 0 creates only: it succeeds on an absent key and fails on a present one', () => {
  const state = bootstrapped()
  assert.equal(state.apply(5, { type: 'kvPut', key: 'a', value: bytes('1'), ifVersion: 0 }), {
    ok: true,
    version: 5,
    created: true,
  })
  const again = state.apply(6, { type: 'kvPut', key: 'a', value: bytes('2'), ifVersion: 0 })
  assert.equal(again, { ok: false, code: 'preconditionFailed', version: 5 })
  assert.equal(state.kv.get('a'), { value: bytes('1'), version: 5 })
})

test('kvDelete: notFound for an absent key, preconditionFailed on a version mismatch, else ok', () => {
  const state = bootstrapped()
  assertRefused(state, 4, { type: 'kvDelete', key: 'a' }, 'notFound')
  state.apply(5, { type: 'kvPut', key: 'a', value: bytes('1') })

  const before = state.encode()
  assert.equal(state.apply(6, { type: 'kvDelete', key: 'a', ifVersion: 4 }), {
    ok: false,
    code: 'preconditionFailed',
    version: 5,
  })
  assert.equal(state.encode(), before)

  assert.equal(state.apply(7, { type: 'kvDelete', key: 'a', ifVersion: 5 }), { ok: true, version: 7 })
  assert.not.ok(state.kv.has('a'))
  state.apply(8, { type: 'kvPut', key: 'b', value: bytes('1') })
  assert.equal(state.apply(9, { type: 'kvDelete', key: 'b' }), { ok: true, version: 9 }, 'no precondition')
})

// ---------------------------------------------------------------- formats

/** Every observable part of a state, with binary values as plain arrays so types cannot differ. */
function snapshotOf(state: ClusterState) {
  return {
    clusterId: state.clusterId,
    settings: state.settings,
    members: [...state.members.values()],
    removed: [...state.removed],
    tokens: [...state.tokens.values()],
    kv: [...state.kv].map(([key, record]) => [key, [...record.value], record.version]),
  }
}

test('encode then decode gives back the same members, tombstones, tokens, kv and settings', () => {
  const state = bootstrapped({ voters: 5, standbys: 1, autopilotGraceMs: 30_000 })
  join(state, ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'], 2)
  state.apply(8, { type: 'remove', id: 'n6' })
  state.apply(9, { type: 'addToken', token: { sha256: 'd'.repeat(64), access: 'read' } })
  const binary = Uint8Array.from({ length: 256 }, (_, i) => i) // every byte value, including 0 and 0xff
  state.apply(10, { type: 'kvPut', key: 'bin', value: binary })
  state.apply(11, { type: 'kvPut', key: 'empty', value: new Uint8Array(0) })
  state.apply(12, { type: 'kvPut', key: 'ключ/∞', value: bytes('unicode key') })

  const decoded = ClusterState.decode(state.encode())
  assert.equal(snapshotOf(decoded), snapshotOf(state))
  assert.ok(decoded.kv.get('bin')!.value instanceof Uint8Array)
  assert.equal(decoded.encode(), state.encode(), 'decode then encode is byte-identical')
  assert.equal(snapshotOf(ClusterState.decode(new ClusterState().encode())), snapshotOf(new ClusterState()))
})

test('a decoded state goes on applying commands like the original', () => {
  const state = bootstrapped({ voters: 3, standbys: 1 })
  join(state, ['n1', 'n2'], 2)
  const decoded = ClusterState.decode(state.encode())
  assert.equal(join(decoded, ['n3', 'n4'], 4), ['standby', 'worker'], 'the counts and settings survived')
  assertRefused(decoded, 6, { type: 'remove', id: 'ghost' }, 'notFound')
})

test('encodeCommand then decodeCommand gives back every kind of command', () => {
  const commands: Command[] = [
    {
      type: 'bootstrap',
      clusterId: 'c',
      settings: defaultSettings,
      member: joiner('n0'),
      tokenHashes: [adminToken],
    },
    { type: 'join', member: joiner('n1'), wants: 'worker' },
    { type: 'setRole', id: 'n1', role: 'standby' },
    { type: 'replaceVoter', dead: 'n0', standby: 'n1' },
    { type: 'remove', id: 'n1' },
    { type: 'settings', settings: { voters: 5 } },
    { type: 'addToken', token: adminToken },
    { type: 'kvPut', key: 'k', value: Uint8Array.of(0, 1, 255), ifVersion: 0 },
    { type: 'kvDelete', key: 'k', ifVersion: 3 },
  ]
  for (const command of commands) {
    const encoded = encodeCommand(command)
    assert.is(encoded[0], commandFormatVersion, 'the first byte is the format version')
    const decoded = decodeCommand(encoded)
    if (command.type === 'kvPut' && decoded.type === 'kvPut') {
      assert.equal([...decoded.value], [...command.value])
      assert.equal({ ...decoded, value: null }, { ...command, value: null })
    } else {
      assert.equal(decoded, command)
    }
  }
})

function assertFormatError(bytes: Uint8Array, message: RegExp) {
  try {
    const decoded = decodeCommand(bytes)
    assert.unreachable(`decoded ${JSON.stringify([...bytes])} as ${JSON.stringify(decoded)}`)
  } catch (error) {
    assert.instance(error, ClusterFormatError)
    assert.is((error as ClusterFormatError).code, 'ERR_CLUSTER_FORMAT')
    assert.match((error as Error).message, message)
  }
}

test('decodeCommand refuses well-formed msgpack that is not a command; apply refuses unknown types', () => {
  const packed = (value: unknown) =>
    Uint8Array.of(commandFormatVersion, ...new Packr({ useRecords: false }).pack(value))
  assertFormatError(Uint8Array.of(commandFormatVersion, 0x05), /not a known command/)
  assertFormatError(packed({ type: 'drain', id: 'n1' }), /not a known command/)
  assertFormatError(packed({ type: 'kvPut', key: 'k' }), /kvPut without a binary value/)
  assertFormatError(Uint8Array.of(commandFormatVersion), /too short \(1 bytes\)/)
  const result = new ClusterState().apply(1, { type: 'drain', id: 'n1' } as unknown as Command)
  assert.equal(result, { ok: false, code: 'invalid', message: 'unknown command type drain' })
})

test('decodeCommand refuses a wrong format version and malformed bodies with ClusterFormatError', () => {
  const good = encodeCommand({ type: 'remove', id: 'n1' })
  const future = Uint8Array.from(good)
  future[0] = commandFormatVersion + 1
  assertFormatError(future, /format 2 is not supported \(this build reads 1\)/)
  assertFormatError(Uint8Array.of(0, ...good.subarray(1)), /format 0 is not supported/)
  assertFormatError(new Uint8Array(0), /too short \(0 bytes\)/)
  assertFormatError(good.subarray(0, good.length - 3), /cluster command: malformed/) // truncated
  assertFormatError(Uint8Array.of(...good, 0x00), /cluster command: malformed/) // trailing bytes
  assertFormatError(Uint8Array.of(commandFormatVersion, 0x92, 0x01), /cluster command: malformed/)
})

test('ClusterState.decode refuses a state of another format', () => {
  const bytes = new ClusterState().encode()
  bytes[0] = 9
  assert.throws(
    () => ClusterState.decode(bytes),
    (error: Error) => error instanceof ClusterFormatError && /cluster state: format 9/.test(error.message),
  )
})

// ---------------------------------------------------------------- determinism

const ids = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8']
const keys = ['a', 'b', 'c', 'd']
const roles: MemberRole[] = ['voter', 'standby', 'worker']

/** A random command, often valid and sometimes not, knowing the current state so CAS can match. */
function randomCommand(random: Random, state: ClusterState): Command {
  const id = random.pick(ids)
  const key = random.pick(keys)
  switch (random.int(0, 9)) {
    case 0:
    case 1:
      return {
        type: 'join',
        member: joiner(id, `10.0.0.${random.int(1, 9)}`),
        wants: random.chance(0.2) ? 'worker' : 'auto',
      }
    case 2:
      return { type: 'setRole', id, role: random.pick(roles) }
    case 3:
      return { type: 'replaceVoter', dead: id, standby: random.pick(ids) }
    case 4:
      return { type: 'remove', id }
    case 5:
      return {
        type: 'settings',
        settings: random.chance(0.5)
          ? { voters: random.pick([1, 2, 3, 5]) }
          : { standbys: random.int(-1, 4), autopilotGraceMs: random.pick([50, 5_000, 20_000]) },
      }
    case 6:
      return { type: 'addToken', token: { sha256: random.int(0, 5).toString(16).repeat(64), access: 'read' } }
    case 7:
    case 8: {
      const value = Uint8Array.from({ length: random.int(0, 16) }, () => random.int(0, 255))
      const current = state.kv.get(key)?.version ?? 0
      const ifVersion = random.pick([undefined, current, 0, current + 1])
      return ifVersion === undefined
        ? { type: 'kvPut', key, value }
        : { type: 'kvPut', key, value, ifVersion }
    }
    default: {
      const current = state.kv.get(key)?.version ?? 0
      const ifVersion = random.pick([undefined, current, current + 1])
      return ifVersion === undefined ? { type: 'kvDelete', key } : { type: 'kvDelete', key, ifVersion }
    }
  }
}

test('replicas fed the same commands agree byte for byte, through the log format and snapshots', () => {
  // Guards against nondeterminism in apply (iteration order, object identity, anything local):
  // one replica applies the commands as proposed, the other as decoded from the log, and is
  // restored from its own snapshot now and then, as a lagging follower would be.
  const random = seededRandom(seed)
  const commandsMax = 3_000
  const proposer = bootstrapped({ voters: 3, standbys: 2 })
  let follower = bootstrapped({ voters: 3, standbys: 2 })
  const outcomes = new Map<string, number>()
  for (let index = 2; index < commandsMax + 2; index++) {
    const command = randomCommand(random, proposer)
    const expected: CommandResult = proposer.apply(index, command)
    const actual = follower.apply(index, decodeCommand(encodeCommand(command)))
    assert.equal(actual, expected, `seed=${seed} index ${index}: ${command.type}`)
    const outcome = `${command.type} ${expected.ok ? 'ok' : (expected as { code: string }).code}`
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
    if (random.chance(0.02)) follower = ClusterState.decode(follower.encode())
    if (index % 500 === 0) assert.equal(follower.encode(), proposer.encode(), `seed=${seed} index ${index}`)
  }
  assert.equal(follower.encode(), proposer.encode(), `seed=${seed}: the replicas diverged`)
  // The run must have exercised both sides of the interesting branches to mean anything.
  for (const outcome of [
    'join ok',
    'replaceVoter ok',
    'replaceVoter invalid',
    'settings invalid',
    'kvPut ok',
  ]) {
    assert.ok((outcomes.get(outcome) ?? 0) > 0, `seed=${seed}: no "${outcome}" in ${[...outcomes.keys()]}`)
  }
  assert.ok((outcomes.get('kvPut preconditionFailed') ?? 0) > 0, `seed=${seed}: no failed compare-and-set`)
})

test.run()
