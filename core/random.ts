// A small seeded pseudo-random source. Everything that needs randomness in the deterministic
// parts of coxswain takes a `Random`, so one seed reproduces a whole run.

export interface Random {
  /** A float in [0, 1). */
  next(): number
  /** An integer in [min, max] inclusive. */
  int(min: number, max: number): number
  /** True with probability p. */
  chance(p: number): boolean
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T
  /** An independent stream derived from this one, so adding draws in one place does not shift another. */
  fork(): Random
}

/** sfc32 seeded through splitmix32: fast, 32-bit clean and well distributed. */
export function seededRandom(seed: number): Random {
  let s = seed >>> 0
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = splitmix()
  let b = splitmix()
  let c = splitmix()
  let d = splitmix()
  const nextUint32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = ((c << 21) | (c >>> 11)) >>> 0
    c = (c + t) >>> 0
    return t
  }
  for (let i = 0; i < 12; i++) nextUint32()
  const random: Random = {
    next: () => nextUint32() / 4294967296,
    int: (min, max) => min + Math.floor((nextUint32() / 4294967296) * (max - min + 1)),
    chance: (p) => nextUint32() / 4294967296 < p,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty array')
      return items[Math.floor((nextUint32() / 4294967296) * items.length)]!
    },
    fork: () => seededRandom(nextUint32()),
  }
  return random
}
