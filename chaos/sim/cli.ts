// `npm run sim -- [--seeds N] [--seed S] [--nodes 3|5] [--json] [--watch]`: runs simulator seeds
// S … S+N−1 and ends stdout with one JSON line; each failure's reproducing command goes to stderr.

import { parseArgs } from 'node:util'
import type { SeedResult } from './run-seed.ts'
import { runSeeds } from './run-seeds.ts'

const usage = 'usage: npm run sim -- [--seeds N] [--seed S] [--nodes 3|5] [--json] [--watch]'

function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`)
  process.exit(2)
}

function parse() {
  try {
    const { values } = parseArgs({
      options: {
        seeds: { type: 'string', default: '100' },
        seed: { type: 'string', default: '1' },
        nodes: { type: 'string' },
        json: { type: 'boolean', default: false },
        watch: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    })
    if (values.help) {
      process.stdout.write(`${usage}\n`)
      process.exit(0)
    }
    const seeds = Number(values.seeds)
    const firstSeed = Number(values.seed)
    if (!Number.isInteger(seeds) || seeds < 1)
      fail(`--seeds must be a positive integer, not "${values.seeds}"`)
    if (!Number.isInteger(firstSeed) || firstSeed < 0 || firstSeed > 0xffffffff) {
      fail(`--seed must be a 32-bit unsigned integer, not "${values.seed}"`)
    }
    if (values.nodes !== undefined && values.nodes !== '3' && values.nodes !== '5') {
      fail(`--nodes must be 3 or 5, not "${values.nodes}"`)
    }
    const nodes = values.nodes === undefined ? undefined : (Number(values.nodes) as 3 | 5)
    return { seeds, firstSeed, nodes, json: values.json, watch: values.watch }
  } catch (error) {
    fail((error as Error).message)
  }
}

function reproduce(result: SeedResult): string {
  return `npm run sim -- --seed ${result.seed} --seeds 1 --nodes ${result.nodes}`
}

const args = parse()
const reportFailure = (result: SeedResult): void => {
  process.stderr.write(
    `seed ${result.seed} failed:\n  ${result.violations.join('\n  ')}\n  reproduce with: ${reproduce(result)}\n`,
  )
}

// --watch narrates each seed: what a simulated cluster goes through.
const narrate = (line: string): void => {
  process.stdout.write(`${line}\n`)
}
const summarize = (result: SeedResult): void => {
  process.stdout.write(
    `seed ${result.seed}: ${result.ok ? 'safe, live and linearizable' : 'FAILED'}: ${result.nodes} founding nodes, ` +
      `${result.operations} client operations, ${result.messages} messages, ${result.simulatedMs} simulated ms\n`,
  )
}
const report = await runSeeds({
  firstSeed: args.firstSeed,
  seeds: args.seeds,
  nodes: args.nodes,
  onFailure: reportFailure,
  trace: args.watch ? narrate : undefined,
  onResult: args.watch ? summarize : undefined,
})
if (!args.json) {
  process.stderr.write(
    `${report.seeds} seeds from ${report.firstSeed}: ${report.violations} failed in ${report.elapsedMs} ms\n`,
  )
}
process.stdout.write(`${JSON.stringify(report)}\n`)
process.exitCode = report.violations > 0 ? 1 : 0
