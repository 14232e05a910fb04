// The `pod-template-hash`: a short, stable name for a pod template, which names a Deployment's
// ReplicaSets (`web-7b9c6d4f5`) and keeps their pods apart. Kubernetes hashes the template with
// 32-bit FNV-1a (plus the Deployment's collisionCount) and spells the decimal number in a
// vowel-free alphabet so it never forms words. We hash the template's canonical JSON (sorted keys,
// empty values dropped) instead of Go's struct dump, so the values differ from Kubernetes' but
// share their properties: stable across processes and versions, and equal for equal templates.

import { canonicalJson, isObject } from './plan.ts'

export const podTemplateHashLabel = 'pod-template-hash'
/** The pod label DaemonSets and StatefulSets put the revision of their template in. */
export const controllerRevisionHashLabel = 'controller-revision-hash'

/** apimachinery's `rand.SafeEncodeString` alphabet: no vowels, no confusable 0, 1, 3. */
const alphanumerics = 'bcdfghjklmnpqrstvwxz2456789'

const fnvOffsetBasis = 0x811c9dc5
const fnvPrime = 0x01000193

function fnv1a(bytes: Uint8Array, hash = fnvOffsetBasis): number {
  let h = hash
  for (const byte of bytes) h = Math.imul(h ^ byte, fnvPrime) >>> 0
  return h
}

/** The hash of a pod template and a collision count, e.g. `5d8f7c9b4`. */
export function podTemplateHash(template: unknown, collisionCount?: number): string {
  let hash = fnv1a(new TextEncoder().encode(canonicalJson(template)))
  if (collisionCount !== undefined) {
    // As upstream: the count as a little-endian uint32 in eight bytes.
    const bytes = new Uint8Array(8)
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true)
    hash = fnv1a(bytes, hash)
  }
  return [...String(hash)].map((digit) => alphanumerics[digit.charCodeAt(0) % alphanumerics.length]).join('')
}

/** A template without the `pod-template-hash` label, for comparing a ReplicaSet's with a Deployment's. */
export function withoutHashLabel(template: unknown): Record<string, unknown> {
  const copy = isObject(template) ? structuredClone(template) : {}
  if (isObject(copy.metadata) && isObject(copy.metadata.labels)) {
    delete copy.metadata.labels[podTemplateHashLabel]
  }
  return copy
}

/** Whether two pod templates are the same but for the hash label (`EqualIgnoreHash`). */
export function equalIgnoringHash(a: unknown, b: unknown): boolean {
  return canonicalJson(withoutHashLabel(a)) === canonicalJson(withoutHashLabel(b))
}
