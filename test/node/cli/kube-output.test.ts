// What the `cox` object commands print and decide without a cluster: kubectl's tabwriter layout,
// server Tables as rows, rollout verdicts, the revision undo picks, names and flags.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { KubeObject } from '../../../core/api/object.ts'
import { resourceByName } from '../../../core/api/resources.ts'
import { renderDescription } from '../../../node/cli/describe.ts'
import { age, TablePrinter } from '../../../node/cli/get.ts'
import { durationFlag, kindName, objectRefs, selectorString } from '../../../node/cli/kube-api.ts'
import { pickRevision, rolloutStatus } from '../../../node/cli/rollout.ts'
import { tabWrite } from '../../../node/cli/tab-writer.ts'
import { UsageError } from '../../../node/cli/usage.ts'

test('tabWrite aligns each block of tab-separated lines; a line without tabs ends the block', () => {
  const text = tabWrite(
    'Name:\tweb\nRollingUpdateStrategy:\tx\nPod Template:\n  Labels:\tapp=web\nEvents:\t<none>\n',
  )
  assert.is(
    text,
    'Name:                   web\nRollingUpdateStrategy:  x\nPod Template:\n  Labels:  app=web\nEvents:    <none>\n',
  )
})

const table = {
  kind: 'Table',
  metadata: { resourceVersion: '7' },
  columnDefinitions: [
    { name: 'Name', priority: 0 },
    { name: 'Ready', priority: 0 },
    { name: 'Images', priority: 1 },
  ],
  rows: [
    { cells: ['web', '1/3', 'nginx'], object: { metadata: { name: 'web', namespace: 'default' } } },
    {
      cells: ['a-longer-name', '0/1', null],
      object: { metadata: { name: 'a-longer-name', namespace: 'team' } },
    },
  ],
}

test('a Table prints priority-0 columns, the wide ones with -o wide, NAMESPACE first with -A', () => {
  assert.is(
    new TablePrinter({ wide: false, withNamespace: false, kindPrefix: '' }).format(table),
    'NAME            READY\nweb             1/3\na-longer-name   0/1\n',
  )
  assert.is(
    new TablePrinter({ wide: true, withNamespace: true, kindPrefix: 'deployment.apps/' }).format(table),
    'NAMESPACE   NAME                            READY   IMAGES\n' +
      'default     deployment.apps/web             1/3     nginx\n' +
      'team        deployment.apps/a-longer-name   0/1\n',
  )
})

test('later Tables (watch events) print rows only, at least as wide as the header', () => {
  const printer = new TablePrinter({ wide: false, withNamespace: false, kindPrefix: '' })
  printer.format(table)
  const event = { ...table, rows: [{ cells: ['web', '2/3', 'nginx'] }] }
  assert.is(printer.format(event), 'web             2/3\n')
  assert.is(printer.format({ ...table, rows: [] }), '')
})

test('a response that is not a Table falls back to NAME and AGE', () => {
  const now = Date.now()
  const created = new Date(now - 30_000).toISOString()
  const text = new TablePrinter({ wide: false, withNamespace: false, kindPrefix: '' }).format({
    items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', creationTimestamp: created } }],
  })
  assert.match(text, /^NAME {3}AGE\nc {6}(30|31)s\n$/)
})

test('ages read as kubectl prints them', () => {
  const now = Date.parse('2026-01-10T00:00:00Z')
  const ago = (seconds: number) => age(new Date(now - seconds * 1000).toISOString(), now)
  assert.equal(
    [ago(5), ago(119), ago(150), ago(600), ago(3 * 3600 + 60), ago(30 * 3600), ago(3 * 86400)],
    ['5s', '119s', '2m30s', '10m', '3h1m', '30h', '3d'],
  )
})

function deployment(spec: object, status: object, generation = 2): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', generation }, spec, status }
}

test('rollout status gives kubectl verdicts, in its order', () => {
  const verdict = (status: object, generation?: number) =>
    rolloutStatus(deployment({ replicas: 3 }, { observedGeneration: 2, ...status }, generation))
  assert.equal(verdict({}, 3), {
    message: 'Waiting for deployment spec update to be observed...',
    done: false,
  })
  assert.is(
    verdict({ updatedReplicas: 1 }).message,
    'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...',
  )
  assert.is(
    verdict({ updatedReplicas: 3, replicas: 4 }).message,
    'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...',
  )
  assert.is(
    verdict({ updatedReplicas: 3, replicas: 3, availableReplicas: 1 }).message,
    'Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...',
  )
  assert.equal(verdict({ updatedReplicas: 3, replicas: 3, availableReplicas: 3 }), {
    message: 'deployment "web" successfully rolled out',
    done: true,
  })
  assert.throws(
    () => verdict({ conditions: [{ type: 'Progressing', reason: 'ProgressDeadlineExceeded' }] }),
    /exceeded its progress deadline/,
  )
})

test('undo goes to the revision before the latest, or the one asked for', () => {
  const rs = (revision: number) => ({
    revision,
    replicaSet: { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: `r${revision}` } },
  })
  const history = [rs(1), rs(4), rs(5)]
  assert.is(pickRevision(history, 0, 'web').revision, 4)
  assert.is(pickRevision(history, 1, 'web').revision, 1)
  assert.throws(() => pickRevision(history, 2, 'web'), /unable to find specified revision 2 in history/)
  assert.throws(() => pickRevision([rs(1)], 0, 'web'), /no rollout history found for deployment "web"/)
})

test('names: kinds by any spelling, KIND/NAME forms, kubectl display names', () => {
  const { type, refs } = objectRefs('get', ['deploy', 'a', 'b'])
  assert.is(type.kind, 'Deployment')
  assert.equal(
    refs.map((r) => r.name),
    ['a', 'b'],
  )
  const mixed = objectRefs('delete', ['svc/x', 'cm/y'])
  assert.equal(
    mixed.refs.map((r) => `${kindName(r.type)}/${r.name}`),
    ['service/x', 'configmap/y'],
  )
  assert.throws(
    () => objectRefs('get', ['deploy', 'svc/x']),
    (e: Error) => e instanceof UsageError,
  )
  assert.throws(() => objectRefs('get', ['frobs']), /doesn't have a resource type "frobs"/)
  assert.is(kindName(resourceByName('hpa')!), 'horizontalpodautoscaler.autoscaling')
})

test('selectors and durations', () => {
  assert.is(
    selectorString({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
        { key: 'x', operator: 'DoesNotExist' },
      ],
    }),
    'app=web,tier in (a,b),!x',
  )
  assert.equal(
    [durationFlag('t', '90s', 0), durationFlag('t', '1h30m', 0), durationFlag('t', undefined, 7)],
    [90_000, 5_400_000, 7],
  )
  assert.throws(
    () => durationFlag('timeout', '10', 0),
    (e: Error) => e instanceof UsageError,
  )
})

test('describe renders the common header, the kind, and events', () => {
  const object: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'web',
      namespace: 'default',
      labels: { app: 'web', tier: 'front' },
      creationTimestamp: '2026-01-01T12:00:00Z',
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.0.10',
      selector: { app: 'web' },
      ports: [{ port: 80, protocol: 'TCP' }],
    },
  }
  const text = renderDescription(resourceByName('svc')!, object, [
    {
      type: 'Warning',
      reason: 'Failed',
      message: 'no endpoints',
      count: 1,
      lastTimestamp: new Date().toISOString(),
      source: { component: 'endpoints-controller' },
    },
  ])
  assert.is(
    text.split('\n').slice(0, 12).join('\n'),
    [
      'Name:               web',
      'Namespace:          default',
      'CreationTimestamp:  Thu, 01 Jan 2026 12:00:00 +0000',
      'Labels:             app=web',
      '                    tier=front',
      'Annotations:        <none>',
      'Selector:           app=web',
      'Type:               ClusterIP',
      'IP:                 10.96.0.10',
      'Port:               <unset>  80/TCP',
      'TargetPort:         80/TCP',
      'Session Affinity:   None',
    ].join('\n'),
  )
  assert.match(text, /\nEvents:\n {2}Type {5}Reason {2}Age {3}From {18}Message\n/)
  assert.match(text, /\n {2}Warning {2}Failed {2}\ds {4}endpoints-controller {2}no endpoints\n$/)
})

test.run()
