// The process's structured logger: pino writing one JSON object per line to stderr, so that stdout
// stays free for what commands print (`cox ... -o json`, the one JSON line of a benchmark). Owns
// the choice of level (option, else COX_LOG_LEVEL, else info) and the fields every line carries.
// Components get children (`logger.child({ component: 'api' })`) rather than loggers of their own.

import { hostname } from 'node:os'
import { pino } from 'pino'

export type Logger = pino.Logger

export const logLevelDefault = 'info'
export const logLevelVariable = 'COX_LOG_LEVEL'
const logLevels: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
const stderrFd = 2

export interface LoggerOptions {
  readonly name: string
  /** One of fatal, error, warn, info, debug, trace, silent; default COX_LOG_LEVEL, else info. */
  readonly level?: string
  /** Fields on every line (e.g. the node's name), besides pid and hostname. */
  readonly fields?: object
  /** Where lines go; default stderr. Tests pass a stream to read the lines back. */
  readonly destination?: pino.DestinationStream
  /** Where COX_LOG_LEVEL is read from; default process.env. */
  readonly env?: NodeJS.ProcessEnv
}

export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? (options.env ?? process.env)[logLevelVariable] ?? logLevelDefault
  if (!logLevels.includes(level)) {
    const source = options.level === undefined ? `${logLevelVariable}=${level}` : `log level "${level}"`
    throw new Error(`unknown ${source}: use one of ${logLevels.join(', ')}`)
  }
  // Synchronous writes: a process that exits or crashes right after logging still has the line out.
  const destination = options.destination ?? pino.destination({ fd: stderrFd, sync: true })
  return pino(
    {
      name: options.name,
      level,
      base: { pid: process.pid, hostname: hostname(), ...options.fields },
      // Level names and ISO times, so that a person reading the raw lines needs no decoder.
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  )
}
