// Runs a range of seeds, spread over worker threads, and sums them up in the simulator's report.

import { availableParallelism } from 'node:os'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { runSeed, type SeedOptions, type SeedResult } from './run-seed.ts'
import { type FaultCounts, noFaults } from './world.ts'

export interface SeedsOptions {
  readonly firstSeed: number
  readonly seeds: number
  readonly nodes?: 3 | 5
  readonly unsafe?: SeedOptions['unsafe']
  /** Worker threads; defaults to the machine's cores (one thread when there are few seeds). */
  readonly workers?: number
  readonly onFailure?: (result: SeedResult) => void
  /** Narrate each run (forces one thread, so the lines come in order). */
  readonly trace?: (line: string) => void
  readonly onResult?: (result: SeedResult) => void
}

export interface SimulationReport {
  readonly seeds: number
  readonly firstSeed: number
  readonly violations: number
  readonly failedSeeds: number[]
  readonly faultCounts: FaultCounts
  readonly elapsedMs: number
}

interface WorkerTask {
  readonly seedList: number[]
  readonly nodes?: 3 | 5
  readonly unsafe?: SeedOptions['unsafe']
}

const seedsPerWorkerMin = 20

/** Seeds are 32-bit: S, S+1, … wrap around. */
export const seedAt = (firstSeed: number, offset: number): number => (firstSeed + offset) >>> 0

export async function runSeeds(options: SeedsOptions): Promise<SimulationReport> {
  const startedMs = performance.now()
  const seedList = Array.from({ length: options.seeds }, (_, offset) => seedAt(options.firstSeed, offset))
  const workerCount = Math.max(
    1,
    options.trace
      ? 1
      : Math.min(options.workers ?? availableParallelism(), Math.floor(seedList.length / seedsPerWorkerMin)),
  )
  const faultCounts = noFaults()
  const failedSeeds: number[] = []
  const collect = (result: SeedResult): void => {
    options.onResult?.(result)
    for (const key of Object.keys(faultCounts) as Array<keyof FaultCounts>)
      faultCounts[key] += result.faultCounts[key]
    if (!result.ok) {
      failedSeeds.push(result.seed)
      options.onFailure?.(result)
    }
  }
  if (workerCount === 1) {
    for (const seed of seedList)
      collect(runSeed({ seed, nodes: options.nodes, unsafe: options.unsafe, trace: options.trace }))
  } else {
    const shares = Array.from({ length: workerCount }, (_, worker) =>
      seedList.filter((_, i) => i % workerCount === worker),
    )
    await Promise.all(
      shares.map((share) =>
        runInWorker({ seedList: share, nodes: options.nodes, unsafe: options.unsafe }, collect),
      ),
    )
  }
  failedSeeds.sort((a, b) => a - b)
  return {
    seeds: options.seeds,
    firstSeed: options.firstSeed,
    violations: failedSeeds.length,
    failedSeeds,
    faultCounts,
    elapsedMs: Math.round(performance.now() - startedMs),
  }
}

function runInWorker(task: WorkerTask, collect: (result: SeedResult) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: task })
    worker.on('message', (result: SeedResult) => collect(result))
    worker.on('error', reject)
    worker.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`simulator worker exited with code ${code}`)),
    )
  })
}

if (!isMainThread && parentPort) {
  const task = workerData as WorkerTask
  for (const seed of task.seedList)
    parentPort.postMessage(runSeed({ seed, nodes: task.nodes, unsafe: task.unsafe }))
}
