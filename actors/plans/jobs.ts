// The Job controller's plan, after Kubernetes' `pkg/controller/job`: claim the pods (adopt matching
// orphans, release owned pods that no longer match), run up to `parallelism` of them until
// `completions` succeed (or, without completions, until one succeeds and the rest have stopped),
// back off after failures, fail the Job past `backoffLimit` or `activeDeadlineSeconds`, delete its
// pods while it is suspended, and delete the finished Job once `ttlSecondsAfterFinished` has passed.
// Both completion modes are planned: NonIndexed, and Indexed (one pod per completion index).
//
// Kubernetes counts each finished pod once, through a finalizer it removes once the pod is counted,
// so its counters outlive the pods. Here there is no such finalizer: the counters are derived from
// the finished pods (which the Job keeps) on every plan, and never go below what the status
// already says, so a finished pod a user deleted still counts. The finish
// goes through the interim conditions of Kubernetes 1.31 (FailureTarget, SuccessCriteriaMet)
// before the terminal Failed or Complete, so a finish that has to wait for pods to terminate is
// remembered by the next plan instead of being decided again.

import type { KubeObject, LabelSelector } from '../../core/api/object.ts'
import { labelMatcher, SelectorError } from '../../core/api/selectors.ts'
import type { ApiCommand, ResourceRef } from '../../core/api/store.ts'
import {
  adopted,
  type Condition,
  conditionOf,
  controllerOf,
  count,
  deleteCommand,
  formatTime,
  isObject,
  type Plan,
  type PlanEvent,
  parseTime,
  podsResource,
  referenceTo,
  released,
  requireTime,
  resourceOf,
  semanticEqual,
  updateCommand,
} from './plan.ts'
import {
  type Fixed,
  isPodActive,
  isPodReady,
  podFromTemplate,
  podPhase,
  podsInDeletionOrder,
} from './pods.ts'

export const jobsResource: ResourceRef = resourceOf('batch/v1', 'Job')

/** Pods created or deleted by one plan at most, as Kubernetes' `MaxPodCreateDeletePerSync`. */
export const jobPodWritesPerPlanMax = 500
/** The wait before replacing a failed pod, doubled for each failure since the last success... */
export const podFailureBackoffMs = 10_000
/** ... up to this (Kubernetes' `DefaultJobPodFailureBackOff` and `MaxJobPodFailureBackOff`). */
export const podFailureBackoffMaxMs = 360_000

/** The labels a Job's pods carry, both the current names and the legacy ones clients still select on. */
export const jobControllerUidLabel = 'batch.kubernetes.io/controller-uid'
export const jobNameLabel = 'batch.kubernetes.io/job-name'
export const legacyControllerUidLabel = 'controller-uid'
export const legacyJobNameLabel = 'job-name'
/** The completion index of an Indexed Job's pod: annotation (authoritative) and label. */
export const completionIndexAnnotation = 'batch.kubernetes.io/job-completion-index'

const component = 'job-controller'
const backoffLimitDefault = 6
const completionsReachedMessage = 'Reached expected number of succeeded pods'

export interface JobPlanInput {
  job: KubeObject
  /** The pods of the Job's namespace (all of them: claiming looks at orphans too). */
  pods: readonly KubeObject[]
  /** The leader's time, RFC 3339. */
  now: string
  newUid: () => string
  /** A name from a `generateName` prefix, as the API server makes them. */
  newName: (prefix: string) => string
}

export interface JobStatus {
  conditions?: Condition[]
  startTime?: string
  completionTime?: string
  active?: number
  ready?: number
  terminating?: number
  succeeded?: number
  failed?: number
  completedIndexes?: string
  [key: string]: unknown
}

interface JobSpec {
  parallelism: number
  /** Absent: a work queue, done when one pod succeeded and none is left running. */
  completions: number | undefined
  indexed: boolean
  backoffLimit: number
  activeDeadlineSeconds: number | undefined
  suspend: boolean
  ttlSecondsAfterFinished: number | undefined
  /** podReplacementPolicy Failed: a terminating pod is replaced only once it is gone. */
  replaceOnlyFailed: boolean
  /** restartPolicy OnFailure: container restarts count against the backoff limit. */
  restartOnFailure: boolean
}

/** How the Job is to end, once decided: the terminal condition it is heading for. */
interface Finish {
  type: 'Complete' | 'Failed'
  reason: string
  message: string
}

export function planJob(input: JobPlanInput): Plan {
  const { job, now } = input
  const nowMs = requireTime(now)
  if (isJobFinished(job)) return planFinishedJob(job, now, nowMs)
  const spec = jobSpec(job)
  const deleting = Boolean(job.metadata.deletionTimestamp)
  const status: JobStatus = isObject(job.status) ? (job.status as JobStatus) : {}
  const claim = claimPods(job, input.pods, deleting, now)
  const active = claim.owned.filter(isPodActive)
  const counts = finishedCounts(spec, status, claim.owned)
  const startTime = status.startTime ?? (spec.suspend ? undefined : now)

  // How it ends, in Kubernetes' order: a finish already decided, then failure, then success.
  let finish = decidedFinish(status) ?? failureOf(spec, status, active, counts, startTime, nowMs)
  // The pods: all go when it ends or is suspended; otherwise as many as the work needs.
  let writes: Managed = { deletes: [], creates: [] }
  if (finish !== undefined || (!deleting && spec.suspend)) {
    writes.deletes = podsInDeletionOrder(active, active, nowMs).slice(0, jobPodWritesPerPlanMax)
  } else if (!deleting) {
    writes = managePods(job, spec, claim.owned, active, counts, input, nowMs)
  }
  const { commands, events } = podCommands(job, claim, writes, now)

  // Counted as upstream counts them after its writes: created pods are active already; deleted
  // pods with finalizers stay, terminating.
  const deleted = new Set(writes.deletes)
  const left = active.filter((pod) => !deleted.has(pod))
  const after: PodCounts = {
    active: left.length + writes.creates.length,
    ready: left.filter(isPodReady).length,
    terminating:
      claim.owned.filter(isPodTerminating).length +
      writes.deletes.filter((pod) => (pod.metadata.finalizers ?? []).length > 0).length,
  }
  if (finish === undefined && isComplete(spec, counts.succeeded, after.active)) {
    finish = { type: 'Complete', reason: 'CompletionsReached', message: completionsReachedMessage }
  }
  const next = nextStatus(job, spec, status, { startTime, finish, after, counts, deleting, now })
  events.push(...next.events)
  if (!semanticEqual(status, next.status)) {
    commands.push(updateCommand(jobsResource, job, { ...job, status: next.status }, 'status', now))
  }

  const recheckAt = earliest([
    writes.backoffUntilMs,
    finish === undefined && !spec.suspend ? activeDeadlineMs(spec, next.status.startTime) : undefined,
    next.finished ? ttlExpiryMs(spec, nowMs) : undefined,
  ])
  return { commands, events, ...(recheckAt === undefined ? {} : { recheckAt: formatTime(recheckAt) }) }
}

/** The writes to pods, in order: releases, adoptions, creations, deletions; with their events. */
function podCommands(
  job: KubeObject,
  claim: Claim,
  writes: Managed,
  now: string,
): { commands: ApiCommand[]; events: PlanEvent[] } {
  const commands: ApiCommand[] = [...claim.releases]
  const events: PlanEvent[] = []
  const deleted = new Set(writes.deletes)
  for (const pod of claim.adopting) {
    // A pod about to be deleted is not adopted first: the update would fail the delete's precondition.
    if (!deleted.has(pod)) {
      commands.push(updateCommand(podsResource, pod, adopted(pod, job), null, now))
    }
  }
  for (const pod of writes.creates) {
    commands.push({ op: 'create', resource: podsResource, object: pod })
    events.push(event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`))
  }
  for (const pod of writes.deletes) {
    commands.push(deleteCommand(podsResource, pod, now))
    events.push(event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`))
  }
  return { commands, events }
}

interface PodCounts {
  active: number
  ready: number
  terminating: number
}

interface StatusInput {
  startTime: string | undefined
  finish: Finish | undefined
  after: PodCounts
  counts: Counts
  deleting: boolean
  now: string
}

/**
 * The status after the plan, and the events of its changes: the Suspended condition, the interim
 * and terminal conditions of a finish, and the counters.
 */
function nextStatus(
  job: KubeObject,
  spec: JobSpec,
  status: JobStatus,
  input: StatusInput,
): { status: JobStatus; events: PlanEvent[]; finished: boolean } {
  const { finish, after, counts, now } = input
  const conditions = structuredClone(Array.isArray(status.conditions) ? status.conditions : [])
  const next = withoutCounters(status)
  const events: PlanEvent[] = []
  if (input.startTime !== undefined) next.startTime = input.startTime
  if (finish === undefined && !input.deleting) {
    const suspension = spec.suspend
      ? ensureCondition(conditions, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now)
      : ensureCondition(conditions, 'Suspended', 'False', 'JobResumed', 'Job resumed', now)
    if (suspension && spec.suspend) events.push(event(job, 'Normal', 'Suspended', 'Job suspended'))
    if (suspension && !spec.suspend) {
      events.push(event(job, 'Normal', 'Resumed', 'Job resumed'))
      // Resuming restarts the clock of activeDeadlineSeconds: it counts continuous activity.
      next.startTime = now
    }
  }
  let finished = false
  if (finish !== undefined) {
    const interim = finish.type === 'Failed' ? 'FailureTarget' : 'SuccessCriteriaMet'
    ensureCondition(conditions, interim, 'True', finish.reason, finish.message, now)
    // The terminal condition waits until no pod of the Job is still running or terminating.
    if (after.active === 0 && after.terminating === 0) {
      finished = true
      ensureCondition(conditions, finish.type, 'True', finish.reason, finish.message, now)
      if (finish.type === 'Complete') next.completionTime = now
      events.push(...finishEvents(job, spec, finish, counts.succeeded))
    }
  }
  if (conditions.length > 0) next.conditions = conditions
  // `active`, `succeeded`, `failed` and `completedIndexes` are omitted when zero or empty, as the
  // API writes them; `ready` and `terminating` are always there.
  if (after.active > 0) next.active = after.active
  next.ready = after.ready
  next.terminating = after.terminating
  if (counts.succeeded > 0) next.succeeded = counts.succeeded
  if (counts.failed > 0) next.failed = counts.failed
  const completedIndexes = formatIndexes(counts.succeededIndexes)
  if (spec.indexed && completedIndexes !== '') next.completedIndexes = completedIndexes
  return { status: next, events, finished }
}

/** Whether the Job has its terminal condition, Complete or Failed (`IsJobFinished`). */
export function isJobFinished(job: KubeObject): boolean {
  return jobFinishedCondition(job) !== undefined
}

/** The Job's terminal condition, if it has one. */
export function jobFinishedCondition(job: KubeObject): Condition | undefined {
  for (const type of ['Complete', 'Failed']) {
    const condition = conditionOf(job.status, type)
    if (condition?.status === 'True') return condition
  }
  return undefined
}

// --- a finished Job -------------------------------------------------------------------------

/**
 * A finished Job creates and deletes nothing; only `ttlSecondsAfterFinished` still applies (the
 * TTL-after-finished controller): the Job is deleted with its pods once the time is up.
 */
function planFinishedJob(job: KubeObject, now: string, nowMs: number): Plan {
  const spec = jobSpec(job)
  if (spec.ttlSecondsAfterFinished === undefined || job.metadata.deletionTimestamp) return empty()
  const finishedMs = jobFinishedMs(job)
  if (finishedMs === undefined) return empty()
  const expiresMs = finishedMs + spec.ttlSecondsAfterFinished * 1000
  if (nowMs < expiresMs) return { ...empty(), recheckAt: formatTime(expiresMs) }
  return { commands: [deleteCommand(jobsResource, job, now)], events: [] }
}

/** When the Job finished: its completionTime, else its terminal condition's transition. */
function jobFinishedMs(job: KubeObject): number | undefined {
  const status = isObject(job.status) ? job.status : {}
  const condition = jobFinishedCondition(job)
  const completion = condition?.type === 'Complete' ? parseTime(status.completionTime) : undefined
  return completion ?? parseTime(condition?.lastTransitionTime)
}

function ttlExpiryMs(spec: JobSpec, finishedMs: number): number | undefined {
  return spec.ttlSecondsAfterFinished === undefined
    ? undefined
    : finishedMs + spec.ttlSecondsAfterFinished * 1000
}

// --- the spec -------------------------------------------------------------------------------

function jobSpec(job: KubeObject): JobSpec {
  const spec = isObject(job.spec) ? job.spec : {}
  const template = isObject(spec.template) ? spec.template : {}
  const podSpec = isObject(template.spec) ? template.spec : {}
  const optional = (value: unknown) => (count(value, -1) < 0 ? undefined : count(value))
  const completions = optional(spec.completions)
  return {
    parallelism: count(spec.parallelism, 1),
    completions,
    // Indexed needs completions (validation requires them); without, the Job runs as NonIndexed.
    indexed: spec.completionMode === 'Indexed' && completions !== undefined,
    backoffLimit: count(spec.backoffLimit, backoffLimitDefault),
    activeDeadlineSeconds: optional(spec.activeDeadlineSeconds),
    suspend: spec.suspend === true,
    ttlSecondsAfterFinished: optional(spec.ttlSecondsAfterFinished),
    replaceOnlyFailed: spec.podReplacementPolicy === 'Failed',
    restartOnFailure: podSpec.restartPolicy === 'OnFailure',
  }
}

/**
 * The Job's selector. The API server of Kubernetes writes one (`controller-uid`) into every Job
 * without `manualSelector`; a Job without one here selects by the same label, which its pods get.
 */
function jobSelector(job: KubeObject): LabelSelector {
  const spec = isObject(job.spec) ? job.spec : {}
  if (isObject(spec.selector)) return spec.selector as LabelSelector
  return { matchLabels: { [jobControllerUidLabel]: job.metadata.uid ?? '' } }
}

// --- claiming -------------------------------------------------------------------------------

interface Claim {
  /** Owned pods, in every phase, including the orphans being adopted. */
  owned: KubeObject[]
  adopting: KubeObject[]
  releases: ApiCommand[]
}

/**
 * The pods this Job manages (`getPodsForJob`): its own that still match the selector, and active
 * orphans that match (adopted). Owned pods that no longer match are released. A Job being
 * deleted adopts and releases nothing.
 */
function claimPods(job: KubeObject, pods: readonly KubeObject[], deleting: boolean, now: string): Claim {
  const uid = job.metadata.uid ?? ''
  const namespace = job.metadata.namespace ?? ''
  const matches = selectorMatcher(jobSelector(job))
  const claim: Claim = { owned: [], adopting: [], releases: [] }
  for (const pod of pods) {
    if ((pod.metadata.namespace ?? '') !== namespace) continue
    const owner = controllerOf(pod)
    const match = matches(pod.metadata.labels)
    if (owner !== undefined) {
      if (owner.uid !== uid) continue
      if (match) claim.owned.push(pod)
      else if (!deleting) claim.releases.push(updateCommand(podsResource, pod, released(pod, uid), null, now))
    } else if (match && !deleting && isPodActive(pod)) {
      claim.owned.push(pod)
      claim.adopting.push(pod)
    }
  }
  claim.owned.sort(byName)
  return claim
}

/** A selector that does not parse (validation keeps them out) matches nothing, rather than everything. */
function selectorMatcher(selector: LabelSelector): (labels?: Record<string, string>) => boolean {
  try {
    return labelMatcher(selector)
  } catch (error) {
    if (error instanceof SelectorError) return () => false
    throw error
  }
}

// --- counting -------------------------------------------------------------------------------

interface Counts {
  succeeded: number
  failed: number
  /** Indexed: the completion indexes that succeeded, ascending. */
  succeededIndexes: number[]
}

/**
 * Succeeded and failed pods, never fewer than the status already counted. An Indexed Job counts
 * succeeded indexes, those of its status (`completedIndexes`) and those of its succeeded pods.
 */
function finishedCounts(spec: JobSpec, status: JobStatus, pods: readonly KubeObject[]): Counts {
  const failedPods = pods.filter((pod) => podPhase(pod) === 'Failed').length
  const failed = Math.max(count(status.failed), failedPods)
  const succeededPods = pods.filter((pod) => podPhase(pod) === 'Succeeded')
  if (!spec.indexed) {
    return {
      succeeded: Math.max(count(status.succeeded), succeededPods.length),
      failed,
      succeededIndexes: [],
    }
  }
  const completions = spec.completions ?? 0
  const indexes = new Set(parseIndexes(status.completedIndexes, completions))
  for (const pod of succeededPods) {
    const index = completionIndex(pod, completions)
    if (index !== undefined) indexes.add(index)
  }
  const succeededIndexes = [...indexes].sort((a, b) => a - b)
  return { succeeded: succeededIndexes.length, failed, succeededIndexes }
}

/** The status without what each plan derives afresh. */
function withoutCounters(status: JobStatus): JobStatus {
  const {
    active: _active,
    ready: _ready,
    terminating: _terminating,
    succeeded: _succeeded,
    failed: _failed,
    completedIndexes: _completedIndexes,
    ...rest
  } = status
  return rest
}

function isPodTerminating(pod: KubeObject): boolean {
  const phase = podPhase(pod)
  return Boolean(pod.metadata.deletionTimestamp) && phase !== 'Succeeded' && phase !== 'Failed'
}

// --- finishing ------------------------------------------------------------------------------

/** A finish decided by an earlier plan, remembered by its interim condition. */
function decidedFinish(status: JobStatus): Finish | undefined {
  const met = conditionOf(status, 'SuccessCriteriaMet')
  if (met?.status === 'True') {
    return { type: 'Complete', reason: met.reason ?? 'CompletionsReached', message: met.message ?? '' }
  }
  const target = conditionOf(status, 'FailureTarget')
  if (target?.status === 'True') {
    return { type: 'Failed', reason: target.reason ?? '', message: target.message ?? '' }
  }
  return undefined
}

/**
 * A failure newly reached: more failed pods than `backoffLimit` (or, restartPolicy OnFailure,
 * container restarts), else a passed `activeDeadlineSeconds`. Not on the plan that resumes the
 * Job, which restarts the deadline's clock.
 */
function failureOf(
  spec: JobSpec,
  status: JobStatus,
  active: readonly KubeObject[],
  counts: Counts,
  startTime: string | undefined,
  nowMs: number,
): Finish | undefined {
  if (counts.failed > spec.backoffLimit || pastBackoffLimitOnFailure(spec, active)) {
    return {
      type: 'Failed',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    }
  }
  const resuming = !spec.suspend && conditionOf(status, 'Suspended')?.status === 'True'
  if (!resuming && pastActiveDeadline(spec, startTime, nowMs)) {
    return {
      type: 'Failed',
      reason: 'DeadlineExceeded',
      message: 'Job was active longer than specified deadline',
    }
  }
  return undefined
}

/** With restartPolicy OnFailure, failures are container restarts in running pods (`pastBackoffLimitOnFailure`). */
function pastBackoffLimitOnFailure(spec: JobSpec, active: readonly KubeObject[]): boolean {
  if (!spec.restartOnFailure) return false
  let restarts = 0
  for (const pod of active) {
    const phase = podPhase(pod)
    if (phase !== 'Running' && phase !== 'Pending') continue
    const status = isObject(pod.status) ? pod.status : {}
    for (const key of ['initContainerStatuses', 'containerStatuses']) {
      const statuses = Array.isArray(status[key]) ? (status[key] as unknown[]) : []
      for (const s of statuses) if (isObject(s)) restarts += count(s.restartCount)
    }
  }
  return spec.backoffLimit === 0 ? restarts > 0 : restarts >= spec.backoffLimit
}

function activeDeadlineMs(spec: JobSpec, startTime: string | undefined): number | undefined {
  const startMs = parseTime(startTime)
  if (spec.activeDeadlineSeconds === undefined || startMs === undefined) return undefined
  return startMs + spec.activeDeadlineSeconds * 1000
}

function pastActiveDeadline(spec: JobSpec, startTime: string | undefined, nowMs: number): boolean {
  const deadlineMs = spec.suspend ? undefined : activeDeadlineMs(spec, startTime)
  return deadlineMs !== undefined && nowMs >= deadlineMs
}

function isComplete(spec: JobSpec, succeeded: number, active: number): boolean {
  if (active > 0) return false
  return spec.completions === undefined ? succeeded > 0 : succeeded >= spec.completions
}

function finishEvents(job: KubeObject, spec: JobSpec, finish: Finish, succeeded: number): PlanEvent[] {
  if (finish.type === 'Failed') return [event(job, 'Warning', finish.reason, finish.message)]
  const tooMany =
    spec.completions !== undefined && succeeded > spec.completions
      ? [
          event(
            job,
            'Warning',
            'TooManySucceededPods',
            'Too many succeeded pods running after completion count reached',
          ),
        ]
      : []
  return [...tooMany, event(job, 'Normal', 'Completed', 'Job completed')]
}

/**
 * Sets the condition of `type` as upstream's `ensureJobConditionStatus`: a changed one is replaced
 * in place, a missing one added unless it would say False. Returns whether anything changed.
 */
function ensureCondition(
  conditions: Condition[],
  type: string,
  status: 'True' | 'False',
  reason: string,
  message: string,
  now: string,
): boolean {
  const fresh: Condition = { type, status, lastProbeTime: now, lastTransitionTime: now, reason, message }
  const at = conditions.findIndex((c) => isObject(c) && c.type === type)
  if (at >= 0) {
    const current = conditions[at]!
    if (current.status === status && current.reason === reason && current.message === message) return false
    conditions[at] = fresh
    return true
  }
  if (status === 'False') return false
  conditions.push(fresh)
  return true
}

// --- managing the pods ----------------------------------------------------------------------

interface Managed {
  deletes: KubeObject[]
  creates: KubeObject[]
  /** Creation waits for the failure backoff until then. */
  backoffUntilMs?: number
}

/**
 * `manageJob`: delete surplus pods (and, Indexed, duplicates of an index or pods of an index that
 * is done), else create the missing ones unless the failure backoff holds them back. Deleting
 * comes first: a plan does one or the other, as upstream.
 */
function managePods(
  job: KubeObject,
  spec: JobSpec,
  pods: readonly KubeObject[],
  active: readonly KubeObject[],
  counts: Counts,
  fixed: Fixed,
  nowMs: number,
): Managed {
  const wantActive = wantedActive(spec, active.length, counts.succeeded)
  const deletes = podsForRemoval(spec, active, Math.max(active.length - wantActive, 0), counts, nowMs)
  if (deletes.length > 0) return { deletes: deletes.slice(0, jobPodWritesPerPlanMax), creates: [] }
  const terminating = spec.replaceOnlyFailed ? pods.filter(isPodTerminating).length : 0
  const missing = Math.min(wantActive - terminating - active.length, jobPodWritesPerPlanMax)
  if (missing <= 0) return { deletes: [], creates: [] }
  const backoffUntilMs = failureBackoffUntilMs(pods)
  if (backoffUntilMs !== undefined && backoffUntilMs > nowMs)
    return { deletes: [], creates: [], backoffUntilMs }
  const creates = spec.indexed
    ? pendingIndexes(spec, active, counts, missing).map((index) => indexedPod(job, index, fixed))
    : Array.from({ length: missing }, () => jobPod(job, fixed, {}))
  return { deletes: [], creates }
}

/**
 * How many pods should run. Without completions: `parallelism` until one succeeds, then no new
 * ones (those running finish). With: never more than the completions still missing.
 */
function wantedActive(spec: JobSpec, active: number, succeeded: number): number {
  if (spec.completions === undefined) return succeeded > 0 ? active : spec.parallelism
  return Math.max(Math.min(spec.completions - succeeded, spec.parallelism), 0)
}

/**
 * The active pods to delete (`activePodsForRemoval`): for an Indexed Job first those without a
 * valid index, of an index already done or a second of the same index; then, to reach
 * `atLeast`, the others in the order a ReplicaSet deletes them.
 */
function podsForRemoval(
  spec: JobSpec,
  active: readonly KubeObject[],
  atLeast: number,
  counts: Counts,
  nowMs: number,
): KubeObject[] {
  const remove: KubeObject[] = []
  let rest = [...active]
  if (spec.indexed) {
    const done = new Set(counts.succeededIndexes)
    const kept = new Map<number, KubeObject>()
    // The pod kept for an index is the one a ReplicaSet would delete last.
    for (const pod of podsInDeletionOrder(active, active, nowMs).reverse()) {
      const index = completionIndex(pod, spec.completions ?? 0)
      if (index === undefined || done.has(index) || kept.has(index)) remove.push(pod)
      else kept.set(index, pod)
    }
    rest = [...kept.values()]
  }
  if (remove.length < atLeast) {
    remove.push(...podsInDeletionOrder(rest, active, nowMs).slice(0, atLeast - remove.length))
  }
  return remove
}

/**
 * Until when the failure backoff holds back new pods: `podFailureBackoffMs` doubled for each pod
 * that failed since the last success, counted from the last failure (upstream's backoff record,
 * derived here from the finished pods instead of kept in memory).
 */
function failureBackoffUntilMs(pods: readonly KubeObject[]): number | undefined {
  const finished = pods
    .filter((pod) => podPhase(pod) === 'Succeeded' || podPhase(pod) === 'Failed')
    .map((pod) => ({ failed: podPhase(pod) === 'Failed', atMs: podFinishedMs(pod) }))
    .sort((a, b) => a.atMs - b.atMs)
  let failures = 0
  let lastFailureMs = 0
  for (const pod of finished) {
    if (!pod.failed) failures = 0
    else {
      failures++
      lastFailureMs = pod.atMs
    }
  }
  if (failures === 0) return undefined
  let delayMs = podFailureBackoffMs
  for (let i = 1; i < failures && delayMs < podFailureBackoffMaxMs; i++) delayMs *= 2
  return lastFailureMs + Math.min(delayMs, podFailureBackoffMaxMs)
}

/**
 * When a pod finished (`getFinishedTime`): its containers' last finish, else when it stopped
 * being ready, else its deletion, else its creation.
 */
function podFinishedMs(pod: KubeObject): number {
  const status = isObject(pod.status) ? pod.status : {}
  const statuses = Array.isArray(status.containerStatuses) ? status.containerStatuses : []
  let containersMs: number | undefined
  for (const s of statuses) {
    const state = isObject(s) && isObject(s.state) ? s.state : {}
    const finishedMs = isObject(state.terminated) ? parseTime(state.terminated.finishedAt) : undefined
    if (finishedMs === undefined) {
      containersMs = undefined
      break
    }
    containersMs = Math.max(containersMs ?? finishedMs, finishedMs)
  }
  if (containersMs !== undefined) return containersMs
  const ready = conditionOf(status, 'Ready')
  const notReadyMs = ready?.status === 'False' ? parseTime(ready.lastTransitionTime) : undefined
  return (
    notReadyMs ?? parseTime(pod.metadata.deletionTimestamp) ?? parseTime(pod.metadata.creationTimestamp) ?? 0
  )
}

/** A pod for the Job, labelled so that its selector and clients find it. */
function jobPod(job: KubeObject, fixed: Fixed, extra: { name?: string; template?: unknown }): KubeObject {
  const spec = isObject(job.spec) ? job.spec : {}
  const uid = job.metadata.uid ?? ''
  const name = job.metadata.name ?? ''
  return podFromTemplate(job, extra.template ?? spec.template, fixed, {
    ...(extra.name === undefined ? {} : { name: extra.name }),
    labels: {
      [jobControllerUidLabel]: uid,
      [jobNameLabel]: name,
      [legacyControllerUidLabel]: uid,
      [legacyJobNameLabel]: name,
    },
  })
}

// --- Indexed --------------------------------------------------------------------------------

/** The valid completion index of a pod (`getCompletionIndex`), from its annotation. */
function completionIndex(pod: KubeObject, completions: number): number | undefined {
  const text = pod.metadata.annotations?.[completionIndexAnnotation]
  if (text === undefined || !/^\d+$/.test(text)) return undefined
  const index = Number(text)
  return index < completions ? index : undefined
}

/** The lowest indexes neither done nor running (`firstPendingIndexes`), at most `wanted`. */
function pendingIndexes(
  spec: JobSpec,
  active: readonly KubeObject[],
  counts: Counts,
  wanted: number,
): number[] {
  const completions = spec.completions ?? 0
  const taken = new Set(counts.succeededIndexes)
  for (const pod of active) {
    const index = completionIndex(pod, completions)
    if (index !== undefined) taken.add(index)
  }
  const pending: number[] = []
  for (let index = 0; index < completions && pending.length < wanted; index++) {
    if (!taken.has(index)) pending.push(index)
  }
  return pending
}

/**
 * The pod for one index: named and with a hostname after it, the index as annotation and label,
 * and `JOB_COMPLETION_INDEX` in every container's environment.
 */
function indexedPod(job: KubeObject, index: number, fixed: Fixed): KubeObject {
  const spec = isObject(job.spec) ? job.spec : {}
  const template = structuredClone(isObject(spec.template) ? spec.template : {})
  const meta = isObject(template.metadata) ? template.metadata : {}
  template.metadata = {
    ...meta,
    annotations: {
      ...(isObject(meta.annotations) ? meta.annotations : {}),
      [completionIndexAnnotation]: String(index),
    },
    labels: { ...(isObject(meta.labels) ? meta.labels : {}), [completionIndexAnnotation]: String(index) },
  }
  const podSpec = isObject(template.spec) ? template.spec : {}
  template.spec = { ...podSpec, hostname: `${job.metadata.name}-${index}` }
  for (const key of ['initContainers', 'containers']) {
    const containers = Array.isArray(podSpec[key]) ? (podSpec[key] as unknown[]) : undefined
    if (containers !== undefined)
      (template.spec as Record<string, unknown>)[key] = containers.map(withIndexEnv)
  }
  const prefix = `${job.metadata.name}-${index}-`
  const pod = jobPod(job, fixed, { name: fixed.newName(prefix), template })
  return { ...pod, metadata: { ...pod.metadata, generateName: prefix } }
}

function withIndexEnv(container: unknown): unknown {
  if (!isObject(container)) return container
  const env = Array.isArray(container.env) ? container.env : []
  if (env.some((e) => isObject(e) && e.name === 'JOB_COMPLETION_INDEX')) return container
  const fieldPath = `metadata.annotations['${completionIndexAnnotation}']`
  return {
    ...container,
    env: [...env, { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath } } }],
  }
}

/** Ascending indexes in the status' compressed form: `1,3-5,7`. */
export function formatIndexes(indexes: readonly number[]): string {
  const parts: string[] = []
  for (let i = 0; i < indexes.length; ) {
    let j = i
    while (j + 1 < indexes.length && indexes[j + 1] === indexes[j]! + 1) j++
    parts.push(j === i ? String(indexes[i]) : `${indexes[i]}-${indexes[j]}`)
    i = j + 1
  }
  return parts.join(',')
}

/** The indexes of `completedIndexes` below `completions`; what does not parse is skipped. */
export function parseIndexes(text: unknown, completions: number): number[] {
  if (typeof text !== 'string' || text === '') return []
  const indexes: number[] = []
  for (const part of text.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim())
    if (match === null) continue
    const first = Number(match[1])
    const last = Math.min(match[2] === undefined ? first : Number(match[2]), completions - 1)
    for (let index = first; index <= last; index++) indexes.push(index)
  }
  return indexes
}

// --- small things ---------------------------------------------------------------------------

function earliest(times: readonly (number | undefined)[]): number | undefined {
  const known = times.filter((t): t is number => t !== undefined)
  return known.length === 0 ? undefined : Math.min(...known)
}

function empty(): Plan {
  return { commands: [], events: [] }
}

function event(job: KubeObject, type: PlanEvent['type'], reason: string, message: string): PlanEvent {
  return { type, reason, message, involvedObject: referenceTo(job), component }
}

function byName(a: KubeObject, b: KubeObject): number {
  const [x, y] = [a.metadata.name ?? '', b.metadata.name ?? '']
  return x < y ? -1 : x > y ? 1 : 0
}
