// Order statistics for the benchmarks, computed one way everywhere so that figures compare:
// percentiles are nearest-rank (the value at ceil(p·n)−1 of the sorted sample, never interpolated),
// and a median of an even-sized sample is the mean of its two middle values.

/** Sorted ascending, as a copy: Float64Array sorts numerically, where Array#sort would not. */
export function sortedCopy(values: readonly number[]): Float64Array {
  return Float64Array.from(values).sort()
}

/** Nearest-rank percentile of an ascending sample; `p` in (0, 1]. An empty sample gives 0. */
export function percentile(sorted: Float64Array, p: number): number {
  if (!(p > 0 && p <= 1)) throw new Error(`percentile: p must be in (0, 1], not ${p}`)
  if (sorted.length === 0) return 0
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!
}

/** The median: the middle value, or the mean of the two middle values. An empty sample gives 0. */
export function median(values: readonly number[]): number {
  const sorted = sortedCopy(values)
  if (sorted.length === 0) return 0
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

export const round = (value: number, digits: number): number => Number(value.toFixed(digits))
