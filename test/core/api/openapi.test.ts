// OpenAPI v3 (core/api/openapi.ts): the index and per-group-version documents as kubectl's
// query-param verifier reads them (every kind has a schema and a PATCH operation that takes
// fieldValidation), the list semantics patches depend on, and strict field validation: the
// documentation's manifests have no unknown fields, typos are found by their JSON path.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { KubeObject } from '../../../core/api/object.ts'
import {
  openApiDocument,
  openApiHash,
  openApiIndex,
  typeMismatches,
  unknownFields,
} from '../../../core/api/openapi.ts'
import { kindSchemaName } from '../../../core/api/openapi-schemas.ts'
import { resourceFor, resourceTypes } from '../../../core/api/resources.ts'
import { myService, nginxDeployment } from './manifests.ts'

const test = suite('core/api: openapi')

// biome-ignore lint/suspicious/noExplicitAny: documents are walked as plain JSON
type Json = Record<string, any>

const document = (group: string, version: string) => openApiDocument(group, version) as Json

/** The schema a property points at, through Kubernetes' `allOf: [{$ref}]` wrapping. */
function target(doc: Json, schema: Json): Json {
  const ref: string | undefined = schema.$ref ?? schema.allOf?.[0]?.$ref
  return ref === undefined ? schema : doc.components.schemas[ref.replace('#/components/schemas/', '')]
}

/** kubectl's check (cli-runtime query_param_verifier_v3.go): a PATCH of the kind that lists fieldValidation. */
function supportsFieldValidation(doc: Json, group: string, version: string, kind: string): boolean {
  const patches = Object.values(doc.paths as Record<string, Json>)
    .map((path) => path.patch)
    .filter((op) => {
      const gvk = op?.['x-kubernetes-group-version-kind']
      return gvk && gvk.group === group && gvk.version === version && gvk.kind === kind
    })
  return (
    patches.length > 0 &&
    patches.every((op) => op.parameters.some((p: Json) => p.name === 'fieldValidation' && p.in === 'query'))
  )
}

test('the index points at one document per served group-version, with a content hash', () => {
  const index = openApiIndex()
  assert.equal(Object.keys(index.paths), [
    'api/v1',
    'apis/apps/v1',
    'apis/batch/v1',
    'apis/autoscaling/v2',
    'apis/autoscaling/v1',
    'apis/policy/v1',
    'apis/coordination.k8s.io/v1',
  ])
  assert.match(
    index.paths['apis/apps/v1']!.serverRelativeURL,
    /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{16}$/,
  )
  assert.is(openApiHash('apps', 'v1'), openApiHash('apps', 'v1'))
  assert.is.not(openApiHash('apps', 'v1'), openApiHash('batch', 'v1'))
  assert.is(openApiIndex(() => 'H').paths['api/v1']!.serverRelativeURL, '/openapi/v3/api/v1?hash=H')
  assert.is(openApiDocument('apps', 'v2'), undefined)
})

test('every resource type has a schema with its GVK and a PATCH that takes fieldValidation', () => {
  for (const type of resourceTypes) {
    const doc = document(type.group, type.version)
    const schema = doc.components.schemas[kindSchemaName(type.group, type.version, type.kind)]
    assert.ok(schema, `${type.kind} schema`)
    assert.equal(schema['x-kubernetes-group-version-kind'], [
      { group: type.group, kind: type.kind, version: type.version },
    ])
    assert.ok(
      supportsFieldValidation(doc, type.group, type.version, type.kind),
      `${type.group}/${type.version} ${type.kind}`,
    )
    for (const verb of ['post', 'put']) {
      const ops = Object.values(doc.paths as Record<string, Json>)
        .map((p) => p[verb])
        .filter(Boolean)
      assert.ok(
        ops.every((op: Json) => op.parameters.some((p: Json) => p.name === 'fieldValidation')),
        verb,
      )
    }
  }
  assert.ok(
    supportsFieldValidation(document('apps', 'v1'), 'autoscaling', 'v1', 'Scale'),
    'the /scale subresource',
  )
})

test('paths: collections, objects, subresources and all-namespaces lists', () => {
  const core = document('', 'v1')
  for (const path of [
    '/api/v1/namespaces/{namespace}/pods',
    '/api/v1/namespaces/{namespace}/pods/{name}',
    '/api/v1/namespaces/{namespace}/pods/{name}/status',
    '/api/v1/pods',
    '/api/v1/nodes/{name}/status',
    '/api/v1/namespaces/{name}',
  ]) {
    assert.ok(core.paths[path], path)
  }
  assert.is(core.paths['/api/v1/namespaces/{namespace}/configmaps/{name}/status'], undefined)
  const item = core.paths['/api/v1/namespaces/{namespace}/pods/{name}']
  assert.equal(
    Object.keys(item)
      .filter((k) => k !== 'parameters')
      .sort(),
    ['delete', 'get', 'patch', 'put'],
  )
  assert.is(item.patch.operationId, 'patchCoreV1NamespacedPod')
  assert.ok(item.patch.requestBody.content['application/strategic-merge-patch+json'])
  const scale = document('apps', 'v1').paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale']
  assert.equal(scale.get['x-kubernetes-group-version-kind'], {
    group: 'autoscaling',
    kind: 'Scale',
    version: 'v1',
  })
  assert.ok(document('apps', 'v1').components.schemas['io.k8s.api.autoscaling.v1.Scale'])
})

test('every $ref in every document resolves inside it; documents are frozen JSON', () => {
  for (const type of resourceTypes) {
    const doc = document(type.group, type.version)
    const text = JSON.stringify(doc)
    for (const [, name] of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) {
      assert.ok(doc.components.schemas[name!], `${type.group}/${type.version}: ${name}`)
    }
    assert.ok(Object.isFrozen(doc.components.schemas))
  }
})

test('list semantics: merge keys and list types as Kubernetes declares them', () => {
  const core = document('', 'v1')
  const schemas = core.components.schemas
  const podSpec = schemas['io.k8s.api.core.v1.PodSpec'].properties
  const container = schemas['io.k8s.api.core.v1.Container'].properties
  const expectations: [Json, string | undefined, string, string[]?][] = [
    [podSpec.containers, 'name', 'map', ['name']],
    [podSpec.initContainers, 'name', 'map', ['name']],
    [podSpec.volumes, 'name', 'map', ['name']],
    [podSpec.imagePullSecrets, 'name', 'map', ['name']],
    [podSpec.tolerations, undefined, 'atomic'],
    [container.ports, 'containerPort', 'map', ['containerPort', 'protocol']],
    [container.env, 'name', 'map', ['name']],
    [container.volumeMounts, 'mountPath', 'map', ['mountPath']],
    [container.args, undefined, 'atomic'],
    [schemas['io.k8s.api.core.v1.ServiceSpec'].properties.ports, 'port', 'map', ['port', 'protocol']],
    [
      schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.ownerReferences,
      'uid',
      'map',
      ['uid'],
    ],
    [schemas['io.k8s.api.core.v1.PodStatus'].properties.conditions, 'type', 'map', ['type']],
  ]
  for (const [schema, mergeKey, listType, mapKeys] of expectations) {
    assert.is(schema['x-kubernetes-patch-merge-key'], mergeKey)
    assert.is(
      schema['x-kubernetes-patch-strategy']?.split(',')[0],
      mergeKey === undefined ? undefined : 'merge',
    )
    assert.is(schema['x-kubernetes-list-type'], listType)
    assert.equal(schema['x-kubernetes-list-map-keys'], mapKeys)
  }
  assert.is(podSpec.volumes['x-kubernetes-patch-strategy'], 'merge,retainKeys')
  assert.is(container.env['x-kubernetes-patch-strategy'], 'merge')
  const deploymentSpec = target(
    document('apps', 'v1'),
    document('apps', 'v1').components.schemas['io.k8s.api.apps.v1.Deployment'].properties.spec,
  )
  assert.equal(deploymentSpec.required, ['selector', 'template'])
})

test('the documentation manifests have no unknown fields and no type errors', () => {
  for (const manifest of [nginxDeployment(), myService()]) {
    const type = resourceFor(manifest.apiVersion, manifest.kind)!
    assert.equal(unknownFields(type, manifest), [], manifest.kind)
    assert.equal(typeMismatches(type, manifest), [], manifest.kind)
  }
})

test('typos are reported by JSON path, in the order of the document', () => {
  const manifest = nginxDeployment() as Json
  manifest.spec.replcas = 3
  manifest.metadata.labelz = {}
  manifest.spec.template.spec.containers[0].imagee = 'nginx'
  manifest.spec.template.spec.containers[0].ports[0].containerport = 80
  manifest.spek = {}
  assert.equal(unknownFields(resourceFor('apps/v1', 'Deployment')!, manifest as KubeObject), [
    'metadata.labelz',
    'spec.template.spec.containers[0].ports[0].containerport',
    'spec.template.spec.containers[0].imagee',
    'spec.replcas',
    'spek',
  ])
})

test('a richer Pod from the docs: probes, env sources, volumes, affinity, tolerations, security context', () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, annotations: { note: 'x' } },
    spec: {
      serviceAccountName: 'web',
      nodeSelector: { disktype: 'ssd' },
      securityContext: { runAsUser: 1000, fsGroup: 2000, seccompProfile: { type: 'RuntimeDefault' } },
      initContainers: [{ name: 'init', image: 'busybox:1.28', command: ['sh', '-c', 'true'] }],
      containers: [
        {
          name: 'web',
          image: 'nginx:1.25',
          args: ['--port', '8080'],
          ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
          env: [
            { name: 'MODE', value: 'prod' },
            { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
            { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
            { name: 'LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
          ],
          envFrom: [{ configMapRef: { name: 'web-config' } }],
          resources: { requests: { cpu: 0.25, memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
          livenessProbe: {
            httpGet: { path: '/healthz', port: 'http', httpHeaders: [{ name: 'X', value: 'y' }] },
            initialDelaySeconds: 3,
          },
          readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 5 },
          startupProbe: { exec: { command: ['cat', '/tmp/ready'] } },
          lifecycle: { preStop: { exec: { command: ['nginx', '-s', 'quit'] } } },
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            readOnlyRootFilesystem: true,
          },
          volumeMounts: [
            { name: 'config', mountPath: '/etc/web', readOnly: true },
            { name: 'cache', mountPath: '/cache' },
          ],
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: 'web-config', items: [{ key: 'a', path: 'a.conf' }] } },
        { name: 'cache', emptyDir: { sizeLimit: '500Mi' } },
        { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
        { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } },
        {
          name: 'token',
          projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] },
        },
        { name: 'legacy', awsElasticBlockStore: { volumeID: 'vol-1', fsType: 'ext4', anything: true } },
      ],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }],
          },
        },
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: {
                labelSelector: { matchLabels: { app: 'web' } },
                topologyKey: 'kubernetes.io/hostname',
              },
            },
          ],
        },
      },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }],
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'zone',
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { app: 'web' } },
        },
      ],
    },
    status: { phase: 'Running', podIP: '10.0.0.5', conditions: [{ type: 'Ready', status: 'True' }] },
  }
  const type = resourceFor('v1', 'Pod')!
  assert.equal(unknownFields(type, pod), [], 'an unmodelled volume source keeps its unknown fields')
  assert.equal(typeMismatches(type, pod), [], 'a number is a quantity; a port name is an int-or-string')
})

test('StatefulSet, CronJob and HPA manifests from the docs', () => {
  const statefulSet: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'nginx' } },
      serviceName: 'nginx',
      replicas: 3,
      minReadySeconds: 10,
      template: {
        metadata: { labels: { app: 'nginx' } },
        spec: {
          terminationGracePeriodSeconds: 10,
          containers: [
            {
              name: 'nginx',
              image: 'registry.k8s.io/nginx-slim:0.24',
              ports: [{ containerPort: 80, name: 'web' }],
              volumeMounts: [{ name: 'www', mountPath: '/usr/share/nginx/html' }],
            },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'www' },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: 'my-storage-class',
            resources: { requests: { storage: '1Gi' } },
          },
        },
      ],
    },
  }
  const cronJob: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'hello', namespace: 'default' },
    spec: {
      schedule: '* * * * *',
      jobTemplate: {
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: 'hello',
                  image: 'busybox:1.28',
                  imagePullPolicy: 'IfNotPresent',
                  command: ['/bin/sh', '-c', 'date; echo Hello'],
                },
              ],
              restartPolicy: 'OnFailure',
            },
          },
        },
      },
    },
  }
  const hpa: KubeObject = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'php-apache', namespace: 'default' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'php-apache' },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
        },
      ],
      behavior: {
        scaleDown: {
          stabilizationWindowSeconds: 300,
          policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
        },
      },
    },
  }
  for (const manifest of [statefulSet, cronJob, hpa]) {
    const type = resourceFor(manifest.apiVersion, manifest.kind)!
    assert.equal(unknownFields(type, manifest), [], manifest.kind)
  }
  const v1Hpa = {
    ...hpa,
    apiVersion: 'autoscaling/v1',
    spec: { ...(hpa.spec as Json), targetCPUUtilizationPercentage: 50 },
  }
  assert.equal(unknownFields(resourceFor('autoscaling/v1', 'HorizontalPodAutoscaler')!, v1Hpa), [
    'spec.metrics',
    'spec.behavior',
  ])
})

test('type mismatches are worded as Go decoding errors', () => {
  const manifest = nginxDeployment() as Json
  manifest.spec.replicas = '3'
  manifest.spec.template.spec.containers[0].ports = { containerPort: 80 }
  manifest.metadata.labels.app = 1
  assert.equal(typeMismatches(resourceFor('apps/v1', 'Deployment')!, manifest as KubeObject), [
    'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels.app of type string',
    'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    'json: cannot unmarshal object into Go struct field Container.spec.template.spec.containers[0].ports of type []struct',
  ])
})

test.run()
