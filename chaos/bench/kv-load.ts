// Closed-loop writers against the key-value endpoint: each client sends `PUT /cox/v1/kv/{key}` with
// a fresh key and a fixed-size value, waits for the answer, and sends the next at once. A write
// counts when it is answered 201 within the measured window (after the warm-up); its latency runs
// from sending the request to the end of the response. Anything else answered in the window is an
// error, and the client pauses briefly before its next write so a node without a leader is not
// flooded. The benchmark process itself is measured too (CPU, event-loop utilization), because a
// saturated client would understate the cluster.

import { performance } from 'node:perf_hooks'
import type { ApiClient } from '../../node/api-client.ts'
import { percentile, round, sortedCopy } from './stats.ts'

/** After an error, a client waits this long: enough to not spin, short against a 1 s warm-up. */
const errorPauseMs = 10
const createdStatus = 201
const errorSampleLength = 300

export interface LoadOptions {
  readonly clients: number
  /** The node client `client` talks to, e.g. spread round-robin over the members. */
  readonly clientFor: (client: number) => ApiClient
  /** Keys are `${keyPrefix}-${client}-${sequence}`: unique within a run when prefixes are. */
  readonly keyPrefix: string
  readonly valueBytes: number
  readonly warmupSeconds: number
  readonly measureSeconds: number
}

export interface LoadPoint {
  readonly clients: number
  readonly opsPerSec: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly errors: number
  readonly maxMs: number
  /** Why writes failed in the window, by HTTP status or error name. */
  readonly errorKinds: Record<string, number>
  /** The first answer or error message of each kind, cut short: what to look for in the logs. */
  readonly errorSamples: Record<string, string>
  readonly measuredSeconds: number
  /** The benchmark process (all threads) while measuring. */
  readonly clientCpuPercent: number
  /** The benchmark process's one JavaScript thread, which runs every client and TLS. */
  readonly clientLoopBusyPercent: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function valueFor(client: number, bytes: number): Uint8Array {
  const value = new Uint8Array(bytes)
  for (let i = 0; i < bytes; i++) value[i] = (i * 131 + client * 7) & 0xff
  return value
}

export async function runClosedLoop(options: LoadOptions): Promise<LoadPoint> {
  const latenciesMs: number[] = []
  const errorKinds: Record<string, number> = {}
  const errorSamples: Record<string, string> = {}
  let errors = 0
  let measuring = false
  let stopping = false

  const writer = async (client: number): Promise<void> => {
    const api = options.clientFor(client)
    const value = valueFor(client, options.valueBytes)
    for (let sequence = 0; !stopping; sequence++) {
      const path = `/cox/v1/kv/${options.keyPrefix}-${client}-${sequence}`
      const startMs = performance.now()
      let failure: string | null = null
      let detail = ''
      try {
        const response = await api.request('PUT', path, { body: value })
        if (response.status !== createdStatus) {
          failure = String(response.status)
          detail = response.text()
        }
      } catch (error) {
        failure = (error as Error).name
        detail = (error as Error).message
      }
      if (failure === null) {
        if (measuring) latenciesMs.push(performance.now() - startMs)
        continue
      }
      if (measuring) {
        errors++
        errorKinds[failure] = (errorKinds[failure] ?? 0) + 1
        errorSamples[failure] ??= detail.slice(0, errorSampleLength)
      }
      await sleep(errorPauseMs)
    }
  }

  const running = Array.from({ length: options.clients }, (_, client) => writer(client))
  await sleep(options.warmupSeconds * 1000)
  const cpuBefore = process.cpuUsage()
  const loopBefore = performance.eventLoopUtilization()
  const startMs = performance.now()
  measuring = true
  await sleep(options.measureSeconds * 1000)
  measuring = false
  const measuredSeconds = (performance.now() - startMs) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  const loop = performance.eventLoopUtilization(loopBefore)
  stopping = true
  await Promise.all(running)

  const sorted = sortedCopy(latenciesMs)
  return {
    clients: options.clients,
    opsPerSec: Math.round(latenciesMs.length / measuredSeconds),
    p50Ms: round(percentile(sorted, 0.5), 2),
    p99Ms: round(percentile(sorted, 0.99), 2),
    errors,
    maxMs: round(sorted.at(-1) ?? 0, 2),
    errorKinds,
    errorSamples,
    measuredSeconds: round(measuredSeconds, 3),
    clientCpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / measuredSeconds) * 100),
    clientLoopBusyPercent: Math.round(loop.utilization * 100),
  }
}
