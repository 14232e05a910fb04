// Client sessions (Raft thesis §6.3): a retried command is applied at most once. A client
// registers (its id is the index of the register entry), then numbers its commands; the table
// remembers each client's last sequence number and answer, so a duplicate gets the remembered
// answer instead of a second application. Time here is only what the leader wrote into entries,
// so expiry is deterministic on every replica.

export type SessionEnvelope<Command> =
  | { readonly type: 'register'; readonly timeMs: number }
  | {
      readonly type: 'command'
      readonly clientId: number
      /** 1 for a client's first command, one more for each next one; a retry repeats it. */
      readonly sequence: number
      readonly timeMs: number
      readonly command: Command
    }

export type SessionOutcome<Result> =
  | { readonly type: 'registered'; readonly clientId: number }
  | { readonly type: 'applied'; readonly result: Result }
  | { readonly type: 'duplicate'; readonly result: Result }
  /** The sequence number is older than the client's last: that command was superseded. */
  | { readonly type: 'stale' }
  /** Unknown or expired session: nothing was applied; the client must register again. */
  | { readonly type: 'sessionExpired' }

interface Session<Result> {
  lastSequence: number
  lastResult: Result | undefined
  lastActiveMs: number
}

export interface SessionLimits {
  /** A session idle for longer than this (by leader-written time) expires. */
  readonly sessionIdleMsMax: number
  /** Registering beyond this many sessions evicts the least recently active one. */
  readonly sessionsMax: number
}

export const sessionDefaults: SessionLimits = { sessionIdleMsMax: 60 * 60 * 1000, sessionsMax: 10_000 }

export class SessionTable<Command, Result> {
  readonly #limits: SessionLimits
  #sessions = new Map<number, Session<Result>>()
  /** The latest leader-written time seen: the replicated clock. */
  #nowMs = 0

  constructor(limits: SessionLimits = sessionDefaults) {
    this.#limits = limits
  }

  get size(): number {
    return this.#sessions.size
  }

  apply(
    index: number,
    envelope: SessionEnvelope<Command>,
    execute: (command: Command) => Result,
  ): SessionOutcome<Result> {
    this.#nowMs = Math.max(this.#nowMs, envelope.timeMs)
    this.#expireIdle()
    if (envelope.type === 'register') {
      this.#sessions.set(index, { lastSequence: 0, lastResult: undefined, lastActiveMs: this.#nowMs })
      this.#evictBeyondLimit()
      return { type: 'registered', clientId: index }
    }
    const session = this.#sessions.get(envelope.clientId)
    if (!session) return { type: 'sessionExpired' }
    session.lastActiveMs = this.#nowMs
    if (envelope.sequence < 1 || envelope.sequence < session.lastSequence) return { type: 'stale' }
    if (envelope.sequence === session.lastSequence)
      return { type: 'duplicate', result: session.lastResult as Result }
    const result = execute(envelope.command)
    session.lastSequence = envelope.sequence
    session.lastResult = result
    return { type: 'applied', result }
  }

  #expireIdle(): void {
    for (const [clientId, session] of this.#sessions) {
      if (this.#nowMs - session.lastActiveMs > this.#limits.sessionIdleMsMax) this.#sessions.delete(clientId)
    }
  }

  #evictBeyondLimit(): void {
    while (this.#sessions.size > this.#limits.sessionsMax) {
      let oldest: [number, Session<Result>] | undefined
      for (const entry of this.#sessions) {
        if (!oldest || entry[1].lastActiveMs < oldest[1].lastActiveMs) oldest = entry
      }
      this.#sessions.delete(oldest![0])
    }
  }

  /** Plain data for a snapshot, in a stable order. */
  toSnapshot(): { nowMs: number; sessions: Array<[number, number, Result | undefined, number]> } {
    const sessions = [...this.#sessions].map(
      ([id, s]) =>
        [id, s.lastSequence, s.lastResult, s.lastActiveMs] as [number, number, Result | undefined, number],
    )
    return { nowMs: this.#nowMs, sessions }
  }

  restore(snapshot: ReturnType<SessionTable<Command, Result>['toSnapshot']>): void {
    this.#nowMs = snapshot.nowMs
    this.#sessions = new Map(
      snapshot.sessions.map(([id, lastSequence, lastResult, lastActiveMs]) => [
        id,
        { lastSequence, lastResult, lastActiveMs },
      ]),
    )
  }
}
