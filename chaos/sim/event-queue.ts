// A deterministic priority queue of timed events: ties run in the order they were scheduled.

interface Scheduled {
  readonly timeMs: number
  readonly order: number
  readonly run: () => void
}

export class EventQueue {
  readonly #heap: Scheduled[] = []
  #order = 0
  nowMs = 0

  get size(): number {
    return this.#heap.length
  }

  at(timeMs: number, run: () => void): void {
    this.#push({ timeMs: Math.max(timeMs, this.nowMs), order: this.#order++, run })
  }

  after(delayMs: number, run: () => void): void {
    this.at(this.nowMs + delayMs, run)
  }

  /** Runs the next event; false when none is left before `untilMs`. */
  runNext(untilMs: number): boolean {
    const next = this.#heap[0]
    if (!next || next.timeMs > untilMs) return false
    this.#pop()
    this.nowMs = next.timeMs
    next.run()
    return true
  }

  #less(a: Scheduled, b: Scheduled): boolean {
    return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.order < b.order)
  }

  #push(item: Scheduled): void {
    const heap = this.#heap
    heap.push(item)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.#less(heap[i]!, heap[parent]!)) break
      ;[heap[i], heap[parent]] = [heap[parent]!, heap[i]!]
      i = parent
    }
  }

  #pop(): void {
    const heap = this.#heap
    const last = heap.pop()!
    if (heap.length === 0) return
    heap[0] = last
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let smallest = i
      if (left < heap.length && this.#less(heap[left]!, heap[smallest]!)) smallest = left
      if (right < heap.length && this.#less(heap[right]!, heap[smallest]!)) smallest = right
      if (smallest === i) break
      ;[heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!]
      i = smallest
    }
  }
}
