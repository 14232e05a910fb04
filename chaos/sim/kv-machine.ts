// The replicated key-value state machine the simulator's clients use: registers per key,
// behind client sessions so that a retried write is applied at most once.

import { pack, unpack } from 'msgpackr'
import {
  type SessionEnvelope,
  type SessionLimits,
  type SessionOutcome,
  SessionTable,
} from '../../raft/sessions.ts'
import type { KvInput, KvOutput } from '../check/linearizability.ts'

export type KvEnvelope = SessionEnvelope<KvInput>
export type KvOutcome = SessionOutcome<KvOutput>

export const encodeKvEnvelope = (envelope: KvEnvelope): Uint8Array => pack(envelope)

export function executeKv(data: Map<string, string>, input: KvInput): KvOutput {
  const current = data.get(input.key) ?? null
  switch (input.kind) {
    case 'get':
      return { kind: 'get', value: current }
    case 'put':
      data.set(input.key, input.value)
      return { kind: 'put' }
    case 'cas':
      if (current !== input.expected) return { kind: 'cas', ok: false }
      data.set(input.key, input.value)
      return { kind: 'cas', ok: true }
    case 'delete':
      data.delete(input.key)
      return { kind: 'delete', existed: current !== null }
  }
}

export class KvMachine {
  readonly #data = new Map<string, string>()
  readonly #sessions: SessionTable<KvInput, KvOutput>

  constructor(limits: SessionLimits) {
    this.#sessions = new SessionTable(limits)
  }

  apply(index: number, bytes: Uint8Array): KvOutcome {
    const envelope = unpack(bytes) as KvEnvelope
    return this.#sessions.apply(index, envelope, (input) => executeKv(this.#data, input))
  }

  get(key: string): string | null {
    return this.#data.get(key) ?? null
  }

  encode(): Uint8Array {
    return pack({ data: [...this.#data], sessions: this.#sessions.toSnapshot() })
  }

  static decode(bytes: Uint8Array, limits: SessionLimits): KvMachine {
    const decoded = unpack(bytes) as {
      data: Array<[string, string]>
      sessions: ReturnType<SessionTable<KvInput, KvOutput>['toSnapshot']>
    }
    const machine = new KvMachine(limits)
    for (const [key, value] of decoded.data) machine.#data.set(key, value)
    machine.#sessions.restore(decoded.sessions)
    return machine
  }
}
