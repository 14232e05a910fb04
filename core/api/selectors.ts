// Label and field selectors, as list and watch requests carry them (`?labelSelector=app=web,tier in
// (a,b)` and `?fieldSelector=spec.nodeName=n1`) and as workloads hold them (`LabelSelector`). Both
// forms parse to the same requirements, which match an object's labels or selectable fields.
// Grammar, matching and error wording follow apimachinery's `labels` and `fields` packages.

import type { KubeObject, LabelSelector } from './object.ts'
import { isRecord } from './object.ts'
import { type ResourceType, resourceFor } from './resources.ts'

/** A selector that does not parse, or names a field the kind cannot be selected by. */
export class SelectorError extends Error {
  override name = 'SelectorError'
}

// --- label selectors ------------------------------------------------------------------------

export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt'

export interface LabelRequirement {
  key: string
  operator: LabelOperator
  /** Sorted; one value for `=`, `==`, `!=`, `gt`, `lt`; none for `exists` and `!`. */
  values: string[]
}

type Token =
  | { kind: 'identifier'; text: string }
  | { kind: 'in' | 'notin' | '=' | '==' | '!=' | '!' | 'gt' | 'lt' | '(' | ')' | ',' | 'end'; text: string }

const specialSymbols = ['==', '!=', '=', '!', '(', ')', ',', '>', '<'] as const

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const char = text[i]!
    if (/\s/.test(char)) {
      i++
      continue
    }
    const symbol = specialSymbols.find((s) => text.startsWith(s, i))
    if (symbol !== undefined) {
      const kind = symbol === '>' ? 'gt' : symbol === '<' ? 'lt' : symbol
      tokens.push({ kind, text: symbol })
      i += symbol.length
      continue
    }
    let end = i
    while (
      end < text.length &&
      !/\s/.test(text[end]!) &&
      !specialSymbols.some((s) => text.startsWith(s, end))
    )
      end++
    const word = text.slice(i, end)
    tokens.push(
      word === 'in' || word === 'notin' ? { kind: word, text: word } : { kind: 'identifier', text: word },
    )
    i = end
  }
  tokens.push({ kind: 'end', text: '' })
  return tokens
}

/**
 * The requirements of a label selector in its query-string form; `''` selects everything.
 * Throws SelectorError with apimachinery's wording (`found ',', expected: identifier`).
 */
export function parseLabelSelector(text: string): LabelRequirement[] {
  const tokens = tokenize(text)
  let position = 0
  const peek = () => tokens[position]!
  const next = () => tokens[position++]!
  const found = (token: Token) => `found '${token.text}'`
  const requirements: LabelRequirement[] = []

  if (peek().kind === 'end') return requirements
  for (;;) {
    let operator: LabelOperator | undefined
    if (peek().kind === '!') {
      next()
      operator = '!'
    }
    const keyToken = next()
    if (keyToken.kind !== 'identifier') throw new SelectorError(`${found(keyToken)}, expected: identifier`)
    const key = keyToken.text
    let values: string[] = []
    if (operator === undefined) {
      const op = peek()
      if (op.kind === ',' || op.kind === 'end') {
        operator = 'exists'
      } else if (
        op.kind === '=' ||
        op.kind === '==' ||
        op.kind === '!=' ||
        op.kind === 'gt' ||
        op.kind === 'lt'
      ) {
        next()
        operator = op.kind
        const value = peek()
        if (value.kind === 'identifier') {
          next()
          values = [value.text]
        } else if (value.kind === ',' || value.kind === 'end') {
          values = ['']
        } else {
          throw new SelectorError(`${found(value)}, expected: identifier`)
        }
      } else if (op.kind === 'in' || op.kind === 'notin') {
        next()
        operator = op.kind
        values = parseValueSet(next, peek)
      } else {
        throw new SelectorError(`${found(op)}, expected: in, notin, =, ==, !=, gt, lt`)
      }
    }
    requirements.push(checkedRequirement(key, operator, values))
    const separator = next()
    if (separator.kind === 'end') break
    if (separator.kind !== ',')
      throw new SelectorError(`${found(separator)}, expected: ',' or 'end of string'`)
    if (peek().kind === 'end') throw new SelectorError(`found '', expected: identifier after ','`)
  }
  return sortRequirements(requirements)
}

function parseValueSet(next: () => Token, peek: () => Token): string[] {
  const open = next()
  if (open.kind !== '(') throw new SelectorError(`found '${open.text}', expected: '('`)
  const values: string[] = []
  for (;;) {
    const token = peek()
    if (token.kind === 'identifier') {
      next()
      values.push(token.text)
    } else if (token.kind === ',' || token.kind === ')') {
      values.push('') // `in (a,)` and `in ()` hold the empty value, as apimachinery reads them
    } else {
      throw new SelectorError(`found '${token.text}', expected: ',', ')' or identifier`)
    }
    const separator = next()
    if (separator.kind === ')') break
    if (separator.kind !== ',') throw new SelectorError(`found '${separator.text}', expected: ',' or ')'`)
  }
  return values
}

function checkedRequirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  const keyProblems = qualifiedNameProblems(key)
  if (keyProblems.length > 0) {
    throw new SelectorError(
      `unable to parse requirement: key: Invalid value: "${key}": ${keyProblems.join('; ')}`,
    )
  }
  if ((operator === 'in' || operator === 'notin') && values.length === 0) {
    throw new SelectorError(
      `unable to parse requirement: values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty`,
    )
  }
  if ((operator === 'gt' || operator === 'lt') && !/^-?\d+$/.test(values[0] ?? '')) {
    throw new SelectorError(
      `unable to parse requirement: values[0]: Invalid value: "${values[0]}": for 'Gt', 'Lt' operators, the value must be an integer`,
    )
  }
  for (const [i, value] of values.entries()) {
    const problems = labelValueProblems(value)
    if (problems.length > 0) {
      throw new SelectorError(
        `unable to parse requirement: values[${i}][${key}]: Invalid value: "${value}": ${problems.join('; ')}`,
      )
    }
  }
  return { key, operator, values: [...new Set(values)].sort() }
}

function sortRequirements(requirements: LabelRequirement[]): LabelRequirement[] {
  return requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
}

const labelSelectorOperators: Record<string, LabelOperator> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
}

/**
 * The requirements of a structured selector. An absent selector selects nothing (null here); `{}`
 * selects everything (no requirements). Throws SelectorError for an unknown operator or bad values.
 */
export function labelSelectorRequirements(selector: LabelSelector | undefined): LabelRequirement[] | null {
  if (selector === undefined || selector === null) return null
  const requirements: LabelRequirement[] = []
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    requirements.push(checkedRequirement(key, '=', [value]))
  }
  for (const expression of selector.matchExpressions ?? []) {
    const operator = labelSelectorOperators[expression.operator]
    if (operator === undefined) {
      throw new SelectorError(`"${expression.operator}" is not a valid label selector operator`)
    }
    const values = expression.values ?? []
    if ((operator === 'exists' || operator === '!') && values.length > 0) {
      throw new SelectorError(
        `values: Invalid value: ${JSON.stringify(values)}: values set must be empty for exists and does not exist`,
      )
    }
    requirements.push(checkedRequirement(expression.key, operator, values))
  }
  return sortRequirements(requirements)
}

/** Whether labels satisfy every requirement (null requirements, an absent selector, match nothing). */
export function matchesLabels(
  requirements: readonly LabelRequirement[] | null,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  if (requirements === null) return false
  const set = labels ?? {}
  return requirements.every((r) => requirementMatches(r, set))
}

function requirementMatches(r: LabelRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key)
  const value = has ? labels[r.key]! : undefined
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return has && r.values.includes(value!)
    case '!=':
    case 'notin':
      return !has || !r.values.includes(value!)
    case 'exists':
      return has
    case '!':
      return !has
    case 'gt':
    case 'lt': {
      if (!has || !/^-?\d+$/.test(value!)) return false
      const [left, right] = [BigInt(value!), BigInt(r.values[0]!)]
      return r.operator === 'gt' ? left > right : left < right
    }
  }
}

/** A matcher for either form of selector; a string is the query-string form. */
export function labelMatcher(
  selector: LabelSelector | string | undefined,
): (labels?: Record<string, string>) => boolean {
  const requirements =
    typeof selector === 'string' ? parseLabelSelector(selector) : labelSelectorRequirements(selector)
  return (labels) => matchesLabels(requirements, labels)
}

/** Requirements in the query-string form, sorted by key, as apimachinery's `Selector.String()`. */
export function requirementsToString(requirements: readonly LabelRequirement[]): string {
  return requirements
    .map((r) => {
      switch (r.operator) {
        case 'exists':
          return r.key
        case '!':
          return `!${r.key}`
        case 'in':
        case 'notin':
          return `${r.key} ${r.operator} (${r.values.join(',')})`
        case 'gt':
          return `${r.key}>${r.values[0]}`
        case 'lt':
          return `${r.key}<${r.values[0]}`
        default:
          return `${r.key}${r.operator}${r.values[0]}`
      }
    })
    .join(',')
}

/**
 * A structured selector in the query-string form (`app=web,tier in (a,b)`), e.g. to list a
 * Deployment's ReplicaSets. `{}` gives `''` (everything); callers printing for humans show `<none>`.
 */
export function labelSelectorToString(selector: LabelSelector): string {
  return requirementsToString(labelSelectorRequirements(selector) ?? [])
}

// --- names and values (shared with validation) -----------------------------------------------

const qualifiedNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/

const qualifiedNameFormat =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
const qualifiedNameRegex = "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'"
/** apimachinery's wording for a DNS-1123 subdomain. */
export const dns1123SubdomainMessage =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

/** Problems with a qualified name (`example.com/MyName`), as apimachinery's `IsQualifiedName`. */
export function qualifiedNameProblems(value: string): string[] {
  const problems: string[] = []
  const parts = value.split('/')
  let name: string
  if (parts.length === 1) {
    name = parts[0]!
  } else if (parts.length === 2) {
    const prefix = parts[0]!
    name = parts[1]!
    if (prefix.length === 0) problems.push('prefix part must be non-empty')
    else {
      if (prefix.length > 253) problems.push('prefix part must be no more than 253 characters')
      if (!dns1123Subdomain.test(prefix)) problems.push(`prefix part ${dns1123SubdomainMessage}`)
    }
  } else {
    return [
      `a qualified name ${qualifiedNameFormat} (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is ${qualifiedNameRegex}) with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ]
  }
  if (name.length === 0) problems.push('name part must be non-empty')
  else if (name.length > 63) problems.push('name part must be no more than 63 characters')
  if (name.length > 0 && !qualifiedNamePart.test(name)) {
    problems.push(
      `name part ${qualifiedNameFormat} (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is ${qualifiedNameRegex})`,
    )
  }
  return problems
}

/** Problems with a label value (at most 63 characters, alphanumeric ends), as `IsValidLabelValue`. */
export function labelValueProblems(value: string): string[] {
  const problems: string[] = []
  if (value.length > 63) problems.push('must be no more than 63 characters')
  if (!labelValue.test(value)) {
    problems.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    )
  }
  return problems
}

// --- field selectors ------------------------------------------------------------------------

export interface FieldRequirement {
  field: string
  /** `==` reads as `=`. */
  operator: '=' | '!='
  value: string
}

/**
 * The requirements of a field selector (`metadata.name=web,status.phase!=Running`); `''` selects
 * everything. `\,`, `\=` and `\\` escape. Throws SelectorError for text it cannot read.
 */
export function parseFieldSelector(text: string): FieldRequirement[] {
  const requirements: FieldRequirement[] = []
  if (text.trim() === '') return requirements
  for (const part of splitUnescaped(text, ',')) {
    const match = findOperator(part)
    if (match === undefined)
      throw new SelectorError(`invalid selector: '${text}'; can't understand '${part}'`)
    const field = part.slice(0, match.index).trim()
    const value = unescapeFieldValue(part.slice(match.index + match.operator.length))
    if (field === '') throw new SelectorError(`invalid selector: '${text}'; can't understand '${part}'`)
    if (value === null)
      throw new SelectorError(`invalid field selector value: '${part}': invalid escape sequence`)
    requirements.push({ field, operator: match.operator === '!=' ? '!=' : '=', value })
  }
  return requirements
}

function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = []
  let start = 0
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++
    else if (text[i] === separator) {
      parts.push(text.slice(start, i))
      start = i + 1
    }
  }
  parts.push(text.slice(start))
  return parts
}

function findOperator(part: string): { index: number; operator: string } | undefined {
  for (let i = 0; i < part.length; i++) {
    if (part[i] === '\\') {
      i++
      continue
    }
    for (const operator of ['!=', '==', '=']) {
      if (part.startsWith(operator, i)) return { index: i, operator }
    }
  }
  return undefined
}

function unescapeFieldValue(value: string): string | null {
  let out = ''
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!
    if (char !== '\\') {
      if (char === '=' || char === ',') return null
      out += char
      continue
    }
    const escaped = value[i + 1]
    if (escaped !== '\\' && escaped !== ',' && escaped !== '=') return null
    out += escaped
    i++
  }
  return out
}

/** Requirements in the query-string form, escaping as apimachinery's `EscapeValue`. */
export function fieldRequirementsToString(requirements: readonly FieldRequirement[]): string {
  const escaped = (v: string) => v.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/=/g, '\\=')
  return requirements.map((r) => `${r.field}${r.operator}${escaped(r.value)}`).join(',')
}

type FieldGetter = (object: Record<string, unknown>) => unknown

const at =
  (...path: string[]): FieldGetter =>
  (object) => {
    let value: unknown = object
    for (const key of path) value = isRecord(value) ? value[key] : undefined
    return value
  }

/** Fields each kind can be selected by, beyond `metadata.name` and `metadata.namespace`. */
const selectableFields: Record<string, Record<string, FieldGetter>> = {
  '/Pod': {
    'spec.nodeName': at('spec', 'nodeName'),
    'spec.restartPolicy': at('spec', 'restartPolicy'),
    'spec.schedulerName': at('spec', 'schedulerName'),
    'spec.serviceAccountName': at('spec', 'serviceAccountName'),
    'spec.hostNetwork': (pod) => at('spec', 'hostNetwork')(pod) === true,
    'status.phase': at('status', 'phase'),
    // The pod's primary IP, as Kubernetes selects it (the first of status.podIPs).
    'status.podIP': (pod) => at('status', 'podIP')(pod) ?? firstIp(at('status', 'podIPs')(pod)),
    'status.nominatedNodeName': at('status', 'nominatedNodeName'),
  },
  '/Event': {
    'involvedObject.kind': at('involvedObject', 'kind'),
    'involvedObject.namespace': at('involvedObject', 'namespace'),
    'involvedObject.name': at('involvedObject', 'name'),
    'involvedObject.uid': at('involvedObject', 'uid'),
    'involvedObject.apiVersion': at('involvedObject', 'apiVersion'),
    'involvedObject.resourceVersion': at('involvedObject', 'resourceVersion'),
    'involvedObject.fieldPath': at('involvedObject', 'fieldPath'),
    reason: at('reason'),
    reportingComponent: at('reportingComponent'),
    source: at('source', 'component'),
    type: at('type'),
  },
  '/Secret': { type: at('type') },
  '/Node': { 'spec.unschedulable': (node) => at('spec', 'unschedulable')(node) === true },
  '/Namespace': { 'status.phase': at('status', 'phase') },
  '/Service': { 'spec.clusterIP': at('spec', 'clusterIP'), 'spec.type': at('spec', 'type') },
  'apps/ReplicaSet': { 'status.replicas': (rs) => at('status', 'replicas')(rs) ?? 0 },
  'batch/Job': { 'status.successful': (job) => at('status', 'succeeded')(job) ?? 0 },
}

function firstIp(podIPs: unknown): unknown {
  return Array.isArray(podIPs) && isRecord(podIPs[0]) ? podIPs[0].ip : undefined
}

/** The getters of each kind, made once: every watcher with a field selector asks for every change. */
const gettersByKind = new Map<string, Readonly<Record<string, FieldGetter>>>()

function fieldGetters(resource: ResourceType): Readonly<Record<string, FieldGetter>> {
  const kind = `${resource.group}/${resource.kind}`
  let getters = gettersByKind.get(kind)
  if (!getters) {
    getters = {
      'metadata.name': at('metadata', 'name'),
      'metadata.namespace': at('metadata', 'namespace'),
      ...selectableFields[kind],
    }
    gettersByKind.set(kind, getters)
  }
  return getters
}

/** The fields `resource` can be selected by, e.g. for documentation and tests. */
export function selectableFieldNames(resource: ResourceType): string[] {
  return Object.keys(fieldGetters(resource))
}

/** Throws SelectorError (`field label not supported: spec.foo`) if a requirement names a field the kind lacks. */
export function checkFieldSelector(resource: ResourceType, requirements: readonly FieldRequirement[]): void {
  const getters = fieldGetters(resource)
  for (const r of requirements) {
    if (!Object.hasOwn(getters, r.field)) throw new SelectorError(`field label not supported: ${r.field}`)
  }
}

/**
 * Selectable fields already read, by object. Stored objects are never changed (a write replaces
 * them), and every watcher with a field selector asks of every change, so each is read once.
 */
const fieldsRead = new Map<string, WeakMap<KubeObject, Readonly<Record<string, string>>>>()

/** The selectable fields of an object as strings (absent fields read `''`, booleans `true`/`false`). */
export function selectableFieldsOf(
  resource: ResourceType,
  object: KubeObject,
): Readonly<Record<string, string>> {
  const kind = `${resource.group}/${resource.kind}`
  const read = fieldsRead.get(kind) ?? new WeakMap<KubeObject, Readonly<Record<string, string>>>()
  fieldsRead.set(kind, read)
  const known = read.get(object)
  if (known) return known
  const fields: Record<string, string> = {}
  for (const [name, get] of Object.entries(fieldGetters(resource))) {
    const value = get(object)
    fields[name] = value === undefined || value === null ? '' : String(value)
  }
  read.set(object, fields)
  return fields
}

/** Whether an object satisfies every requirement; an unsupported field is a SelectorError. */
export function matchesFields(
  resource: ResourceType,
  object: KubeObject,
  requirements: readonly FieldRequirement[],
): boolean {
  checkFieldSelector(resource, requirements)
  if (requirements.length === 0) return true
  const fields = selectableFieldsOf(resource, object)
  return requirements.every((r) => (fields[r.field] === r.value) === (r.operator === '='))
}

/** `matchesLabels` under the name the API server's list handler uses. */
export const matchesLabelSelector = matchesLabels

/**
 * Whether an object satisfies field requirements, the kind read from its apiVersion and kind.
 * Check the requirements against the kind first (`checkFieldSelector`) to answer 400 before listing.
 */
export function matchesFieldSelector(requirements: readonly FieldRequirement[], object: KubeObject): boolean {
  if (requirements.length === 0) return true
  const resource = resourceFor(object.apiVersion, object.kind)
  if (resource === undefined) return false
  return matchesFields(resource, object, requirements)
}
