// PodDisruptionBudgets, after Kubernetes' disruption controller (`pkg/controller/disruption`) and
// the eviction subresource (`pkg/registry/core/pod/storage/eviction.go`). The controller's plan
// keeps each budget's status: how many of its pods are healthy, how many must be, and so how many
// disruptions are allowed now. An eviction spends one of them: it deletes the pod and, in the same
// batch, decrements `disruptionsAllowed` on the budget as it was read, so of two evictions planned
// from the same budget only the first applies — the second's precondition refuses it. The evicted
// pod is remembered in `disruptedPods` until the controller sees it gone (or two minutes pass), so
// that it is not counted healthy in between.

import type { KubeObject, LabelSelector, OwnerReference } from '../../core/api/object.ts'
import { labelMatcher, labelSelectorToString, SelectorError } from '../../core/api/selectors.ts'
import type { ApiCommand, ResourceRef } from '../../core/api/store.ts'
import {
  type Condition,
  conditionOf,
  controllerOf,
  count,
  deleteCommand,
  deploymentsResource,
  formatTime,
  isObject,
  type Plan,
  type PlanEvent,
  parseTime,
  podsResource,
  referenceTo,
  replicaSetsResource,
  requireTime,
  resourceOf,
  semanticEqual,
  updateCommand,
} from './plan.ts'
import { isPodReady, podPhase } from './pods.ts'

export const podDisruptionBudgetsResource: ResourceRef = resourceOf('policy/v1', 'PodDisruptionBudget')

/** How long an evicted pod may take to go before the budget counts it again (`DeletionTimeout`). */
export const deletionTimeoutMs = 2 * 60 * 1000
/** Evictions not yet seen through by the controller past which evictions are refused (`MaxDisruptedPodSize`). */
export const disruptedPodsMax = 2000

/** The source upstream's disruption controller records its events under. */
export const disruptionControllerComponent = 'controllermanager'

/** The scale of the workload controlling a pod; `uid` is the workload's, so each counts once. */
export interface ControllerScale {
  readonly uid: string
  readonly replicas: number
}

/**
 * The scale behind a pod's controller reference, as upstream's finders resolve it: a ReplicaSet
 * owned by a Deployment stands for the Deployment (so two ReplicaSets of one rollout count once).
 * Undefined when no workload with a scale controls it.
 */
export type ControllerScaleLookup = (owner: OwnerReference, namespace: string) => ControllerScale | undefined

export interface DisruptionBudgetInput {
  readonly pdb: KubeObject
  /** The pods of the budget's namespace. */
  readonly pods: readonly KubeObject[]
  readonly controllers: ControllerScaleLookup
  /** The leader's time, RFC 3339. */
  readonly now: string
}

export interface DisruptionBudgetStatus {
  observedGeneration?: number
  disruptedPods?: Record<string, string>
  disruptionsAllowed: number
  currentHealthy: number
  desiredHealthy: number
  expectedPods: number
  conditions?: Condition[]
}

export function planDisruptionBudget(input: DisruptionBudgetInput): Plan {
  const { pdb, now } = input
  const nowMs = requireTime(now)
  const spec = isObject(pdb.spec) ? pdb.spec : {}
  const previous = isObject(pdb.status) ? pdb.status : {}
  const pods = podsOfBudget(pdb, input.pods)
  const events: PlanEvent[] = []
  if (pods.length === 0) events.push(event(pdb, 'Normal', 'NoPods', 'No matching pods found'))

  const expected = expectedPods(spec, pods, input.controllers)
  if ('error' in expected) {
    const status = failSafeStatus(pdb, expected.error, now)
    if (semanticEqual(previous, status)) return { commands: [], events: [] }
    const message = `Failed to calculate the number of expected pods: ${expected.error}`
    return {
      commands: [updateCommand(podDisruptionBudgetsResource, pdb, { ...pdb, status }, 'status', now)],
      events: [event(pdb, 'Warning', 'CalculateExpectedPodCountFailed', message)],
    }
  }
  if (expected.unmanaged.length > 0) {
    events.push(
      event(
        pdb,
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${labelSelectorToString(spec.selector as LabelSelector)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      ),
    )
  }

  const { disrupted, recheckAtMs } = disruptedPods(pdb, pods, nowMs)
  const currentHealthy = pods.filter(
    (pod) =>
      !pod.metadata.deletionTimestamp &&
      !Object.hasOwn(disrupted, pod.metadata.name ?? '') &&
      isPodReady(pod),
  ).length
  const { desiredHealthy, expectedCount } = expected
  // With no pods expected yet, nothing may be disrupted: the first pods are safe until counted.
  const allowed = expectedCount > 0 ? Math.max(0, currentHealthy - desiredHealthy) : 0
  const generation = pdb.metadata.generation ?? 0
  const recheck =
    recheckAtMs === undefined ? {} : { recheckAt: formatTime(Math.ceil(recheckAtMs / 1000) * 1000) }
  if (
    count(previous.currentHealthy) === currentHealthy &&
    count(previous.desiredHealthy) === desiredHealthy &&
    count(previous.expectedPods) === expectedCount &&
    previous.disruptionsAllowed === allowed &&
    semanticEqual(previous.disruptedPods, disrupted) &&
    count(previous.observedGeneration) === generation &&
    conditionCurrent(previous, allowed)
  ) {
    return { commands: [], events: [], ...recheck }
  }
  const status: DisruptionBudgetStatus = {
    observedGeneration: generation,
    ...(Object.keys(disrupted).length > 0 ? { disruptedPods: disrupted } : {}),
    disruptionsAllowed: allowed,
    currentHealthy,
    desiredHealthy,
    expectedPods: expectedCount,
    conditions: withDisruptionAllowed(previous.conditions, allowed, generation, now),
  }
  return {
    commands: [updateCommand(podDisruptionBudgetsResource, pdb, { ...pdb, status }, 'status', now)],
    events,
    ...recheck,
  }
}

/**
 * A lookup over the namespace's workloads (ReplicaSets, Deployments, StatefulSets) with upstream's
 * finders: a ReplicaSet controlled by a Deployment is found as the Deployment.
 */
export function controllerScales(workloads: readonly KubeObject[]): ControllerScaleLookup {
  const byUid = new Map(workloads.map((w) => [w.metadata.uid, w]))
  const scaleOf = (workload: KubeObject): ControllerScale => {
    const spec = isObject(workload.spec) ? workload.spec : {}
    return { uid: workload.metadata.uid ?? '', replicas: count(spec.replicas, 1) }
  }
  const found = (ref: { uid: string; name: string; kind: string }, namespace: string) => {
    const workload = byUid.get(ref.uid)
    return workload?.kind === ref.kind &&
      workload.metadata.name === ref.name &&
      workload.metadata.namespace === namespace
      ? workload
      : undefined
  }
  return (owner, namespace) => {
    const workload = found(owner, namespace)
    if (workload === undefined) return undefined
    if (workload.kind === replicaSetsResource.kind) {
      const parent = controllerOf(workload)
      if (parent?.kind === deploymentsResource.kind) {
        // Upstream's last finder, the scale subresource, finds the ReplicaSet itself when its
        // Deployment is gone.
        const deployment = found(parent, namespace)
        return scaleOf(deployment ?? workload)
      }
    }
    return ['ReplicaSet', 'Deployment', 'StatefulSet'].includes(workload.kind) ? scaleOf(workload) : undefined
  }
}

// --- eviction -----------------------------------------------------------------------------------

export const evictionRefusedMessage = "Cannot evict pod as it would violate the pod's disruption budget."
export const multipleBudgetsMessage =
  'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.'

export type EvictionPlan =
  | { readonly allowed: true; readonly commands: ApiCommand[] }
  | {
      readonly allowed: false
      readonly code: 403 | 429 | 500
      readonly message: string
      /** Upstream's `DisruptionBudget` status cause, for the Status details. */
      readonly cause?: { readonly type: 'DisruptionBudget'; readonly message: string }
    }

export interface EvictionInput {
  readonly pod: KubeObject
  /** The budgets of the pod's namespace. */
  readonly pdbs: readonly KubeObject[]
  /** The leader's time, RFC 3339. */
  readonly now: string
}

/**
 * What evicting `pod` takes, as the eviction subresource decides it: a finished, pending or
 * terminating pod is deleted outright; otherwise its one budget must allow a disruption, which the
 * eviction spends. The commands are one batch; the budget's update is preconditioned on the
 * budget as read, so concurrent evictions take turns instead of overspending it.
 */
export function evictionPlan(input: EvictionInput): EvictionPlan {
  const { pod, now } = input
  requireTime(now)
  const deletePod = deleteCommand(podsResource, pod, now)
  const phase = podPhase(pod)
  if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata.deletionTimestamp) {
    return { allowed: true, commands: [deletePod] }
  }
  const budgets = input.pdbs.filter((pdb) => budgetSelects(pdb, pod))
  if (budgets.length > 1) return { allowed: false, code: 500, message: multipleBudgetsMessage }
  const pdb = budgets[0]
  if (pdb === undefined) return { allowed: true, commands: [deletePod] }
  const spec = isObject(pdb.spec) ? pdb.spec : {}
  const status = isObject(pdb.status) ? pdb.status : {}
  const name = pdb.metadata.name ?? ''
  if (!isPodReady(pod)) {
    // An unhealthy pod does not count towards the budget: it may go without spending it when the
    // budget is met anyway, or always if the budget says so. Its delete stays preconditioned, so
    // a pod that became ready since is not taken.
    const desired = count(status.desiredHealthy)
    if (
      spec.unhealthyPodEvictionPolicy === 'AlwaysAllow' ||
      (count(status.currentHealthy) >= desired && desired > 0)
    ) {
      return { allowed: true, commands: [deletePod] }
    }
  }
  if (count(status.observedGeneration) < (pdb.metadata.generation ?? 0)) {
    const cause = `The disruption budget ${name} is still being processed by the server.`
    return {
      allowed: false,
      code: 429,
      message: `${evictionRefusedMessage} ${cause}`,
      cause: budgetCause(cause),
    }
  }
  const allowed = typeof status.disruptionsAllowed === 'number' ? status.disruptionsAllowed : 0
  if (allowed < 0) {
    return {
      allowed: false,
      code: 403,
      message: `poddisruptionbudgets.policy "${name}" is forbidden: pdb disruptions allowed is negative`,
    }
  }
  const disrupted = isObject(status.disruptedPods) ? (status.disruptedPods as Record<string, string>) : {}
  if (Object.keys(disrupted).length > disruptedPodsMax) {
    return {
      allowed: false,
      code: 403,
      message: `poddisruptionbudgets.policy "${name}" is forbidden: DisruptedPods map too big - too many evictions not confirmed by PDB controller`,
    }
  }
  if (allowed === 0) {
    const cause = `The disruption budget ${name} needs ${count(status.desiredHealthy)} healthy pods and has ${count(status.currentHealthy)} currently`
    return { allowed: false, code: 429, message: evictionRefusedMessage, cause: budgetCause(cause) }
  }
  const generation = count(status.observedGeneration)
  const next = {
    ...status,
    disruptionsAllowed: allowed - 1,
    disruptedPods: { ...disrupted, [pod.metadata.name ?? '']: now },
    ...(allowed - 1 === 0
      ? { conditions: withDisruptionAllowed(status.conditions, 0, generation, now) }
      : {}),
  }
  return {
    allowed: true,
    commands: [
      updateCommand(podDisruptionBudgetsResource, pdb, { ...pdb, status: next }, 'status', now),
      deletePod,
    ],
  }
}

// --- the budget's arithmetic ---------------------------------------------------------------------

/** The pods a budget selects; a selector that does not parse (validation keeps them out) selects none. */
function podsOfBudget(pdb: KubeObject, pods: readonly KubeObject[]): KubeObject[] {
  const spec = isObject(pdb.spec) ? pdb.spec : {}
  const namespace = pdb.metadata.namespace ?? ''
  let matches: (labels?: Record<string, string>) => boolean
  try {
    matches = labelMatcher(isObject(spec.selector) ? (spec.selector as LabelSelector) : undefined)
  } catch (error) {
    if (!(error instanceof SelectorError)) throw error
    return []
  }
  return pods.filter((pod) => (pod.metadata.namespace ?? '') === namespace && matches(pod.metadata.labels))
}

/** Whether the eviction subresource holds `pod` to this budget: an empty selector holds none. */
function budgetSelects(pdb: KubeObject, pod: KubeObject): boolean {
  const spec = isObject(pdb.spec) ? pdb.spec : {}
  const selector = isObject(spec.selector) ? (spec.selector as LabelSelector) : undefined
  const empty =
    selector === undefined ||
    (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0)
  if (empty || (pdb.metadata.namespace ?? '') !== (pod.metadata.namespace ?? '')) return false
  return podsOfBudget(pdb, [pod]).length === 1
}

type Expected = { expectedCount: number; desiredHealthy: number; unmanaged: string[] } | { error: string }

/** Upstream's `getExpectedPodCount`: an integer minAvailable counts pods, the rest count replicas. */
function expectedPods(
  spec: Record<string, unknown>,
  pods: readonly KubeObject[],
  controllers: ControllerScaleLookup,
): Expected {
  const { maxUnavailable, minAvailable } = spec
  if (maxUnavailable !== undefined && maxUnavailable !== null) {
    const scale = expectedScale(pods, controllers)
    if ('error' in scale) return scale
    const value = scaledValue(maxUnavailable, scale.expectedCount)
    if (typeof value === 'string') return { error: value }
    return { ...scale, desiredHealthy: Math.max(0, scale.expectedCount - value) }
  }
  if (typeof minAvailable === 'number') {
    return { expectedCount: pods.length, desiredHealthy: minAvailable, unmanaged: [] }
  }
  if (typeof minAvailable === 'string') {
    const scale = expectedScale(pods, controllers)
    if ('error' in scale) return scale
    const value = scaledValue(minAvailable, scale.expectedCount)
    if (typeof value === 'string') return { error: value }
    return { ...scale, desiredHealthy: value }
  }
  return { expectedCount: 0, desiredHealthy: 0, unmanaged: [] }
}

/** The sum of the scales of the pods' controllers, each counted once (`getExpectedScale`). */
function expectedScale(
  pods: readonly KubeObject[],
  controllers: ControllerScaleLookup,
): { expectedCount: number; unmanaged: string[] } | { error: string } {
  const scales = new Map<string, number>()
  const seen = new Set<string>()
  const unmanaged: string[] = []
  for (const pod of pods) {
    const owner = controllerOf(pod)
    if (owner === undefined) {
      unmanaged.push(pod.metadata.name ?? '')
      continue
    }
    if (seen.has(owner.uid)) continue
    seen.add(owner.uid)
    const scale = controllers(owner, pod.metadata.namespace ?? '')
    if (scale === undefined) return { error: `found no controllers for pod "${pod.metadata.name}"` }
    scales.set(scale.uid, scale.replicas)
  }
  let expectedCount = 0
  for (const replicas of scales.values()) expectedCount += replicas
  return { expectedCount, unmanaged }
}

/** An int-or-percent against `total`, percentages rounded up; an error message if it is neither. */
function scaledValue(value: unknown, total: number): number | string {
  if (typeof value === 'number') return value
  const match = typeof value === 'string' ? /^(\d+)%$/.exec(value) : null
  if (match === null) return `invalid value for IntOrString: invalid value ${JSON.stringify(value)}`
  return Math.ceil((Number(match[1]) * total) / 100)
}

/**
 * The evictions still in flight (`buildDisruptedPodMap`): pods not yet deleted whose eviction is
 * less than `deletionTimeoutMs` old, and when the oldest of them runs out.
 */
function disruptedPods(
  pdb: KubeObject,
  pods: readonly KubeObject[],
  nowMs: number,
): { disrupted: Record<string, string>; recheckAtMs?: number } {
  const status = isObject(pdb.status) ? pdb.status : {}
  const previous = isObject(status.disruptedPods) ? status.disruptedPods : {}
  const disrupted: Record<string, string> = {}
  let recheckAtMs: number | undefined
  for (const pod of pods) {
    const name = pod.metadata.name ?? ''
    if (pod.metadata.deletionTimestamp || !Object.hasOwn(previous, name)) continue
    const since = parseTime(previous[name])
    if (since === undefined) continue
    const expiresMs = since + deletionTimeoutMs
    // Upstream keeps an entry up to and including its last instant; here it goes at that instant,
    // so that a recheck at the expiry time finds it gone rather than asking again.
    if (expiresMs <= nowMs) continue
    disrupted[name] = previous[name] as string
    if (recheckAtMs === undefined || expiresMs < recheckAtMs) recheckAtMs = expiresMs
  }
  return { disrupted, ...(recheckAtMs === undefined ? {} : { recheckAtMs }) }
}

/** Upstream's `ConditionsAreUpToDate`: DisruptionAllowed agrees with the count. */
function conditionCurrent(status: Record<string, unknown>, allowed: number): boolean {
  const condition = conditionOf(status, 'DisruptionAllowed')
  if (condition === undefined) return false
  return allowed > 0
    ? condition.status === 'True' && condition.reason === 'SufficientPods'
    : condition.status === 'False' && condition.reason === 'InsufficientPods'
}

/** The conditions with DisruptionAllowed set (`UpdateDisruptionAllowedCondition`). */
function withDisruptionAllowed(
  conditions: unknown,
  allowed: number,
  generation: number,
  now: string,
): Condition[] {
  return setCondition(
    conditions,
    {
      type: 'DisruptionAllowed',
      status: allowed > 0 ? 'True' : 'False',
      reason: allowed > 0 ? 'SufficientPods' : 'InsufficientPods',
      message: '',
      observedGeneration: generation,
    },
    now,
  )
}

/** `meta.SetStatusCondition`: the transition time moves only when the status does. */
function setCondition(conditions: unknown, condition: Condition, now: string): Condition[] {
  const list = (Array.isArray(conditions) ? conditions : []).filter(isObject) as Condition[]
  const existing = list.find((c) => c.type === condition.type)
  const lastTransitionTime =
    existing !== undefined && existing.status === condition.status && existing.lastTransitionTime
      ? existing.lastTransitionTime
      : now
  const next = { ...condition, lastTransitionTime }
  return existing === undefined ? [...list, next] : list.map((c) => (c === existing ? next : c))
}

/** Upstream's `failSafe`: no disruptions, and why, until the status can be computed again. */
function failSafeStatus(pdb: KubeObject, error: string, now: string): Record<string, unknown> {
  const status = isObject(pdb.status) ? pdb.status : {}
  return {
    ...status,
    disruptionsAllowed: 0,
    conditions: setCondition(
      status.conditions,
      {
        type: 'DisruptionAllowed',
        status: 'False',
        reason: 'SyncFailed',
        message: error,
        observedGeneration: count(status.observedGeneration),
      },
      now,
    ),
  }
}

function budgetCause(message: string): { type: 'DisruptionBudget'; message: string } {
  return { type: 'DisruptionBudget', message }
}

function event(pdb: KubeObject, type: PlanEvent['type'], reason: string, message: string): PlanEvent {
  return { type, reason, message, involvedObject: referenceTo(pdb), component: disruptionControllerComponent }
}
