// Watches served from a replica: every change the state machine applies is appended to a bounded
// history (by resourceVersion = log index) and handed to the live watchers of that resource. A
// watch that resumes from a resourceVersion still in the history gets exactly the changes after it;
// one older than the history gets 410 Gone and relists, as from the Kubernetes API server. (A
// watcher that cannot keep up is dropped with the same 410 by the server, which sees its socket.)

import type { KubeObject } from '../../core/api/object.ts'
import type { WatchChange } from '../../core/api/store.ts'

/** Changes kept for resuming watches: a minute or so of a busy cluster. */
export const watchHistoryMax = 100_000

export interface HubEvent {
  readonly index: number
  readonly change: WatchChange
}

export interface Watcher {
  readonly resource: string
  /** Whether this watcher wants the event (namespace, selectors); checked before queueing. */
  readonly wants: (object: KubeObject) => boolean
  /**
   * Set when `wants` passes only objects bound to this node (a kubelet's `spec.nodeName=NAME`
   * field selector): such watchers are asked only about changes to objects bound there, so a
   * thousand kubelets' watches cost one lookup per change, not a thousand.
   */
  readonly nodeName?: string
  readonly deliver: (events: readonly HubEvent[]) => void
  /** Told once when the watcher is dropped for falling behind. */
  readonly expire: () => void
}

export class WatchHub {
  #history: HubEvent[] = []
  /** Changes older than this index may be missing (history trimmed, or restored from a snapshot). */
  #oldestKnown: number
  readonly #watchers = new Set<Watcher>()
  /** The watchers that said which node's objects they want, by that node. */
  readonly #byNode = new Map<string, Set<Watcher>>()

  constructor(startIndex: number) {
    this.#oldestKnown = startIndex
  }

  /** Called after each applied entry with its changes. */
  publish(index: number, changes: readonly WatchChange[]): void {
    if (changes.length === 0) return
    const events = changes.map((change) => ({ index, change }))
    this.#history.push(...events)
    // Trimmed in steps of a tenth, not at every entry: each trim copies the whole history.
    if (this.#history.length > watchHistoryMax + watchHistoryMax / 10) {
      const drop = this.#history.length - watchHistoryMax
      this.#oldestKnown = this.#history[drop - 1]!.index
      this.#history = this.#history.slice(drop)
    }
    for (const watcher of this.#watchers) offer(watcher, events)
    if (this.#byNode.size === 0) return
    const byNode = new Map<string, HubEvent[]>()
    for (const event of events) {
      const node = nodeNameOf(event.change.object)
      if (node === undefined || !this.#byNode.has(node)) continue
      const list = byNode.get(node)
      if (list) list.push(event)
      else byNode.set(node, [event])
    }
    for (const [node, nodeEvents] of byNode) {
      for (const watcher of this.#byNode.get(node) ?? []) offer(watcher, nodeEvents)
    }
  }

  /** The state was replaced by a snapshot: history before it is unknown; watchers must relist. */
  reset(index: number): void {
    this.#history = []
    this.#oldestKnown = index
    const all = [...this.#watchers, ...[...this.#byNode.values()].flatMap((set) => [...set])]
    this.#watchers.clear()
    this.#byNode.clear()
    for (const watcher of all) watcher.expire()
  }

  /**
   * Registers a watcher from `afterIndex` on: replays the history after it, then streams.
   * Returns null when that point is older than the history (the caller answers 410).
   */
  subscribe(watcher: Watcher, afterIndex: number): (() => void) | null {
    if (afterIndex < this.#oldestKnown) return null
    const entry = { ...watcher }
    const backlog = this.#history.filter(
      (e) => e.index > afterIndex && e.change.resource === watcher.resource && watcher.wants(e.change.object),
    )
    if (backlog.length > 0) watcher.deliver(backlog)
    const { nodeName } = entry
    if (nodeName === undefined) {
      this.#watchers.add(entry)
      return () => this.#watchers.delete(entry)
    }
    const set = this.#byNode.get(nodeName) ?? new Set<Watcher>()
    this.#byNode.set(nodeName, set)
    set.add(entry)
    return () => {
      set.delete(entry)
      if (set.size === 0 && this.#byNode.get(nodeName) === set) this.#byNode.delete(nodeName)
    }
  }

  get oldestIndex(): number {
    return this.#oldestKnown
  }

  get watcherCount(): number {
    let count = this.#watchers.size
    for (const set of this.#byNode.values()) count += set.size
    return count
  }
}

function offer(watcher: Watcher, events: readonly HubEvent[]): void {
  const wanted = events.filter(
    (e) => e.change.resource === watcher.resource && watcher.wants(e.change.object),
  )
  if (wanted.length > 0) watcher.deliver(wanted)
}

function nodeNameOf(object: KubeObject): string | undefined {
  const name = (object.spec as { nodeName?: unknown } | undefined)?.nodeName
  return typeof name === 'string' && name !== '' ? name : undefined
}
