// The four PATCH flavours on plain JSON objects: RFC 6902 JSON patch, RFC 7386 merge patch (its
// Appendix A), strategic merge patch (cases ported from apimachinery's strategicpatch tests and the
// exact three-way patch kubectl sends for `kubectl apply`), and server-side apply with managedFields
// and conflicts. Every input is deep-frozen, so a mutation throws.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  applyJsonPatch,
  applyMergePatch,
  applyServerSide,
  applyStrategicMergePatch,
  beforeFirstApplyManager,
  type JsonObject,
  PatchError,
  recordUpdateManager,
} from '../../../node/api/patch.ts'

function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) frozen(child)
    Object.freeze(value)
  }
  return value
}

function throwsPatchError(run: () => unknown, reason: 'BadRequest' | 'Invalid', message: RegExp): void {
  try {
    run()
  } catch (error) {
    assert.instance(error, PatchError)
    assert.is((error as PatchError).reason, reason)
    assert.match((error as PatchError).message, message)
    return
  }
  assert.unreachable('expected a PatchError')
}

const pod = { apiVersion: 'v1', kind: 'Pod' }
const deployment = { apiVersion: 'apps/v1', kind: 'Deployment' }
const service = { apiVersion: 'v1', kind: 'Service' }

// ---- JSON patch ----

const jsonPatch = suite('node/api: JSON patch (RFC 6902)')

jsonPatch('add, remove, replace, move, copy and a passing test apply in order', () => {
  const target = frozen({
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: { replicas: 1, args: ['a'] },
  })

  const result = applyJsonPatch(target, [
    { op: 'test', path: '/spec/replicas', value: 1 },
    { op: 'replace', path: '/spec/replicas', value: 3 },
    { op: 'add', path: '/spec/args/-', value: 'b' },
    { op: 'add', path: '/metadata/labels/tier', value: 'front' },
    { op: 'copy', from: '/metadata/labels/app', path: '/metadata/labels/name' },
    { op: 'move', from: '/metadata/labels/tier', path: '/metadata/annotations' },
    { op: 'remove', path: '/metadata/labels/app' },
  ])

  assert.equal(result, {
    metadata: { name: 'web', labels: { name: 'web' }, annotations: 'front' },
    spec: { replicas: 3, args: ['a', 'b'] },
  })
})

jsonPatch('a failing test operation is a PatchError (Invalid) and nothing changes', () => {
  const target = frozen({ spec: { replicas: 1 } })
  const operations = [
    { op: 'replace', path: '/spec/replicas', value: 5 },
    { op: 'test', path: '/spec/replicas', value: 2 },
  ]

  throwsPatchError(
    () => applyJsonPatch(target, operations),
    'Invalid',
    /operation 1 \(test \/spec\/replicas\)/,
  )
  assert.equal(target, { spec: { replicas: 1 } })
})

jsonPatch('a path that does not resolve is Invalid; a malformed patch is a BadRequest', () => {
  const target = frozen({ spec: {} })

  throwsPatchError(
    () => applyJsonPatch(target, [{ op: 'replace', path: '/spec/x', value: 1 }]),
    'Invalid',
    /x/,
  )
  throwsPatchError(() => applyJsonPatch(target, [{ op: 'remove', path: '/nope/deeper' }]), 'Invalid', /nope/)
  throwsPatchError(() => applyJsonPatch(target, { op: 'add' }), 'BadRequest', /array/)
  throwsPatchError(() => applyJsonPatch(target, [{ op: 'frobnicate', path: '/a' }]), 'BadRequest', /op/)
  throwsPatchError(() => applyJsonPatch(target, [{ op: 'add', path: '/a' }]), 'BadRequest', /value/)
  throwsPatchError(
    () => applyJsonPatch(target, [{ op: 'add', path: '/__proto__/x', value: 1 }]),
    'BadRequest',
    /./,
  )
})

jsonPatch('the result shares nothing with the operations', () => {
  const value = { deep: { n: 1 } }
  const result = applyJsonPatch({}, [{ op: 'add', path: '/v', value }]) as JsonObject

  ;((result.v as JsonObject).deep as JsonObject).n = 2

  assert.is(value.deep.n, 1)
})

jsonPatch.run()

// ---- Merge patch ----

const mergePatch = suite('node/api: JSON merge patch (RFC 7386)')

// RFC 7386 Appendix A, every example.
const rfc7386Examples: [unknown, unknown, unknown][] = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [
    ['a', 'b'],
    ['c', 'd'],
    ['c', 'd'],
  ],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
]

mergePatch('the examples of RFC 7386 Appendix A', () => {
  for (const [target, patch, expected] of rfc7386Examples) {
    assert.equal(applyMergePatch(frozen(target), frozen(patch)), expected, JSON.stringify([target, patch]))
  }
})

mergePatch.run()

// ---- Strategic merge patch ----

const smp = suite('node/api: strategic merge patch')

const livePod = frozen({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', finalizers: ['a.example/x', 'b.example/y'] },
  spec: {
    containers: [
      {
        name: 'web',
        image: 'nginx:1.26',
        args: ['--a', '--b'],
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        ports: [
          { containerPort: 80, name: 'http' },
          { containerPort: 443, name: 'https' },
        ],
      },
      { name: 'sidecar', image: 'busybox' },
    ],
    tolerations: [{ key: 'a', operator: 'Exists' }],
  },
})

const containers = (result: JsonObject) => (result.spec as JsonObject).containers as JsonObject[]

smp('a container is changed, added and removed by name; the others stay', () => {
  const changed = applyStrategicMergePatch(
    livePod,
    { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    pod,
  )
  const added = applyStrategicMergePatch(
    livePod,
    { spec: { containers: [{ name: 'log', image: 'fluentd' }] } },
    pod,
  )
  const removed = applyStrategicMergePatch(
    livePod,
    { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } },
    pod,
  )

  assert.is(containers(changed)[0]!.image, 'nginx:1.27')
  assert.equal(containers(changed)[0]!.env, livePod.spec.containers[0]!.env)
  assert.equal(containers(changed)[1], { name: 'sidecar', image: 'busybox' })
  // Upstream's order: items new to the list go before the live ones (no $setElementOrder here).
  assert.equal(
    containers(added).map((c) => c.name),
    ['log', 'web', 'sidecar'],
  )
  assert.equal(
    containers(removed).map((c) => c.name),
    ['web'],
  )
})

smp('env merges by name, ports by containerPort; args and tolerations are replaced', () => {
  const result = applyStrategicMergePatch(
    livePod,
    {
      spec: {
        containers: [
          {
            name: 'web',
            args: ['--c'],
            env: [
              { name: 'B', value: 'two' },
              { name: 'C', value: '3' },
              { name: 'A', $patch: 'delete' },
            ],
            ports: [{ containerPort: 443, name: 'tls' }],
          },
        ],
        tolerations: [{ key: 'b', operator: 'Exists' }],
      },
    },
    pod,
  )

  const web = containers(result)[0]!
  assert.equal(web.args, ['--c'])
  assert.equal(web.env, [
    { name: 'B', value: 'two' },
    { name: 'C', value: '3' },
  ])
  assert.equal(web.ports, [
    { containerPort: 80, name: 'http' },
    { containerPort: 443, name: 'tls' },
  ])
  assert.equal((result.spec as JsonObject).tolerations, [{ key: 'b', operator: 'Exists' }])
})

smp('null deletes a key; finalizers merge as a set; $deleteFromPrimitiveList removes members', () => {
  const added = applyStrategicMergePatch(
    livePod,
    { metadata: { finalizers: ['c.example/z', 'a.example/x'] }, spec: { tolerations: null } },
    pod,
  )
  const removed = applyStrategicMergePatch(
    livePod,
    { metadata: { '$deleteFromPrimitiveList/finalizers': ['a.example/x', 'not-there'] } },
    pod,
  )

  // Upstream's order: the patch's members in its order, before a live-only member that came later.
  assert.equal((added.metadata as JsonObject).finalizers, ['c.example/z', 'a.example/x', 'b.example/y'])
  assert.not.ok('tolerations' in (added.spec as JsonObject))
  assert.equal((removed.metadata as JsonObject).finalizers, ['b.example/y'])
})

smp('$setElementOrder orders the merged list, the patch list carrying only the changes', () => {
  const result = applyStrategicMergePatch(
    livePod,
    {
      spec: {
        '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }],
        containers: [{ name: 'sidecar', image: 'busybox:1.36' }],
      },
    },
    pod,
  )

  assert.equal(
    containers(result).map((c) => [c.name, c.image]),
    [
      ['sidecar', 'busybox:1.36'],
      ['web', 'nginx:1.26'],
    ],
  )
})

smp('$retainKeys clears the keys it does not list (a Deployment strategy switched to Recreate)', () => {
  const live = frozen({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } },
  })

  const result = applyStrategicMergePatch(
    live,
    { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } },
    deployment,
  )

  assert.equal((result.spec as JsonObject).strategy, { type: 'Recreate' })
  throwsPatchError(
    () =>
      applyStrategicMergePatch(
        live,
        { spec: { strategy: { $retainKeys: ['type'], paused: true } } },
        deployment,
      ),
    'Invalid',
    /retainKeys/,
  )
})

smp(
  '$patch: replace replaces a list or a map; $patch: delete empties a map; $patch: merge is the default',
  () => {
    const replacedList = applyStrategicMergePatch(
      livePod,
      { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } },
      pod,
    )
    const replacedMap = applyStrategicMergePatch(
      livePod,
      { metadata: { $patch: 'replace', name: 'web', labels: { a: 'b' } } },
      pod,
    )
    const deletedMap = applyStrategicMergePatch(
      { ...livePod, metadata: { name: 'web', labels: { a: 'b' } } },
      { metadata: { labels: { $patch: 'delete' } } },
      pod,
    )
    const merged = applyStrategicMergePatch(livePod, { spec: { $patch: 'merge', hostname: 'h' } }, pod)

    assert.equal(containers(replacedList), [{ name: 'only', image: 'x' }])
    assert.equal(replacedMap.metadata, { name: 'web', labels: { a: 'b' } })
    assert.equal((deletedMap.metadata as JsonObject).labels, {})
    assert.is((merged.spec as JsonObject).hostname, 'h')
    assert.is(containers(merged).length, 2)
  },
)

smp('a Service port changes by port number', () => {
  const live = frozen({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web' },
    spec: {
      selector: { app: 'web' },
      ports: [
        { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
        { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
      ],
    },
  })

  const result = applyStrategicMergePatch(
    live,
    { spec: { ports: [{ port: 80, targetPort: 9090 }] } },
    service,
  )

  assert.equal((result.spec as JsonObject).ports, [
    { name: 'http', port: 80, targetPort: 9090, protocol: 'TCP' },
    { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
  ])
})

smp('the three-way patch kubectl apply sends for a changed Deployment image', () => {
  const lastApplied = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { annotations: {}, name: 'web', namespace: 'default' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ image: 'nginx:1.26', name: 'nginx', ports: [{ containerPort: 80 }] }] },
      },
    },
  }
  const annotation = 'kubectl.kubernetes.io/last-applied-configuration'
  const live = frozen({
    ...lastApplied,
    metadata: {
      name: 'web',
      namespace: 'default',
      uid: 'u-1',
      generation: 1,
      annotations: {
        [annotation]: `${JSON.stringify(lastApplied)}\n`,
        'deployment.kubernetes.io/revision': '1',
      },
    },
    spec: {
      ...lastApplied.spec,
      progressDeadlineSeconds: 600,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              image: 'nginx:1.26',
              name: 'nginx',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              imagePullPolicy: 'IfNotPresent',
              terminationMessagePath: '/dev/termination-log',
            },
          ],
          restartPolicy: 'Always',
          dnsPolicy: 'ClusterFirst',
        },
      },
    },
    status: { replicas: 2, readyReplicas: 2 },
  })
  const modified = structuredClone(lastApplied)
  modified.spec.template.spec.containers[0]!.image = 'nginx:1.27'
  // What CreateThreeWayMergePatch(lastApplied, modified, live) yields, byte for byte as kubectl sends it.
  const patch = JSON.parse(
    `{"metadata":{"annotations":{"${annotation}":${JSON.stringify(`${JSON.stringify(modified)}\n`)}}},` +
      '"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"}],' +
      '"containers":[{"image":"nginx:1.27","name":"nginx"}]}}}}',
  )

  const result = applyStrategicMergePatch(live, patch, deployment)

  const expected = structuredClone(live) as JsonObject & typeof live
  expected.metadata.annotations[annotation] = `${JSON.stringify(modified)}\n`
  expected.spec.template.spec.containers[0]!.image = 'nginx:1.27'
  assert.equal(result, expected)
})

// Cases from apimachinery's pkg/util/strategicpatch/patch_test.go, on the same shapes of lists.
smp('upstream cases: patch order, merged order, deletions and $setElementOrder with a deletion', () => {
  const apply = (live: object, patch: object) => applyStrategicMergePatch(frozen(live), patch, pod)
  const names = (result: JsonObject) => containers(result).map((c) => c.name)
  const spec = (list: object[], extra: object = {}) => ({ spec: { containers: list, ...extra } })
  const named = (...list: string[]) => list.map((name) => ({ name }))

  // "preserve the order from the patch in a merging list 2"
  assert.equal(names(apply(spec(named('1', '2', '3')), spec(named('3', '1')))), ['2', '3', '1'])
  // "merge lists of maps": $setElementOrder puts new items where it lists them
  const merged = apply(
    spec([
      { name: '1', other: 'a' },
      { name: '2', value: '2' },
    ]),
    {
      spec: { '$setElementOrder/containers': named('4', '1', '2', '3'), containers: named('4', '3') },
    },
  )
  assert.equal(names(merged), ['4', '1', '2', '3'])
  // "nested patch merge with empty list": deleting what is not there, a server-only item kept after
  assert.equal(
    names(
      apply(spec(named('hello2')), {
        spec: {
          '$setElementOrder/containers': named('hello', 'doesntexist'),
          containers: [{ name: 'hello' }, { $patch: 'delete', name: 'doesntexist' }],
        },
      }),
    ),
    ['hello', 'hello2'],
  )
  // "delete items in lists of scalars" (on finalizers, a merging primitive list)
  const scalars = applyStrategicMergePatch(
    frozen({ metadata: { finalizers: ['1', '2', '3', '4'] } }),
    { metadata: { '$setElementOrder/finalizers': ['1', '2'], '$deleteFromPrimitiveList/finalizers': ['3'] } },
    pod,
  )
  assert.equal((scalars.metadata as JsonObject).finalizers, ['1', '2', '4'])
  // "should check if order in $setElementOrder and patch list match"
  throwsPatchError(
    () =>
      apply(spec(named('1', '3', '2')), {
        spec: { '$setElementOrder/containers': named('1', '2', '3'), containers: named('3', '1') },
      }),
    'BadRequest',
    /does not match/,
  )
  // "missing merge key should error out"
  throwsPatchError(() => apply(spec(named('1')), spec([{ image: 'b' }])), 'BadRequest', /merge key name/)
})

smp('a kind without strategic merge metadata gets JSON merge patch semantics', () => {
  const live = frozen({
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    spec: { items: [{ name: 'a', n: 1 }], keep: 1 },
  })

  const result = applyStrategicMergePatch(
    live,
    { spec: { items: [{ name: 'b' }] } },
    { apiVersion: 'example.com/v1', kind: 'Widget' },
  )

  assert.equal(result.spec, { items: [{ name: 'b' }], keep: 1 })
})

smp('a patch that is not an object is a BadRequest', () => {
  throwsPatchError(() => applyStrategicMergePatch(livePod, [1], pod), 'BadRequest', /object/)
  throwsPatchError(
    () => applyStrategicMergePatch(livePod, { spec: { $patch: 'explode' } }, pod),
    'BadRequest',
    /explode/,
  )
})

smp.run()

// ---- Server-side apply ----

const ssa = suite('node/api: server-side apply')

const t1 = '2025-06-01T10:00:00Z'
const t2 = '2025-06-01T11:00:00Z'
const t3 = '2025-06-01T12:00:00Z'

const appliedDeployment = frozen({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'nginx', image: 'nginx:1.26', ports: [{ containerPort: 80 }] }] },
    },
  },
})

const apply = (live: object | null, applied: object, manager: string, force = false, now = t1) =>
  applyServerSide(live === null ? null : frozen(live), frozen(applied), {
    manager,
    force,
    now,
    kind: deployment,
  })

const managedFields = (object: JsonObject) => (object.metadata as JsonObject).managedFields as JsonObject[]

ssa("the first apply creates the object and records its fields as the manager's, in fieldsV1", () => {
  const { object, conflicts } = apply(null, appliedDeployment, 'kubectl')

  assert.equal(conflicts, [])
  assert.equal(object.spec, appliedDeployment.spec)
  assert.equal(managedFields(object), [
    {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: t1,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:selector': { 'f:matchLabels': { 'f:app': {} } },
          'f:template': {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': {
              'f:containers': {
                'k:{"name":"nginx"}': {
                  '.': {},
                  'f:image': {},
                  'f:name': {},
                  'f:ports': { 'k:{"containerPort":80}': { '.': {}, 'f:containerPort': {} } },
                },
              },
            },
          },
        },
      },
    },
  ])
})

ssa('applying again without a field removes it, and emptied maps go with it', () => {
  const { object: first } = apply(null, appliedDeployment, 'kubectl')
  const second = structuredClone(appliedDeployment) as JsonObject & typeof appliedDeployment
  delete (second.spec as Partial<typeof second.spec>).replicas
  delete (second.metadata as Partial<typeof second.metadata>).labels

  const { object, conflicts } = apply(first, second, 'kubectl', false, t2)

  assert.equal(conflicts, [])
  assert.not.ok('replicas' in (object.spec as JsonObject))
  assert.not.ok('labels' in (object.metadata as JsonObject))
  const fields = managedFields(object)[0]!
  assert.is(fields.time, t2)
  assert.not.ok('f:replicas' in ((fields.fieldsV1 as JsonObject)['f:spec'] as JsonObject))
})

ssa('a field dropped by one applier stays while another manager owns it', () => {
  const { object: first } = apply(null, appliedDeployment, 'kubectl')
  const { object: shared } = apply(first, { ...base(), spec: { replicas: 2 } }, 'autoscaler')
  const without = structuredClone(appliedDeployment) as JsonObject & typeof appliedDeployment
  delete (without.spec as Partial<typeof without.spec>).replicas

  const { object } = apply(shared, without, 'kubectl', false, t2)

  assert.is((object.spec as JsonObject).replicas, 2)
  assert.equal(
    managedFields(object).map((entry) => entry.manager),
    ['kubectl', 'autoscaler'],
  )
})

function base() {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' } }
}

ssa('another manager changing an owned field conflicts; with force it takes the field over', () => {
  const { object: live } = apply(null, appliedDeployment, 'kubectl')
  const scale = { ...base(), spec: { replicas: 5 } }

  const refused = apply(live, scale, 'autoscaler', false, t2)
  const forced = apply(live, scale, 'autoscaler', true, t3)

  assert.equal(refused.conflicts, [{ field: '.spec.replicas', manager: 'kubectl' }])
  assert.equal(refused.object, live)
  assert.equal(forced.conflicts, [])
  assert.is((forced.object.spec as JsonObject).replicas, 5)
  const [kubectl, autoscaler] = managedFields(forced.object)
  assert.not.ok('f:replicas' in ((kubectl!.fieldsV1 as JsonObject)['f:spec'] as JsonObject))
  assert.equal(autoscaler, {
    manager: 'autoscaler',
    operation: 'Apply',
    apiVersion: 'apps/v1',
    time: t3,
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:spec': { 'f:replicas': {} } },
  })
})

ssa('applying the value a field already has shares it, without conflict', () => {
  const { object: live } = apply(null, appliedDeployment, 'kubectl')

  const { object, conflicts } = apply(live, { ...base(), spec: { replicas: 2 } }, 'autoscaler')

  assert.equal(conflicts, [])
  for (const entry of managedFields(object)) {
    assert.ok('f:replicas' in ((entry.fieldsV1 as JsonObject)['f:spec'] as JsonObject), String(entry.manager))
  }
})

ssa('a keyed list item is merged: a second manager adds a container beside the first', () => {
  const { object: live } = apply(null, appliedDeployment, 'kubectl')
  const sidecar = {
    ...base(),
    spec: { template: { spec: { containers: [{ name: 'log', image: 'fluentd' }] } } },
  }

  const { object, conflicts } = apply(live, sidecar, 'logging')
  const changed = apply(
    object,
    { ...sidecar, spec: { template: { spec: { containers: [{ name: 'nginx', image: 'x' }] } } } },
    'logging',
  )

  assert.equal(conflicts, [])
  const list = ((object.spec as JsonObject).template as JsonObject).spec as JsonObject
  assert.equal(
    (list.containers as JsonObject[]).map((c) => c.name),
    ['nginx', 'log'],
  )
  assert.equal(changed.conflicts, [
    { field: '.spec.template.spec.containers[name="nginx"].image', manager: 'kubectl' },
  ])
})

ssa('writes recorded by recordUpdateManager conflict with an apply (kubectl-client-side-apply)', () => {
  const created = recordUpdateManager(
    null,
    frozen(structuredClone(appliedDeployment)),
    'kubectl-client-side-apply',
    t1,
  )
  const edited = structuredClone(created) as JsonObject
  ;(edited.spec as JsonObject).replicas = 3
  const updated = recordUpdateManager(frozen(created), frozen(edited), 'kubectl-edit', t2)

  const { conflicts } = apply(updated, { ...base(), spec: { replicas: 4 } }, 'kubectl', false, t3)

  assert.equal(
    managedFields(updated).map((entry) => [entry.manager, entry.operation, entry.time]),
    [
      ['kubectl-client-side-apply', 'Update', t1],
      ['kubectl-edit', 'Update', t2],
    ],
  )
  assert.equal(managedFields(updated)[1]!.fieldsV1, { 'f:spec': { 'f:replicas': {} } })
  assert.equal(conflicts, [{ field: '.spec.replicas', manager: 'kubectl-edit' }])
})

ssa('an update removing a field takes it out of every manager; an unchanged write records nothing', () => {
  const { object: live } = apply(null, appliedDeployment, 'kubectl')
  const next = structuredClone(live)
  delete (next.metadata as JsonObject).labels

  const updated = recordUpdateManager(live, next, 'kubectl-edit', t2)
  const unchanged = recordUpdateManager(updated, structuredClone(updated), 'someone', t3)

  assert.equal(managedFields(updated).length, 1)
  assert.not.ok('f:metadata' in (managedFields(updated)[0]!.fieldsV1 as JsonObject))
  assert.equal(managedFields(unchanged), managedFields(updated))
})

ssa(
  'an object with no managedFields belongs to before-first-apply, which the first apply can conflict with',
  () => {
    const untracked = { ...base(), spec: { replicas: 1, paused: false } }

    const { conflicts } = apply(untracked, { ...base(), spec: { replicas: 3 } }, 'kubectl')
    const { object } = apply(untracked, { ...base(), spec: { replicas: 3 } }, 'kubectl', true)

    assert.equal(conflicts, [{ field: '.spec.replicas', manager: beforeFirstApplyManager }])
    assert.equal(
      managedFields(object).map((entry) => [entry.manager, entry.fieldsV1]),
      [
        [beforeFirstApplyManager, { 'f:spec': { 'f:paused': {} } }],
        ['kubectl', { 'f:spec': { 'f:replicas': {} } }],
      ],
    )
  },
)

ssa.run()
