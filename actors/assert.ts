// Assertions for programmer errors in actors/: a broken invariant throws, the actor crashes, and its
// supervisor decides what happens next (STYLE habit 8).

export class AssertionError extends Error {
  static override readonly name = 'AssertionError'
  readonly code = 'ASSERTION'
  constructor(message: string) {
    super(message)
    this.name = 'AssertionError'
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message)
}
