// The error a supervisor fails with when it gives up: it becomes the `error` of the supervisor's
// snapshot, so a parent supervisor (or any XState parent) receives it as this child's crash.

export class SupervisorGaveUpError extends Error {
  static override readonly name = 'SupervisorGaveUpError'
  readonly code = 'SUPERVISOR_GAVE_UP'
  /** The supervisor that gave up (its path in the tree). */
  readonly supervisor: string
  /** The child whose crash went over the limit. */
  readonly childId: string
  readonly maxRestarts: number
  readonly periodMs: number

  constructor(fields: {
    supervisor: string
    childId: string
    maxRestarts: number
    periodMs: number
    cause: unknown
  }) {
    const { supervisor, childId, maxRestarts, periodMs, cause } = fields
    super(
      `supervisor '${supervisor}' gave up: child '${childId}' needed more than ${maxRestarts} restarts in ${periodMs} ms` +
        ` (last: ${describeError(cause)})`,
      { cause },
    )
    this.name = 'SupervisorGaveUpError'
    this.supervisor = supervisor
    this.childId = childId
    this.maxRestarts = maxRestarts
    this.periodMs = periodMs
  }
}

/** A one-line description of anything thrown (XState actors may fail with non-Errors). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message
  if (error === undefined) return 'normal exit'
  try {
    return typeof error === 'string' ? error : JSON.stringify(error)
  } catch {
    return String(error)
  }
}
