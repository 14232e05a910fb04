// Kubernetes resource quantities (`500m`, `128Mi`, `1e3`): parsing by apimachinery's grammar,
// exact comparison, and values in base units (cores, bytes). A quantity is kept as its text in
// objects; this module only reads it.
//
//   quantity        ::= [sign] number suffix
//   number          ::= digits | digits '.' [digits] | '.' digits
//   suffix          ::= binarySI | decimalSI | ('e' | 'E') [sign] digits
//   binarySI        ::= Ki | Mi | Gi | Ti | Pi | Ei
//   decimalSI       ::= n | u | m | '' | k | M | G | T | P | E

/** An exact quantity: `sign * digits * 10^exponent10 * 2^exponent2`. */
export interface ExactQuantity {
  negative: boolean
  digits: bigint
  exponent10: number
  exponent2: number
}

const decimalSuffixes: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
}
const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 }
const grammar = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:([eE])([+-]?\d+)|([a-zA-Z]*))$/
/** Exponents beyond this are refused: no real quantity is near, and the arithmetic stays bounded. */
const exponentMax = 1000

/** Kubernetes' wording for a quantity that does not parse. */
export const quantityFormatMessage =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

/** The exact value of `text`, or null if it is not a quantity. */
export function parseExactQuantity(text: string): ExactQuantity | null {
  const match = grammar.exec(text)
  if (match === null) return null
  const [, sign, number, e, exponentText, suffix] = match
  let exponent10 = 0
  let exponent2 = 0
  if (e !== undefined) {
    exponent10 = Number(exponentText)
  } else if (suffix! in decimalSuffixes) {
    exponent10 = decimalSuffixes[suffix!]!
  } else if (suffix! in binarySuffixes) {
    exponent2 = binarySuffixes[suffix!]!
  } else {
    return null
  }
  const [whole, fraction = ''] = number!.split('.')
  exponent10 -= fraction.length
  if (Math.abs(exponent10) > exponentMax) return null
  const digits = BigInt(`${whole}${fraction}` || '0')
  return { negative: sign === '-' && digits !== 0n, digits, exponent10, exponent2 }
}

/** A quantity's value in base units (cores, bytes), or null if `text` is not a quantity. */
export function parseQuantity(text: string): { value: number } | null {
  const exact = parseExactQuantity(text)
  if (exact === null) return null
  // Decimal text to number is correctly rounded; multiplying by a power of two is exact.
  const magnitude = Number(`${exact.digits}e${exact.exponent10}`) * 2 ** exact.exponent2
  if (!Number.isFinite(magnitude)) return null
  return { value: exact.negative ? -magnitude : magnitude }
}

/** `text` in thousandths of its unit, rounded up as Kubernetes' `MilliValue` does; null if invalid. */
export function milliValue(text: string): number | null {
  const exact = parseExactQuantity(text)
  if (exact === null) return null
  const { numerator, denominator } = fraction({ ...exact, exponent10: exact.exponent10 + 3 })
  const quotient = numerator / denominator
  const rounded = numerator % denominator === 0n || numerator < 0n ? quotient : quotient + 1n
  const result = Number(rounded)
  return Number.isFinite(result) ? result : null
}

/** -1, 0 or 1 as `a` is less than, equal to or more than `b`; null if either is not a quantity. */
export function compareQuantities(a: string, b: string): -1 | 0 | 1 | null {
  const x = parseExactQuantity(a)
  const y = parseExactQuantity(b)
  if (x === null || y === null) return null
  const fx = fraction(x)
  const fy = fraction(y)
  const left = fx.numerator * fy.denominator
  const right = fy.numerator * fx.denominator
  return left < right ? -1 : left > right ? 1 : 0
}

function fraction(q: ExactQuantity): { numerator: bigint; denominator: bigint } {
  let numerator = q.negative ? -q.digits : q.digits
  let denominator = 1n
  if (q.exponent10 >= 0) numerator *= 10n ** BigInt(q.exponent10)
  else denominator *= 10n ** BigInt(-q.exponent10)
  numerator *= 2n ** BigInt(q.exponent2)
  return { numerator, denominator }
}
