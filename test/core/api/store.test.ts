import { Packr } from 'msgpackr'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { KubeObject } from '../../../core/api/object.ts'
import { type ApiCommand, ObjectStore, type ResourceRef } from '../../../core/api/store.ts'
import {
  ClusterFormatError,
  ClusterState,
  decodeCommand,
  defaultSettings,
  encodeCommand,
  objectsPerStateChunk,
} from '../../../core/cluster.ts'

const test = suite('core: api object store')

const namespaces: ResourceRef = {
  group: '',
  plural: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
  hasStatus: true,
}
const deployments: ResourceRef = {
  group: 'apps',
  plural: 'deployments',
  kind: 'Deployment',
  namespaced: true,
  hasStatus: true,
}
const replicasets: ResourceRef = {
  group: 'apps',
  plural: 'replicasets',
  kind: 'ReplicaSet',
  namespaced: true,
  hasStatus: true,
}
const configmaps: ResourceRef = {
  group: '',
  plural: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
  hasStatus: false,
}
const services: ResourceRef = {
  group: '',
  plural: 'services',
  kind: 'Service',
  namespaced: true,
  hasStatus: true,
}
const now = '2026-11-26T00:00:00Z'

function object(
  kind: string,
  name: string,
  extra: Partial<KubeObject> & { namespace?: string; uid?: string } = {},
): KubeObject {
  const { namespace, uid, ...rest } = extra
  return {
    apiVersion: kind === 'Deployment' || kind === 'ReplicaSet' ? 'apps/v1' : 'v1',
    kind,
    ...rest,
    metadata: {
      name,
      ...(namespace ? { namespace } : {}),
      uid: uid ?? `uid-${name}`,
      ...(rest.metadata ?? {}),
    },
  }
}

function withNamespace(store: ObjectStore, name = 'default', index = 1): void {
  const { result } = store.apply(index, {
    op: 'create',
    resource: namespaces,
    object: object('Namespace', name),
  })
  assert.ok(result.ok)
}

test('create sets resourceVersion to the index and generation 1; a second create is AlreadyExists', () => {
  const store = new ObjectStore()
  withNamespace(store)
  const created = store.apply(2, {
    op: 'create',
    resource: deployments,
    object: object('Deployment', 'web', { namespace: 'default', spec: { replicas: 1 } }),
  })
  assert.ok(created.result.ok)
  const stored = store.get(deployments, 'default', 'web')!
  assert.is(stored.metadata.resourceVersion, '2')
  assert.is(stored.metadata.generation, 1)
  assert.equal(
    created.changes.map((c) => c.type),
    ['ADDED'],
  )
  const again = store.apply(3, {
    op: 'create',
    resource: deployments,
    object: object('Deployment', 'web', { namespace: 'default' }),
  })
  assert.equal(again.result, {
    ok: false,
    code: 409,
    reason: 'AlreadyExists',
    message: 'deployments.apps "web" already exists',
    details: { name: 'web', group: 'apps', kind: 'deployments' },
  })
  assert.equal(again.changes, [])
})

test('bind writes only the node name, once; a stale or missing pod is refused', () => {
  const pods: ResourceRef = { group: '', plural: 'pods', kind: 'Pod', namespaced: true, hasStatus: true }
  const store = new ObjectStore()
  withNamespace(store)
  const pod = object('Pod', 'p', { namespace: 'default', spec: { containers: [{ name: 'c', image: 'x' }] } })
  assert.ok(store.apply(2, { op: 'create', resource: pods, object: pod }).result.ok)
  const bind = (index: number, node: string, resourceVersion: string, name = 'p') =>
    store.apply(index, {
      op: 'bind',
      resource: pods,
      namespace: 'default',
      name,
      node,
      expected: { resourceVersion, uid: 'uid-p' },
    })
  const stale = bind(3, 'n1', '1')
  assert.is(stale.result.ok, false)
  assert.is(stale.result.ok === false && stale.result.code, 409)
  const bound = bind(4, 'n1', '2')
  assert.ok(bound.result.ok)
  assert.equal(
    bound.changes.map((c) => c.type),
    ['MODIFIED'],
  )
  const live = store.get(pods, 'default', 'p')!
  assert.is((live.spec as { nodeName: string }).nodeName, 'n1')
  assert.is(live.metadata.resourceVersion, '4')
  assert.equal(
    (live.spec as { containers: unknown[] }).containers,
    [{ name: 'c', image: 'x' }],
    'the rest untouched',
  )
  const again = bind(5, 'n2', '4')
  assert.is(again.result.ok === false && again.result.message, 'pod p is already assigned to node "n1"')
  const missing = bind(6, 'n1', '4', 'nobody')
  assert.is(missing.result.ok === false && missing.result.code, 404)
})

test('check writes nothing and fails unless the object is as expected', () => {
  const store = new ObjectStore()
  withNamespace(store)
  assert.ok(
    store.apply(2, {
      op: 'create',
      resource: configmaps,
      object: object('ConfigMap', 'c', { namespace: 'default' }),
    }).result.ok,
  )
  const check = (index: number, expected: { resourceVersion?: string; uid?: string }, name = 'c') =>
    store.apply(index, { op: 'check', resource: configmaps, namespace: 'default', name, expected })
  const ok = check(3, { resourceVersion: '2', uid: 'uid-c' })
  assert.ok(ok.result.ok)
  assert.is(ok.changes.length, 0, 'nothing written')
  assert.is(store.get(configmaps, 'default', 'c')!.metadata.resourceVersion, '2')
  const stale = check(4, { resourceVersion: '1' })
  assert.is(stale.result.ok === false && stale.result.code, 409)
  const other = check(5, { uid: 'someone-else' })
  assert.is(other.result.ok === false && other.result.code, 409)
  const missing = check(6, {}, 'gone')
  assert.is(missing.result.ok === false && missing.result.code, 404)
})

test('create in a missing or terminating namespace is refused', () => {
  const store = new ObjectStore()
  const missing = store.apply(1, {
    op: 'create',
    resource: configmaps,
    object: object('ConfigMap', 'c', { namespace: 'nope' }),
  })
  assert.is(missing.result.ok, false)
  assert.is((missing.result as { code: number }).code, 404)
  withNamespace(store, 'dying', 2)
  store.apply(3, {
    op: 'update',
    resource: namespaces,
    object: object('Namespace', 'dying', {
      metadata: { name: 'dying', uid: 'uid-dying', finalizers: ['keep'] },
    }),
    subresource: null,
    now,
  })
  store.apply(4, {
    op: 'delete',
    resource: namespaces,
    namespace: '',
    name: 'dying',
    propagation: 'Background',
    now,
  })
  assert.ok(
    store.get(namespaces, '', 'dying')?.metadata.deletionTimestamp,
    'terminating, held by its finalizer',
  )
  const refused = store.apply(5, {
    op: 'create',
    resource: configmaps,
    object: object('ConfigMap', 'c', { namespace: 'dying' }),
  })
  assert.is((refused.result as { code: number }).code, 403)
})

test('update: stale resourceVersion conflicts; a spec change bumps generation, a label change does not', () => {
  const store = new ObjectStore()
  withNamespace(store)
  store.apply(2, {
    op: 'create',
    resource: deployments,
    object: object('Deployment', 'web', { namespace: 'default', spec: { replicas: 1 } }),
  })
  const stale = store.apply(3, {
    op: 'update',
    resource: deployments,
    object: object('Deployment', 'web', { namespace: 'default', spec: { replicas: 2 } }),
    subresource: null,
    expected: { resourceVersion: '1' },
    now,
  })
  assert.is((stale.result as { code: number }).code, 409)
  assert.match((stale.result as { message: string }).message, /the object has been modified/)
  const scaled = store.apply(4, {
    op: 'update',
    resource: deployments,
    object: object('Deployment', 'web', { namespace: 'default', spec: { replicas: 2 } }),
    subresource: null,
    expected: { resourceVersion: '2' },
    now,
  })
  assert.ok(scaled.result.ok)
  assert.is(store.get(deployments, 'default', 'web')!.metadata.generation, 2)
  assert.is(store.get(deployments, 'default', 'web')!.metadata.resourceVersion, '4')
  store.apply(5, {
    op: 'update',
    resource: deployments,
    object: object('Deployment', 'web', {
      namespace: 'default',
      spec: { replicas: 2 },
      metadata: { name: 'web', labels: { a: 'b' } },
    }),
    subresource: null,
    now,
  })
  assert.is(store.get(deployments, 'default', 'web')!.metadata.generation, 2)
  assert.equal(store.get(deployments, 'default', 'web')!.metadata.labels, { a: 'b' })
})

test('an update that changes nothing keeps the resourceVersion and emits no event', () => {
  const store = new ObjectStore()
  withNamespace(store)
  store.apply(2, {
    op: 'create',
    resource: configmaps,
    object: object('ConfigMap', 'c', { namespace: 'default', data: { a: '1' } }),
  })
  const same = store.apply(3, {
    op: 'update',
    resource: configmaps,
    object: object('ConfigMap', 'c', { namespace: 'default', data: { a: '1' } }),
    subresource: null,
    now,
  })
  assert.ok(same.result.ok)
  assert.equal(same.changes, [])
  assert.is(store.get(configmaps, 'default', 'c')!.metadata.resourceVersion, '2')
  const managed = (time: string) =>
    object('ConfigMap', 'c', {
      namespace: 'default',
      data: { a: '1' },
      metadata: { name: 'c', managedFields: [{ manager: 'cox', operation: 'Apply', time }] },
    })
  store.apply(3, {
    op: 'update',
    resource: configmaps,
    object: managed('2026-11-26T00:00:01Z'),
    subresource: null,
    now,
  })
  const reapplied = store.apply(4, {
    op: 'update',
    resource: configmaps,
    object: managed('2026-11-26T00:00:09Z'),
    subresource: null,
    now,
  })
  assert.equal(reapplied.changes, [], 'an apply that changed nothing but its timestamp is not written')
  assert.is(store.get(configmaps, 'default', 'c')!.metadata.resourceVersion, '3')
})

test('status is written only through the status subresource', () => {
  const store = new ObjectStore()
  withNamespace(store)
  store.apply(2, {
    op: 'create',
    resource: deployments,
    object: object('Deployment', 'web', { namespace: 'default', spec: { replicas: 1 } }),
  })
  store.apply(3, {
    op: 'update',
    resource: deployments,
    object: object('Deployment', 'web', {
      namespace: 'default',
      spec: { replicas: 1 },
      status: { replicas: 9 },
    }),
    subresource: null,
    now,
  })
  assert.is(
    store.get(deployments, 'default', 'web')!.status,
    undefined,
    'the main resource cannot write status',
  )
  store.apply(4, {
    op: 'update',
    resource: deployments,
    object: object('Deployment', 'web', {
      namespace: 'default',
      spec: { replicas: 5 },
      status: { replicas: 1 },
    }),
    subresource: 'status',
    now,
  })
  const stored = store.get(deployments, 'default', 'web')!
  assert.equal(stored.status, { replicas: 1 })
  assert.equal(stored.spec, { replicas: 1 }, 'the status subresource cannot write spec')
})

test('delete cascades to dependents (Background), or releases them (Orphan)', () => {
  const store = new ObjectStore()
  withNamespace(store)
  store.apply(2, {
    op: 'create',
    resource: deployments,
    object: object('Deployment', 'web', { namespace: 'default', uid: 'd1' }),
  })
  const owned = (name: string, owner: string): KubeObject =>
    object('ReplicaSet', name, {
      namespace: 'default',
      metadata: {
        name,
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: owner, controller: true },
        ],
      },
    })
  store.apply(3, { op: 'create', resource: replicasets, object: owned('web-1', 'd1') })
  store.apply(4, { op: 'create', resource: replicasets, object: owned('web-2', 'd1') })
  store.apply(5, { op: 'create', resource: replicasets, object: owned('other', 'x') })
  const deleted = store.apply(6, {
    op: 'delete',
    resource: deployments,
    namespace: 'default',
    name: 'web',
    propagation: 'Background',
    now,
  })
  assert.ok(deleted.result.ok)
  assert.equal(
    store.list(replicasets).map((o) => o.metadata.name),
    ['other'],
  )
  assert.equal(deleted.changes.map((c) => `${c.type} ${c.object.metadata.name}`).sort(), [
    'DELETED web',
    'DELETED web-1',
    'DELETED web-2',
  ])

  store.apply(7, {
    op: 'create',
    resource: deployments,
    object: object('Deployment', 'api', { namespace: 'default', uid: 'd2' }),
  })
  store.apply(8, { op: 'create', resource: replicasets, object: owned('api-1', 'd2') })
  store.apply(9, {
    op: 'delete',
    resource: deployments,
    namespace: 'default',
    name: 'api',
    propagation: 'Orphan',
    now,
  })
  assert.equal(store.get(replicasets, 'default', 'api-1')!.metadata.ownerReferences, [])
})

test('finalizers hold an object as terminating until an update removes the last one', () => {
  const store = new ObjectStore()
  withNamespace(store)
  store.apply(2, {
    op: 'create',
    resource: configmaps,
    object: object('ConfigMap', 'c', {
      namespace: 'default',
      metadata: { name: 'c', finalizers: ['example.com/hold'] },
    }),
  })
  const deleting = store.apply(3, {
    op: 'delete',
    resource: configmaps,
    namespace: 'default',
    name: 'c',
    propagation: 'Background',
    now,
  })
  assert.ok(deleting.result.ok)
  assert.is(store.get(configmaps, 'default', 'c')!.metadata.deletionTimestamp, now)
  const released = store.apply(4, {
    op: 'update',
    resource: configmaps,
    object: object('ConfigMap', 'c', { namespace: 'default', metadata: { name: 'c', finalizers: [] } }),
    subresource: null,
    now,
  })
  assert.ok(released.result.ok)
  assert.is(store.get(configmaps, 'default', 'c'), undefined)
  assert.equal(
    released.changes.map((c) => c.type),
    ['DELETED'],
  )
})

test('deleting a namespace deletes what is in it', () => {
  const store = new ObjectStore()
  withNamespace(store, 'team')
  store.apply(2, {
    op: 'create',
    resource: configmaps,
    object: object('ConfigMap', 'a', { namespace: 'team' }),
  })
  store.apply(3, {
    op: 'delete',
    resource: namespaces,
    namespace: '',
    name: 'team',
    propagation: 'Background',
    now,
  })
  assert.is(store.get(configmaps, 'team', 'a'), undefined)
  assert.is(store.get(namespaces, '', 'team'), undefined)
})

test('services get the lowest free cluster IP; one that names its own keeps it', () => {
  const store = new ObjectStore()
  withNamespace(store)
  const service = (name: string, spec: object = {}): ApiCommand => ({
    op: 'create',
    resource: services,
    object: object('Service', name, { namespace: 'default', spec: { ports: [{ port: 80 }], ...spec } }),
  })
  store.apply(2, service('a', { clusterIP: '10.96.0.2' }))
  store.apply(3, service('b'))
  store.apply(4, service('c', { clusterIP: 'None' }))
  store.apply(5, service('d'))
  const ip = (name: string) => (store.get(services, 'default', name)!.spec as { clusterIP: string }).clusterIP
  assert.equal([ip('a'), ip('b'), ip('c'), ip('d')], ['10.96.0.2', '10.96.0.3', 'None', '10.96.0.4'])
  const taken = store.apply(6, service('e', { clusterIP: '10.96.0.3' }))
  assert.is((taken.result as { code: number }).code, 422)
  assert.match((taken.result as { message: string }).message, /provided IP is already allocated/)
  assert.ok(store.apply(7, service('kubernetes', { clusterIP: '10.96.0.1' })).result.ok, '.1 is kept for it')
})

test('a repeated event adds to the count of the first instead of piling up', () => {
  const store = new ObjectStore()
  withNamespace(store)
  const events: ResourceRef = {
    group: '',
    plural: 'events',
    kind: 'Event',
    namespaced: true,
    hasStatus: false,
  }
  const event = (name: string, message: string, lastTimestamp: string): KubeObject => ({
    ...object('Event', name, { namespace: 'default' }),
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-1', uid: 'p1' },
    reason: 'FailedScheduling',
    message,
    type: 'Warning',
    source: { component: 'scheduler' },
    count: 1,
    lastTimestamp,
  })
  store.apply(2, {
    op: 'create',
    resource: events,
    object: event('e1', 'no node fits', '2026-11-26T00:00:01Z'),
  })
  const repeat = store.apply(3, {
    op: 'create',
    resource: events,
    object: event('e2', 'no node fits', '2026-11-26T00:00:05Z'),
  })
  assert.equal(
    repeat.changes.map((c) => c.type),
    ['MODIFIED'],
  )
  assert.equal(
    store.list(events).map((e) => [e.metadata.name, e.count, e.lastTimestamp]),
    [['e1', 2, '2026-11-26T00:00:05Z']],
  )
  store.apply(4, {
    op: 'create',
    resource: events,
    object: event('e3', 'another reason', '2026-11-26T00:00:06Z'),
  })
  assert.is(store.list(events).length, 2, 'a different message is a different event')
})

test('an atomic batch is all or nothing: a failed precondition undoes the creates beside it', () => {
  const store = new ObjectStore()
  withNamespace(store)
  store.apply(2, {
    op: 'create',
    resource: deployments,
    object: object('Deployment', 'web', { namespace: 'default', spec: { replicas: 1 } }),
  })
  const plan = (expected: string): ApiCommand => ({
    op: 'batch',
    atomic: true,
    commands: [
      {
        op: 'create',
        resource: configmaps,
        object: object('ConfigMap', `made-at-${expected}`, { namespace: 'default' }),
      },
      {
        op: 'update',
        resource: deployments,
        object: object('Deployment', 'web', { namespace: 'default', spec: { replicas: 2 } }),
        subresource: null,
        expected: { resourceVersion: expected },
        now,
      },
    ],
  })
  const stale = store.apply(3, plan('1'))
  assert.is(stale.result.ok, false)
  assert.is((stale.result as { code: number }).code, 409)
  assert.equal(stale.changes, [], 'no events for writes that were undone')
  assert.is(store.get(configmaps, 'default', 'made-at-1'), undefined, 'the create beside it was undone')
  assert.equal(store.get(deployments, 'default', 'web')!.spec, { replicas: 1 })
  const fresh = store.apply(4, plan('2'))
  assert.ok(fresh.result.ok)
  assert.equal(
    fresh.changes.map((c) => c.type),
    ['ADDED', 'MODIFIED'],
  )
  assert.ok(store.get(configmaps, 'default', 'made-at-2'))
  assert.equal(store.get(deployments, 'default', 'web')!.spec, { replicas: 2 })
})

test('a batch answers each command; the cluster state carries the store through its snapshot', () => {
  const state = new ClusterState()
  const run = (index: number, command: ApiCommand) => {
    const encoded = decodeCommand(encodeCommand({ type: 'api', command }))
    return state.apply(index, encoded)
  }
  run(1, { op: 'create', resource: namespaces, object: object('Namespace', 'default') })
  const batch = run(2, {
    op: 'batch',
    commands: [
      {
        op: 'create',
        resource: configmaps,
        object: object('ConfigMap', 'a', { namespace: 'default', data: { k: 'v' } }),
      },
      { op: 'create', resource: configmaps, object: object('ConfigMap', 'a', { namespace: 'default' }) },
    ],
  })
  assert.ok(batch.ok)
  const results = (batch as unknown as { api: { results: { ok: boolean }[] } }).api.results
  assert.equal(
    results.map((r) => r.ok),
    [true, false],
  )
  assert.is(state.lastChanges.length, 1)
  const copy = ClusterState.decode(state.encode())
  assert.equal(copy.objects.get(configmaps, 'default', 'a'), state.objects.get(configmaps, 'default', 'a'))
  assert.is(copy.objects.size, 2)
})

/** A state holding the default namespace and `count` ConfigMaps, made through the log's commands. */
function stateWithConfigMaps(count: number): { state: ClusterState; next: () => number } {
  const state = new ClusterState()
  let index = 0
  const next = () => ++index
  state.apply(next(), {
    type: 'api',
    command: { op: 'create', resource: namespaces, object: object('Namespace', 'default') },
  })
  for (let i = 0; i < count; i++) {
    const command: ApiCommand = {
      op: 'create',
      resource: configmaps,
      object: object('ConfigMap', `cm-${i}`, { namespace: 'default', data: { i: String(i) } }),
    }
    state.apply(next(), { type: 'api', command })
  }
  return { state, next }
}

test("a state's encoder encodes it as it was when the encoder was made, a chunk at a time", () => {
  const count = objectsPerStateChunk * 2 + 10
  const { state, next } = stateWithConfigMaps(count)
  const before = state.encode()
  const encoder = state.encoder()
  assert.not.ok(encoder.next().done)
  // Writes while the encoding is under way: an update, a delete, a create.
  const cm = state.objects.get(configmaps, 'default', 'cm-1')!
  const write = (command: ApiCommand) => assert.ok(state.apply(next(), { type: 'api', command }).ok)
  write({
    op: 'update',
    resource: configmaps,
    object: { ...cm, data: { i: 'changed' } },
    subresource: null,
    now: '2026-01-01T00:00:00Z',
  })
  write({
    op: 'delete',
    resource: configmaps,
    namespace: 'default',
    name: 'cm-2',
    propagation: 'Background',
    now: '2026-01-01T00:00:00Z',
  })
  write({ op: 'create', resource: configmaps, object: object('ConfigMap', 'late', { namespace: 'default' }) })
  let steps = 1
  let step = encoder.next()
  for (; !step.done; step = encoder.next()) steps++
  assert.ok(steps >= 3, `${steps} slices for ${count + 1} objects`)
  assert.equal(step.value, before, "the bytes of the state at the encoder's making")
  const decoded = ClusterState.decode(step.value)
  assert.is(decoded.objects.size, count + 1)
  assert.equal(decoded.objects.get(configmaps, 'default', 'cm-1')!.data, { i: '1' })
  assert.ok(decoded.objects.get(configmaps, 'default', 'cm-2'))
  assert.is(decoded.objects.get(configmaps, 'default', 'late'), undefined)
})

test('a state in format 1 (objects not chunked) is still read', () => {
  const { state } = stateWithConfigMaps(3)
  const formatOne = {
    clusterId: 'c1',
    settings: defaultSettings,
    members: [],
    removed: [],
    tokens: [],
    kv: [],
    objects: state.objects.toData(),
  }
  const bytes = Uint8Array.of(1, ...new Packr({ useRecords: false, moreTypes: false }).pack(formatOne))
  const decoded = ClusterState.decode(bytes)
  assert.is(decoded.clusterId, 'c1')
  assert.is(decoded.objects.size, 4)
  assert.equal(
    decoded.objects.get(configmaps, 'default', 'cm-2'),
    state.objects.get(configmaps, 'default', 'cm-2'),
  )
})

test('a malformed state is refused with a format error, not read in part', () => {
  const { state } = stateWithConfigMaps(objectsPerStateChunk + 1)
  const bytes = state.encode()
  const refused = (broken: Uint8Array, pattern: RegExp) =>
    assert.throws(
      () => ClusterState.decode(broken),
      (error: Error) => error instanceof ClusterFormatError && pattern.test(error.message),
    )
  refused(bytes.subarray(0, bytes.length - 10), /a chunk runs past the end/)
  refused(Uint8Array.of(...bytes, 0), /1 bytes after the last chunk/)
  refused(bytes.subarray(0, 20), /header runs past the end/)
  refused(bytes.subarray(0, 3), /too short/)
})

test.run()
