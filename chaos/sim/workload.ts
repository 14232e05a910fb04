// Simulated clients: each registers a session, then runs one operation at a time (put, get,
// compare-and-set, delete on a few keys), retrying through other nodes on errors and timeouts,
// and records what it saw for the linearizability checker.

import type { KvInput, KvOperation, KvOutput } from '../check/linearizability.ts'
import type { SimNode } from './sim-node.ts'
import type { World } from './world.ts'

export interface WorkloadOptions {
  readonly clients: number
  readonly keys: number
  /** Per attempt: a node that does not answer in time is given up on. */
  readonly attemptTimeoutMs: number
  /** Per operation: after this the outcome is recorded as unknown. */
  readonly operationDeadlineMs: number
  readonly stopAtMs: number
}

export class Workload {
  readonly history: KvOperation[] = []
  /** Raft indexes of writes acknowledged to a client: they must end up applied everywhere. */
  readonly acknowledgedIndexes: number[] = []
  #inFlight = 0
  readonly #world: World
  readonly #options: WorkloadOptions
  #valueCounter = 0

  constructor(world: World, options: WorkloadOptions) {
    this.#world = world
    this.#options = options
    for (let clientId = 1; clientId <= options.clients; clientId++) {
      const client = new SimClient(world, this, clientId)
      world.queue.after(world.random.int(0, 50), () => client.next())
    }
  }

  get inFlight(): number {
    return this.#inFlight
  }

  get options(): WorkloadOptions {
    return this.#options
  }

  begin(): void {
    this.#inFlight++
  }

  end(operation: KvOperation | null, acknowledgedIndex?: number): void {
    this.#inFlight--
    if (operation) this.history.push(operation)
    if (acknowledgedIndex !== undefined) this.acknowledgedIndexes.push(acknowledgedIndex)
  }

  uniqueValue(clientId: number): string {
    return `v${clientId}.${++this.#valueCounter}`
  }

  /** One-way latency between a client and a node. */
  latencyMs(): number {
    return this.#world.random.int(1, 3)
  }
}

type Attempt = (node: SimNode, answer: (reply: AttemptReply) => void) => void
type AttemptReply =
  | { done: KvOutput; index?: number }
  | { retry: string; leader?: string | null }
  | { unknown: string }

class SimClient {
  readonly #world: World
  readonly #workload: Workload
  readonly #id: number
  #session: number | null = null
  #sequence = 0
  #lastSeen = new Map<string, string | null>()
  #preferred: string | null = null

  constructor(world: World, workload: Workload, id: number) {
    this.#world = world
    this.#workload = workload
    this.#id = id
  }

  next(): void {
    const world = this.#world
    if (world.queue.nowMs >= this.#workload.options.stopAtMs) return
    if (this.#session === null) {
      this.#register()
      return
    }
    const input = this.#chooseInput()
    this.#perform(input)
  }

  #chooseInput(): KvInput {
    const random = this.#world.random
    const key = `k${random.int(1, this.#workload.options.keys)}`
    const roll = random.next()
    if (roll < 0.35) return { kind: 'get', key }
    if (roll < 0.7) return { kind: 'put', key, value: this.#workload.uniqueValue(this.#id) }
    if (roll < 0.92) {
      const expected = this.#lastSeen.get(key) ?? null
      return { kind: 'cas', key, expected, value: this.#workload.uniqueValue(this.#id) }
    }
    return { kind: 'delete', key }
  }

  #register(): void {
    this.#workload.begin()
    this.#run(
      (node, answer) =>
        node.write({ type: 'register' }, (reply) => {
          if ('error' in reply) answer({ retry: reply.error, leader: reply.leader })
          else if (reply.outcome.type === 'registered') {
            this.#session = reply.outcome.clientId
            this.#sequence = 0
            answer({ done: { kind: 'put' } })
          } else answer({ unknown: reply.outcome.type })
        }),
      () => {
        this.#workload.end(null)
        this.#later()
      },
    )
  }

  #perform(input: KvInput): void {
    const callTime = this.#world.queue.nowMs
    const record = (output: KvOutput | null, index?: number): void => {
      const returnTime = output ? this.#world.queue.nowMs : Number.POSITIVE_INFINITY
      this.#workload.end(
        { clientId: this.#id, input, callTime, returnTime, output },
        output ? index : undefined,
      )
      if (output?.kind === 'get') this.#lastSeen.set(input.key, output.value)
      if (output && input.kind === 'put') this.#lastSeen.set(input.key, input.value)
      if (output?.kind === 'cas' && output.ok && input.kind === 'cas')
        this.#lastSeen.set(input.key, input.value)
      this.#later()
    }
    this.#workload.begin()
    if (input.kind === 'get') {
      this.#run(
        (node, answer) =>
          node.read(input.key, (reply) => {
            if ('error' in reply) answer({ retry: reply.error, leader: reply.leader })
            else answer({ done: { kind: 'get', value: reply.value } })
          }),
        record,
      )
      return
    }
    const sequence = ++this.#sequence
    const clientId = this.#session!
    this.#run(
      (node, answer) =>
        node.write({ type: 'command', clientId, sequence, command: input }, (reply) => {
          if ('error' in reply) {
            answer({ retry: reply.error, leader: reply.leader })
            return
          }
          const { outcome } = reply
          if (outcome.type === 'applied' || outcome.type === 'duplicate') {
            answer({ done: outcome.result, index: reply.index })
          } else {
            // The session expired or was evicted: this attempt did nothing, an earlier one may have.
            if (outcome.type === 'sessionExpired') this.#session = null
            answer({ unknown: outcome.type })
          }
        }),
      record,
    )
  }

  /** Try `attempt` on nodes until it answers, retrying elsewhere on errors and timeouts. */
  #run(attempt: Attempt, finish: (output: KvOutput | null, index?: number) => void): void {
    const world = this.#world
    const deadline = world.queue.nowMs + this.#workload.options.operationDeadlineMs
    let attemptNumber = 0
    const tryOnce = (): void => {
      if (world.queue.nowMs >= deadline) {
        finish(null)
        return
      }
      const mine = ++attemptNumber
      const node = this.#pickNode()
      let answered = false
      const answer = (reply: AttemptReply): void => {
        if (answered || mine !== attemptNumber) return
        answered = true
        world.queue.after(this.#workload.latencyMs(), () => {
          if ('done' in reply) finish(reply.done, reply.index)
          else if ('unknown' in reply) finish(null)
          else {
            this.#preferred = reply.leader ?? null
            world.queue.after(world.random.int(1, 20), tryOnce)
          }
        })
      }
      world.queue.after(this.#workload.latencyMs(), () => {
        if (node.up) attempt(node, answer)
      })
      world.queue.after(this.#workload.options.attemptTimeoutMs, () => {
        if (answered || mine !== attemptNumber) return
        answered = true
        this.#preferred = null
        tryOnce()
      })
    }
    tryOnce()
  }

  #pickNode(): SimNode {
    const world = this.#world
    const preferred = this.#preferred ? world.nodes.get(this.#preferred) : undefined
    if (preferred && world.random.chance(0.9)) return preferred
    return world.random.pick([...world.nodes.values()].filter((node) => !node.retired))
  }

  #later(): void {
    this.#world.queue.after(this.#world.random.int(0, 10), () => this.next())
  }
}
