// The node lifecycle's plan for readiness: a node whose agent the leader has not heard from for
// the cluster's NotReady grace period gets its Ready condition set to Unknown (Kubernetes' reason
// NodeStatusUnknown), and back to True when it is heard again. Agents heartbeat to the leader over
// the mesh, not through the log, so only these transitions are written: a healthy cluster writes
// nothing. Pure: the leader passes in what it has heard and the time.

import type { KubeObject } from '../../core/api/object.ts'
import type { ApiCommand, ResourceRef } from '../../core/api/store.ts'
import { type Condition, conditionOf, isObject, type Plan, type PlanEvent, updateCommand } from './plan.ts'

export const nodesResource: ResourceRef = {
  group: '',
  plural: 'nodes',
  kind: 'Node',
  namespaced: false,
  hasStatus: true,
}
/** The label that ties a Node object to the cluster member it stands for. */
export const memberIdLabel = 'coxswain.dev/member-id'
export const nodeControllerComponent = 'node-controller'

export interface NodeReadinessInput {
  readonly nodes: readonly KubeObject[]
  /** How long the leader has not heard from a member; null when it is not a member (any more). */
  readonly silentMs: (memberId: string) => number | null
  readonly graceMs: number
  readonly now: string
}

export function planNodeReadiness(input: NodeReadinessInput): Plan {
  const commands: ApiCommand[] = []
  const events: PlanEvent[] = []
  for (const node of input.nodes) {
    const memberId = node.metadata.labels?.[memberIdLabel]
    if (memberId === undefined) continue
    const silentMs = input.silentMs(memberId)
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
