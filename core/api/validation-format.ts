// The building blocks of validation (validation.ts): field causes and Kubernetes' wording for them
// (`Invalid value: "x": ...`, Go-style rendering of values), the 422 Invalid message and Status,
// name and format checks (DNS-1123, DNS-1035, port names, config keys, base64, IP addresses), and
// the small readers that let the checks skip values of the wrong JSON type.

import { failureStatus, isRecord, type Status, type StatusCause } from './object.ts'
import type { ResourceType } from './resources.ts'
import { dns1123SubdomainMessage } from './selectors.ts'

export type CauseReason =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueNotFound'
  | 'FieldValueTooLong'

export interface ValidationCause extends StatusCause {
  reason: CauseReason
  /** Kubernetes' error body, without the field: `Invalid value: "Web": a lowercase RFC 1123 ...`. */
  message: string
  field: string
}

// --- causes and their wording ----------------------------------------------------------------

export type Json = Record<string, unknown>

/** A Go-flavoured rendering of a value, as apimachinery's field errors print them (`%#v`, `%q`). */
export function goValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (value === undefined || value === null) return 'null'
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return `[]string{${value.map((v) => JSON.stringify(v)).join(', ')}}`
  }
  if (isRecord(value) && Object.values(value).every((v) => typeof v === 'string')) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${JSON.stringify(value[k])}`)
    return `map[string]string{${entries.join(', ')}}`
  }
  return JSON.stringify(value)
}

/** A LabelSelector as Go prints `metav1.LabelSelector` (the value of selector errors). */
export function selectorValue(selector: unknown): string {
  const s = isRecord(selector) ? selector : {}
  const labels = isRecord(s.matchLabels) ? goValue(s.matchLabels) : 'map[string]string(nil)'
  const expressions = Array.isArray(s.matchExpressions)
    ? `[]v1.LabelSelectorRequirement{${s.matchExpressions
        .map((e) => {
          const r = isRecord(e) ? e : {}
          const values = Array.isArray(r.values) ? goValue(r.values) : '[]string(nil)'
          return `v1.LabelSelectorRequirement{Key:${goValue(r.key ?? '')}, Operator:${goValue(r.operator ?? '')}, Values:${values}}`
        })
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)'
  return `v1.LabelSelector{MatchLabels:${labels}, MatchExpressions:${expressions}}`
}

const withDetail = (head: string, detail: string | undefined) => (detail ? `${head}: ${detail}` : head)

export class Causes {
  readonly list: ValidationCause[] = []

  required(field: string, detail?: string): void {
    this.list.push({ reason: 'FieldValueRequired', message: withDetail('Required value', detail), field })
  }

  invalid(field: string, value: unknown, detail?: string): void {
    this.invalidRendered(field, goValue(value), detail)
  }

  /** `invalid` for a value whose Go rendering is not goValue's (a LabelSelector). */
  invalidRendered(field: string, rendered: string, detail?: string): void {
    this.list.push({
      reason: 'FieldValueInvalid',
      message: withDetail(`Invalid value: ${rendered}`, detail),
      field,
    })
  }

  notSupported(field: string, value: unknown, supported: readonly string[]): void {
    const list = supported.map((s) => JSON.stringify(s)).join(', ')
    this.list.push({
      reason: 'FieldValueNotSupported',
      message: withDetail(`Unsupported value: ${goValue(value)}`, list && `supported values: ${list}`),
      field,
    })
  }

  duplicate(field: string, value: unknown): void {
    this.list.push({ reason: 'FieldValueDuplicate', message: `Duplicate value: ${goValue(value)}`, field })
  }

  forbidden(field: string, detail: string): void {
    this.list.push({ reason: 'FieldValueForbidden', message: withDetail('Forbidden', detail), field })
  }

  notFound(field: string, value: unknown): void {
    this.list.push({ reason: 'FieldValueNotFound', message: `Not found: ${goValue(value)}`, field })
  }

  tooLong(field: string, bytesMax: number): void {
    this.list.push({
      reason: 'FieldValueTooLong',
      message: `Too long: may not be more than ${bytesMax} bytes`,
      field,
    })
  }

  /** Appends each message as an Invalid cause for `value`. */
  invalidEach(field: string, value: unknown, messages: readonly string[]): void {
    for (const message of messages) this.invalid(field, value, message)
  }
}

/** `Deployment.apps` for a resource of group apps, `Pod` for the core group. */
export function qualifiedKind(resource: ResourceType): string {
  return resource.group === '' ? resource.kind : `${resource.kind}.${resource.group}`
}

/** One cause as Kubernetes prints a field error: `spec.replicas: Invalid value: -1: must be ...`. */
export function causeToString(cause: StatusCause): string {
  return cause.field ? `${cause.field}: ${cause.message ?? ''}` : (cause.message ?? '')
}

/**
 * The message of a 422 Invalid Status, as apimachinery's `NewInvalid` writes it:
 * `Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal
 * to 0`, several causes in brackets, comma-separated.
 */
export function invalidMessage(resource: ResourceType, name: string, causes: readonly StatusCause[]): string {
  const head = `${qualifiedKind(resource)} ${JSON.stringify(name)} is invalid`
  const lines = [...new Set(causes.map(causeToString))]
  if (lines.length === 0) return head
  return lines.length === 1 ? `${head}: ${lines[0]}` : `${head}: [${lines.join(', ')}]`
}

/** The 422 Status for invalid `causes` of an object named `name`. */
export function invalidStatus(resource: ResourceType, name: string, causes: readonly StatusCause[]): Status {
  return failureStatus(422, 'Invalid', invalidMessage(resource, name, causes), {
    name,
    group: resource.group,
    kind: resource.kind,
    causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })),
  })
}

// --- names and formats -----------------------------------------------------------------------

const dns1123LabelPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const dns1123SubdomainPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const dns1035LabelPattern = /^[a-z]([-a-z0-9]*[a-z0-9])?$/

const dns1123LabelMessage =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
const dns1035LabelMessage =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"

const lengthMessage = (max: number) => `must be no more than ${max} characters`

export function dns1123LabelProblems(value: string): string[] {
  const problems = value.length > 63 ? [lengthMessage(63)] : []
  if (!dns1123LabelPattern.test(value)) problems.push(dns1123LabelMessage)
  return problems
}

export function dns1123SubdomainProblems(value: string): string[] {
  const problems = value.length > 253 ? [lengthMessage(253)] : []
  if (!dns1123SubdomainPattern.test(value)) problems.push(dns1123SubdomainMessage)
  return problems
}

export function dns1035LabelProblems(value: string): string[] {
  const problems = value.length > 63 ? [lengthMessage(63)] : []
  if (!dns1035LabelPattern.test(value)) problems.push(dns1035LabelMessage)
  return problems
}

type NameRule = (name: string) => string[]

/** A generateName is a prefix: a trailing dash is allowed (the suffix follows it). */
export const asPrefix =
  (rule: NameRule): NameRule =>
  (name) =>
    rule(name.length > 1 && name.endsWith('-') ? `${name.slice(0, -1)}a` : name)

/** Name rules that differ from the DNS-1123 subdomain most kinds use. */
export const nameRules: Record<string, NameRule> = {
  '/Namespace': dns1123LabelProblems,
  '/Service': dns1035LabelProblems,
  'batch/CronJob': (name) => [
    ...dns1123SubdomainProblems(name),
    // Job names get an 11-character suffix and must stay DNS-1035 labels.
    ...(name.length > 52 ? ['must be no more than 52 characters'] : []),
  ],
}

export function portNameProblems(name: string): string[] {
  const problems: string[] = []
  if (name.length > 15) problems.push(lengthMessage(15))
  if (!/^[-a-z0-9]+$/.test(name))
    problems.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)')
  if (!/[a-z]/.test(name)) problems.push('must contain at least one letter (a-z)')
  if (name.includes('--')) problems.push('must not contain consecutive hyphens')
  if (name.startsWith('-') || name.endsWith('-')) problems.push('must not begin or end with a hyphen')
  return problems
}

export const portRangeMessage = 'must be between 1 and 65535, inclusive'
export const isPort = (value: unknown) =>
  Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535

export function configKeyProblems(key: string): string[] {
  const problems: string[] = []
  if (key.length > 253) problems.push(lengthMessage(253))
  if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
    problems.push(
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    )
  }
  if (key === '.') problems.push("must not be '.'")
  else if (key === '..') problems.push("must not be '..'")
  else if (key.startsWith('..')) problems.push("must not start with '..'")
  return problems
}

/** The decoded size of standard base64 text, or the offset of its first bad byte (as Go reports it). */
export function base64Check(text: string): { bytes: number } | { badOffset: number } {
  let length = 0
  let padding = 0
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!
    if (char === '\r' || char === '\n') continue
    if (char === '=') {
      padding++
      if (padding > 2) return { badOffset: i }
    } else if (padding > 0 || !/[A-Za-z0-9+/]/.test(char)) {
      return { badOffset: i }
    }
    length++
  }
  if (length % 4 !== 0) return { badOffset: text.length - (length % 4 === 1 ? 1 : 0) }
  return { bytes: (length / 4) * 3 - padding }
}

export function utf8Bytes(text: string): number {
  let bytes = 0
  for (const char of text) {
    const code = char.codePointAt(0)!
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4
  }
  return bytes
}

function isIPv4(text: string): boolean {
  const parts = text.split('.')
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)
}

function isIPv6(text: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return false
  const halves = text.split('::')
  if (halves.length > 2) return false
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')))
  const all = groups.flat()
  let count = all.length
  const last = all.at(-1)
  if (last?.includes('.')) {
    if (!isIPv4(last)) return false
    count += 1
    all.pop()
  }
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false
  return halves.length === 2 ? count <= 7 : count === 8
}

export const isIP = (text: string) => isIPv4(text) || isIPv6(text)

// --- small readers ---------------------------------------------------------------------------

export const record = (value: unknown): Json | undefined => (isRecord(value) ? value : undefined)
export const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [])
export const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)
export const integer = (value: unknown): number | undefined =>
  Number.isInteger(value) ? (value as number) : undefined
export const stringMap = (value: unknown): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(record(value) ?? {})) if (typeof v === 'string') out[k] = v
  return out
}

/** Equal as Kubernetes' semantic equality sees JSON: key order aside, absent, null, [] and {} alike. */
export function semanticallyEqual(a: unknown, b: unknown): boolean {
  const empty = (v: unknown) =>
    v === undefined ||
    v === null ||
    (Array.isArray(v) && v.length === 0) ||
    (isRecord(v) && Object.keys(v).length === 0)
  if (empty(a) && empty(b)) return true
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => semanticallyEqual(v, b[i]))
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    return [...keys].every((k) => semanticallyEqual(a[k], b[k]))
  }
  return a === b
}

export function nonNegative(causes: Causes, field: string, value: unknown): void {
  if (typeof value === 'number' && value < 0)
    causes.invalid(field, value, 'must be greater than or equal to 0')
}

export function positive(causes: Causes, field: string, value: unknown): void {
  if (typeof value === 'number' && value <= 0) causes.invalid(field, value, 'must be greater than 0')
}

export function oneOf(causes: Causes, field: string, value: unknown, supported: readonly string[]): void {
  if (typeof value === 'string' && !supported.includes(value)) causes.notSupported(field, value, supported)
}
