// Kubernetes REST paths, parsed: which resource, namespace, object and subresource a request is
// for, or which discovery document it asks for.
//
//   /api/v1/{plural}[/{name}[/{subresource}]]                          cluster-scoped, or all namespaces
//   /api/v1/namespaces/{namespace}/{plural}[/{name}[/{subresource}]]   namespaced
//   /apis/{group}/{version}/...                                         the same for named groups

import { type ResourceType, resourceByPlural, type Subresource } from '../../core/api/resources.ts'

export interface ResourceTarget {
  readonly kind: 'resource'
  readonly resource: ResourceType
  /** The namespace in the path; null for cluster-scoped resources and all-namespace lists. */
  readonly namespace: string | null
  readonly name: string | null
  readonly subresource: string | null
}

export type ApiPath =
  | ResourceTarget
  | { readonly kind: 'groups' }
  | { readonly kind: 'versions' }
  | { readonly kind: 'group'; readonly group: string }
  | { readonly kind: 'resources'; readonly group: string; readonly version: string }
  | { readonly kind: 'unknown'; readonly message: string }

export function parseApiPath(path: string): ApiPath {
  const segments = path
    .split('/')
    .filter((s) => s !== '')
    .map(decodeURIComponent)
  let group: string
  let version: string | undefined
  let rest: string[]
  if (segments[0] === 'api') {
    if (segments.length === 1) return { kind: 'versions' }
    group = ''
    version = segments[1]
    rest = segments.slice(2)
  } else if (segments[0] === 'apis') {
    if (segments.length === 1) return { kind: 'groups' }
    group = segments[1]!
    if (segments.length === 2) return { kind: 'group', group }
    version = segments[2]
    rest = segments.slice(3)
  } else {
    return { kind: 'unknown', message: `the server could not find the requested resource` }
  }
  if (version === undefined) return { kind: 'unknown', message: 'no API version in the path' }
  if (rest.length === 0) return { kind: 'resources', group, version }
  let namespace: string | null = null
  // /namespaces/{ns}/{plural}/... is a namespaced resource; /namespaces/{ns}[/{sub}] the Namespace.
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    resourceByPlural(group, version, rest[2]!)?.namespaced
  ) {
    namespace = rest[1]!
    rest = rest.slice(2)
  }
  const [plural, name, subresource, ...extra] = rest
  const resource = resourceByPlural(group, version, plural!)
  if (!resource || extra.length > 0) {
    return { kind: 'unknown', message: `the server could not find the requested resource` }
  }
  if (subresource !== undefined && !['status', 'scale', 'eviction'].includes(subresource)) {
    return { kind: 'unknown', message: `the server could not find the requested resource` }
  }
  if (subresource && !resource.subresources.includes(subresource as Subresource)) {
    return { kind: 'unknown', message: `the server could not find the requested resource` }
  }
  return { kind: 'resource', resource, namespace, name: name ?? null, subresource: subresource ?? null }
}
