// Assertions for programmer errors: a broken invariant stops the caller instead of corrupting state.

export class AssertionError extends Error {
  static override readonly name = 'AssertionError'
  constructor(message: string) {
    super(message)
    this.name = 'AssertionError'
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(`raft invariant broken: ${message}`)
}
