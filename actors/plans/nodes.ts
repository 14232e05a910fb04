// The node lifecycle's plan for readiness: a node whose agent the leader has not heard from for
// the cluster's NotReady grace period gets its Ready condition set to Unknown (Kubernetes' reason
// NodeStatusUnknown), and back to True when it is heard again. Agents heartbeat to the leader over
// the mesh, not through the log, so only these transitions are written: a healthy cluster writes
// nothing. Pure: the leader passes in what it has heard and the time.

import type { KubeObject } from '../../core/api/object.ts'
import type { ApiCommand, ResourceRef } from '../../core/api/store.ts'
import {
  type Condition,
  conditionOf,
  controllerOf,
  deleteCommand,
  formatTime,
  isObject,
  type Plan,
  type PlanEvent,
  parseTime,
  podsResource,
  referenceTo,
  resourceOf,
  updateCommand,
} from './plan.ts'
import { isPodActive } from './pods.ts'

export const nodesResource: ResourceRef = resourceOf('v1', 'Node')
/** The label that ties a Node object to the cluster member it stands for. */
export const memberIdLabel = 'coxswain.dev/member-id'
export const nodeControllerComponent = 'node-controller'

export interface NodeReadinessInput {
  readonly nodes: readonly KubeObject[]
  /** How long the leader has not heard from a node's agent; null when it does not know the node. */
  readonly silentMs: (node: KubeObject) => number | null
  readonly graceMs: number
  readonly now: string
}

export function planNodeReadiness(input: NodeReadinessInput): Plan {
  const commands: ApiCommand[] = []
  const events: PlanEvent[] = []
  for (const node of input.nodes) {
    const silentMs = input.silentMs(node)
    if (silentMs === null) continue
    const heard = silentMs < input.graceMs
    const current = conditionOf(node.status, 'Ready')
    const wanted: Condition['status'] = heard ? 'True' : 'Unknown'
    if (current?.status === wanted) continue
    const ready: Condition = heard
      ? {
          type: 'Ready',
          status: 'True',
          reason: 'AgentReady',
          message: 'the coxswain agent is posting its status',
        }
      : {
          type: 'Ready',
          status: 'Unknown',
          reason: 'NodeStatusUnknown',
          message: 'Agent stopped posting node status.',
        }
    const status = isObject(node.status) ? node.status : {}
    const conditions = Array.isArray(status.conditions) ? (status.conditions as Condition[]) : []
    const next: KubeObject = {
      ...node,
      status: {
        ...status,
        conditions: [
          ...conditions.filter((c) => c.type !== 'Ready'),
          {
            ...ready,
            lastHeartbeatTime: current?.lastHeartbeatTime ?? input.now,
            lastTransitionTime: input.now,
          },
        ],
      },
    }
    commands.push(updateCommand(nodesResource, node, next, 'status', input.now))
    const name = node.metadata.name ?? ''
    events.push({
      type: 'Normal',
      reason: heard ? 'NodeReady' : 'NodeNotReady',
      message: `Node ${name} status is now: ${heard ? 'NodeReady' : 'NodeNotReady'}`,
      involvedObject: { apiVersion: 'v1', kind: 'Node', namespace: '', name, uid: node.metadata.uid ?? '' },
      component: nodeControllerComponent,
    })
  }
  return { commands, events }
}

/**
 * How much longer than other pods a StatefulSet's pods stay on a lost node before they are
 * deleted: the node stops them itself once it has been cut off for the grace period, and this
 * margin covers the difference between its clock and the leader's view of when it went quiet.
 */
export const statefulSafetyMsDefault = 5_000

/**
 * When more than this share of the nodes is not Ready at once, no pod is evicted: the likelier
 * cause is the control plane's trouble hearing them, not that most of the cluster died, and
 * evicting everything would only pile more work on it (Kubernetes' unhealthy-zone threshold, in
 * its full-disruption mode).
 */
export const unhealthyShareMax = 0.55

/** Whether so many nodes are not Ready that evictions stop (see unhealthyShareMax). */
export function evictionsPaused(nodes: readonly KubeObject[]): boolean {
  if (nodes.length < 3) return false
  const notReady = nodes.filter((node) => conditionOf(node.status, 'Ready')?.status !== 'True').length
  return notReady / nodes.length > unhealthyShareMax
}

export interface NodeEvictionInput {
  readonly node: KubeObject
  /** The pods bound to the node. */
  readonly pods: readonly KubeObject[]
  readonly evictionTimeoutMs: number
  readonly statefulSafetyMs: number
  readonly now: string
}

/**
 * The node lifecycle's plan for a lost node's pods (Kubernetes' taint-based eviction): once the
 * node has not been Ready for the eviction timeout, its pods are deleted so their controllers
 * make replacements elsewhere. DaemonSet pods stay (they tolerate it, as upstream); StatefulSet
 * pods wait a safety margin longer, so one ordinal never runs twice.
 */
export function planNodeEviction(input: NodeEvictionInput): Plan {
  const ready = conditionOf(input.node.status, 'Ready')
  const lostSinceMs = ready && ready.status !== 'True' ? parseTime(ready.lastTransitionTime) : undefined
  if (lostSinceMs === undefined) return { commands: [], events: [] }
  const nowMs = parseTime(input.now) ?? 0
  const commands: ApiCommand[] = []
  const events: PlanEvent[] = []
  let recheckMs: number | undefined
  for (const pod of input.pods) {
    if (!isPodActive(pod)) continue
    const owner = controllerOf(pod)?.kind
    if (owner === 'DaemonSet') continue
    const dueMs =
      lostSinceMs + input.evictionTimeoutMs + (owner === 'StatefulSet' ? input.statefulSafetyMs : 0)
    if (nowMs < dueMs) {
      recheckMs = Math.min(recheckMs ?? dueMs, dueMs)
      continue
    }
    commands.push(deleteCommand(podsResource, pod, input.now))
    events.push({
      type: 'Normal',
      reason: 'TaintManagerEviction',
      message: `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}`,
      involvedObject: referenceTo(pod),
      component: nodeControllerComponent,
    })
  }
  return { commands, events, ...(recheckMs === undefined ? {} : { recheckAt: formatTime(recheckMs + 999) }) }
}
