// Stopping an XState actor together with everything below it. XState v5 stops an actor's children
// when the actor stops or ends normally, but not when it fails because one of its actions threw:
// then its spawned and invoked children keep running, and stopping the failed actor later does
// not reach them (it is already stopped). Those orphans stay visible in the failed actor's last
// snapshot, so the whole tree is collected from snapshots before anything is stopped, and whatever
// is still running afterwards is stopped directly.

import type { AnyActorRef } from 'xstate'
import { assert } from './assert.ts'

/** Deep trees are a design smell; this bounds the walk (and catches cycles, which cannot happen). */
export const actorTreeActorsMax = 100_000

/**
 * Stops `root` (through `stopRoot`, which its parent must do: XState lets only a parent stop a
 * non-root actor) and then every descendant still running, parents before children, siblings in
 * reverse start order. Returns the orphans it had to stop directly.
 */
export function stopActorTree(root: AnyActorRef, stopRoot: (ref: AnyActorRef) => void): AnyActorRef[] {
  const descendants = collectDescendants(root)
  if (isRunning(root)) stopRoot(root)
  const orphans: AnyActorRef[] = []
  for (const ref of descendants) {
    if (!isRunning(ref)) continue
    // Only a parent may call stop on a non-root actor; the reserved stop event is how XState
    // itself stops children (it runs the actor's own cleanup: exit of invokes, callback disposers).
    ref.send({ type: 'xstate.stop' })
    orphans.push(ref)
  }
  return orphans
}

/** Every actor below `root` in pre-order (a parent before its children), siblings newest first. */
export function collectDescendants(root: AnyActorRef): AnyActorRef[] {
  const found: AnyActorRef[] = []
  const seen = new Set<AnyActorRef>([root])
  const visit = (ref: AnyActorRef) => {
    for (const child of childrenOf(ref).reverse()) {
      if (seen.has(child)) continue
      assert(seen.size <= actorTreeActorsMax, `actor tree larger than ${actorTreeActorsMax}`)
      seen.add(child)
      found.push(child)
      visit(child)
    }
  }
  visit(root)
  return found
}

export function isRunning(ref: AnyActorRef): boolean {
  return ref.getSnapshot()?.status === 'active'
}

function childrenOf(ref: AnyActorRef): AnyActorRef[] {
  const snapshot: unknown = ref.getSnapshot()
  if (typeof snapshot !== 'object' || snapshot === null || !('children' in snapshot)) return []
  const children = snapshot.children
  if (typeof children !== 'object' || children === null) return []
  return Object.values(children).filter(isActorRef)
}

function isActorRef(value: unknown): value is AnyActorRef {
  return typeof value === 'object' && value !== null && 'send' in value && 'getSnapshot' in value
}
