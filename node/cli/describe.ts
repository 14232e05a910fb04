// `cox describe`: one object as readable `Key:  value` lines in kubectl's layout — Name, Namespace,
// Labels, Annotations, CreationTimestamp, then what matters for its kind (replicas and the pod
// template of a Deployment, ports of a Service, the data of a ConfigMap...), anything else of its
// spec and status flattened as kubectl's generic describer does, and the Events about it.

import type { KubeObject } from '../../core/api/object.ts'
import type { ResourceType } from '../../core/api/resources.ts'
import type { ApiClient } from '../api-client.ts'
import { ApiStatusError } from './cluster-commands.ts'
import { age } from './get.ts'
import { getJson, objectPath, record, selectorString, withQuery } from './kube-api.ts'
import { tabWrite } from './tab-writer.ts'

type Json = Record<string, unknown>

export async function describeObject(
  client: ApiClient,
  type: ResourceType,
  namespace: string,
  name: string,
): Promise<string> {
  const object = await getJson<KubeObject>(client, objectPath(type, namespace, name))
  const events = await eventsFor(client, object)
  return renderDescription(type, object, events)
}

/** The description of `object`; `events` are those about it. */
export function renderDescription(type: ResourceType, object: KubeObject, events: Json[]): string {
  const out = new Lines()
  const metadata = object.metadata
  out.add(0, 'Name', metadata.name ?? '')
  if (type.namespaced) out.add(0, 'Namespace', metadata.namespace ?? '')
  out.add(0, 'CreationTimestamp', timeText(metadata.creationTimestamp))
  out.map(0, 'Labels', metadata.labels, '=')
  out.map(0, 'Annotations', metadata.annotations, ': ')
  const controller = metadata.ownerReferences?.find((owner) => owner.controller)
  if (controller) out.add(0, 'Controlled By', `${controller.kind}/${controller.name}`)
  const describer = describers[type.kind] ?? describeGeneric
  describer(out, object)
  describeEvents(out, events)
  return tabWrite(out.text(), 2)
}

// ---------------------------------------------------------------- lines

class Lines {
  readonly #lines: string[] = []

  /** `Key:<tab>value`; a multi-line value continues under the value column. */
  add(level: number, key: string, value: unknown): void {
    const text = value === undefined || value === null || value === '' ? '<none>' : String(value)
    const [first, ...more] = text.split('\n')
    this.#lines.push(`${indent(level)}${key}:\t${first}`)
    for (const line of more) this.#lines.push(`${indent(level)}\t${line}`)
  }

  /** A heading with nothing after it (`Pod Template:`), which ends the alignment block above. */
  heading(level: number, key: string): void {
    this.#lines.push(`${indent(level)}${key}:`)
  }

  /** Labels or annotations: one `key=value` per line, or `<none>`. */
  map(level: number, key: string, entries: Record<string, string> | undefined, separator: string): void {
    const pairs = Object.entries(entries ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))
    if (pairs.length === 0) {
      this.add(level, key, '<none>')
      return
    }
    pairs.forEach(([name, value], i) => {
      this.#lines.push(`${indent(level)}${i === 0 ? `${key}:` : ''}\t${name}${separator}${value}`)
    })
  }

  /** One entry per line under the value column, or `<none>`. */
  list(level: number, key: string, entries: string[]): void {
    if (entries.length === 0) {
      this.add(level, key, '<none>')
      return
    }
    entries.forEach((entry, i) => {
      this.#lines.push(`${indent(level)}${i === 0 ? `${key}:` : ''}\t${entry}`)
    })
  }

  raw(line: string): void {
    this.#lines.push(line)
  }

  text(): string {
    return `${this.#lines.join('\n')}\n`
  }
}

function indent(level: number): string {
  return '  '.repeat(level)
}

/** RFC 1123 with a numeric zone, as kubectl prints times: `Thu, 01 Jan 2026 12:00:00 +0000`. */
function timeText(timestamp: string | undefined): string {
  if (!timestamp) return '<unset>'
  const date = new Date(timestamp)
  return Number.isNaN(date.getTime()) ? timestamp : date.toUTCString().replace('GMT', '+0000')
}

// ---------------------------------------------------------------- kinds

const describers: Record<string, (out: Lines, object: KubeObject) => void> = {
  Deployment: describeDeployment,
  ReplicaSet: describeReplicaSet,
  StatefulSet: describeReplicaSet,
  Pod: describePod,
  Service: describeService,
  ConfigMap: describeConfigMap,
  Secret: describeSecret,
  HorizontalPodAutoscaler: describeAutoscaler,
  Namespace: (out, object) => out.add(0, 'Status', record(object.status).phase ?? 'Active'),
}

function describeDeployment(out: Lines, object: KubeObject): void {
  const spec = record(object.spec)
  const status = record(object.status)
  out.add(0, 'Selector', selectorString(record(spec.selector)))
  out.add(
    0,
    'Replicas',
    `${spec.replicas ?? 1} desired | ${status.updatedReplicas ?? 0} updated | ${status.replicas ?? 0} total | ` +
      `${status.availableReplicas ?? 0} available | ${status.unavailableReplicas ?? 0} unavailable`,
  )
  const strategy = record(spec.strategy)
  out.add(0, 'StrategyType', strategy.type ?? 'RollingUpdate')
  out.add(0, 'MinReadySeconds', spec.minReadySeconds ?? 0)
  if ((strategy.type ?? 'RollingUpdate') === 'RollingUpdate') {
    const rolling = record(strategy.rollingUpdate)
    out.add(
      0,
      'RollingUpdateStrategy',
      `${rolling.maxUnavailable ?? '25%'} max unavailable, ${rolling.maxSurge ?? '25%'} max surge`,
    )
  }
  describeTemplate(out, record(spec.template))
  describeConditions(out, status.conditions, ['type', 'status', 'reason'])
}

function describeReplicaSet(out: Lines, object: KubeObject): void {
  const spec = record(object.spec)
  const status = record(object.status)
  out.add(0, 'Selector', selectorString(record(spec.selector)))
  out.add(0, 'Replicas', `${status.replicas ?? 0} current / ${spec.replicas ?? 1} desired`)
  out.add(0, 'Pods Status', `${status.readyReplicas ?? 0} ready / ${status.availableReplicas ?? 0} available`)
  describeTemplate(out, record(spec.template))
  describeConditions(out, status.conditions, ['type', 'status', 'reason'])
}

/** A pod template alone, as `rollout history --revision` shows it. */
export function renderPodTemplate(template: Json): string {
  const out = new Lines()
  describeTemplate(out, template)
  return tabWrite(out.text(), 2)
}

function describeTemplate(out: Lines, template: Json): void {
  out.heading(0, 'Pod Template')
  out.map(1, 'Labels', record(record(template.metadata).labels) as Record<string, string>, '=')
  const annotations = record(record(template.metadata).annotations) as Record<string, string>
  if (Object.keys(annotations).length > 0) out.map(1, 'Annotations', annotations, ': ')
  describePodSpec(out, record(template.spec), 1, null)
}

function describePodSpec(out: Lines, spec: Json, level: number, status: Json | null): void {
  if (spec.serviceAccountName) out.add(level, 'Service Account', spec.serviceAccountName)
  const statuses = Array.isArray(status?.containerStatuses) ? (status.containerStatuses as Json[]) : []
  for (const [heading, list] of [
    ['Init Containers', spec.initContainers],
    ['Containers', spec.containers],
  ] as const) {
    if (!Array.isArray(list) || (heading === 'Init Containers' && list.length === 0)) continue
    out.heading(level, heading)
    for (const container of list as Json[]) {
      describeContainer(
        out,
        level,
        container,
        statuses.find((s) => s.name === container.name),
      )
    }
  }
  describeVolumes(out, level, Array.isArray(spec.volumes) ? (spec.volumes as Json[]) : [])
  out.map(level, 'Node-Selectors', record(spec.nodeSelector) as Record<string, string>, '=')
  const tolerations = Array.isArray(spec.tolerations) ? (spec.tolerations as Json[]) : []
  out.list(level, 'Tolerations', tolerations.map(tolerationText))
}

/** A container as kubectl lays it out: ` name:`, then its fields one level deeper. */
function describeContainer(
  out: Lines,
  level: number,
  container: Json,
  containerStatus: Json | undefined,
): void {
  out.heading(level, ` ${container.name}`)
  const inner = level + 1
  if (containerStatus?.containerID) out.add(inner, 'Container ID', containerStatus.containerID)
  out.add(inner, 'Image', container.image)
  const ports = Array.isArray(container.ports) ? (container.ports as Json[]) : []
  const several = ports.length > 1 ? 's' : ''
  out.add(inner, `Port${several}`, ports.map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', '))
  out.add(
    inner,
    `Host Port${several}`,
    ports.map((p) => `${p.hostPort ?? 0}/${p.protocol ?? 'TCP'}`).join(', '),
  )
  for (const [key, label] of [
    ['command', 'Command'],
    ['args', 'Args'],
  ] as const) {
    const words = container[key]
    if (!Array.isArray(words) || words.length === 0) continue
    out.heading(inner, label)
    for (const word of words) out.raw(`${indent(inner + 1)}${word}`)
  }
  if (containerStatus) {
    const state = Object.keys(record(containerStatus.state))[0]
    out.add(inner, 'State', state ? state[0]!.toUpperCase() + state.slice(1) : 'Waiting')
    out.add(inner, 'Ready', containerStatus.ready === true ? 'True' : 'False')
    out.add(inner, 'Restart Count', containerStatus.restartCount ?? 0)
  }
  const resources = record(container.resources)
  for (const [key, label] of [
    ['limits', 'Limits'],
    ['requests', 'Requests'],
  ] as const) {
    const entries = Object.entries(record(resources[key]))
    if (entries.length === 0) continue
    out.heading(inner, label)
    for (const [resource, quantity] of entries) out.add(inner + 1, resource, quantity)
  }
  const env = Array.isArray(container.env) ? (container.env as Json[]) : []
  if (env.length === 0) out.add(inner, 'Environment', '<none>')
  else {
    out.heading(inner, 'Environment')
    for (const variable of env) {
      out.add(inner + 1, String(variable.name), variable.value ?? envSourceText(record(variable.valueFrom)))
    }
  }
  const mounts = Array.isArray(container.volumeMounts) ? (container.volumeMounts as Json[]) : []
  if (mounts.length === 0) out.add(inner, 'Mounts', '<none>')
  else {
    out.heading(inner, 'Mounts')
    for (const mount of mounts) {
      out.raw(`${indent(inner + 1)}${mount.mountPath} from ${mount.name} (${mount.readOnly ? 'ro' : 'rw'})`)
    }
  }
}

/** kubectl's `<set to the key 'a' of config map 'c1'>  Optional: false`, and the field form. */
function envSourceText(source: Json): string {
  const configMap = record(source.configMapKeyRef)
  const secret = record(source.secretKeyRef)
  const field = record(source.fieldRef)
  if (configMap.key !== undefined) {
    return `<set to the key '${configMap.key}' of config map '${configMap.name}'>  Optional: ${configMap.optional === true}`
  }
  if (secret.key !== undefined) {
    return `<set to the key '${secret.key}' in secret '${secret.name}'>  Optional: ${secret.optional === true}`
  }
  if (field.fieldPath !== undefined) return `(${field.apiVersion ?? 'v1'}:${field.fieldPath})`
  return JSON.stringify(source)
}

const volumeTypes: Record<string, { text: string; fields: [string, string][] }> = {
  emptyDir: {
    text: "EmptyDir (a temporary directory that shares a pod's lifetime)",
    fields: [
      ['Medium', 'medium'],
      ['SizeLimit', 'sizeLimit'],
    ],
  },
  configMap: { text: 'ConfigMap (a volume populated by a ConfigMap)', fields: [['Name', 'name']] },
  secret: { text: 'Secret (a volume populated by a Secret)', fields: [['SecretName', 'secretName']] },
  hostPath: {
    text: 'HostPath (bare host directory volume)',
    fields: [
      ['Path', 'path'],
      ['HostPathType', 'type'],
    ],
  },
  persistentVolumeClaim: {
    text: 'PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)',
    fields: [['ClaimName', 'claimName']],
  },
}

function describeVolumes(out: Lines, level: number, volumes: Json[]): void {
  if (volumes.length === 0) {
    out.add(level, 'Volumes', '<none>')
    return
  }
  out.heading(level, 'Volumes')
  for (const volume of volumes) {
    out.heading(level, ` ${volume.name}`)
    const source = Object.keys(volume).find((key) => key !== 'name')
    const known = source === undefined ? undefined : volumeTypes[source]
    if (known === undefined) {
      out.add(level + 1, 'Type', source ?? '<unknown>')
      continue
    }
    out.add(level + 1, 'Type', known.text)
    const settings = record(volume[source!])
    for (const [label, key] of known.fields) {
      // kubectl prints an unset medium as nothing, other unset settings as <unset>.
      if (key === 'medium' && settings[key] === undefined) out.raw(`${indent(level + 1)}${label}:\t`)
      else out.add(level + 1, label, settings[key] ?? '<unset>')
    }
  }
}

/** `key=value:NoSchedule op=Exists for 300s`, as kubectl prints a toleration. */
function tolerationText(toleration: Json): string {
  let text = `${toleration.key ?? ''}`
  if (toleration.value) text += `=${toleration.value}`
  if (toleration.effect) text += `:${toleration.effect}`
  if (toleration.operator === 'Exists' && !toleration.value) text += text === '' ? 'op=Exists' : ' op=Exists'
  if (toleration.tolerationSeconds !== undefined) text += ` for ${toleration.tolerationSeconds}s`
  return text
}

function describePod(out: Lines, object: KubeObject): void {
  const spec = record(object.spec)
  const status = record(object.status)
  out.add(0, 'Node', spec.nodeName ? `${spec.nodeName}${status.hostIP ? `/${status.hostIP}` : ''}` : '<none>')
  out.add(0, 'Start Time', status.startTime ? timeText(String(status.startTime)) : '<none>')
  out.add(0, 'Status', object.metadata.deletionTimestamp ? 'Terminating' : (status.phase ?? 'Pending'))
  if (status.reason) out.add(0, 'Reason', status.reason)
  if (status.message) out.add(0, 'Message', status.message)
  out.add(0, 'IP', status.podIP ?? '')
  describePodSpec(out, spec, 0, status)
  describeConditions(out, status.conditions, ['type', 'status'])
}

function describeService(out: Lines, object: KubeObject): void {
  const spec = record(object.spec)
  out.map(0, 'Selector', record(spec.selector) as Record<string, string>, '=')
  out.add(0, 'Type', spec.type ?? 'ClusterIP')
  if (spec.ipFamilyPolicy) out.add(0, 'IP Family Policy', spec.ipFamilyPolicy)
  if (Array.isArray(spec.ipFamilies)) out.add(0, 'IP Families', spec.ipFamilies.join(','))
  out.add(0, 'IP', spec.clusterIP ?? '<none>')
  if (Array.isArray(spec.clusterIPs)) out.add(0, 'IPs', spec.clusterIPs.join(','))
  const ports = Array.isArray(spec.ports) ? (spec.ports as Json[]) : []
  for (const port of ports) {
    const name = port.name ? String(port.name) : '<unset>'
    const protocol = port.protocol ?? 'TCP'
    out.add(0, 'Port', `${name}  ${port.port}/${protocol}`)
    out.add(0, 'TargetPort', `${port.targetPort ?? port.port}/${protocol}`)
    if (port.nodePort) out.add(0, 'NodePort', `${name}  ${port.nodePort}/${protocol}`)
  }
  out.add(0, 'Session Affinity', spec.sessionAffinity ?? 'None')
  if (spec.internalTrafficPolicy) out.add(0, 'Internal Traffic Policy', spec.internalTrafficPolicy)
}

function describeConfigMap(out: Lines, object: KubeObject): void {
  out.raw('')
  out.raw('Data')
  out.raw('====')
  for (const [key, value] of Object.entries(record(object.data))) {
    out.raw(`${key}:`)
    out.raw('----')
    out.raw(String(value))
    out.raw('')
  }
  out.raw('')
  out.raw('BinaryData')
  out.raw('====')
  for (const [key, value] of Object.entries(record(object.binaryData))) {
    out.raw(`${key}: ${Buffer.from(String(value), 'base64').length} bytes`)
  }
  out.raw('')
}

function describeSecret(out: Lines, object: KubeObject): void {
  out.raw('')
  out.add(0, 'Type', object.type ?? 'Opaque')
  out.raw('')
  out.raw('Data')
  out.raw('====')
  for (const [key, value] of Object.entries(record(object.data))) {
    out.raw(`${key}:\t${Buffer.from(String(value), 'base64').length} bytes`)
  }
}

function describeAutoscaler(out: Lines, object: KubeObject): void {
  const spec = record(object.spec)
  const status = record(object.status)
  const target = record(spec.scaleTargetRef)
  out.add(0, 'Reference', `${target.kind}/${target.name}`)
  out.add(0, 'Metrics', '( current / target )')
  const current = Array.isArray(status.currentMetrics) ? (status.currentMetrics as Json[]) : []
  for (const metric of Array.isArray(spec.metrics) ? (spec.metrics as Json[]) : []) {
    const resource = record(metric.resource)
    const goal = record(resource.target)
    const now = record(
      record(current.find((m) => record(m.resource).name === resource.name)?.resource).current,
    )
    if (goal.type === 'Utilization') {
      const shown = now.averageUtilization === undefined ? '<unknown>' : `${now.averageUtilization}%`
      out.add(
        1,
        `resource ${resource.name} on pods  (as a percentage of request)`,
        `${shown} / ${goal.averageUtilization}%`,
      )
    } else {
      out.add(1, `${metric.type} ${resource.name ?? ''}`.trim(), JSON.stringify(goal))
    }
  }
  out.add(0, 'Min replicas', spec.minReplicas ?? 1)
  out.add(0, 'Max replicas', spec.maxReplicas)
  out.add(
    0,
    `${target.kind} pods`,
    `${status.currentReplicas ?? 0} current / ${status.desiredReplicas ?? 0} desired`,
  )
  describeConditions(out, status.conditions, ['type', 'status', 'reason', 'message'])
}

function describeConditions(out: Lines, conditions: unknown, fields: string[]): void {
  if (!Array.isArray(conditions) || conditions.length === 0) return
  out.heading(0, 'Conditions')
  const titles = fields.map((f) => f[0]!.toUpperCase() + f.slice(1))
  out.raw(`  ${titles.join('\t')}`)
  out.raw(`  ${titles.map((t) => '-'.repeat(t.length)).join('\t')}`)
  for (const condition of conditions as Json[])
    out.raw(`  ${fields.map((f) => condition[f] ?? '').join('\t')}`)
}

/** Any other kind: its spec and status (and for kinds without them, its other fields), as kubectl's generic describer prints them. */
function describeGeneric(out: Lines, object: KubeObject): void {
  const { apiVersion: _a, kind: _k, metadata: _m, ...rest } = object
  for (const [key, value] of Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1))) {
    describeValue(out, 0, key, value)
  }
}

function describeValue(out: Lines, level: number, key: string, value: unknown): void {
  const label = smartLabel(key)
  if (typeof value === 'object' && value !== null && Object.keys(value).length === 0) return
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item !== 'object' || item === null)) {
      out.add(level, label, value.join(', '))
      return
    }
    out.heading(level, label)
    for (const item of value) {
      if (typeof item === 'object' && item !== null) {
        for (const [innerKey, inner] of Object.entries(item).sort(([a], [b]) => (a < b ? -1 : 1))) {
          describeValue(out, level + 1, innerKey, inner)
        }
      } else out.raw(`${indent(level + 1)}${item}`)
    }
  } else if (typeof value === 'object' && value !== null) {
    out.heading(level, label)
    for (const [innerKey, inner] of Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1))) {
      describeValue(out, level + 1, innerKey, inner)
    }
  } else {
    out.add(level, label, value)
  }
}

const acronyms: ReadonlySet<string> = new Set(['API', 'URL', 'UID', 'IP', 'IPS', 'CIDR', 'DNS', 'TLS', 'ID'])

/** `creationTimestamp` -> `Creation Timestamp`, `apiVersion` -> `API Version`; other keys as they are. */
function smartLabel(field: string): string {
  if (/[^A-Za-z-]/.test(field)) return field
  const words = field.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[A-Z]+|-/g) ?? [field]
  return words
    .map((word) =>
      acronyms.has(word.toUpperCase()) ? word.toUpperCase() : word[0]!.toUpperCase() + word.slice(1),
    )
    .join(' ')
}

// ---------------------------------------------------------------- events

/** The Events about `object`, oldest first; none when they cannot be listed. */
async function eventsFor(client: ApiClient, object: KubeObject): Promise<Json[]> {
  const { name, namespace, uid } = object.metadata
  const fieldSelector = namespace
    ? `involvedObject.name=${name},involvedObject.namespace=${namespace}`
    : `involvedObject.name=${name}`
  const path = namespace ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/events` : '/api/v1/events'
  let items: Json[]
  try {
    items = (await getJson<{ items?: Json[] }>(client, withQuery(path, { fieldSelector }))).items ?? []
  } catch (error) {
    if (error instanceof ApiStatusError) return []
    throw error
  }
  return items
    .filter((event) => {
      const involved = record(event.involvedObject)
      return (
        (!involved.kind || involved.kind === object.kind) && (!involved.uid || !uid || involved.uid === uid)
      )
    })
    .sort((a, b) => String(eventTime(a)).localeCompare(String(eventTime(b))))
}

function eventTime(event: Json): string | undefined {
  return (event.lastTimestamp ??
    event.eventTime ??
    event.firstTimestamp ??
    record(event.metadata).creationTimestamp) as string | undefined
}

function describeEvents(out: Lines, events: Json[]): void {
  if (events.length === 0) {
    out.add(0, 'Events', '<none>')
    return
  }
  out.heading(0, 'Events')
  out.raw('  Type\tReason\tAge\tFrom\tMessage')
  out.raw('  ----\t------\t----\t----\t-------')
  for (const event of events) {
    const last = eventTime(event)
    const count = Number(event.count ?? 1)
    const first = (event.firstTimestamp ?? last) as string | undefined
    const when = count > 1 ? `${age(last)} (x${count} over ${age(first)})` : age(last)
    const source = record(event.source)
    const from = source.component
      ? `${source.component}${source.host ? `, ${source.host}` : ''}`
      : String(event.reportingController ?? '')
    const message = String(event.message ?? '').trim()
    out.raw(`  ${event.type ?? ''}\t${event.reason ?? ''}\t${when}\t${from}\t${message}`)
  }
}
