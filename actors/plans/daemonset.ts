// The DaemonSet controller's plan, after Kubernetes' `pkg/controller/daemon`: one pod on every
// node the pod template fits (node selector, required node affinity, and every NoSchedule and
// NoExecute taint tolerated, with the tolerations Kubernetes gives daemon pods), bound to its node
// directly; the pods of nodes that should not run one, or are gone, deleted; failed pods replaced;
// old pods replaced within maxUnavailable (or beside a surge pod) on a RollingUpdate; and the
// status `kubectl rollout status daemonset` reads. There are no ControllerRevisions here: the
// template's hash is the revision. Level-triggered: it reads only the state it is given.

import type { KubeObject, LabelSelector } from '../../core/api/object.ts'
import { labelMatcher, SelectorError } from '../../core/api/selectors.ts'
import type { ApiCommand, ResourceRef } from '../../core/api/store.ts'
import { matchesNodeTerm, tolerated } from '../scheduler-filters.ts'
import { decodeNode, decodePod, type PodInfo } from '../scheduler-model.ts'
import {
  adopted,
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
  updateCommand,
} from './plan.ts'
import { isPodAvailable, isPodReady, podAvailableAtMs, podFromTemplate, podPhase } from './pods.ts'
import { scaledValue } from './rollout.ts'
import { controllerRevisionHashLabel, podTemplateHash } from './template-hash.ts'

export const daemonSetsResource: ResourceRef = resourceOf('apps/v1', 'DaemonSet')

/** Pod writes (creates, deletes, adoptions, releases) of one plan at most, as upstream's `BurstReplicas`. */
export const podWritesPerPlanMax = 250

export { controllerRevisionHashLabel }
export const podTemplateGenerationLabel = 'pod-template-generation'

const component = 'daemonset-controller'

/**
 * What Kubernetes adds to every daemon pod (`AddOrUpdateDaemonPodTolerations`): a daemon survives
 * its node going not-ready or unreachable, and runs despite pressure and cordons.
 */
const daemonTolerations: readonly Record<string, string>[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
]
/** Only a host-network daemon can run where the pod network is not up (upstream's rule). */
const hostNetworkToleration = {
  key: 'node.kubernetes.io/network-unavailable',
  operator: 'Exists',
  effect: 'NoSchedule',
}

export interface DaemonSetPlanInput {
  daemonSet: KubeObject
  /** The pods of the DaemonSet's namespace (all of them: claiming looks at orphans too). */
  pods: readonly KubeObject[]
  /** Every Node of the cluster. */
  nodes: readonly KubeObject[]
  /** The leader's time, RFC 3339. */
  now: string
  newUid: () => string
  /** A name from a `generateName` prefix, as the API server makes them. */
  newName: (prefix: string) => string
}

export interface DaemonSetStatus {
  desiredNumberScheduled: number
  currentNumberScheduled: number
  numberMisscheduled: number
  numberReady: number
  updatedNumberScheduled: number
  numberAvailable: number
  numberUnavailable: number
  observedGeneration?: number
  [key: string]: unknown
}

/** Upstream's `NodeShouldRunDaemonPod`: whether a new daemon pod goes there, and whether one there stays. */
export interface NodeFit {
  shouldRun: boolean
  shouldContinueRunning: boolean
}

/** A pod to delete and, for a failed or succeeded one, the event saying why. */
interface Deletion {
  pod: KubeObject
  event?: PlanEvent
}

interface Context {
  ds: KubeObject
  hash: string
  nowMs: number
  minReadySeconds: number
  /** The nodes in the order given, with their fit. */
  nodes: readonly { name: string; fit: NodeFit }[]
  fits: ReadonlyMap<string, NodeFit>
  /** The daemon pods by the node they are for, but finished pods already being deleted. */
  podsByNode: ReadonlyMap<string, KubeObject[]>
  surge: boolean
}

export function planDaemonSet(input: DaemonSetPlanInput): Plan {
  const { daemonSet: ds, now } = input
  const nowMs = requireTime(now)
  // Upstream leaves a DaemonSet being deleted alone, status too: the collector removes its pods.
  if (ds.metadata.deletionTimestamp) return { commands: [], events: [] }
  const spec = isObject(ds.spec) ? ds.spec : {}
  if (selectsEverything(spec.selector)) {
    const message = 'This daemon set is selecting all pods. A non-empty selector is required.'
    return { commands: [], events: [event(ds, 'SelectingAll', message, 'Warning')] }
  }

  // Claiming writes the pods it adopts or releases, so it goes alone: a later write to the same pod
  // in the same batch would fail the batch on the resourceVersion the claim changes.
  const { owned, claims } = claimPods(ds, input.pods, now)
  if (claims.length > 0) return { commands: claims.slice(0, podWritesPerPlanMax), events: [] }

  const template = isObject(spec.template) ? spec.template : {}
  const fitOf = daemonNodeFit(ds)
  const nodes = input.nodes.map((node) => ({ name: node.metadata.name ?? '', fit: fitOf(node) }))
  const context: Context = {
    ds,
    hash: podTemplateHash(template),
    nowMs,
    minReadySeconds: count(spec.minReadySeconds),
    nodes,
    fits: new Map(nodes.map((n) => [n.name, n.fit])),
    podsByNode: podsByNode(owned),
    surge: rollingUpdate(ds) && maxSurgeOf(ds, 1) > 0,
  }

  let { deletions, createOn } = manage(context)
  // As upstream, a rolling update step waits until the basic loop has nothing left to do.
  if (deletions.length + createOn.length === 0 && rollingUpdate(ds)) {
    ;({ deletions, createOn } = context.surge ? surgingUpdate(context) : unavailableUpdate(context))
  }
  deletions = deletions.slice(0, podWritesPerPlanMax)
  createOn = createOn.slice(0, podWritesPerPlanMax - deletions.length)

  const commands: ApiCommand[] = []
  const events: PlanEvent[] = []
  for (const { pod, event: why } of deletions) {
    if (why) events.push(why)
    commands.push(deleteCommand(podsResource, pod, now))
    events.push(event(ds, 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`))
  }
  const podTemplate = daemonPodTemplate(template)
  const labels = {
    [controllerRevisionHashLabel]: context.hash,
    ...(ds.metadata.generation === undefined
      ? {}
      : { [podTemplateGenerationLabel]: String(ds.metadata.generation) }),
  }
  for (const nodeName of createOn) {
    const pod = podFromTemplate(ds, podTemplate, input, { labels, nodeName })
    commands.push({ op: 'create', resource: podsResource, object: pod })
    events.push(event(ds, 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`))
  }

  // The status counts the pods that remain once this plan's deletions are done; the pods it
  // creates are counted when they exist, at the next plan.
  const gone = new Set(deletions.map((d) => d.pod))
  const status = daemonSetStatus(context, gone)
  if (!statusCurrent(ds, status)) {
    commands.push(updateCommand(daemonSetsResource, ds, { ...ds, status }, 'status', now))
  }
  const recheckAt = nextAvailableMs(context, gone)
  return { commands, events, ...(recheckAt === undefined ? {} : { recheckAt: formatTime(recheckAt) }) }
}

// --- which nodes ----------------------------------------------------------------------------

/** The template with the daemon tolerations added or, where the user wrote the same one, put in its place. */
export function daemonPodTemplate(template: unknown): Record<string, unknown> {
  const copy = isObject(template) ? structuredClone(template) : {}
  const spec = isObject(copy.spec) ? copy.spec : {}
  copy.spec = spec
  const tolerations = (Array.isArray(spec.tolerations) ? spec.tolerations : []) as unknown[]
  const wanted = spec.hostNetwork === true ? [...daemonTolerations, hostNetworkToleration] : daemonTolerations
  for (const toleration of wanted) {
    // Upstream's `MatchToleration`: the same key, operator, value and effect.
    const same = (t: unknown) =>
      isObject(t) &&
      (t.key ?? '') === toleration.key &&
      (t.operator ?? '') === toleration.operator &&
      (t.value ?? '') === '' &&
      (t.effect ?? '') === toleration.effect
    const at = tolerations.findIndex(same)
    if (at >= 0) tolerations[at] = { ...toleration }
    else tolerations.push({ ...toleration })
  }
  spec.tolerations = tolerations
  return copy
}

/**
 * Upstream's `NodeShouldRunDaemonPod` for the DaemonSet's pod: a node must match the template's
 * nodeName, node selector and required node affinity; with a NoSchedule or NoExecute taint the
 * pod does not tolerate, no new pod goes there, and one already there stays unless the taint is
 * NoExecute. Taints include those the node's conditions stand for (not-ready, unreachable...), so
 * a node lost to the cluster gets no new daemon pod but keeps the one it has. Resources and ports
 * are the scheduler's business, as upstream.
 */
export function daemonNodeFit(ds: KubeObject): (node: KubeObject) => NodeFit {
  const spec = isObject(ds.spec) ? ds.spec : {}
  const template = daemonPodTemplate(spec.template)
  const podSpec = isObject(template.spec) ? template.spec : {}
  const wantedNode = typeof podSpec.nodeName === 'string' ? podSpec.nodeName : ''
  const pod = decodePod({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: ds.metadata.namespace ?? '' },
    spec: podSpec,
  })
  return (object) => {
    const node = decodeNode(object)
    if ((wantedNode !== '' && wantedNode !== node.name) || !fitsNodeAffinity(pod, node)) {
      return { shouldRun: false, shouldContinueRunning: false }
    }
    const untolerated = node.taints.filter(
      (t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerated(pod.tolerations, t),
    )
    return {
      shouldRun: untolerated.length === 0,
      shouldContinueRunning: untolerated.every((t) => t.effect !== 'NoExecute'),
    }
  }
}

function fitsNodeAffinity(pod: PodInfo, node: ReturnType<typeof decodeNode>): boolean {
  for (const [key, value] of Object.entries(pod.nodeSelector)) {
    if (node.labels[key] !== value) return false
  }
  return pod.requiredNodeTerms === null || pod.requiredNodeTerms.some((term) => matchesNodeTerm(term, node))
}

// --- claiming -------------------------------------------------------------------------------

/**
 * Upstream's `ClaimPods`: the DaemonSet's own pods that its selector matches, adopting matching
 * orphans (not those being deleted) and releasing its pods the selector no longer matches.
 */
function claimPods(
  ds: KubeObject,
  pods: readonly KubeObject[],
  now: string,
): { owned: KubeObject[]; claims: ApiCommand[] } {
  const spec = isObject(ds.spec) ? ds.spec : {}
  const matches = selectorMatcher(spec.selector)
  const namespace = ds.metadata.namespace ?? ''
  const uid = ds.metadata.uid ?? ''
  const owned: KubeObject[] = []
  const claims: ApiCommand[] = []
  for (const pod of pods) {
    if ((pod.metadata.namespace ?? '') !== namespace) continue
    const owner = controllerOf(pod)
    const match = matches(pod.metadata.labels)
    if (owner !== undefined) {
      if (owner.uid !== uid) continue
      if (match) owned.push(pod)
      else claims.push(updateCommand(podsResource, pod, released(pod, uid), null, now))
    } else if (match && !pod.metadata.deletionTimestamp) {
      claims.push(updateCommand(podsResource, pod, adopted(pod, ds), null, now))
    }
  }
  return { owned, claims }
}

function selectorMatcher(selector: unknown): (labels?: Record<string, string>) => boolean {
  try {
    return labelMatcher(isObject(selector) ? (selector as LabelSelector) : undefined)
  } catch (error) {
    if (error instanceof SelectorError) return () => false
    throw error
  }
}

function selectsEverything(selector: unknown): boolean {
  if (!isObject(selector)) return false
  const labels = isObject(selector.matchLabels) ? Object.keys(selector.matchLabels).length : 0
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions.length : 0
  return labels + expressions === 0
}

// --- the basic loop -------------------------------------------------------------------------

/**
 * The node a daemon pod is for (`GetTargetNodeName`): its spec.nodeName, or the node a pod made
 * for the scheduler names in a required `metadata.name` field term. Undefined: neither.
 */
function targetNode(pod: KubeObject): string | undefined {
  const spec = isObject(pod.spec) ? pod.spec : {}
  if (typeof spec.nodeName === 'string' && spec.nodeName !== '') return spec.nodeName
  const affinity = isObject(spec.affinity) ? spec.affinity : {}
  const nodeAffinity = isObject(affinity.nodeAffinity) ? affinity.nodeAffinity : {}
  const required = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
  const terms =
    isObject(required) && Array.isArray(required.nodeSelectorTerms) ? required.nodeSelectorTerms : []
  for (const term of terms) {
    const fields = isObject(term) && Array.isArray(term.matchFields) ? term.matchFields : []
    for (const field of fields) {
      if (!isObject(field) || field.key !== 'metadata.name' || field.operator !== 'In') continue
      const values = Array.isArray(field.values) ? field.values : []
      return values.length === 1 && typeof values[0] === 'string' ? values[0] : undefined
    }
  }
  return undefined
}

const isFinished = (pod: KubeObject) => podPhase(pod) === 'Failed' || podPhase(pod) === 'Succeeded'

function podsByNode(owned: readonly KubeObject[]): Map<string, KubeObject[]> {
  const byNode = new Map<string, KubeObject[]>()
  for (const pod of owned) {
    // A finished pod already being deleted is nothing more to the controller (upstream's rule).
    if (isFinished(pod) && pod.metadata.deletionTimestamp) continue
    const node = targetNode(pod)
    if (node === undefined) continue
    const pods = byNode.get(node)
    if (pods === undefined) byNode.set(node, [pod])
    else pods.push(pod)
  }
  return byNode
}

/**
 * Which of a node's pods is kept: upstream's `podByCreationTimestampAndPhase` (bound first, then
 * oldest, then by name), with a Running pod kept before one that is not yet.
 */
function byCreationAndPhase(a: KubeObject, b: KubeObject): number {
  const [boundA, boundB] = [isObject(a.spec) && !!a.spec.nodeName, isObject(b.spec) && !!b.spec.nodeName]
  if (boundA !== boundB) return boundA ? -1 : 1
  const [runningA, runningB] = [podPhase(a) === 'Running', podPhase(b) === 'Running']
  if (runningA !== runningB) return runningA ? -1 : 1
  const [createdA, createdB] = [
    parseTime(a.metadata.creationTimestamp) ?? 0,
    parseTime(b.metadata.creationTimestamp) ?? 0,
  ]
  if (createdA !== createdB) return createdA - createdB
  const [nameA, nameB] = [a.metadata.name ?? '', b.metadata.name ?? '']
  return nameA < nameB ? -1 : nameA > nameB ? 1 : 0
}

/** Upstream's `manage`: the pods each node should lose, and the nodes that need a pod. */
function manage(c: Context): { deletions: Deletion[]; createOn: string[] } {
  const deletions: Deletion[] = []
  const createOn: string[] = []
  const live = (pods: readonly KubeObject[]) => pods.filter((pod) => !pod.metadata.deletionTimestamp)
  for (const { name, fit } of c.nodes) {
    const pods = c.podsByNode.get(name)
    if (pods === undefined) {
      if (fit.shouldRun) createOn.push(name)
      continue
    }
    if (!fit.shouldContinueRunning) {
      for (const pod of live(pods)) deletions.push({ pod })
      continue
    }
    const running: KubeObject[] = []
    for (const pod of live(pods)) {
      const where = `${pod.metadata.namespace}/${pod.metadata.name} on node ${name}`
      if (podPhase(pod) === 'Failed') {
        // Replaced at the next plan: this node has a pod until the deletion is applied.
        const message = `Found failed daemon pod ${where}, will try to kill it`
        deletions.push({ pod, event: event(c.ds, 'FailedDaemonPod', message, 'Warning') })
      } else if (podPhase(pod) === 'Succeeded') {
        const message = `Found succeeded daemon pod ${where}, will try to delete it`
        deletions.push({ pod, event: event(c.ds, 'SucceededDaemonPod', message) })
      } else {
        running.push(pod)
      }
    }
    running.sort(byCreationAndPhase)
    if (!c.surge) {
      for (const pod of running.slice(1)) deletions.push({ pod })
      continue
    }
    if (running.length === 0) {
      if (fit.shouldRun) createOn.push(name)
      continue
    }
    deletions.push(...surplusWhileSurging(c, running).map((pod) => ({ pod })))
  }
  // Daemon pods of nodes that are gone: nothing else will ever remove them.
  for (const [name, pods] of c.podsByNode) {
    if (!c.fits.has(name)) for (const pod of live(pods)) deletions.push({ pod })
  }
  return { deletions, createOn }
}

/**
 * With surge, a node keeps its oldest new pod and its oldest old pod, and the old one only until
 * the new one is available (or while the old one is still ready); every other pod goes.
 */
function surplusWhileSurging(c: Context, running: readonly KubeObject[]): KubeObject[] {
  const surplus: KubeObject[] = []
  let oldestNew: KubeObject | undefined
  let oldestOld: KubeObject | undefined
  for (const pod of running) {
    if (isUpdated(c, pod)) {
      if (oldestNew === undefined) oldestNew = pod
      else surplus.push(pod)
    } else if (oldestOld === undefined) oldestOld = pod
    else surplus.push(pod)
  }
  if (oldestNew !== undefined && oldestOld !== undefined) {
    if (!isPodReady(oldestOld) || isPodAvailable(oldestNew, c.minReadySeconds, c.nowMs))
      surplus.push(oldestOld)
  }
  return surplus
}

// --- rolling update -------------------------------------------------------------------------

const rollingUpdate = (ds: KubeObject): boolean => strategyOf(ds).type !== 'OnDelete'

function strategyOf(ds: KubeObject): Record<string, unknown> {
  const spec = isObject(ds.spec) ? ds.spec : {}
  return isObject(spec.updateStrategy) ? spec.updateStrategy : {}
}

function rollingParameters(ds: KubeObject): Record<string, unknown> {
  const strategy = strategyOf(ds)
  return isObject(strategy.rollingUpdate) ? strategy.rollingUpdate : {}
}

/** maxSurge of `desired` (percentages round up, as upstream's `SurgeCount`). */
function maxSurgeOf(ds: KubeObject, desired: number): number {
  return Math.max(0, scaledValue(rollingParameters(ds).maxSurge ?? 0, desired, true))
}

/** Upstream's `updatedDesiredNodeCounts`: both limits zero would stall, so unavailability becomes 1. */
function limits(c: Context): { desired: number; maxSurge: number; maxUnavailable: number } {
  const desired = c.nodes.filter((n) => n.fit.shouldRun).length
  const maxSurge = maxSurgeOf(c.ds, desired)
  let maxUnavailable = Math.max(0, scaledValue(rollingParameters(c.ds).maxUnavailable ?? 1, desired, true))
  if (desired > 0 && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1
  return { desired, maxSurge, maxUnavailable }
}

const isUpdated = (c: Context, pod: KubeObject) =>
  pod.metadata.labels?.[controllerRevisionHashLabel] === c.hash

/** Upstream's `findUpdatedPodsOnNode`: a node's live new and old pod; not ok with two of either. */
function updatedPodsOn(
  c: Context,
  pods: readonly KubeObject[],
): { ok: boolean; newPod?: KubeObject; oldPod?: KubeObject } {
  let newPod: KubeObject | undefined
  let oldPod: KubeObject | undefined
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue
    if (isUpdated(c, pod)) {
      if (newPod !== undefined) return { ok: false }
      newPod = pod
    } else {
      if (oldPod !== undefined) return { ok: false }
      oldPod = pod
    }
  }
  return { ok: true, newPod, oldPod }
}

/** The nodes a rolling update looks at: those that should run a pod, and those that have one. */
function updateNodes(c: Context): string[] {
  const names = c.nodes.filter((n) => n.fit.shouldRun).map((n) => n.name)
  const seen = new Set(names)
  for (const { name } of c.nodes) {
    if (!seen.has(name) && c.podsByNode.has(name)) names.push(name)
  }
  return names
}

/**
 * Without surge: delete old pods so that at most maxUnavailable of the nodes are without an
 * available pod; an old pod that is not available anyway may always go, as deleting it takes
 * nothing away. The basic loop makes the replacement at the next plan.
 */
function unavailableUpdate(c: Context): { deletions: Deletion[]; createOn: string[] } {
  const { maxUnavailable } = limits(c)
  const available = (pod: KubeObject) => isPodAvailable(pod, c.minReadySeconds, c.nowMs)
  let unavailable = 0
  const replaceable: KubeObject[] = []
  const candidates: KubeObject[] = []
  for (const name of updateNodes(c)) {
    const { ok, newPod, oldPod } = updatedPodsOn(c, c.podsByNode.get(name) ?? [])
    if (!ok || (newPod === undefined) === (oldPod === undefined)) unavailable++
    else if (newPod !== undefined) {
      if (!available(newPod)) unavailable++
    } else if (oldPod !== undefined) {
      // Upstream does not count such a node, and so may take available old pods beyond the limit
      // in the same step; counting it keeps to "at most maxUnavailable nodes without a pod".
      if (!available(oldPod)) {
        replaceable.push(oldPod)
        unavailable++
      } else if (unavailable < maxUnavailable) candidates.push(oldPod)
    }
  }
  const allowed = Math.min(Math.max(maxUnavailable - unavailable, 0), candidates.length)
  return {
    deletions: [...replaceable, ...candidates.slice(0, allowed)].map((pod) => ({ pod })),
    createOn: [],
  }
}

/**
 * With surge: a new pod goes beside an old one on up to maxSurge nodes at a time (at once where the
 * old one is not available), and the old one goes when the new one is available. An old pod on a
 * node that should no longer run one goes only while enough others are available.
 */
function surgingUpdate(c: Context): { deletions: Deletion[]; createOn: string[] } {
  const { desired, maxSurge } = limits(c)
  const available = (pod: KubeObject) => isPodAvailable(pod, c.minReadySeconds, c.nowMs)
  const deletions: KubeObject[] = []
  const leaving: KubeObject[] = []
  const candidates: string[] = []
  const allowed: string[] = []
  let surging = 0
  let availableCount = 0
  for (const name of updateNodes(c)) {
    const { ok, newPod, oldPod } = updatedPodsOn(c, c.podsByNode.get(name) ?? [])
    if (!ok) {
      surging++
      continue
    }
    const counted = oldPod ?? newPod
    if (counted !== undefined && available(counted)) availableCount++
    if (oldPod === undefined) continue
    const shouldRun = c.fits.get(name)?.shouldRun ?? false
    if (newPod !== undefined) {
      if (available(newPod)) deletions.push(oldPod)
      else surging++
    } else if (!available(oldPod)) {
      if (shouldRun) allowed.push(name)
      else deletions.push(oldPod)
    } else if (!shouldRun) {
      leaving.push(oldPod)
    } else if (surging < maxSurge) {
      candidates.push(name)
    }
  }
  const deletable = Math.min(Math.max(availableCount - desired, 0), leaving.length)
  deletions.push(...leaving.slice(0, deletable))
  const room = Math.min(Math.max(maxSurge - surging, 0), candidates.length)
  return {
    deletions: deletions.map((pod) => ({ pod })),
    createOn: [...allowed, ...candidates.slice(0, room)],
  }
}

// --- status ---------------------------------------------------------------------------------

/** Upstream's `updateDaemonSetStatus`: each node's first pod counts, as the basic loop keeps it. */
function daemonSetStatus(c: Context, gone: ReadonlySet<KubeObject>): DaemonSetStatus {
  const counts = {
    desiredNumberScheduled: 0,
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    numberReady: 0,
    updatedNumberScheduled: 0,
    numberAvailable: 0,
  }
  for (const { name, fit } of c.nodes) {
    const pods = (c.podsByNode.get(name) ?? []).filter((pod) => !gone.has(pod)).sort(byCreationAndPhase)
    const first = pods[0]
    if (!fit.shouldRun) {
      if (first !== undefined) counts.numberMisscheduled++
      continue
    }
    counts.desiredNumberScheduled++
    if (first === undefined) continue
    counts.currentNumberScheduled++
    if (isPodReady(first)) {
      counts.numberReady++
      if (isPodAvailable(first, c.minReadySeconds, c.nowMs)) counts.numberAvailable++
    }
    if (isUpdated(c, first)) counts.updatedNumberScheduled++
  }
  const previous = isObject(c.ds.status) ? c.ds.status : {}
  return {
    ...previous,
    ...counts,
    numberUnavailable: counts.desiredNumberScheduled - counts.numberAvailable,
    ...(c.ds.metadata.generation === undefined ? {} : { observedGeneration: c.ds.metadata.generation }),
  }
}

const statusCounts = [
  'desiredNumberScheduled',
  'currentNumberScheduled',
  'numberMisscheduled',
  'numberReady',
  'updatedNumberScheduled',
  'numberAvailable',
  'numberUnavailable',
  'observedGeneration',
] as const

function statusCurrent(ds: KubeObject, status: DaemonSetStatus): boolean {
  const current = isObject(ds.status) ? ds.status : {}
  return statusCounts.every((key) => count(current[key]) === count(status[key]))
}

/** When the next ready pod becomes available, if one is waiting out minReadySeconds. */
function nextAvailableMs(c: Context, gone: ReadonlySet<KubeObject>): number | undefined {
  if (c.minReadySeconds === 0) return undefined
  let next: number | undefined
  for (const pods of c.podsByNode.values()) {
    for (const pod of pods) {
      if (gone.has(pod) || !isPodReady(pod) || isPodAvailable(pod, c.minReadySeconds, c.nowMs)) continue
      const at = podAvailableAtMs(pod, c.minReadySeconds)
      if (at !== undefined && (next === undefined || at < next)) next = at
    }
  }
  return next
}

function event(
  ds: KubeObject,
  reason: string,
  message: string,
  type: PlanEvent['type'] = 'Normal',
): PlanEvent {
  return { type, reason, message, involvedObject: referenceTo(ds), component }
}
