// The control plane on a 3-agent cluster with hollow pods (the sim runtime): Deployments and
// ReplicaSets keep their pods, a crashed controller actor is restarted by its supervisor, the
// control plane moves with the leadership without doubling pods, and kubectl's rollout commands
// work on a Deployment update — including coxswain's automatic rollback.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ProcessCluster, run, waitFor } from '../../chaos/real/process-cluster.ts'

let cluster: ProcessCluster

async function kubectl(...args: string[]): Promise<string> {
  const result = await kubectlResult(...args)
  assert.is(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`)
  return result.stdout
}

function kubectlResult(...args: string[]) {
  return run('/usr/bin/kubectl', ['--kubeconfig', cluster.kubeconfig, ...args], { HOME: cluster.dir })
}

async function leaderName(): Promise<string> {
  const status = await cluster.status('n1')
  assert.ok(status.leader, 'a leader')
  return status.leader.name
}

interface PodSummary {
  name: string
  uid: string
  phase: string
  ready: boolean
  node: string
  owner: string
}

async function pods(selector: string): Promise<PodSummary[]> {
  const list = JSON.parse(await kubectl('get', 'pods', '-l', selector, '-o', 'json')) as {
    items: {
      metadata: { name: string; uid: string; ownerReferences?: { name: string }[] }
      spec: { nodeName?: string }
      status?: { phase?: string; conditions?: { type: string; status: string }[] }
    }[]
  }
  return list.items.map((pod) => ({
    name: pod.metadata.name,
    uid: pod.metadata.uid,
    phase: pod.status?.phase ?? '',
    ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    node: pod.spec.nodeName ?? '',
    owner: pod.metadata.ownerReferences?.[0]?.name ?? '',
  }))
}

async function waitForReadyPods(selector: string, count: number, timeoutMs = 30_000): Promise<PodSummary[]> {
  let last: PodSummary[] = []
  await waitFor(`${count} ready pods with ${selector}`, timeoutMs, async () => {
    last = await pods(selector)
    return last.length === count && last.every((p) => p.phase === 'Running' && p.ready && p.node !== '')
  })
  return last
}

test.before(async () => {
  cluster = await ProcessCluster.withVoters(3)
  await cluster.writeKubeconfig('n1')
})

test.after(async () => {
  await cluster?.destroy()
})

test('a Deployment gets its pods bound and Running; deleted pods are replaced', async () => {
  await kubectl('create', 'deployment', 'web', '--image=busybox', '--replicas=3')
  const first = await waitForReadyPods('app=web', 3)
  assert.is(new Set(first.map((p) => p.owner)).size, 1, 'one ReplicaSet owns them')
  await waitFor('READY 3/3', 20_000, async () =>
    /^web\s+3\/3\s+3\s+3\s/m.test(await kubectl('get', 'deployment', 'web')),
  )
  await kubectl('delete', 'pod', first[0]!.name, '--wait=false')
  const after = await waitForReadyPods('app=web', 3)
  assert.not.ok(
    after.some((p) => p.uid === first[0]!.uid),
    'the deleted pod is gone and a new one took its place',
  )
  const events = await kubectl('get', 'events', '--field-selector', `involvedObject.name=${first[0]!.owner}`)
  assert.match(events, /SuccessfulCreate/)
})

test('a crashed controller actor is restarted by its supervisor and the cluster converges', async () => {
  await kubectl('create', 'deployment', 'crashy', '--image=busybox', '--replicas=2')
  const before = await waitForReadyPods('app=crashy', 2)
  const leader = await leaderName()
  const path = `replicasets/default/${before[0]!.owner}`
  const crashed = await cluster.request(leader, 'POST', '/cox/v1/debug/control-plane/crash', { path })
  assert.is(crashed.status, 202, crashed.text())
  // While it restarts, the world changes: it must see that when it comes back.
  await kubectl('scale', 'deployment', 'crashy', '--replicas=4')
  await waitForReadyPods('app=crashy', 4)
  await waitFor('the crash and the restart as Events', 15_000, async () => {
    const events = await kubectl(
      'get',
      'events',
      '--field-selector',
      `involvedObject.name=${before[0]!.owner}`,
    )
    return /ControllerCrashed/.test(events) && /ControllerRestarted/.test(events)
  })
  const tree = (await cluster.request(leader, 'GET', '/cox/v1/debug/control-plane')).json<{
    running: boolean
    controllers: string[]
  }>()
  assert.ok(tree.running)
  assert.ok(tree.controllers.includes(path), `${path} runs again: ${tree.controllers.join(', ')}`)
  assert.ok(tree.controllers.includes('scheduler'))
})

test('kubectl rollout status, history and undo work on a Deployment update', async () => {
  await kubectl('create', 'deployment', 'roll', '--image=busybox:1', '--replicas=3')
  await waitForReadyPods('app=roll', 3)
  await kubectl('rollout', 'status', 'deployment/roll', '--timeout=30s')
  await kubectl('set', 'image', 'deployment/roll', 'busybox=busybox:2')
  const status = await kubectl('rollout', 'status', 'deployment/roll', '--timeout=60s')
  assert.match(status, /successfully rolled out/)
  const history = await kubectl('rollout', 'history', 'deployment/roll')
  assert.match(history, /^1\s/m)
  assert.match(history, /^2\s/m)
  await kubectl('rollout', 'undo', 'deployment/roll')
  await kubectl('rollout', 'status', 'deployment/roll', '--timeout=60s')
  const image = await kubectl(
    'get',
    'deployment',
    'roll',
    '-o',
    'jsonpath={.spec.template.spec.containers[0].image}',
  )
  assert.is(image, 'busybox:1')
  const running = await waitForReadyPods('app=roll', 3)
  const rs = await kubectl('get', 'rs', '-l', 'app=roll', '-o', 'json')
  const replicaSets = (
    JSON.parse(rs) as {
      items: { metadata: { name: string; annotations: Record<string, string> }; spec: { replicas: number } }[]
    }
  ).items
  const live = replicaSets.filter((r) => r.spec.replicas > 0)
  assert.is(live.length, 1, 'one ReplicaSet carries all the replicas')
  assert.is(live[0]!.metadata.annotations['deployment.kubernetes.io/revision'], '3', 'undo makes revision 3')
  assert.ok(running.every((p) => p.owner === live[0]!.metadata.name))
})

test('a rollout that misses its deadline with auto-rollback returns to the previous revision', async () => {
  await kubectl('create', 'deployment', 'guarded', '--image=busybox:1', '--replicas=2')
  await kubectl('annotate', 'deployment', 'guarded', 'coxswain.dev/auto-rollback=true')
  await kubectl('patch', 'deployment', 'guarded', '-p', '{"spec":{"progressDeadlineSeconds":3}}')
  await waitForReadyPods('app=guarded', 2)
  await kubectl('rollout', 'status', 'deployment/guarded', '--timeout=30s')
  // The new revision's pods never become ready (the sim runtime, told so by an annotation).
  await kubectl(
    'patch',
    'deployment',
    'guarded',
    '-p',
    '{"spec":{"template":{"metadata":{"annotations":{"sim.coxswain.dev/ready":"false"}},"spec":{"containers":[{"name":"busybox","image":"busybox:broken"}]}}}}',
  )
  await waitFor('the rollback to busybox:1', 40_000, async () => {
    const image = await kubectl(
      'get',
      'deployment',
      'guarded',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    )
    return image === 'busybox:1'
  })
  await kubectl('rollout', 'status', 'deployment/guarded', '--timeout=60s')
  const running = await waitForReadyPods('app=guarded', 2)
  assert.is(running.length, 2)
  const events = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=guarded')
  assert.match(events, /RolledBack|Rollback/i)
})

test('a leader change moves the control plane; no pod is doubled', async () => {
  await kubectl('create', 'deployment', 'steady', '--image=busybox', '--replicas=5')
  const before = await waitForReadyPods('app=steady', 5)
  const leader = await leaderName()
  await cluster.kill(leader)
  const survivor = ['n1', 'n2', 'n3'].find((n) => n !== leader)!
  await cluster.writeKubeconfig(survivor)
  await waitFor('a new leader with a running control plane', 20_000, async () => {
    const status = await cluster.status(survivor)
    if (!status.leader || status.leader.name === leader) return false
    const tree = await cluster.request(status.leader.name, 'GET', '/cox/v1/debug/control-plane')
    return tree.status === 200 && tree.json<{ running: boolean }>().running
  })
  // Scale while the old leader is gone, then check the new control plane converges exactly.
  await kubectl('scale', 'deployment', 'steady', '--replicas=7')
  await waitFor('7 pods of steady', 30_000, async () => (await pods('app=steady')).length === 7)
  // Hold still a while: a doubled plan would show as more than 7.
  for (let i = 0; i < 10; i++) {
    const now = await pods('app=steady')
    assert.ok(now.length <= 7, `never more than 7 pods: ${now.length}`)
    await new Promise((r) => setTimeout(r, 200))
  }
  const kept = (await pods('app=steady')).filter((p) => before.some((b) => b.uid === p.uid))
  assert.ok(kept.length >= 5 - 2, 'pods on the surviving nodes were kept')
  await cluster.restart(leader)
  await cluster.writeKubeconfig('n1')
})

test.run()
