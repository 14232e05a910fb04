// `cox rollout status|history|undo deployment/NAME`, as kubectl does them
// (shared/notes/kubectl-api-surface.md, C8): status watches the Deployment until its controller has
// observed the latest spec and every replica is updated and available; history and undo read the
// ReplicaSets the Deployment controls (by controller ownerReference uid) and their
// `deployment.kubernetes.io/revision` annotations; undo copies a revision's pod template (without
// its pod-template-hash label) and annotations back into the Deployment with a JSON patch.

import type { KubeObject, LabelSelector } from '../../core/api/object.ts'
import type { ApiClient } from '../api-client.ts'
import { ApiStatusError, ok } from './cluster-commands.ts'
import { renderPodTemplate } from './describe.ts'
import {
  CommandError,
  collectionPath,
  getJson,
  kindName,
  objectPath,
  record,
  resolveResource,
  selectorString,
  watchEvents,
  withQuery,
} from './kube-api.ts'
import { UsageError } from './usage.ts'

export const revisionAnnotation = 'deployment.kubernetes.io/revision'
export const changeCauseAnnotation = 'kubernetes.io/change-cause'
const podTemplateHashLabel = 'pod-template-hash'
/** Annotations of a ReplicaSet that say nothing about the template, so undo does not copy them back. */
const annotationsToSkip: ReadonlySet<string> = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  revisionAnnotation,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
])

type Json = Record<string, unknown>

/** `deployment/web`, `deploy web`: the Deployment a rollout command is about. */
export function rolloutTarget(verb: string, positionals: string[]): string {
  let kind: string | undefined
  let name: string | undefined
  if (positionals.length === 1 && positionals[0]!.includes('/')) {
    ;[kind, name] = [positionals[0]!.slice(0, positionals[0]!.indexOf('/')), positionals[0]!.split('/')[1]]
  } else if (positionals.length === 2) {
    ;[kind, name] = positionals
  } else {
    throw new UsageError(`rollout ${verb}: name one deployment, e.g. deployment/web`)
  }
  const type = resolveResource(kind!)
  if (type.kind !== 'Deployment')
    throw new CommandError(`rollout ${verb} supports deployments only, not ${type.plural}`)
  if (!name) throw new UsageError(`rollout ${verb}: name one deployment, e.g. deployment/web`)
  return name
}

const deployments = () => resolveResource('deployments.apps')

// ---------------------------------------------------------------- status

/** kubectl's verdict on a Deployment's rollout: the message to print, and whether it is over. */
export function rolloutStatus(deployment: KubeObject): { message: string; done: boolean } {
  const name = deployment.metadata.name
  const spec = record(deployment.spec)
  const status = record(deployment.status)
  const generation = Number(deployment.metadata.generation ?? 0)
  if (generation > Number(status.observedGeneration ?? 0)) {
    return { message: 'Waiting for deployment spec update to be observed...', done: false }
  }
  const conditions = Array.isArray(status.conditions) ? (status.conditions as Json[]) : []
  const progressing = conditions.find((c) => c.type === 'Progressing')
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    throw new CommandError(`deployment "${name}" exceeded its progress deadline`)
  }
  const desired = Number(spec.replicas ?? 1)
  const updated = Number(status.updatedReplicas ?? 0)
  const replicas = Number(status.replicas ?? 0)
  const available = Number(status.availableReplicas ?? 0)
  if (updated < desired) {
    return {
      message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...`,
      done: false,
    }
  }
  if (replicas > updated) {
    return {
      message: `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...`,
      done: false,
    }
  }
  if (available < updated) {
    return {
      message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`,
      done: false,
    }
  }
  return { message: `deployment "${name}" successfully rolled out`, done: true }
}

/** Watches the Deployment until its rollout is over; 1 when `timeoutMs` (0: none) passes first. */
export async function runRolloutStatus(
  client: ApiClient,
  namespace: string,
  name: string,
  timeoutMs: number,
): Promise<number> {
  const type = deployments()
  const controller = new AbortController()
  const timer = timeoutMs > 0 ? setTimeout(() => controller.abort(), timeoutMs) : null
  let last = ''
  const report = (deployment: KubeObject): boolean => {
    const { message, done } = rolloutStatus(deployment)
    if (message !== last) process.stdout.write(`${message}\n`)
    last = message
    return done
  }
  try {
    for (;;) {
      if (controller.signal.aborted) throw new CommandError('timed out waiting for the condition')
      // List (by name) and watch from the list's version, relisting whenever the watch ends.
      const path = withQuery(collectionPath(type, namespace), { fieldSelector: `metadata.name=${name}` })
      const list = await getJson<{ items?: KubeObject[]; metadata?: { resourceVersion?: string } }>(
        client,
        path,
      )
      const current = list.items?.[0]
      if (current === undefined) {
        await getJson(client, objectPath(type, namespace, name)) // the server's NotFound
        throw new CommandError(`deployment "${name}" not found`)
      }
      if (report(current)) return 0
      const watchPath = withQuery(collectionPath(type, namespace), {
        fieldSelector: `metadata.name=${name}`,
        watch: 'true',
        resourceVersion: list.metadata?.resourceVersion,
      })
      try {
        for await (const event of watchEvents(client, watchPath, { signal: controller.signal })) {
          if (event.type === 'DELETED') throw new CommandError(`deployment "${name}" was deleted`)
          if (event.type !== 'ADDED' && event.type !== 'MODIFIED') continue
          if (report(event.object as KubeObject)) return 0
        }
      } catch (error) {
        // An expired version (410) means relist; an abort is the timeout, reported at the top.
        if (error instanceof ApiStatusError && error.code === 410) continue
        if (!controller.signal.aborted || error instanceof CommandError) throw error
      }
    }
  } finally {
    if (timer) clearTimeout(timer)
  }
}

// ---------------------------------------------------------------- history

interface Revision {
  readonly revision: number
  readonly replicaSet: KubeObject
}

/** The ReplicaSets the Deployment controls that carry a revision, oldest revision first. */
async function revisions(client: ApiClient, deployment: KubeObject): Promise<Revision[]> {
  const namespace = deployment.metadata.namespace ?? 'default'
  const selector = selectorString(record(record(deployment.spec).selector) as LabelSelector)
  const path = withQuery(collectionPath(resolveResource('replicasets.apps'), namespace), {
    labelSelector: selector === '' ? undefined : selector,
  })
  const list = await getJson<{ items?: KubeObject[] }>(client, path)
  const found: Revision[] = []
  for (const replicaSet of list.items ?? []) {
    const owner = replicaSet.metadata.ownerReferences?.find((o) => o.controller)
    if (owner?.uid !== deployment.metadata.uid) continue
    const revision = Number(replicaSet.metadata.annotations?.[revisionAnnotation])
    if (Number.isInteger(revision) && revision >= 0) found.push({ revision, replicaSet })
  }
  return found.sort((a, b) => a.revision - b.revision)
}

export async function runRolloutHistory(
  client: ApiClient,
  namespace: string,
  name: string,
  revision: number | undefined,
): Promise<number> {
  const type = deployments()
  const deployment = await getJson<KubeObject>(client, objectPath(type, namespace, name))
  const history = await revisions(client, deployment)
  if (revision !== undefined) {
    const entry = history.find((r) => r.revision === revision)
    if (!entry) throw new CommandError(`unable to find the specified revision`)
    const template = record(record(entry.replicaSet.spec).template)
    process.stdout.write(
      `${kindName(type)}/${name} with revision #${revision}\n${renderPodTemplate(template)}`,
    )
    return 0
  }
  const lines = ['REVISION  CHANGE-CAUSE']
  const width = Math.max(8, ...history.map((r) => String(r.revision).length)) + 2
  for (const { revision: number, replicaSet } of history) {
    const cause = replicaSet.metadata.annotations?.[changeCauseAnnotation] || '<none>'
    lines.push(`${String(number).padEnd(width)}${cause}`)
  }
  process.stdout.write(`${kindName(type)}/${name}\n${lines.join('\n')}\n\n`)
  return 0
}

// ---------------------------------------------------------------- undo

export async function runRolloutUndo(
  client: ApiClient,
  namespace: string,
  name: string,
  toRevision: number,
): Promise<number> {
  const type = deployments()
  const path = objectPath(type, namespace, name)
  const deployment = await getJson<KubeObject>(client, path)
  const spec = record(deployment.spec)
  if (spec.paused === true) {
    throw new CommandError(
      `you cannot rollback a paused deployment; resume it first with 'cox rollout resume' and try again`,
    )
  }
  const target = pickRevision(await revisions(client, deployment), toRevision, name)
  const template = structuredClone(record(record(target.replicaSet.spec).template))
  const current = record(spec.template)
  if (sameTemplate(template, current)) {
    process.stdout.write(
      `${kindName(type)}/${name} skipped rollback (current template already matches revision ${target.revision})\n`,
    )
    return 0
  }
  const labels = record(record(template.metadata).labels)
  delete labels[podTemplateHashLabel]
  const annotations: Record<string, string> = {}
  for (const [key, value] of Object.entries(deployment.metadata.annotations ?? {})) {
    if (annotationsToSkip.has(key)) annotations[key] = value
  }
  for (const [key, value] of Object.entries(target.replicaSet.metadata.annotations ?? {})) {
    if (!annotationsToSkip.has(key)) annotations[key] = value
  }
  // kubectl replaces both; `add` sets the annotations whether or not the Deployment has any yet
  // (RFC 6902 `replace` fails on a missing member; a controller-run Deployment always has some).
  const patch = [
    { op: 'replace', path: '/spec/template', value: template },
    { op: 'add', path: '/metadata/annotations', value: annotations },
  ]
  const response = await client.request('PATCH', path, {
    body: JSON.stringify(patch),
    headers: { 'content-type': 'application/json-patch+json' },
  })
  await ok(response)
  process.stdout.write(`${kindName(type)}/${name} rolled back\n`)
  return 0
}

/** The revision to go back to: `toRevision`, or (0) the one before the latest, as kubectl picks. */
export function pickRevision(history: Revision[], toRevision: number, name: string): Revision {
  if (toRevision > 0) {
    const found = history.find((r) => r.revision === toRevision)
    if (!found) throw new CommandError(`unable to find specified revision ${toRevision} in history`)
    return found
  }
  if (history.length < 2) throw new CommandError(`no rollout history found for deployment "${name}"`)
  return history[history.length - 2]!
}

/** Whether two pod templates are the same once the pod-template-hash label is set aside. */
function sameTemplate(a: Json, b: Json): boolean {
  const strip = (template: Json): unknown => {
    const copy = structuredClone(template)
    const labels = record(record(copy.metadata).labels)
    delete labels[podTemplateHashLabel]
    return canonical(copy)
  }
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b))
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, canonical((value as Json)[key])]),
  )
}
