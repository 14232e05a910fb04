// The `cox` commands for Kubernetes objects, through the API every agent serves, as kubectl does
// them: apply (server-side, field manager `cox`), get, describe, delete (waiting until the objects
// are gone), scale, rollout status|history|undo, autoscale. Each parses its command line first (a
// mistake is a usage error, exit 2), then talks to the cluster; what the server refuses is printed
// as kubectl prints it (`Error from server (NotFound): deployments.apps "x" not found`), exit 1.

import type { KubeObject } from '../../core/api/object.ts'
import { type ResourceType, resourceFor } from '../../core/api/resources.ts'
import { ApiClient } from '../api-client.ts'
import { ApiStatusError, ok } from './cluster-commands.ts'
import { describeObject } from './describe.ts'
import { runGet } from './get.ts'
import {
  CommandError,
  collectionPath,
  defaultNamespace,
  durationFlag,
  errorText,
  getIfExists,
  getJson,
  kindName,
  namespaceFlag,
  type ObjectRef,
  objectPath,
  objectRefs,
  resolveResource,
  sleep,
  withQuery,
} from './kube-api.ts'
import { readManifests } from './manifests.ts'
import { rolloutTarget, runRolloutHistory, runRolloutStatus, runRolloutUndo } from './rollout.ts'
import { clientFlags, integerFlag, parse, UsageError } from './usage.ts'

/** Server-side apply's field manager for everything `cox apply` sets. */
export const fieldManager = 'cox'
/** How long `cox delete` waits for the objects to be gone unless --timeout says otherwise. */
export const deleteWaitMsDefault = 60_000
/** How often `cox delete` looks whether an object is gone. */
const deletePollMs = 200

const handlers: Record<string, (args: string[]) => Promise<number>> = {
  apply,
  get,
  describe,
  delete: deleteCommand,
  scale,
  rollout,
  autoscale,
}

export async function runKubeCommand(command: string, args: string[]): Promise<number> {
  const handler = handlers[command]
  if (handler === undefined) throw new UsageError(`unknown command "${command}"`)
  try {
    return await handler(args)
  } catch (error) {
    if (error instanceof UsageError) throw error
    process.stderr.write(`${errorText(error)}\n`)
    return 1
  }
}

async function withClient(
  flags: { kubeconfig?: string; context?: string },
  use: (client: ApiClient) => Promise<number>,
): Promise<number> {
  const client = await ApiClient.fromKubeconfig({ kubeconfig: flags.kubeconfig, context: flags.context })
  try {
    return await use(client)
  } finally {
    client.close()
  }
}

// ---------------------------------------------------------------- apply

async function apply(args: string[]): Promise<number> {
  const { values, positionals } = parse('apply', args, {
    ...clientFlags,
    ...namespaceFlag,
    filename: { type: 'string', short: 'f', multiple: true },
  })
  if (!values.filename?.length) throw new UsageError('apply: give the manifests with -f FILE|DIR|-')
  if (positionals.length > 0) throw new UsageError(`apply: unexpected argument "${positionals[0]}"`)
  const files = await readManifests(values.filename)
  let failed = false
  for (const file of files) {
    if (file.error) {
      process.stderr.write(`error: ${file.error}\n`)
      failed = true
    }
  }
  const objects = files.flatMap((file) => file.objects.map((object) => ({ source: file.source, object })))
  if (objects.length === 0) {
    if (!failed) process.stderr.write('error: no objects passed to apply\n')
    return 1
  }
  return withClient(values, async (client) => {
    for (const { source, object } of objects) {
      try {
        const verb = await applyObject(client, source, object, values.namespace)
        process.stdout.write(`${kindName(verb.type)}/${object.metadata.name} ${verb.result}\n`)
      } catch (error) {
        process.stderr.write(`${errorText(error)}\n`)
        failed = true
      }
    }
    return failed ? 1 : 0
  })
}

/** Server-side applies one object; says whether it was created, configured or left unchanged. */
async function applyObject(
  client: ApiClient,
  source: string,
  object: KubeObject,
  namespaceFlagValue: string | undefined,
): Promise<{ type: ResourceType; result: 'created' | 'configured' | 'unchanged' }> {
  const type = resourceFor(object.apiVersion, object.kind)
  if (type === undefined)
    throw new CommandError(`resource mapping not found for kind "${object.kind}" in "${source}"`)
  const name = object.metadata.name
  if (!name)
    throw new CommandError(`the ${object.kind} in "${source}" has no metadata.name, which apply needs`)
  const metadata = { ...object.metadata }
  let namespace: string | null = null
  if (type.namespaced) {
    const own = metadata.namespace
    if (own && namespaceFlagValue && own !== namespaceFlagValue) {
      throw new CommandError(
        `the namespace from the provided object "${own}" does not match the namespace "${namespaceFlagValue}". ` +
          `You must pass '--namespace=${own}' to perform this operation.`,
      )
    }
    namespace = own || namespaceFlagValue || defaultNamespace
    metadata.namespace = namespace
  } else {
    delete metadata.namespace
  }
  const path = objectPath(type, namespace, name)
  const before = await getIfExists(client, path)
  const response = await client.request('PATCH', withQuery(path, { fieldManager, force: 'true' }), {
    body: JSON.stringify({ ...object, metadata }),
    headers: { 'content-type': 'application/apply-patch+yaml' },
  })
  const after = JSON.parse(await ok(response)) as KubeObject
  if (response.status === 201) return { type, result: 'created' }
  const moved = before?.metadata.resourceVersion !== after.metadata?.resourceVersion
  return { type, result: moved ? 'configured' : 'unchanged' }
}

// ---------------------------------------------------------------- get, describe

async function get(args: string[]): Promise<number> {
  const { values, positionals } = parse('get', args, {
    ...clientFlags,
    ...namespaceFlag,
    output: { type: 'string', short: 'o' },
    watch: { type: 'boolean', short: 'w' },
    selector: { type: 'string', short: 'l' },
    'all-namespaces': { type: 'boolean', short: 'A' },
  })
  if (values['all-namespaces'] && values.namespace !== undefined) {
    throw new UsageError('get: -n and -A exclude each other')
  }
  if (values['all-namespaces'] && positionals.length > 1) {
    throw new UsageError('get: a resource cannot be retrieved by name across all namespaces')
  }
  // Resolve the names before connecting: an unknown kind fails without a cluster.
  for (const kind of (positionals[0] ?? '').split(',')) {
    if (kind && kind !== 'all' && !kind.includes('/')) resolveResource(kind)
  }
  return withClient(values, (client) =>
    runGet(client, positionals, {
      output: values.output,
      watch: values.watch === true,
      selector: values.selector,
      namespace: values.namespace,
      allNamespaces: values['all-namespaces'] === true,
    }),
  )
}

async function describe(args: string[]): Promise<number> {
  const { values, positionals } = parse('describe', args, { ...clientFlags, ...namespaceFlag })
  const { type, refs } = objectRefs('describe', positionals)
  const namespace = values.namespace ?? defaultNamespace
  return withClient(values, async (client) => {
    let targets: ObjectRef[] = refs
    if (refs.length === 0) {
      const list = await getJson<{ items?: KubeObject[] }>(client, collectionPath(type, namespace))
      targets = (list.items ?? []).map((item) => ({ type, name: item.metadata.name ?? '' }))
      if (targets.length === 0) {
        process.stderr.write(`No resources found in ${namespace} namespace.\n`)
        return 0
      }
    }
    let failed = false
    const texts: string[] = []
    for (const ref of targets) {
      try {
        texts.push(await describeObject(client, ref.type, namespace, ref.name))
      } catch (error) {
        if (!(error instanceof ApiStatusError)) throw error
        process.stderr.write(`${errorText(error)}\n`)
        failed = true
      }
    }
    process.stdout.write(texts.join('\n'))
    return failed ? 1 : 0
  })
}

// ---------------------------------------------------------------- delete

interface Deleted {
  readonly type: ResourceType
  readonly namespace: string | null
  readonly name: string
  readonly uid: string | undefined
}

async function deleteCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse('delete', args, {
    ...clientFlags,
    ...namespaceFlag,
    filename: { type: 'string', short: 'f', multiple: true },
    timeout: { type: 'string' },
  })
  const timeoutMs = durationFlag('timeout', values.timeout, deleteWaitMsDefault)
  let failed = false
  let targets: { type: ResourceType; namespace: string | null; name: string }[] = []
  if (values.filename?.length) {
    if (positionals.length > 0) throw new UsageError('delete: give either -f FILE or KIND NAME, not both')
    for (const file of await readManifests(values.filename)) {
      if (file.error) {
        process.stderr.write(`error: ${file.error}\n`)
        failed = true
      }
      for (const object of file.objects) {
        const type = resourceFor(object.apiVersion, object.kind)
        if (type === undefined) {
          process.stderr.write(
            `error: resource mapping not found for kind "${object.kind}" in "${file.source}"\n`,
          )
          failed = true
          continue
        }
        const namespace = type.namespaced
          ? object.metadata.namespace || values.namespace || defaultNamespace
          : null
        targets.push({ type, namespace, name: object.metadata.name ?? '' })
      }
    }
  } else {
    const { refs } = objectRefs('delete', positionals)
    if (refs.length === 0)
      throw new UsageError('delete: name the objects to delete (KIND NAME... or -f FILE)')
    const namespace = values.namespace ?? defaultNamespace
    targets = refs.map((ref) => ({
      type: ref.type,
      namespace: ref.type.namespaced ? namespace : null,
      name: ref.name,
    }))
  }
  if (targets.length === 0) return failed ? 1 : 0
  return withClient(values, async (client) => {
    const deleted: Deleted[] = []
    for (const target of targets) {
      try {
        const response = await client.request(
          'DELETE',
          objectPath(target.type, target.namespace, target.name),
          {
            body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
          },
        )
        const answer = JSON.parse(await ok(response)) as {
          metadata?: { uid?: string }
          details?: { uid?: string }
        }
        process.stdout.write(`${kindName(target.type)} "${target.name}" deleted\n`)
        deleted.push({ ...target, uid: answer.metadata?.uid ?? answer.details?.uid })
      } catch (error) {
        process.stderr.write(`${errorText(error)}\n`)
        failed = true
      }
    }
    const deadline = Date.now() + timeoutMs
    for (const object of deleted) {
      if (!(await waitGone(client, object, deadline))) {
        process.stderr.write(
          `error: timed out waiting for the condition on ${object.type.plural}/${object.name}\n`,
        )
        failed = true
      }
    }
    return failed ? 1 : 0
  })
}

/** Whether the object is gone (or replaced by another of the same name) before `deadline`. */
async function waitGone(client: ApiClient, object: Deleted, deadline: number): Promise<boolean> {
  const path = objectPath(object.type, object.namespace, object.name)
  for (;;) {
    const current = await getIfExists(client, path)
    if (current === null || (object.uid !== undefined && current.metadata.uid !== object.uid)) return true
    if (Date.now() >= deadline) return false
    await sleep(deletePollMs)
  }
}

// ---------------------------------------------------------------- scale, autoscale

async function scale(args: string[]): Promise<number> {
  const { values, positionals } = parse('scale', args, {
    ...clientFlags,
    ...namespaceFlag,
    replicas: { type: 'string' },
  })
  const replicas = integerFlag('replicas', values.replicas)
  if (replicas === undefined) throw new UsageError('scale: --replicas=N is required')
  const { refs } = objectRefs('scale', positionals)
  if (refs.length === 0) throw new UsageError('scale: name what to scale, e.g. deployment/web')
  for (const ref of refs) {
    if (!ref.type.subresources.includes('scale'))
      throw new CommandError(`${ref.type.plural} cannot be scaled`)
  }
  const namespace = values.namespace ?? defaultNamespace
  return withClient(values, async (client) => {
    let failed = false
    for (const ref of refs) {
      try {
        const path = `${objectPath(ref.type, namespace, ref.name)}/scale`
        await ok(
          await client.request('PATCH', path, {
            body: JSON.stringify({ spec: { replicas } }),
            headers: { 'content-type': 'application/merge-patch+json' },
          }),
        )
        process.stdout.write(`${kindName(ref.type)}/${ref.name} scaled\n`)
      } catch (error) {
        process.stderr.write(`${errorText(error)}\n`)
        failed = true
      }
    }
    return failed ? 1 : 0
  })
}

async function autoscale(args: string[]): Promise<number> {
  const { values, positionals } = parse('autoscale', args, {
    ...clientFlags,
    ...namespaceFlag,
    min: { type: 'string' },
    max: { type: 'string' },
    'cpu-percent': { type: 'string' },
    name: { type: 'string' },
  })
  const { refs } = objectRefs('autoscale', positionals)
  if (refs.length !== 1) throw new UsageError('autoscale: name one object, e.g. deployment web')
  const target = refs[0]!
  const max = integerFlag('max', values.max)
  const min = integerFlag('min', values.min)
  const cpuPercent = integerFlag('cpu-percent', values['cpu-percent'])
  if (max === undefined || max < 1)
    throw new UsageError('autoscale: --max=MAXPODS is required and must be at least 1')
  if (min !== undefined && (min < 1 || min > max)) {
    throw new UsageError(`autoscale: --min must be at least 1 and at most --max (${max})`)
  }
  if (!target.type.subresources.includes('scale')) {
    throw new CommandError(`cannot autoscale a ${target.type.kind}: it has no /scale subresource`)
  }
  const namespace = values.namespace ?? defaultNamespace
  const name = values.name ?? target.name
  const hpaType = resolveResource('horizontalpodautoscalers.v2.autoscaling')
  return withClient(values, async (client) => {
    const scaled = await getJson<KubeObject>(client, objectPath(target.type, namespace, target.name))
    const spec: Record<string, unknown> = {
      scaleTargetRef: { apiVersion: scaled.apiVersion, kind: target.type.kind, name: target.name },
      ...(min === undefined ? {} : { minReplicas: min }),
      maxReplicas: max,
    }
    if (cpuPercent !== undefined) {
      spec.metrics = [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpuPercent } },
        },
      ]
    }
    const hpa = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name, namespace },
      spec,
    }
    await ok(
      await client.request('POST', withQuery(collectionPath(hpaType, namespace), { fieldManager }), {
        body: hpa,
      }),
    )
    process.stdout.write(`${kindName(hpaType)}/${name} autoscaled\n`)
    return 0
  })
}

// ---------------------------------------------------------------- rollout

async function rollout(args: string[]): Promise<number> {
  const [verb, ...rest] = args
  const { values, positionals } = parse(`rollout ${verb ?? ''}`.trim(), rest, {
    ...clientFlags,
    ...namespaceFlag,
    'to-revision': { type: 'string' },
    revision: { type: 'string' },
    timeout: { type: 'string' },
  })
  if (verb !== 'status' && verb !== 'history' && verb !== 'undo') {
    throw new UsageError(`rollout: the subcommand is status, history or undo, not "${verb ?? ''}"`)
  }
  const misplaced = (['to-revision', 'revision', 'timeout'] as const).find(
    (flag) =>
      values[flag] !== undefined &&
      flag !== { status: 'timeout', history: 'revision', undo: 'to-revision' }[verb],
  )
  if (misplaced) throw new UsageError(`rollout ${verb}: --${misplaced} is not a flag of this command`)
  const name = rolloutTarget(verb, positionals)
  const namespace = values.namespace ?? defaultNamespace
  const timeoutMs = durationFlag('timeout', values.timeout, 0)
  const toRevision = integerFlag('to-revision', values['to-revision']) ?? 0
  const revision = integerFlag('revision', values.revision) || undefined
  return withClient(values, (client) => {
    if (verb === 'status') return runRolloutStatus(client, namespace, name, timeoutMs)
    if (verb === 'history') return runRolloutHistory(client, namespace, name, revision)
    return runRolloutUndo(client, namespace, name, toRevision)
  })
}
