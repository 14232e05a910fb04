import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  evictionsPaused,
  memberIdLabel,
  nodesResource,
  planNodeEviction,
  planNodeReadiness,
} from '../../../actors/plans/nodes.ts'
import type { KubeObject } from '../../../core/api/object.ts'
import { ObjectStore } from '../../../core/api/store.ts'

const now = '2026-11-26T01:00:00Z'

function node(
  name: string,
  ready: 'True' | 'Unknown' | null,
  memberId: string | null = `id-${name}`,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: `uid-${name}`,
      resourceVersion: '7',
      ...(memberId ? { labels: { [memberIdLabel]: memberId } } : {}),
    },
    status: {
      conditions: ready ? [{ type: 'Ready', status: ready, lastHeartbeatTime: '2026-11-26T00:00:00Z' }] : [],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
    },
  }
}

test('a node silent past the grace period becomes Unknown; one heard again becomes Ready; others are left alone', () => {
  const silent: Record<string, number | null> = { 'id-a': 500, 'id-b': 12_000, 'id-c': 100, 'id-d': 50_000 }
  const plan = planNodeReadiness({
    nodes: [
      node('a', 'True'),
      node('b', 'True'),
      node('c', 'Unknown'),
      node('d', 'Unknown'),
      node('e', 'True', null),
    ],
    silentMs: (n) => silent[n.metadata.labels?.[memberIdLabel] ?? ''] ?? null,
    graceMs: 10_000,
    now,
  })
  assert.equal(
    plan.events.map((e) => [e.involvedObject.name, e.reason]),
    [
      ['b', 'NodeNotReady'],
      ['c', 'NodeReady'],
    ],
  )
  assert.is(plan.commands.length, 2)
  const [b, c] = plan.commands.map((command) => {
    if (command.op !== 'update') throw new Error(`expected updates, got ${command.op}`)
    return command
  })
  type Ready = { type: string; status: string; reason: string; lastTransitionTime: string }
  const readyOf = (object: KubeObject) =>
    (object.status as { conditions: Ready[] }).conditions.find((x) => x.type === 'Ready')
  assert.is(b!.subresource, 'status')
  assert.equal(b!.expected, { resourceVersion: '7', uid: 'uid-b' }, 'preconditioned on what was planned from')
  const bReady = readyOf(b!.object)
  assert.equal(
    [bReady?.status, bReady?.reason, bReady?.lastTransitionTime],
    ['Unknown', 'NodeStatusUnknown', now],
  )
  const cReady = readyOf(c!.object)
  assert.is(cReady?.status, 'True')
})

test('a healthy cluster writes nothing; a node no longer a member is left alone', () => {
  const plan = planNodeReadiness({
    nodes: [node('a', 'True'), node('gone', 'True')],
    silentMs: (n) => (n.metadata.labels?.[memberIdLabel] === 'id-a' ? 0 : null),
    graceMs: 10_000,
    now,
  })
  assert.equal(plan.commands, [])
  assert.equal(plan.events, [])
})

test('the plan applies to the store through the status subresource, and a stale plan is refused', () => {
  const store = new ObjectStore()
  const created = store.apply(1, { op: 'create', resource: nodesResource, object: node('a', 'True') })
  assert.ok(created.result.ok)
  const stored = store.get(nodesResource, '', 'a')!
  const plan = planNodeReadiness({ nodes: [stored], silentMs: () => 60_000, graceMs: 10_000, now })
  const applied = store.apply(2, { op: 'batch', atomic: true, commands: plan.commands })
  assert.ok(applied.result.ok)
  const ready = (store.get(nodesResource, '', 'a')!.status as { conditions: { status: string }[] })
    .conditions[0]
  assert.is(ready?.status, 'Unknown')
  const again = store.apply(3, { op: 'batch', atomic: true, commands: plan.commands })
  assert.is(again.result.ok, false, 'the same plan a second time is refused (the node moved on)')
})

function lostNode(name: string, lostAt: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-${name}`, resourceVersion: '9' },
    status: { conditions: [{ type: 'Ready', status: 'Unknown', lastTransitionTime: lostAt }] },
  }
}

function podOn(name: string, owner: string | null, phase = 'Running'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      resourceVersion: '5',
      ...(owner
        ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: owner, name: 'o', uid: 'o', controller: true }] }
        : {}),
    },
    spec: { nodeName: 'lost' },
    status: { phase },
  }
}

test('a lost node gives up its pods after the eviction timeout: StatefulSet pods later, DaemonSet pods never', () => {
  const node = lostNode('lost', '2026-11-26T00:59:50Z') // 10 s before `now`
  const pods = [
    podOn('web', 'ReplicaSet'),
    podOn('db-0', 'StatefulSet'),
    podOn('agent', 'DaemonSet'),
    podOn('done', null, 'Succeeded'),
  ]
  const early = planNodeEviction({ node, pods, evictionTimeoutMs: 15_000, statefulSafetyMs: 5_000, now })
  assert.is(early.commands.length, 0, 'not before the eviction timeout')
  assert.is(early.recheckAt, '2026-11-26T01:00:05Z', 'looks again when it is due')
  const plan = planNodeEviction({ node, pods, evictionTimeoutMs: 5_000, statefulSafetyMs: 10_000, now })
  assert.equal(
    plan.commands.map((c) => (c.op === 'delete' ? c.name : c.op)),
    ['web'],
    'the StatefulSet pod waits out the safety margin; the DaemonSet and finished pods stay',
  )
  assert.equal(plan.commands[0]!.op === 'delete' && plan.commands[0]!.expected, {
    resourceVersion: '5',
    uid: 'uid-web',
  })
  assert.is(plan.events[0]!.reason, 'TaintManagerEviction')
  const later = planNodeEviction({ node, pods, evictionTimeoutMs: 5_000, statefulSafetyMs: 5_000, now })
  assert.equal(
    later.commands.map((c) => (c.op === 'delete' ? c.name : c.op)),
    ['web', 'db-0'],
  )
  const ready = node.status as { conditions: object[] }
  const healthy = { ...node, status: { conditions: [{ ...ready.conditions[0], status: 'True' }] } }
  assert.is(
    planNodeEviction({ node: healthy, pods, evictionTimeoutMs: 0, statefulSafetyMs: 0, now }).commands.length,
    0,
  )
})

test('evictions pause while more than 55% of the nodes are not Ready', () => {
  const lost = (n: string) => lostNode(n, '2026-11-26T00:00:00Z')
  assert.not.ok(evictionsPaused([lost('a'), node('b', 'True'), node('c', 'True')]))
  assert.ok(evictionsPaused([lost('a'), lost('b'), node('c', 'True')]))
  assert.not.ok(evictionsPaused([lost('a'), lost('b')]), 'too few nodes to tell')
})

test.run()
