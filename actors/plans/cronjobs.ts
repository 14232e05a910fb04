// The CronJob controller's plan, after Kubernetes' `pkg/controller/cronjob` (controller v2): keep
// `status.active` true to the CronJob's Jobs, start the Job of the most recent scheduled time not
// yet started (within `startingDeadlineSeconds`, as `concurrencyPolicy` allows), keep the newest
// finished Jobs up to the history limits, and plan again at the next scheduled time.
//
// A Job is named after its scheduled time (`<cronjob>-<minutes since the epoch>`), so two plans
// made from the same state create the same Job, and the second is refused as a duplicate instead
// of running it twice. The Job and the status that records it go out in one batch, so there is
// no window, as upstream has, in which a Job exists that the status does not know of.

import { CronDate, type CronExpression, CronExpressionParser } from 'cron-parser'
import { applyDefaults } from '../../core/api/defaults.ts'
import type { KubeObject } from '../../core/api/object.ts'
import { resourceFor } from '../../core/api/resources.ts'
import type { ApiCommand, ResourceRef } from '../../core/api/store.ts'
import { isJobFinished, jobFinishedCondition, jobsResource } from './jobs.ts'
import {
  controllerOf,
  controllerReference,
  count,
  deleteCommand,
  formatTime,
  isObject,
  type ObjectReference,
  type Plan,
  type PlanEvent,
  parseTime,
  referenceTo,
  requireTime,
  resourceOf,
  semanticEqual,
  updateCommand,
} from './plan.ts'

export const cronJobsResource: ResourceRef = resourceOf('batch/v1', 'CronJob')

/** More missed scheduled times than this are worth a warning (Kubernetes' 100). */
export const missedSchedulesMax = 100
/** The annotation with the scheduled time a Job was started for, RFC 3339 in the CronJob's zone. */
export const scheduledTimestampAnnotation = 'batch.kubernetes.io/cronjob-scheduled-timestamp'

const component = 'cronjob-controller'
/**
 * Zones found valid: checking one makes an Intl formatter, which costs more than the rest of a
 * plan. A memo of a pure check, so plans stay the same; bounded, as IANA has about 600 zones.
 */
const knownTimeZones = new Set<string>()
const knownTimeZonesMax = 1_000
const jobType = resourceFor('batch/v1', 'Job')!
const successfulJobsHistoryLimitDefault = 3
const failedJobsHistoryLimitDefault = 1
/** The schedule macros of Kubernetes' cron parser, as the five fields they stand for. */
const macros: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
}
/**
 * Without a seed cron-parser seeds its generator for `H` from Math.random, on every parse; `H` is
 * refused, and a fixed seed keeps parsing deterministic.
 */
const hashSeed = 'coxswain'
/** One item of a field: `*`, `?`, a number or a three-letter name, a range of them, a step. */
const fieldItem = /^(\*|\?|\d+|[a-z]{3})(-(\d+|[a-z]{3}))?(\/\d+)?$/i

export interface CronJobPlanInput {
  cronJob: KubeObject
  /** The Jobs of the CronJob's namespace. */
  jobs: readonly KubeObject[]
  /** The leader's time, RFC 3339. */
  now: string
  newUid: () => string
  /** A name from a `generateName` prefix (unused: Job names come from the scheduled time). */
  newName: (prefix: string) => string
}

export interface CronJobStatus {
  active?: ObjectReference[]
  lastScheduleTime?: string
  lastSuccessfulTime?: string
  [key: string]: unknown
}

/** The state a plan builds up: the status to write, and the writes and events so far. */
interface Draft {
  cronJob: KubeObject
  now: string
  active: ObjectReference[]
  lastScheduleTime: string | undefined
  commands: ApiCommand[]
  events: PlanEvent[]
}

export function planCronJob(input: CronJobPlanInput): Plan {
  const { cronJob, now } = input
  const nowMs = requireTime(now)
  const status: CronJobStatus = isObject(cronJob.status) ? (cronJob.status as CronJobStatus) : {}
  const owned = ownedJobs(cronJob, input.jobs)
  const draft: Draft = {
    cronJob,
    now,
    active: [],
    lastScheduleTime: typeof status.lastScheduleTime === 'string' ? status.lastScheduleTime : undefined,
    commands: [],
    events: [],
  }
  reconcileActive(draft, status, owned)
  const spec = isObject(cronJob.spec) ? cronJob.spec : {}
  let recheckAtMs: number | undefined
  if (!cronJob.metadata.deletionTimestamp && spec.suspend !== true) {
    const schedule = readSchedule(draft, nowMs)
    if (schedule !== undefined) {
      startDueJob(draft, schedule, owned, input, nowMs)
      recheckAtMs = schedule.nextAfter(nowMs)
    }
  }
  removeOldJobs(draft, owned)

  const next: CronJobStatus = { ...status }
  delete next.active
  if (draft.active.length > 0) next.active = draft.active
  if (draft.lastScheduleTime !== undefined) next.lastScheduleTime = draft.lastScheduleTime
  const lastSuccessfulTime = latestSuccess(status, owned)
  if (lastSuccessfulTime !== undefined) next.lastSuccessfulTime = lastSuccessfulTime
  if (!semanticEqual(status, next)) {
    draft.commands.push(updateCommand(cronJobsResource, cronJob, { ...cronJob, status: next }, 'status', now))
  }
  return {
    commands: draft.commands,
    events: draft.events,
    ...(recheckAtMs === undefined ? {} : { recheckAt: formatTime(recheckAtMs) }),
  }
}

/** The CronJob's Jobs: in its namespace, controlled by it. */
function ownedJobs(cronJob: KubeObject, jobs: readonly KubeObject[]): KubeObject[] {
  const namespace = cronJob.metadata.namespace ?? ''
  return jobs.filter(
    (job) => (job.metadata.namespace ?? '') === namespace && controllerOf(job)?.uid === cronJob.metadata.uid,
  )
}

// --- status.active --------------------------------------------------------------------------

/**
 * `status.active` made true to the Jobs: a finished Job leaves it (SawCompletedJob), so does one
 * that is gone (MissingJob), and an unfinished Job of this CronJob that it does not list joins it.
 * Upstream only warns of such a Job; listing it keeps concurrencyPolicy Forbid and Replace honest.
 */
function reconcileActive(draft: Draft, status: CronJobStatus, owned: readonly KubeObject[]): void {
  const listed = Array.isArray(status.active) ? status.active.filter(isObject) : []
  const byUid = new Map(owned.map((job) => [job.metadata.uid ?? '', job]))
  const seen = new Set<string>()
  for (const ref of listed) {
    const uid = String(ref.uid ?? '')
    if (seen.has(uid)) continue
    seen.add(uid)
    const job = byUid.get(uid)
    if (job === undefined) {
      draft.events.push(event(draft, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`))
    } else if (isJobFinished(job)) {
      const type = jobFinishedCondition(job)?.type
      const message = `Saw completed job: ${job.metadata.name}, status: ${type}`
      draft.events.push(event(draft, 'Normal', 'SawCompletedJob', message))
    } else {
      draft.active.push(ref as unknown as ObjectReference)
    }
  }
  for (const job of owned) {
    if (seen.has(job.metadata.uid ?? '') || isJobFinished(job)) continue
    const message = `Saw a job that the controller did not create or forgot: ${job.metadata.name}`
    draft.events.push(event(draft, 'Warning', 'UnexpectedJob', message))
    draft.active.push(jobReference(job))
  }
}

/** The reference `status.active` keeps: without a resourceVersion, which would churn the status. */
function jobReference(job: KubeObject): ObjectReference {
  const { resourceVersion: _resourceVersion, ...reference } = referenceTo(job)
  return reference
}

/** The newest completionTime of a Complete Job, never older than the status says. */
function latestSuccess(status: CronJobStatus, owned: readonly KubeObject[]): string | undefined {
  let latest = typeof status.lastSuccessfulTime === 'string' ? status.lastSuccessfulTime : undefined
  for (const job of owned) {
    if (jobFinishedCondition(job)?.type !== 'Complete') continue
    const completion = isObject(job.status) ? job.status.completionTime : undefined
    const ms = parseTime(completion)
    if (ms !== undefined && ms > (parseTime(latest) ?? Number.NEGATIVE_INFINITY))
      latest = completion as string
  }
  return latest
}

// --- the schedule ---------------------------------------------------------------------------

/** A parsed schedule in its time zone. */
export interface Schedule {
  /** The latest scheduled time at or before `ms`. */
  latestAtOrBefore(ms: number): number | undefined
  /** The first scheduled time after `ms`. */
  nextAfter(ms: number): number | undefined
  /**
   * About how many scheduled times fall in (`afterMs`, `untilMs`]: as upstream estimates them,
   * from the interval between the first two, which needs two steps of the schedule, not one per time.
   */
  missedBetween(afterMs: number, untilMs: number): number
  /** `ms` in RFC 3339 with the zone's offset, as upstream writes the scheduled-time annotation. */
  format(ms: number): string
}

/**
 * The schedule of the CronJob in its `timeZone` (UTC by default), or undefined after a warning:
 * UnknownTimeZone, UnparseableSchedule.
 */
function readSchedule(draft: Draft, nowMs: number): Schedule | undefined {
  const spec = isObject(draft.cronJob.spec) ? draft.cronJob.spec : {}
  const timeZone = typeof spec.timeZone === 'string' ? spec.timeZone : 'UTC'
  const zoneProblem = timeZoneProblem(timeZone)
  if (zoneProblem !== undefined) {
    const message = `invalid timeZone: ${JSON.stringify(timeZone)}: ${zoneProblem}`
    draft.events.push(event(draft, 'Warning', 'UnknownTimeZone', message))
    return undefined
  }
  const text = typeof spec.schedule === 'string' ? spec.schedule : ''
  const parsed = parseSchedule(text, timeZone, nowMs)
  if (typeof parsed === 'string') {
    const message = `unparseable schedule: ${JSON.stringify(text)} : ${parsed}`
    draft.events.push(event(draft, 'Warning', 'UnparseableSchedule', message))
    return undefined
  }
  return parsed
}

/**
 * Why `timeZone` is not an IANA time zone, if it is not. Checked by Intl, which (unlike the zones
 * luxon accepts) knows no `Local`: a schedule must not depend on the host's zone.
 */
function timeZoneProblem(timeZone: string): string | undefined {
  if (knownTimeZones.has(timeZone)) return undefined
  try {
    new Intl.DateTimeFormat('en-US', { timeZone })
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
  if (knownTimeZones.size < knownTimeZonesMax) knownTimeZones.add(timeZone)
  return undefined
}

/**
 * A schedule as Kubernetes reads one (robfig/cron's standard parser): five fields or a macro,
 * optionally after `TZ=<zone>` or `CRON_TZ=<zone>`, which overrides the CronJob's zone. What
 * cron-parser accepts beyond that (seconds, `L`, `#`, `H`) is refused; `H` would also make the
 * schedule random. Returns the problem when it does not parse.
 */
export function parseSchedule(text: string, timeZone: string, nowMs: number): Schedule | string {
  let expression = text.trim()
  let zone = timeZone
  const prefixed = /^(?:CRON_)?TZ=(\S+)\s+(.*)$/.exec(expression)
  if (prefixed !== null) {
    zone = prefixed[1]!
    expression = prefixed[2]!.trim()
    const problem = timeZoneProblem(zone)
    if (problem !== undefined) return `provided bad location ${zone}: ${problem}`
  }
  if (expression.startsWith('@')) {
    const macro = macros[expression.toLowerCase()]
    if (macro === undefined) return `unrecognized descriptor: ${expression}`
    expression = macro
  }
  const fields = expression.split(/\s+/).filter((field) => field !== '')
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`
  const bad = fields.find((field) => !field.split(',').every((item) => fieldItem.test(item)))
  if (bad !== undefined) return `failed to parse field: ${bad}`
  try {
    return cronSchedule(
      CronExpressionParser.parse(expression, { currentDate: nowMs, tz: zone, hashSeed }),
      zone,
    )
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}

function cronSchedule(expression: CronExpression, tz: string): Schedule {
  const from = (ms: number) => {
    expression.reset(new Date(ms))
    return expression
  }
  const attempt = (step: () => number) => {
    try {
      return step()
    } catch {
      // No such time within cron-parser's search range (a day that never comes).
      return undefined
    }
  }
  // prev() is strictly before its start: starting just after `ms` includes `ms` itself.
  const previous = (ms: number) =>
    from(ms + 1)
      .prev()
      .getTime()
  const next = (ms: number) => from(ms).next().getTime()
  return {
    latestAtOrBefore: (ms) => attempt(() => previous(ms)),
    nextAfter: (ms) => attempt(() => next(ms)),
    missedBetween(afterMs, untilMs) {
      const first = attempt(() => next(afterMs))
      if (first === undefined || first > untilMs) return 0
      const second = attempt(() => next(first))
      if (second === undefined || second <= first) return 1
      return Math.floor((untilMs - first) / (second - first)) + 1
    },
    format: (ms) => formatInZone(ms, tz),
  }
}

/** RFC 3339 with the zone's offset at that time (`Z` when it is zero, as Go writes it). */
function formatInZone(ms: number, tz: string): string {
  const offsetMinutes = new CronDate(ms, tz).getUTCOffset()
  const local = formatTime(ms + offsetMinutes * 60_000).slice(0, -1)
  if (offsetMinutes === 0) return `${local}Z`
  const sign = offsetMinutes < 0 ? '-' : '+'
  const abs = Math.abs(offsetMinutes)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${local}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}

// --- starting the Job -----------------------------------------------------------------------

/**
 * Starts the Job of the latest scheduled time that is due and not started (`syncCronJob`):
 * unless it was missed by more than `startingDeadlineSeconds` (MissSchedule), its Job exists
 * already, or concurrencyPolicy Forbid has one running (JobAlreadyActive). Replace deletes the
 * running ones first.
 */
function startDueJob(
  draft: Draft,
  schedule: Schedule,
  owned: readonly KubeObject[],
  input: CronJobPlanInput,
  nowMs: number,
): void {
  const spec = isObject(draft.cronJob.spec) ? draft.cronJob.spec : {}
  const earliestMs =
    parseTime(draft.lastScheduleTime) ?? parseTime(draft.cronJob.metadata.creationTimestamp) ?? nowMs
  const scheduledMs = schedule.latestAtOrBefore(nowMs)
  if (scheduledMs === undefined || scheduledMs <= earliestMs) return
  const deadlineSeconds = count(spec.startingDeadlineSeconds, -1)
  // Times older than the deadline could not start anyway; upstream does not count them either.
  const countFromMs = deadlineSeconds < 0 ? earliestMs : Math.max(earliestMs, nowMs - deadlineSeconds * 1000)
  if (schedule.missedBetween(countFromMs, nowMs) > missedSchedulesMax) {
    const message =
      'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew'
    draft.events.push(event(draft, 'Warning', 'TooManyMissedTimes', message))
  }
  if (deadlineSeconds >= 0 && nowMs > scheduledMs + deadlineSeconds * 1000) {
    // Said again by every plan until the next scheduled time, as upstream does (the store counts repeats).
    const message = `Missed scheduled time to start a job: ${rfc1123z(scheduledMs)}`
    draft.events.push(event(draft, 'Warning', 'MissSchedule', message))
    return
  }
  const name = jobName(draft.cronJob, scheduledMs)
  const existing = input.jobs.find(
    (job) =>
      job.metadata.name === name && (job.metadata.namespace ?? '') === draft.cronJob.metadata.namespace,
  )
  if (existing !== undefined) {
    // Ours: started already (it is in `active` unless finished). Someone else's: not ours to run.
    if (owned.includes(existing)) draft.lastScheduleTime = formatTime(scheduledMs)
    return
  }
  const policy = spec.concurrencyPolicy
  if (policy === 'Forbid' && draft.active.length > 0) {
    const message = 'Not starting job because prior execution is running and concurrency policy is Forbid'
    draft.events.push(event(draft, 'Normal', 'JobAlreadyActive', message))
    return
  }
  if (policy === 'Replace') replaceActive(draft, owned)
  const job = jobFromTemplate(draft.cronJob, scheduledMs, schedule, input)
  draft.commands.push({ op: 'create', resource: jobsResource, object: job })
  draft.events.push(event(draft, 'Normal', 'SuccessfulCreate', `Created job ${name}`))
  draft.active.push(jobReference(job))
  draft.lastScheduleTime = formatTime(scheduledMs)
}

/** concurrencyPolicy Replace: the running Jobs are deleted (with their pods) before the new one starts. */
function replaceActive(draft: Draft, owned: readonly KubeObject[]): void {
  for (const ref of draft.active) {
    const job = owned.find((j) => j.metadata.uid === ref.uid)
    // One already being deleted (it has finalizers) goes on its own; deleting it again changes nothing.
    if (job === undefined || job.metadata.deletionTimestamp) continue
    draft.commands.push(deleteCommand(jobsResource, job, draft.now))
    draft.events.push(event(draft, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`))
  }
  draft.active = []
}

/** The Job's name: the CronJob's and the scheduled time in minutes, the same for every plan. */
export function jobName(cronJob: KubeObject, scheduledMs: number): string {
  return `${cronJob.metadata.name}-${Math.floor(scheduledMs / 60_000)}`
}

/** The Job for a scheduled time (`getJobFromTemplate2`), defaulted as the API server would. */
function jobFromTemplate(
  cronJob: KubeObject,
  scheduledMs: number,
  schedule: Schedule,
  input: CronJobPlanInput,
): KubeObject {
  const spec = isObject(cronJob.spec) ? cronJob.spec : {}
  const template = isObject(spec.jobTemplate) ? spec.jobTemplate : {}
  const meta = isObject(template.metadata) ? template.metadata : {}
  const labels = isObject(meta.labels)
    ? { labels: structuredClone(meta.labels) as Record<string, string> }
    : {}
  const annotations = {
    ...(isObject(meta.annotations) ? (structuredClone(meta.annotations) as Record<string, string>) : {}),
    [scheduledTimestampAnnotation]: schedule.format(scheduledMs),
  }
  return applyDefaults(jobType, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(cronJob, scheduledMs),
      namespace: cronJob.metadata.namespace ?? '',
      uid: input.newUid(),
      creationTimestamp: input.now,
      ...labels,
      annotations,
      ownerReferences: [controllerReference(cronJob)],
    },
    spec: structuredClone(isObject(template.spec) ? template.spec : {}),
  })
}

/** Go's RFC1123Z in UTC, as upstream writes the missed time: `Thu, 01 Jan 2026 00:00:00 +0000`. */
function rfc1123z(ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, '+0000')
}

// --- history --------------------------------------------------------------------------------

/**
 * Deletes the oldest finished Jobs beyond `successfulJobsHistoryLimit` Complete ones and
 * `failedJobsHistoryLimit` Failed ones (`cleanupFinishedJobs`), oldest by start time.
 */
function removeOldJobs(draft: Draft, owned: readonly KubeObject[]): void {
  const spec = isObject(draft.cronJob.spec) ? draft.cronJob.spec : {}
  const limits: Record<string, number> = {
    Complete: count(spec.successfulJobsHistoryLimit, successfulJobsHistoryLimitDefault),
    Failed: count(spec.failedJobsHistoryLimit, failedJobsHistoryLimitDefault),
  }
  for (const [type, limit] of Object.entries(limits)) {
    // Jobs already being deleted are neither kept nor deleted again.
    const finished = owned
      .filter((job) => !job.metadata.deletionTimestamp && jobFinishedCondition(job)?.type === type)
      .sort(byStartTime)
    for (const job of finished.slice(0, Math.max(finished.length - limit, 0))) {
      draft.commands.push(deleteCommand(jobsResource, job, draft.now))
      draft.events.push(event(draft, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`))
    }
  }
}

/** Oldest first by status.startTime; Jobs that never started count as newest; then by name. */
function byStartTime(a: KubeObject, b: KubeObject): number {
  const start = (job: KubeObject) => parseTime(isObject(job.status) ? job.status.startTime : undefined)
  const [x, y] = [start(a), start(b)]
  if (x !== y) {
    if (x === undefined) return 1
    if (y === undefined) return -1
    return x - y
  }
  const [m, n] = [a.metadata.name ?? '', b.metadata.name ?? '']
  return m < n ? -1 : m > n ? 1 : 0
}

function event(draft: Draft, type: PlanEvent['type'], reason: string, message: string): PlanEvent {
  return { type, reason, message, involvedObject: referenceTo(draft.cronJob), component }
}
