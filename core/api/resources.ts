// The registry of served resources: which kinds the API serves under which group, version and
// plural, their short names, scope, categories and subresources, and the lookups kubectl's names
// resolve through (`po`, `deploy`, `deployments.apps`). HorizontalPodAutoscaler is served as
// autoscaling/v1 and /v2 and stored as v2; its conversions live here too.

import { formatApiVersion, isRecord, type KubeObject, parseApiVersion } from './object.ts'

export interface ResourceType {
  /** `''` for the core group. */
  group: string
  version: string
  kind: string
  plural: string
  singular: string
  shortNames: string[]
  namespaced: boolean
  /** `all` puts the resource in `kubectl get all`. */
  categories: string[]
  subresources: Subresource[]
  listKind: string
}

type Scope = 'Namespaced' | 'Cluster'

/** `eviction` is Pod's alone: a create (POST) that deletes the pod if its disruption budget allows. */
export type Subresource = 'status' | 'scale' | 'eviction'

function resource(
  group: string,
  version: string,
  kind: string,
  plural: string,
  scope: Scope,
  options: { shortNames?: string[]; all?: boolean; subresources?: Subresource[] } = {},
): ResourceType {
  return {
    group,
    version,
    kind,
    plural,
    singular: kind.toLowerCase(),
    shortNames: options.shortNames ?? [],
    namespaced: scope === 'Namespaced',
    categories: options.all ? ['all'] : [],
    subresources: options.subresources ?? [],
    listKind: `${kind}List`,
  }
}

const status: Subresource[] = ['status']
const statusAndScale: Subresource[] = ['status', 'scale']

/** Every resource the API serves, in discovery order. */
export const resourceTypes: readonly ResourceType[] = Object.freeze([
  resource('', 'v1', 'Namespace', 'namespaces', 'Cluster', { shortNames: ['ns'], subresources: status }),
  resource('', 'v1', 'Node', 'nodes', 'Cluster', { shortNames: ['no'], subresources: status }),
  resource('', 'v1', 'Pod', 'pods', 'Namespaced', {
    shortNames: ['po'],
    all: true,
    subresources: ['status', 'eviction'],
  }),
  resource('', 'v1', 'Service', 'services', 'Namespaced', {
    shortNames: ['svc'],
    all: true,
    subresources: status,
  }),
  resource('', 'v1', 'Endpoints', 'endpoints', 'Namespaced', { shortNames: ['ep'] }),
  resource('', 'v1', 'ConfigMap', 'configmaps', 'Namespaced', { shortNames: ['cm'] }),
  resource('', 'v1', 'Secret', 'secrets', 'Namespaced'),
  resource('', 'v1', 'Event', 'events', 'Namespaced', { shortNames: ['ev'] }),
  resource('', 'v1', 'ServiceAccount', 'serviceaccounts', 'Namespaced', { shortNames: ['sa'] }),
  resource('apps', 'v1', 'ReplicaSet', 'replicasets', 'Namespaced', {
    shortNames: ['rs'],
    all: true,
    subresources: statusAndScale,
  }),
  resource('apps', 'v1', 'Deployment', 'deployments', 'Namespaced', {
    shortNames: ['deploy'],
    all: true,
    subresources: statusAndScale,
  }),
  resource('apps', 'v1', 'DaemonSet', 'daemonsets', 'Namespaced', {
    shortNames: ['ds'],
    all: true,
    subresources: status,
  }),
  resource('apps', 'v1', 'StatefulSet', 'statefulsets', 'Namespaced', {
    shortNames: ['sts'],
    all: true,
    subresources: statusAndScale,
  }),
  resource('batch', 'v1', 'Job', 'jobs', 'Namespaced', { all: true, subresources: status }),
  resource('batch', 'v1', 'CronJob', 'cronjobs', 'Namespaced', {
    shortNames: ['cj'],
    all: true,
    subresources: status,
  }),
  resource('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', 'Namespaced', {
    shortNames: ['hpa'],
    all: true,
    subresources: status,
  }),
  resource('autoscaling', 'v1', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', 'Namespaced', {
    shortNames: ['hpa'],
    all: true,
    subresources: status,
  }),
  resource('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', 'Namespaced', {
    shortNames: ['pdb'],
    subresources: status,
  }),
  resource('coordination.k8s.io', 'v1', 'Lease', 'leases', 'Namespaced'),
])

/** Versions of a group, most preferred first (the order of discovery's `versions`). */
const versionPreference: Record<string, string[]> = { autoscaling: ['v2', 'v1'] }

export interface GroupVersions {
  /** `''` for the core group. */
  group: string
  /** Preferred version first. */
  versions: string[]
}

/** Each served group with its versions, in discovery order, the preferred version first. */
export function groupVersions(): GroupVersions[] {
  const groups: GroupVersions[] = []
  for (const type of resourceTypes) {
    let entry = groups.find((g) => g.group === type.group)
    if (entry === undefined) {
      entry = { group: type.group, versions: [] }
      groups.push(entry)
    }
    if (!entry.versions.includes(type.version)) entry.versions.push(type.version)
  }
  for (const entry of groups) {
    const order = versionPreference[entry.group]
    if (order !== undefined) entry.versions.sort((a, b) => order.indexOf(a) - order.indexOf(b))
  }
  return groups
}

/** The resource an object's `apiVersion` and `kind` name, if served. */
export function resourceFor(apiVersion: string, kind: string): ResourceType | undefined {
  const { group, version } = parseApiVersion(apiVersion)
  return resourceTypes.find((t) => t.group === group && t.version === version && t.kind === kind)
}

/** The resource at a REST path's group, version and plural (`apps`, `v1`, `deployments`). */
export function resourceByPlural(group: string, version: string, plural: string): ResourceType | undefined {
  return resourceTypes.find((t) => t.group === group && t.version === version && t.plural === plural)
}

/**
 * The resource a user's name means, as kubectl resolves it: plural, singular, short name or kind
 * (any case), optionally qualified by group (`deployments.apps`) or version and group
 * (`horizontalpodautoscalers.v1.autoscaling`). A group with several versions answers the preferred.
 */
export function resourceByName(name: string): ResourceType | undefined {
  const lower = name.toLowerCase()
  const dot = lower.indexOf('.')
  const bare = dot < 0 ? lower : lower.slice(0, dot)
  let qualifier = dot < 0 ? undefined : lower.slice(dot + 1)
  let version: string | undefined
  if (qualifier !== undefined) {
    const versionDot = qualifier.indexOf('.')
    const first = versionDot < 0 ? qualifier : qualifier.slice(0, versionDot)
    if (/^v\d+((alpha|beta)\d+)?$/.test(first) && versionDot >= 0) {
      version = first
      qualifier = qualifier.slice(versionDot + 1)
    }
  }
  const candidates = resourceTypes.filter(
    (t) =>
      (t.plural === bare ||
        t.singular === bare ||
        t.shortNames.includes(bare) ||
        t.kind.toLowerCase() === bare) &&
      (qualifier === undefined || t.group === qualifier) &&
      (version === undefined || t.version === version),
  )
  if (candidates.length <= 1) return candidates[0]
  const preferred = groupVersions().find((g) => g.group === candidates[0]!.group)?.versions[0]
  return candidates.find((t) => t.version === preferred) ?? candidates[0]
}

/** `apps/v1` for a resource of group `apps`, `v1` for the core group. */
export function apiVersionOf(type: ResourceType): string {
  return formatApiVersion(type.group, type.version)
}

/** Versions stored in another version than served (objects convert on the way in and out). */
const storageVersions: Record<string, string> = { 'autoscaling/HorizontalPodAutoscaler': 'v2' }

/** The resource type an object of `type` is stored as: itself but for autoscaling/v1 HPA (v2). */
export function storageResource(type: ResourceType): ResourceType {
  const version = storageVersions[`${type.group}/${type.kind}`]
  if (version === undefined || version === type.version) return type
  return resourceTypes.find((t) => t.group === type.group && t.kind === type.kind && t.version === version)!
}

/**
 * `object` as `apiVersion` of the same group and kind (a copy). Only HorizontalPodAutoscaler has
 * more than one version; asking for a version the kind does not have is a programmer error.
 */
export function convertObject(object: KubeObject, apiVersion: string): KubeObject {
  if (object.apiVersion === apiVersion) return structuredClone(object)
  const from = parseApiVersion(object.apiVersion)
  const to = parseApiVersion(apiVersion)
  if (
    from.group === 'autoscaling' &&
    to.group === 'autoscaling' &&
    object.kind === 'HorizontalPodAutoscaler'
  ) {
    if (to.version === 'v1' || to.version === 'v2') return convertHpa(object, to.version)
  }
  throw new Error(`no conversion of ${object.kind} from ${object.apiVersion} to ${apiVersion}`)
}

// --- HorizontalPodAutoscaler v1 <-> v2 -------------------------------------------------------
//
// v1 knows one metric (average CPU utilization). As Kubernetes does, v2-only content survives a
// round trip through v1 in annotations: other metrics, behavior, current metrics and conditions.

const metricsAnnotation = 'autoscaling.alpha.kubernetes.io/metrics'
const behaviorAnnotation = 'autoscaling.alpha.kubernetes.io/behavior'
const currentMetricsAnnotation = 'autoscaling.alpha.kubernetes.io/current-metrics'
const conditionsAnnotation = 'autoscaling.alpha.kubernetes.io/conditions'
const hpaAnnotations = [metricsAnnotation, behaviorAnnotation, currentMetricsAnnotation, conditionsAnnotation]

type Json = Record<string, unknown>

function isCpuUtilizationTarget(metric: unknown): metric is Json {
  if (!isRecord(metric) || metric.type !== 'Resource' || !isRecord(metric.resource)) return false
  const target = metric.resource.target
  return metric.resource.name === 'cpu' && isRecord(target) && target.type === 'Utilization'
}

function isCpuCurrent(metric: unknown): metric is Json {
  return (
    isRecord(metric) &&
    metric.type === 'Resource' &&
    isRecord(metric.resource) &&
    metric.resource.name === 'cpu'
  )
}

function parseAnnotation(annotations: Record<string, string>, key: string): unknown[] | Json | undefined {
  const text = annotations[key]
  if (text === undefined) return undefined
  try {
    const value: unknown = JSON.parse(text)
    return Array.isArray(value) || isRecord(value) ? value : undefined
  } catch {
    return undefined
  }
}

/** An autoscaling HorizontalPodAutoscaler as `version` (`v1` or `v2`), a new object. */
export function convertHpa(object: KubeObject, version: 'v1' | 'v2'): KubeObject {
  const copy = structuredClone(object)
  if (parseApiVersion(copy.apiVersion).version === version) return copy
  return version === 'v1' ? hpaToV1(copy) : hpaToV2(copy)
}

function hpaToV1(hpa: KubeObject): KubeObject {
  const spec: Json = isRecord(hpa.spec) ? hpa.spec : {}
  const status: Json | undefined = isRecord(hpa.status) ? hpa.status : undefined
  const annotations: Record<string, string> = { ...(hpa.metadata.annotations ?? {}) }
  for (const key of hpaAnnotations) delete annotations[key]

  const { metrics, behavior, ...specRest } = spec
  const v1Spec: Json = { ...specRest }
  const others: unknown[] = []
  let cpuSeen = false
  for (const metric of Array.isArray(metrics) ? metrics : []) {
    if (!cpuSeen && isCpuUtilizationTarget(metric)) {
      cpuSeen = true
      const target = (metric.resource as Json).target as Json
      if (target.averageUtilization !== undefined)
        v1Spec.targetCPUUtilizationPercentage = target.averageUtilization
    } else {
      others.push(metric)
    }
  }
  if (others.length > 0) annotations[metricsAnnotation] = JSON.stringify(others)
  if (behavior !== undefined) annotations[behaviorAnnotation] = JSON.stringify(behavior)

  let v1Status: Json | undefined
  if (status !== undefined) {
    const { currentMetrics, conditions, ...statusRest } = status
    v1Status = { ...statusRest }
    const otherCurrent: unknown[] = []
    let cpuCurrentSeen = false
    for (const metric of Array.isArray(currentMetrics) ? currentMetrics : []) {
      const current = isCpuCurrent(metric) ? (metric.resource as Json).current : undefined
      if (!cpuCurrentSeen && isRecord(current) && current.averageUtilization !== undefined) {
        cpuCurrentSeen = true
        v1Status.currentCPUUtilizationPercentage = current.averageUtilization
      } else {
        otherCurrent.push(metric)
      }
    }
    if (otherCurrent.length > 0) annotations[currentMetricsAnnotation] = JSON.stringify(otherCurrent)
    if (Array.isArray(conditions) && conditions.length > 0) {
      annotations[conditionsAnnotation] = JSON.stringify(conditions)
    }
  }

  const metadata = { ...hpa.metadata }
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations
  else delete metadata.annotations
  const result: KubeObject = { ...hpa, apiVersion: 'autoscaling/v1', metadata, spec: v1Spec }
  if (v1Status !== undefined) result.status = v1Status
  return result
}

function hpaToV2(hpa: KubeObject): KubeObject {
  const spec: Json = isRecord(hpa.spec) ? hpa.spec : {}
  const status: Json | undefined = isRecord(hpa.status) ? hpa.status : undefined
  const annotations: Record<string, string> = { ...(hpa.metadata.annotations ?? {}) }

  const { targetCPUUtilizationPercentage, ...specRest } = spec
  const v2Spec: Json = { ...specRest }
  const metrics: unknown[] = []
  if (typeof targetCPUUtilizationPercentage === 'number') {
    metrics.push({
      type: 'Resource',
      resource: {
        name: 'cpu',
        target: { type: 'Utilization', averageUtilization: targetCPUUtilizationPercentage },
      },
    })
  }
  const otherMetrics = parseAnnotation(annotations, metricsAnnotation)
  if (Array.isArray(otherMetrics)) metrics.push(...otherMetrics)
  if (metrics.length > 0) v2Spec.metrics = metrics
  const behavior = parseAnnotation(annotations, behaviorAnnotation)
  if (isRecord(behavior)) v2Spec.behavior = behavior

  let v2Status: Json | undefined
  if (status !== undefined) {
    const { currentCPUUtilizationPercentage, ...statusRest } = status
    v2Status = { ...statusRest }
    const current: unknown[] = []
    if (typeof currentCPUUtilizationPercentage === 'number') {
      current.push({
        type: 'Resource',
        resource: { name: 'cpu', current: { averageUtilization: currentCPUUtilizationPercentage } },
      })
    }
    const otherCurrent = parseAnnotation(annotations, currentMetricsAnnotation)
    if (Array.isArray(otherCurrent)) current.push(...otherCurrent)
    if (current.length > 0) v2Status.currentMetrics = current
    const conditions = parseAnnotation(annotations, conditionsAnnotation)
    if (Array.isArray(conditions)) v2Status.conditions = conditions
  }

  for (const key of hpaAnnotations) delete annotations[key]
  const metadata = { ...hpa.metadata }
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations
  else delete metadata.annotations
  const result: KubeObject = { ...hpa, apiVersion: 'autoscaling/v2', metadata, spec: v2Spec }
  if (v2Status !== undefined) result.status = v2Status
  return result
}
