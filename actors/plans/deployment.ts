// The Deployment controller's plan, after Kubernetes' `pkg/controller/deployment`: claim the
// ReplicaSets the selector matches, find or create the ReplicaSet of the current template (named
// by its pod-template-hash, numbered by revision), then roll — RollingUpdate within maxSurge and
// maxUnavailable, or Recreate — scale proportionally when only the replica count changed, keep
// revisionHistoryLimit old ReplicaSets, and report status and the Progressing and Available
// conditions that `kubectl rollout status` reads. coxswain adds one thing: a Deployment annotated
// `coxswain.dev/auto-rollback: "true"` whose rollout exceeded its progress deadline is rolled back
// to the last revision that became available, as `kubectl rollout undo` would.
//
// Upstream writes as it goes; a plan is one batch, so each object is written at most once: every
// change to a ReplicaSet lands on a private draft that becomes one preconditioned update. The
// Deployment gets one write too: a rollback (spec), else its status, else its metadata (the
// revision annotation), the rest following on the next plan that the write itself triggers.

import type { KubeObject, LabelSelector } from '../../core/api/object.ts'
import { labelMatcher, SelectorError } from '../../core/api/selectors.ts'
import type { ApiCommand } from '../../core/api/store.ts'
import {
  adopted,
  type Condition,
  conditionOf,
  controllerOf,
  controllerReference,
  deleteCommand,
  deploymentsResource,
  formatTime,
  isObject,
  type Plan,
  type PlanEvent,
  parseTime,
  referenceTo,
  released,
  replicaSetsResource,
  requireTime,
  semanticEqual,
  updateCommand,
} from './plan.ts'
import { podPhase } from './pods.ts'
import {
  activeReplicaSets,
  annotationsNotCopied,
  annotationsOf,
  autoRollbackAnnotation,
  availableReplicas,
  available as availableType,
  becameAvailableAnnotation,
  byCreation,
  byRevision,
  bySizeNewer,
  bySizeOlder,
  type DeploymentSpec,
  type DeploymentStatus,
  deploymentComplete,
  deploymentProgressing,
  deploymentSpec,
  deploymentTimedOut,
  desiredReplicasAnnotation,
  getCondition,
  intAnnotation,
  maxReplicasAnnotation,
  maxRevision,
  maxSurge,
  maxUnavailable,
  newCondition,
  progressing,
  readDeploymentStatus,
  readyReplicas,
  reasons,
  removeCondition,
  replicaFailure,
  replicasAnnotationsNeedUpdate,
  revisionAnnotation,
  revisionOf,
  scaledValue,
  setCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  setSpecReplicas,
  specReplicas,
  statusReplicas,
  sum,
} from './rollout.ts'
import {
  equalIgnoringHash,
  podTemplateHash,
  podTemplateHashLabel,
  withoutHashLabel,
} from './template-hash.ts'

const component = 'deployment-controller'

export interface DeploymentPlanInput {
  deployment: KubeObject
  /** The ReplicaSets of the Deployment's namespace (all of them: claiming looks at orphans too). */
  replicaSets: readonly KubeObject[]
  /** The pods of the namespace; Recreate waits until no old pod runs. */
  pods: readonly KubeObject[]
  /** The leader's time, RFC 3339. */
  now: string
  newUid: () => string
  /**
   * Unused: a new ReplicaSet's name is not generated but derived (`<deployment>-<hash>`), as
   * upstream does, so that two plans for the same template collide instead of doubling.
   */
  newName?: (prefix: string) => string
}

export function planDeployment(input: DeploymentPlanInput): Plan {
  return new DeploymentSync(input).run()
}

interface ReplicaSets {
  newRS: KubeObject | undefined
  oldRSs: KubeObject[]
}

/** One sync of one Deployment; its fields are private copies, never the objects it was given. */
class DeploymentSync {
  readonly #input: DeploymentPlanInput
  readonly #now: string
  readonly #nowMs: number
  /** The Deployment as planned: metadata and spec may change (revision, rollback). */
  readonly #d: KubeObject
  readonly #spec: DeploymentSpec
  readonly #generation: number
  /** `d.Status` as upstream mutates it along the way, then the status to write. */
  #status: DeploymentStatus
  /** original ReplicaSet -> the draft every change lands on */
  readonly #drafts = new Map<KubeObject, KubeObject>()
  readonly #deleted = new Set<KubeObject>()
  #created: KubeObject | undefined
  #rolledBack = false
  readonly #events: PlanEvent[] = []
  #recheckAtMs: number | undefined

  constructor(input: DeploymentPlanInput) {
    this.#input = input
    this.#now = input.now
    this.#nowMs = requireTime(input.now)
    this.#d = structuredClone(input.deployment) as KubeObject
    this.#spec = deploymentSpec(this.#d)
    this.#generation = this.#d.metadata.generation ?? 0
    this.#status = readDeploymentStatus(this.#d)
  }

  run(): Plan {
    const matches = this.#selectorMatcher()
    if (matches === undefined) return this.#plan()
    if (this.#selectsEverything()) {
      this.#event(
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
      )
      if ((this.#status.observedGeneration ?? 0) < this.#generation)
        this.#status.observedGeneration = this.#generation
      return this.#plan()
    }
    const rsList = this.#claimReplicaSets(matches)
    if (this.#d.metadata.deletionTimestamp) {
      this.#syncStatusOnly(rsList)
      return this.#plan()
    }
    this.#checkPausedConditions()
    if (this.#spec.paused) {
      this.#sync(rsList)
      return this.#plan()
    }
    if (this.#autoRollback(rsList)) return this.#plan()
    if (this.#isScalingEvent(rsList)) {
      this.#sync(rsList)
      return this.#plan()
    }
    if (this.#spec.strategy === 'Recreate') this.#rolloutRecreate(rsList, this.#podMap(rsList, matches))
    else this.#rolloutRolling(rsList)
    return this.#plan()
  }

  // --- claiming ------------------------------------------------------------------------------

  #selectorMatcher(): ((labels?: Record<string, string>) => boolean) | undefined {
    if (!isObject(this.#spec.selector)) return undefined // validation requires one
    try {
      return labelMatcher(this.#spec.selector as LabelSelector)
    } catch (error) {
      if (error instanceof SelectorError) return undefined
      throw error
    }
  }

  #selectsEverything(): boolean {
    const selector = this.#spec.selector as LabelSelector
    return (
      Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0
    )
  }

  /** Adopts matching orphans and releases owned ReplicaSets that no longer match (`ClaimReplicaSets`). */
  #claimReplicaSets(matches: (labels?: Record<string, string>) => boolean): KubeObject[] {
    const uid = this.#d.metadata.uid ?? ''
    const deleting = Boolean(this.#d.metadata.deletionTimestamp)
    const claimed: KubeObject[] = []
    for (const rs of this.#namespaced(this.#input.replicaSets)) {
      const owner = controllerOf(rs)
      const match = matches(rs.metadata.labels)
      if (owner !== undefined) {
        if (owner.uid !== uid) continue
        if (match) claimed.push(this.#draft(rs))
        else if (!deleting) this.#draft(rs).metadata = released(rs, uid).metadata
      } else if (match && !deleting && !rs.metadata.deletionTimestamp) {
        const draft = this.#draft(rs)
        draft.metadata = adopted(draft, this.#d).metadata
        claimed.push(draft)
      }
    }
    return claimed
  }

  #namespaced(objects: readonly KubeObject[]): KubeObject[] {
    const namespace = this.#d.metadata.namespace ?? ''
    return objects
      .filter((o) => (o.metadata.namespace ?? '') === namespace)
      .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1))
  }

  #draft(rs: KubeObject): KubeObject {
    let draft = this.#drafts.get(rs)
    if (draft === undefined) {
      draft = structuredClone(rs) as KubeObject
      this.#drafts.set(rs, draft)
    }
    return draft
  }

  #originalOf(draft: KubeObject): KubeObject | undefined {
    for (const [original, copy] of this.#drafts) if (copy === draft) return original
    return undefined
  }

  /** Pods of the claimed ReplicaSets by ReplicaSet uid, terminating and finished ones included. */
  #podMap(rsList: readonly KubeObject[], matches: (labels?: Record<string, string>) => boolean) {
    const podMap = new Map<string, KubeObject[]>(rsList.map((rs) => [rs.metadata.uid ?? '', []]))
    for (const pod of this.#namespaced(this.#input.pods)) {
      const owner = controllerOf(pod)
      if (owner === undefined || !matches(pod.metadata.labels)) continue
      podMap.get(owner.uid)?.push(pod)
    }
    return podMap
  }

  // --- the new ReplicaSet and revisions -------------------------------------------------------

  /** `getAllReplicaSetsAndSyncRevision`; undefined when a hash collision stops this sync. */
  #replicaSetsAndSyncRevision(rsList: readonly KubeObject[], create: boolean): ReplicaSets | undefined {
    const existing = findNewReplicaSet(this.#spec.template, rsList)
    const oldRSs = rsList.filter((rs) => rs !== existing)
    const newRevision = maxRevision(oldRSs) + 1
    const replicas = { desired: this.#spec.replicas, max: this.#spec.replicas + maxSurge(this.#spec) }
    if (existing !== undefined) {
      setNewReplicaSetAnnotations(this.#d, existing, newRevision, true, replicas)
      const spec = isObject(existing.spec) ? existing.spec : {}
      if ((spec.minReadySeconds ?? 0) !== this.#spec.minReadySeconds) {
        existing.spec = { ...spec, minReadySeconds: this.#spec.minReadySeconds }
      }
      this.#setRevision(existing.metadata.annotations?.[revisionAnnotation] ?? '')
      if (this.#spec.progressDeadlineSeconds !== undefined && !getCondition(this.#status, progressing)) {
        const message = `Found new replica set "${existing.metadata.name}"`
        setCondition(this.#status, this.#condition(progressing, 'True', reasons.foundNewReplicaSet, message))
      }
      return { newRS: existing, oldRSs }
    }
    if (!create) return { newRS: undefined, oldRSs }
    return this.#createNewReplicaSet(oldRSs, newRevision, replicas)
  }

  #createNewReplicaSet(
    oldRSs: KubeObject[],
    newRevision: number,
    replicas: { desired: number; max: number },
  ): ReplicaSets | undefined {
    const hash = podTemplateHash(this.#spec.template, this.#status.collisionCount)
    const name = `${this.#d.metadata.name}-${hash}`
    const taken = this.#namespaced(this.#input.replicaSets).find((rs) => rs.metadata.name === name)
    if (taken !== undefined) {
      // As this plan leaves it: one released a moment ago is no longer ours.
      const ours = controllerOf(this.#drafts.get(taken) ?? taken)?.uid === this.#d.metadata.uid
      if (ours && equalIgnoringHash(templateOf(taken), this.#spec.template)) {
        return { newRS: this.#draft(taken), oldRSs }
      }
      // Another template (or owner) has this name: change the hash and try again next plan.
      this.#status.collisionCount = (this.#status.collisionCount ?? 0) + 1
      return undefined
    }
    const template = structuredClone(this.#spec.template)
    const templateMeta = isObject(template.metadata) ? template.metadata : {}
    const labels = { ...(templateMeta.labels as Record<string, string>), [podTemplateHashLabel]: hash }
    template.metadata = { ...templateMeta, labels }
    const selector = structuredClone(this.#spec.selector) as LabelSelector
    selector.matchLabels = { ...selector.matchLabels, [podTemplateHashLabel]: hash }
    const rs: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: this.#d.metadata.namespace ?? '',
        uid: this.#input.newUid(),
        creationTimestamp: this.#now,
        labels: { ...labels },
        ownerReferences: [controllerReference(this.#d)],
      },
      spec: {
        replicas: 0,
        ...(this.#spec.minReadySeconds > 0 ? { minReadySeconds: this.#spec.minReadySeconds } : {}),
        selector,
        template,
      },
    }
    const count = this.#newReplicaSetReplicas([...oldRSs, rs], rs)
    setSpecReplicas(rs, count)
    setNewReplicaSetAnnotations(this.#d, rs, newRevision, false, replicas)
    this.#created = rs
    if (count > 0)
      this.#event('Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} from 0 to ${count}`)
    this.#setRevision(String(newRevision))
    if (this.#spec.progressDeadlineSeconds !== undefined) {
      const message = `Created new replica set "${name}"`
      setCondition(this.#status, this.#condition(progressing, 'True', reasons.newReplicaSetCreated, message))
    }
    return { newRS: rs, oldRSs }
  }

  #setRevision(revision: string): void {
    const annotations = annotationsOf(this.#d)
    if (annotations[revisionAnnotation] !== revision) annotations[revisionAnnotation] = revision
  }

  /** `NewRSNewReplicas`: how far the new ReplicaSet may grow now. */
  #newReplicaSetReplicas(allRSs: readonly KubeObject[], newRS: KubeObject): number {
    const desired = this.#spec.replicas
    if (this.#spec.strategy === 'Recreate') return desired
    const surge = scaledValue(this.#spec.maxSurge, desired, true)
    const current = sum(allRSs, specReplicas)
    const maxTotal = desired + surge
    if (current >= maxTotal) return specReplicas(newRS)
    return specReplicas(newRS) + Math.min(maxTotal - current, desired - specReplicas(newRS))
  }

  // --- scaling -------------------------------------------------------------------------------

  #scaleAndRecord(rs: KubeObject, newScale: number): boolean {
    const current = specReplicas(rs)
    if (current === newScale) return false
    return this.#scale(rs, newScale, current < newScale ? 'up' : 'down')
  }

  /** `scaleReplicaSet`: the size and the replica annotations; whether the size changed. */
  #scale(rs: KubeObject, newScale: number, operation: 'up' | 'down' | ''): boolean {
    const max = this.#spec.replicas + maxSurge(this.#spec)
    const old = specReplicas(rs)
    if (old === newScale && !replicasAnnotationsNeedUpdate(rs, this.#spec.replicas, max)) return false
    setSpecReplicas(rs, newScale)
    setReplicasAnnotations(rs, this.#spec.replicas, max)
    if (old === newScale) return false
    const message = `Scaled ${operation} replica set ${rs.metadata.name} from ${old} to ${newScale}`
    this.#event('Normal', 'ScalingReplicaSet', message)
    return true
  }

  #isScalingEvent(rsList: readonly KubeObject[]): boolean {
    const { newRS, oldRSs } = this.#replicaSetsAndSyncRevision(rsList, false)!
    return activeReplicaSets(withNew(oldRSs, newRS)).some((rs) => {
      const desired = intAnnotation(rs, desiredReplicasAnnotation)
      return desired !== undefined && desired !== this.#spec.replicas
    })
  }

  /** `sync`: scale only (paused, or only the replica count changed), then the status. */
  #sync(rsList: readonly KubeObject[]): void {
    const { newRS, oldRSs } = this.#replicaSetsAndSyncRevision(rsList, false)!
    this.#scaleAll(newRS, oldRSs)
    if (this.#spec.paused) this.#cleanup(oldRSs)
    this.#status = this.#calculateStatus(withNew(oldRSs, newRS), newRS)
  }

  /** `scale`: the whole count to the only active ReplicaSet, or proportionally to every active one. */
  #scaleAll(newRS: KubeObject | undefined, oldRSs: readonly KubeObject[]): void {
    const desired = this.#spec.replicas
    const activeOrLatest = findActiveOrLatest(newRS, oldRSs)
    if (activeOrLatest !== undefined) {
      if (specReplicas(activeOrLatest) !== desired) this.#scaleAndRecord(activeOrLatest, desired)
      return
    }
    if (newRS !== undefined && this.#isSaturated(newRS)) {
      for (const old of activeReplicaSets(oldRSs)) this.#scaleAndRecord(old, 0)
      return
    }
    if (this.#spec.strategy !== 'RollingUpdate') return
    const all = activeReplicaSets(withNew(oldRSs, newRS))
    const allowed = desired > 0 ? desired + maxSurge(this.#spec) : 0
    const toAdd = allowed - sum(all, specReplicas)
    const operation = toAdd > 0 ? 'up' : toAdd < 0 ? 'down' : ''
    if (toAdd > 0) all.sort(bySizeNewer)
    else if (toAdd < 0) all.sort(bySizeOlder)
    let added = 0
    const sizes = all.map((rs) => {
      if (toAdd === 0) return specReplicas(rs)
      const proportion = this.#proportion(rs, toAdd, added)
      added += proportion
      return specReplicas(rs) + proportion
    })
    // Leftovers go to (or come from) the largest.
    if (toAdd !== 0 && all.length > 0) sizes[0] = Math.max(0, sizes[0]! + toAdd - added)
    for (const [i, rs] of all.entries()) this.#scale(rs, sizes[i]!, operation)
  }

  #isSaturated(rs: KubeObject): boolean {
    const desired = this.#spec.replicas
    return (
      specReplicas(rs) === desired &&
      intAnnotation(rs, desiredReplicasAnnotation) === desired &&
      availableReplicas(rs) === desired
    )
  }

  /** `GetProportion`: this ReplicaSet's share of the replicas to add (or remove). */
  #proportion(rs: KubeObject, toAdd: number, added: number): number {
    if (specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0
    const fraction = this.#fraction(rs)
    const allowed = toAdd - added
    return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed)
  }

  #fraction(rs: KubeObject): number {
    if (this.#spec.replicas === 0) return -specReplicas(rs)
    const deploymentMax = this.#spec.replicas + maxSurge(this.#spec)
    let before = intAnnotation(rs, maxReplicasAnnotation) ?? 0
    if (before === 0) before = this.#status.replicas || deploymentMax
    return roundHalfAwayFromZero((specReplicas(rs) * deploymentMax) / before) - specReplicas(rs)
  }

  // --- rolling update ------------------------------------------------------------------------

  #rolloutRolling(rsList: readonly KubeObject[]): void {
    const replicaSets = this.#replicaSetsAndSyncRevision(rsList, true)
    if (replicaSets === undefined) return
    const newRS = replicaSets.newRS!
    const { oldRSs } = replicaSets
    const allRSs = [...oldRSs, newRS]
    // Scale up if it can, else down if it can; with neither, a complete rollout cleans up history.
    const scaled =
      this.#reconcileNewReplicaSet(allRSs, newRS) ||
      this.#reconcileOldReplicaSets(allRSs, activeReplicaSets(oldRSs), newRS)
    if (!scaled && deploymentComplete(this.#spec, this.#generation, this.#status)) this.#cleanup(oldRSs)
    this.#syncRolloutStatus(allRSs, newRS)
  }

  #reconcileNewReplicaSet(allRSs: readonly KubeObject[], newRS: KubeObject): boolean {
    const desired = this.#spec.replicas
    if (specReplicas(newRS) === desired) return false
    if (specReplicas(newRS) > desired) return this.#scaleAndRecord(newRS, desired)
    return this.#scaleAndRecord(newRS, this.#newReplicaSetReplicas(allRSs, newRS))
  }

  #reconcileOldReplicaSets(allRSs: readonly KubeObject[], oldRSs: KubeObject[], newRS: KubeObject): boolean {
    if (sum(oldRSs, specReplicas) === 0) return false
    const minAvailable = this.#spec.replicas - maxUnavailable(this.#spec)
    const newUnavailable = specReplicas(newRS) - availableReplicas(newRS)
    // Scale down no further than keeps minAvailable, counting the new ReplicaSet's unavailable pods.
    const maxScaledDown = sum(allRSs, specReplicas) - minAvailable - newUnavailable
    if (maxScaledDown <= 0) return false
    const cleaned = this.#cleanupUnhealthyReplicas(oldRSs, maxScaledDown)
    if (cleaned === undefined) return false
    return cleaned + this.#scaleDownOldForRollingUpdate([...oldRSs, newRS], oldRSs) > 0
  }

  /** Old pods that are not available go first: removing them costs no availability. */
  #cleanupUnhealthyReplicas(oldRSs: KubeObject[], maxCleanup: number): number | undefined {
    let total = 0
    for (const rs of [...oldRSs].sort(byCreation)) {
      if (total >= maxCleanup) break
      const replicas = specReplicas(rs)
      if (replicas === 0 || replicas === availableReplicas(rs)) continue
      const scaledDown = Math.min(maxCleanup - total, replicas - availableReplicas(rs))
      if (scaledDown < 0) return undefined // a status ahead of its spec: upstream gives up this round
      this.#scaleAndRecord(rs, replicas - scaledDown)
      total += scaledDown
    }
    return total
  }

  #scaleDownOldForRollingUpdate(allRSs: readonly KubeObject[], oldRSs: readonly KubeObject[]): number {
    const minAvailable = this.#spec.replicas - maxUnavailable(this.#spec)
    const availableCount = sum(allRSs, availableReplicas)
    if (availableCount <= minAvailable) return 0
    const toScaleDown = availableCount - minAvailable
    let total = 0
    for (const rs of [...oldRSs].sort(byCreation)) {
      if (total >= toScaleDown) break
      const replicas = specReplicas(rs)
      if (replicas === 0) continue
      const scaledDown = Math.min(replicas, toScaleDown - total)
      this.#scaleAndRecord(rs, replicas - scaledDown)
      total += scaledDown
    }
    return total
  }

  // --- recreate ------------------------------------------------------------------------------

  #rolloutRecreate(rsList: readonly KubeObject[], podMap: Map<string, KubeObject[]>): void {
    // The new ReplicaSet is not created before the old pods are gone, so nothing scales up early.
    let { newRS, oldRSs } = this.#replicaSetsAndSyncRevision(rsList, false)!
    let scaledDown = false
    for (const rs of activeReplicaSets(oldRSs)) scaledDown = this.#scaleAndRecord(rs, 0) || scaledDown
    if (scaledDown || oldPodsRunning(newRS, oldRSs, podMap)) {
      this.#syncRolloutStatus(withNew(oldRSs, newRS), newRS)
      return
    }
    if (newRS === undefined) {
      const replicaSets = this.#replicaSetsAndSyncRevision(rsList, true)
      if (replicaSets === undefined) return
      ;({ newRS, oldRSs } = replicaSets)
    }
    this.#scaleAndRecord(newRS!, this.#spec.replicas)
    if (deploymentComplete(this.#spec, this.#generation, this.#status)) this.#cleanup(oldRSs)
    this.#syncRolloutStatus(withNew(oldRSs, newRS), newRS)
  }

  // --- history -------------------------------------------------------------------------------

  /** Deletes the oldest revisions beyond revisionHistoryLimit that are scaled to zero and settled. */
  #cleanup(oldRSs: readonly KubeObject[]): void {
    const limit = this.#spec.revisionHistoryLimit
    if (limit === undefined) return
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp)
    const surplus = cleanable.length - limit
    if (surplus <= 0) return
    for (const rs of [...cleanable].sort(byRevision).slice(0, surplus)) {
      const original = this.#originalOf(rs)
      const settled =
        statusReplicas(rs) === 0 &&
        specReplicas(rs) === 0 &&
        (rs.metadata.generation ?? 0) <= observedGeneration(rs) &&
        // Changed in this plan (its generation is about to move): next time.
        original !== undefined &&
        semanticEqual(withoutStatus(original), withoutStatus(rs))
      if (settled) this.#deleted.add(original)
    }
  }

  // --- coxswain: automatic rollback ----------------------------------------------------------

  /**
   * Rolls a timed-out rollout back to the newest revision that once became available, as
   * `kubectl rollout undo --to-revision` would: the template (without the hash label) and the
   * annotations of that ReplicaSet replace the Deployment's. Only a rollout that never became
   * available is rolled back, so a rollback that itself times out does not cascade further back.
   */
  #autoRollback(rsList: readonly KubeObject[]): boolean {
    const annotations = this.#d.metadata.annotations ?? {}
    if (annotations[autoRollbackAnnotation] !== 'true') return false
    if (getCondition(this.#status, progressing)?.reason !== reasons.progressDeadlineExceeded) return false
    if ((this.#status.observedGeneration ?? 0) < this.#generation) return false
    const current = findNewReplicaSet(this.#spec.template, rsList)
    if (current?.metadata.annotations?.[becameAvailableAnnotation] !== undefined) return false
    const target = rsList
      .filter(
        (rs) =>
          rs.metadata.annotations?.[becameAvailableAnnotation] !== undefined &&
          !rs.metadata.deletionTimestamp &&
          !equalIgnoringHash(templateOf(rs), this.#spec.template),
      )
      .sort(byRevision)
      .at(-1)
    if (target === undefined) return false

    const next: Record<string, string> = {}
    for (const [key, value] of Object.entries(annotations)) {
      if (annotationsNotCopied.has(key) || key === autoRollbackAnnotation) next[key] = value
    }
    for (const [key, value] of Object.entries(target.metadata.annotations ?? {})) {
      if (!annotationsNotCopied.has(key) && key !== autoRollbackAnnotation) next[key] = value
    }
    delete next[becameAvailableAnnotation]
    this.#d.metadata.annotations = next
    this.#d.spec = {
      ...(this.#d.spec as Record<string, unknown>),
      template: withoutHashLabel(templateOf(target)),
    }
    this.#rolledBack = true
    const from =
      current === undefined ? (annotations[revisionAnnotation] ?? '?') : String(revisionOf(current))
    this.#event(
      'Warning',
      'AutoRollback',
      `Rolled back deployment "${this.#d.metadata.name}" from revision ${from} to revision ${revisionOf(target)} ` +
        `(replica set ${target.metadata.name}): no progress within ${this.#spec.progressDeadlineSeconds}s`,
    )
    return true
  }

  // --- status --------------------------------------------------------------------------------

  #checkPausedConditions(): void {
    if (this.#spec.progressDeadlineSeconds === undefined) return
    const condition = getCondition(this.#status, progressing)
    // A reported lack of progress is not overwritten by pausing.
    if (condition?.reason === reasons.progressDeadlineExceeded) return
    const pausedReported = condition?.reason === reasons.paused
    if (this.#spec.paused && !pausedReported) {
      setCondition(
        this.#status,
        this.#condition(progressing, 'Unknown', reasons.paused, 'Deployment is paused'),
      )
    } else if (!this.#spec.paused && pausedReported) {
      // Resuming restarts the clock of the progress deadline.
      setCondition(
        this.#status,
        this.#condition(progressing, 'Unknown', reasons.resumed, 'Deployment is resumed'),
      )
    }
  }

  #syncStatusOnly(rsList: readonly KubeObject[]): void {
    const { newRS, oldRSs } = this.#replicaSetsAndSyncRevision(rsList, false)!
    this.#status = this.#calculateStatus(withNew(oldRSs, newRS), newRS)
  }

  #calculateStatus(allRSs: readonly KubeObject[], newRS: KubeObject | undefined): DeploymentStatus {
    const availableCount = sum(allRSs, availableReplicas)
    const status: DeploymentStatus = {
      observedGeneration: this.#generation,
      replicas: sum(allRSs, statusReplicas),
      updatedReplicas: newRS === undefined ? 0 : statusReplicas(newRS),
      readyReplicas: sum(allRSs, readyReplicas),
      availableReplicas: availableCount,
      unavailableReplicas: Math.max(0, sum(allRSs, specReplicas) - availableCount),
      ...(this.#status.collisionCount === undefined ? {} : { collisionCount: this.#status.collisionCount }),
      conditions: [...(this.#status.conditions ?? [])],
    }
    if (availableCount >= this.#spec.replicas - maxUnavailable(this.#spec)) {
      const message = 'Deployment has minimum availability.'
      setCondition(status, this.#condition(availableType, 'True', reasons.minimumReplicasAvailable, message))
    } else {
      const message = 'Deployment does not have minimum availability.'
      setCondition(
        status,
        this.#condition(availableType, 'False', reasons.minimumReplicasUnavailable, message),
      )
    }
    return status
  }

  /** The status with the Progressing condition estimated (`syncRolloutStatus`). */
  #syncRolloutStatus(allRSs: readonly KubeObject[], newRS: KubeObject | undefined): void {
    const next = this.#calculateStatus(allRSs, newRS)
    const deadline = this.#spec.progressDeadlineSeconds
    if (deadline === undefined) removeCondition(next, progressing)
    const current = getCondition(this.#status, progressing)
    const name =
      newRS === undefined ? `Deployment "${this.#d.metadata.name}"` : `ReplicaSet "${newRS.metadata.name}"`
    const alreadyComplete =
      next.replicas === next.updatedReplicas && current?.reason === reasons.newReplicaSetAvailable
    if (deadline !== undefined && !alreadyComplete) {
      if (deploymentComplete(this.#spec, this.#generation, next)) {
        const message = `${name} has successfully progressed.`
        setCondition(next, this.#condition(progressing, 'True', reasons.newReplicaSetAvailable, message))
      } else if (deploymentProgressing(this.#status, next)) {
        // Progress moves lastUpdateTime even when the reason stays: the deadline counts from it.
        const condition = this.#condition(
          progressing,
          'True',
          reasons.replicaSetUpdated,
          `${name} is progressing.`,
        )
        if (current?.status === 'True' && current.lastTransitionTime !== undefined) {
          condition.lastTransitionTime = current.lastTransitionTime
        }
        removeCondition(next, progressing)
        setCondition(next, condition)
      } else if (deploymentTimedOut(this.#spec, next, this.#nowMs)) {
        const message = `${name} has timed out progressing.`
        setCondition(next, this.#condition(progressing, 'False', reasons.progressDeadlineExceeded, message))
      }
    }
    const failure = replicaFailureOf(allRSs, newRS)
    if (failure !== undefined) setCondition(next, failure)
    else removeCondition(next, replicaFailure)
    this.#status = next

    const complete = deploymentComplete(this.#spec, this.#generation, next)
    const markAvailable = this.#d.metadata.annotations?.[autoRollbackAnnotation] === 'true'
    if (complete && markAvailable && newRS?.metadata.annotations?.[becameAvailableAnnotation] === undefined) {
      if (newRS !== undefined) annotationsOf(newRS)[becameAvailableAnnotation] = this.#now
    }
    this.#recheckAtMs = complete ? undefined : this.#deadlineCheckMs(next)
  }

  /** When the rollout would time out if nothing moves (`requeueStuckDeployment`). */
  #deadlineCheckMs(status: DeploymentStatus): number | undefined {
    const deadline = this.#spec.progressDeadlineSeconds
    const condition = getCondition(status, progressing)
    if (deadline === undefined || condition === undefined) return undefined
    if (
      condition.reason === reasons.progressDeadlineExceeded ||
      condition.reason === reasons.newReplicaSetAvailable
    ) {
      return undefined
    }
    const from = parseTime(condition.lastUpdateTime)
    return from === undefined ? undefined : from + deadline * 1000 + 1000
  }

  #condition(type: string, status: Condition['status'], reason: string, message: string): Condition {
    return newCondition(type, status, reason, message, this.#now)
  }

  #event(type: PlanEvent['type'], reason: string, message: string): void {
    this.#events.push({
      type,
      reason,
      message,
      involvedObject: referenceTo(this.#input.deployment),
      component,
    })
  }

  // --- the plan ------------------------------------------------------------------------------

  #plan(): Plan {
    const now = this.#now
    const commands: ApiCommand[] = []
    if (this.#created !== undefined) {
      commands.push({ op: 'create', resource: replicaSetsResource, object: this.#created })
    }
    for (const [original, draft] of this.#drafts) {
      if (this.#deleted.has(original)) commands.push(deleteCommand(replicaSetsResource, original, now))
      else if (!semanticEqual(withoutStatus(original), withoutStatus(draft))) {
        commands.push(updateCommand(replicaSetsResource, original, draft, null, now))
      }
    }
    const original = this.#input.deployment
    if (this.#rolledBack) {
      commands.push(updateCommand(deploymentsResource, original, this.#d, null, now))
    } else if (!semanticEqual(this.#status, original.status)) {
      const status = { ...this.#status }
      if (status.conditions?.length === 0) delete status.conditions
      commands.push(updateCommand(deploymentsResource, original, { ...original, status }, 'status', now))
    } else if (!semanticEqual(withoutStatus(this.#d), withoutStatus(original))) {
      commands.push(
        updateCommand(deploymentsResource, original, { ...this.#d, status: original.status }, null, now),
      )
    }
    const recheckAt = this.#recheckAtMs === undefined ? {} : { recheckAt: formatTime(this.#recheckAtMs) }
    return { commands, events: this.#events, ...recheckAt }
  }
}

// --- helpers -----------------------------------------------------------------------------------

function templateOf(rs: KubeObject): Record<string, unknown> {
  const spec = isObject(rs.spec) ? rs.spec : {}
  return isObject(spec.template) ? spec.template : {}
}

function observedGeneration(rs: KubeObject): number {
  const status = isObject(rs.status) ? rs.status : {}
  return typeof status.observedGeneration === 'number' ? status.observedGeneration : 0
}

function withoutStatus(object: KubeObject): Record<string, unknown> {
  const { status: _status, ...rest } = object
  return rest
}

function withNew(oldRSs: readonly KubeObject[], newRS: KubeObject | undefined): KubeObject[] {
  return newRS === undefined ? [...oldRSs] : [...oldRSs, newRS]
}

/** The oldest ReplicaSet whose template is the Deployment's but for the hash (`FindNewReplicaSet`). */
function findNewReplicaSet(template: unknown, rsList: readonly KubeObject[]): KubeObject | undefined {
  return [...rsList].sort(byCreation).find((rs) => equalIgnoringHash(templateOf(rs), template))
}

/** The only active ReplicaSet, or with none active the newest (`FindActiveOrLatest`). */
function findActiveOrLatest(
  newRS: KubeObject | undefined,
  oldRSs: readonly KubeObject[],
): KubeObject | undefined {
  if (newRS === undefined && oldRSs.length === 0) return undefined
  const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a))
  const active = activeReplicaSets(withNew(newestFirst, newRS))
  if (active.length === 0) return newRS ?? newestFirst[0]
  return active.length === 1 ? active[0] : undefined
}

/** Whether a pod of an old ReplicaSet may still run (Recreate waits for none). */
function oldPodsRunning(
  newRS: KubeObject | undefined,
  oldRSs: readonly KubeObject[],
  podMap: Map<string, KubeObject[]>,
): boolean {
  if (sum(oldRSs, statusReplicas) > 0) return true
  for (const [uid, pods] of podMap) {
    if (newRS !== undefined && newRS.metadata.uid === uid) continue
    if (pods.some((pod) => podPhase(pod) !== 'Failed' && podPhase(pod) !== 'Succeeded')) return true
  }
  return false
}

/** A ReplicaFailure condition of the new ReplicaSet, else of any, as a Deployment condition. */
function replicaFailureOf(
  allRSs: readonly KubeObject[],
  newRS: KubeObject | undefined,
): Condition | undefined {
  for (const rs of newRS === undefined ? allRSs : [newRS, ...allRSs]) {
    const failure = conditionOf(rs.status, replicaFailure)
    if (failure !== undefined) {
      return {
        type: replicaFailure,
        status: failure.status,
        lastUpdateTime: failure.lastTransitionTime,
        lastTransitionTime: failure.lastTransitionTime,
        reason: failure.reason,
        message: failure.message,
      }
    }
  }
  return undefined
}

/** Go's `math.Round`. */
function roundHalfAwayFromZero(value: number): number {
  return Math.sign(value) * Math.round(Math.abs(value))
}
