// The scheduler controller's plan: place every pending pod with the pure scheduler, bind each
// placed pod (its spec.nodeName, preconditioned on the pod as planned from), and mark each pod that
// fits nowhere with Kubernetes' PodScheduled=False condition and a FailedScheduling event saying
// why — only when that reason changed, so a pod waiting for room costs no writes while it waits.
// Level-triggered: the leader plans again whenever the cluster may have changed.

import type { KubeObject } from '../../core/api/object.ts'
import type { ApiCommand } from '../../core/api/store.ts'
import { compareNames, feasibleNodesToFind, type Strategy, schedule } from '../scheduler.ts'
import {
  conditionOf,
  isObject,
  type Plan,
  type PlanEvent,
  podsResource,
  referenceTo,
  updateCommand,
} from './plan.ts'

export const schedulerComponent = 'default-scheduler'

/**
 * Pods placed by one plan at most: the plan is one log entry, and a bounded entry keeps Raft's
 * heartbeats and everyone else's writes flowing while a burst of thousands of pods is placed.
 */
export const bindingsPerPlanMax = 500

/**
 * And fewer in large clusters, where each pod is tried on more nodes: a plan is one synchronous
 * piece of work on the leader, kept to about this many node-pod pairs (the full 500 pods up to a
 * few hundred nodes; 238 on 1,000 nodes, where 420 are looked at per pod).
 */
export const nodePodPairsPerPlanMax = 100_000

export interface SchedulingInput {
  readonly pods: readonly KubeObject[]
  readonly nodes: readonly KubeObject[]
  readonly strategy: Strategy
  readonly now: string
}

/** Pods this scheduler should place: unbound, alive, and not meant for another scheduler. */
export function isPending(pod: KubeObject): boolean {
  const spec = isObject(pod.spec) ? pod.spec : {}
  const phase = isObject(pod.status) ? pod.status.phase : undefined
  const scheduler = spec.schedulerName ?? schedulerComponent
  return (
    !spec.nodeName &&
    !pod.metadata.deletionTimestamp &&
    phase !== 'Succeeded' &&
    phase !== 'Failed' &&
    scheduler === schedulerComponent
  )
}

export function planScheduling(input: SchedulingInput): Plan {
  const pending = input.pods
    .filter(isPending)
    // RFC 3339 times in UTC compare as text.
    .sort((a, b) => compareNames(String(a.metadata.creationTimestamp), String(b.metadata.creationTimestamp)))
    .slice(0, bindingsPerPlan(input.nodes.length))
  const commands: ApiCommand[] = []
  const events: PlanEvent[] = []
  if (pending.length === 0) return { commands, events }
  const plan = schedule({ pods: input.pods, nodes: input.nodes, pending, strategy: input.strategy })
  const byUid = new Map(pending.map((pod) => [pod.metadata.uid, pod]))
  for (const binding of plan.bindings) {
    const pod = byUid.get(binding.uid)!
    commands.push({
      op: 'bind',
      resource: podsResource,
      namespace: binding.namespace,
      name: binding.name,
      node: binding.node,
      expected: { resourceVersion: pod.metadata.resourceVersion ?? '', uid: pod.metadata.uid ?? '' },
    })
    events.push({
      type: 'Normal',
      reason: 'Scheduled',
      message: `Successfully assigned ${binding.namespace}/${binding.name} to ${binding.node}`,
      involvedObject: referenceTo(pod),
      component: schedulerComponent,
    })
  }
  for (const refused of plan.unschedulable) {
    const pod = byUid.get(refused.uid)!
    const current = conditionOf(pod.status, 'PodScheduled')
    if (current?.status === 'False' && current.message === refused.message) continue
    const status = isObject(pod.status) ? pod.status : {}
    const conditions = Array.isArray(status.conditions) ? (status.conditions as { type: string }[]) : []
    const next: KubeObject = {
      ...pod,
      status: {
        ...status,
        conditions: [
          ...conditions.filter((c) => c.type !== 'PodScheduled'),
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: refused.message,
            lastProbeTime: null,
            lastTransitionTime: input.now,
          },
        ],
      },
    }
    commands.push(updateCommand(podsResource, pod, next, 'status', input.now))
    events.push({
      type: 'Warning',
      reason: 'FailedScheduling',
      message: refused.message,
      involvedObject: referenceTo(pod),
      component: schedulerComponent,
    })
  }
  return { commands, events }
}

/** How many pending pods one plan places at most, among `nodeCount` nodes. */
export function bindingsPerPlan(nodeCount: number): number {
  const pairsPerPod = Math.max(1, feasibleNodesToFind(nodeCount))
  return Math.max(1, Math.min(bindingsPerPlanMax, Math.floor(nodePodPairsPerPlanMax / pairsPerPod)))
}
