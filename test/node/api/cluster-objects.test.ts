import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ClusterState } from '../../../core/cluster.ts'
import { expiredEvents, missingClusterObjects } from '../../../node/api/cluster-objects.ts'

function bootstrapped(): ClusterState {
  const state = new ClusterState()
  state.apply(1, {
    type: 'bootstrap',
    clusterId: 'c1',
    settings: {
      voters: 3,
      standbys: 2,
      autopilotGraceMs: 10_000,
      nodeNotReadyGraceMs: 10_000,
      evictionTimeoutMs: 5_000,
    },
    member: { id: 'id-1', name: 'n1', p2pAddresses: [], apiAddress: '127.0.0.1:6443' },
    tokenHashes: [],
  })
  return state
}

test('a new cluster gets its namespaces, the kubernetes Service and a Node per member, once', () => {
  const state = bootstrapped()
  const commands = missingClusterObjects(state)
  state.apply(2, { type: 'api', command: { op: 'batch', commands } })
  const names = (plural: string) => state.objects.list({ group: '', plural }).map((o) => o.metadata.name)
  assert.equal(names('namespaces'), ['default', 'kube-public', 'kube-system'])
  assert.equal(names('services'), ['kubernetes'])
  assert.equal(names('nodes'), ['n1'])
  assert.equal(missingClusterObjects(state), [], 'nothing more to create')
  state.apply(3, {
    type: 'join',
    member: { id: 'id-2', name: 'n2', p2pAddresses: [], apiAddress: '127.0.0.2:6443' },
    wants: 'auto',
  })
  assert.equal(
    missingClusterObjects(state).map((c) => (c.op === 'create' ? c.object.metadata.name : c.op)),
    ['n2'],
  )
})

test('events expire an hour after they last happened', () => {
  const state = bootstrapped()
  state.apply(2, { type: 'api', command: { op: 'batch', commands: missingClusterObjects(state) } })
  const event = (name: string, lastTimestamp: string) => ({
    op: 'create' as const,
    resource: { group: '', plural: 'events', kind: 'Event', namespaced: true, hasStatus: false },
    object: {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: 'default', uid: `uid-${name}` },
      involvedObject: { kind: 'Pod', name },
      reason: 'Test',
      message: name,
      lastTimestamp,
    },
  })
  state.apply(3, { type: 'api', command: event('old', '2026-11-26T00:00:00Z') })
  state.apply(4, { type: 'api', command: event('new', '2026-11-26T00:59:00Z') })
  const now = Date.parse('2026-11-26T01:00:30Z')
  const expired = expiredEvents(state, now)
  assert.equal(
    expired.map((c) => (c.op === 'delete' ? c.name : c.op)),
    ['old'],
  )
  state.apply(5, { type: 'api', command: { op: 'batch', commands: expired } })
  assert.equal(
    state.objects.list({ group: '', plural: 'events' }).map((e) => e.metadata.name),
    ['new'],
  )
})

test.run()
