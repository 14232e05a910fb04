// The registry of served resources (core/api/resources.ts): the names kubectl resolves, the
// lookups of the REST paths, group versions in discovery order, and HorizontalPodAutoscaler's
// conversions between autoscaling/v1 and the stored v2.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { KubeObject } from '../../../core/api/object.ts'
import {
  apiVersionOf,
  convertHpa,
  convertObject,
  groupVersions,
  resourceByName,
  resourceByPlural,
  resourceFor,
  resourceTypes,
  storageResource,
} from '../../../core/api/resources.ts'

const test = suite('core/api: resources')

test('every kind of the brief is served under its group, version and plural', () => {
  const served = resourceTypes.map((t) => `${apiVersionOf(t)} ${t.kind} ${t.plural}`)
  for (const expected of [
    'v1 Namespace namespaces',
    'v1 Node nodes',
    'v1 Pod pods',
    'v1 Service services',
    'v1 Endpoints endpoints',
    'v1 ConfigMap configmaps',
    'v1 Secret secrets',
    'v1 Event events',
    'v1 ServiceAccount serviceaccounts',
    'apps/v1 ReplicaSet replicasets',
    'apps/v1 Deployment deployments',
    'apps/v1 DaemonSet daemonsets',
    'apps/v1 StatefulSet statefulsets',
    'batch/v1 Job jobs',
    'batch/v1 CronJob cronjobs',
    'autoscaling/v1 HorizontalPodAutoscaler horizontalpodautoscalers',
    'autoscaling/v2 HorizontalPodAutoscaler horizontalpodautoscalers',
    'policy/v1 PodDisruptionBudget poddisruptionbudgets',
    'coordination.k8s.io/v1 Lease leases',
  ]) {
    assert.ok(served.includes(expected), expected)
  }
  assert.is(served.length, 19)
})

test('scope, categories and subresources are as Kubernetes has them', () => {
  const all = resourceTypes.filter((t) => t.categories.includes('all')).map((t) => t.plural)
  assert.equal([...new Set(all)].sort(), [
    'cronjobs',
    'daemonsets',
    'deployments',
    'horizontalpodautoscalers',
    'jobs',
    'pods',
    'replicasets',
    'services',
    'statefulsets',
  ])
  const scaled = resourceTypes.filter((t) => t.subresources.includes('scale')).map((t) => t.plural)
  assert.equal(scaled.sort(), ['deployments', 'replicasets', 'statefulsets'])
  assert.not.ok(resourceFor('v1', 'Node')!.namespaced)
  assert.not.ok(resourceFor('v1', 'Namespace')!.namespaced)
  assert.ok(resourceFor('v1', 'Pod')!.subresources.includes('status'))
  assert.equal(resourceFor('v1', 'ConfigMap')!.subresources, [])
  assert.is(resourceFor('v1', 'Endpoints')!.listKind, 'EndpointsList')
  assert.is(resourceFor('v1', 'Endpoints')!.singular, 'endpoints')
})

test('kubectl names resolve: plural, singular, short name, kind, group-qualified', () => {
  assert.is(resourceByName('po')?.kind, 'Pod')
  assert.is(resourceByName('deploy')?.kind, 'Deployment')
  assert.is(resourceByName('Deployment')?.kind, 'Deployment')
  assert.is(resourceByName('deployments.apps')?.kind, 'Deployment')
  assert.is(resourceByName('svc')?.plural, 'services')
  assert.is(resourceByName('ep')?.plural, 'endpoints')
  assert.is(resourceByName('leases.coordination.k8s.io')?.kind, 'Lease')
  assert.is(resourceByName('hpa')?.version, 'v2', 'the preferred version')
  assert.is(resourceByName('horizontalpodautoscalers.v1.autoscaling')?.version, 'v1')
  assert.is(resourceByName('deployments.batch'), undefined)
  assert.is(resourceByName('widgets'), undefined)
})

test('REST path lookups and object lookups', () => {
  assert.is(resourceByPlural('apps', 'v1', 'deployments')?.kind, 'Deployment')
  assert.is(resourceByPlural('', 'v1', 'deployments'), undefined)
  assert.is(resourceFor('batch/v1', 'CronJob')?.plural, 'cronjobs')
  assert.is(resourceFor('apps/v1beta1', 'Deployment'), undefined)
})

test('group versions come in discovery order, autoscaling preferring v2', () => {
  assert.equal(groupVersions(), [
    { group: '', versions: ['v1'] },
    { group: 'apps', versions: ['v1'] },
    { group: 'batch', versions: ['v1'] },
    { group: 'autoscaling', versions: ['v2', 'v1'] },
    { group: 'policy', versions: ['v1'] },
    { group: 'coordination.k8s.io', versions: ['v1'] },
  ])
  assert.is(storageResource(resourceFor('autoscaling/v1', 'HorizontalPodAutoscaler')!).version, 'v2')
  assert.is(storageResource(resourceFor('apps/v1', 'Deployment')!).kind, 'Deployment')
})

const v1Hpa: KubeObject = Object.freeze({
  apiVersion: 'autoscaling/v1',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    minReplicas: 1,
    maxReplicas: 10,
    targetCPUUtilizationPercentage: 50,
  },
  status: { currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 70 },
}) as KubeObject

test('HPA v1 converts to v2 (what kubectl autoscale creates, as stored)', () => {
  const v2 = convertHpa(v1Hpa, 'v2')
  assert.is(v2.apiVersion, 'autoscaling/v2')
  assert.equal(v2.spec, {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    minReplicas: 1,
    maxReplicas: 10,
    metrics: [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
      },
    ],
  })
  assert.equal(v2.status, {
    currentReplicas: 2,
    desiredReplicas: 3,
    currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 70 } } }],
  })
  assert.equal(convertHpa(v2, 'v1'), v1Hpa, 'and back')
})

test('v2-only content survives a trip through v1 in annotations', () => {
  const v2: KubeObject = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default', annotations: { team: 'a' } },
    spec: {
      scaleTargetRef: { kind: 'Deployment', name: 'web' },
      maxReplicas: 5,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } },
        },
        {
          type: 'Resource',
          resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } },
        },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: 60 } },
    },
    status: {
      desiredReplicas: 1,
      conditions: [{ type: 'AbleToScale', status: 'True' }],
    },
  }
  const v1 = convertObject(v2, 'autoscaling/v1')
  assert.is((v1.spec as { targetCPUUtilizationPercentage: number }).targetCPUUtilizationPercentage, 60)
  assert.ok(v1.metadata.annotations?.['autoscaling.alpha.kubernetes.io/metrics']?.includes('memory'))
  assert.equal(convertObject(v1, 'autoscaling/v2'), v2)
  assert.throws(() => convertObject(v2, 'apps/v1'), /no conversion/)
})

test.run()
