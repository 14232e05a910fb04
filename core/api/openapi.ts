// OpenAPI v3 for the served resources, from the schemas of openapi-schemas.ts: the `/openapi/v3`
// index and one document per group-version, in the shape the Kubernetes API server serves. kubectl
// reads them twice: `create`/`apply` look for a PATCH operation of the object's kind that takes
// `fieldValidation` (then send `?fieldValidation=Strict` and skip client-side validation), and
// `explain` and client-side apply read the schemas. The same schemas drive server-side strict
// field validation here: `unknownFields` lists what a strict decoder would refuse.

import { isRecord, type KubeObject } from './object.ts'
import { kindSchemaName, type Schema, schemaRefPrefix, schemas } from './openapi-schemas.ts'
import { groupVersions, type ResourceType, resourceTypes } from './resources.ts'

export type { Schema } from './openapi-schemas.ts'

type Json = Record<string, unknown>

/** `api/v1` for the core group, `apis/apps/v1` otherwise: the key of a document in the index. */
export function openApiPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`
}

/** A stable fingerprint of a document (FNV-1a, 64 bits, hex): changes exactly when the document does. */
export function openApiHash(group: string, version: string): string {
  const text = JSON.stringify(openApiDocument(group, version) ?? null)
  let hash = 0xcbf29ce484222325n
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i))
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn
  }
  return hash.toString(16).toUpperCase().padStart(16, '0')
}

/**
 * The `/openapi/v3` index: `{paths: {"apis/apps/v1": {serverRelativeURL:
 * "/openapi/v3/apis/apps/v1?hash=H"}}}`. kubectl caches documents by their URL, so the hash must
 * change when the document does (the default does).
 */
export function openApiIndex(hashOf: (group: string, version: string) => string = openApiHash): {
  paths: Record<string, { serverRelativeURL: string }>
} {
  const paths: Record<string, { serverRelativeURL: string }> = {}
  for (const { group, versions } of groupVersions()) {
    for (const version of versions) {
      const path = openApiPath(group, version)
      paths[path] = {
        serverRelativeURL: `/openapi/v3/${path}?hash=${encodeURIComponent(hashOf(group, version))}`,
      }
    }
  }
  return { paths }
}

// --- documents -------------------------------------------------------------------------------

const documentCache = new Map<string, Json>()

/** The OpenAPI 3.0 document of one group-version, or undefined if it is not served. Frozen; shared. */
export function openApiDocument(group: string, version: string): Json | undefined {
  const key = `${group}/${version}`
  const cached = documentCache.get(key)
  if (cached !== undefined) return cached
  const types = resourceTypes.filter((t) => t.group === group && t.version === version)
  if (types.length === 0) return undefined
  const document = deepFreeze(buildDocument(group, version, types))
  documentCache.set(key, document)
  return document
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

const scaleSchema = 'io.k8s.api.autoscaling.v1.Scale'
const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1.'

function buildDocument(group: string, version: string, types: ResourceType[]): Json {
  const paths: Record<string, Json> = {}
  for (const type of types) Object.assign(paths, resourcePaths(type))
  const roots = [`${meta}Status`, `${meta}DeleteOptions`, `${meta}Patch`]
  for (const type of types) {
    roots.push(kindSchemaName(group, version, type.kind), kindSchemaName(group, version, type.listKind))
    if (type.subresources.includes('scale')) roots.push(scaleSchema)
  }
  const components: Record<string, Schema> = {}
  for (const root of roots) collectSchemas(root, components)
  // DeleteOptions is posted to every group-version; Kubernetes lists each as one of its kinds.
  components[`${meta}DeleteOptions`] = {
    ...components[`${meta}DeleteOptions`],
    'x-kubernetes-group-version-kind': groupVersions().flatMap((g) =>
      g.versions.map((v) => ({ group: g.group, kind: 'DeleteOptions', version: v })),
    ),
  }
  const sorted = Object.fromEntries(
    Object.keys(components)
      .sort()
      .map((name) => [name, components[name]]),
  )
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: {
      schemas: sorted,
      securitySchemes: {
        BearerToken: {
          type: 'apiKey',
          description: 'Bearer Token authentication',
          name: 'authorization',
          in: 'header',
        },
      },
    },
  }
}

function collectSchemas(name: string, into: Record<string, Schema>): void {
  if (into[name] !== undefined) return
  const schema = schemas[name]
  if (schema === undefined) throw new Error(`OpenAPI schema ${name} is referenced but not defined`)
  into[name] = schema
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit)
    else if (isRecord(value)) {
      if (typeof value.$ref === 'string') collectSchemas(value.$ref.slice(schemaRefPrefix.length), into)
      Object.values(value).forEach(visit)
    }
  }
  visit(schema)
}

// --- paths and operations --------------------------------------------------------------------

const schemaRef = (name: string) => ({ $ref: `${schemaRefPrefix}${name}` })
const queryString = (name: string, description: string) => ({
  name,
  in: 'query',
  description,
  schema: { type: 'string', uniqueItems: true },
})
const queryBoolean = (name: string, description: string) => ({
  name,
  in: 'query',
  description,
  schema: { type: 'boolean', uniqueItems: true },
})
const queryInteger = (name: string, description: string) => ({
  name,
  in: 'query',
  description,
  schema: { type: 'integer', uniqueItems: true },
})

const parameters = {
  pretty: queryString('pretty', "If 'true', then the output is pretty printed."),
  dryRun: queryString(
    'dryRun',
    'When present, indicates that modifications should not be persisted. The only valid value is All.',
  ),
  fieldManager: queryString(
    'fieldManager',
    'A name associated with the actor or entity that is making these changes.',
  ),
  fieldValidation: queryString(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: unknown fields are dropped silently. - Warn: unknown fields are dropped and a warning is returned for each (the default). - Strict: the request fails with BadRequest if any unknown field is present.',
  ),
  force: queryBoolean(
    'force',
    'Force is going to "force" Apply requests. It must be unset for non-apply patch requests.',
  ),
  allowWatchBookmarks: queryBoolean('allowWatchBookmarks', 'Requests watch events with type "BOOKMARK".'),
  continue: queryString(
    'continue',
    'The continue option should be set when retrieving more results from the server.',
  ),
  fieldSelector: queryString(
    'fieldSelector',
    'A selector to restrict the list of returned objects by their fields.',
  ),
  labelSelector: queryString(
    'labelSelector',
    'A selector to restrict the list of returned objects by their labels.',
  ),
  limit: queryInteger('limit', 'The maximum number of responses to return for a list call.'),
  resourceVersion: queryString(
    'resourceVersion',
    'Sets a constraint on what resource versions a request may be served from.',
  ),
  resourceVersionMatch: queryString(
    'resourceVersionMatch',
    'Determines how resourceVersion is applied to list calls.',
  ),
  sendInitialEvents: queryBoolean(
    'sendInitialEvents',
    'Requests synthetic events for the current state at the start of a watch.',
  ),
  timeoutSeconds: queryInteger('timeoutSeconds', 'Timeout for the list/watch call.'),
  watch: queryBoolean(
    'watch',
    'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.',
  ),
  gracePeriodSeconds: queryInteger(
    'gracePeriodSeconds',
    'The duration in seconds before the object should be deleted.',
  ),
  orphanDependents: queryBoolean('orphanDependents', 'Deprecated: please use the PropagationPolicy.'),
  propagationPolicy: queryString(
    'propagationPolicy',
    "Whether and how garbage collection will be performed: 'Orphan', 'Background' or 'Foreground'.",
  ),
}

const listParameters = [
  parameters.allowWatchBookmarks,
  parameters.continue,
  parameters.fieldSelector,
  parameters.labelSelector,
  parameters.limit,
  parameters.resourceVersion,
  parameters.resourceVersionMatch,
  parameters.sendInitialEvents,
  parameters.timeoutSeconds,
  parameters.watch,
]
const writeParameters = [parameters.dryRun, parameters.fieldManager, parameters.fieldValidation]

const content = (schema: Json) => ({ 'application/json': { schema }, 'application/yaml': { schema } })
const response = (schema: Json) => ({ description: 'OK', content: content(schema) })
const unauthorized = { description: 'Unauthorized' }
const patchBody = {
  content: Object.fromEntries(
    [
      'application/apply-patch+yaml',
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
    ].map((type) => [type, { schema: schemaRef(`${meta}Patch`) }]),
  ),
  required: true,
}
const deleteBody = { content: { '*/*': { schema: schemaRef(`${meta}DeleteOptions`) } } }

function operationName(type: ResourceType): string {
  const group = type.group === '' ? 'Core' : type.group.split('.')[0]!
  const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)
  return `${capital(group)}${capital(type.version)}`
}

/** Every REST path of a resource (collection, object, subresources, all namespaces) with its operations. */
function resourcePaths(type: ResourceType): Record<string, Json> {
  const root = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`
  const scope = type.namespaced ? `${root}/namespaces/{namespace}` : root
  const collection = `${scope}/${type.plural}`
  const item = `${collection}/{name}`
  const gv = operationName(type)
  const named = type.namespaced ? `Namespaced${type.kind}` : type.kind
  const tag = [type.group === '' ? 'core' : type.group.split('.')[0], type.version].join('_')
  const gvk = { group: type.group, kind: type.kind, version: type.version }
  const kindSchema = schemaRef(kindSchemaName(type.group, type.version, type.kind))
  const listSchema = schemaRef(kindSchemaName(type.group, type.version, type.listKind))
  const statusSchema = schemaRef(`${meta}Status`)

  const namespaceParameter = {
    name: 'namespace',
    in: 'path',
    description: 'object name and auth scope, such as for teams and projects',
    required: true,
    schema: { type: 'string', uniqueItems: true },
  }
  const nameParameter = (what: string) => ({
    name: 'name',
    in: 'path',
    description: `name of the ${what}`,
    required: true,
    schema: { type: 'string', uniqueItems: true },
  })
  const scopeParameters = type.namespaced ? [namespaceParameter] : []

  const operation = (
    action: string,
    verb: string,
    description: string,
    opts: { parameters?: Json[]; body?: Json; responses: Json; gvk?: Json },
  ): Json => ({
    tags: [tag],
    description,
    operationId: `${verb}${gv}${named}`,
    ...(opts.parameters ? { parameters: opts.parameters } : {}),
    ...(opts.body ? { requestBody: opts.body } : {}),
    responses: { ...opts.responses, '401': unauthorized },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': opts.gvk ?? gvk,
  })
  const readReplacePatch = (suffix: string, schema: Json, subject: string, subjectGvk?: Json): Json => ({
    get: {
      ...operation('get', `read`, `read ${subject} of the specified ${type.kind}`, {
        responses: { '200': response(schema) },
        gvk: subjectGvk,
      }),
      operationId: `read${gv}${named}${suffix}`,
    },
    put: {
      ...operation('put', 'replace', `replace ${subject} of the specified ${type.kind}`, {
        parameters: writeParameters,
        body: { content: { '*/*': { schema } }, required: true },
        responses: { '200': response(schema), '201': { description: 'Created', content: content(schema) } },
        gvk: subjectGvk,
      }),
      operationId: `replace${gv}${named}${suffix}`,
    },
    patch: {
      ...operation('patch', 'patch', `partially update ${subject} of the specified ${type.kind}`, {
        parameters: [...writeParameters, parameters.force],
        body: patchBody,
        responses: { '200': response(schema), '201': { description: 'Created', content: content(schema) } },
        gvk: subjectGvk,
      }),
      operationId: `patch${gv}${named}${suffix}`,
    },
  })

  const paths: Record<string, Json> = {
    [collection]: {
      get: operation('list', 'list', `list or watch objects of kind ${type.kind}`, {
        parameters: listParameters,
        responses: { '200': response(listSchema) },
      }),
      post: operation('post', 'create', `create a ${type.kind}`, {
        parameters: writeParameters,
        body: { content: { '*/*': { schema: kindSchema } }, required: true },
        responses: {
          '200': response(kindSchema),
          '201': { description: 'Created', content: content(kindSchema) },
          '202': { description: 'Accepted', content: content(kindSchema) },
        },
      }),
      delete: {
        ...operation('deletecollection', 'delete', `delete collection of ${type.kind}`, {
          parameters: [
            parameters.continue,
            parameters.dryRun,
            parameters.fieldSelector,
            parameters.gracePeriodSeconds,
            parameters.labelSelector,
            parameters.limit,
            parameters.orphanDependents,
            parameters.propagationPolicy,
            parameters.resourceVersion,
            parameters.resourceVersionMatch,
            parameters.sendInitialEvents,
            parameters.timeoutSeconds,
          ],
          body: deleteBody,
          responses: { '200': response(statusSchema) },
        }),
        operationId: `deleteCollection${gv}${named}`,
      },
      parameters: [...scopeParameters, parameters.pretty],
    },
    [item]: {
      ...readReplacePatch('', kindSchema, type.kind),
      delete: operation('delete', 'delete', `delete a ${type.kind}`, {
        parameters: [
          parameters.dryRun,
          parameters.gracePeriodSeconds,
          parameters.orphanDependents,
          parameters.propagationPolicy,
        ],
        body: deleteBody,
        responses: {
          '200': response(statusSchema),
          '202': { description: 'Accepted', content: content(statusSchema) },
        },
      }),
      parameters: [nameParameter(type.kind), ...scopeParameters, parameters.pretty],
    },
  }
  for (const subresource of type.subresources) {
    // Evictions are created, not read or replaced; kubectl validates no Eviction body.
    if (subresource === 'eviction') continue
    const isScale = subresource === 'scale'
    paths[`${item}/${subresource}`] = {
      ...readReplacePatch(
        isScale ? 'Scale' : 'Status',
        isScale ? schemaRef(scaleSchema) : kindSchema,
        isScale ? 'scale' : 'status',
        isScale ? { group: 'autoscaling', kind: 'Scale', version: 'v1' } : undefined,
      ),
      parameters: [nameParameter(isScale ? 'Scale' : type.kind), ...scopeParameters, parameters.pretty],
    }
  }
  if (type.namespaced) {
    paths[`${root}/${type.plural}`] = {
      get: {
        ...operation('list', 'list', `list or watch objects of kind ${type.kind}`, {
          parameters: listParameters,
          responses: { '200': response(listSchema) },
        }),
        operationId: `list${gv}${type.kind}ForAllNamespaces`,
      },
      parameters: [parameters.pretty],
    }
  }
  return paths
}

// --- strict field validation -----------------------------------------------------------------

function resolve(schema: Schema): Schema {
  let current = schema
  for (;;) {
    if (current.$ref !== undefined) {
      current = schemas[current.$ref.slice(schemaRefPrefix.length)] ?? {}
    } else if (
      current.allOf?.length === 1 &&
      current.properties === undefined &&
      current.type === undefined
    ) {
      current = current.allOf[0]!
    } else {
      return current
    }
  }
}

/** The schema name a schema refers to (for Go-style type names in messages). */
function referencedName(schema: Schema): string | undefined {
  const target = schema.$ref ?? schema.allOf?.[0]?.$ref
  return target?.slice(schemaRefPrefix.length)
}

const join = (path: string, key: string) => (path === '' ? key : `${path}.${key}`)

interface Visitor {
  unknown(path: string): void
  mismatch(path: string, schema: Schema, value: unknown, struct: string): void
}

function walk(schema: Schema, value: unknown, path: string, struct: string, visitor: Visitor): void {
  if (value === null || value === undefined) return
  const name = referencedName(schema)
  const resolved = resolve(schema)
  if (resolved['x-kubernetes-preserve-unknown-fields']) return
  if (resolved['x-kubernetes-int-or-string']) {
    if (typeof value !== 'string' && !Number.isInteger(value)) visitor.mismatch(path, resolved, value, struct)
    return
  }
  switch (resolved.type) {
    case 'string':
      // A Quantity also decodes from a JSON number.
      if (typeof value !== 'string' && !(name?.endsWith('.Quantity') && typeof value === 'number')) {
        visitor.mismatch(path, resolved, value, struct)
      }
      return
    case 'integer':
      if (!Number.isInteger(value)) visitor.mismatch(path, resolved, value, struct)
      return
    case 'number':
      if (typeof value !== 'number') visitor.mismatch(path, resolved, value, struct)
      return
    case 'boolean':
      if (typeof value !== 'boolean') visitor.mismatch(path, resolved, value, struct)
      return
    case 'array':
      if (!Array.isArray(value)) visitor.mismatch(path, resolved, value, struct)
      else if (resolved.items !== undefined) {
        for (const [i, item] of value.entries()) walk(resolved.items, item, `${path}[${i}]`, struct, visitor)
      }
      return
    case 'object': {
      if (!isRecord(value)) {
        visitor.mismatch(path, resolved, value, struct)
        return
      }
      const structName = name ? name.slice(name.lastIndexOf('.') + 1) : struct
      if (resolved.properties !== undefined) {
        for (const [key, child] of Object.entries(value)) {
          const property = resolved.properties[key]
          if (property === undefined) visitor.unknown(join(path, key))
          else walk(property, child, join(path, key), structName, visitor)
        }
      } else if (resolved.additionalProperties !== undefined) {
        for (const [key, child] of Object.entries(value)) {
          walk(resolved.additionalProperties, child, join(path, key), structName, visitor)
        }
      }
      return
    }
  }
}

/**
 * JSON paths of the fields of `object` that its kind's schema does not have (`spec.replcas`,
 * `spec.template.spec.containers[0].imagee`), skipping subtrees that keep unknown fields. The API
 * server refuses a request with any when `fieldValidation=Strict`: 400, `strict decoding error:
 * unknown field "spec.replcas"`, and warns with `fieldValidation=Warn`.
 */
export function unknownFields(resource: ResourceType, object: KubeObject): string[] {
  const schema = schemas[kindSchemaName(resource.group, resource.version, resource.kind)]
  if (schema === undefined) return []
  const found: string[] = []
  walk(schema, object, '', resource.kind, { unknown: (path) => found.push(path), mismatch: () => {} })
  return found
}

function goType(schema: Schema): string {
  if (schema['x-kubernetes-int-or-string']) return 'intstr.IntOrString'
  switch (schema.type) {
    case 'string':
      return 'string'
    case 'integer':
      return schema.format === 'int64' ? 'int64' : 'int32'
    case 'number':
      return 'float64'
    case 'boolean':
      return 'bool'
    case 'array':
      return '[]' + (schema.items ? goType(resolve(schema.items)) : 'interface {}')
    default:
      return schema.additionalProperties
        ? `map[string]${goType(resolve(schema.additionalProperties))}`
        : 'struct'
  }
}

function jsonKind(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? 'number' : `number ${value}`
  if (typeof value === 'boolean') return 'bool'
  if (Array.isArray(value)) return 'array'
  return typeof value === 'string' ? 'string' : 'object'
}

/**
 * Values of the wrong JSON type for their field, as Go's decoder words them (`json: cannot
 * unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`). Kubernetes
 * refuses such a request with 400 whatever `fieldValidation` says.
 */
export function typeMismatches(resource: ResourceType, object: KubeObject): string[] {
  const schema = schemas[kindSchemaName(resource.group, resource.version, resource.kind)]
  if (schema === undefined) return []
  const found: string[] = []
  walk(schema, object, '', resource.kind, {
    unknown: () => {},
    mismatch: (path, expected, value, struct) =>
      found.push(
        `json: cannot unmarshal ${jsonKind(value)} into Go struct field ${struct}.${path} of type ${goType(expected)}`,
      ),
  })
  return found
}
