// The logging port of the mesh: structured, object first (pino's calling convention), so the agent
// can hand in a pino child logger and tests a silent one. net/ never writes to the console itself.

export interface Logger {
  debug(fields: object, message: string): void
  info(fields: object, message: string): void
  warn(fields: object, message: string): void
  error(fields: object, message: string): void
}

const ignore = (): void => {}

export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore }
