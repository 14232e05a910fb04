import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  bindingsPerPlan,
  bindingsPerPlanMax,
  nodePodPairsPerPlanMax,
  planScheduling,
} from '../../../actors/plans/scheduling.ts'
import type { KubeObject } from '../../../core/api/object.ts'

const now = '2026-11-26T02:00:00Z'

function node(name: string, labels: Record<string, string> = {}): KubeObject {
  const capacity = { cpu: '2', memory: '4Gi', pods: '110' }
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: `uid-${name}`,
      resourceVersion: '3',
      labels: { 'kubernetes.io/hostname': name, ...labels },
    },
    status: { capacity, allocatable: capacity, conditions: [{ type: 'Ready', status: 'True' }] },
  }
}

function pod(
  name: string,
  spec: Record<string, unknown> = {},
  status: Record<string, unknown> = { phase: 'Pending' },
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      resourceVersion: '9',
      creationTimestamp: now,
    },
    spec: {
      containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m' } } }],
      ...spec,
    },
    status,
  }
}

test('a pending pod is bound with a preconditioned update and a Scheduled event', () => {
  const plan = planScheduling({
    pods: [pod('a')],
    nodes: [node('n1', { disk: 'ssd' })],
    strategy: 'binpack',
    now,
  })
  assert.is(plan.commands.length, 1)
  const command = plan.commands[0]!
  assert.ok(command.op === 'bind', 'a binding writes the node name only')
  assert.equal(command.op === 'bind' && command.node, 'n1')
  assert.equal(command.op === 'bind' && command.expected, { resourceVersion: '9', uid: 'uid-a' })
  assert.equal(
    plan.events.map((e) => [e.reason, e.message]),
    [['Scheduled', 'Successfully assigned default/a to n1']],
  )
})

test('a pod that fits nowhere gets PodScheduled=False once, and no writes while the reason stays', () => {
  const nowhere = pod('b', { nodeSelector: { disk: 'ssd' } })
  const first = planScheduling({ pods: [nowhere], nodes: [node('n1')], strategy: 'binpack', now })
  assert.equal(
    first.events.map((e) => e.reason),
    ['FailedScheduling'],
  )
  const update = first.commands[0]!
  assert.ok(update.op === 'update' && update.subresource === 'status')
  const waiting = update.op === 'update' ? update.object : nowhere
  const again = planScheduling({ pods: [waiting], nodes: [node('n1')], strategy: 'binpack', now })
  assert.equal(again.commands, [], 'nothing new to say')
  const placed = planScheduling({
    pods: [waiting],
    nodes: [node('n1'), node('n2', { disk: 'ssd' })],
    strategy: 'binpack',
    now,
  })
  assert.equal(
    placed.events.map((e) => e.reason),
    ['Scheduled'],
    'retried when the cluster changed',
  )
})

test("bound, finished, deleting and other schedulers' pods are left alone", () => {
  const pods = [
    pod('bound', { nodeName: 'n1' }),
    pod('done', {}, { phase: 'Succeeded' }),
    { ...pod('going'), metadata: { ...pod('going').metadata, deletionTimestamp: now } },
    pod('other', { schedulerName: 'my-scheduler' }),
  ]
  assert.equal(planScheduling({ pods, nodes: [node('n1')], strategy: 'binpack', now }).commands, [])
})

test('a plan places up to 500 pods, fewer in clusters large enough to make each pod cost more', () => {
  assert.is(bindingsPerPlan(3), bindingsPerPlanMax)
  assert.is(bindingsPerPlan(100), bindingsPerPlanMax)
  assert.is(bindingsPerPlan(1_000), Math.floor(nodePodPairsPerPlanMax / 420))
  assert.ok(bindingsPerPlan(100_000) >= 1)
})

test.run()
