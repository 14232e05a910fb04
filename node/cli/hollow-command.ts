// `cox hollow --count N --join TOKEN`: runs N hollow worker nodes in this process (scale tests,
// like kubemark) until SIGTERM or SIGINT. Prints one JSON line on stdout once they all run.

import { HollowNodes, hollowCountMax } from '../hollow.ts'
import { createLogger } from '../logger.ts'
import { simRuntime } from '../sim-runtime.ts'
import { integerFlag, parse, UsageError } from './usage.ts'

export async function runHollow(args: string[]): Promise<number> {
  const { values, positionals } = parse('hollow', args, {
    count: { type: 'string' },
    join: { type: 'string' },
    prefix: { type: 'string' },
    'sim-start-ms': { type: 'string' },
  })
  if (positionals.length > 0) throw new UsageError(`hollow: unexpected argument "${positionals[0]}"`)
  if (!values.join)
    throw new UsageError('hollow: --join TOKEN is required (`cox token join` on a member prints one)')
  const count = integerFlag('count', values.count) ?? 1
  if (count < 1 || count > hollowCountMax)
    throw new UsageError(`hollow: --count must be from 1 to ${hollowCountMax}`)
  const prefix = values.prefix ?? 'hollow'
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(prefix))
    throw new UsageError('hollow: --prefix must be lower-case letters, digits and dashes (a DNS label)')
  const startMs = integerFlag('sim-start-ms', values['sim-start-ms'])
  const logger = createLogger({ name: 'cox-hollow', fields: { prefix } })
  let hollow: HollowNodes
  try {
    hollow = await HollowNodes.start({
      join: values.join,
      count,
      prefix,
      runtime: simRuntime(startMs === undefined ? {} : { startMs }),
      logger,
    })
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`)
    return 1
  }
  process.stdout.write(`${JSON.stringify({ hollow: count, prefix, pid: process.pid })}\n`)
  const { promise: stopped, resolve } = Promise.withResolvers<void>()
  const onSignal = () => void hollow.stop().then(resolve, resolve)
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  await stopped
  return 0
}
