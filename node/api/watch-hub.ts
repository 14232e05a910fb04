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
  readonly deliver: (events: readonly HubEvent[]) => void
  /** Told once when the watcher is dropped for falling behind. */
  readonly expire: () => void
}

export class WatchHub {
  #history: HubEvent[] = []
  /** Changes older than this index may be missing (history trimmed, or restored from a snapshot). */
  #oldestKnown: number
  readonly #watchers = new Set<Watcher>()

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
    for (const watcher of this.#watchers) {
      const wanted = events.filter(
        (e) => e.change.resource === watcher.resource && watcher.wants(e.change.object),
      )
      if (wanted.length > 0) watcher.deliver(wanted)
    }
  }

  /** The state was replaced by a snapshot: history before it is unknown; watchers must relist. */
  reset(index: number): void {
    this.#history = []
    this.#oldestKnown = index
    for (const watcher of [...this.#watchers]) {
      this.#watchers.delete(watcher)
      watcher.expire()
    }
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
    this.#watchers.add(entry)
    return () => this.#watchers.delete(entry)
  }

  get oldestIndex(): number {
    return this.#oldestKnown
  }

  get watcherCount(): number {
    return this.#watchers.size
  }
}
