// The controllers the control plane runs, each a pure planner from plans/ bound to the part of
// the ClusterView it plans from. What the leader knows outside the log (when it last heard from
// each node, the pods' CPU usage the nodes report, the cluster's timing settings) comes in
// through ControllerSignals.

import type { KubeObject, LabelSelector } from '../core/api/object.ts'
import { resourceTypes, storageResource } from '../core/api/resources.ts'
import { labelMatcher } from '../core/api/selectors.ts'
import type { ResourceRef } from '../core/api/store.ts'
import type { ClusterView } from './cluster-view.ts'
import { type ClusterController, type ObjectController, objectKey } from './control-plane.ts'
import { horizontalPodAutoscalersResource, planHorizontalPodAutoscaler } from './plans/autoscaler.ts'
import { cronJobsResource, planCronJob } from './plans/cronjobs.ts'
import { daemonSetsResource, planDaemonSet } from './plans/daemonset.ts'
import { planDeployment } from './plans/deployment.ts'
import { controllerScales, planDisruptionBudget, podDisruptionBudgetsResource } from './plans/disruption.ts'
import { endpointsResource, planEndpoints, planOrphanEndpoints, servicesResource } from './plans/endpoints.ts'
import { planGarbageCollection } from './plans/garbage-collector.ts'
import { jobsResource, planJob } from './plans/jobs.ts'
import {
  evictionsPaused,
  nodesResource,
  planNodeEviction,
  planNodeReadiness,
  statefulSafetyMsDefault,
} from './plans/nodes.ts'
import {
  controllerOf,
  deploymentsResource,
  formatTime,
  isObject,
  type Plan,
  podsResource,
  refOf,
  replicaSetsResource,
  requireTime,
} from './plans/plan.ts'
import { planReplicaSet } from './plans/replicaset.ts'
import { planScheduling } from './plans/scheduling.ts'
import { planStatefulSet, statefulSetsResource } from './plans/statefulset.ts'
import type { Strategy } from './scheduler.ts'

export interface ControllerSignals {
  /** How long the leader has not heard from a node's agent; null when it does not know the node. */
  readonly nodeSilentMs: (node: KubeObject) => number | null
  readonly settings: () => { readonly nodeNotReadyGraceMs: number; readonly evictionTimeoutMs: number }
  /** A pod's CPU usage in millicores as its node last reported it, if it did. */
  readonly podCpuMillis: (pod: KubeObject) => number | undefined
  readonly schedulingStrategy: Strategy
}

/** How often the garbage collector looks over every object. */
export const garbageCollectionPeriodMs = 15_000

/** Every resource the store keeps, as the garbage collector must see owners of any kind. */
const storedResources: readonly ResourceRef[] = [
  ...new Map(
    resourceTypes.map((type) => {
      const ref = refOf(storageResource(type))
      return [`${ref.group}/${ref.plural}`, ref] as const
    }),
  ).values(),
]

/** How often the actor of a node the leader has not heard from lately looks again. */
export const silentNodeRecheckMs = 1_000

export function controllers(signals: ControllerSignals): {
  objects: ObjectController[]
  cluster: ClusterController[]
} {
  return {
    cluster: [
      {
        id: 'scheduler',
        atomic: false,
        urgent: true,
        watches: [pods, nodes],
        plan: ({ view, fixed }) =>
          planScheduling({
            pods: view.list(podsResource),
            nodes: view.list(nodesResource),
            strategy: signals.schedulingStrategy,
            now: fixed.now,
          }),
      },
      {
        id: 'garbage-collector',
        atomic: false,
        watches: [],
        periodMs: garbageCollectionPeriodMs,
        plan: ({ view, fixed }) => {
          const owned = planGarbageCollection({
            objects: storedResources.flatMap((resource) =>
              view.list(resource).map((object) => ({ resource, object })),
            ),
            now: fixed.now,
          })
          const endpoints = planOrphanEndpoints({
            endpoints: view.list(endpointsResource),
            services: view.list(servicesResource),
            now: fixed.now,
          })
          return {
            commands: [...owned.commands, ...endpoints.commands],
            events: [...owned.events, ...endpoints.events],
          }
        },
      },
    ],
    objects: [
      {
        id: 'nodes',
        resource: nodesResource,
        actors: 'per-object',
        watches: [pods],
        concerns: (change) => {
          const node = (change.object.spec as { nodeName?: unknown } | undefined)?.nodeName
          return typeof node === 'string' && node !== '' ? [node] : []
        },
        plan: (node, { view, fixed }) => {
          const settings = signals.settings()
          // Readiness follows heartbeats, which do not go through the log: look again when this
          // node's silence would pass the grace period, or soon while it is silent already.
          const silentMs = signals.nodeSilentMs(node)
          const recheckInMs =
            silentMs !== null && silentMs < settings.nodeNotReadyGraceMs
              ? settings.nodeNotReadyGraceMs - silentMs
              : silentNodeRecheckMs
          const recheckAt = formatTime(requireTime(fixed.now) + recheckInMs + 999)
          const readiness = planNodeReadiness({
            nodes: [node],
            silentMs: signals.nodeSilentMs,
            graceMs: settings.nodeNotReadyGraceMs,
            now: fixed.now,
          })
          // Readiness first: eviction plans from the node as it is stored, after the transition.
          const paused = view.memo('evictionsPaused', () => evictionsPaused(view.list(nodesResource)))
          if (readiness.commands.length > 0 || paused) return { ...readiness, recheckAt }
          const eviction = planNodeEviction({
            node,
            pods: view.podsOnNode(node.metadata.name ?? ''),
            evictionTimeoutMs: settings.evictionTimeoutMs,
            statefulSafetyMs: statefulSafetyMsDefault,
            now: fixed.now,
          })
          return { ...eviction, recheckAt: earlierTime(eviction.recheckAt, recheckAt) }
        },
      },
      {
        id: 'deployments',
        resource: deploymentsResource,
        actors: 'per-object',
        watches: [replicaSets],
        concerns: (change) => ownerKeys(change.object, 'Deployment'),
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
        watches: [pods],
        concerns: (change, view) => {
          const owned = ownerKeys(change.object, 'ReplicaSet')
          if (owned.length > 0 || controllerOf(change.object)) return owned
          // An orphan may be adopted by any ReplicaSet of its namespace.
          return view.inNamespace(replicaSetsResource, change.object.metadata.namespace ?? '').map(objectKey)
        },
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
      {
        id: 'services',
        resource: servicesResource,
        actors: 'per-object',
        watches: [pods, endpoints],
        concerns: (change, view) =>
          change.resource === endpoints
            ? [objectKey(change.object)]
            : view.inNamespace(servicesResource, change.object.metadata.namespace ?? '').map(objectKey),
        plan: (service, { view, fixed }) => {
          const namespace = service.metadata.namespace ?? ''
          return planEndpoints({
            service,
            pods: view.inNamespace(podsResource, namespace),
            endpoints: view.get(endpointsResource, namespace, service.metadata.name ?? ''),
            ...fixed,
          })
        },
      },
      {
        id: 'jobs',
        resource: jobsResource,
        actors: 'per-kind',
        watches: [pods],
        plan: (job, { view, fixed }) =>
          planJob({
            job,
            pods: [
              ...view.podsControlledBy(job.metadata.uid ?? ''),
              ...view.orphanPods(job.metadata.namespace ?? ''),
            ],
            ...fixed,
          }),
      },
      {
        id: 'daemonsets',
        resource: daemonSetsResource,
        actors: 'per-kind',
        watches: [pods, nodes],
        plan: (daemonSet, { view, fixed }) =>
          planDaemonSet({
            daemonSet,
            pods: [
              ...view.podsControlledBy(daemonSet.metadata.uid ?? ''),
              ...view.orphanPods(daemonSet.metadata.namespace ?? ''),
            ],
            nodes: view.list(nodesResource),
            ...fixed,
          }),
      },
      {
        id: 'statefulsets',
        resource: statefulSetsResource,
        actors: 'per-kind',
        watches: [pods],
        plan: (statefulSet, { view, fixed }) =>
          planStatefulSet({
            statefulSet,
            pods: view.inNamespace(podsResource, statefulSet.metadata.namespace ?? ''),
            ...fixed,
          }),
      },
      {
        id: 'cronjobs',
        resource: cronJobsResource,
        actors: 'per-kind',
        watches: [keyOf(jobsResource)],
        plan: (cronJob, { view, fixed }) =>
          planCronJob({
            cronJob,
            jobs: view.inNamespace(jobsResource, cronJob.metadata.namespace ?? ''),
            ...fixed,
          }),
      },
      {
        id: 'disruption',
        resource: podDisruptionBudgetsResource,
        actors: 'per-kind',
        watches: [pods, ...scaledResources.map(keyOf)],
        plan: (pdb, { view, fixed }) => {
          const namespace = pdb.metadata.namespace ?? ''
          const workloads = scaledResources.flatMap((resource) => view.inNamespace(resource, namespace))
          return planDisruptionBudget({
            pdb,
            pods: view.inNamespace(podsResource, namespace),
            controllers: controllerScales(workloads),
            now: fixed.now,
          })
        },
      },
      {
        id: 'autoscalers',
        resource: horizontalPodAutoscalersResource,
        actors: 'per-kind',
        watches: scaledResources.map(keyOf),
        // CPU figures arrive with heartbeats, outside the log.
        resyncMs: 5_000,
        plan: (hpa, { view, fixed }) => {
          const target = scaleTarget(view, hpa)
          return planHorizontalPodAutoscaler({
            hpa,
            target,
            pods: target ? selectedPods(view, target) : [],
            podCpuMillis: signals.podCpuMillis,
            now: fixed.now,
          })
        },
      },
    ],
  }
}

const keyOf = (resource: ResourceRef): string => `${resource.group}/${resource.plural}`
const pods = keyOf(podsResource)
const nodes = keyOf(nodesResource)
const replicaSets = keyOf(replicaSetsResource)
const endpoints = keyOf(endpointsResource)

/** The earlier of two RFC 3339 times (UTC, one format: they compare as text). */
function earlierTime(a: string | undefined, b: string): string {
  return a !== undefined && a < b ? a : b
}

/** The key of the object's managing controller, if it is of `kind`. */
function ownerKeys(object: KubeObject, kind: string): string[] {
  const owner = controllerOf(object)
  if (owner?.kind !== kind) return []
  const namespace = object.metadata.namespace ?? ''
  return [namespace === '' ? owner.name : `${namespace}/${owner.name}`]
}

/** The workloads with a scale, which PodDisruptionBudgets and autoscalers look at. */
const scaledResources: readonly ResourceRef[] = storedResources.filter(
  (r) => r.group === 'apps' && ['deployments', 'replicasets', 'statefulsets'].includes(r.plural),
)

/** The object an HPA's `spec.scaleTargetRef` names, if it exists and has a scale. */
function scaleTarget(view: ClusterView, hpa: KubeObject): KubeObject | undefined {
  const spec = isObject(hpa.spec) ? hpa.spec : {}
  const ref = isObject(spec.scaleTargetRef) ? spec.scaleTargetRef : {}
  const resource = scaledResources.find((r) => r.kind === ref.kind)
  if (!resource || typeof ref.name !== 'string') return undefined
  return view.get(resource, hpa.metadata.namespace ?? '', ref.name)
}

/** The active pods a workload's selector matches. */
function selectedPods(view: ClusterView, workload: KubeObject): KubeObject[] {
  const spec = isObject(workload.spec) ? workload.spec : {}
  if (!isObject(spec.selector)) return []
  const matches = labelMatcher(spec.selector as LabelSelector)
  return view
    .inNamespace(podsResource, workload.metadata.namespace ?? '')
    .filter((pod) => matches(pod.metadata.labels))
}

/** The pods of the ReplicaSets a Deployment controls. */
function podsOfOwners(view: ClusterView, replicaSets: readonly KubeObject[], ownerUid: string): KubeObject[] {
  return replicaSets
    .filter((rs) => rs.metadata.ownerReferences?.some((o) => o.controller && o.uid === ownerUid))
    .flatMap((rs) => view.podsControlledBy(rs.metadata.uid ?? ''))
}
