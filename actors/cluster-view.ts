// The controllers' read model: the replicated objects as of one applied index, with the indexes
// they ask for (pods by owner, objects by namespace) built on first use and shared by every
// controller that plans from the same index. Objects in the store are never mutated (a write
// replaces them), so a view stays valid for as long as anyone holds it.

import type { KubeObject } from '../core/api/object.ts'
import type { ResourceRef } from '../core/api/store.ts'
import { controllerOf, podsResource } from './plans/plan.ts'

/** What the control plane reads the replicated objects through (the ObjectStore, read-only). */
export interface ObjectSource {
  get(
    resource: Pick<ResourceRef, 'group' | 'plural'>,
    namespace: string,
    name: string,
  ): KubeObject | undefined
  list(resource: Pick<ResourceRef, 'group' | 'plural'>, namespace?: string): KubeObject[]
}

type Resource = Pick<ResourceRef, 'group' | 'plural'>

const keyOf = (resource: Resource): string => `${resource.group}/${resource.plural}`

export class ClusterView {
  /** The applied index this view shows. */
  readonly version: number
  readonly #source: ObjectSource
  readonly #lists = new Map<string, KubeObject[]>()
  readonly #byNamespace = new Map<string, Map<string, KubeObject[]>>()
  #podsByController: Map<string, KubeObject[]> | undefined
  #podsByNode: Map<string, KubeObject[]> | undefined
  readonly #memos = new Map<string, unknown>()

  constructor(source: ObjectSource, version: number) {
    this.#source = source
    this.version = version
  }

  get(resource: Resource, namespace: string, name: string): KubeObject | undefined {
    return this.#source.get(resource, namespace, name)
  }

  /** Every object of a resource, sorted by namespace and name. */
  list(resource: Resource): readonly KubeObject[] {
    const key = keyOf(resource)
    let list = this.#lists.get(key)
    if (!list) {
      list = this.#source.list(resource)
      this.#lists.set(key, list)
    }
    return list
  }

  inNamespace(resource: Resource, namespace: string): readonly KubeObject[] {
    const key = keyOf(resource)
    let index = this.#byNamespace.get(key)
    if (!index) {
      index = groupBy(this.list(resource), (object) => object.metadata.namespace ?? '')
      this.#byNamespace.set(key, index)
    }
    return index.get(namespace) ?? []
  }

  /** The pods whose managing controller has this uid. */
  podsControlledBy(uid: string): readonly KubeObject[] {
    this.#podsByController ??= groupBy(
      this.list(podsResource),
      (pod) => controllerOf(pod)?.uid ?? orphanKey(pod.metadata.namespace ?? ''),
    )
    return this.#podsByController.get(uid) ?? []
  }

  /** The pods of a namespace that no controller manages (candidates for adoption). */
  orphanPods(namespace: string): readonly KubeObject[] {
    this.podsControlledBy('')
    return this.#podsByController!.get(orphanKey(namespace)) ?? []
  }

  /**
   * Something every controller computes alike from this view (a thousand Node actors asking
   * whether evictions are paused), computed once: the view never changes.
   */
  memo<T>(key: string, compute: () => T): T {
    if (!this.#memos.has(key)) this.#memos.set(key, compute())
    return this.#memos.get(key) as T
  }

  podsOnNode(nodeName: string): readonly KubeObject[] {
    this.#podsByNode ??= groupBy(this.list(podsResource), (pod) => {
      const name = (pod.spec as { nodeName?: unknown } | undefined)?.nodeName
      return typeof name === 'string' && name !== '' ? name : undefined
    })
    return this.#podsByNode.get(nodeName) ?? []
  }
}

// Orphans share the owner index under a key no uid can take.
const orphanKey = (namespace: string): string => `\0orphan/${namespace}`

function groupBy(
  objects: readonly KubeObject[],
  keyOf: (object: KubeObject) => string | undefined,
): Map<string, KubeObject[]> {
  const groups = new Map<string, KubeObject[]>()
  for (const object of objects) {
    const key = keyOf(object)
    if (key === undefined) continue
    const group = groups.get(key)
    if (group) group.push(object)
    else groups.set(key, [object])
  }
  return groups
}
