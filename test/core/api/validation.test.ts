// Validation (core/api/validation.ts): the documentation's manifests pass; each rule fails with
// Kubernetes' field path and wording; updates keep immutable fields; causes render into the
// message and Status kubectl prints ("The Deployment "web" is invalid: ...").

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { applyDefaults } from '../../../core/api/defaults.ts'
import type { KubeObject } from '../../../core/api/object.ts'
import { resourceFor } from '../../../core/api/resources.ts'
import {
  base64Check,
  invalidMessage,
  invalidStatus,
  type ValidateOptions,
  type ValidationCause,
  validateObject,
} from '../../../core/api/validation.ts'
import { myService, nginxDeployment } from './manifests.ts'

const test = suite('core/api: validation')

/** Causes of `object` after defaulting, as the API server validates it. */
function causes(object: KubeObject, options?: ValidateOptions): ValidationCause[] {
  const resource = resourceFor(object.apiVersion, object.kind)!
  return validateObject(resource, applyDefaults(resource, deepFreeze(structuredClone(object))), options)
}

/** `field: message` lines, as kubectl prints each cause. */
function lines(object: KubeObject, options?: ValidateOptions): string[] {
  return causes(object, options).map((c) => `${c.field}: ${c.message}`)
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

// biome-ignore lint/suspicious/noExplicitAny: the tests edit manifests in place, deep down
type Json = Record<string, any>

function deployment(change: (d: Json) => void): KubeObject {
  const object = nginxDeployment() as Json
  change(object)
  return object as KubeObject
}

const container = (d: Json) => d.spec.template.spec.containers[0]

test('the documentation manifests are valid, defaulted or not', () => {
  assert.equal(causes(nginxDeployment()), [])
  assert.equal(causes(myService()), [])
  assert.equal(validateObject(resourceFor('apps/v1', 'Deployment')!, nginxDeployment()), [])
  assert.equal(validateObject(resourceFor('v1', 'Service')!, myService()), [])
})

test('a selector that does not match the template labels, in Kubernetes words', () => {
  const object = deployment((d) => {
    d.spec.template.metadata.labels = { app: 'x' }
  })
  assert.equal(causes(object), [
    {
      reason: 'FieldValueInvalid',
      message: 'Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`',
      field: 'spec.template.metadata.labels',
    },
  ])
  assert.is(
    invalidMessage(resourceFor('apps/v1', 'Deployment')!, 'web', causes(object)),
    'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`',
  )
})

test('the Status of invalid causes: 422, reason Invalid, details with kind, group and causes', () => {
  const object = deployment((d) => {
    d.spec.replicas = -1
    delete container(d).image
  })
  const status = invalidStatus(resourceFor('apps/v1', 'Deployment')!, 'nginx-deployment', causes(object))
  assert.is(status.code, 422)
  assert.is(status.reason, 'Invalid')
  assert.is(status.details?.kind, 'Deployment')
  assert.is(status.details?.group, 'apps')
  assert.is(
    status.message,
    'Deployment.apps "nginx-deployment" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.template.spec.containers[0].image: Required value]',
  )
  assert.equal(status.details?.causes?.[1], {
    reason: 'FieldValueRequired',
    message: 'Required value',
    field: 'spec.template.spec.containers[0].image',
  })
})

test('names: DNS-1123 subdomains for most kinds, labels for namespaces, DNS-1035 for services', () => {
  assert.equal(lines(deployment((d) => (d.metadata.name = 'Web_1'))), [
    "metadata.name: Invalid value: \"Web_1\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  ])
  assert.equal(causes(deployment((d) => (d.metadata.name = 'web.v1'))), [], 'dots are fine in a subdomain')
  const service = myService() as Json
  service.metadata.name = '1-service'
  assert.match(
    lines(service as KubeObject)[0]!,
    /^metadata.name: Invalid value: "1-service": a DNS-1035 label must consist of/,
  )
  const namespace: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team.a' } }
  assert.match(
    lines(namespace)[0]!,
    /^metadata.name: Invalid value: "team.a": a lowercase RFC 1123 label must/,
  )
  assert.match(
    lines(deployment((d) => (d.metadata.name = 'a'.repeat(254))))[0]!,
    /Invalid value: "a{254}": must be no more than 253 characters/,
  )
})

test('generateName is a prefix; a name or generateName is required', () => {
  assert.equal(
    causes(
      deployment((d) => {
        delete d.metadata.name
        d.metadata.generateName = 'web-'
      }),
    ),
    [],
  )
  assert.equal(lines(deployment((d) => delete d.metadata.name)), [
    'metadata.name: Required value: name or generateName is required',
  ])
  assert.match(
    lines(deployment((d) => (d.metadata.generateName = 'Web-')))[0]!,
    /^metadata.generateName: Invalid value: "Web-"/,
  )
})

test('namespace is set iff the kind is namespaced', () => {
  assert.equal(lines(deployment((d) => delete d.metadata.namespace)), ['metadata.namespace: Required value'])
  const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', namespace: 'default' } }
  assert.equal(lines(node), ['metadata.namespace: Forbidden: not allowed on this type'])
})

test('label keys and values, annotation keys and their total size', () => {
  const result = lines(
    deployment((d) => {
      d.metadata.labels = {
        'example.com/ok': 'v',
        'bad key': 'v',
        'a/b/c': 'v',
        good: '-bad',
        long: 'x'.repeat(64),
      }
    }),
  )
  assert.is(result.length, 4)
  assert.match(
    result[0]!,
    /^metadata.labels: Invalid value: "bad key": name part must consist of alphanumeric characters/,
  )
  assert.match(result[1]!, /^metadata.labels: Invalid value: "a\/b\/c": a qualified name must consist of/)
  assert.match(result[2]!, /^metadata.labels: Invalid value: "-bad": a valid label must be an empty string/)
  assert.match(result[3]!, /^metadata.labels: Invalid value: "x{64}": must be no more than 63 characters/)
  assert.equal(lines(deployment((d) => (d.metadata.annotations = { big: 'x'.repeat(262_142) }))), [
    'metadata.annotations: Too long: may not be more than 262144 bytes',
  ])
  assert.equal(
    causes(deployment((d) => (d.metadata.annotations = { 'Example.com/Note': 'anything at all: {}' }))),
    [],
  )
})

test('workload selectors: required, non-empty, operators; replicas not negative', () => {
  assert.equal(lines(deployment((d) => delete d.spec.selector)), ['spec.selector: Required value'])
  assert.equal(lines(deployment((d) => (d.spec.selector = {}))), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
  ])
  assert.equal(
    lines(deployment((d) => (d.spec.selector.matchExpressions = [{ key: 'app', operator: 'In' }]))),
    [
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"nginx"}, MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"app", Operator:"In", Values:[]string(nil)}}}: invalid label selector',
    ],
  )
  assert.equal(lines(deployment((d) => (d.spec.replicas = -1))), [
    'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
  ])
  const replicaSet = deployment((d) => {
    d.kind = 'ReplicaSet'
    d.spec.template.metadata.labels = { app: 'other' }
  })
  assert.equal(lines(replicaSet), [
    'spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`',
  ])
})

test('containers: name and image required, names unique, ports in range, protocols known', () => {
  assert.equal(
    lines(
      deployment((d) => {
        d.spec.template.spec.containers = [
          {
            name: 'web',
            image: 'nginx',
            ports: [{ containerPort: 70000 }, { containerPort: 80, protocol: 'HTTP' }],
          },
          { name: 'web', image: 'busybox' },
          { image: 'busybox' },
          { name: 'Side' },
        ]
      }),
    ),
    [
      'spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.template.spec.containers[0].ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
      'spec.template.spec.containers[1].name: Duplicate value: "web"',
      'spec.template.spec.containers[2].name: Required value',
      "spec.template.spec.containers[3].name: Invalid value: \"Side\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      'spec.template.spec.containers[3].image: Required value',
    ],
  )
  assert.equal(lines(deployment((d) => (d.spec.template.spec.containers = []))), [
    'spec.template.spec.containers: Required value',
  ])
})

test('resources: valid quantities, standard names, requests at most limits (exactly compared)', () => {
  const withResources = (resources: Json) => deployment((d) => (container(d).resources = resources))
  assert.equal(
    causes(
      withResources({ requests: { cpu: '100m', memory: '0.1Gi' }, limits: { cpu: '0.1', memory: '128Mi' } }),
    ),
    [],
  )
  assert.equal(lines(withResources({ requests: { cpu: '2' }, limits: { cpu: '1' } })), [
    'spec.template.spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
  ])
  assert.equal(lines(withResources({ limits: { memory: '12Mb', cpu: '-1', gpu: '1' } })), [
    'spec.template.spec.containers[0].resources.limits[memory]: Invalid value: "12Mb": quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
    'spec.template.spec.containers[0].resources.limits[cpu]: Invalid value: "-1": must be greater than or equal to 0',
    'spec.template.spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers',
  ])
  assert.equal(causes(withResources({ limits: { 'nvidia.com/gpu': '1' } })), [])
})

test('volumes and mounts: a mount names a volume; a volume has exactly one source', () => {
  assert.equal(
    lines(
      deployment((d) => {
        d.spec.template.spec.volumes = [
          { name: 'data', emptyDir: {} },
          { name: 'data', configMap: { name: 'c' } },
          { name: 'two', emptyDir: {}, hostPath: { path: '/x' } },
        ]
        container(d).volumeMounts = [
          { name: 'data', mountPath: '/data' },
          { name: 'cache', mountPath: '/data' },
        ]
      }),
    ),
    [
      'spec.template.spec.volumes[1].name: Duplicate value: "data"',
      'spec.template.spec.volumes[2].emptyDir: Forbidden: may not specify more than 1 volume type',
      'spec.template.spec.containers[0].volumeMounts[1].name: Not found: "cache"',
      'spec.template.spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/data": must be unique',
    ],
  )
})

test('a Job template must not restart Always (the default), as Kubernetes words it', () => {
  const job: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default' },
    spec: { template: { spec: { containers: [{ name: 'pi', image: 'perl:5.34.0', command: ['perl'] }] } } },
  }
  assert.equal(lines(job), [
    'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
  ])
  ;(job.spec as Json).template.spec.restartPolicy = 'Never'
  assert.equal(causes(job), [])
  assert.equal(lines({ ...job, spec: { ...(job.spec as Json), backoffLimit: -1 } }), [
    'spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0',
  ])
})

test('CronJob: schedule required, name at most 52 characters, job template validated', () => {
  const cronJob: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'h'.repeat(53), namespace: 'default' },
    spec: {
      jobTemplate: {
        spec: {
          template: {
            spec: { restartPolicy: 'OnFailure', containers: [{ name: 'hello', image: 'busybox:1.28' }] },
          },
        },
      },
    },
  }
  assert.equal(lines(cronJob), [
    `metadata.name: Invalid value: "${'h'.repeat(53)}": must be no more than 52 characters`,
    'spec.schedule: Required value',
  ])
  assert.equal(
    lines({
      ...cronJob,
      metadata: { name: 'hello', namespace: 'default' },
      spec: { ...(cronJob.spec as Json), schedule: '* * * * *', concurrencyPolicy: 'Never' },
    }),
    ['spec.concurrencyPolicy: Unsupported value: "Never": supported values: "Allow", "Forbid", "Replace"'],
  )
})

test('Services: type, ports, names of several ports, target ports', () => {
  const service = (change: (s: Json) => void) => {
    const object = myService() as Json
    change(object)
    return object as KubeObject
  }
  assert.equal(lines(service((s) => (s.spec.type = 'Internal'))), [
    'spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
  ])
  assert.equal(lines(service((s) => (s.spec.ports = []))), ['spec.ports: Required value'])
  assert.equal(
    causes(
      service((s) => {
        s.spec.ports = []
        s.spec.clusterIP = 'None'
      }),
    ),
    [],
    'a headless service needs no ports',
  )
  assert.equal(
    lines(
      service((s) => {
        s.spec.ports = [
          { port: 80, targetPort: 'http_web' },
          { port: 443, protocol: 'TCP' },
          { targetPort: 8080 },
        ]
      }),
    ),
    [
      'spec.ports[0].name: Required value',
      'spec.ports[0].targetPort: Invalid value: "http_web": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'spec.ports[1].name: Required value',
      'spec.ports[2].name: Required value',
      'spec.ports[2].port: Required value',
    ],
  )
  assert.equal(causes(service((s) => (s.spec.ports[0].targetPort = 'http'))), [], 'a named target port')
  assert.equal(lines(service((s) => (s.spec.ports[0].nodePort = 30080))), [
    "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
  ])
  assert.equal(lines(service((s) => (s.spec.clusterIP = '10.0.0.300'))), [
    'spec.clusterIP: Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
  ])
  assert.equal(causes(service((s) => (s.spec.clusterIP = 'fd00::10'))), [])
})

test('ConfigMap and Secret keys; Secret data is base64; typed Secrets need their keys', () => {
  const configMap: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', namespace: 'default' },
    data: { 'game.properties': 'x', 'bad key': 'y', '..hidden': 'z' },
  }
  assert.equal(lines(configMap), [
    "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    'data[..hidden]: Invalid value: "..hidden": must not start with \'..\'',
  ])
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', namespace: 'default' },
    data: { username: 'YWRtaW4=', password: 'not base64!' },
  }
  assert.equal(lines(secret), [
    'data[password]: Invalid value: "<secret contents redacted>": illegal base64 data at input byte 3',
  ])
  const tls: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 't', namespace: 'default' },
    type: 'kubernetes.io/tls',
    stringData: { 'tls.crt': 'PEM' },
  }
  assert.equal(lines(tls), ['data[tls.key]: Required value'])
  assert.equal(base64Check('YWRtaW4='), { bytes: 5 })
  assert.equal(base64Check('YWRt\naW4='), { bytes: 5 })
  assert.ok('badOffset' in base64Check('YWRtaW4'))
})

test('HorizontalPodAutoscaler bounds, both versions; PodDisruptionBudget takes one of two', () => {
  const hpa: KubeObject = {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      scaleTargetRef: { kind: 'Deployment', name: 'web' },
      minReplicas: 5,
      maxReplicas: 2,
      targetCPUUtilizationPercentage: 0,
    },
  }
  assert.equal(lines(hpa), [
    'spec.minReplicas: Invalid value: 5: must be less than or equal to maxReplicas',
    'spec.targetCPUUtilizationPercentage: Invalid value: 0: must be greater than 0',
  ])
  const v2: KubeObject = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      scaleTargetRef: { kind: 'Deployment', name: 'web' },
      maxReplicas: 0,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Percent', averageUtilization: 50 } } },
      ],
    },
  }
  assert.equal(lines(v2), [
    'spec.maxReplicas: Invalid value: 0: must be greater than 0',
    'spec.minReplicas: Invalid value: 1: must be less than or equal to maxReplicas',
    'spec.metrics[0].resource.target.type: Unsupported value: "Percent": supported values: "AverageValue", "Utilization", "Value"',
  ])
  const pdb: KubeObject = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'zk', namespace: 'default' },
    spec: { minAvailable: 2, maxUnavailable: '150%', selector: { matchLabels: { app: 'zk' } } },
  }
  assert.equal(lines(pdb), [
    'spec: Invalid value: {"minAvailable":2,"maxUnavailable":"150%","selector":{"matchLabels":{"app":"zk"}}}: minAvailable and maxUnavailable cannot be both set',
    'spec.maxUnavailable: Invalid value: "150%": must not be greater than 100%',
  ])
  assert.equal(causes({ ...pdb, spec: { minAvailable: '50%' } }), [])
})

test('updates: workload selectors, Service clusterIP, immutable ConfigMaps and Secrets, StatefulSet spec, Job template', () => {
  const old = applyDefaults(resourceFor('apps/v1', 'Deployment')!, nginxDeployment())
  assert.equal(
    causes(
      deployment((d) => (d.spec.replicas = 5)),
      { update: old },
    ),
    [],
  )
  assert.equal(
    lines(
      deployment((d) => {
        d.spec.selector.matchLabels.app = 'nginx2'
        d.spec.template.metadata.labels.app = 'nginx2'
      }),
      { update: old },
    ),
    [
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"nginx2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ],
  )
  assert.equal(
    lines(
      deployment((d) => (d.metadata.name = 'other')),
      { update: old },
    ),
    ['metadata.name: Invalid value: "other": field is immutable'],
  )

  const service = { ...myService(), spec: { ...(myService().spec as Json), clusterIP: '10.96.0.10' } }
  assert.equal(
    lines({ ...service, spec: { ...service.spec, clusterIP: '10.96.0.11' } }, { update: service }),
    ['spec.clusterIP: Invalid value: "10.96.0.11": field is immutable'],
  )
  assert.equal(causes(myService(), { update: service }), [], 'an absent clusterIP keeps the allocated one')

  const configMap: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', namespace: 'default' },
    data: { a: '1' },
    immutable: true,
  }
  assert.equal(lines({ ...configMap, data: { a: '2' } }, { update: configMap }), [
    'data: Forbidden: field is immutable when `immutable` is set',
  ])
  assert.equal(
    causes({ ...configMap, metadata: { ...configMap.metadata, labels: { a: 'b' } } }, { update: configMap }),
    [],
  )
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', namespace: 'default' },
    type: 'Opaque',
  }
  assert.equal(
    lines({ ...secret, type: 'kubernetes.io/basic-auth', stringData: { username: 'u' } }, { update: secret }),
    ['type: Invalid value: "kubernetes.io/basic-auth": field is immutable'],
  )

  const statefulSet = deployment((d) => {
    d.kind = 'StatefulSet'
    d.spec.serviceName = 'nginx'
  })
  const storedSet = applyDefaults(resourceFor('apps/v1', 'StatefulSet')!, statefulSet)
  assert.equal(
    causes({ ...statefulSet, spec: { ...(statefulSet.spec as Json), replicas: 1 } }, { update: storedSet }),
    [],
  )
  assert.match(
    lines(
      { ...statefulSet, spec: { ...(statefulSet.spec as Json), serviceName: 'other' } },
      { update: storedSet },
    )[0]!,
    /^spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template'/,
  )

  const job: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default' },
    spec: {
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.34.0' }] } },
    },
  }
  const storedJob = applyDefaults(resourceFor('batch/v1', 'Job')!, job)
  const changed = structuredClone(job) as Json
  changed.spec.template.spec.containers[0].image = 'perl:5.36'
  assert.match(
    lines(changed as KubeObject, { update: storedJob })[0]!,
    /^spec.template: Invalid value: .*: field is immutable$/,
  )
})

test('a /status write checks metadata only; objects over the size limit are refused', () => {
  const broken = deployment((d) => (d.spec.template.metadata.labels = { app: 'x' }))
  assert.equal(causes(broken, { update: nginxDeployment(), subresource: 'status' }), [])
  const huge = deployment((d) => {
    container(d).env = Array.from({ length: 8 }, (_, i) => ({ name: `V${i}`, value: 'x'.repeat(200_000) }))
  })
  assert.equal(causes(huge), [
    { reason: 'FieldValueTooLong', message: 'Too long: may not be more than 1572864 bytes', field: '' },
  ])
})

test.run()
