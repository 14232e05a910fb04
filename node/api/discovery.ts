// API discovery as kubectl reads it: the aggregated form (apidiscovery.k8s.io/v2, chosen only by
// the response's Content-Type) and the legacy documents (APIVersions, APIGroupList, APIGroup,
// APIResourceList) for clients that do not ask for it.

import {
  groupVersions,
  type ResourceType,
  resourceTypes,
  type Subresource,
} from '../../core/api/resources.ts'

export const aggregatedDiscoveryType = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'

/** Whether the Accept header asks for aggregated discovery v2. */
export function wantsAggregated(accept: string | undefined): boolean {
  return (accept ?? '')
    .split(',')
    .some((part) => /g=apidiscovery\.k8s\.io/.test(part) && /v=v2(;|$)/.test(part))
}

/** Every served resource takes every verb (RBAC is not modelled). */
const verbs: readonly string[] = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
]

/** The aggregated document for `/api` (legacy: the core group only) or `/apis` (the named groups). */
export function aggregatedDiscovery(legacy: boolean): object {
  const items = groupVersions()
    .filter((g) => (g.group === '') === legacy)
    .map((g) => ({
      metadata: { name: g.group },
      versions: g.versions.map((version) => ({
        version,
        freshness: 'Current',
        resources: resourcesOf(g.group, version).map((r) => ({
          resource: r.plural,
          responseKind: { group: r.group, version: r.version, kind: r.kind },
          scope: r.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: r.singular,
          verbs,
          ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
          ...(r.categories.length > 0 ? { categories: r.categories } : {}),
          subresources: r.subresources.map((sub) => ({
            subresource: sub,
            responseKind: subresourceKind(r, sub),
            verbs: sub === 'eviction' ? ['create'] : ['get', 'patch', 'update'],
          })),
        })),
      })),
    }))
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items }
}

export function legacyVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  }
}

function groupDocument(group: string, versions: readonly string[]): object {
  const list = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }))
  return { name: group, versions: list, preferredVersion: list[0] }
}

export function groupList(): object {
  const groups = groupVersions()
    .filter((g) => g.group !== '')
    .map((g) => groupDocument(g.group, g.versions))
  return { kind: 'APIGroupList', apiVersion: 'v1', groups }
}

export function group(name: string): object | null {
  const found = groupVersions().find((g) => g.group === name && name !== '')
  return found ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDocument(found.group, found.versions) } : null
}

export function resourceList(group: string, version: string): object | null {
  const resources = resourcesOf(group, version)
  if (resources.length === 0) return null
  const list: object[] = []
  for (const r of resources) {
    list.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs,
      ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length > 0 ? { categories: r.categories } : {}),
    })
    for (const sub of r.subresources) {
      const kind = subresourceKind(r, sub)
      list.push({
        name: `${r.plural}/${sub}`,
        singularName: '',
        namespaced: r.namespaced,
        // kubectl drain finds the eviction API by the group and version named here.
        ...(kind.group === r.group ? { kind: kind.kind } : kind),
        verbs: sub === 'eviction' ? ['create'] : ['get', 'patch', 'update'],
      })
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources: list,
  }
}

function subresourceKind(
  r: ResourceType,
  sub: Subresource,
): { group: string; version: string; kind: string } {
  if (sub === 'scale') return { group: 'autoscaling', version: 'v1', kind: 'Scale' }
  if (sub === 'eviction') return { group: 'policy', version: 'v1', kind: 'Eviction' }
  return { group: r.group, version: r.version, kind: r.kind }
}

function resourcesOf(group: string, version: string): ResourceType[] {
  return resourceTypes.filter((r) => r.group === group && r.version === version)
}
