// The Job plan (actors/plans/jobs.ts): pods from the template up to parallelism and completions,
// the work-queue mode, completion, the backoff limit and the failure backoff, the active deadline,
// suspension, monotonic counters, Indexed Jobs, claiming, the TTL after finishing; each applied to
// a real ObjectStore and planned again until nothing is left to do. A seeded randomized run
// checks the invariants over random pod outcomes and clock advances:
//
//   SEED=n node test/actors/plans/jobs.test.ts   reproduces a run

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  completionIndexAnnotation,
  formatIndexes,
  isJobFinished,
  jobPodWritesPerPlanMax,
  jobsResource,
  parseIndexes,
  planJob,
} from '../../../actors/plans/jobs.ts'
import { eventCommand, formatTime, type Plan, podsResource } from '../../../actors/plans/plan.ts'
import { applyDefaults } from '../../../core/api/defaults.ts'
import type { KubeObject } from '../../../core/api/object.ts'
import { resourceFor } from '../../../core/api/resources.ts'
import { type ApiCommand, ObjectStore } from '../../../core/api/store.ts'
import { deepFreeze, mulberry32 } from './support.ts'

const test = suite('actors: job plan')

const namespace = 'default'
const t0 = Date.parse('2026-01-01T00:00:00Z')
const at = (seconds: number) => formatTime(t0 + seconds * 1000)
const jobType = resourceFor('batch/v1', 'Job')!

type Json = Record<string, unknown>

/** A Job as the API server stores it (defaulted), named `pi`. */
function job(spec: Json = {}, status?: Json, metadata: Json = {}): KubeObject {
  return applyDefaults(jobType, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: 'pi',
      namespace,
      uid: 'job-uid',
      resourceVersion: '10',
      generation: 1,
      creationTimestamp: at(0),
      ...metadata,
    },
    spec: {
      template: {
        metadata: { labels: { app: 'pi' } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5' }] },
      },
      ...spec,
    },
    ...(status === undefined ? {} : { status }),
  })
}

interface PodShape {
  phase?: string
  ready?: boolean
  owner?: string | null
  labels?: Record<string, string>
  finishedAt?: number
  index?: number
  finalizers?: string[]
  deleting?: boolean
  restarts?: number
}

const jobLabels = {
  'batch.kubernetes.io/controller-uid': 'job-uid',
  'batch.kubernetes.io/job-name': 'pi',
  'controller-uid': 'job-uid',
  'job-name': 'pi',
  app: 'pi',
}

function pod(name: string, shape: PodShape = {}): KubeObject {
  const owner = shape.owner === undefined ? 'job-uid' : shape.owner
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      uid: `uid-${name}`,
      resourceVersion: '5',
      creationTimestamp: at(0),
      labels: shape.labels ?? jobLabels,
      ...(shape.index === undefined
        ? {}
        : { annotations: { [completionIndexAnnotation]: String(shape.index) } }),
      ...(owner === null
        ? {}
        : {
            ownerReferences: [
              { apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: owner, controller: true },
            ],
          }),
      ...(shape.finalizers ? { finalizers: shape.finalizers } : {}),
      ...(shape.deleting ? { deletionTimestamp: at(0), finalizers: ['f'] } : {}),
    },
    spec: { containers: [{ name: 'pi', image: 'perl:5' }] },
    status: podStatus(shape.phase ?? 'Running', shape.ready ?? false, shape.finishedAt, shape.restarts),
  }
}

function podStatus(phase: string, ready: boolean, finishedAt?: number, restarts = 0): Json {
  const finished = phase === 'Succeeded' || phase === 'Failed'
  return {
    phase,
    conditions: [
      {
        type: 'Ready',
        status: ready && !finished ? 'True' : 'False',
        ...(finishedAt === undefined ? {} : { lastTransitionTime: at(finishedAt) }),
      },
    ],
    ...(restarts > 0 ? { containerStatuses: [{ name: 'pi', restartCount: restarts }] } : {}),
  }
}

let generated = 0
const generators = {
  newUid: () => `u${++generated}`,
  newName: (prefix: string) => `${prefix}${(++generated).toString(36).padStart(5, '0')}`,
}

function plan(j: KubeObject, pods: KubeObject[], now = at(100)): Plan {
  return planJob({ job: deepFreeze(j), pods: deepFreeze(pods), now, ...generators })
}

const ops = (p: Plan, op: ApiCommand['op']) => p.commands.filter((c) => c.op === op)
const created = (p: Plan) => ops(p, 'create').map((c) => (c as { object: KubeObject }).object)
const deletedNames = (p: Plan) => ops(p, 'delete').map((c) => (c as { name: string }).name)
const statusOf = (p: Plan) =>
  ops(p, 'update')
    .map((c) => c as Extract<ApiCommand, { op: 'update' }>)
    .find((c) => c.subresource === 'status')?.object.status as Json | undefined
const conditionTypes = (status: Json | undefined) =>
  ((status?.conditions as Json[] | undefined) ?? []).map((c) => `${c.type}=${c.status}`)
const reasons = (p: Plan) => p.events.map((e) => e.reason)

// --- single plans -------------------------------------------------------------------------------

test('creates parallelism pods from the template, labelled and owned by the Job; starts the clock', () => {
  const p = plan(job({ parallelism: 2, completions: 5 }), [])
  const pods = created(p)
  assert.is(pods.length, 2)
  for (const made of pods) {
    assert.equal(made.metadata.labels, jobLabels)
    assert.is(made.metadata.generateName, 'pi-')
    assert.equal(made.metadata.ownerReferences, [
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        name: 'pi',
        uid: 'job-uid',
        controller: true,
        blockOwnerDeletion: true,
      },
    ])
    assert.is(made.metadata.creationTimestamp, at(100))
    assert.is((made.status as Json).phase, 'Pending')
  }
  assert.equal(
    p.events.map((e) => [e.reason, e.message, e.component]),
    pods.map((made) => ['SuccessfulCreate', `Created pod: ${made.metadata.name}`, 'job-controller']),
  )
  assert.equal(statusOf(p), { startTime: at(100), active: 2, ready: 0, terminating: 0 })
})

test('never runs more pods than the completions still missing', () => {
  const pods = [pod('a', { phase: 'Succeeded' }), pod('b', { phase: 'Succeeded' }), pod('c', { ready: true })]
  const p = plan(job({ parallelism: 5, completions: 4 }, { startTime: at(0) }), pods)
  assert.is(created(p).length, 1, '4 completions - 2 succeeded - 1 running')
  assert.equal(statusOf(p), { startTime: at(0), active: 2, ready: 1, terminating: 0, succeeded: 2 })
  const surplus = plan(job({ parallelism: 1, completions: 4 }, { startTime: at(0) }), [
    ...pods,
    pod('d', { ready: true }),
    pod('e'),
  ])
  assert.equal(deletedNames(surplus), ['e', 'c'], 'not ready before ready, down to parallelism')
  assert.equal(created(surplus), [])
})

test('a work queue (no completions) starts no pod after one succeeded and completes when all stopped', () => {
  const queue = (status?: Json) => job({ parallelism: 3, completions: null }, status)
  assert.is(created(plan(queue(), [])).length, 3)
  const running = plan(queue({ startTime: at(0) }), [pod('a', { phase: 'Succeeded' }), pod('b'), pod('c')])
  assert.equal(created(running), [], 'one succeeded: those running finish, no new ones')
  assert.equal(conditionTypes(statusOf(running)), [])
  const done = plan(queue({ startTime: at(0) }), [
    pod('a', { phase: 'Succeeded' }),
    pod('b', { phase: 'Failed' }),
  ])
  assert.equal(conditionTypes(statusOf(done)), ['SuccessCriteriaMet=True', 'Complete=True'])
  assert.is(statusOf(done)?.succeeded, 1)
  assert.is(statusOf(done)?.failed, 1)
})

test('completes: the interim and terminal conditions, completionTime, one Completed event', () => {
  const p = plan(job({ completions: 2 }, { startTime: at(0), active: 1 }), [
    pod('a', { phase: 'Succeeded' }),
    pod('b', { phase: 'Succeeded' }),
  ])
  const status = statusOf(p)!
  assert.equal(status.conditions, [
    {
      type: 'SuccessCriteriaMet',
      status: 'True',
      lastProbeTime: at(100),
      lastTransitionTime: at(100),
      reason: 'CompletionsReached',
      message: 'Reached expected number of succeeded pods',
    },
    {
      type: 'Complete',
      status: 'True',
      lastProbeTime: at(100),
      lastTransitionTime: at(100),
      reason: 'CompletionsReached',
      message: 'Reached expected number of succeeded pods',
    },
  ])
  assert.is(status.completionTime, at(100))
  assert.is(status.active, undefined)
  assert.equal(reasons(p), ['Completed'])
  assert.equal(p.events[0]!.message, 'Job completed')
  // Finished: nothing more, whatever the pods do.
  const finished = job({ completions: 2 }, status)
  assert.ok(isJobFinished(finished))
  assert.equal(plan(finished, [pod('a', { phase: 'Failed' })]), { commands: [], events: [] })
})

test('more failed pods than backoffLimit fails the Job and deletes the pods still running', () => {
  const pods = [pod('f1', { phase: 'Failed' }), pod('f2', { phase: 'Failed' }), pod('run', { ready: true })]
  const p = plan(job({ backoffLimit: 1, parallelism: 2, completions: 3 }, { startTime: at(0) }), pods)
  assert.equal(deletedNames(p), ['run'])
  assert.equal(created(p), [])
  const status = statusOf(p)!
  assert.equal(conditionTypes(status), ['FailureTarget=True', 'Failed=True'])
  const failed = (status.conditions as Json[])[1]!
  assert.equal(
    [failed.reason, failed.message],
    ['BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
  )
  assert.is(status.failed, 2)
  assert.is(status.completionTime, undefined, 'only a Complete Job has a completionTime')
  assert.equal(reasons(p), ['SuccessfulDelete', 'BackoffLimitExceeded'])
  assert.is(p.events[0]!.message, 'Deleted pod: run')
  assert.is(p.events[1]!.type, 'Warning')
  // At the limit, not over it: retried.
  const retry = plan(
    job({ backoffLimit: 2, completions: 1 }, { startTime: at(0) }),
    pods.slice(0, 2),
    at(1000),
  )
  assert.is(created(retry).length, 1)
})

test('restartPolicy OnFailure: container restarts count against the backoff limit', () => {
  const onFailure = (backoffLimit: number) =>
    job({
      backoffLimit,
      template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'pi', image: 'perl:5' }] } },
    })
  const restarting = [pod('a', { restarts: 2 })]
  assert.equal(conditionTypes(statusOf(plan(onFailure(2), restarting))), [
    'FailureTarget=True',
    'Failed=True',
  ])
  assert.equal(conditionTypes(statusOf(plan(onFailure(3), restarting))), [])
})

test('a failed pod is replaced after the failure backoff, which doubles with each failure since a success', () => {
  const spec = { completions: 1, backoffLimit: 6 }
  const one = [pod('f1', { phase: 'Failed', finishedAt: 100 })]
  const waiting = plan(job(spec, { startTime: at(0) }), one, at(105))
  assert.equal(created(waiting), [])
  assert.is(waiting.recheckAt, at(110))
  assert.is(created(plan(job(spec, { startTime: at(0) }), one, at(110))).length, 1)
  const three = [
    ...one,
    pod('f2', { phase: 'Failed', finishedAt: 120 }),
    pod('f3', { phase: 'Failed', finishedAt: 150 }),
  ]
  assert.is(
    plan(job(spec, { startTime: at(0) }), three, at(151)).recheckAt,
    at(190),
    '10 s × 2 × 2 after the last',
  )
  // A success since resets it.
  const succeededSince = [...three, pod('ok', { phase: 'Succeeded', finishedAt: 160 })]
  const again = plan(job({ completions: 2, backoffLimit: 6 }, { startTime: at(0) }), succeededSince, at(161))
  assert.is(created(again).length, 1)
})

test('activeDeadlineSeconds: a recheck at the deadline, then DeadlineExceeded and the pods deleted', () => {
  const spec = { activeDeadlineSeconds: 60, parallelism: 2, completions: 4 }
  const running = [pod('a', { ready: true }), pod('b')]
  const before = plan(job(spec, { startTime: at(10), active: 2, ready: 1, terminating: 0 }), running, at(50))
  assert.equal(before.commands, [])
  assert.is(before.recheckAt, at(70))
  const after = plan(job(spec, { startTime: at(10), active: 2 }), running, at(70))
  assert.equal(deletedNames(after).sort(), ['a', 'b'])
  const failed = (statusOf(after)!.conditions as Json[]).find((c) => c.type === 'Failed')!
  assert.equal(
    [failed.reason, failed.message],
    ['DeadlineExceeded', 'Job was active longer than specified deadline'],
  )
  assert.equal(reasons(after), ['SuccessfulDelete', 'SuccessfulDelete', 'DeadlineExceeded'])
  // The first plan starts the clock and sets the recheck from it.
  assert.is(plan(job(spec), [], at(5)).recheckAt, at(65))
})

test('suspended: pods deleted, Suspended condition, no startTime; resuming restarts the deadline clock', () => {
  const spec = { suspend: true, parallelism: 2, completions: 2, activeDeadlineSeconds: 30 }
  const fresh = plan(job(spec), [])
  assert.equal(created(fresh), [])
  assert.is(statusOf(fresh)?.startTime, undefined)
  assert.equal(conditionTypes(statusOf(fresh)), ['Suspended=True'])
  assert.is(fresh.recheckAt, undefined, 'the deadline does not run while suspended')
  const suspending = plan(job(spec, { startTime: at(0), active: 1 }), [pod('a', { ready: true })], at(100))
  assert.equal(deletedNames(suspending), ['a'])
  assert.equal(reasons(suspending), ['SuccessfulDelete', 'Suspended'])
  const suspended = statusOf(suspending)!
  assert.equal(conditionTypes(suspended), ['Suspended=True'])
  // Resumed long after the deadline would have passed: not failed, the clock starts again.
  const resumed = plan(job({ ...spec, suspend: false }, suspended), [], at(500))
  const status = statusOf(resumed)!
  assert.equal(conditionTypes(status), ['Suspended=False'])
  const condition = (status.conditions as Json[])[0]!
  assert.equal([condition.reason, condition.message], ['JobResumed', 'Job resumed'])
  assert.is(status.startTime, at(500))
  assert.is(created(resumed).length, 2)
  assert.equal(reasons(resumed), ['SuccessfulCreate', 'SuccessfulCreate', 'Resumed'])
  assert.is(resumed.recheckAt, at(530))
})

test('counters never go below the status: a finished pod deleted by a user still counts', () => {
  const p = plan(job({ completions: 5, parallelism: 5 }, { startTime: at(0), succeeded: 3, failed: 2 }), [
    pod('a', { phase: 'Succeeded' }),
  ])
  assert.is(created(p).length, 2, '5 completions - 3 counted')
  assert.equal([statusOf(p)?.succeeded, statusOf(p)?.failed], [3, 2])
})

test('claims matching orphans and releases owned pods that no longer match', () => {
  const pods = [
    pod('orphan', { owner: null }),
    pod('orphan-done', { owner: null, phase: 'Succeeded' }),
    pod('stranger', { owner: null, labels: { app: 'pi' } }),
    pod('someone-elses', { owner: 'other' }),
    pod('relabelled', { labels: { app: 'pi' } }),
  ]
  const p = plan(job({ parallelism: 2, completions: 2 }, { startTime: at(0) }), pods)
  const updates = ops(p, 'update').map((c) => c as Extract<ApiCommand, { op: 'update' }>)
  const pods_ = updates.filter((u) => u.resource.plural === 'pods')
  assert.equal(pods_.map((u) => u.object.metadata.name).sort(), ['orphan', 'relabelled'])
  const adoption = pods_.find((u) => u.object.metadata.name === 'orphan')!
  assert.is(adoption.object.metadata.ownerReferences?.[0]?.uid, 'job-uid')
  assert.equal(adoption.expected, { resourceVersion: '5', uid: 'uid-orphan' })
  assert.is(
    pods_.find((u) => u.object.metadata.name === 'relabelled')!.object.metadata.ownerReferences,
    undefined,
  )
  assert.is(created(p).length, 1, 'the adopted orphan runs; one more for parallelism 2')
  assert.is(statusOf(p)?.succeeded, undefined, 'a finished orphan is not adopted')
})

test('a Job being deleted creates, adopts and releases nothing', () => {
  const j = job({ parallelism: 3 }, { startTime: at(0) }, { deletionTimestamp: at(50), finalizers: ['x'] })
  const p = plan(j, [pod('orphan', { owner: null }), pod('relabelled', { labels: { app: 'pi' } })])
  assert.equal(
    p.commands.map((c) => [c.op, (c as { resource: { plural: string } }).resource.plural]),
    [['update', 'jobs']],
  )
})

test('a terminating pod is replaced at once, unless podReplacementPolicy is Failed', () => {
  const pods = [pod('leaving', { deleting: true })]
  const status = { startTime: at(0), ready: 0, terminating: 1 }
  const replaced = plan(job({ completions: 1 }, status), pods)
  assert.is(created(replaced).length, 1)
  assert.is(statusOf(replaced)?.terminating, 1)
  const waiting = plan(job({ completions: 1, podReplacementPolicy: 'Failed' }, status), pods)
  assert.equal(waiting.commands, [])
})

test('the terminal condition waits for pods with finalizers to be gone', () => {
  const pods = [pod('f1', { phase: 'Failed' }), pod('run', { finalizers: ['example.com/keep'] })]
  const failing = plan(job({ backoffLimit: 0 }, { startTime: at(0) }), pods)
  assert.equal(deletedNames(failing), ['run'])
  assert.equal(conditionTypes(statusOf(failing)), ['FailureTarget=True'])
  assert.is(statusOf(failing)?.terminating, 1)
  assert.equal(reasons(failing), ['SuccessfulDelete'])
  const terminating = [pods[0]!, pod('run', { deleting: true })]
  const waiting = plan(job({ backoffLimit: 0 }, statusOf(failing)), terminating)
  assert.equal(waiting.commands, [], 'still terminating: nothing new')
  const gone = plan(job({ backoffLimit: 0 }, statusOf(failing)), [pods[0]!], at(200))
  assert.equal(conditionTypes(statusOf(gone)), ['FailureTarget=True', 'Failed=True'])
  assert.equal(reasons(gone), ['BackoffLimitExceeded'])
})

test('Indexed: one pod per pending index, named and annotated by it, completedIndexes counted', () => {
  const spec = { completionMode: 'Indexed', completions: 5, parallelism: 3 }
  const pods = [pod('pi-0-x', { index: 0, phase: 'Succeeded' }), pod('pi-2-x', { index: 2, ready: true })]
  const p = plan(job(spec, { startTime: at(0) }), pods)
  const made = created(p)
  assert.equal(
    made.map((m) => m.metadata.annotations?.[completionIndexAnnotation]),
    ['1', '3'],
  )
  const first = made[0]!
  assert.is(first.metadata.generateName, 'pi-1-')
  assert.ok(first.metadata.name?.startsWith('pi-1-'))
  assert.is(first.metadata.labels?.[completionIndexAnnotation], '1')
  const spec0 = first.spec as { hostname: string; containers: Json[] }
  assert.is(spec0.hostname, 'pi-1')
  assert.equal(spec0.containers[0]!.env, [
    {
      name: 'JOB_COMPLETION_INDEX',
      valueFrom: {
        fieldRef: { fieldPath: `metadata.annotations['${completionIndexAnnotation}']`, apiVersion: 'v1' },
      },
    },
  ])
  assert.equal([statusOf(p)?.succeeded, statusOf(p)?.completedIndexes], [1, '0'])
  // Duplicates of an index and pods of a done index go; the status keeps indexes whose pods are gone.
  const messy = [
    pod('dup-a', { index: 1, ready: true }),
    pod('dup-b', { index: 1 }),
    pod('late', { index: 3 }),
  ]
  const cleaned = plan(job(spec, { startTime: at(0), completedIndexes: '0,3', succeeded: 2 }), messy)
  assert.equal(deletedNames(cleaned).sort(), ['dup-b', 'late'])
  assert.equal(created(cleaned), [], 'a plan deletes or creates, not both')
  assert.equal(statusOf(cleaned)?.completedIndexes, '0,3')
})

test('completedIndexes round-trip in the compressed form', () => {
  assert.is(formatIndexes([0, 1, 2, 4, 6, 7]), '0-2,4,6-7')
  assert.equal(parseIndexes('0-2,4,6-9', 8), [0, 1, 2, 4, 6, 7])
  assert.equal(parseIndexes('', 3), [])
})

test('one plan writes at most jobPodWritesPerPlanMax pods', () => {
  const p = plan(job({ parallelism: 2000, completions: 2000 }), [])
  assert.is(created(p).length, jobPodWritesPerPlanMax)
})

test('ttlSecondsAfterFinished: a recheck until it passes, then the Job is deleted', () => {
  const finished = (ttl: number) =>
    job(
      { ttlSecondsAfterFinished: ttl },
      {
        completionTime: at(100),
        conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: at(100) }],
      },
    )
  assert.equal(plan(finished(60), [], at(120)), { commands: [], events: [], recheckAt: at(160) })
  const expired = plan(finished(60), [], at(160))
  assert.equal(expired.commands, [
    {
      op: 'delete',
      resource: jobsResource,
      namespace,
      name: 'pi',
      propagation: 'Background',
      expected: { resourceVersion: '10', uid: 'job-uid' },
      now: at(160),
    },
  ])
  // A failed Job counts from its Failed condition; a recheck is set when it finishes.
  const failed = job(
    { ttlSecondsAfterFinished: 0 },
    { conditions: [{ type: 'Failed', status: 'True', lastTransitionTime: at(90) }] },
  )
  assert.is(ops(plan(failed, [], at(90)), 'delete').length, 1)
  const finishing = plan(job({ ttlSecondsAfterFinished: 30 }, { startTime: at(0) }), [
    pod('a', { phase: 'Succeeded' }),
  ])
  assert.is(finishing.recheckAt, at(130))
})

test('nothing to do, nothing written', () => {
  const status = { startTime: at(0), active: 1, ready: 1, terminating: 0 }
  assert.equal(plan(job({}, status), [pod('a', { ready: true })]), { commands: [], events: [] })
})

// --- against the store ----------------------------------------------------------------------------

const namespaceResource = {
  group: '',
  plural: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
  hasStatus: true,
}

class Cluster {
  readonly store = new ObjectStore()
  nowMs = t0
  #index = 1
  completedEvents = 0
  failedEvents = 0
  constructor(spec: Json) {
    this.apply([
      {
        op: 'create',
        resource: namespaceResource,
        object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, uid: 'ns' } },
      },
    ])
    const { resourceVersion: _rv, generation: _g, ...metadata } = job(spec).metadata
    this.apply([{ op: 'create', resource: jobsResource, object: { ...job(spec), metadata } }])
  }
  get now(): string {
    return formatTime(this.nowMs)
  }
  apply(commands: readonly ApiCommand[]): boolean {
    const { result } = this.store.apply(this.#index++, { op: 'batch', commands, atomic: true })
    return result.ok
  }
  job = () => this.store.get(jobsResource, namespace, 'pi')
  pods = () => this.store.list(podsResource, namespace)
  status = () => (this.job()?.status ?? {}) as Json
  plan(): Plan {
    const current = this.job()
    if (current === undefined) return { commands: [], events: [] }
    return planJob({ job: deepFreeze(current), pods: deepFreeze(this.pods()), now: this.now, ...generators })
  }
  /** Plans and applies until a plan has nothing to write; returns the last plan. */
  settle(roundsMax = 10): Plan {
    for (let round = 0; round < roundsMax; round++) {
      const p = this.plan()
      this.completedEvents += p.events.filter((e) => e.reason === 'Completed').length
      this.failedEvents += p.events.filter(
        (e) => e.type === 'Warning' && e.reason !== 'TooManySucceededPods',
      ).length
      if (p.commands.length === 0) return p
      assert.ok(this.apply(p.commands), 'a plan made from the current state applies')
      assert.ok(this.apply(p.events.map((e) => eventCommand(e, { now: this.now, ...generators }))))
    }
    throw new Error(`no convergence in ${roundsMax} plans`)
  }
  /** What a kubelet would report: the pod's phase, readiness and finish time. */
  setPod(target: KubeObject, phase: string, ready = false): void {
    const now = (this.nowMs - t0) / 1000
    const finished = phase === 'Succeeded' || phase === 'Failed'
    const status = podStatus(phase, ready, finished ? now : undefined)
    assert.ok(
      this.apply([
        {
          op: 'update',
          resource: podsResource,
          object: { ...target, status },
          subresource: 'status',
          now: this.now,
        },
      ]),
    )
  }
  advance(seconds: number): void {
    this.nowMs += seconds * 1000
  }
  advanceTo(time: string | undefined): void {
    if (time !== undefined) this.nowMs = Math.max(this.nowMs, Date.parse(time))
  }
}

test('in the store: pods run to completion over several plans, then nothing is left to do', () => {
  const cluster = new Cluster({ parallelism: 2, completions: 3 })
  cluster.settle()
  assert.is(cluster.pods().length, 2)
  assert.equal([cluster.status().active, cluster.status().startTime], [2, cluster.now])
  for (const p of cluster.pods()) cluster.setPod(p, 'Running', true)
  cluster.settle()
  assert.is(cluster.status().ready, 2)
  cluster.advance(30)
  for (const p of cluster.pods()) cluster.setPod(p, 'Succeeded')
  cluster.settle()
  const running = cluster.pods().filter((p) => (p.status as Json).phase === 'Pending')
  assert.is(running.length, 1, 'one completion left, one pod')
  cluster.advance(30)
  cluster.setPod(running[0]!, 'Succeeded')
  const last = cluster.settle()
  assert.ok(isJobFinished(cluster.job()!))
  assert.is(cluster.status().succeeded, 3)
  assert.is(cluster.status().completionTime, cluster.now)
  assert.is(cluster.completedEvents, 1)
  assert.equal(last, { commands: [], events: [] })
  assert.is(cluster.pods().length, 3, 'finished pods are kept')
})

test('in the store: the TTL deletes the finished Job and its pods with it', () => {
  const cluster = new Cluster({ completions: 1, ttlSecondsAfterFinished: 100 })
  cluster.settle()
  cluster.setPod(cluster.pods()[0]!, 'Succeeded')
  const finished = cluster.settle()
  assert.is(finished.recheckAt, formatTime(cluster.nowMs + 100_000))
  cluster.advanceTo(finished.recheckAt)
  cluster.settle()
  assert.is(cluster.job(), undefined)
  assert.equal(cluster.pods(), [])
})

test('in the store: a plan made from a state that has moved on is refused', () => {
  const cluster = new Cluster({ parallelism: 1, completions: 2 })
  cluster.settle()
  const first = cluster.pods()[0]!
  cluster.setPod(first, 'Succeeded')
  const stale = cluster.plan()
  assert.is(created(stale).length, 1)
  assert.ok(cluster.apply(stale.commands))
  // Applied a second time (a deposed leader's copy, say): the Job has moved on, all is refused.
  assert.is(cluster.apply(stale.commands), false)
  assert.is(cluster.pods().length, 2)
})

// --- randomized -----------------------------------------------------------------------------------

const seed = process.env.SEED === undefined ? Date.now() % 1_000_000_000 : Number(process.env.SEED)
const scenarios = 60
const randomRoundsMax = 40
const drainRoundsMax = 60

function randomSpec(random: () => number): Json {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const indexed = random() < 0.3
  const completions = indexed ? pick([1, 3, 5]) : pick([null, 1, 2, 4, 7])
  return {
    parallelism: pick([1, 2, 3, 5]),
    completions,
    ...(indexed ? { completionMode: 'Indexed' } : {}),
    backoffLimit: pick([0, 1, 3, 6]),
    ...(random() < 0.3 ? { activeDeadlineSeconds: pick([60, 300, 1000]) } : {}),
    ...(random() < 0.2 ? { suspend: true } : {}),
  }
}

const phase = (p: KubeObject) => (p.status as Json).phase
const isActivePod = (p: KubeObject) => phase(p) !== 'Succeeded' && phase(p) !== 'Failed'

/** The invariants after a settled plan; returns the counters to compare the next ones with. */
function checkInvariants(cluster: Cluster, spec: Json, last: [number, number]): [number, number] {
  const pods = cluster.pods()
  const active = pods.filter(isActivePod)
  const status = cluster.status()
  const succeeded = Number(status.succeeded ?? 0)
  const failed = Number(status.failed ?? 0)
  const parallelism = spec.parallelism as number
  assert.ok(active.length <= parallelism, `active ${active.length} > parallelism ${parallelism}`)
  if (typeof spec.completions === 'number') {
    const succeededPods = pods.filter((p) => phase(p) === 'Succeeded').length
    assert.ok(
      succeededPods <= spec.completions,
      `${succeededPods} pods succeeded for ${spec.completions} completions`,
    )
    assert.ok(active.length + succeeded <= spec.completions, 'more pods running than completions missing')
  }
  assert.ok(succeeded >= last[0] && failed >= last[1], 'a counter went back')
  assert.ok(cluster.completedEvents + cluster.failedEvents <= 1, 'finished more than once')
  if (isJobFinished(cluster.job()!)) assert.equal(active, [], 'a finished Job has no pod running')
  return [succeeded, failed]
}

/** The world moves: pods start, succeed or fail, the Job is (un)suspended, a user deletes a pod. */
function randomWorld(cluster: Cluster, random: () => number): void {
  for (const p of cluster.pods().filter(isActivePod)) {
    const draw = random()
    if (draw < 0.25) cluster.setPod(p, 'Running', true)
    else if (draw < 0.55) cluster.setPod(p, 'Succeeded')
    else if (draw < 0.7) cluster.setPod(p, 'Failed')
  }
  const current = cluster.job()!
  if (random() < 0.1) {
    const flipped = {
      ...current,
      spec: { ...(current.spec as Json), suspend: !(current.spec as Json).suspend },
    }
    cluster.apply([
      { op: 'update', resource: jobsResource, object: flipped, subresource: null, now: cluster.now },
    ])
  }
  const done = cluster.pods().find((p) => !isActivePod(p))
  if (done !== undefined && random() < 0.05) {
    const name = done.metadata.name!
    cluster.apply([
      { op: 'delete', resource: podsResource, namespace, name, propagation: 'Background', now: cluster.now },
    ])
  }
}

/** One random life of a Job, then a calm end in which every pod succeeds; throws on a broken invariant. */
function randomRun(runSeed: number): void {
  const random = mulberry32(runSeed)
  const spec = randomSpec(random)
  const cluster = new Cluster(spec)
  let last: [number, number] = [0, 0]
  for (let round = 0; round < randomRoundsMax; round++) {
    const settled = cluster.settle()
    last = checkInvariants(cluster, spec, last)
    randomWorld(cluster, random)
    if (random() < 0.5) cluster.advanceTo(settled.recheckAt)
    cluster.advance(Math.floor(random() * 40))
  }
  const current = cluster.job()!
  const resumed = { ...current, spec: { ...(current.spec as Json), suspend: false } }
  cluster.apply([
    { op: 'update', resource: jobsResource, object: resumed, subresource: null, now: cluster.now },
  ])
  for (let round = 0; round < drainRoundsMax && !isJobFinished(cluster.job()!); round++) {
    const settled = cluster.settle()
    last = checkInvariants(cluster, spec, last)
    for (const p of cluster.pods().filter(isActivePod)) cluster.setPod(p, 'Succeeded')
    cluster.advanceTo(settled.recheckAt)
    cluster.advance(1)
  }
  cluster.settle()
  checkInvariants(cluster, spec, last)
  assert.ok(isJobFinished(cluster.job()!), 'the Job never finished')
  assert.is(cluster.completedEvents + cluster.failedEvents, 1, 'finished exactly once')
}

test(`randomized: parallelism, completions, single finish (seed ${seed})`, () => {
  for (let i = 0; i < scenarios; i++) {
    const runSeed = (seed + i * 7919) >>> 0
    try {
      randomRun(runSeed)
    } catch (error) {
      console.log(
        `job plan: a randomized run failed; reproduce with SEED=${seed} (scenario ${i}, run seed ${runSeed})`,
      )
      throw error
    }
  }
})

test.run()
