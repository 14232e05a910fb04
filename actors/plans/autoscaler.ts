// The HorizontalPodAutoscaler's plan, after Kubernetes' `pkg/controller/podautoscaler` (autoscaling/v2
// with Resource cpu Utilization metrics): the pods' CPU usage as a percentage of their requests,
// compared with the target, gives the replicas the scale target should have; within a tolerance
// nothing changes, scale-up is limited per step, and scale-down waits out a stabilization window
// (the highest recommendation within it wins). The status reports what was seen and decided, with
// upstream's conditions.
//
// Upstream keeps the recent recommendations in the controller's memory and evaluates each HPA once
// per sync period. A plan is stateless and runs on any change, so the recommendations live in an
// annotation on the HPA, and a rescale waits out the sync period after the last one (upstream's
// pace: it would not look again sooner). The usage comes from the nodes' reports, outside the
// log; the plan asks to be run again after a sync period to see it move.

import type { KubeObject } from '../../core/api/object.ts'
import { parseApiVersion } from '../../core/api/object.ts'
import { resourceTypes } from '../../core/api/resources.ts'
import { type ApiCommand, describe, type ResourceRef } from '../../core/api/store.ts'
import { resourceAmount } from '../scheduler-model.ts'
import {
  type Condition,
  conditionOf,
  count,
  formatTime,
  isObject,
  type Plan,
  type PlanEvent,
  parseTime,
  referenceTo,
  requireTime,
  resourceOf,
  semanticEqual,
  updateCommand,
} from './plan.ts'
import { podPhase } from './pods.ts'

export const horizontalPodAutoscalersResource: ResourceRef = resourceOf(
  'autoscaling/v2',
  'HorizontalPodAutoscaler',
)

export const autoscalerComponent = 'horizontal-pod-autoscaler'
/** The recent recommendations, `[{timestamp, replicas}]` in JSON, oldest first. */
export const recommendationsAnnotation = 'autoscaling.coxswain.dev/recommendations'
/** Upstream's `--horizontal-pod-autoscaler-sync-period`. */
export const autoscalerSyncPeriodMs = 15_000
/** A usage ratio this close to 1 changes nothing (`--horizontal-pod-autoscaler-tolerance`). */
export const utilizationTolerance = 0.1
export const scaleDownStabilizationSecondsDefault = 300
/** While a pod is this young, an unready one's usage is not trusted (`--...-cpu-initialization-period`). */
export const cpuInitializationPeriodMs = 5 * 60_000
/** A pod unready within this long of starting has never been ready (`--...-initial-readiness-delay`). */
export const initialReadinessDelayMs = 30_000
/** Recommendations kept at most; past it the two oldest merge, keeping the higher. */
export const recommendationsMax = 64
const scaleUpLimitFactor = 2
const scaleUpLimitMinimum = 4

export interface HorizontalPodAutoscalerInput {
  /** The HPA, as stored (autoscaling/v2). */
  readonly hpa: KubeObject
  /** The object `spec.scaleTargetRef` names (Deployment, ReplicaSet, StatefulSet), if it exists. */
  readonly target: KubeObject | undefined
  /** The target's pods: those its selector matches. */
  readonly pods: readonly KubeObject[]
  /** A pod's CPU usage in millicores as its node last reported it, if it did. */
  readonly podCpuMillis: (pod: KubeObject) => number | undefined
  /** The leader's time, RFC 3339. */
  readonly now: string
}

export interface Recommendation {
  timestamp: string
  replicas: number
}

interface MetricStatus {
  type: 'Resource'
  resource: { name: 'cpu'; current: { averageUtilization: number; averageValue: string } }
}

/** The HPA's status and the warnings that go with writing it, built up as upstream's reconcile does. */
class Reconciling {
  readonly warnings: PlanEvent[] = []
  readonly hpa: KubeObject
  readonly now: string
  conditions: Condition[]
  constructor(hpa: KubeObject, now: string) {
    this.hpa = hpa
    this.now = now
    const status = isObject(hpa.status) ? hpa.status : {}
    this.conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter(
      isObject,
    ) as Condition[]
  }
  /** Upstream's `setConditionInList`: the transition time moves only when the status does. */
  set(type: string, status: Condition['status'], reason: string, message: string): void {
    const existing = this.conditions.find((c) => c.type === type)
    const lastTransitionTime =
      existing?.status === status && existing.lastTransitionTime ? existing.lastTransitionTime : this.now
    const next: Condition = { type, status, lastTransitionTime, reason, message }
    this.conditions = existing
      ? this.conditions.map((c) => (c === existing ? next : c))
      : [...this.conditions, next]
  }
  warn(reason: string, message: string): void {
    this.warnings.push(event(this.hpa, 'Warning', reason, message))
  }
}

export function planHorizontalPodAutoscaler(input: HorizontalPodAutoscalerInput): Plan {
  const { hpa, target, now } = input
  const nowMs = requireTime(now)
  const spec = isObject(hpa.spec) ? hpa.spec : {}
  const previous = isObject(hpa.status) ? hpa.status : {}
  const lastScaleMs = parseTime(previous.lastScaleTime)
  if (lastScaleMs !== undefined && lastScaleMs <= nowMs && nowMs < lastScaleMs + autoscalerSyncPeriodMs) {
    return { commands: [], events: [], recheckAt: formatTime(lastScaleMs + autoscalerSyncPeriodMs) }
  }
  const recheckAt = formatTime(nowMs + autoscalerSyncPeriodMs)
  const state = new Reconciling(hpa, now)
  const finish = (
    status: Record<string, unknown>,
    extra: ApiCommand[] = [],
    events: PlanEvent[] = [],
  ): Plan => {
    const commands = [...extra]
    if (!semanticEqual(previous, status)) {
      const hpaWritten = commands.some((c) => c.op === 'update' && c.object.metadata.uid === hpa.metadata.uid)
      const update = updateCommand(
        horizontalPodAutoscalersResource,
        hpa,
        { ...hpa, status },
        'status',
        now,
      ) as Extract<ApiCommand, { op: 'update' }>
      // A second write of the HPA in this (atomic) batch cannot expect the version the first one
      // replaced: the first one's precondition guards both.
      commands.push(hpaWritten ? { ...update, expected: { uid: hpa.metadata.uid ?? '' } } : update)
      events.push(...state.warnings)
    }
    return { commands, events, recheckAt }
  }

  const scaleTarget = scaleTargetOf(spec, target)
  if ('error' in scaleTarget) {
    state.set(
      'AbleToScale',
      'False',
      'FailedGetScale',
      `the HPA controller was unable to get the target's current scale: ${scaleTarget.error}`,
    )
    state.warn('FailedGetScale', scaleTarget.error)
    return finish({ ...previous, conditions: state.conditions })
  }
  state.set(
    'AbleToScale',
    'True',
    'SucceededGetScale',
    "the HPA controller was able to get the target's current scale",
  )
  const targetSpec = isObject(scaleTarget.object.spec) ? scaleTarget.object.spec : {}
  const currentReplicas = count(targetSpec.replicas, 1)
  const minReplicas = count(spec.minReplicas, 1)
  const maxReplicas = count(spec.maxReplicas)
  const lastScaleTime =
    typeof previous.lastScaleTime === 'string' ? { lastScaleTime: previous.lastScaleTime } : {}

  let desiredReplicas = 0
  let rescaleReason = ''
  let rescale = true
  let metricStatuses: MetricStatus[] = []
  let recorded: Recommendation[] | undefined
  if (currentReplicas === 0 && minReplicas !== 0) {
    rescale = false
    state.set(
      'ScalingActive',
      'False',
      'ScalingDisabled',
      'scaling is disabled since the replica count of the target is zero',
    )
  } else if (currentReplicas > maxReplicas) {
    rescaleReason = 'Current number of replicas above Spec.MaxReplicas'
    desiredReplicas = maxReplicas
  } else if (currentReplicas < minReplicas) {
    rescaleReason = 'Current number of replicas below Spec.MinReplicas'
    desiredReplicas = minReplicas
  } else {
    const metrics = replicasForMetrics(spec, currentReplicas, input, nowMs, state)
    metricStatuses = metrics.statuses
    if ('failure' in metrics) {
      state.warn('FailedComputeMetricsReplicas', metrics.failure)
      const desired = count(previous.desiredReplicas)
      return finish(hpaStatus(currentReplicas, desired, metricStatuses, lastScaleTime, state.conditions))
    }
    if (metrics.replicas > currentReplicas) rescaleReason = `${metrics.metricName} above target`
    if (metrics.replicas < currentReplicas) rescaleReason = 'All metrics below target'
    const normalized = normalize(
      hpa,
      currentReplicas,
      metrics.replicas,
      minReplicas,
      maxReplicas,
      nowMs,
      state,
    )
    desiredReplicas = normalized.desiredReplicas
    recorded = normalized.recorded
    rescale = desiredReplicas !== currentReplicas
  }

  const commands: ApiCommand[] = []
  const events: PlanEvent[] = []
  if (rescale) {
    const scaled = { ...scaleTarget.object, spec: { ...targetSpec, replicas: desiredReplicas } }
    commands.push(updateCommand(scaleTarget.resource, scaleTarget.object, scaled, null, now))
    state.set(
      'AbleToScale',
      'True',
      'SucceededRescale',
      `the HPA controller was able to update the target scale to ${desiredReplicas}`,
    )
    events.push(
      event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}`),
    )
  } else {
    desiredReplicas = currentReplicas
  }
  if (recorded !== undefined) {
    const annotations = { ...hpa.metadata.annotations, [recommendationsAnnotation]: JSON.stringify(recorded) }
    const annotated = { ...hpa, metadata: { ...hpa.metadata, annotations } }
    commands.push(updateCommand(horizontalPodAutoscalersResource, hpa, annotated, null, now))
  }
  const scaledAt = rescale ? { lastScaleTime: formatTime(nowMs) } : lastScaleTime
  return finish(
    hpaStatus(currentReplicas, desiredReplicas, metricStatuses, scaledAt, state.conditions),
    commands,
    events,
  )
}

function hpaStatus(
  currentReplicas: number,
  desiredReplicas: number,
  currentMetrics: MetricStatus[],
  lastScaleTime: { lastScaleTime?: string },
  conditions: Condition[],
): Record<string, unknown> {
  return {
    currentReplicas,
    desiredReplicas,
    ...(currentMetrics.length > 0 ? { currentMetrics } : {}),
    ...lastScaleTime,
    conditions,
  }
}

/** The target and the resource it is written through, or why it cannot be scaled. */
function scaleTargetOf(
  spec: Record<string, unknown>,
  target: KubeObject | undefined,
): { object: KubeObject; resource: ResourceRef } | { error: string } {
  const ref = isObject(spec.scaleTargetRef) ? spec.scaleTargetRef : {}
  const kind = typeof ref.kind === 'string' ? ref.kind : ''
  const name = typeof ref.name === 'string' ? ref.name : ''
  const group = typeof ref.apiVersion === 'string' ? parseApiVersion(ref.apiVersion).group : undefined
  const type = resourceTypes.find((t) => t.kind === kind && (group === undefined || t.group === group))
  if (type === undefined) return { error: `no matches for kind "${kind}" in group "${group ?? ''}"` }
  if (!type.subresources.includes('scale'))
    return { error: `${describe(type)} does not implement the scale subresource` }
  if (target === undefined || target.kind !== kind || target.metadata.name !== name) {
    return { error: `${describe(type)} "${name}" not found` }
  }
  return {
    object: target,
    resource: {
      group: type.group,
      plural: type.plural,
      kind: type.kind,
      namespaced: type.namespaced,
      hasStatus: true,
    },
  }
}

// --- metrics --------------------------------------------------------------------------------------

type MetricsOutcome =
  | { replicas: number; metricName: string; statuses: MetricStatus[] }
  | { failure: string; statuses: MetricStatus[] }

const defaultMetrics = [
  { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
]

/**
 * Upstream's `computeReplicasForMetrics`: the highest proposal among the metrics that could be
 * computed; a failure when none could, or when some could not and the others would scale down.
 */
function replicasForMetrics(
  spec: Record<string, unknown>,
  specReplicas: number,
  input: HorizontalPodAutoscalerInput,
  nowMs: number,
  state: Reconciling,
): MetricsOutcome {
  const metrics = Array.isArray(spec.metrics) && spec.metrics.length > 0 ? spec.metrics : defaultMetrics
  const statuses: MetricStatus[] = []
  let replicas = 0
  let metricName = ''
  let invalid = 0
  let firstInvalid: { reason: string; message: string; error: string } | undefined
  for (const metric of metrics) {
    const proposal = cpuProposal(metric, specReplicas, input, nowMs)
    if ('error' in proposal) {
      invalid++
      firstInvalid ??= proposal
      state.warn(proposal.reason, proposal.message)
      continue
    }
    statuses.push(proposal.status)
    if (replicas === 0 || proposal.replicas > replicas) {
      replicas = proposal.replicas
      metricName = 'cpu resource utilization (percentage of request)'
    }
  }
  if (firstInvalid !== undefined && (invalid >= metrics.length || replicas < specReplicas)) {
    state.set(
      'ScalingActive',
      'False',
      firstInvalid.reason,
      `the HPA was unable to compute the replica count: ${firstInvalid.message}`,
    )
    const failure = `invalid metrics (${invalid} invalid out of ${metrics.length}), first error is: ${firstInvalid.error}`
    return { failure, statuses }
  }
  state.set(
    'ScalingActive',
    'True',
    'ValidMetricFound',
    `the HPA was able to successfully calculate a replica count from ${metricName}`,
  )
  return { replicas, metricName, statuses }
}

type Proposal =
  | { replicas: number; status: MetricStatus }
  | { reason: string; message: string; error: string }

/** One metric's proposal; only Resource cpu metrics with a Utilization target are supported. */
function cpuProposal(
  metric: unknown,
  currentReplicas: number,
  input: HorizontalPodAutoscalerInput,
  nowMs: number,
): Proposal {
  const source = isObject(metric) && isObject(metric.resource) ? metric.resource : {}
  const target = isObject(source.target) ? source.target : {}
  const type = isObject(metric) ? metric.type : undefined
  if (type !== 'Resource' || source.name !== 'cpu' || target.type !== 'Utilization') {
    const what =
      type !== 'Resource'
        ? `metric source type ${JSON.stringify(type)}`
        : `resource metric ${JSON.stringify(source.name)} with a ${JSON.stringify(target.type)} target`
    const error = `${what} is not supported: only cpu utilization is`
    return { reason: 'InvalidMetricSourceType', message: error, error }
  }
  const targetUtilization = typeof target.averageUtilization === 'number' ? target.averageUtilization : 0
  const result = cpuReplicas(currentReplicas, targetUtilization, input, nowMs)
  if ('error' in result) {
    const message = `failed to get cpu utilization: ${result.error}`
    return {
      reason: 'FailedGetResourceMetric',
      message,
      error: `failed to get cpu resource metric value: ${message}`,
    }
  }
  return {
    replicas: result.replicas,
    status: {
      type: 'Resource',
      resource: {
        name: 'cpu',
        current: {
          averageUtilization: result.utilization,
          averageValue: milliQuantity(result.averageMillis),
        },
      },
    },
  }
}

/**
 * Upstream's `GetResourceReplicas`: the ratio of usage to requests over the ready pods that report;
 * unready pods (on a scale-up) and pods without a report (either way) are then counted at the
 * value that makes the change smallest, and a change that would reverse direction is dropped.
 */
function cpuReplicas(
  currentReplicas: number,
  targetUtilization: number,
  input: HorizontalPodAutoscalerInput,
  nowMs: number,
): { replicas: number; utilization: number; averageMillis: number } | { error: string } {
  const usage = new Map<string, number>()
  for (const pod of input.pods) {
    const millis = input.podCpuMillis(pod)
    if (millis !== undefined) usage.set(pod.metadata.name ?? '', millis)
  }
  if (usage.size === 0) {
    return { error: 'unable to get metrics for resource cpu: no metrics returned from resource metrics API' }
  }
  if (input.pods.length === 0)
    return { error: 'no pods returned by selector while calculating replica count' }
  const { readyCount, unready, missing, ignored } = groupPods(input.pods, usage, nowMs)
  for (const name of [...ignored, ...unready]) usage.delete(name)
  if (usage.size === 0) return { error: 'did not receive metrics for targeted pods (pods might be unready)' }
  const requests = cpuRequests(input.pods)
  if (typeof requests === 'string') return { error: requests }
  const first = utilizationRatio(usage, requests, targetUtilization)
  if (first === undefined) return { error: 'no metrics returned matched known pods' }
  const { ratio, utilization, averageMillis } = first
  const unchanged = { replicas: currentReplicas, utilization, averageMillis }
  const within = (r: number) => 1 - utilizationTolerance <= r && r <= 1 + utilizationTolerance

  const scaleUpWithUnready = unready.size > 0 && ratio > 1
  if (!scaleUpWithUnready && missing.size === 0) {
    if (within(ratio)) return unchanged
    return { replicas: Math.ceil(ratio * readyCount), utilization, averageMillis }
  }
  if (missing.size > 0) {
    // On a scale-down a pod without a report counts as using all it asked for (or the target, if
    // higher); on a scale-up, as using nothing.
    const fallback = Math.max(100, targetUtilization)
    for (const name of missing) {
      if (ratio < 1) usage.set(name, Math.trunc(((requests.get(name) ?? 0) * fallback) / 100))
      else if (ratio > 1) usage.set(name, 0)
    }
  }
  if (scaleUpWithUnready) for (const name of unready) usage.set(name, 0)
  const second = utilizationRatio(usage, requests, targetUtilization)
  if (second === undefined) return { error: 'no metrics returned matched known pods' }
  const newRatio = second.ratio
  if (within(newRatio) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return unchanged
  const replicas = Math.ceil(newRatio * usage.size)
  if ((newRatio < 1 && replicas > currentReplicas) || (newRatio > 1 && replicas < currentReplicas))
    return unchanged
  return { replicas, utilization, averageMillis }
}

/**
 * Upstream's `groupPods`: finished or terminating pods are ignored; pending ones, and running ones
 * whose readiness says their usage is not yet representative, are unready.
 */
function groupPods(
  pods: readonly KubeObject[],
  usage: ReadonlyMap<string, number>,
  nowMs: number,
): { readyCount: number; unready: Set<string>; missing: Set<string>; ignored: Set<string> } {
  let readyCount = 0
  const unready = new Set<string>()
  const missing = new Set<string>()
  const ignored = new Set<string>()
  for (const pod of pods) {
    const name = pod.metadata.name ?? ''
    const phase = podPhase(pod)
    if (pod.metadata.deletionTimestamp || phase === 'Failed') ignored.add(name)
    else if (phase === 'Pending') unready.add(name)
    else if (!usage.has(name)) missing.add(name)
    else if (isUnready(pod, nowMs)) unready.add(name)
    else readyCount++
  }
  return { readyCount, unready, missing, ignored }
}

function isUnready(pod: KubeObject, nowMs: number): boolean {
  const ready = conditionOf(pod.status, 'Ready')
  const startMs = parseTime(isObject(pod.status) ? pod.status.startTime : undefined)
  if (ready === undefined || startMs === undefined) return true
  // Young pods: an unready one is not trusted. (Upstream also distrusts a sample taken before the
  // pod became ready; the nodes' reports carry no sample time to tell.)
  if (startMs + cpuInitializationPeriodMs > nowMs) return ready.status === 'False'
  // Older pods: only one that has never been ready.
  const transitionMs = parseTime(ready.lastTransitionTime) ?? 0
  return ready.status === 'False' && startMs + initialReadinessDelayMs > transitionMs
}

/**
 * Each pod's CPU request in millicores: its containers' and sidecars' (`calculatePodRequests`); a
 * container without one makes utilization meaningless, and is named.
 */
function cpuRequests(pods: readonly KubeObject[]): Map<string, number> | string {
  const requests = new Map<string, number>()
  for (const pod of pods) {
    const spec = isObject(pod.spec) ? pod.spec : {}
    const containers = [
      ...(Array.isArray(spec.containers) ? spec.containers : []),
      ...(Array.isArray(spec.initContainers) ? spec.initContainers : []).filter(
        (c) => isObject(c) && c.restartPolicy === 'Always',
      ),
    ].filter(isObject)
    let millis = 0
    for (const container of containers) {
      const resources = isObject(container.resources) ? container.resources : {}
      const requested = isObject(resources.requests) ? resources.requests : {}
      if (!('cpu' in requested)) {
        return `missing request for cpu in container ${String(container.name)} of Pod ${pod.metadata.name}`
      }
      millis += resourceAmount('cpu', requested.cpu)
    }
    requests.set(pod.metadata.name ?? '', millis)
  }
  return requests
}

/** Upstream's `GetResourceUtilizationRatio`, in its integer arithmetic. */
function utilizationRatio(
  usage: ReadonlyMap<string, number>,
  requests: ReadonlyMap<string, number>,
  targetUtilization: number,
): { ratio: number; utilization: number; averageMillis: number } | undefined {
  let usageTotal = 0
  let requestsTotal = 0
  let entries = 0
  for (const [name, millis] of usage) {
    const request = requests.get(name)
    if (request === undefined) continue
    usageTotal += millis
    requestsTotal += request
    entries++
  }
  if (requestsTotal === 0) return undefined
  const utilization = Math.trunc((usageTotal * 100) / requestsTotal)
  return {
    ratio: utilization / targetUtilization,
    utilization,
    averageMillis: Math.trunc(usageTotal / entries),
  }
}

/** Millicores as a quantity, as `resource.NewMilliQuantity(n, DecimalSI)` prints it. */
function milliQuantity(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`
}

// --- stabilization and limits ------------------------------------------------------------------

/**
 * Upstream's `normalizeDesiredReplicasWithBehaviors` with the default scaling rules: the
 * recommendation stabilized over the recent ones (the lowest within the scale-up window, the highest
 * within the scale-down window), then held to [minReplicas, maxReplicas] and to the scale-up limit.
 * `recorded` is the new list of recommendations when it changed.
 */
function normalize(
  hpa: KubeObject,
  currentReplicas: number,
  recommended: number,
  minReplicas: number,
  maxReplicas: number,
  nowMs: number,
  state: Reconciling,
): { desiredReplicas: number; recorded?: Recommendation[] } {
  const spec = isObject(hpa.spec) ? hpa.spec : {}
  const behavior = isObject(spec.behavior) ? spec.behavior : {}
  const windowMs = (rules: unknown, fallbackSeconds: number) =>
    count(isObject(rules) ? rules.stabilizationWindowSeconds : undefined, fallbackSeconds) * 1000
  const upWindowMs = windowMs(behavior.scaleUp, 0)
  const downWindowMs = windowMs(behavior.scaleDown, scaleDownStabilizationSecondsDefault)
  const stored = storedRecommendations(hpa)
  // Before any, the current size counts as recommended now (`recordInitialRecommendation`).
  const history = stored ?? [{ timestamp: formatTime(nowMs), replicas: currentReplicas }]

  // Each recommendation stood from its time until the next one's.
  let up = recommended
  let down = recommended
  history.forEach((entry, i) => {
    const endMs = i + 1 < history.length ? (parseTime(history[i + 1]!.timestamp) ?? nowMs) : nowMs
    if (endMs > nowMs - upWindowMs) up = Math.min(up, entry.replicas)
    if (endMs > nowMs - downWindowMs) down = Math.max(down, entry.replicas)
  })
  const stabilized = Math.min(Math.max(currentReplicas, up), down)
  if (stabilized !== recommended) {
    if (recommended >= currentReplicas) {
      state.set(
        'AbleToScale',
        'True',
        'ScaleUpStabilized',
        'recent recommendations were lower than current one, applying the lowest recent recommendation',
      )
    } else {
      state.set(
        'AbleToScale',
        'True',
        'ScaleDownStabilized',
        'recent recommendations were higher than current one, applying the highest recent recommendation',
      )
    }
  } else {
    state.set('AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size')
  }

  const limited = withinLimits(currentReplicas, stabilized, minReplicas, maxReplicas)
  state.set(
    'ScalingLimited',
    limited.replicas === stabilized ? 'False' : 'True',
    limited.reason,
    limited.message,
  )
  const recorded = record(history, recommended, nowMs, Math.max(upWindowMs, downWindowMs))
  const changed = stored === undefined || recorded !== history
  return { desiredReplicas: limited.replicas, ...(changed ? { recorded } : {}) }
}

/** Upstream's `convertDesiredReplicasWithRules`: min and max, and at most doubling (or 4) a step. */
function withinLimits(
  currentReplicas: number,
  desired: number,
  minReplicas: number,
  maxReplicas: number,
): { replicas: number; reason: string; message: string } {
  const scaleUpLimit = Math.max(scaleUpLimitFactor * currentReplicas, scaleUpLimitMinimum)
  const limit =
    maxReplicas > scaleUpLimit
      ? {
          replicas: scaleUpLimit,
          reason: 'ScaleUpLimit',
          message: 'the desired replica count is increasing faster than the maximum scale rate',
        }
      : {
          replicas: maxReplicas,
          reason: 'TooManyReplicas',
          message: 'the desired replica count is more than the maximum replica count',
        }
  if (desired < minReplicas) {
    return {
      replicas: minReplicas,
      reason: 'TooFewReplicas',
      message: 'the desired replica count is less than the minimum replica count',
    }
  }
  if (desired > limit.replicas) return limit
  return {
    replicas: desired,
    reason: 'DesiredWithinRange',
    message: 'the desired count is within the acceptable range',
  }
}

function storedRecommendations(hpa: KubeObject): Recommendation[] | undefined {
  const text = hpa.metadata.annotations?.[recommendationsAnnotation]
  if (text === undefined) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!Array.isArray(parsed)) return undefined
  return parsed
    .filter(
      (r): r is Recommendation =>
        isObject(r) && parseTime(r.timestamp) !== undefined && count(r.replicas, -1) >= 0,
    )
    .map((r) => ({ timestamp: r.timestamp, replicas: r.replicas }))
    .sort((a, b) => parseTime(a.timestamp)! - parseTime(b.timestamp)!)
}

/**
 * The history with `replicas` recommended now: unchanged (the same array) when it is what the
 * last one said, so a steady recommendation writes nothing. When it changes, what ended before
 * every window is dropped, and past `recommendationsMax` the oldest merge (keeping the higher, so
 * a scale-down is held rather than hurried).
 */
function record(
  history: Recommendation[],
  replicas: number,
  nowMs: number,
  keepMs: number,
): Recommendation[] {
  if (history.at(-1)?.replicas === replicas) return history
  let next = [...history, { timestamp: formatTime(nowMs), replicas }]
  while (next.length > 1 && (parseTime(next[1]!.timestamp) ?? nowMs) <= nowMs - keepMs) next = next.slice(1)
  while (next.length > recommendationsMax) {
    const [first, second, ...rest] = next as [Recommendation, Recommendation, ...Recommendation[]]
    next = [{ timestamp: first.timestamp, replicas: Math.max(first.replicas, second.replicas) }, ...rest]
  }
  return next
}

function event(hpa: KubeObject, type: PlanEvent['type'], reason: string, message: string): PlanEvent {
  return { type, reason, message, involvedObject: referenceTo(hpa), component: autoscalerComponent }
}
