// What the `cox` commands for Kubernetes objects share: resolving the names users type (`deploy`,
// `deployments.apps`, `deploy/web`) to resources, the REST paths of collections and objects, the
// names kubectl prints (`deployment.apps/web`, `deployments.apps "web"`), JSON reads, watch
// streams, label selectors as query strings, durations, and the errors that end a command.

import { isRecord, type KubeObject, type LabelSelector } from '../../core/api/object.ts'
import { type ResourceType, resourceByName } from '../../core/api/resources.ts'
import { type ApiClient, jsonLines, WatchLineTooLargeError } from '../api-client.ts'
import { ApiStatusError, ok, statusError } from './cluster-commands.ts'
import { UsageError } from './usage.ts'

/** A command that failed for a reason of its own (not the server's): printed as `error: ...`, exit 1. */
export class CommandError extends Error {
  override readonly name = 'CommandError'
}

/** An error as kubectl prints it: the server's Status, or what went wrong here. */
export function errorText(error: unknown): string {
  if (error instanceof ApiStatusError) return `Error from server (${error.reason}): ${error.statusMessage}`
  return `error: ${(error as Error).message}`
}

/** The flags of every command that works in a namespace. */
export const namespaceFlag = { namespace: { type: 'string', short: 'n' } } as const

export const defaultNamespace = 'default'

/** The resource `name` means (`po`, `deployments.apps`, `Deployment`), or the error kubectl gives. */
export function resolveResource(name: string): ResourceType {
  const type = resourceByName(name)
  if (type === undefined) throw new CommandError(`the server doesn't have a resource type "${name}"`)
  return type
}

export interface ObjectRef {
  readonly type: ResourceType
  readonly name: string
}

/**
 * The objects a command line names: `KIND NAME...` or `KIND/NAME...` (kinds may differ then).
 * `KIND` alone yields no names.
 */
export function objectRefs(
  command: string,
  positionals: readonly string[],
): { type: ResourceType; refs: ObjectRef[] } {
  const [first, ...rest] = positionals
  if (first === undefined) throw new UsageError(`${command}: name a resource type, e.g. deployment`)
  if (first.includes('/')) {
    const refs = positionals.map((arg) => {
      const slash = arg.indexOf('/')
      if (slash <= 0 || slash === arg.length - 1) {
        throw new UsageError(`${command}: "${arg}" mixes KIND/NAME with KIND NAME; use one form`)
      }
      return { type: resolveResource(arg.slice(0, slash)), name: arg.slice(slash + 1) }
    })
    return { type: refs[0]!.type, refs }
  }
  const type = resolveResource(first)
  for (const name of rest) {
    if (name.includes('/'))
      throw new UsageError(`${command}: "${name}": give KIND NAME or KIND/NAME, not both`)
  }
  return { type, refs: rest.map((name) => ({ type, name })) }
}

/** `/apis/apps/v1/namespaces/NS/deployments`; cluster-wide when `namespace` is null or the kind is. */
export function collectionPath(type: ResourceType, namespace: string | null): string {
  const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`
  if (!type.namespaced || namespace === null) return `${base}/${type.plural}`
  return `${base}/namespaces/${encodeURIComponent(namespace)}/${type.plural}`
}

export function objectPath(type: ResourceType, namespace: string | null, name: string): string {
  return `${collectionPath(type, namespace)}/${encodeURIComponent(name)}`
}

/** `deployment.apps`, `service`: how kubectl names a kind in `deployment.apps/web created`. */
export function kindName(type: ResourceType): string {
  return type.group === '' ? type.singular : `${type.singular}.${type.group}`
}

/** `deployments.apps`, `services`: how the API names a resource in messages. */
export function resourceName(type: ResourceType): string {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`
}

/** A path with its query; parameters whose value is undefined are left out. */
export function withQuery(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, value)
  const text = params.toString()
  return text === '' ? path : `${path}?${text}`
}

export async function getJson<T>(
  client: ApiClient,
  path: string,
  headers?: Record<string, string>,
): Promise<T> {
  return JSON.parse(await ok(await client.request('GET', path, { headers }))) as T
}

/** The object at `path`, or null when the server answers 404. */
export async function getIfExists(client: ApiClient, path: string): Promise<KubeObject | null> {
  const response = await client.request('GET', path)
  if (response.status === 404) return null
  return JSON.parse(await ok(response)) as KubeObject
}

export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'
  readonly object: Record<string, unknown>
}

/**
 * The events of a watch on `path` (which carries `watch=true`), until the server ends the stream or
 * `signal` aborts. An ERROR event is thrown as the Status error it carries.
 */
export async function* watchEvents(
  client: ApiClient,
  path: string,
  options: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): AsyncGenerator<WatchEvent> {
  const stream = await client.stream('GET', path, { headers: options.headers, signal: options.signal })
  const onAbort = () => stream.close()
  options.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    if (stream.status < 200 || stream.status >= 300) {
      const chunks: Buffer[] = []
      for await (const chunk of stream.body) chunks.push(chunk)
      throw statusError(stream.status, Buffer.concat(chunks).toString('utf8'))
    }
    try {
      for await (const value of jsonLines(stream.body)) {
        const event = value as WatchEvent
        if (event.type === 'ERROR') {
          const status = event.object as { code?: number }
          throw statusError(status.code ?? 500, JSON.stringify(event.object))
        }
        yield event
      }
    } catch (error) {
      // Closing the stream on purpose aborts the response; that is an end, not a failure.
      if (options.signal?.aborted && !(error instanceof ApiStatusError)) return
      if (error instanceof WatchLineTooLargeError)
        throw new CommandError(`a watch event on ${path} is too large`)
      throw error
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
    stream.close()
  }
}

/** A LabelSelector as the `labelSelector` query parameter (`app=web,tier in (a,b)`). */
export function selectorString(selector: LabelSelector | undefined): string {
  const parts = Object.entries(selector?.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`)
  for (const requirement of selector?.matchExpressions ?? []) {
    const values = (requirement.values ?? []).join(',')
    switch (requirement.operator) {
      case 'In':
        parts.push(`${requirement.key} in (${values})`)
        break
      case 'NotIn':
        parts.push(`${requirement.key} notin (${values})`)
        break
      case 'Exists':
        parts.push(requirement.key)
        break
      case 'DoesNotExist':
        parts.push(`!${requirement.key}`)
        break
    }
  }
  return parts.join(',')
}

const durationUnitsMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** A Go-style duration (`90s`, `5m`, `1h30m`, `0`) in ms, or a usage error naming the flag. */
export function durationFlag(name: string, text: string | undefined, fallbackMs: number): number {
  if (text === undefined) return fallbackMs
  if (text === '0') return 0
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new UsageError(`--${name} must be a duration such as 30s, 5m or 1h, not "${text}"`)
  }
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * durationUnitsMs[unit!]!, 0)
}

/** The string-keyed record at `value`, or an empty one. */
export function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {}
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms))
}
