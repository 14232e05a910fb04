// `cox get`: objects as kubectl shows them. Human output comes from the server's Table (columns of
// priority 0, and higher ones with `-o wide`; NAMESPACE first with -A; NAME prefixed by the kind
// when several kinds are shown); `-o yaml|json` print the objects (a List for a listing),
// `-o name` their names; `-w` lists, then watches from the list's resourceVersion and prints each
// change as it comes.

import { stringify as stringifyYaml } from 'yaml'
import type { KubeObject } from '../../core/api/object.ts'
import { type ResourceType, resourceTypes } from '../../core/api/resources.ts'
import type { ApiClient } from '../api-client.ts'
import { ApiStatusError, columnWidths, tableRow } from './cluster-commands.ts'
import {
  collectionPath,
  defaultNamespace,
  errorText,
  getJson,
  kindName,
  type ObjectRef,
  objectPath,
  objectRefs,
  record,
  resolveResource,
  watchEvents,
  withQuery,
} from './kube-api.ts'
import { UsageError } from './usage.ts'

/** kubectl's Accept for human output: a meta.k8s.io/v1 Table, else the plain object. */
export const tableAccept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json'

const outputs = ['table', 'wide', 'yaml', 'json', 'name'] as const
type Output = (typeof outputs)[number]

export interface GetOptions {
  readonly output: string | undefined
  readonly watch: boolean
  readonly selector: string | undefined
  readonly namespace: string | undefined
  readonly allNamespaces: boolean
}

export async function runGet(client: ApiClient, positionals: string[], options: GetOptions): Promise<number> {
  const output = (options.output ?? 'table') as Output
  if (!outputs.includes(output)) {
    throw new UsageError(`get: -o must be one of wide, yaml, json, name; not "${options.output}"`)
  }
  const namespace = options.allNamespaces ? null : (options.namespace ?? defaultNamespace)
  const targets = resolveTargets(positionals)
  const named = targets.some((target) => target.names !== null)
  if (options.selector !== undefined && named) throw new UsageError('get: -l cannot be combined with names')
  if (options.watch && (targets.length > 1 || (targets[0]!.names?.length ?? 0) > 1)) {
    throw new UsageError('get: -w watches one kind, or one object')
  }
  if (options.watch)
    return watch(client, targets[0]!.type, targets[0]!.names?.[0], namespace, output, options)

  const tableOutput = output === 'table' || output === 'wide'
  let failed = false
  const shown: KubeObject[] = []
  const sections: string[] = []
  for (const target of targets) {
    const paths =
      target.names === null
        ? [withQuery(collectionPath(target.type, namespace), { labelSelector: options.selector })]
        : target.names.map((name) => objectPath(target.type, namespace ?? defaultNamespace, name))
    // Tables, or (for -o yaml|json|name) the objects and lists themselves.
    const responses: Table[] = []
    for (const path of paths) {
      try {
        responses.push(await getJson<Table>(client, path, tableOutput ? accept : undefined))
      } catch (error) {
        // A missing object among several named ones is reported, and the others still shown.
        if (!(error instanceof ApiStatusError) || target.names === null) throw error
        process.stderr.write(`${errorText(error)}\n`)
        failed = true
      }
    }
    if (tableOutput) {
      const printer = new TablePrinter({
        wide: output === 'wide',
        withNamespace: namespace === null && target.type.namespaced,
        kindPrefix: targets.length > 1 ? `${kindName(target.type)}/` : '',
      })
      const text = responses.map((table) => printer.format(table)).join('')
      if (text !== '') sections.push(text)
    } else if (target.names === null) {
      shown.push(...responses.flatMap((list) => listItems(target.type, list)))
    } else {
      shown.push(...(responses as unknown as KubeObject[]))
    }
  }
  if (tableOutput) {
    process.stdout.write(sections.join('\n'))
    if (sections.length === 0 && !named) process.stderr.write(`${noResources(targets, namespace)}\n`)
  } else if (shown.length === 0 && !named) {
    process.stderr.write(`${noResources(targets, namespace)}\n`)
  } else if (output === 'name') {
    for (const object of shown) process.stdout.write(`${objectName(object)}\n`)
  } else if (shown.length > 0) {
    const single = named && targets.length === 1 && targets[0]!.names!.length === 1
    process.stdout.write(render(single ? shown[0]! : asList(shown), output))
  }
  return failed ? 1 : 0
}

interface Target {
  readonly type: ResourceType
  /** null: every object of the kind (in the namespace, with the selector). */
  readonly names: string[] | null
}

function resolveTargets(positionals: string[]): Target[] {
  const [first] = positionals
  if (first === undefined) throw new UsageError('get: name a resource type, e.g. cox get deployments')
  if (!first.includes('/') && (first.includes(',') || first === 'all')) {
    if (positionals.length > 1) throw new UsageError('get: names need a single resource type')
    return first.split(',').flatMap((kind) => kindsNamed(kind).map((type) => ({ type, names: null })))
  }
  const { type, refs } = objectRefs('get', positionals)
  if (refs.length === 0) return [{ type, names: null }]
  // KIND/NAME forms may name several kinds: group the names by kind, in order of appearance.
  const targets: { type: ResourceType; names: string[] }[] = []
  for (const ref of refs as ObjectRef[]) {
    const target = targets.find((t) => t.type === ref.type)
    if (target) target.names.push(ref.name)
    else targets.push({ type: ref.type, names: [ref.name] })
  }
  return targets
}

/** `all` is kubectl's category (pods, services, deployments...); anything else one kind. */
function kindsNamed(name: string): ResourceType[] {
  if (name !== 'all') return [resolveResource(name)]
  const kinds = resourceTypes.filter((type) => type.categories.includes('all'))
  // One version of each kind: the one its group prefers.
  return kinds
    .filter((type, i) => kinds.findIndex((t) => t.group === type.group && t.kind === type.kind) === i)
    .map((type) => resolveResource(`${type.plural}.${type.group}`.replace(/\.$/, '')))
}

const accept = { accept: tableAccept }

function noResources(targets: Target[], namespace: string | null): string {
  const namespaced = targets.some((t) => t.type.namespaced)
  return namespace === null || !namespaced
    ? 'No resources found'
    : `No resources found in ${namespace} namespace.`
}

async function watch(
  client: ApiClient,
  type: ResourceType,
  name: string | undefined,
  namespace: string | null,
  output: Output,
  options: GetOptions,
): Promise<number> {
  const tables = output === 'table' || output === 'wide'
  const query = {
    labelSelector: options.selector,
    fieldSelector: name === undefined ? undefined : `metadata.name=${name}`,
  }
  const listPath = withQuery(collectionPath(type, namespace), query)
  const list = await getJson<Table & { items?: KubeObject[] }>(client, listPath, tables ? accept : undefined)
  const printer = new TablePrinter({
    wide: output === 'wide',
    withNamespace: namespace === null && type.namespaced,
    kindPrefix: '',
  })
  const initial = tables ? list.rows?.length : list.items?.length
  // A named object that is not there: the plain GET gives the server's NotFound.
  if (name !== undefined && !initial)
    await getJson(client, objectPath(type, namespace ?? defaultNamespace, name))
  if (tables) process.stdout.write(printer.format(list))
  else for (const object of listItems(type, list)) process.stdout.write(renderWatched(object, output))
  const resourceVersion = list.metadata?.resourceVersion
  const path = withQuery(collectionPath(type, namespace), { ...query, watch: 'true', resourceVersion })
  const controller = new AbortController()
  const stop = () => controller.abort()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    for await (const event of watchEvents(client, path, {
      headers: tables ? accept : undefined,
      signal: controller.signal,
    })) {
      if (event.type === 'BOOKMARK') continue
      if (tables) process.stdout.write(printer.format(event.object as Table))
      else process.stdout.write(renderWatched(event.object as KubeObject, output))
    }
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
  return 0
}

// ---------------------------------------------------------------- tables

interface ColumnDefinition {
  name: string
  type?: string
  priority?: number
}

interface TableRowData {
  cells: unknown[]
  object?: { metadata?: { name?: string; namespace?: string } }
}

/** A meta.k8s.io/v1 Table, or (from a server without Tables) a plain object or list. */
export interface Table {
  kind?: string
  columnDefinitions?: ColumnDefinition[]
  rows?: TableRowData[]
  metadata?: { resourceVersion?: string; namespace?: string; name?: string; creationTimestamp?: string }
  items?: KubeObject[]
}

/** Prints Tables under one header: the first time with it, later rows (a watch) without. */
export class TablePrinter {
  readonly #wide: boolean
  readonly #withNamespace: boolean
  readonly #kindPrefix: string
  #widths: number[] | null = null

  constructor(options: { wide: boolean; withNamespace: boolean; kindPrefix: string }) {
    this.#wide = options.wide
    this.#withNamespace = options.withNamespace
    this.#kindPrefix = options.kindPrefix
  }

  format(response: Table): string {
    const table = response.kind === 'Table' ? response : tableOf(response)
    const columns = (table.columnDefinitions ?? [])
      .map((column, index) => ({ column, index }))
      .filter(({ column }) => this.#wide || (column.priority ?? 0) === 0)
    const nameColumn = columns.findIndex(({ column }) => column.name.toLowerCase() === 'name')
    const rows = (table.rows ?? []).map((row) => {
      const cells = columns.map(({ index }) => cellText(row.cells[index]))
      if (nameColumn >= 0 && this.#kindPrefix !== '') cells[nameColumn] = this.#kindPrefix + cells[nameColumn]
      if (this.#withNamespace) cells.unshift(row.object?.metadata?.namespace ?? '')
      return cells
    })
    if (rows.length === 0) return ''
    const header = columns.map(({ column }) => column.name.toUpperCase())
    if (this.#withNamespace) header.unshift('NAMESPACE')
    const widths = columnWidths(header, rows)
    const lines = [...rows]
    if (this.#widths === null) {
      this.#widths = widths
      lines.unshift(header)
    } else {
      this.#widths = this.#widths.map((width, i) => Math.max(width, widths[i] ?? 0))
    }
    const kept = this.#widths
    return lines.map((cells) => `${tableRow(cells, kept)}\n`).join('')
  }
}

/** kubectl prints a cell's text up to its first line break; nothing for null. */
function cellText(cell: unknown): string {
  if (cell === null || cell === undefined) return ''
  if (typeof cell === 'string') return cell.split(/[\r\n\f]/)[0]!
  if (typeof cell === 'object') return JSON.stringify(cell)
  return String(cell)
}

/** NAME and AGE for the objects of a response that is not a Table (kubectl's fallback). */
function tableOf(response: Table): Table {
  const objects = Array.isArray(response.items) ? response.items : [response as unknown as KubeObject]
  return {
    kind: 'Table',
    columnDefinitions: [{ name: 'Name' }, { name: 'Age' }],
    rows: objects.map((object) => ({
      cells: [object.metadata?.name ?? '', age(object.metadata?.creationTimestamp)],
      object: { metadata: object.metadata },
    })),
  }
}

/** kubectl's short ages: 45s, 3m, 5h, 12d. */
export function age(timestamp: string | undefined, nowMs = Date.now()): string {
  if (!timestamp) return '<unknown>'
  const seconds = Math.max(0, Math.floor((nowMs - Date.parse(timestamp)) / 1000))
  if (seconds < 120) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`
  if (minutes < 180) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`
  if (hours < 48) return `${hours}h`
  const days = Math.floor(hours / 24)
  if (days < 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`
  return `${days}d`
}

// ---------------------------------------------------------------- objects

function listItems(type: ResourceType, list: { items?: KubeObject[] }): KubeObject[] {
  const apiVersion = type.group === '' ? type.version : `${type.group}/${type.version}`
  // Items of a list may come without their kind (the Kubernetes API server leaves it out).
  return (list.items ?? []).map((item) => ({
    ...item,
    apiVersion: item.apiVersion ?? apiVersion,
    kind: item.kind ?? type.kind,
  }))
}

function asList(objects: KubeObject[]): Record<string, unknown> {
  return { apiVersion: 'v1', items: objects, kind: 'List', metadata: { resourceVersion: '' } }
}

/** `deployment.apps/web`. */
function objectName(object: KubeObject): string {
  const group = object.apiVersion.includes('/')
    ? object.apiVersion.slice(0, object.apiVersion.indexOf('/'))
    : ''
  const kind = object.kind.toLowerCase()
  return `${group === '' ? kind : `${kind}.${group}`}/${object.metadata.name ?? ''}`
}

/** YAML or JSON with keys in order, as kubectl prints unstructured objects. */
export function render(value: unknown, output: 'yaml' | 'json'): string {
  const sorted = sortKeys(value)
  if (output === 'json') return `${JSON.stringify(sorted, null, 4)}\n`
  return stringifyYaml(sorted, { indentSeq: false, lineWidth: 0 })
}

function renderWatched(object: KubeObject, output: Output): string {
  if (output === 'name') return `${objectName(object)}\n`
  return output === 'yaml' ? `---\n${render(object, 'yaml')}` : render(object, 'json')
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value === null || typeof value !== 'object') return value
  const entries = Object.entries(record(value)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return Object.fromEntries(entries.map(([key, inner]) => [key, sortKeys(inner)]))
}
