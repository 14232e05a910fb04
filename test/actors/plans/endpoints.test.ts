// The endpoints plan (actors/plans/endpoints.ts): which pods a Service's Endpoints list and how,
// named target ports resolved per pod and grouped into subsets, the managed-by label, Services it
// leaves alone, orphaned Endpoints, and convergence against the store.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  type EndpointSubset,
  endpointAddressesMax,
  endpointsResource,
  managedByLabel,
  overCapacityAnnotation,
  planEndpoints,
  planOrphanEndpoints,
  servicesResource,
} from '../../../actors/plans/endpoints.ts'
import { type Plan, podsResource } from '../../../actors/plans/plan.ts'
import type { KubeObject } from '../../../core/api/object.ts'
import { type ApiCommand, type ApiResult, ObjectStore } from '../../../core/api/store.ts'
import { deepFreeze, mulberry32 } from './support.ts'

const test = suite('actors: endpoints plan')

const namespace = 'default'
const t0 = Date.parse('2026-01-01T00:00:00Z')
const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString().replace('.000Z', 'Z')

function service(
  name = 'web',
  spec: Record<string, unknown> = {},
  labels: Record<string, string> = { tier: 'front' },
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, uid: `svc-${name}`, resourceVersion: '3', labels },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.0.10',
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' }],
      ...spec,
    },
  }
}

interface PodShape {
  ip?: string | null
  ready?: boolean
  phase?: string
  labels?: Record<string, string>
  node?: string
  httpPort?: number | null
  deleting?: boolean
  namespace?: string
}

function pod(name: string, shape: PodShape = {}): KubeObject {
  const httpPort = shape.httpPort === undefined ? 8080 : shape.httpPort
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: shape.namespace ?? namespace,
      uid: `uid-${name}`,
      resourceVersion: '5',
      labels: shape.labels ?? { app: 'web' },
      ...(shape.deleting ? { deletionTimestamp: at(0), finalizers: ['f'] } : {}),
    },
    spec: {
      nodeName: shape.node ?? 'n1',
      containers: [
        {
          name: 'web',
          image: 'web:1',
          ...(httpPort === null
            ? {}
            : { ports: [{ name: 'http', containerPort: httpPort, protocol: 'TCP' }] }),
        },
      ],
    },
    status: {
      phase: shape.phase ?? 'Running',
      ...(shape.ip === null ? {} : { podIP: shape.ip ?? `10.0.0.${name.length}` }),
      conditions: [{ type: 'Ready', status: shape.ready === false ? 'False' : 'True' }],
    },
  }
}

let uids = 0
const newUid = () => `ep-uid-${++uids}`

function plan(svc: KubeObject, pods: KubeObject[], endpoints?: KubeObject): Plan {
  return planEndpoints({
    service: deepFreeze(svc),
    pods: deepFreeze(pods),
    endpoints: endpoints && deepFreeze(endpoints),
    now: at(10),
    newUid,
  })
}

const written = (p: Plan) => (p.commands[0] as { object: KubeObject } | undefined)?.object
const subsetsOf = (p: Plan) => written(p)?.subsets as EndpointSubset[]
const address = (name: string, ip: string, node = 'n1') => ({
  ip,
  nodeName: node,
  targetRef: { kind: 'Pod', namespace, name, uid: `uid-${name}` },
})

test('ready pods are addresses, unready ones notReadyAddresses, the named target port resolved', () => {
  const pods = [
    pod('b', { ip: '10.0.0.2' }),
    pod('a', { ip: '10.0.0.1', node: 'n2' }),
    pod('c', { ip: '10.0.0.3', ready: false }),
  ]
  const p = plan(service(), pods)
  assert.is(p.commands.length, 1)
  const created = p.commands[0] as Extract<ApiCommand, { op: 'create' }>
  assert.is(created.op, 'create')
  assert.is(created.resource, endpointsResource)
  assert.equal(created.object.metadata, {
    name: 'web',
    namespace,
    uid: created.object.metadata.uid,
    creationTimestamp: at(10),
    labels: { tier: 'front', [managedByLabel]: 'endpoint-controller' },
  })
  assert.ok(created.object.metadata.uid?.startsWith('ep-uid-'))
  assert.equal(created.object.subsets, [
    {
      addresses: [address('a', '10.0.0.1', 'n2'), address('b', '10.0.0.2')],
      notReadyAddresses: [address('c', '10.0.0.3')],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    },
  ])
  assert.equal(p.events, [])
})

test('left out: pods without an IP, finished, terminating, unselected or in another namespace', () => {
  const pods = [
    pod('no-ip', { ip: null }),
    pod('done', { phase: 'Succeeded' }),
    pod('failed', { phase: 'Failed' }),
    pod('going', { deleting: true }),
    pod('other', { labels: { app: 'db' } }),
    pod('elsewhere', { namespace: 'other' }),
    pod('kept', { ip: '10.0.0.9' }),
  ]
  assert.equal(subsetsOf(plan(service(), pods)), [
    { addresses: [address('kept', '10.0.0.9')], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
  ])
})

test('pods serving a named port on different numbers, or not at all, are grouped by port', () => {
  const svc = service('web', {
    ports: [
      { name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' },
      { name: 'metrics', port: 9090, protocol: 'TCP', targetPort: 9090 },
    ],
  })
  const pods = [
    pod('a', { ip: '10.0.0.1', httpPort: 8080 }),
    pod('b', { ip: '10.0.0.2', httpPort: 8081 }),
    pod('c', { ip: '10.0.0.3', httpPort: null }),
  ]
  assert.equal(subsetsOf(plan(svc, pods)), [
    {
      addresses: [address('a', '10.0.0.1')],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    },
    {
      addresses: [address('a', '10.0.0.1'), address('b', '10.0.0.2'), address('c', '10.0.0.3')],
      ports: [{ name: 'metrics', port: 9090, protocol: 'TCP' }],
    },
    {
      addresses: [address('b', '10.0.0.2')],
      ports: [{ name: 'http', port: 8081, protocol: 'TCP' }],
    },
  ])
})

test('publishNotReadyAddresses lists unready pods as ready; headless Services carry the label', () => {
  const svc = service('web', { publishNotReadyAddresses: true, clusterIP: 'None', ports: [] })
  const p = plan(svc, [pod('a', { ip: '10.0.0.1', ready: false })])
  assert.equal(subsetsOf(p), [{ addresses: [address('a', '10.0.0.1')] }])
  assert.is(written(p)?.metadata.labels?.['service.kubernetes.io/headless'], '')
})

test('a Service with no pods gets an empty Endpoints; one without a selector is left alone', () => {
  const empty = plan(service(), [])
  assert.is(empty.commands[0]?.op, 'create')
  assert.equal(subsetsOf(empty), [])
  const noSelector = service('manual', { selector: undefined })
  const manual: KubeObject = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'manual', namespace } }
  assert.equal(plan(noSelector, [pod('a')], manual), { commands: [], events: [] })
  assert.equal(plan(service('x', { selector: {} }), [pod('a')]), { commands: [], events: [] })
  assert.equal(plan(service('ext', { type: 'ExternalName', externalName: 'example.com' }), [pod('a')]), {
    commands: [],
    events: [],
  })
})

test('an update is preconditioned on the Endpoints planned from and keeps its other metadata', () => {
  const current: KubeObject = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name: 'web',
      namespace,
      uid: 'ep-1',
      resourceVersion: '7',
      labels: { stale: 'yes' },
      annotations: { note: 'kept', [overCapacityAnnotation]: 'truncated' },
    },
    subsets: [{ addresses: [address('gone', '10.0.0.99')] }],
  }
  const p = plan(service(), [pod('a', { ip: '10.0.0.1' })], current)
  const update = p.commands[0] as Extract<ApiCommand, { op: 'update' }>
  assert.is(update.op, 'update')
  assert.equal(update.expected, { resourceVersion: '7', uid: 'ep-1' })
  assert.is(update.subresource, null)
  assert.equal(update.object.metadata.labels, { tier: 'front', [managedByLabel]: 'endpoint-controller' })
  assert.equal(update.object.metadata.annotations, { note: 'kept' })
  assert.equal(update.object.subsets, [
    { addresses: [address('a', '10.0.0.1')], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
  ])
  // Planned again from what it wrote: nothing to do.
  assert.equal(plan(service(), [pod('a', { ip: '10.0.0.1' })], update.object).commands, [])
})

test('more addresses than an Endpoints holds: not-ready ones go first, and it says so', () => {
  const ready = Array.from({ length: endpointAddressesMax - 2 }, (_, i) =>
    pod(`r${i}`, { ip: `10.1.${i >> 8}.${i & 0xff}` }),
  )
  const unready = Array.from({ length: 5 }, (_, i) => pod(`u${i}`, { ip: `10.2.0.${i}`, ready: false }))
  const p = plan(service(), [...ready, ...unready])
  const [subset] = subsetsOf(p)
  assert.is(subset?.addresses?.length, endpointAddressesMax - 2)
  assert.is(subset?.notReadyAddresses?.length, 2)
  assert.is(written(p)?.metadata.annotations?.[overCapacityAnnotation], 'truncated')
})

test('orphans: managed Endpoints whose Service is gone are deleted; others are kept', () => {
  const endpoints = (name: string, managed: boolean): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name,
      namespace,
      uid: `ep-${name}`,
      resourceVersion: '4',
      ...(managed ? { labels: { [managedByLabel]: 'endpoint-controller' } } : {}),
    },
  })
  const p = planOrphanEndpoints({
    endpoints: deepFreeze([endpoints('web', true), endpoints('gone', true), endpoints('mine', false)]),
    services: deepFreeze([service('web')]),
    now: at(10),
  })
  assert.equal(
    p.commands.map((c) => [c.op, (c as { name: string }).name, (c as { expected: unknown }).expected]),
    [['delete', 'gone', { resourceVersion: '4', uid: 'ep-gone' }]],
  )
})

// --- against the store ------------------------------------------------------------------------

class Store {
  readonly objects = new ObjectStore()
  #index = 1
  constructor() {
    this.apply([
      {
        op: 'create',
        resource: { group: '', plural: 'namespaces', kind: 'Namespace', namespaced: false, hasStatus: true },
        object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, uid: 'ns' } },
      },
    ])
  }
  apply(commands: readonly ApiCommand[]): readonly ApiResult[] {
    const { result } = this.objects.apply(this.#index++, { op: 'batch', commands, atomic: true })
    return result.ok ? (result.results ?? []) : [result]
  }
  endpoints = (name = 'web') => this.objects.get(endpointsResource, namespace, name)
  service = (name = 'web') => this.objects.get(servicesResource, namespace, name)!
  pods = () => this.objects.list(podsResource, namespace)
}

function converge(store: Store, name = 'web'): number {
  for (let round = 1; round <= 5; round++) {
    const p = planEndpoints({
      service: store.service(name),
      pods: store.pods(),
      endpoints: store.endpoints(name),
      now: at(round),
      newUid,
    })
    if (p.commands.length === 0) return round
    assert.ok(
      store.apply(p.commands).every((r) => r.ok),
      'the plan applies',
    )
  }
  throw new Error('the endpoints plan did not converge')
}

test('in the store: created, then followed as pods come, get ready and go; then deleted as an orphan', () => {
  const store = new Store()
  const { resourceVersion: _rv, ...metadata } = service().metadata
  store.apply([{ op: 'create', resource: servicesResource, object: { ...service(), metadata } }])
  assert.is(converge(store), 2)
  assert.equal(store.endpoints()?.subsets, [])

  store.apply([
    { op: 'create', resource: podsResource, object: pod('a', { ip: '10.0.0.1', ready: false }) },
    { op: 'create', resource: podsResource, object: pod('b', { ip: '10.0.0.2' }) },
  ])
  assert.is(converge(store), 2)
  const subsets = () => store.endpoints()?.subsets as EndpointSubset[]
  assert.equal(
    subsets()[0]?.addresses?.map((a) => a.ip),
    ['10.0.0.2'],
  )
  assert.equal(
    subsets()[0]?.notReadyAddresses?.map((a) => a.ip),
    ['10.0.0.1'],
  )

  const a = store.pods().find((p) => p.metadata.name === 'a')!
  store.apply([
    {
      op: 'update',
      resource: podsResource,
      object: { ...a, status: { ...(a.status as object), conditions: [{ type: 'Ready', status: 'True' }] } },
      subresource: 'status',
      now: at(3),
    },
    { op: 'delete', resource: podsResource, namespace, name: 'b', propagation: 'Background', now: at(3) },
  ])
  converge(store)
  assert.equal(subsets(), [
    { addresses: [address('a', '10.0.0.1')], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
  ])

  store.apply([
    {
      op: 'delete',
      resource: servicesResource,
      namespace,
      name: 'web',
      propagation: 'Background',
      now: at(4),
    },
  ])
  const orphans = planOrphanEndpoints({
    endpoints: store.objects.list(endpointsResource),
    services: store.objects.list(servicesResource),
    now: at(5),
  })
  assert.ok(store.apply(orphans.commands).every((r) => r.ok))
  assert.is(store.endpoints(), undefined)
})

test('in the store: a plan made before the Endpoints changed is refused', () => {
  const store = new Store()
  const { resourceVersion: _rv, ...metadata } = service().metadata
  store.apply([
    { op: 'create', resource: servicesResource, object: { ...service(), metadata } },
    { op: 'create', resource: podsResource, object: pod('a', { ip: '10.0.0.1' }) },
  ])
  converge(store)
  store.apply([{ op: 'create', resource: podsResource, object: pod('b', { ip: '10.0.0.2' }) }])
  const stale = planEndpoints({
    service: store.service(),
    pods: store.pods(),
    endpoints: store.endpoints(),
    now: at(6),
    newUid,
  })
  const current = store.endpoints()!
  store.apply([
    {
      op: 'update',
      resource: endpointsResource,
      object: { ...current, metadata: { ...current.metadata, annotations: { touched: 'yes' } } },
      subresource: null,
      now: at(6),
    },
  ])
  const [result] = store.apply(stale.commands)
  assert.is(result?.ok, false)
  assert.is((result as { code: number }).code, 409)
  converge(store)
  assert.is(((store.endpoints()?.subsets ?? []) as EndpointSubset[])[0]?.addresses?.length, 2)
  assert.is(store.endpoints()?.metadata.annotations?.touched, 'yes')
})

// --- randomized ---------------------------------------------------------------------------------

const seed = process.env.SEED === undefined ? Date.now() % 1_000_000_007 : Number(process.env.SEED)

test('randomized: each live selected pod is listed once per port it serves, whatever the order', () => {
  const random = mulberry32(seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const svc = service('web', {
    ports: [
      { name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' },
      { name: 'admin', port: 81, protocol: 'TCP', targetPort: 9000 },
    ],
  })
  try {
    for (let run = 0; run < 50; run++) {
      const pods = Array.from({ length: Math.floor(random() * 30) }, (_, i) =>
        pod(`p${i}`, {
          ip: random() < 0.9 ? `10.0.${run}.${i}` : null,
          ready: random() < 0.6,
          phase: pick(['Running', 'Running', 'Running', 'Pending', 'Succeeded', 'Failed']),
          labels: random() < 0.85 ? { app: 'web' } : { app: 'db' },
          httpPort: random() < 0.8 ? pick([8080, 8081, 8082]) : null,
          deleting: random() < 0.1,
        }),
      )
      const shuffled = [...pods].sort(() => random() - 0.5)
      const first = plan(svc, pods)
      assert.equal(subsetsOf(plan(svc, shuffled)), subsetsOf(first), 'the same Endpoints in any pod order')

      const listed = new Map<string, boolean>()
      for (const subset of subsetsOf(first)) {
        for (const [addresses, ready] of [
          [subset.addresses ?? [], true],
          [subset.notReadyAddresses ?? [], false],
        ] as const) {
          for (const a of addresses) {
            for (const port of subset.ports ?? []) {
              const key = `${a.targetRef.name}/${port.name}`
              assert.not.ok(listed.has(key), `${key} listed twice`)
              listed.set(key, ready)
            }
          }
        }
      }
      const expected = new Map<string, boolean>()
      for (const p of pods) {
        const status = p.status as { phase: string; podIP?: string; conditions: { status: string }[] }
        const live =
          status.podIP && !['Succeeded', 'Failed'].includes(status.phase) && !p.metadata.deletionTimestamp
        if (!live || p.metadata.labels?.app !== 'web') continue
        const ready = status.conditions[0]?.status === 'True'
        expected.set(`${p.metadata.name}/admin`, ready)
        const serves = (p.spec as { containers: { ports?: unknown[] }[] }).containers[0]?.ports !== undefined
        if (serves) expected.set(`${p.metadata.name}/http`, ready)
      }
      assert.equal(new Map([...listed].sort()), new Map([...expected].sort()))
    }
  } catch (error) {
    console.error(`endpoints randomized test failed: reproduce with SEED=${seed}`)
    throw error
  }
})

test.run()
