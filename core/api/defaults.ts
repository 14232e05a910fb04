// Defaulting: the values Kubernetes fills in on the way into storage, so that what `kubectl get -o
// yaml` shows and what controllers read is what users of Kubernetes expect (restartPolicy Always,
// RollingUpdate 25%/25%, Service targetPort = port ...). Pure: a new object is returned, and a value
// the user set is never overwritten. Defaults apply to the storage version of a kind.

import { isRecord, type KubeObject } from './object.ts'
import type { ResourceType } from './resources.ts'

type Json = Record<string, unknown>

/** Sets `object[key]` to `value` when it is absent (undefined or null), as Kubernetes' `if x == nil`. */
function fill(object: Json, key: string, value: unknown): void {
  if (object[key] === undefined || object[key] === null) object[key] = value
}

/** The object at `object[key]`, created (and stored) if absent; a non-object value is left alone. */
function child(object: Json, key: string): Json | undefined {
  fill(object, key, {})
  return isRecord(object[key]) ? object[key] : undefined
}

function items(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : []
}

/**
 * The pull policy Kubernetes gives a container without one: `Always` for `:latest` or no tag (a
 * digest alone counts as pinned), else `IfNotPresent`.
 */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent'
  const lastSlash = image.lastIndexOf('/')
  const colon = image.indexOf(':', lastSlash + 1)
  const tag = colon < 0 ? '' : image.slice(colon + 1)
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent'
}

function defaultProbe(probe: unknown): void {
  if (!isRecord(probe)) return
  fill(probe, 'timeoutSeconds', 1)
  fill(probe, 'periodSeconds', 10)
  fill(probe, 'successThreshold', 1)
  fill(probe, 'failureThreshold', 3)
  if (isRecord(probe.httpGet)) {
    fill(probe.httpGet, 'path', '/')
    fill(probe.httpGet, 'scheme', 'HTTP')
  }
}

function defaultContainer(container: Json, hostNetwork: boolean): void {
  fill(container, 'terminationMessagePath', '/dev/termination-log')
  fill(container, 'terminationMessagePolicy', 'File')
  if (typeof container.image === 'string')
    fill(container, 'imagePullPolicy', defaultPullPolicy(container.image))
  for (const port of items(container.ports)) {
    fill(port, 'protocol', 'TCP')
    if (hostNetwork && typeof port.containerPort === 'number') fill(port, 'hostPort', port.containerPort)
  }
  for (const env of items(container.env)) {
    const fieldRef = isRecord(env.valueFrom) ? env.valueFrom.fieldRef : undefined
    if (isRecord(fieldRef)) fill(fieldRef, 'apiVersion', 'v1')
  }
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(container[probe])
}

const volumeModes: Record<string, string> = {
  configMap: 'defaultMode',
  secret: 'defaultMode',
  projected: 'defaultMode',
  downwardAPI: 'defaultMode',
}

function defaultVolume(volume: Json): void {
  const sources = Object.keys(volume).filter((k) => k !== 'name')
  if (sources.length === 0) volume.emptyDir = {}
  for (const [source, field] of Object.entries(volumeModes)) {
    if (isRecord(volume[source])) fill(volume[source], field, 420)
  }
  if (isRecord(volume.hostPath)) fill(volume.hostPath, 'type', '')
  for (const item of items(isRecord(volume.downwardAPI) ? volume.downwardAPI.items : undefined)) {
    if (isRecord(item.fieldRef)) fill(item.fieldRef, 'apiVersion', 'v1')
  }
}

/** Defaults of a PodSpec, in a Pod or in any template. */
function defaultPodSpec(spec: Json): void {
  fill(spec, 'restartPolicy', 'Always')
  fill(spec, 'dnsPolicy', 'ClusterFirst')
  fill(spec, 'terminationGracePeriodSeconds', 30)
  fill(spec, 'schedulerName', 'default-scheduler')
  fill(spec, 'securityContext', {})
  fill(spec, 'enableServiceLinks', true)
  // `serviceAccount` is the deprecated alias Kubernetes keeps in step with serviceAccountName.
  if (typeof spec.serviceAccount === 'string') fill(spec, 'serviceAccountName', spec.serviceAccount)
  if (typeof spec.serviceAccountName === 'string') fill(spec, 'serviceAccount', spec.serviceAccountName)
  const hostNetwork = spec.hostNetwork === true
  for (const key of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const container of items(spec[key])) defaultContainer(container, hostNetwork)
  }
  for (const volume of items(spec.volumes)) defaultVolume(volume)
}

function defaultTemplate(spec: Json): void {
  const template = child(spec, 'template')
  if (template === undefined) return
  const podSpec = child(template, 'spec')
  if (podSpec !== undefined) defaultPodSpec(podSpec)
}

/** Quality of service as Kubernetes derives it from the containers' requests and limits. */
export function qosClass(spec: Json): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...items(spec.initContainers), ...items(spec.containers)]
  let any = false
  let guaranteed = true
  for (const container of containers) {
    const resources = isRecord(container.resources) ? container.resources : {}
    const requests = isRecord(resources.requests) ? resources.requests : {}
    const limits = isRecord(resources.limits) ? resources.limits : {}
    const named = (r: Json) => Object.keys(r).filter((k) => k === 'cpu' || k === 'memory')
    if (named(requests).length > 0 || named(limits).length > 0) any = true
    for (const resource of ['cpu', 'memory']) {
      if (
        limits[resource] === undefined ||
        (requests[resource] !== undefined && requests[resource] !== limits[resource])
      ) {
        guaranteed = false
      }
    }
  }
  if (!any) return 'BestEffort'
  return guaranteed ? 'Guaranteed' : 'Burstable'
}

function defaultPod(pod: KubeObject): void {
  const spec = child(pod, 'spec')
  if (spec === undefined) return
  // Only bare Pods: templates get these when their pods are made.
  fill(spec, 'serviceAccountName', 'default')
  for (const container of [...items(spec.initContainers), ...items(spec.containers)]) {
    const resources = child(container, 'resources')
    if (resources === undefined || !isRecord(resources.limits)) continue
    const requests = child(resources, 'requests')
    if (requests === undefined) continue
    for (const [name, limit] of Object.entries(resources.limits)) fill(requests, name, limit)
  }
  defaultPodSpec(spec)
  const status = child(pod, 'status')
  if (status !== undefined) {
    fill(status, 'phase', 'Pending')
    fill(status, 'qosClass', qosClass(spec))
  }
}

function defaultDeployment(deployment: KubeObject): void {
  const spec = child(deployment, 'spec')
  if (spec === undefined) return
  fill(spec, 'replicas', 1)
  const strategy = child(spec, 'strategy')
  if (strategy !== undefined) {
    fill(strategy, 'type', 'RollingUpdate')
    if (strategy.type === 'RollingUpdate') {
      const rollingUpdate = child(strategy, 'rollingUpdate')
      if (rollingUpdate !== undefined) {
        fill(rollingUpdate, 'maxUnavailable', '25%')
        fill(rollingUpdate, 'maxSurge', '25%')
      }
    }
  }
  fill(spec, 'revisionHistoryLimit', 10)
  fill(spec, 'progressDeadlineSeconds', 600)
  defaultTemplate(spec)
}

function defaultReplicaSet(replicaSet: KubeObject): void {
  const spec = child(replicaSet, 'spec')
  if (spec === undefined) return
  fill(spec, 'replicas', 1)
  defaultTemplate(spec)
}

function defaultStatefulSet(statefulSet: KubeObject): void {
  const spec = child(statefulSet, 'spec')
  if (spec === undefined) return
  fill(spec, 'replicas', 1)
  fill(spec, 'podManagementPolicy', 'OrderedReady')
  const strategy = child(spec, 'updateStrategy')
  if (strategy !== undefined) {
    fill(strategy, 'type', 'RollingUpdate')
    if (strategy.type === 'RollingUpdate') {
      const rollingUpdate = child(strategy, 'rollingUpdate')
      if (rollingUpdate !== undefined) fill(rollingUpdate, 'partition', 0)
    }
  }
  fill(spec, 'revisionHistoryLimit', 10)
  const retention = child(spec, 'persistentVolumeClaimRetentionPolicy')
  if (retention !== undefined) {
    fill(retention, 'whenDeleted', 'Retain')
    fill(retention, 'whenScaled', 'Retain')
  }
  for (const claim of items(spec.volumeClaimTemplates)) {
    const claimSpec = child(claim, 'spec')
    if (claimSpec !== undefined) fill(claimSpec, 'volumeMode', 'Filesystem')
  }
  defaultTemplate(spec)
}

function defaultDaemonSet(daemonSet: KubeObject): void {
  const spec = child(daemonSet, 'spec')
  if (spec === undefined) return
  const strategy = child(spec, 'updateStrategy')
  if (strategy !== undefined) {
    fill(strategy, 'type', 'RollingUpdate')
    if (strategy.type === 'RollingUpdate') {
      const rollingUpdate = child(strategy, 'rollingUpdate')
      if (rollingUpdate !== undefined) {
        fill(rollingUpdate, 'maxUnavailable', 1)
        fill(rollingUpdate, 'maxSurge', 0)
      }
    }
  }
  fill(spec, 'revisionHistoryLimit', 10)
  defaultTemplate(spec)
}

function defaultJob(job: KubeObject): void {
  const spec = child(job, 'spec')
  if (spec === undefined) return
  if (spec.completions == null && spec.parallelism == null) spec.completions = 1
  fill(spec, 'parallelism', 1)
  fill(spec, 'backoffLimit', spec.backoffLimitPerIndex == null ? 6 : 2_147_483_647)
  fill(spec, 'completionMode', 'NonIndexed')
  fill(spec, 'suspend', false)
  fill(spec, 'podReplacementPolicy', spec.podFailurePolicy == null ? 'TerminatingOrFailed' : 'Failed')
  defaultTemplate(spec)
  // A Job without labels of its own takes its template's, as Kubernetes does.
  const templateLabels =
    isRecord(spec.template) && isRecord(spec.template.metadata) ? spec.template.metadata.labels : undefined
  const labels = job.metadata.labels
  if (isRecord(templateLabels) && (labels === undefined || Object.keys(labels).length === 0)) {
    job.metadata.labels = { ...(templateLabels as Record<string, string>) }
  }
}

function defaultCronJob(cronJob: KubeObject): void {
  const spec = child(cronJob, 'spec')
  if (spec === undefined) return
  fill(spec, 'concurrencyPolicy', 'Allow')
  fill(spec, 'suspend', false)
  fill(spec, 'successfulJobsHistoryLimit', 3)
  fill(spec, 'failedJobsHistoryLimit', 1)
  const jobTemplate = child(spec, 'jobTemplate')
  const jobSpec = jobTemplate === undefined ? undefined : child(jobTemplate, 'spec')
  if (jobSpec !== undefined) defaultTemplate(jobSpec)
}

function defaultService(service: KubeObject): void {
  const spec = child(service, 'spec')
  if (spec === undefined) return
  fill(spec, 'type', 'ClusterIP')
  fill(spec, 'sessionAffinity', 'None')
  if (spec.type !== 'ExternalName') fill(spec, 'internalTrafficPolicy', 'Cluster')
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') fill(spec, 'externalTrafficPolicy', 'Cluster')
  if (spec.type === 'LoadBalancer') fill(spec, 'allocateLoadBalancerNodePorts', true)
  for (const port of items(spec.ports)) {
    fill(port, 'protocol', 'TCP')
    // Kubernetes defaults targetPort to port when absent, 0 or empty.
    if (
      port.targetPort === undefined ||
      port.targetPort === null ||
      port.targetPort === 0 ||
      port.targetPort === ''
    ) {
      port.targetPort = port.port
    }
  }
}

function defaultHpa(hpa: KubeObject): void {
  const spec = child(hpa, 'spec')
  if (spec === undefined) return
  fill(spec, 'minReplicas', 1)
  if (hpa.apiVersion === 'autoscaling/v2' && (!Array.isArray(spec.metrics) || spec.metrics.length === 0)) {
    spec.metrics = [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
      },
    ]
  }
}

function defaultNamespace(namespace: KubeObject): void {
  const status = child(namespace, 'status')
  if (status !== undefined) fill(status, 'phase', 'Active')
  // Every namespace carries its name as a label, so selectors can pick namespaces by name.
  if (typeof namespace.metadata.name === 'string') {
    namespace.metadata.labels = {
      ...namespace.metadata.labels,
      'kubernetes.io/metadata.name': namespace.metadata.name,
    }
  }
}

function defaultEndpoints(endpoints: KubeObject): void {
  for (const subset of items(endpoints.subsets))
    for (const port of items(subset.ports)) fill(port, 'protocol', 'TCP')
}

const defaulters: Record<string, (object: KubeObject) => void> = {
  '/Pod': defaultPod,
  '/Service': defaultService,
  '/Secret': (secret) => fill(secret, 'type', 'Opaque'),
  '/Namespace': defaultNamespace,
  '/Endpoints': defaultEndpoints,
  'apps/Deployment': defaultDeployment,
  'apps/ReplicaSet': defaultReplicaSet,
  'apps/StatefulSet': defaultStatefulSet,
  'apps/DaemonSet': defaultDaemonSet,
  'batch/Job': defaultJob,
  'batch/CronJob': defaultCronJob,
  'autoscaling/HorizontalPodAutoscaler': defaultHpa,
}

/** `object` with Kubernetes' defaults for its kind filled in; `object` itself is not changed. */
export function applyDefaults(resource: ResourceType, object: KubeObject): KubeObject {
  const copy = structuredClone(object)
  if (!isRecord(copy.metadata)) copy.metadata = {}
  defaulters[`${resource.group}/${resource.kind}`]?.(copy)
  return copy
}
