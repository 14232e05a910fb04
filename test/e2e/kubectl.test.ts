// The real kubectl v1.32 against a 3-agent cluster, through the kubeconfig the cluster writes, with
// no flag that weakens compatibility (validation stays strict): create, apply (client- and
// server-side), get (table, wide, yaml, json, watch), describe, scale, patch (merge, json,
// strategic), delete (it waits), apply -k, autoscale — on Deployments, Services, ConfigMaps,
// Secrets, Pods and Namespaces. The manifests from the Kubernetes documentation apply unchanged.

import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ProcessCluster, run, waitFor } from '../../chaos/real/process-cluster.ts'

const kubectlBinary = process.env.COX_KUBECTL ?? '/usr/bin/kubectl'

// From https://kubernetes.io/docs/concepts/workloads/controllers/deployment/ (controllers/nginx-deployment.yaml)
const nginxDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels:
    app: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
        ports:
        - containerPort: 80
`

// From https://kubernetes.io/docs/concepts/services-networking/service/ (service/simple-service.yaml)
const myService = `apiVersion: v1
kind: Service
metadata:
  name: my-service
spec:
  selector:
    app.kubernetes.io/name: MyApp
  ports:
    - protocol: TCP
      port: 80
      targetPort: 9376
`

let cluster: ProcessCluster
let files: string

async function kubectl(
  args: string[],
  context = 'n1',
): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(kubectlBinary, ['--kubeconfig', cluster.kubeconfig, '--context', context, ...args], {
    HOME: cluster.dir, // a fresh discovery cache
  })
}

async function ok(args: string[], context = 'n1'): Promise<string> {
  const result = await kubectl(args, context)
  assert.is(result.code, 0, `kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr}`)
  return result.stdout
}

function file(name: string, text: string): string {
  const path = join(files, name)
  writeFileSync(path, text)
  return path
}

test.before(async () => {
  cluster = await ProcessCluster.create()
  await cluster.bootstrap('n1')
  await Promise.all([cluster.join('n2'), cluster.join('n3')])
  await waitFor('three voters and the default namespace', 30_000, async () => {
    const status = await cluster.status('n1')
    if (status.members.filter((m) => m.role === 'voter').length !== 3) return false
    return (await cluster.request('n1', 'GET', '/api/v1/namespaces/default')).status === 200
  })
  await cluster.writeKubeconfig('n1')
  files = join(cluster.dir, 'manifests')
  mkdirSync(files, { recursive: true })
})

test.after(async () => {
  await cluster.destroy()
})

test('version, api-resources and the default objects', async () => {
  const version = JSON.parse(await ok(['version', '-o', 'json']))
  assert.is(version.serverVersion.minor, '32')
  const resources = await ok(['api-resources'])
  assert.match(resources, /deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/)
  assert.match(resources, /horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler/)
  const namespaces = await ok(['get', 'namespaces'])
  for (const name of ['default', 'kube-system', 'kube-public'])
    assert.match(namespaces, new RegExp(`^${name}\\s+Active`, 'm'))
  assert.match(await ok(['get', 'service', 'kubernetes']), /kubernetes\s+ClusterIP\s+10\.96\.0\.1/)
  const nodes = await ok(['get', 'nodes'])
  for (const name of ['n1', 'n2', 'n3']) assert.match(nodes, new RegExp(`^${name}\\s+Ready`, 'm'))
})

test('the documentation Deployment: create, get (table, wide, yaml, json), describe, scale, delete', async () => {
  const path = file('nginx-deployment.yaml', nginxDeployment)
  assert.match(await ok(['create', '-f', path]), /deployment\.apps\/nginx-deployment created/)
  const again = await kubectl(['create', '-f', path])
  assert.is(again.code, 1)
  assert.match(again.stderr, /AlreadyExists|already exists/)
  const table = await ok(['get', 'deployments'])
  assert.match(table, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/m)
  assert.match(table, /^nginx-deployment\s+[0-3]\/3\s+[0-3]\s+[0-3]\s+\d+s$/m)
  // The Deployment and ReplicaSet controllers and the kubelets (hollow pods) bring it up.
  await waitFor('the Deployment to be READY 3/3', 30_000, async () =>
    /^nginx-deployment\s+3\/3\s+3\s+3\s+\d+s$/m.test(await ok(['get', 'deployments'])),
  )
  assert.match(
    await ok(['get', 'pods', '-l', 'app=nginx']),
    /^nginx-deployment-[a-z0-9]+-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s/m,
  )
  const wide = await ok(['get', 'deployment', 'nginx-deployment', '-o', 'wide'], 'n2')
  assert.match(wide, /CONTAINERS\s+IMAGES\s+SELECTOR/)
  assert.match(wide, /nginx\s+nginx:1\.14\.2\s+app=nginx/)
  const yaml = await ok(['get', 'deployment', 'nginx-deployment', '-o', 'yaml'], 'n3')
  assert.match(yaml, /image: nginx:1\.14\.2/)
  assert.match(yaml, /uid: [0-9a-f-]{36}/)
  const json = JSON.parse(await ok(['get', 'deployment', 'nginx-deployment', '-o', 'json']))
  assert.is(json.spec.replicas, 3)
  assert.is(json.spec.strategy.type, 'RollingUpdate', 'defaulted')
  assert.is(json.metadata.generation, 1)
  const described = await ok(['describe', 'deployment', 'nginx-deployment'])
  assert.match(described, /Name:\s+nginx-deployment/)
  assert.match(described, /Replicas:\s+3 desired/)
  assert.match(await ok(['scale', 'deployment', 'nginx-deployment', '--replicas=5']), /scaled/)
  const scaled = JSON.parse(await ok(['get', 'deployment', 'nginx-deployment', '-o', 'json'], 'n2'))
  assert.is(scaled.spec.replicas, 5)
  assert.is(scaled.metadata.generation, 2)
  assert.match(await ok(['delete', '-f', path]), /deployment\.apps "nginx-deployment" deleted/)
  const gone = await kubectl(['get', 'deployment', 'nginx-deployment'])
  assert.is(gone.code, 1)
  assert.match(gone.stderr, /NotFound|not found/)
})

test('apply: client-side (created, configured, unchanged) and --server-side', async () => {
  const path = file('apply-deployment.yaml', nginxDeployment.replace('nginx-deployment', 'applied'))
  assert.match(await ok(['apply', '-f', path]), /deployment\.apps\/applied created/)
  assert.match(await ok(['apply', '-f', path]), /deployment\.apps\/applied unchanged/)
  file(
    'apply-deployment.yaml',
    nginxDeployment.replace('nginx-deployment', 'applied').replace('nginx:1.14.2', 'nginx:1.16.1'),
  )
  assert.match(await ok(['apply', '-f', path], 'n2'), /deployment\.apps\/applied configured/)
  const live = JSON.parse(await ok(['get', 'deployment', 'applied', '-o', 'json']))
  assert.is(live.spec.template.spec.containers[0].image, 'nginx:1.16.1')
  assert.is(live.spec.template.spec.containers.length, 1, 'containers merged by name, not appended')

  const ssaPath = file('ssa.yaml', myService.replace('my-service', 'ssa-service'))
  assert.match(await ok(['apply', '--server-side', '-f', ssaPath]), /service\/ssa-service serverside-applied/)
  file('ssa.yaml', myService.replace('my-service', 'ssa-service').replace('9376', '9377'))
  assert.match(await ok(['apply', '--server-side', '-f', ssaPath], 'n3'), /serverside-applied/)
  const service = JSON.parse(
    await ok(['get', 'service', 'ssa-service', '-o', 'json', '--show-managed-fields']),
  )
  assert.is(service.spec.ports[0].targetPort, 9377)
  assert.ok(
    service.metadata.managedFields.some(
      (f: { manager: string; operation: string }) => f.manager === 'kubectl' && f.operation === 'Apply',
    ),
  )
})

test('the documentation Service, ConfigMaps, Secrets, Pods and Namespaces', async () => {
  assert.match(await ok(['apply', '-f', file('service.yaml', myService)]), /service\/my-service created/)
  const services = await ok(['get', 'services', '-o', 'wide'])
  assert.match(services, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR$/m)
  assert.match(
    services,
    /^my-service\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+80\/TCP\s+\S+\s+app\.kubernetes\.io\/name=MyApp$/m,
  )

  assert.match(await ok(['create', 'namespace', 'team-a']), /namespace\/team-a created/)
  assert.match(
    await ok(['create', 'configmap', 'settings', '--from-literal=mode=fast', '-n', 'team-a']),
    /configmap\/settings created/,
  )
  assert.match(
    await ok(['get', 'configmap', 'settings', '-n', 'team-a', '-o', 'jsonpath={.data.mode}'], 'n3'),
    /^fast$/,
  )
  assert.match(
    await ok(['create', 'secret', 'generic', 'creds', '--from-literal=password=s3cret', '-n', 'team-a']),
    /secret\/creds created/,
  )
  const secret = await ok(['get', 'secret', 'creds', '-n', 'team-a', '-o', 'jsonpath={.data.password}'], 'n2')
  assert.is(Buffer.from(secret, 'base64').toString(), 's3cret')
  assert.match(await ok(['get', 'secrets', '-n', 'team-a']), /^creds\s+Opaque\s+1\s+/m)
  assert.match(
    await ok(['run', 'box', '--image=busybox', '-n', 'team-a', '--restart=Never', '--', 'sleep', '3600']),
    /pod\/box created/,
  )
  assert.match(await ok(['get', 'pods', '-n', 'team-a']), /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m)
  assert.match(await ok(['get', 'all', '-n', 'team-a']), /pod\/box/)
  assert.match(await ok(['delete', 'namespace', 'team-a']), /namespace "team-a" deleted/)
  const gone = await kubectl(['get', 'configmap', 'settings', '-n', 'team-a'])
  assert.is(gone.code, 1, 'deleting the namespace deleted what was in it')
})

test('patch: merge, json and strategic', async () => {
  await ok(['create', 'deployment', 'patched', '--image=nginx:1.14.2'])
  await ok(['patch', 'deployment', 'patched', '--type', 'merge', '-p', '{"spec":{"replicas":2}}'])
  await ok(
    [
      'patch',
      'deployment',
      'patched',
      '--type',
      'json',
      '-p',
      '[{"op":"add","path":"/metadata/labels/tier","value":"web"}]',
    ],
    'n2',
  )
  await ok(
    [
      'patch',
      'deployment',
      'patched',
      '--type',
      'strategic',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}}',
    ],
    'n3',
  )
  const live = JSON.parse(await ok(['get', 'deployment', 'patched', '-o', 'json']))
  assert.is(live.spec.replicas, 2)
  assert.is(live.metadata.labels.tier, 'web')
  assert.equal(
    live.spec.template.spec.containers.map((c: { name: string }) => c.name).sort(),
    ['nginx', 'sidecar'],
    'strategic merge added the container by name',
  )
  const refused = await kubectl([
    'patch',
    'deployment',
    'patched',
    '--type',
    'json',
    '-p',
    '[{"op":"test","path":"/spec/replicas","value":9}]',
  ])
  assert.is(refused.code, 1)
})

test('apply -k on a kustomization, and autoscale', async () => {
  const dir = join(files, 'kustomize')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'deployment.yaml'), nginxDeployment.replace('nginx-deployment', 'kustomized'))
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    'resources:\n- deployment.yaml\ncommonLabels:\n  team: blue\nconfigMapGenerator:\n- name: kustomized-config\n  literals:\n  - colour=blue\n',
  )
  const applied = await ok(['apply', '-k', dir])
  assert.match(applied, /deployment\.apps\/kustomized created/)
  assert.match(applied, /configmap\/kustomized-config-[a-z0-9]+ created/)
  assert.match(
    await ok(['get', 'deployment', 'kustomized', '-o', 'jsonpath={.metadata.labels.team}']),
    /^blue$/,
  )

  assert.match(
    await ok(['autoscale', 'deployment', 'kustomized', '--min=2', '--max=5', '--cpu-percent=80']),
    /horizontalpodautoscaler\.autoscaling\/kustomized autoscaled/,
  )
  const hpa = await ok(['get', 'hpa', 'kustomized'], 'n2')
  assert.match(hpa, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/m)
  assert.match(hpa, /^kustomized\s+Deployment\/kustomized\s+cpu: <unknown>\/80%\s+2\s+5\s+/m)
  const v2 = JSON.parse(await ok(['get', 'hpa.v2.autoscaling', 'kustomized', '-o', 'json']))
  assert.is(v2.spec.metrics[0].resource.target.averageUtilization, 80)
})

test('get -w streams changes; a watch on a follower sees every change in order', async () => {
  await ok(['create', 'configmap', 'watched', '--from-literal=n=0'])
  const watcher: ChildProcess = spawn(
    kubectlBinary,
    [
      '--kubeconfig',
      cluster.kubeconfig,
      '--context',
      'n3',
      'get',
      'configmaps',
      '--watch',
      '-o',
      'jsonpath={.data.n}{"\\n"}',
    ],
    { env: { ...process.env, HOME: cluster.dir }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let seen = ''
  watcher.stdout!.on('data', (chunk) => {
    seen += chunk
  })
  try {
    await waitFor('the watch to list', 10_000, () => seen.includes('0'))
    for (let n = 1; n <= 10; n++) {
      await ok(
        ['patch', 'configmap', 'watched', '--type', 'merge', '-p', `{"data":{"n":"${n}"}}`],
        `n${(n % 2) + 1}`,
      )
    }
    await waitFor('all ten changes', 10_000, () =>
      seen
        .split('\n')
        .filter((l) => l !== '')
        .includes('10'),
    )
    const values = seen
      .split('\n')
      .filter((l) => l !== '')
      .map(Number)
    const changes = values.slice(values.lastIndexOf(0) + 1)
    assert.equal(changes, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  } finally {
    watcher.kill('SIGTERM')
  }
})

test('a write through one node is visible to a plain GET through any other at once', async () => {
  for (let i = 0; i < 5; i++) {
    await ok(['create', 'configmap', `seen-${i}`, `--from-literal=i=${i}`], `n${(i % 3) + 1}`)
    for (const reader of ['n1', 'n2', 'n3']) {
      const response = await cluster.request(reader, 'GET', `/api/v1/namespaces/default/configmaps/seen-${i}`)
      assert.is(response.status, 200, `seen-${i} via ${reader}`)
    }
  }
})

test.run()
