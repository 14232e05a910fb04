// The `cox` commands for Kubernetes objects against a real 3-agent cluster, as a user types them:
// apply (created, unchanged, configured; a directory, stdin), get (table, wide, yaml, json, name,
// selectors, all namespaces, watch), describe with events, scale, delete (it waits), rollout
// history/undo/status on Deployments the controllers roll out (hollow pods), autoscale, and the
// mistakes: malformed manifests, unknown kinds, missing objects, bad flags.

import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parse as parseYaml } from 'yaml'
import { coxScript, ProcessCluster, waitFor } from '../../chaos/real/process-cluster.ts'
import type { KubeObject } from '../../core/api/object.ts'

const configMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  labels:
    app: web
data:
  greeting: hello
`

function deployment(name: string, replicas: number, image = 'nginx:1.27'): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels:
    app: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
      - name: ${name}
        image: ${image}
        ports:
        - containerPort: 80
`
}

const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web' },
  spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] },
}

let cluster: ProcessCluster
let kube: string[]
let files: string

interface Result {
  code: number
  stdout: string
  stderr: string
}

async function cox(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return cluster.cox([...args, ...kube], env)
}

/** A `cox` process left running (get -w, rollout status), its output collected as it comes. */
interface Running {
  readonly child: ChildProcess
  output(): string
  exited: Promise<number | null>
}

function start(args: string[]): Running {
  const child = spawn(process.execPath, [coxScript, ...args, ...kube], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8')
  })
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
  return { child, output: () => stdout + stderr, exited }
}

/** The parts of Deployments and HorizontalPodAutoscalers these tests read. */
interface Workload extends KubeObject {
  spec: {
    replicas: number
    template: { metadata: { labels: Record<string, string> }; spec: { containers: { image: string }[] } }
    scaleTargetRef?: object
    minReplicas?: number
    maxReplicas?: number
    metrics?: object[]
  }
}

async function api(method: string, path: string, body?: object): Promise<{ status: number; json: Workload }> {
  const response = await cluster.request('n1', method, path, body)
  return { status: response.status, json: response.json<Workload>() }
}

function manifest(name: string, text: string): string {
  const path = join(files, name)
  writeFileSync(path, text)
  return path
}

test.before(async () => {
  cluster = await ProcessCluster.create()
  await cluster.bootstrap('n1')
  await Promise.all([cluster.join('n2'), cluster.join('n3')])
  await waitFor('three voters', 30_000, async () => {
    const status = await cluster.status('n1')
    return status.members.filter((m) => m.role === 'voter').length === 3
  })
  await cluster.writeKubeconfig('n1')
  kube = ['--kubeconfig', cluster.kubeconfig]
  files = join(cluster.dir, 'manifests')
  mkdirSync(join(files, 'app'), { recursive: true })
})

test.after(async () => {
  await cluster.destroy()
})

test('apply a directory creates its objects, in name order', async () => {
  const app = join(files, 'app')
  writeFileSync(join(app, '1-config.yaml'), configMap)
  writeFileSync(join(app, '2-deployment.yml'), deployment('web', 3))
  writeFileSync(join(app, '3-service.json'), JSON.stringify(service))
  writeFileSync(join(app, 'README.md'), 'not a manifest')
  const created = await cox(['apply', '-f', app])
  assert.is(created.code, 0, created.stderr)
  assert.is(
    created.stdout,
    'configmap/web-config created\ndeployment.apps/web created\nservice/web created\n',
  )
  assert.is((await api('GET', '/apis/apps/v1/namespaces/default/deployments/web')).json.spec.replicas, 3)
})

/** Waits until a Deployment's rollout is complete and its controllers have stopped writing it. */
async function settled(name: string): Promise<void> {
  let version = ''
  await waitFor(`deployment ${name} to settle`, 30_000, async () => {
    const live = (await api('GET', `/apis/apps/v1/namespaces/default/deployments/${name}`))
      .json as KubeObject & {
      status?: { observedGeneration?: number; updatedReplicas?: number; availableReplicas?: number }
      spec: { replicas: number }
    }
    const done =
      live.status?.observedGeneration === live.metadata.generation &&
      live.status?.updatedReplicas === live.spec.replicas &&
      live.status?.availableReplicas === live.spec.replicas
    const same = live.metadata.resourceVersion === version
    version = live.metadata.resourceVersion ?? ''
    return done && same
  })
}

test('apply again: unchanged, and the objects keep their resourceVersion', async () => {
  await settled('web')
  const before = (await api('GET', '/apis/apps/v1/namespaces/default/deployments/web')).json
  const again = await cox(['apply', '-f', join(files, 'app')])
  assert.is(again.code, 0, again.stderr)
  const after = (await api('GET', '/apis/apps/v1/namespaces/default/deployments/web')).json
  assert.is(
    after.metadata.resourceVersion,
    before.metadata.resourceVersion,
    'a no-op apply wrote a new version',
  )
  assert.is(
    again.stdout,
    'configmap/web-config unchanged\ndeployment.apps/web unchanged\nservice/web unchanged\n',
  )
})

test('apply a changed manifest: configured', async () => {
  const app = join(files, 'app')
  writeFileSync(join(app, '2-deployment.yml'), deployment('web', 2))
  const changed = await cox(['apply', '-f', app])
  assert.is(changed.code, 0, changed.stderr)
  assert.match(
    changed.stdout,
    /^configmap\/web-config (unchanged|configured)\ndeployment\.apps\/web configured\n/,
  )
  assert.is((await api('GET', '/apis/apps/v1/namespaces/default/deployments/web')).json.spec.replicas, 2)
})

test('apply reads multi-document YAML and Lists, honours -n, and reads stdin', async () => {
  await api('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'other' },
  })
  const path = manifest(
    'multi.yaml',
    `apiVersion: v1
kind: ConfigMap
metadata:
  name: plain
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: listed
`,
  )
  const applied = await cox(['apply', '-f', path, '-n', 'other'])
  assert.is(applied.code, 0, applied.stderr)
  assert.is(applied.stdout, 'configmap/plain created\nconfigmap/listed created\n')
  assert.is((await api('GET', '/api/v1/namespaces/other/configmaps/listed')).status, 200)

  const piped = await new Promise<Result>((done) => {
    const child = spawn(process.execPath, [coxScript, 'apply', '-f', '-', ...kube])
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => {
      stdout += c
    })
    child.stderr.on('data', (c: Buffer) => {
      stderr += c
    })
    child.on('exit', (code) => done({ code: code ?? 1, stdout, stderr }))
    child.stdin.end('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-stdin\ndata:\n  a: b\n')
  })
  assert.is(piped.code, 0, piped.stderr)
  assert.is(piped.stdout, 'configmap/from-stdin created\n')
})

test('get prints the server table: header and row, -o wide, names by any spelling', async () => {
  const table = await cox(['get', 'deployments'])
  assert.is(table.code, 0, table.stderr)
  const [header, row, extra] = table.stdout.split('\n')
  assert.match(header!, /^NAME {3}READY {3}UP-TO-DATE {3}AVAILABLE {3}AGE$/)
  assert.match(row!, /^web {4}\d+\/2 {5}\d+ {12}\d+ {11}\d+s$/)
  assert.is(extra, '')
  // Column starts line up between the header and the row.
  assert.is(row!.indexOf(row!.split(/ {3,}/)[1]!), header!.indexOf('READY'))

  for (const spelling of ['deploy', 'deployment', 'deployments.apps', 'Deployment']) {
    const same = await cox(['get', spelling, 'web'])
    assert.is(same.code, 0, same.stderr)
    assert.match(same.stdout, /^NAME\s+READY/)
    assert.match(same.stdout, /\nweb\s/)
  }

  const wide = await cox(['get', 'deploy', '-o', 'wide'])
  assert.is(wide.code, 0, wide.stderr)
  assert.match(wide.stdout, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\n/)
  assert.match(wide.stdout, /\nweb\s.*\sweb\s+nginx:1\.27\s+app=web\n/)

  const services = await cox(['get', 'svc', 'web'])
  assert.is(services.code, 0, services.stderr)
  assert.match(services.stdout, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\n/)
  assert.match(services.stdout, /\nweb\s+ClusterIP\s/)
})

test('get -o yaml, -o json, -o name print the objects; a listing is a List', async () => {
  const yaml = await cox(['get', 'deploy', 'web', '-o', 'yaml'])
  assert.is(yaml.code, 0, yaml.stderr)
  const object = parseYaml(yaml.stdout)
  assert.is(object.kind, 'Deployment')
  assert.is(object.metadata.name, 'web')
  assert.is(object.spec.template.spec.containers[0].image, 'nginx:1.27')
  assert.match(yaml.stdout, /^apiVersion: apps\/v1\n/)

  const json = await cox(['get', 'configmaps', '-o', 'json'])
  assert.is(json.code, 0, json.stderr)
  const list = JSON.parse(json.stdout)
  assert.is(list.kind, 'List')
  assert.ok(
    (list.items as KubeObject[]).some(
      (item) => item.metadata.name === 'web-config' && item.kind === 'ConfigMap',
    ),
  )

  const names = await cox(['get', 'deploy,svc', '-o', 'name'])
  assert.is(names.code, 0, names.stderr)
  assert.match(names.stdout, /^deployment\.apps\/web\n/m)
  assert.match(names.stdout, /^service\/web\n/m)
})

test('get -l selects by label; -A shows every namespace; nothing found goes to stderr', async () => {
  const selected = await cox(['get', 'cm', '-l', 'app=web'])
  assert.is(selected.code, 0, selected.stderr)
  assert.match(selected.stdout, /^NAME\s+DATA\s+AGE\nweb-config\s+1\s+\d+s\n$/)

  const all = await cox(['get', 'configmaps', '-A'])
  assert.is(all.code, 0, all.stderr)
  assert.match(all.stdout, /^NAMESPACE\s+NAME\s+DATA\s+AGE\n/)
  assert.match(all.stdout, /\ndefault\s+web-config\s/)
  assert.match(all.stdout, /\nother\s+listed\s/)

  const none = await cox(['get', 'deploy', '-n', 'other'])
  assert.is(none.code, 0, none.stderr)
  assert.is(none.stdout, '')
  assert.is(none.stderr, 'No resources found in other namespace.\n')
  const noMatch = await cox(['get', 'cm', '-l', 'app=nothing'])
  assert.is(noMatch.stderr, 'No resources found in default namespace.\n')
})

test('get -w prints the list, then each change as a row without a header', async () => {
  const watcher = start(['get', 'configmaps', '-w'])
  try {
    await waitFor('the initial list', 15_000, () => /web-config/.test(watcher.output()))
    const client = await cluster.client('n1')
    try {
      const merge = await client.request('PATCH', '/api/v1/namespaces/default/configmaps/web-config', {
        body: JSON.stringify({ data: { greeting: 'hello', more: 'yes' } }),
        headers: { 'content-type': 'application/merge-patch+json' },
      })
      assert.is(merge.status, 200, merge.text())
    } finally {
      client.close()
    }
    await waitFor('the change as a row', 15_000, () => /\nweb-config\s+2\s+\d+s\n/.test(watcher.output()))
    const lines = watcher.output().trim().split('\n')
    assert.is(lines.filter((line) => line.startsWith('NAME')).length, 1, watcher.output())
  } finally {
    watcher.child.kill('SIGTERM')
    await watcher.exited
  }
})

test('describe shows the object and the events about it', async () => {
  const deploymentObject = (await api('GET', '/apis/apps/v1/namespaces/default/deployments/web')).json
  const event = await api('POST', '/api/v1/namespaces/default/events', {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web.test1' },
    involvedObject: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'web',
      namespace: 'default',
      uid: deploymentObject.metadata.uid,
    },
    reason: 'ScalingReplicaSet',
    message: 'Scaled up replica set web-abc to 2',
    type: 'Normal',
    source: { component: 'deployment-controller' },
    firstTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    count: 1,
  })
  assert.is(event.status, 201, JSON.stringify(event.json))
  const described = await cox(['describe', 'deployment', 'web'])
  assert.is(described.code, 0, described.stderr)
  const text = described.stdout
  assert.match(text, /^Name: {19}web\n/)
  assert.match(text, /\nNamespace: {14}default\n/)
  assert.match(text, /\nLabels: {17}app=web\n/)
  assert.match(text, /\nCreationTimestamp: {6}\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000\n/)
  assert.match(
    text,
    /\nReplicas: {15}2 desired \| \d+ updated \| \d+ total \| \d+ available \| \d+ unavailable\n/,
  )
  assert.match(
    text,
    /\nPod Template:\n {2}Labels: {2}app=web\n {2}Containers:\n {3}web:\n {4}Image: {9}nginx:1\.27\n/,
  )
  assert.match(text, /\nEvents:\n {2}Type {4}Reason {13}Age {3}From {19}Message\n/)
  assert.match(
    text,
    /\n {2}Normal {2}ScalingReplicaSet {2}\d+s\s+deployment-controller {2}Scaled up replica set web-abc to 2\n/,
  )

  const map = await cox(['describe', 'cm', 'web-config'])
  assert.is(map.code, 0, map.stderr)
  assert.match(map.stdout, /\nData\n====\ngreeting:\n----\nhello\n/)
  assert.match(map.stdout, /\nEvents: {2}<none>\n$/)
})

test('scale patches the scale subresource', async () => {
  const scaled = await cox(['scale', 'deployment/web', '--replicas=4'])
  assert.is(scaled.code, 0, scaled.stderr)
  assert.is(scaled.stdout, 'deployment.apps/web scaled\n')
  assert.is((await api('GET', '/apis/apps/v1/namespaces/default/deployments/web')).json.spec.replicas, 4)
  const spaced = await cox(['scale', 'deploy', 'web', '--replicas', '3'])
  assert.is(spaced.code, 0, spaced.stderr)
  assert.is(
    (await api('GET', '/apis/apps/v1/namespaces/default/deployments/web/scale')).json.spec.replicas,
    3,
  )
})

test('delete waits until the objects are gone; -f deletes what a manifest names', async () => {
  const deleted = await cox(['delete', 'configmap', 'from-stdin', 'plain', '-n', 'default'])
  assert.is(deleted.code, 1) // plain lives in "other"
  assert.match(deleted.stdout, /^configmap "from-stdin" deleted\n$/)
  assert.match(deleted.stderr, /^Error from server \(NotFound\): configmaps "plain" not found\n$/)
  assert.is((await api('GET', '/api/v1/namespaces/default/configmaps/from-stdin')).status, 404)

  const fromFile = await cox(['delete', '-f', join(files, 'multi.yaml'), '-n', 'other'])
  assert.is(fromFile.code, 0, fromFile.stderr)
  assert.is(fromFile.stdout, 'configmap "plain" deleted\nconfigmap "listed" deleted\n')
  assert.is((await api('GET', '/api/v1/namespaces/other/configmaps/listed')).status, 404)

  const kindSlash = await cox(['apply', '-f', manifest('short.yaml', deployment('short', 1))])
  assert.is(kindSlash.code, 0, kindSlash.stderr)
  const gone = await cox(['delete', 'deploy/short'])
  assert.is(gone.code, 0, gone.stderr)
  assert.is(gone.stdout, 'deployment.apps "short" deleted\n')
  assert.is((await api('GET', '/apis/apps/v1/namespaces/default/deployments/short')).status, 404)
})

/** A Deployment manifest for `roll` with this image, and a change cause if given. */
function rollManifest(image: string, cause?: string): string {
  const text = deployment('roll', 3, image)
  return cause === undefined
    ? text
    : text.replace(
        '  labels:\n    app: roll\n',
        `  labels:\n    app: roll\n  annotations:\n    kubernetes.io/change-cause: ${cause}\n`,
      )
}

test('rollout history lists the ReplicaSets the deployment controls; undo restores a revision', async () => {
  for (const [image, cause] of [
    ['nginx:1', 'first release'],
    ['nginx:2', undefined],
    ['nginx:3', 'third release'],
  ] as const) {
    const applied = await cox(['apply', '-f', manifest('roll.yaml', rollManifest(image, cause))])
    assert.is(applied.code, 0, applied.stderr)
    await settled('roll')
  }
  // Same labels, but controlled by something else (here a ConfigMap): not in its history.
  const owner = (await api('GET', '/api/v1/namespaces/default/configmaps/web-config')).json
  const foreign = await api('POST', '/apis/apps/v1/namespaces/default/replicasets', {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: 'roll-foreign',
      labels: { app: 'roll', 'pod-template-hash': 'foreign' },
      annotations: { 'deployment.kubernetes.io/revision': '9' },
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          name: 'web-config',
          uid: owner.metadata.uid,
          controller: true,
        },
      ],
    },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'roll', 'pod-template-hash': 'foreign' } },
      template: {
        metadata: { labels: { app: 'roll', 'pod-template-hash': 'foreign' } },
        spec: { containers: [{ name: 'roll', image: 'nginx:9' }] },
      },
    },
  })
  assert.is(foreign.status, 201, JSON.stringify(foreign.json))

  const history = await cox(['rollout', 'history', 'deployment/roll'])
  assert.is(history.code, 0, history.stderr)
  assert.is(
    history.stdout,
    'deployment.apps/roll\nREVISION  CHANGE-CAUSE\n1         first release\n2         <none>\n3         third release\n\n',
  )

  const undone = await cox(['rollout', 'undo', 'deployment/roll'])
  assert.is(undone.code, 0, undone.stderr)
  assert.is(undone.stdout, 'deployment.apps/roll rolled back\n')
  let live = (await api('GET', '/apis/apps/v1/namespaces/default/deployments/roll')).json
  assert.is(live.spec.template.spec.containers[0].image, 'nginx:2')
  assert.equal(live.spec.template.metadata.labels, { app: 'roll' })
  await settled('roll')
  // The controller moved revision 2 to the top: it is revision 4 now.
  const renumbered = await cox(['rollout', 'history', 'deployment/roll'])
  assert.is(
    renumbered.stdout,
    'deployment.apps/roll\nREVISION  CHANGE-CAUSE\n1         first release\n3         third release\n4         <none>\n\n',
  )

  const toFirst = await cox(['rollout', 'undo', 'deploy', 'roll', '--to-revision=1'])
  assert.is(toFirst.code, 0, toFirst.stderr)
  live = (await api('GET', '/apis/apps/v1/namespaces/default/deployments/roll')).json
  assert.is(live.spec.template.spec.containers[0].image, 'nginx:1')
  assert.is(live.metadata.annotations?.['kubernetes.io/change-cause'], 'first release')
  await settled('roll')

  const same = await cox(['rollout', 'undo', 'deployment/roll', '--to-revision=5'])
  assert.is(same.code, 0, same.stderr)
  assert.is(
    same.stdout,
    'deployment.apps/roll skipped rollback (current template already matches revision 5)\n',
  )

  const missing = await cox(['rollout', 'undo', 'deployment/roll', '--to-revision=7'])
  assert.is(missing.code, 1)
  assert.is(missing.stderr, 'error: unable to find specified revision 7 in history\n')
})

test('rollout status waits until the deployment reports every replica updated and available', async () => {
  // Pods of the new template take 4 s to start (the sim runtime, told so by an annotation).
  const client = await cluster.client('n1')
  try {
    const response = await client.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/roll', {
      body: JSON.stringify({
        spec: {
          template: {
            metadata: { annotations: { 'sim.coxswain.dev/start-ms': '4000' } },
            spec: { containers: [{ name: 'roll', image: 'nginx:4' }] },
          },
        },
      }),
      headers: { 'content-type': 'application/strategic-merge-patch+json' },
    })
    assert.is(response.status, 200, response.text())
  } finally {
    client.close()
  }
  const timedOut = await cox(['rollout', 'status', 'deployment/roll', '--timeout=1s'])
  assert.is(timedOut.code, 1)
  assert.match(timedOut.stdout, /^Waiting for deployment "roll" rollout to finish: /)
  assert.is(timedOut.stderr, 'error: timed out waiting for the condition\n')

  const watcher = start(['rollout', 'status', 'deployment/roll', '--timeout=60s'])
  assert.is(await watcher.exited, 0, watcher.output())
  assert.match(watcher.output(), /^Waiting for deployment "roll" rollout to finish: /)
  assert.match(watcher.output(), /deployment "roll" successfully rolled out\n$/)
  const done = await cox(['rollout', 'status', 'deploy/roll'])
  assert.is(done.code, 0, done.stderr)
  assert.is(done.stdout, 'deployment "roll" successfully rolled out\n')
})

test('autoscale creates an autoscaling/v2 HorizontalPodAutoscaler for a deployment', async () => {
  const made = await cox([
    'autoscale',
    'deployment',
    'web',
    '--min',
    '2',
    '--max',
    '6',
    '--cpu-percent',
    '70',
  ])
  assert.is(made.code, 0, made.stderr)
  assert.is(made.stdout, 'horizontalpodautoscaler.autoscaling/web autoscaled\n')
  const hpa = (await api('GET', '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web')).json
  assert.equal(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' })
  assert.is(hpa.spec.minReplicas, 2)
  assert.is(hpa.spec.maxReplicas, 6)
  assert.equal(hpa.spec.metrics, [
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
  ])
  const listed = await cox(['get', 'hpa'])
  assert.is(listed.code, 0, listed.stderr)
  assert.match(listed.stdout, /\nweb\s+Deployment\/web\s/)
  const twice = await cox(['autoscale', 'deployment/web', '--max=6'])
  assert.is(twice.code, 1)
  assert.match(
    twice.stderr,
    /^Error from server \(AlreadyExists\): horizontalpodautoscalers\.autoscaling "web" already exists\n$/,
  )
})

test('a malformed manifest is named with its line, and nothing from it is applied', async () => {
  const path = manifest(
    'broken.yaml',
    `apiVersion: v1
kind: ConfigMap
metadata:
  name: half-applied
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: broken
   data: [1,
`,
  )
  const result = await cox(['apply', '-f', path])
  assert.is(result.code, 1)
  assert.is(result.stdout, '')
  assert.match(
    result.stderr,
    new RegExp(`^error: error parsing "${path}" \\(document 2\\) line \\d+ column \\d+: `),
  )
  assert.is((await api('GET', '/api/v1/namespaces/default/configmaps/half-applied')).status, 404)

  const notObject = await cox(['apply', '-f', manifest('scalar.yaml', 'just a string\n')])
  assert.is(notObject.code, 1)
  assert.match(notObject.stderr, /scalar\.yaml/)
})

test('an unknown kind, a missing object, an unknown resource type: exit 1 with the reason', async () => {
  const foo = manifest('foo.yaml', 'apiVersion: example.com/v1\nkind: Foo\nmetadata:\n  name: x\n')
  const unknownKind = await cox(['apply', '-f', foo])
  assert.is(unknownKind.code, 1)
  assert.is(unknownKind.stderr, `error: resource mapping not found for kind "Foo" in "${foo}"\n`)

  const notFound = 'Error from server (NotFound): deployments.apps "nope" not found\n'
  for (const args of [
    ['get', 'deploy', 'nope'],
    ['describe', 'deployment', 'nope'],
    ['delete', 'deployment', 'nope'],
    ['scale', 'deployment/nope', '--replicas=1'],
    ['rollout', 'history', 'deployment/nope'],
    ['rollout', 'undo', 'deployment/nope'],
    ['rollout', 'status', 'deployment/nope'],
    ['get', 'deploy', 'nope', '-w'],
  ]) {
    const result = await cox(args)
    assert.is(result.code, 1, args.join(' '))
    assert.is(result.stderr, notFound, args.join(' '))
  }
  const noType = await cox(['get', 'frobs'])
  assert.is(noType.code, 1)
  assert.is(noType.stderr, 'error: the server doesn\'t have a resource type "frobs"\n')
})

test('a wrong command line exits 2 with the usage', async () => {
  for (const args of [
    ['get'],
    ['get', 'deploy', '--bogus'],
    ['get', 'deploy', '-o', 'table-please'],
    ['apply'],
    ['scale', 'deployment/web'],
    ['scale', 'deployment/web', '--replicas=-1'],
    ['rollout', 'sideways', 'deployment/web'],
    ['rollout', 'status', 'deployment/web', '--to-revision=1'],
    ['autoscale', 'deployment', 'web', '--min', '2'],
    ['delete', 'deployment'],
  ]) {
    const result = await cox(args)
    assert.is(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
    assert.match(result.stderr, /usage: cox/)
  }
})

test('KUBECONFIG is honoured, and --context picks another node', async () => {
  const viaEnv = await cluster.cox(['get', 'deploy', 'web', '-o', 'name'], { KUBECONFIG: cluster.kubeconfig })
  assert.is(viaEnv.code, 0, viaEnv.stderr)
  assert.is(viaEnv.stdout, 'deployment.apps/web\n')
  const viaN2 = await cox(['get', 'deploy', 'web', '--context', 'n2'])
  assert.is(viaN2.code, 0, viaN2.stderr)
  assert.match(viaN2.stdout, /\nweb\s/)
})

test.run()
