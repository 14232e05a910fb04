// Command-line parsing shared by the `cox` commands: Node's parseArgs, with its errors turned into
// usage errors (exit code 2) that name the command.

import { type ParseArgsConfig, parseArgs } from 'node:util'

export class UsageError extends Error {
  static override readonly name = 'UsageError'
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

type Options = NonNullable<ParseArgsConfig['options']>

export function parse<T extends Options>(
  command: string,
  args: string[],
  options: T,
): {
  values: ReturnType<typeof parseArgs<{ options: T; allowPositionals: true; strict: true }>>['values']
  positionals: string[]
} {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true })
    return { values, positionals }
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message}`)
  }
}

/** A whole number from a flag, or a usage error naming it. */
export function integerFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const value = Number(text)
  if (!Number.isInteger(value) || value < 0)
    throw new UsageError(`--${name} must be a whole number, not "${text}"`)
  return value
}

/** The flags every command that talks to a cluster takes, as kubectl spells them. */
export const clientFlags = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
} as const
