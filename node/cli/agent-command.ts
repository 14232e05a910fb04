// `cox agent`: runs one node until SIGTERM or SIGINT, then shuts down cleanly (a leader hands over
// leadership first). A second signal while stopping exits at once.

import { Agent } from '../agent.ts'
import { createLogger } from '../logger.ts'
import { integerFlag, parse, UsageError } from './usage.ts'

export async function runAgent(args: string[]): Promise<number> {
  const { values, positionals } = parse('agent', args, {
    data: { type: 'string' },
    join: { type: 'string' },
    listen: { type: 'string' },
    advertise: { type: 'string' },
    api: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string' },
    voters: { type: 'string' },
    standbys: { type: 'string' },
    'autopilot-grace-ms': { type: 'string' },
    'node-grace-ms': { type: 'string' },
    'eviction-timeout-ms': { type: 'string' },
    runtime: { type: 'string' },
    'sim-start-ms': { type: 'string' },
  })
  if (positionals.length > 0) throw new UsageError(`agent: unexpected argument "${positionals[0]}"`)
  if (!values.data) throw new UsageError('agent: --data DIR is required')
  const role = values.role ?? 'auto'
  if (role !== 'auto' && role !== 'worker') throw new UsageError('agent: --role must be auto or worker')
  const runtime = values.runtime ?? 'auto'
  if (!['auto', 'docker', 'process', 'sim'].includes(runtime)) {
    throw new UsageError('agent: --runtime must be auto, docker, process or sim')
  }
  const settings = Object.fromEntries(
    Object.entries({
      standbys: integerFlag('standbys', values.standbys),
      autopilotGraceMs: integerFlag('autopilot-grace-ms', values['autopilot-grace-ms']),
      nodeNotReadyGraceMs: integerFlag('node-grace-ms', values['node-grace-ms']),
      evictionTimeoutMs: integerFlag('eviction-timeout-ms', values['eviction-timeout-ms']),
    }).filter(([, value]) => value !== undefined),
  )
  const logger = createLogger({ name: 'cox-agent', fields: { node: values.name } })
  const agent = await Agent.start({
    dataDir: values.data,
    join: values.join,
    listen: values.listen,
    advertise: values.advertise,
    api: values.api,
    name: values.name,
    role,
    runtime,
    simStartMs: integerFlag('sim-start-ms', values['sim-start-ms']),
    voters: integerFlag('voters', values.voters),
    settings,
    logger,
  })
  logger.info(
    {
      id: agent.mesh.id,
      name: agent.config.name,
      role: agent.config.role,
      api: agent.apiUrl,
      pid: process.pid,
    },
    'agent ready',
  )
  const { promise: stopped, resolve } = Promise.withResolvers<void>()
  let stopping = false
  const onSignal = (signal: string): void => {
    if (stopping) process.exit(1)
    stopping = true
    logger.info({ signal }, 'stopping')
    agent.stop().then(resolve, (error) => {
      logger.error({ err: error }, 'clean shutdown failed')
      resolve()
    })
  }
  process.on('SIGTERM', () => onSignal('SIGTERM'))
  process.on('SIGINT', () => onSignal('SIGINT'))
  await stopped
  return 0
}
