// The Kubernetes protobuf decoder: the wire format and the JSON mapping on messages built by a small
// encoder here, then request bodies captured from the real kubectl (/usr/bin/kubectl, v1.32) and
// compared with the JSON kubectl itself prints for the same command with `--dry-run=client -o json`.

import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  decodeKubernetesProtobuf,
  isKubernetesProtobuf,
  MalformedProtobufError,
  ProtobufError,
  WireReader,
} from '../../../node/api/protobuf.ts'

// ---- a tiny encoder: each helper returns one field's bytes ----

type Bytes = number[]

function varint(value: number | bigint): Bytes {
  let rest = BigInt.asUintN(64, BigInt(value))
  const bytes: Bytes = []
  do {
    const low = Number(rest & 0x7fn)
    rest >>= 7n
    bytes.push(rest === 0n ? low : low | 0x80)
  } while (rest !== 0n)
  return bytes
}

const key = (field: number, wireType: number): Bytes => varint((field << 3) | wireType)
const int = (field: number, value: number | bigint): Bytes => [...key(field, 0), ...varint(value)]
const bytes = (field: number, value: Bytes | Uint8Array): Bytes => [
  ...key(field, 2),
  ...varint(value.length),
  ...value,
]
const str = (field: number, text: string): Bytes => bytes(field, new TextEncoder().encode(text))
const msg = (field: number, ...parts: Bytes[]): Bytes => bytes(field, parts.flat())
/** A map entry of field `field`: key (1), value (2). */
const entry = (field: number, name: string, value: Bytes): Bytes => msg(field, str(1, name), value)

function envelope(apiVersion: string, kind: string, ...raw: Bytes[]): Uint8Array {
  // Go writes the empty contentEncoding and contentType too.
  const unknown = [
    ...msg(1, str(1, apiVersion), str(2, kind)),
    ...msg(2, ...raw),
    ...str(3, ''),
    ...str(4, ''),
  ]
  return Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...unknown])
}

const jan2026Seconds = Date.parse('2026-01-01T00:00:00Z') / 1000

function throwsError(
  run: () => unknown,
  type: typeof ProtobufError | typeof MalformedProtobufError,
  message: RegExp,
): Error {
  try {
    run()
  } catch (error) {
    assert.instance(error, type)
    assert.match((error as Error).message, message)
    return error as Error
  }
  throw new Error(`expected a ${type.name}`)
}

// ---- the wire reader ----

const wire = suite('node/api: the protobuf wire reader')

wire('varints up to 64 bits, little-endian fixed32 and fixed64, length-delimited views', () => {
  const reader = new WireReader(
    Uint8Array.from([
      ...varint(300),
      ...varint(2n ** 64n - 1n),
      ...[0x78, 0x56, 0x34, 0x12],
      ...[1, 0, 0, 0, 0, 0, 0, 0x80],
      ...bytes(1, [7, 8, 9]),
    ]),
  )

  assert.is(reader.varint(), 300n)
  assert.is(reader.varint(), 2n ** 64n - 1n)
  assert.is(reader.fixed32(), 0x12345678)
  assert.is(reader.fixed64(), 2n ** 63n + 1n)
  assert.equal(reader.tag(), { field: 1, wireType: 2 })
  assert.equal([...reader.bytes()], [7, 8, 9])
  assert.ok(reader.done)
})

wire('an 11-byte varint, a truncated fixed64 and field number 0 are malformed', () => {
  const cases: [(reader: WireReader) => unknown, number[], RegExp][] = [
    [(reader) => reader.varint(), [...Array(10).fill(0x80), 0x01], /varint longer than 10 bytes at byte 0/],
    [(reader) => reader.fixed64(), [1, 2, 3], /truncated 8-byte field at byte 0/],
    [(reader) => reader.tag(), [0x02], /field number 0 out of range/],
  ]
  for (const [read, input, message] of cases) {
    throwsError(() => read(new WireReader(Uint8Array.from(input))), MalformedProtobufError, message)
  }
})

wire.run()

// ---- hand-encoded messages ----

const decode = suite('node/api: decoding Kubernetes protobuf')

decode(
  'a ConfigMap: maps of strings and bytes, a kept false pointer, a zero creationTimestamp is null',
  () => {
    const body = envelope(
      'v1',
      'ConfigMap',
      msg(1, str(1, 'c'), str(3, 'default'), str(6, ''), int(7, 0), msg(8), entry(11, 'app', str(2, 'web'))),
      entry(2, 'k', str(2, 'v')),
      entry(3, 'bin', bytes(2, [0x00, 0xff, 0x10])),
      int(4, 0),
    )

    const decoded = decodeKubernetesProtobuf(body)

    assert.is(decoded.apiVersion, 'v1')
    assert.is(decoded.kind, 'ConfigMap')
    assert.equal(decoded.object, {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { name: 'c', namespace: 'default', creationTimestamp: null, labels: { app: 'web' } },
      data: { k: 'v' },
      binaryData: { bin: 'AP8Q' },
      immutable: false,
    })
  },
)

decode('a Deployment: IntOrString both ways, Quantity, a kept zero replicas, empty messages as {}', () => {
  const container = [
    ...str(1, 'nginx'),
    ...str(2, 'nginx:1.27'),
    ...msg(6, str(1, ''), int(2, 0), int(3, 80), str(4, 'TCP')),
    ...msg(8, entry(1, 'cpu', msg(2, str(1, '500m'))), entry(2, 'memory', msg(2, str(1, '64Mi')))),
    ...msg(10, msg(1, msg(2, str(1, '/healthz'), msg(2, int(1, 1), str(3, 'http')))), int(2, 0), int(4, 10)),
  ]
  const body = envelope(
    'apps/v1',
    'Deployment',
    msg(1, str(1, 'web'), msg(8, int(1, jan2026Seconds), int(2, 0)), int(7, 2)),
    msg(
      2,
      int(1, 0),
      msg(2, entry(1, 'app', str(2, 'web'))),
      msg(3, msg(1, msg(8), entry(11, 'app', str(2, 'web'))), msg(2, msg(2, container))),
      msg(
        4,
        str(1, 'RollingUpdate'),
        msg(2, msg(1, int(1, 0), int(2, 0), str(3, '')), msg(2, int(1, 1), str(3, '25%'))),
      ),
      int(5, 0),
    ),
    msg(3),
  )

  assert.equal(decodeKubernetesProtobuf(body).object, {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name: 'web', creationTimestamp: '2026-01-01T00:00:00Z', generation: 2 },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: 'nginx:1.27',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              resources: { limits: { cpu: '500m' }, requests: { memory: '64Mi' } },
              livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 },
            },
          ],
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
    },
    status: {},
  })
})

decode(
  'a Pod: negative int32, packed and unpacked repeated int64, inline volume sources, env sources',
  () => {
    const body = envelope(
      'v1',
      'Pod',
      msg(1, str(1, 'box')),
      msg(
        2,
        msg(1, str(1, 'cache'), msg(2, msg(2, str(1, 'Memory')))),
        msg(1, str(1, 'config'), msg(2, msg(19, msg(1, str(1, 'settings')), int(3, 0o644)))),
        msg(
          2,
          str(1, 'box'),
          msg(7, str(1, 'MODE'), msg(3, msg(3, msg(1, str(1, 'settings')), str(2, 'mode'), int(3, 1)))),
          msg(19, str(1, 'CFG_'), msg(2, msg(1, str(1, 'settings')))),
        ),
        int(4, 30),
        msg(14, bytes(4, [...varint(1000), ...varint(2000)]), int(4, 3000), int(2, -1)),
        int(25, -5),
      ),
      msg(3),
    )

    assert.equal(decodeKubernetesProtobuf(body).object, {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: 'box' },
      spec: {
        volumes: [
          { name: 'cache', emptyDir: { medium: 'Memory' } },
          { name: 'config', configMap: { name: 'settings', defaultMode: 0o644 } },
        ],
        containers: [
          {
            name: 'box',
            env: [
              {
                name: 'MODE',
                valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode', optional: true } },
              },
            ],
            envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'settings' } }],
          },
        ],
        terminationGracePeriodSeconds: 30,
        securityContext: { supplementalGroups: [1000, 2000, 3000], runAsUser: -1 },
        priority: -5,
      },
      status: {},
    })
  },
)

decode('a Lease: MicroTime keeps microseconds; managedFields carry fieldsV1 as JSON', () => {
  const fields = '{"f:spec":{"f:holderIdentity":{}}}'
  const body = envelope(
    'coordination.k8s.io/v1',
    'Lease',
    msg(
      1,
      str(1, 'leader'),
      msg(13, str(1, 'Node'), str(3, 'node-1'), str(4, 'uid-1'), str(5, 'v1'), int(6, 1)),
      str(14, 'example.com/hold'),
      msg(
        17,
        str(1, 'kubelet'),
        str(2, 'Update'),
        str(3, 'coordination.k8s.io/v1'),
        msg(4, int(1, jan2026Seconds)),
        str(6, 'FieldsV1'),
        msg(7, str(1, fields)),
      ),
    ),
    msg(2, str(1, 'node-1'), int(2, 40), msg(4, int(1, jan2026Seconds), int(2, 123_456_789)), int(5, 0)),
  )

  assert.equal(decodeKubernetesProtobuf(body).object, {
    kind: 'Lease',
    apiVersion: 'coordination.k8s.io/v1',
    metadata: {
      name: 'leader',
      ownerReferences: [{ kind: 'Node', name: 'node-1', uid: 'uid-1', apiVersion: 'v1', controller: true }],
      finalizers: ['example.com/hold'],
      managedFields: [
        {
          manager: 'kubelet',
          operation: 'Update',
          apiVersion: 'coordination.k8s.io/v1',
          time: '2026-01-01T00:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:spec': { 'f:holderIdentity': {} } },
        },
      ],
    },
    spec: {
      holderIdentity: 'node-1',
      leaseDurationSeconds: 40,
      renewTime: '2026-01-01T00:00:00.123456Z',
      leaseTransitions: 0,
    },
  })
})

decode('a DeleteOptions body of any group version decodes as metav1.DeleteOptions', () => {
  const body = envelope('apps/v1', 'DeleteOptions', int(1, 0), str(4, 'Foreground'), str(5, 'All'))

  assert.equal(decodeKubernetesProtobuf(body).object, {
    kind: 'DeleteOptions',
    apiVersion: 'apps/v1',
    gracePeriodSeconds: 0,
    propagationPolicy: 'Foreground',
    dryRun: ['All'],
  })
})

decode('a field the table lacks is refused, naming the message and the field', () => {
  const affinity = msg(18, msg(1))
  const body = envelope('v1', 'Pod', msg(1, str(1, 'p')), msg(2, msg(2, str(1, 'c')), affinity))

  const error = throwsError(() => decodeKubernetesProtobuf(body), ProtobufError, /field 18 of v1\.PodSpec/)

  assert.is((error as ProtobufError).code, 'ERR_PROTOBUF')
  assert.match(error.message, /send JSON \(kubectl apply -f, or -o json \| kubectl create -f -\)/)
})

decode('a kind the table lacks, an encoded envelope and an int64 past 2^53 are refused', () => {
  throwsError(() => decodeKubernetesProtobuf(envelope('v1', 'Node', msg(1))), ProtobufError, /Node \(v1\)/)
  const gzipped = Uint8Array.from([...envelope('v1', 'Pod'), ...str(3, 'gzip')])
  throwsError(() => decodeKubernetesProtobuf(gzipped), ProtobufError, /content encoding gzip/)
  const huge = envelope('apps/v1', 'Deployment', msg(1, int(7, 2n ** 60n)))
  throwsError(() => decodeKubernetesProtobuf(huge), ProtobufError, /generation.*1152921504606846976/)
})

decode('malformed bytes throw MalformedProtobufError', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['no prefix', new TextEncoder().encode('{"kind":"Pod"}'), /k8s\\0/],
    ['a truncated varint', Uint8Array.from([...envelope('v1', 'Pod'), 0x80]), /truncated varint/],
    ['a group (wire type 3)', envelope('v1', 'Pod', key(1, 3)), /unknown wire type 3/],
    ['a length past the end', envelope('v1', 'Pod', [...key(1, 2), 5, 1]), /length past the end/],
    ['a string as a varint', envelope('v1', 'Namespace', msg(1, int(1, 7))), /wire type 0, expected 2/],
    ['no kind', Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...msg(1, str(1, 'v1'))]), /no apiVersion or kind/],
    ['an IntOrString of type 2', envelope('v1', 'Service', msg(2, msg(1, msg(4, int(1, 2))))), /type 2/],
  ]
  for (const [name, body, message] of cases) {
    const error = throwsError(() => decodeKubernetesProtobuf(body), MalformedProtobufError, message)
    assert.is((error as MalformedProtobufError).code, 'ERR_PROTOBUF_MALFORMED', name)
  }
})

decode('isKubernetesProtobuf reads the media type alone', () => {
  assert.ok(isKubernetesProtobuf('application/vnd.kubernetes.protobuf'))
  assert.ok(isKubernetesProtobuf('Application/VND.Kubernetes.Protobuf; charset=binary'))
  assert.not.ok(isKubernetesProtobuf('application/json'))
  assert.not.ok(isKubernetesProtobuf('application/vnd.kubernetes.protobuf+json'))
})

decode.run()

// ---- the real kubectl ----

interface Capture {
  contentType: string
  body: Buffer
  decoded?: Record<string, unknown>
  error?: string
}

interface KubectlContext {
  server: Server
  url: string
  home: string
  /** The bodies POSTed by the kubectl command under test. */
  posts: Capture[]
}

const kubectl = suite<KubectlContext>(
  'node/api: protobuf bodies from the real kubectl decode to its own JSON',
)
const kubectlPath = '/usr/bin/kubectl'

const resource = (name: string, kind: string, namespaced = true) => ({
  name,
  singularName: kind.toLowerCase(),
  namespaced,
  kind,
  verbs: ['create', 'get', 'list', 'update', 'patch', 'delete'],
})

const resourceList = (groupVersion: string, resources: object[]) => ({
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion,
  resources,
})

const group = (name: string, ...versions: string[]) => ({
  name,
  versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
  preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
})

// A Pod in the form Go's encoding/json writes it, using much of what the table covers, for
// `kubectl debug --copy-to`: kubectl reads it as JSON and sends its copy as protobuf.
const appPod = {
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: {
    name: 'app',
    namespace: 'default',
    uid: 'u',
    resourceVersion: '9',
    creationTimestamp: '2026-01-01T00:00:00Z',
    labels: { app: 'web' },
    annotations: { note: 'x' },
  },
  spec: {
    volumes: [
      { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
      {
        name: 'config',
        configMap: { name: 'settings', items: [{ key: 'a', path: 'a.txt', mode: 256 }], defaultMode: 420 },
      },
      { name: 'creds', secret: { secretName: 'creds', defaultMode: 256, optional: true } },
      { name: 'logs', hostPath: { path: '/var/log', type: 'Directory' } },
      { name: 'data', persistentVolumeClaim: { claimName: 'data', readOnly: true } },
      {
        name: 'token',
        projected: {
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            {
              downwardAPI: {
                items: [
                  { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
                ],
              },
            },
          ],
          defaultMode: 420,
        },
      },
    ],
    initContainers: [{ name: 'init', image: 'busybox', command: ['true'], resources: {} }],
    containers: [
      {
        name: 'app',
        image: 'nginx:1.27',
        command: ['nginx'],
        args: ['-g', 'daemon off;'],
        workingDir: '/srv',
        ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
        envFrom: [
          { configMapRef: { name: 'settings' } },
          { prefix: 'S_', secretRef: { name: 'creds', optional: true } },
        ],
        env: [
          { name: 'A', value: '1' },
          { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
          {
            name: 'MEM',
            valueFrom: {
              resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' },
            },
          },
          { name: 'KEY', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } },
        ],
        resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m' } },
        volumeMounts: [
          { name: 'cache', mountPath: '/cache' },
          { name: 'config', readOnly: true, mountPath: '/etc/app', subPath: 'a.txt' },
        ],
        livenessProbe: {
          httpGet: {
            path: '/healthz',
            port: 'http',
            scheme: 'HTTP',
            httpHeaders: [{ name: 'X', value: 'y' }],
          },
          initialDelaySeconds: 5,
          timeoutSeconds: 1,
          periodSeconds: 10,
          successThreshold: 1,
          failureThreshold: 3,
        },
        readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 5 },
        startupProbe: { exec: { command: ['cat', '/tmp/ready'] }, failureThreshold: 30 },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
        securityContext: {
          capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
          runAsUser: 1000,
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          seccompProfile: { type: 'RuntimeDefault' },
        },
        stdin: true,
        tty: true,
      },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    activeDeadlineSeconds: 600,
    dnsPolicy: 'ClusterFirst',
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    serviceAccountName: 'sa',
    serviceAccount: 'sa',
    nodeName: 'node-1',
    securityContext: {
      runAsUser: 1000,
      runAsGroup: 3000,
      supplementalGroups: [4000],
      fsGroup: 2000,
      sysctls: [{ name: 'net.core.somaxconn', value: '1024' }],
    },
    imagePullSecrets: [{ name: 'pull' }],
    hostname: 'app',
    subdomain: 'apps',
    schedulerName: 'default-scheduler',
    tolerations: [
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ],
    hostAliases: [{ ip: '10.0.0.1', hostnames: ['db'] }],
    priorityClassName: 'high',
    priority: 1000,
    dnsConfig: { nameservers: ['1.1.1.1'], options: [{ name: 'ndots', value: '2' }] },
    readinessGates: [{ conditionType: 'example.com/ready' }],
    enableServiceLinks: false,
    preemptionPolicy: 'PreemptLowerPriority',
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: 'zone',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { app: 'web' } },
      },
    ],
    os: { name: 'linux' },
  },
  status: { phase: 'Running' },
}

// Legacy discovery: kubectl takes /api as APIVersions unless the content type says otherwise.
const discovery: Record<string, object> = {
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
  '/apis': {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [
      group('apps', 'v1'),
      group('batch', 'v1'),
      group('autoscaling', 'v2', 'v1'),
      group('policy', 'v1'),
      group('rbac.authorization.k8s.io', 'v1'),
      group('scheduling.k8s.io', 'v1'),
      group('networking.k8s.io', 'v1'),
    ],
  },
  '/api/v1': resourceList('v1', [
    resource('namespaces', 'Namespace', false),
    resource('configmaps', 'ConfigMap'),
    resource('secrets', 'Secret'),
    resource('serviceaccounts', 'ServiceAccount'),
    resource('pods', 'Pod'),
    resource('services', 'Service'),
    resource('resourcequotas', 'ResourceQuota'),
  ]),
  '/apis/apps/v1': resourceList('apps/v1', [
    resource('deployments', 'Deployment'),
    { ...resource('deployments/scale', 'Scale'), group: 'autoscaling', version: 'v1' },
  ]),
  '/apis/batch/v1': resourceList('batch/v1', [resource('jobs', 'Job'), resource('cronjobs', 'CronJob')]),
  '/apis/autoscaling/v2': resourceList('autoscaling/v2', [
    resource('horizontalpodautoscalers', 'HorizontalPodAutoscaler'),
  ]),
  '/apis/autoscaling/v1': resourceList('autoscaling/v1', [
    resource('horizontalpodautoscalers', 'HorizontalPodAutoscaler'),
  ]),
  '/apis/policy/v1': resourceList('policy/v1', [resource('poddisruptionbudgets', 'PodDisruptionBudget')]),
  '/apis/rbac.authorization.k8s.io/v1': resourceList('rbac.authorization.k8s.io/v1', [
    resource('roles', 'Role'),
    resource('rolebindings', 'RoleBinding'),
    resource('clusterroles', 'ClusterRole', false),
    resource('clusterrolebindings', 'ClusterRoleBinding', false),
  ]),
  '/apis/scheduling.k8s.io/v1': resourceList('scheduling.k8s.io/v1', [
    resource('priorityclasses', 'PriorityClass', false),
  ]),
  '/apis/networking.k8s.io/v1': resourceList('networking.k8s.io/v1', [resource('ingresses', 'Ingress')]),
  // `kubectl expose` and `kubectl autoscale` read the Deployment first.
  '/apis/apps/v1/namespaces/default/deployments/web': {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: {
      name: 'web',
      namespace: 'default',
      uid: 'uid-web',
      resourceVersion: '7',
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { app: 'web' },
    },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.14.2', ports: [{ containerPort: 80 }] }] },
      },
    },
    status: {},
  },
  '/api/v1/namespaces/default/pods/app': appPod,
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
  })
}

kubectl.before(async (context) => {
  context.home = await mkdtemp(join(tmpdir(), 'cox-kubectl-protobuf-'))
  context.posts = []
  context.server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname
    const answer = (status: number, body: object) => {
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(JSON.stringify(body))
    }
    if (request.method !== 'POST') {
      const found = discovery[path]
      if (found) answer(200, found)
      else answer(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound' })
      return
    }
    const capture: Capture = {
      contentType: request.headers['content-type'] ?? '',
      body: await readBody(request),
    }
    context.posts.push(capture)
    try {
      // What the API server does with a body: Kubernetes protobuf, or else JSON.
      capture.decoded = isKubernetesProtobuf(capture.contentType)
        ? decodeKubernetesProtobuf(capture.body).object
        : JSON.parse(capture.body.toString('utf8'))
      answer(201, capture.decoded!) // client-go decodes the answer by its Content-Type: JSON
    } catch (error) {
      capture.error = (error as Error).message
      answer(415, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 415, message: capture.error })
    }
  })
  await new Promise<void>((resolve) => context.server.listen(0, '127.0.0.1', resolve))
  context.url = `http://127.0.0.1:${(context.server.address() as AddressInfo).port}`
  // A file that is not UTF-8 lands in a ConfigMap's binaryData.
  await writeFile(join(context.home, 'blob.bin'), Uint8Array.from([0x00, 0xff, 0xfe, 0x80, 0x7f]))
  await writeFile(join(context.home, 'greeting.txt'), 'hello\n')
})

kubectl.after(async (context) => {
  await new Promise((resolve) => context.server.close(resolve))
  await rm(context.home, { recursive: true, force: true })
})

function runKubectl(context: KubectlContext, args: string[]): Promise<string> {
  const env = { PATH: process.env.PATH ?? '', HOME: context.home }
  const options = { env, cwd: context.home, timeout: 20_000 }
  const all = ['--server', context.url, '--cache-dir', join(context.home, 'cache'), ...args]
  return new Promise((resolve, reject) => {
    execFile(kubectlPath, all, options, (error, stdout, stderr) =>
      error ? reject(new Error(`kubectl ${args.join(' ')}: ${error.message}\n${stderr}`)) : resolve(stdout),
    )
  })
}

/** `args` with flags added before a `--` that ends them. */
function withFlags(args: string[], ...flags: string[]): string[] {
  const end = args.indexOf('--')
  return end < 0 ? [...args, ...flags] : [...args.slice(0, end), ...flags, ...args.slice(end)]
}

/**
 * Runs `args` for real: kubectl POSTs one body, of `mediaType`, which must decode to the JSON kubectl
 * prints for the same command with `--dry-run=client -o json`.
 */
async function assertSameAsJson(context: KubectlContext, args: string[], mediaType: string): Promise<void> {
  context.posts.length = 0
  await runKubectl(context, args)
  const expected = JSON.parse(await runKubectl(context, withFlags(args, '--dry-run=client', '-o', 'json')))
  assert.is(context.posts.length, 1)
  const [post] = context.posts
  assert.is(post!.error, undefined)
  assert.is(post!.contentType, mediaType)
  assert.equal(post!.decoded, expected)
}

const kubectlTest = existsSync(kubectlPath) ? kubectl : kubectl.skip

const protobuf = 'application/vnd.kubernetes.protobuf'

// kubectl v1.32's typed commands send protobuf; `run` and `expose` build unstructured objects: JSON.
const commands: [string, string[], string][] = [
  ['create namespace', ['create', 'namespace', 'ns1'], protobuf],
  [
    'create configmap with a literal, a text file and a binary file',
    [
      'create',
      'configmap',
      'c',
      '--from-literal=a=b',
      '--from-file=greeting.txt',
      '--from-file=blob=blob.bin',
    ],
    protobuf,
  ],
  ['create secret generic', ['create', 'secret', 'generic', 's', '--from-literal=p=q'], protobuf],
  [
    'create secret docker-registry',
    [
      'create',
      'secret',
      'docker-registry',
      'pull',
      '--docker-server=registry.example.com',
      '--docker-username=u',
      '--docker-password=p',
      '--docker-email=u@example.com',
    ],
    protobuf,
  ],
  [
    'create deployment',
    ['create', 'deployment', 'web', '--image=nginx:1.14.2', '--replicas=3', '--port=80'],
    protobuf,
  ],
  [
    'run',
    [
      'run',
      'box',
      '--image=busybox',
      '--restart=Never',
      '--labels=a=b',
      '--env=X=1',
      '--port=8080',
      '--',
      'sleep',
      '10',
    ],
    'application/json',
  ],
  ['create service clusterip', ['create', 'service', 'clusterip', 'svc', '--tcp=80:8080'], protobuf],
  [
    'expose deployment',
    ['expose', 'deployment', 'web', '--port=80', '--target-port=8080'],
    'application/json',
  ],
  ['create job', ['create', 'job', 'j', '--image=busybox', '--', 'date'], protobuf],
  [
    'create cronjob',
    ['create', 'cronjob', 'cj', '--image=busybox', '--schedule=*/1 * * * *', '--', 'date'],
    protobuf,
  ],
  [
    'autoscale deployment',
    ['autoscale', 'deployment', 'web', '--min=2', '--max=5', '--cpu-percent=80'],
    protobuf,
  ],
  [
    'create poddisruptionbudget',
    ['create', 'poddisruptionbudget', 'pdb', '--selector=app=web', '--min-available=1'],
    protobuf,
  ],
  ['create serviceaccount', ['create', 'serviceaccount', 'sa'], protobuf],
  [
    'create quota',
    ['create', 'quota', 'q', '--hard=cpu=1,memory=1Gi,pods=10', '--scopes=BestEffort'],
    protobuf,
  ],
  [
    'create role',
    ['create', 'role', 'reader', '--verb=get,list', '--resource=pods', '--resource-name=web'],
    protobuf,
  ],
  [
    'create rolebinding',
    ['create', 'rolebinding', 'read', '--role=reader', '--user=alice', '--serviceaccount=default:sa'],
    protobuf,
  ],
  [
    'create priorityclass',
    ['create', 'priorityclass', 'high', '--value=1000', '--description=high'],
    protobuf,
  ],
  [
    'create ingress',
    ['create', 'ingress', 'ing', '--rule=example.com/app*=web:80,tls=cert', '--class=nginx'],
    protobuf,
  ],
]

kubectlTest(
  'kubectl debug --copy-to sends a full PodSpec as protobuf; it decodes to the JSON it read',
  async (context) => {
    context.posts.length = 0
    const keep = [
      '--keep-liveness',
      '--keep-readiness',
      '--keep-startup',
      '--keep-annotations',
      '--same-node',
    ]
    const args = ['debug', 'app', '--copy-to=app-copy', '--image=busybox', '--container=dbg', ...keep]
    await runKubectl(context, [...args, '--profile=legacy'])

    assert.is(context.posts.length, 1)
    const [post] = context.posts
    assert.is(post!.contentType, protobuf)
    const copy = post!.decoded as { metadata: object; spec: { containers: object[] }; status: object }
    // The copy keeps the spec whole and appends the debug container; metadata is new.
    assert.equal({ ...copy.spec, containers: copy.spec.containers.slice(0, -1) }, appPod.spec)
    assert.equal(copy.spec.containers.at(-1), {
      name: 'dbg',
      image: 'busybox',
      resources: {},
      terminationMessagePolicy: 'File',
    })
    assert.equal(copy.metadata, {
      name: 'app-copy',
      namespace: 'default',
      creationTimestamp: null,
      annotations: { note: 'x' },
    })
    assert.equal(copy.status, {})
  },
)

for (const [name, args, mediaType] of commands) {
  kubectlTest(`kubectl ${name}`, (context) => assertSameAsJson(context, args, mediaType))
}

kubectl.run()
