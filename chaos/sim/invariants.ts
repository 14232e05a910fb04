// Raft's safety properties, checked incrementally as the simulation runs so that a violation is
// caught at the step that caused it: election safety (one leader per term), log matching, leader
// completeness and state-machine safety (no two nodes apply different entries at one index).

import type { Entry, NodeId } from '../../raft/types.ts'

export function fingerprint(entry: Entry): string {
  switch (entry.kind) {
    case 'noop':
      return 'noop'
    case 'config':
      return `config:${entry.membership.voters.join(',')}|${entry.membership.learners.join(',')}`
    case 'command': {
      // FNV-1a over the bytes, with the length: cheap and plenty to tell commands apart.
      let hash = 0x811c9dc5
      for (const byte of entry.data) hash = Math.imul(hash ^ byte, 0x01000193)
      return `command:${entry.data.length}:${(hash >>> 0).toString(36)}`
    }
  }
}

interface StoredEntry {
  readonly fingerprint: string
  readonly prevTerm: number | undefined
  readonly node: NodeId
}

export class SafetyChecker {
  readonly violations: string[] = []
  readonly #leaderOfTerm = new Map<number, NodeId>()
  /** Every (index, term) any node ever stored, keyed `index:term`. */
  readonly #stored = new Map<string, StoredEntry>()
  /** What was applied at each index, by the first node to apply it. */
  readonly #applied = new Map<number, { term: number; fingerprint: string; node: NodeId }>()
  #appliedMax = 0
  /** Per node: the last index it applied in its current incarnation. */
  readonly #lastApplied = new Map<NodeId, number>()

  #fail(message: string): void {
    if (this.violations.length < 20) this.violations.push(message)
  }

  /** A node is leader of `term`; `termAt` reads its log, `snapshotIndex` is where that log starts. */
  onLeader(
    node: NodeId,
    term: number,
    termAt: (index: number) => number | undefined,
    snapshotIndex: number,
  ): void {
    const known = this.#leaderOfTerm.get(term)
    if (known === undefined) {
      this.#leaderOfTerm.set(term, node)
      // Leader completeness: a new leader holds every entry applied anywhere before.
      for (let index = snapshotIndex + 1; index <= this.#appliedMax; index++) {
        const applied = this.#applied.get(index)
        if (applied && termAt(index) !== applied.term) {
          this.#fail(
            `leader completeness: ${node} leads term ${term} without committed entry ${index} (term ${applied.term})`,
          )
          return
        }
      }
    } else if (known !== node) {
      this.#fail(`election safety: ${known} and ${node} are both leaders of term ${term}`)
    }
  }

  /** Log matching: entries with one index and term are identical and follow identical prefixes. */
  onStored(node: NodeId, entries: readonly Entry[], termAt: (index: number) => number | undefined): void {
    for (const entry of entries) {
      const key = `${entry.index}:${entry.term}`
      const mine: StoredEntry = { fingerprint: fingerprint(entry), prevTerm: termAt(entry.index - 1), node }
      const seen = this.#stored.get(key)
      if (!seen) {
        this.#stored.set(key, mine)
        continue
      }
      if (seen.fingerprint !== mine.fingerprint) {
        this.#fail(`log matching: entry ${key} differs between ${seen.node} and ${node}`)
      } else if (
        seen.prevTerm !== undefined &&
        mine.prevTerm !== undefined &&
        seen.prevTerm !== mine.prevTerm
      ) {
        this.#fail(
          `log matching: entry ${key} follows term ${seen.prevTerm} on ${seen.node} but ${mine.prevTerm} on ${node}`,
        )
      }
    }
  }

  /** State-machine safety, and each node applying in order exactly once. */
  onApply(node: NodeId, entry: Entry): void {
    const last = this.#lastApplied.get(node) ?? 0
    if (entry.index !== last + 1) this.#fail(`apply order: ${node} applied ${entry.index} after ${last}`)
    this.#lastApplied.set(node, entry.index)
    const mine = { term: entry.term, fingerprint: fingerprint(entry), node }
    const first = this.#applied.get(entry.index)
    if (!first) {
      this.#applied.set(entry.index, mine)
      this.#appliedMax = Math.max(this.#appliedMax, entry.index)
    } else if (first.term !== mine.term || first.fingerprint !== mine.fingerprint) {
      this.#fail(
        `state machine safety: index ${entry.index} applied as term ${first.term} on ${first.node} but term ${mine.term} on ${node}`,
      )
    }
  }

  /** The node's state machine now starts from a snapshot at `index` (restart or install). */
  onRestore(node: NodeId, index: number, term: number): void {
    this.#lastApplied.set(node, index)
    const first = this.#applied.get(index)
    if (index > 0 && first && first.term !== term) {
      this.#fail(
        `state machine safety: snapshot at ${index} has term ${term} but term ${first.term} was applied`,
      )
    }
  }

  appliedTerm(index: number): number | undefined {
    return this.#applied.get(index)?.term
  }
}
