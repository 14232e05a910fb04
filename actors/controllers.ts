// The controllers the control plane runs, each a pure planner from plans/ bound to the part of
// the ClusterView it plans from. What the leader knows outside the log (when it last heard from
// each node, the pods' CPU usage the nodes report, the cluster's timing settings) comes in
// through ControllerSignals.

import type { KubeObject } from '../core/api/object.ts'
import type { ClusterView } from './cluster-view.ts'
import type { ClusterController, ObjectController } from './control-plane.ts'
import { planDeployment } from './plans/deployment.ts'
import { nodesResource, planNodeEviction, planNodeReadiness, statefulSafetyMsDefault } from './plans/nodes.ts'
import { deploymentsResource, type Plan, podsResource, replicaSetsResource } from './plans/plan.ts'
import { planReplicaSet } from './plans/replicaset.ts'
import { planScheduling } from './plans/scheduling.ts'
import type { Strategy } from './scheduler.ts'

export interface ControllerSignals {
  /** How long the leader has not heard from a node's agent; null when it does not know the node. */
  readonly nodeSilentMs: (node: KubeObject) => number | null
  readonly settings: () => { readonly nodeNotReadyGraceMs: number; readonly evictionTimeoutMs: number }
  /** A pod's CPU usage in millicores as its node last reported it, if it did. */
  readonly podCpuMillis: (pod: KubeObject) => number | undefined
  readonly schedulingStrategy: Strategy
}

export function controllers(signals: ControllerSignals): {
  objects: ObjectController[]
  cluster: ClusterController[]
} {
  return {
    cluster: [
      {
        id: 'scheduler',
        atomic: false,
        plan: ({ view, fixed }) =>
          planScheduling({
            pods: view.list(podsResource),
            nodes: view.list(nodesResource),
            strategy: signals.schedulingStrategy,
            now: fixed.now,
          }),
      },
    ],
    objects: [
      {
        id: 'nodes',
        resource: nodesResource,
        actors: 'per-object',
        // Readiness follows heartbeats, which do not go through the log.
        resyncMs: 1_000,
        plan: (node, { view, fixed }) => {
          const settings = signals.settings()
          const readiness = planNodeReadiness({
            nodes: [node],
            silentMs: signals.nodeSilentMs,
            graceMs: settings.nodeNotReadyGraceMs,
            now: fixed.now,
          })
          // Readiness first: eviction plans from the node as it is stored, after the transition.
          if (readiness.commands.length > 0) return readiness
          return planNodeEviction({
            node,
            pods: view.podsOnNode(node.metadata.name ?? ''),
            evictionTimeoutMs: settings.evictionTimeoutMs,
            statefulSafetyMs: statefulSafetyMsDefault,
            now: fixed.now,
          })
        },
      },
      {
        id: 'deployments',
        resource: deploymentsResource,
        actors: 'per-object',
        plan: (deployment, { view, fixed }) => {
          const namespace = deployment.metadata.namespace ?? ''
          const replicaSets = view.inNamespace(replicaSetsResource, namespace)
          return planDeployment({
            deployment,
            replicaSets,
            pods: podsOfOwners(view, replicaSets, deployment.metadata.uid ?? ''),
            ...fixed,
          })
        },
      },
      {
        id: 'replicasets',
        resource: replicaSetsResource,
        actors: 'per-object',
        plan: (replicaSet, { view, fixed }): Plan => {
          const namespace = replicaSet.metadata.namespace ?? ''
          return planReplicaSet({
            replicaSet,
            pods: [...view.podsControlledBy(replicaSet.metadata.uid ?? ''), ...view.orphanPods(namespace)],
            replicaSets: view.inNamespace(replicaSetsResource, namespace),
            ...fixed,
          })
        },
      },
    ],
  }
}

/** The pods of the ReplicaSets a Deployment controls. */
function podsOfOwners(view: ClusterView, replicaSets: readonly KubeObject[], ownerUid: string): KubeObject[] {
  return replicaSets
    .filter((rs) => rs.metadata.ownerReferences?.some((o) => o.controller && o.uid === ownerUid))
    .flatMap((rs) => view.podsControlledBy(rs.metadata.uid ?? ''))
}
