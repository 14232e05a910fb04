// Defaulting (core/api/defaults.ts): what Kubernetes fills in, kind by kind, as users see it in
// `kubectl get -o yaml`; a value the user set always wins, and the input is never changed.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { applyDefaults, defaultPullPolicy, qosClass } from '../../../core/api/defaults.ts'
import type { KubeObject } from '../../../core/api/object.ts'
import { resourceFor } from '../../../core/api/resources.ts'
import { myService, nginxDeployment } from './manifests.ts'

const test = suite('core/api: defaults')

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

/** Defaults of a frozen object: proves the input is not touched. */
// biome-ignore lint/suspicious/noExplicitAny: the tests read and edit deep into objects
type Json = Record<string, any>

function defaulted(object: KubeObject): Json {
  return applyDefaults(resourceFor(object.apiVersion, object.kind)!, deepFreeze(object))
}

test('a Deployment gets replicas, RollingUpdate 25%/25%, history, deadline and a defaulted pod template', () => {
  const deployment = nginxDeployment()
  delete (deployment.spec as Record<string, unknown>).replicas
  const result = defaulted(deployment)
  assert.is(result.spec.replicas, 1)
  assert.equal(result.spec.strategy, {
    type: 'RollingUpdate',
    rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
  })
  assert.is(result.spec.revisionHistoryLimit, 10)
  assert.is(result.spec.progressDeadlineSeconds, 600)
  assert.equal(result.spec.template.spec, {
    containers: [
      {
        name: 'nginx',
        image: 'nginx:1.14.2',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
      },
    ],
    restartPolicy: 'Always',
    dnsPolicy: 'ClusterFirst',
    terminationGracePeriodSeconds: 30,
    schedulerName: 'default-scheduler',
    securityContext: {},
    enableServiceLinks: true,
  })
  assert.is(result.spec.template.spec.serviceAccountName, undefined, 'templates get no service account')
})

test('set values are kept; a Recreate strategy gets no rollingUpdate', () => {
  const deployment = nginxDeployment()
  const spec = deployment.spec as Json
  spec.strategy = { type: 'Recreate' }
  spec.revisionHistoryLimit = 0
  spec.template.spec.restartPolicy = 'Never'
  spec.template.spec.containers[0].imagePullPolicy = 'Never'
  const result = defaulted(deployment)
  assert.equal(result.spec.strategy, { type: 'Recreate' })
  assert.is(result.spec.revisionHistoryLimit, 0)
  assert.is(result.spec.replicas, 3)
  assert.is(result.spec.template.spec.restartPolicy, 'Never')
  assert.is(result.spec.template.spec.containers[0].imagePullPolicy, 'Never')
})

test('image pull policy: Always for latest or no tag, IfNotPresent for a tag or digest', () => {
  assert.is(defaultPullPolicy('nginx'), 'Always')
  assert.is(defaultPullPolicy('nginx:latest'), 'Always')
  assert.is(defaultPullPolicy('localhost:5000/nginx'), 'Always')
  assert.is(defaultPullPolicy('localhost:5000/nginx:1.25'), 'IfNotPresent')
  assert.is(defaultPullPolicy('nginx@sha256:abc'), 'IfNotPresent')
})

test('a bare Pod: service account, requests from limits, probes, volumes, Pending with its QoS class', () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'nginx',
          resources: { limits: { cpu: '1', memory: '1Gi' } },
          readinessProbe: { httpGet: { port: 80 } },
          env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
        },
      ],
      volumes: [{ name: 'config', configMap: { name: 'web' } }, { name: 'scratch' }],
    },
  }
  const result = defaulted(pod)
  const container = result.spec.containers[0]
  assert.is(result.spec.serviceAccountName, 'default')
  assert.is(result.spec.serviceAccount, 'default')
  assert.equal(container.resources.requests, { cpu: '1', memory: '1Gi' })
  assert.is(container.imagePullPolicy, 'Always')
  assert.equal(container.readinessProbe, {
    httpGet: { port: 80, path: '/', scheme: 'HTTP' },
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
  })
  assert.is(container.env[0].valueFrom.fieldRef.apiVersion, 'v1')
  assert.equal(result.spec.volumes, [
    { name: 'config', configMap: { name: 'web', defaultMode: 420 } },
    { name: 'scratch', emptyDir: {} },
  ])
  assert.equal(result.status, { phase: 'Pending', qosClass: 'Guaranteed' })
})

test('QoS classes', () => {
  assert.is(qosClass({ containers: [{ name: 'a' }] }), 'BestEffort')
  assert.is(qosClass({ containers: [{ name: 'a', resources: { requests: { cpu: '1' } } }] }), 'Burstable')
  assert.is(
    qosClass({
      containers: [
        { name: 'a', resources: { requests: { cpu: '1', memory: '1' }, limits: { cpu: '1', memory: '1' } } },
      ],
    }),
    'Guaranteed',
  )
})

test('a Service gets ClusterIP, no affinity, TCP and targetPort = port', () => {
  const service = myService()
  ;(service.spec as Json).ports = [{ port: 80 }, { port: 443, targetPort: 8443, protocol: 'UDP' }]
  const result = defaulted(service)
  assert.equal(result.spec, {
    selector: { 'app.kubernetes.io/name': 'MyApp' },
    ports: [
      { port: 80, protocol: 'TCP', targetPort: 80 },
      { port: 443, targetPort: 8443, protocol: 'UDP' },
    ],
    type: 'ClusterIP',
    sessionAffinity: 'None',
    internalTrafficPolicy: 'Cluster',
  })
  const nodePort = defaulted({ ...myService(), spec: { type: 'NodePort', ports: [{ port: 80 }] } })
  assert.is(nodePort.spec.externalTrafficPolicy, 'Cluster')
})

test('StatefulSet, DaemonSet and ReplicaSet defaults', () => {
  const template = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'a', image: 'a:1' }] } }
  const base = { metadata: { name: 'a', namespace: 'default' } }
  const statefulSet = defaulted({ ...base, apiVersion: 'apps/v1', kind: 'StatefulSet', spec: { template } })
  assert.is(statefulSet.spec.replicas, 1)
  assert.is(statefulSet.spec.podManagementPolicy, 'OrderedReady')
  assert.equal(statefulSet.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } })
  assert.equal(statefulSet.spec.persistentVolumeClaimRetentionPolicy, {
    whenDeleted: 'Retain',
    whenScaled: 'Retain',
  })
  const daemonSet = defaulted({ ...base, apiVersion: 'apps/v1', kind: 'DaemonSet', spec: { template } })
  assert.equal(daemonSet.spec.updateStrategy, {
    type: 'RollingUpdate',
    rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
  })
  assert.is(daemonSet.spec.replicas, undefined)
  const replicaSet = defaulted({ ...base, apiVersion: 'apps/v1', kind: 'ReplicaSet', spec: { template } })
  assert.is(replicaSet.spec.replicas, 1)
  assert.is(replicaSet.spec.template.spec.restartPolicy, 'Always')
})

test('Job and CronJob defaults; a Job takes its template labels', () => {
  const template = {
    metadata: { labels: { app: 'pi' } },
    spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl' }] },
  }
  const job = defaulted({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default' },
    spec: { template },
  })
  assert.is(job.spec.completions, 1)
  assert.is(job.spec.parallelism, 1)
  assert.is(job.spec.backoffLimit, 6)
  assert.is(job.spec.completionMode, 'NonIndexed')
  assert.is(job.spec.suspend, false)
  assert.equal(job.metadata.labels, { app: 'pi' })
  const parallel = defaulted({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'p' },
    spec: { parallelism: 3, template },
  })
  assert.is(parallel.spec.completions, undefined, 'a work queue keeps completions unset')
  const cronJob = defaulted({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'hello', namespace: 'default' },
    spec: { schedule: '* * * * *', jobTemplate: { spec: { template } } },
  })
  assert.is(cronJob.spec.concurrencyPolicy, 'Allow')
  assert.is(cronJob.spec.suspend, false)
  assert.is(cronJob.spec.successfulJobsHistoryLimit, 3)
  assert.is(cronJob.spec.failedJobsHistoryLimit, 1)
  assert.is(cronJob.spec.jobTemplate.spec.template.spec.dnsPolicy, 'ClusterFirst')
  assert.is(
    cronJob.spec.jobTemplate.spec.backoffLimit,
    undefined,
    'the Job gets its defaults when it is made',
  )
})

test('Secret type, Namespace phase and name label, HPA v2 default metric', () => {
  assert.is(defaulted({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } }).type, 'Opaque')
  const namespace = defaulted({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } })
  assert.equal(namespace.status, { phase: 'Active' })
  assert.equal(namespace.metadata.labels, { 'kubernetes.io/metadata.name': 'team-a' })
  const hpa = defaulted({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web' },
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3 },
  })
  assert.is(hpa.spec.minReplicas, 1)
  assert.equal(hpa.spec.metrics, [
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
  ])
  const configMap: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c' },
    data: { a: '1' },
  }
  assert.equal(defaulted(configMap), configMap, 'kinds without defaults come back equal')
})

test.run()
