// Server-side Tables: the column sets of kubernetes' printers.go per kind, a row rendered from a
// realistic object for each, kubectl's pod STATUS rules, HumanDuration, and the real kubectl
// (/usr/bin/kubectl) printing a Table served from a small node:http server.

import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { humanDuration, type Table, type TableOptions, toTable } from '../../../node/api/table.ts'

const now = Date.parse('2025-06-01T12:00:00Z')
const ago = (seconds: number) => new Date(now - seconds * 1000).toISOString()
const meta = (name: string, seconds = 200, extra: object = {}) => ({
  name,
  namespace: 'default',
  uid: `uid-${name}`,
  resourceVersion: '12',
  creationTimestamp: ago(seconds),
  ...extra,
})

function table(kind: string, group: string, objects: object[], options: Partial<TableOptions> = {}): Table {
  return toTable(objects, { kind, group, now, ...options })
}

function header(result: Table): string[] {
  return result.columnDefinitions.map((column) => (column.priority > 0 ? `${column.name}*` : column.name))
}

// ---- HumanDuration ----

const duration = suite('node/api: humanDuration')

duration('formats like apimachinery duration.HumanDuration', () => {
  const cases: [number, string][] = [
    [-2_000, '<invalid>'],
    [-1_000, '0s'],
    [5_000, '5s'],
    [119_999, '119s'],
    [120_000, '2m'],
    [200_000, '3m20s'],
    [600_000, '10m'],
    [179 * 60_000, '179m'],
    [3 * 3600_000, '3h'],
    [5.5 * 3600_000, '5h30m'],
    [30 * 3600_000, '30h'],
    [51 * 3600_000, '2d3h'],
    [8 * 86400_000, '8d'],
    [400 * 86400_000, '400d'],
    [(2 * 365 + 30) * 86400_000, '2y30d'],
    [10 * 365 * 86400_000, '10y'],
  ]
  for (const [ms, expected] of cases) assert.is(humanDuration(ms), expected, String(ms))
})

duration.run()

// ---- Columns and rows per kind ----

const kinds = suite('node/api: Table columns and rows per kind')

kinds('the Table envelope: kind, metadata from the list, PartialObjectMetadata rows', () => {
  const result = table(
    'ConfigMap',
    '',
    [{ metadata: meta('settings', 60, { labels: { app: 'web' } }), data: {} }],
    {
      listMeta: { resourceVersion: '42', continue: 'next' },
    },
  )

  assert.is(result.kind, 'Table')
  assert.is(result.apiVersion, 'meta.k8s.io/v1')
  assert.equal(result.metadata, { resourceVersion: '42', continue: 'next' })
  assert.equal(result.columnDefinitions[0], {
    name: 'Name',
    type: 'string',
    format: 'name',
    description: result.columnDefinitions[0]!.description,
    priority: 0,
  })
  assert.match(result.columnDefinitions[0]!.description, /^Name must be unique within a namespace/)
  assert.equal(result.rows[0]!.object, {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: meta('settings', 60, { labels: { app: 'web' } }),
  })
})

kinds('wide columns are sent by default, as the API server does; wide: false leaves them out', () => {
  const service = {
    metadata: meta('web'),
    spec: { type: 'ClusterIP', clusterIPs: ['10.96.0.10'], selector: { app: 'web' } },
  }

  const wide = table('Service', '', [service])
  const narrow = table('Service', '', [service], { wide: false })

  assert.equal(header(wide), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector*'])
  assert.equal(wide.rows[0]!.cells, [
    'web',
    'ClusterIP',
    '10.96.0.10',
    '<none>',
    '<none>',
    '3m20s',
    'app=web',
  ])
  assert.equal(header(narrow), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age'])
  assert.equal(narrow.rows[0]!.cells.length, 6)
})

const podTemplate = {
  metadata: { labels: { app: 'web' } },
  spec: {
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    containers: [
      { name: 'nginx', image: 'nginx:1.27' },
      { name: 'log', image: 'fluentd:1' },
    ],
  },
}
const selector = {
  matchLabels: { app: 'web' },
  matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'edge'] }],
}

interface KindCase {
  kind: string
  group: string
  object: object
  header: string[]
  cells: unknown[]
}

const kindCases: KindCase[] = [
  {
    kind: 'Pod',
    group: '',
    object: {
      metadata: meta('web-7d4b9c-x2k5p'),
      spec: { nodeName: 'node-2', containers: [{ name: 'nginx' }, { name: 'log' }] },
      status: {
        phase: 'Running',
        podIPs: [{ ip: '10.244.1.7' }],
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: [
          { name: 'nginx', ready: true, restartCount: 0, state: { running: { startedAt: ago(190) } } },
          {
            name: 'log',
            ready: false,
            restartCount: 4,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(300) } },
          },
        ],
      },
    },
    header: [
      'Name',
      'Ready',
      'Status',
      'Restarts',
      'Age',
      'IP*',
      'Node*',
      'Nominated Node*',
      'Readiness Gates*',
    ],
    cells: [
      'web-7d4b9c-x2k5p',
      '1/2',
      'CrashLoopBackOff',
      '4 (5m ago)',
      '3m20s',
      '10.244.1.7',
      'node-2',
      '<none>',
      '<none>',
    ],
  },
  {
    kind: 'Deployment',
    group: 'apps',
    object: {
      metadata: meta('web', 7200),
      spec: { replicas: 3, selector, template: podTemplate },
      status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    },
    header: ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers*', 'Images*', 'Selector*'],
    cells: ['web', '2/3', 3, 2, '120m', 'nginx,log', 'nginx:1.27,fluentd:1', 'app=web,tier in (edge,front)'],
  },
  {
    kind: 'ReplicaSet',
    group: 'apps',
    object: {
      metadata: meta('web-7d4b9c', 7200),
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web', 'pod-template-hash': '7d4b9c' } },
        template: podTemplate,
      },
      status: { replicas: 3, readyReplicas: 3 },
    },
    header: ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers*', 'Images*', 'Selector*'],
    cells: [
      'web-7d4b9c',
      3,
      3,
      3,
      '120m',
      'nginx,log',
      'nginx:1.27,fluentd:1',
      'app=web,pod-template-hash=7d4b9c',
    ],
  },
  {
    kind: 'StatefulSet',
    group: 'apps',
    object: {
      metadata: meta('db', 86400 * 3),
      spec: { template: podTemplate },
      status: { readyReplicas: 1 },
    },
    header: ['Name', 'Ready', 'Age', 'Containers*', 'Images*'],
    cells: ['db', '1/1', '3d', 'nginx,log', 'nginx:1.27,fluentd:1'],
  },
  {
    kind: 'DaemonSet',
    group: 'apps',
    object: {
      metadata: meta('agent', 45),
      spec: { selector: { matchLabels: { app: 'agent' } }, template: podTemplate },
      status: {
        desiredNumberScheduled: 3,
        currentNumberScheduled: 3,
        numberReady: 2,
        updatedNumberScheduled: 3,
        numberAvailable: 2,
      },
    },
    header: [
      'Name',
      'Desired',
      'Current',
      'Ready',
      'Up-to-date',
      'Available',
      'Node Selector',
      'Age',
      'Containers*',
      'Images*',
      'Selector*',
    ],
    cells: [
      'agent',
      3,
      3,
      2,
      3,
      2,
      'kubernetes.io/os=linux',
      '45s',
      'nginx,log',
      'nginx:1.27,fluentd:1',
      'app=agent',
    ],
  },
  {
    kind: 'Job',
    group: 'batch',
    object: {
      metadata: meta('backup', 600),
      spec: {
        completions: 3,
        selector: { matchLabels: { 'batch.kubernetes.io/job-name': 'backup' } },
        template: podTemplate,
      },
      status: {
        succeeded: 3,
        startTime: ago(600),
        completionTime: ago(530),
        conditions: [{ type: 'Complete', status: 'True' }],
      },
    },
    header: ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers*', 'Images*', 'Selector*'],
    cells: [
      'backup',
      'Complete',
      '3/3',
      '70s',
      '10m',
      'nginx,log',
      'nginx:1.27,fluentd:1',
      'batch.kubernetes.io/job-name=backup',
    ],
  },
  {
    kind: 'CronJob',
    group: 'batch',
    object: {
      metadata: meta('nightly', 86400 * 10),
      spec: { schedule: '0 3 * * *', suspend: false, jobTemplate: { spec: { template: podTemplate } } },
      status: { active: [{ name: 'nightly-1' }], lastScheduleTime: ago(3600 * 9) },
    },
    header: [
      'Name',
      'Schedule',
      'Timezone',
      'Suspend',
      'Active',
      'Last Schedule',
      'Age',
      'Containers*',
      'Images*',
      'Selector*',
    ],
    cells: [
      'nightly',
      '0 3 * * *',
      '<none>',
      'False',
      1,
      '9h',
      '10d',
      'nginx,log',
      'nginx:1.27,fluentd:1',
      '<none>',
    ],
  },
  {
    kind: 'Service',
    group: '',
    object: {
      metadata: meta('web'),
      spec: {
        type: 'LoadBalancer',
        clusterIPs: ['10.96.4.2'],
        selector: { app: 'web' },
        ports: [
          { port: 80, protocol: 'TCP', nodePort: 30080 },
          { port: 53, protocol: 'UDP' },
        ],
      },
      status: { loadBalancer: { ingress: [{ ip: '203.0.113.9' }] } },
    },
    header: ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector*'],
    cells: ['web', 'LoadBalancer', '10.96.4.2', '203.0.113.9', '80:30080/TCP,53/UDP', '3m20s', 'app=web'],
  },
  {
    kind: 'Endpoints',
    group: '',
    object: {
      metadata: meta('web'),
      subsets: [
        {
          addresses: [{ ip: '10.244.1.7' }, { ip: '10.244.2.3' }, { ip: 'fd00::5' }],
          ports: [{ port: 8080 }, { port: 8443 }],
        },
      ],
    },
    header: ['Name', 'Endpoints', 'Age'],
    cells: ['web', '10.244.1.7:8080,10.244.2.3:8080,[fd00::5]:8080 + 3 more...', '3m20s'],
  },
  {
    kind: 'ConfigMap',
    group: '',
    object: { metadata: meta('settings'), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } },
    header: ['Name', 'Data', 'Age'],
    cells: ['settings', 3, '3m20s'],
  },
  {
    kind: 'Secret',
    group: '',
    object: { metadata: meta('tls'), type: 'kubernetes.io/tls', data: { 'tls.crt': 'x', 'tls.key': 'y' } },
    header: ['Name', 'Type', 'Data', 'Age'],
    cells: ['tls', 'kubernetes.io/tls', 2, '3m20s'],
  },
  {
    kind: 'Namespace',
    group: '',
    object: {
      metadata: { name: 'default', creationTimestamp: ago(86400 * 400) },
      status: { phase: 'Active' },
    },
    header: ['Name', 'Status', 'Age'],
    cells: ['default', 'Active', '400d'],
  },
  {
    kind: 'Node',
    group: '',
    object: {
      metadata: {
        name: 'node-1',
        creationTimestamp: ago(86400 + 3600 * 5),
        labels: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'master' },
      },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        addresses: [
          { type: 'InternalIP', address: '192.168.1.10' },
          { type: 'Hostname', address: 'node-1' },
        ],
        nodeInfo: {
          kubeletVersion: 'v1.32.0-cox',
          osImage: 'Debian GNU/Linux 12 (bookworm)',
          kernelVersion: '6.1.0',
        },
      },
    },
    header: [
      'Name',
      'Status',
      'Roles',
      'Age',
      'Version',
      'Internal-IP*',
      'External-IP*',
      'OS-Image*',
      'Kernel-Version*',
      'Container-Runtime*',
    ],
    cells: [
      'node-1',
      'Ready,SchedulingDisabled',
      'control-plane,master',
      '29h',
      'v1.32.0-cox',
      '192.168.1.10',
      '<none>',
      'Debian GNU/Linux 12 (bookworm)',
      '6.1.0',
      '<unknown>',
    ],
  },
  {
    kind: 'Event',
    group: '',
    object: {
      metadata: meta('web.17f3a'),
      involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{nginx}' },
      reason: 'Pulled',
      message: 'Successfully pulled image "nginx:1.27"\n',
      type: 'Normal',
      source: { component: 'kubelet', host: 'node-2' },
      firstTimestamp: ago(300),
      lastTimestamp: ago(30),
      count: 2,
    },
    header: [
      'Last Seen',
      'Type',
      'Reason',
      'Object',
      'Subobject*',
      'Source*',
      'Message',
      'First Seen*',
      'Count*',
      'Name*',
    ],
    cells: [
      '30s',
      'Normal',
      'Pulled',
      'pod/web-1',
      'spec.containers{nginx}',
      'kubelet, node-2',
      'Successfully pulled image "nginx:1.27"',
      '5m',
      2,
      'web.17f3a',
    ],
  },
  {
    kind: 'ServiceAccount',
    group: '',
    object: { metadata: meta('default'), secrets: [{ name: 'default-token' }] },
    header: ['Name', 'Secrets', 'Age'],
    cells: ['default', 1, '3m20s'],
  },
  {
    kind: 'HorizontalPodAutoscaler',
    group: 'autoscaling',
    object: {
      metadata: meta('web'),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
          },
          {
            type: 'Resource',
            resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } },
          },
          {
            type: 'Pods',
            pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '10' } },
          },
        ],
      },
      status: {
        currentReplicas: 3,
        currentMetrics: [
          { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 45 } } },
        ],
      },
    },
    header: ['Name', 'Reference', 'Targets', 'MinPods', 'MaxPods', 'Replicas', 'Age'],
    cells: [
      'web',
      'Deployment/web',
      'cpu: 45%/80%, memory: <unknown>/500Mi + 1 more...',
      '2',
      10,
      3,
      '3m20s',
    ],
  },
  {
    kind: 'PodDisruptionBudget',
    group: 'policy',
    object: { metadata: meta('web'), spec: { minAvailable: '50%' }, status: { disruptionsAllowed: 1 } },
    header: ['Name', 'Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age'],
    cells: ['web', '50%', 'N/A', 1, '3m20s'],
  },
  {
    kind: 'Lease',
    group: 'coordination.k8s.io',
    object: { metadata: meta('cox-leader'), spec: { holderIdentity: 'node-1' } },
    header: ['Name', 'Holder', 'Age'],
    cells: ['cox-leader', 'node-1', '3m20s'],
  },
  {
    kind: 'Widget',
    group: 'example.com',
    object: { metadata: meta('w'), spec: { size: 3 } },
    header: ['Name', 'Age'],
    cells: ['w', '3m20s'],
  },
]

for (const kindCase of kindCases) {
  kinds(
    `${kindCase.group || 'core'}/${kindCase.kind}: upstream columns, and a row from a realistic object`,
    () => {
      const result = table(kindCase.kind, kindCase.group, [kindCase.object])

      assert.equal(header(result), kindCase.header)
      assert.equal(result.rows[0]!.cells, kindCase.cells)
    },
  )
}

kinds('an autoscaling/v1 HPA shows its CPU target; a PDB with maxUnavailable shows N/A for min', () => {
  const hpa = table('HorizontalPodAutoscaler', 'autoscaling', [
    {
      metadata: meta('v1'),
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'web' },
        maxReplicas: 4,
        targetCPUUtilizationPercentage: 70,
      },
    },
  ])
  const pdb = table('PodDisruptionBudget', 'policy', [{ metadata: meta('p'), spec: { maxUnavailable: 1 } }])

  assert.equal(hpa.rows[0]!.cells.slice(1, 4), ['Deployment/web', 'cpu: <unknown>/70%', '<unset>'])
  assert.equal(pdb.rows[0]!.cells.slice(1, 4), ['N/A', '1', 0])
})

kinds.run()

// ---- Pod STATUS ----

const podStatus = suite("node/api: pod STATUS, READY and RESTARTS as kubectl's printer computes them")

function podRow(pod: object): unknown[] {
  return table('Pod', '', [{ metadata: meta('p'), ...pod }]).rows[0]!.cells.slice(1, 4)
}

const oneContainer = { containers: [{ name: 'app' }] }

podStatus('Pending with no statuses; ContainerCreating while the container waits', () => {
  assert.equal(podRow({ spec: oneContainer, status: { phase: 'Pending' } }), ['0/1', 'Pending', '0'])
  assert.equal(
    podRow({
      spec: oneContainer,
      status: {
        phase: 'Pending',
        containerStatuses: [{ name: 'app', state: { waiting: { reason: 'ContainerCreating' } } }],
      },
    }),
    ['0/1', 'ContainerCreating', '0'],
  )
})

podStatus('Running when ready and running; Completed from the terminated reason', () => {
  assert.equal(
    podRow({
      spec: oneContainer,
      status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, state: { running: {} } }] },
    }),
    ['1/1', 'Running', '0'],
  )
  assert.equal(
    podRow({
      spec: oneContainer,
      status: {
        phase: 'Succeeded',
        containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
      },
    }),
    ['0/1', 'Completed', '0'],
  )
  assert.equal(
    podRow({
      spec: oneContainer,
      status: {
        phase: 'Failed',
        containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 137 } } }],
      },
    }),
    ['0/1', 'ExitCode:137', '0'],
  )
})

podStatus('Terminating once deletionTimestamp is set, unless the phase is terminal', () => {
  const running = { spec: oneContainer, status: { phase: 'Running' } }

  assert.equal(
    table('Pod', '', [{ metadata: meta('p', 200, { deletionTimestamp: ago(1) }), ...running }]).rows[0]!
      .cells[2],
    'Terminating',
  )
  assert.equal(
    table('Pod', '', [
      {
        metadata: meta('p', 200, { deletionTimestamp: ago(1) }),
        spec: oneContainer,
        status: { phase: 'Succeeded' },
      },
    ]).rows[0]!.cells[2],
    'Succeeded',
  )
})

podStatus(
  'init containers: Init:0/1 while running, Init:<reason> when waiting, then the main containers',
  () => {
    const spec = { initContainers: [{ name: 'migrate' }], containers: [{ name: 'app' }] }

    assert.equal(
      podRow({
        spec,
        status: { phase: 'Pending', initContainerStatuses: [{ name: 'migrate', state: { running: {} } }] },
      }),
      ['0/1', 'Init:0/1', '0'],
    )
    assert.equal(
      podRow({
        spec,
        status: {
          phase: 'Pending',
          initContainerStatuses: [
            { name: 'migrate', restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } },
          ],
        },
      }),
      ['0/1', 'Init:CrashLoopBackOff', '2'],
    )
    assert.equal(
      podRow({
        spec,
        status: {
          phase: 'Running',
          initContainerStatuses: [
            { name: 'migrate', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          ],
          containerStatuses: [{ name: 'app', ready: true, state: { running: {} } }],
        },
      }),
      ['1/1', 'Running', '0'],
    )
  },
)

podStatus('a sidecar (restartPolicy Always init container) counts among the ready containers', () => {
  assert.equal(
    podRow({
      spec: { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }], containers: [{ name: 'app' }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }],
        initContainerStatuses: [{ name: 'proxy', started: true, ready: true, state: { running: {} } }],
        containerStatuses: [{ name: 'app', ready: true, state: { running: {} } }],
      },
    }),
    ['2/2', 'Running', '0'],
  )
})

podStatus.run()

// ---- The real kubectl ----

interface KubectlContext {
  server: Server
  url: string
  home: string
}

const kubectl = suite<KubectlContext>('node/api: the real kubectl prints the Table')
const kubectlPath = '/usr/bin/kubectl'

const listedPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: meta('web-1', 200, { labels: { app: 'web' } }),
  spec: { nodeName: 'node-1', containers: [{ name: 'nginx', image: 'nginx:1.27' }] },
  status: {
    phase: 'Running',
    podIPs: [{ ip: '10.244.0.7' }],
    containerStatuses: [
      { name: 'nginx', ready: true, restartCount: 0, state: { running: { startedAt: ago(190) } } },
    ],
  },
}

kubectl.before(async (context) => {
  context.home = await mkdtemp(join(tmpdir(), 'cox-kubectl-'))
  context.server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    const body =
      discovery[path] ??
      (path === '/api/v1/namespaces/default/pods' ? podTable(req.headers.accept) : undefined)
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' })
    res.end(
      JSON.stringify(
        body ?? { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound' },
      ),
    )
  })
  await new Promise<void>((resolve) => context.server.listen(0, '127.0.0.1', resolve))
  context.url = `http://127.0.0.1:${(context.server.address() as AddressInfo).port}`
})

kubectl.after(async (context) => {
  await new Promise((resolve) => context.server.close(resolve))
  await rm(context.home, { recursive: true, force: true })
})

// Legacy discovery: kubectl takes /api as APIVersions unless the content type says otherwise.
const discovery: Record<string, object> = {
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
  '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [] },
  '/api/v1': {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      {
        name: 'pods',
        singularName: 'pod',
        namespaced: true,
        kind: 'Pod',
        verbs: ['get', 'list'],
        shortNames: ['po'],
        categories: ['all'],
      },
    ],
  },
}

function podTable(accept: string | undefined): object {
  assert.match(accept ?? '', /as=Table;v=v1;g=meta\.k8s\.io/)
  // The server's clock is the test's: AGE is exactly 3m20s.
  return toTable([listedPod], { kind: 'Pod', group: '', now, listMeta: { resourceVersion: '12' } })
}

function runKubectl(context: KubectlContext, args: string[]): Promise<string> {
  const env = { PATH: process.env.PATH ?? '', HOME: context.home }
  const options = { env, timeout: 30_000 }
  const all = ['--server', context.url, '--cache-dir', join(context.home, 'cache'), ...args]
  return new Promise((resolve, reject) => {
    execFile(kubectlPath, all, options, (error, stdout, stderr) =>
      error ? reject(new Error(`kubectl ${args.join(' ')}: ${error.message}\n${stderr}`)) : resolve(stdout),
    )
  })
}

const lines = (output: string) =>
  output
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/))

const kubectlTest = existsSync(kubectlPath) ? kubectl : kubectl.skip

kubectlTest('kubectl get pods prints the header and the row', async (context) => {
  const output = await runKubectl(context, ['get', 'pods'])

  assert.equal(lines(output), [
    ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
    ['web-1', '1/1', 'Running', '0', '3m20s'],
  ])
})

kubectlTest('kubectl get pods -o wide adds IP, NODE and the rest', async (context) => {
  const output = await runKubectl(context, ['get', 'pods', '-o', 'wide'])

  assert.equal(lines(output), [
    ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'],
    ['web-1', '1/1', 'Running', '0', '3m20s', '10.244.0.7', 'node-1', '<none>', '<none>'],
  ])
})

kubectlTest('kubectl get pods --show-labels reads the labels from the row metadata', async (context) => {
  const output = await runKubectl(context, ['get', 'pods', '--show-labels'])

  assert.equal(lines(output)[1], ['web-1', '1/1', 'Running', '0', '3m20s', 'app=web'])
})

kubectl.run()
