// Server-side Tables (`meta.k8s.io/v1` `Table`), what `kubectl get` asks for with
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`. Owns the column sets and cell rules of
// kubernetes pkg/printers/internalversion/printers.go for the kinds coxswain serves, and the AGE
// format of apimachinery's `duration.HumanDuration`. Pure: the caller passes the objects and `now`.
//
// As the API server does, every row carries the wide cells too and every column definition is
// sent; kubectl shows priority-1 columns only with `-o wide`. Rows carry a PartialObjectMetadata
// (kubectl reads the namespace and labels from it for `-A` and `--show-labels`).
//
// Simplifications: column descriptions of the field-documented columns are short paraphrases of
// the swagger text; objects are read as they are stored, so a field the API server would have
// defaulted (spec.replicas) is taken at its Kubernetes default when absent; Event tables read
// core/v1 Events and events.k8s.io/v1 ones mapped onto them.

/** An API object as plain JSON (`{ apiVersion, kind, metadata, spec?, status?, ... }`), read defensively. */
export type KubeObject = object

export interface TableOptions {
  readonly kind: string
  /** The API group, '' for the core group. */
  readonly group: string
  /**
   * Whether to include the wide (priority 1) columns. The API server always does, and kubectl
   * hides them unless `-o wide`; so the default is true.
   */
  readonly wide?: boolean
  /** Milliseconds since the epoch, for AGE and the other durations. */
  readonly now: number
  readonly listMeta?: { readonly resourceVersion: string; readonly continue?: string }
}

export interface TableColumnDefinition {
  readonly name: string
  readonly type: 'string' | 'integer' | 'boolean' | 'number' | 'date'
  readonly format: string
  readonly description: string
  readonly priority: number
}

export type TableCell = string | number | boolean

export interface TableRow {
  readonly cells: TableCell[]
  readonly object: {
    readonly kind: 'PartialObjectMetadata'
    readonly apiVersion: 'meta.k8s.io/v1'
    readonly metadata: Record<string, unknown>
  }
}

export interface Table {
  readonly kind: 'Table'
  readonly apiVersion: 'meta.k8s.io/v1'
  readonly metadata: { readonly resourceVersion?: string; readonly continue?: string }
  readonly columnDefinitions: TableColumnDefinition[]
  readonly rows: TableRow[]
}

export function toTable(objects: readonly KubeObject[], options: TableOptions): Table {
  const printer = printers[`${options.group}/${options.kind}`] ?? defaultPrinter
  const wide = options.wide ?? true
  const keep = printer.columns.map((column) => wide || column.priority === 0)
  const metadata: { resourceVersion?: string; continue?: string } = {}
  if (options.listMeta) metadata.resourceVersion = options.listMeta.resourceVersion
  if (options.listMeta?.continue) metadata.continue = options.listMeta.continue
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: printer.columns.filter((_, index) => keep[index]),
    rows: objects.map((object) => {
      const reader = read(object)
      const cells = printer.cells(reader, options.now)
      if (cells.length !== printer.columns.length) {
        throw new Error(
          `the ${options.kind} printer made ${cells.length} cells for ${printer.columns.length} columns`,
        )
      }
      return {
        cells: cells.filter((_, index) => keep[index]),
        object: {
          kind: 'PartialObjectMetadata',
          apiVersion: 'meta.k8s.io/v1',
          metadata: structuredClone(reader.object('metadata').raw),
        },
      }
    }),
  }
}

/**
 * apimachinery's `duration.HumanDuration`: `42s` up to 2 minutes, then `3m20s`, `10m`, `5h30m`,
 * `30h`, `2d3h`, `90d`, `2y30d`, `10y`. Up to a second in the future is `0s`; more is `<invalid>`.
 */
export function humanDuration(durationMs: number): string {
  const seconds = Math.trunc(durationMs / 1000)
  if (seconds < -1) return '<invalid>'
  if (seconds < 0) return '0s'
  if (seconds < 60 * 2) return `${seconds}s`
  const minutes = Math.trunc(seconds / 60)
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`
  if (minutes < 60 * 3) return `${minutes}m`
  const hours = Math.trunc(minutes / 60)
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`
  if (hours < 48) return `${hours}h`
  const days = Math.trunc(hours / 24)
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`
  if (hours < 24 * 365 * 2) return `${days}d`
  const years = Math.trunc(days / 365)
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`
  return `${years}y`
}

// ---- Reading plain JSON defensively ----

/** A view of a JSON object that answers every question, with '' / 0 / [] for what is absent. */
interface Reader {
  readonly raw: Record<string, unknown>
  object(key: string): Reader
  objects(key: string): Reader[]
  strings(key: string): string[]
  string(key: string): string
  number(key: string): number
  has(key: string): boolean
  value(key: string): unknown
}

function read(value: unknown): Reader {
  const raw = isRecord(value) ? value : {}
  return {
    raw,
    object: (key) => read(raw[key]),
    objects: (key) => (Array.isArray(raw[key]) ? (raw[key] as unknown[]).map(read) : []),
    strings: (key) => (Array.isArray(raw[key]) ? (raw[key] as unknown[]).filter(isString) : []),
    string: (key) => (typeof raw[key] === 'string' ? raw[key] : ''),
    number: (key) => (typeof raw[key] === 'number' ? raw[key] : 0),
    has: (key) => raw[key] !== undefined && raw[key] !== null,
    value: (key) => raw[key],
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isString(value: unknown): value is string {
  return typeof value === 'string'
}

// ---- Formatting, as printers.go and apimachinery do ----

/** `translateTimestampSince`: the age of an RFC 3339 timestamp, `<unknown>` when unset. */
function since(timestamp: string, now: number): string {
  const at = Date.parse(timestamp)
  return Number.isNaN(at) ? '<unknown>' : humanDuration(now - at)
}

function age(object: Reader, now: number): string {
  return since(object.object('metadata').string('creationTimestamp'), now)
}

function name(object: Reader): string {
  return object.object('metadata').string('name')
}

/** `labels.FormatLabels`: sorted `k=v` pairs, `<none>` when empty. */
function formatLabels(labels: Reader): string {
  const pairs = Object.entries(labels.raw)
    .map(([key, value]) => `${key}=${String(value)}`)
    .sort()
  return pairs.length === 0 ? '<none>' : pairs.join(',')
}

/** A LabelSelector as `labels.Selector.String()`: requirements sorted by key, `''` when it selects all or none. */
function selectorString(selector: Reader): string {
  const requirements: { key: string; text: string }[] = []
  for (const [key, value] of Object.entries(selector.object('matchLabels').raw)) {
    requirements.push({ key, text: `${key}=${String(value)}` })
  }
  for (const expression of selector.objects('matchExpressions')) {
    const key = expression.string('key')
    const values = expression.strings('values').sort().join(',')
    const operator = expression.string('operator')
    if (operator === 'In') requirements.push({ key, text: `${key} in (${values})` })
    else if (operator === 'NotIn') requirements.push({ key, text: `${key} notin (${values})` })
    else if (operator === 'Exists') requirements.push({ key, text: key })
    else if (operator === 'DoesNotExist') requirements.push({ key, text: `!${key}` })
  }
  requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  return requirements.map((requirement) => requirement.text).join(',')
}

/** `metav1.FormatLabelSelector`: as selectorString, `<none>` when that is empty. */
function formatLabelSelector(selector: Reader): string {
  return selectorString(selector) || '<none>'
}

/** `layoutContainerCells`: the containers' names and images, comma-separated. */
function containerCells(podSpec: Reader): [string, string] {
  const containers = podSpec.objects('containers')
  return [
    containers.map((container) => container.string('name')).join(','),
    containers.map((container) => container.string('image')).join(','),
  ]
}

/** An IntOrString as Go prints it. */
function intOrString(value: unknown): string {
  return typeof value === 'number' || typeof value === 'string' ? String(value) : ''
}

/** `printBoolPtr`. */
function boolPointer(value: unknown): string {
  if (typeof value !== 'boolean') return '<unset>'
  return value ? 'True' : 'False'
}

/** A replica count the API server defaults to 1 when unset. */
function replicas(spec: Reader): number {
  return spec.has('replicas') ? spec.number('replicas') : 1
}

// ---- Column definitions ----

const nameDescription =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names'
const ageDescription =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata'
const containersDescription = 'Names of each container in the template.'
const imagesDescription = 'Images referenced by each container in the template.'

type ColumnType = TableColumnDefinition['type']

function column(name: string, type: ColumnType, description: string, priority = 0): TableColumnDefinition {
  return { name, type, format: '', description, priority }
}

const nameColumn: TableColumnDefinition = { ...column('Name', 'string', nameDescription), format: 'name' }
const ageColumn = column('Age', 'string', ageDescription)

interface Printer {
  readonly columns: readonly TableColumnDefinition[]
  /** One cell per column, wide ones included. */
  cells(object: Reader, now: number): TableCell[]
}

const defaultPrinter: Printer = {
  columns: [nameColumn, ageColumn],
  cells: (object, now) => [name(object), age(object, now)],
}

// ---- Workloads ----

const podPrinter: Printer = {
  columns: [
    nameColumn,
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column(
      'Restarts',
      'string',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    ageColumn,
    column('IP', 'string', 'IP address allocated to the pod. Routable at least within the cluster.', 1),
    column('Node', 'string', 'The name of the node the pod is scheduled onto.', 1),
    column('Nominated Node', 'string', 'The node the scheduler nominated for this pod to preempt onto.', 1),
    column(
      'Readiness Gates',
      'string',
      'The pod readiness gates and how many of their conditions are true.',
      1,
    ),
  ],
  cells: (pod, now) => {
    const { ready, status, restarts } = podSummary(pod, now)
    const spec = pod.object('spec')
    const podStatus = pod.object('status')
    const ip = podStatus.objects('podIPs')[0]?.string('ip') || podStatus.string('podIP') || '<none>'
    return [
      name(pod),
      ready,
      status,
      restarts,
      age(pod, now),
      ip,
      spec.string('nodeName') || '<none>',
      podStatus.string('nominatedNodeName') || '<none>',
      readinessGates(spec, podStatus),
    ]
  },
}

/** printPod's READY, STATUS and RESTARTS. */
function podSummary(pod: Reader, now: number): { ready: string; status: string; restarts: string } {
  const spec = pod.object('spec')
  const status = pod.object('status')
  const conditions = status.objects('conditions')
  const phase = status.string('phase')
  let reason = status.string('reason') || phase
  if (
    conditions.some((c) => c.string('type') === 'PodScheduled' && c.string('reason') === 'SchedulingGated')
  ) {
    reason = 'SchedulingGated'
  }

  const initContainers = spec.objects('initContainers')
  // Sidecars (init containers that restart always) count among the pod's containers.
  const sidecars = new Set(
    initContainers.filter((c) => c.string('restartPolicy') === 'Always').map((c) => c.string('name')),
  )
  const totalContainers = spec.objects('containers').length + sidecars.size
  let readyContainers = 0
  let restarts = 0
  let sidecarRestarts = 0
  let lastRestartMs = 0
  let lastSidecarRestartMs = 0

  let initializing = false
  const initStatuses = status.objects('initContainerStatuses')
  for (const [index, container] of initStatuses.entries()) {
    const finishedMs = lastTerminationMs(container)
    restarts += container.number('restartCount')
    lastRestartMs = Math.max(lastRestartMs, finishedMs)
    const isSidecar = sidecars.has(container.string('name'))
    if (isSidecar) {
      sidecarRestarts += container.number('restartCount')
      lastSidecarRestartMs = Math.max(lastSidecarRestartMs, finishedMs)
    }
    const state = container.object('state')
    const terminated = state.object('terminated')
    const waitingReason = state.object('waiting').string('reason')
    if (state.has('terminated') && terminated.number('exitCode') === 0) continue
    if (isSidecar && container.value('started') === true) {
      if (container.value('ready') === true) readyContainers++
      continue
    }
    if (state.has('terminated')) reason = `Init:${terminatedReason(terminated)}`
    else if (waitingReason !== '' && waitingReason !== 'PodInitializing') reason = `Init:${waitingReason}`
    else reason = `Init:${index}/${initContainers.length}`
    initializing = true
    break
  }

  const initialized = conditions.some(
    (c) => c.string('type') === 'Initialized' && c.string('status') === 'True',
  )
  if (!initializing || initialized) {
    restarts = sidecarRestarts
    lastRestartMs = lastSidecarRestartMs
    let hasRunning = false
    for (const container of status.objects('containerStatuses').reverse()) {
      restarts += container.number('restartCount')
      lastRestartMs = Math.max(lastRestartMs, lastTerminationMs(container))
      const state = container.object('state')
      const waitingReason = state.object('waiting').string('reason')
      if (waitingReason !== '') reason = waitingReason
      else if (state.has('terminated')) reason = terminatedReason(state.object('terminated'))
      else if (container.value('ready') === true && state.has('running')) {
        hasRunning = true
        readyContainers++
      }
    }
    // A pod whose last container completed but another still runs is Running (or NotReady).
    if (reason === 'Completed' && hasRunning) {
      const podReady = conditions.some((c) => c.string('type') === 'Ready' && c.string('status') === 'True')
      reason = podReady ? 'Running' : 'NotReady'
    }
  }

  const deleting = pod.object('metadata').has('deletionTimestamp')
  if (deleting && status.string('reason') === 'NodeLost') reason = 'Unknown'
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating'

  const restartsText =
    restarts !== 0 && lastRestartMs > 0
      ? `${restarts} (${humanDuration(now - lastRestartMs)} ago)`
      : `${restarts}`
  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restartsText }
}

/** A terminated state's reason, or `Signal:N` / `ExitCode:N` when it has none. */
function terminatedReason(terminated: Reader): string {
  if (terminated.string('reason') !== '') return terminated.string('reason')
  if (terminated.number('signal') !== 0) return `Signal:${terminated.number('signal')}`
  return `ExitCode:${terminated.number('exitCode')}`
}

/** When the container's previous run finished, 0 when unknown. */
function lastTerminationMs(container: Reader): number {
  const finishedAt = Date.parse(container.object('lastState').object('terminated').string('finishedAt'))
  return Number.isNaN(finishedAt) ? 0 : finishedAt
}

function readinessGates(spec: Reader, status: Reader): string {
  const gates = spec.objects('readinessGates')
  if (gates.length === 0) return '<none>'
  const conditions = status.objects('conditions')
  const isTrue = (type: string) =>
    conditions.find((c) => c.string('type') === type)?.string('status') === 'True'
  return `${gates.filter((gate) => isTrue(gate.string('conditionType'))).length}/${gates.length}`
}

const templateColumns = [
  column('Containers', 'string', containersDescription, 1),
  column('Images', 'string', imagesDescription, 1),
]

const deploymentPrinter: Printer = {
  columns: [
    nameColumn,
    column('Ready', 'string', 'Number of the pod with ready state'),
    column(
      'Up-to-date',
      'string',
      'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
    ),
    column(
      'Available',
      'string',
      'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
    ),
    ageColumn,
    ...templateColumns,
    column('Selector', 'string', 'Label selector for pods.', 1),
  ],
  cells: (deployment, now) => {
    const spec = deployment.object('spec')
    const status = deployment.object('status')
    return [
      name(deployment),
      `${status.number('readyReplicas')}/${replicas(spec)}`,
      status.number('updatedReplicas'),
      status.number('availableReplicas'),
      age(deployment, now),
      ...containerCells(spec.object('template').object('spec')),
      selectorString(spec.object('selector')),
    ]
  },
}

const replicaSetPrinter: Printer = {
  columns: [
    nameColumn,
    column('Desired', 'integer', 'Replicas is the number of desired replicas.'),
    column('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
    column('Ready', 'integer', 'The number of ready replicas for this replica set.'),
    ageColumn,
    ...templateColumns,
    column(
      'Selector',
      'string',
      'Selector is a label query over pods that should match the replica count.',
      1,
    ),
  ],
  cells: (replicaSet, now) => {
    const spec = replicaSet.object('spec')
    const status = replicaSet.object('status')
    return [
      name(replicaSet),
      replicas(spec),
      status.number('replicas'),
      status.number('readyReplicas'),
      age(replicaSet, now),
      ...containerCells(spec.object('template').object('spec')),
      formatLabelSelector(spec.object('selector')),
    ]
  },
}

const statefulSetPrinter: Printer = {
  columns: [
    nameColumn,
    column('Ready', 'string', 'Number of the pod with ready state'),
    ageColumn,
    ...templateColumns,
  ],
  cells: (statefulSet, now) => {
    const spec = statefulSet.object('spec')
    return [
      name(statefulSet),
      `${statefulSet.object('status').number('readyReplicas')}/${replicas(spec)}`,
      age(statefulSet, now),
      ...containerCells(spec.object('template').object('spec')),
    ]
  },
}

const daemonSetPrinter: Printer = {
  columns: [
    nameColumn,
    column('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
    column(
      'Current',
      'integer',
      'The number of nodes that are running at least 1 daemon pod and are supposed to.',
    ),
    column(
      'Ready',
      'integer',
      'The number of nodes that should be running the daemon pod and have one or more of it running and ready.',
    ),
    column('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod.'),
    column(
      'Available',
      'integer',
      'The number of nodes that should be running the daemon pod and have one or more of it running and available.',
    ),
    column(
      'Node Selector',
      'string',
      'NodeSelector is a selector which must be true for the pod to fit on a node.',
    ),
    ageColumn,
    ...templateColumns,
    column('Selector', 'string', 'A label query over pods that are managed by the daemon set.', 1),
  ],
  cells: (daemonSet, now) => {
    const spec = daemonSet.object('spec')
    const status = daemonSet.object('status')
    const podSpec = spec.object('template').object('spec')
    return [
      name(daemonSet),
      status.number('desiredNumberScheduled'),
      status.number('currentNumberScheduled'),
      status.number('numberReady'),
      status.number('updatedNumberScheduled'),
      status.number('numberAvailable'),
      formatLabels(podSpec.object('nodeSelector')),
      age(daemonSet, now),
      ...containerCells(podSpec),
      formatLabelSelector(spec.object('selector')),
    ]
  },
}

const jobPrinter: Printer = {
  columns: [
    nameColumn,
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
    column('Duration', 'string', 'Time required to complete the job.'),
    ageColumn,
    ...templateColumns,
    column('Selector', 'string', 'A label query over pods that should match the pod count.', 1),
  ],
  cells: (job, now) => {
    const spec = job.object('spec')
    const status = job.object('status')
    const succeeded = status.number('succeeded')
    let completions = `${succeeded}/1`
    if (spec.has('completions')) completions = `${succeeded}/${spec.number('completions')}`
    else if (spec.number('parallelism') > 1) completions = `${succeeded}/1 of ${spec.number('parallelism')}`
    const startMs = Date.parse(status.string('startTime'))
    const completionMs = Date.parse(status.string('completionTime'))
    let duration = ''
    if (!Number.isNaN(startMs))
      duration = humanDuration((Number.isNaN(completionMs) ? now : completionMs) - startMs)
    return [
      name(job),
      jobStatus(job),
      completions,
      duration,
      age(job, now),
      ...containerCells(spec.object('template').object('spec')),
      formatLabelSelector(spec.object('selector')),
    ]
  },
}

function jobStatus(job: Reader): string {
  const conditions = job.object('status').objects('conditions')
  const holds = (type: string) =>
    conditions.find((c) => c.string('type') === type)?.string('status') === 'True'
  if (holds('Complete')) return 'Complete'
  if (holds('Failed')) return 'Failed'
  if (job.object('metadata').has('deletionTimestamp')) return 'Terminating'
  if (holds('Suspended')) return 'Suspended'
  if (holds('FailureTarget')) return 'FailureTarget'
  return 'Running'
}

const cronJobPrinter: Printer = {
  columns: [
    nameColumn,
    column('Schedule', 'string', 'The schedule in Cron format.'),
    column('Timezone', 'string', 'The time zone name for the given schedule.'),
    column('Suspend', 'boolean', 'This flag tells the controller to suspend subsequent executions.'),
    column('Active', 'integer', 'A list of pointers to currently running jobs.'),
    column(
      'Last Schedule',
      'string',
      'Information when was the last time the job was successfully scheduled.',
    ),
    ageColumn,
    ...templateColumns,
    column('Selector', 'string', 'A label query over pods that should match the pod count.', 1),
  ],
  cells: (cronJob, now) => {
    const spec = cronJob.object('spec')
    const status = cronJob.object('status')
    const jobSpec = spec.object('jobTemplate').object('spec')
    return [
      name(cronJob),
      spec.string('schedule'),
      spec.string('timeZone') || '<none>',
      boolPointer(spec.value('suspend')),
      status.objects('active').length,
      status.has('lastScheduleTime') ? since(status.string('lastScheduleTime'), now) : '<none>',
      age(cronJob, now),
      ...containerCells(jobSpec.object('template').object('spec')),
      formatLabelSelector(jobSpec.object('selector')),
    ]
  },
}

// ---- Services and discovery ----

const servicePrinter: Printer = {
  columns: [
    nameColumn,
    column('Type', 'string', 'type determines how the Service is exposed.'),
    column('Cluster-IP', 'string', 'clusterIP is the IP address of the service.'),
    column(
      'External-IP',
      'string',
      'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
    ),
    column('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    ageColumn,
    column(
      'Selector',
      'string',
      'Route service traffic to pods with label keys and values matching this selector.',
      1,
    ),
  ],
  cells: (service, now) => {
    const spec = service.object('spec')
    const clusterIP = spec.strings('clusterIPs')[0] ?? (spec.string('clusterIP') || '<none>')
    const ports = spec.objects('ports').map((port) => {
      const protocol = port.string('protocol') || 'TCP'
      const nodePort = port.number('nodePort')
      return nodePort > 0
        ? `${port.number('port')}:${nodePort}/${protocol}`
        : `${port.number('port')}/${protocol}`
    })
    return [
      name(service),
      spec.string('type') || 'ClusterIP',
      clusterIP,
      externalIP(service),
      ports.length === 0 ? '<none>' : ports.join(','),
      age(service, now),
      formatLabels(spec.object('selector')),
    ]
  },
}

/** getServiceExternalIP, as the API server calls it (wide: the load balancer list is not clipped). */
function externalIP(service: Reader): string {
  const spec = service.object('spec')
  const externalIPs = spec.strings('externalIPs')
  switch (spec.string('type') || 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>'
    case 'LoadBalancer': {
      const ingress = service.object('status').object('loadBalancer').objects('ingress')
      const balancers = [
        ...new Set(ingress.map((i) => i.string('ip') || i.string('hostname')).filter(Boolean)),
      ].sort()
      const all = [...balancers, ...externalIPs]
      return all.length > 0 ? all.join(',') : '<pending>'
    }
    case 'ExternalName':
      return spec.string('externalName')
    default:
      return '<unknown>'
  }
}

const endpointsShownMax = 3

const endpointsPrinter: Printer = {
  columns: [
    nameColumn,
    column('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.'),
    ageColumn,
  ],
  cells: (endpoints, now) => [name(endpoints), formatEndpoints(endpoints), age(endpoints, now)],
}

/** formatEndpoints: the first three `ip:port`s, then `+ N more...`; `<none>` without subsets. */
function formatEndpoints(endpoints: Reader): string {
  const subsets = endpoints.objects('subsets')
  if (subsets.length === 0) return '<none>'
  const shown: string[] = []
  let count = 0
  for (const subset of subsets) {
    const addresses = subset.objects('addresses').map((address) => address.string('ip'))
    const ports = subset.objects('ports')
    // A headless service may have no ports: its addresses are listed bare.
    const targets =
      ports.length === 0
        ? addresses
        : ports.flatMap((port) => addresses.map((ip) => hostPort(ip, port.number('port'))))
    count += targets.length
    shown.push(...targets.slice(0, endpointsShownMax - shown.length))
  }
  const text = shown.join(',')
  return count > endpointsShownMax ? `${text} + ${count - endpointsShownMax} more...` : text
}

/** net.JoinHostPort: IPv6 addresses in brackets. */
function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`
}

// ---- Configuration and cluster ----

const configMapPrinter: Printer = {
  columns: [nameColumn, column('Data', 'string', 'Data contains the configuration data.'), ageColumn],
  cells: (configMap, now) => [
    name(configMap),
    Object.keys(configMap.object('data').raw).length + Object.keys(configMap.object('binaryData').raw).length,
    age(configMap, now),
  ],
}

const secretPrinter: Printer = {
  columns: [
    nameColumn,
    column('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
    column('Data', 'string', 'Data contains the secret data.'),
    ageColumn,
  ],
  cells: (secret, now) => [
    name(secret),
    secret.string('type'),
    Object.keys(secret.object('data').raw).length,
    age(secret, now),
  ],
}

const namespacePrinter: Printer = {
  columns: [nameColumn, column('Status', 'string', 'The status of the namespace'), ageColumn],
  cells: (namespace, now) => [
    name(namespace),
    namespace.object('status').string('phase'),
    age(namespace, now),
  ],
}

const serviceAccountPrinter: Printer = {
  columns: [
    nameColumn,
    column(
      'Secrets',
      'string',
      'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
    ),
    ageColumn,
  ],
  cells: (account, now) => [name(account), account.objects('secrets').length, age(account, now)],
}

const nodePrinter: Printer = {
  columns: [
    nameColumn,
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    ageColumn,
    column('Version', 'string', 'Kubelet Version reported by the node.'),
    column('Internal-IP', 'string', 'List of addresses reachable to the node.', 1),
    column('External-IP', 'string', 'List of addresses reachable to the node.', 1),
    column(
      'OS-Image',
      'string',
      'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
      1,
    ),
    column(
      'Kernel-Version',
      'string',
      "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
      1,
    ),
    column(
      'Container-Runtime',
      'string',
      'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
      1,
    ),
  ],
  cells: (node, now) => {
    const status = node.object('status')
    const info = status.object('nodeInfo')
    const ready = status.objects('conditions').find((c) => c.string('type') === 'Ready')
    const states = [
      ready === undefined ? 'Unknown' : ready.string('status') === 'True' ? 'Ready' : 'NotReady',
    ]
    if (node.object('spec').value('unschedulable') === true) states.push('SchedulingDisabled')
    const address = (type: string) =>
      status
        .objects('addresses')
        .find((a) => a.string('type') === type)
        ?.string('address') ?? '<none>'
    return [
      name(node),
      states.join(','),
      nodeRoles(node) || '<none>',
      age(node, now),
      info.string('kubeletVersion'),
      address('InternalIP'),
      address('ExternalIP'),
      info.string('osImage') || '<unknown>',
      info.string('kernelVersion') || '<unknown>',
      info.string('containerRuntimeVersion') || '<unknown>',
    ]
  },
}

/** findNodeRoles: `node-role.kubernetes.io/<role>` label keys and the `kubernetes.io/role` label value. */
function nodeRoles(node: Reader): string {
  const roles = new Set<string>()
  for (const [key, value] of Object.entries(node.object('metadata').object('labels').raw)) {
    if (key.startsWith('node-role.kubernetes.io/') && key.length > 'node-role.kubernetes.io/'.length) {
      roles.add(key.slice('node-role.kubernetes.io/'.length))
    } else if (key === 'kubernetes.io/role' && typeof value === 'string' && value !== '') roles.add(value)
  }
  return [...roles].sort().join(',')
}

const eventPrinter: Printer = {
  columns: [
    column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
    column(
      'Reason',
      'string',
      "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    ),
    column('Object', 'string', 'The object that this event is about.'),
    column('Subobject', 'string', 'The path of the field within the object the event is about.', 1),
    column('Source', 'string', 'The component reporting this event.', 1),
    column('Message', 'string', 'A human-readable description of the status of this operation.'),
    column('First Seen', 'string', 'The time at which the event was first recorded.', 1),
    column('Count', 'string', 'The number of times this event has occurred.', 1),
    { ...column('Name', 'string', nameDescription, 1), format: 'name' },
  ],
  cells: (event, now) => {
    const firstSeen = event.has('firstTimestamp')
      ? since(event.string('firstTimestamp'), now)
      : since(event.string('eventTime'), now)
    let lastSeen = event.has('lastTimestamp') ? since(event.string('lastTimestamp'), now) : firstSeen
    let count = event.number('count') || 1
    if (event.has('series')) {
      lastSeen = since(event.object('series').string('lastObservedTime'), now)
      count = event.object('series').number('count')
    }
    const involved = event.object('involvedObject')
    const kind = involved.string('kind').toLowerCase()
    const source = event.object('source')
    const component = source.string('component') || event.string('reportingComponent')
    const host = source.string('host') || event.string('reportingInstance')
    return [
      lastSeen,
      event.string('type'),
      event.string('reason'),
      involved.string('name') ? `${kind}/${involved.string('name')}` : kind,
      involved.string('fieldPath'),
      host ? `${component}, ${host}` : component,
      event.string('message').trim(),
      firstSeen,
      count,
      name(event),
    ]
  },
}

/** An events.k8s.io/v1 Event read as the core/v1 Event the printer knows. */
const eventsApiPrinter: Printer = {
  columns: eventPrinter.columns,
  cells: (event, now) => {
    const raw = event.raw
    return eventPrinter.cells(
      read({
        ...raw,
        involvedObject: raw.regarding,
        message: raw.note,
        source: raw.deprecatedSource,
        firstTimestamp: raw.deprecatedFirstTimestamp,
        lastTimestamp: raw.deprecatedLastTimestamp,
        count: raw.deprecatedCount,
        reportingComponent: raw.reportingController,
      }),
      now,
    )
  },
}

// ---- Autoscaling, disruption and leases ----

const hpaPrinter: Printer = {
  columns: [
    nameColumn,
    column('Reference', 'string', 'The target resource to scale.'),
    column(
      'Targets',
      'string',
      'The specifications for which to use to calculate the desired replica count.',
    ),
    column(
      'MinPods',
      'string',
      'The lower limit for the number of replicas to which the autoscaler can scale down.',
    ),
    column(
      'MaxPods',
      'string',
      'The upper limit for the number of replicas to which the autoscaler can scale up.',
    ),
    column('Replicas', 'string', 'Current number of replicas of pods managed by this autoscaler.'),
    ageColumn,
  ],
  cells: (hpa, now) => {
    const spec = hpa.object('spec')
    const target = spec.object('scaleTargetRef')
    return [
      name(hpa),
      `${target.string('kind')}/${target.string('name')}`,
      hpaTargets(hpa),
      spec.has('minReplicas') ? `${spec.number('minReplicas')}` : '<unset>',
      spec.number('maxReplicas'),
      hpa.object('status').number('currentReplicas'),
      age(hpa, now),
    ]
  },
}

const hpaTargetsShownMax = 2

/** formatHPAMetrics for autoscaling/v2 metrics, and v1's targetCPUUtilizationPercentage. */
function hpaTargets(hpa: Reader): string {
  const spec = hpa.object('spec')
  const status = hpa.object('status')
  if (spec.has('targetCPUUtilizationPercentage')) {
    const current = status.has('currentCPUUtilizationPercentage')
      ? `${status.number('currentCPUUtilizationPercentage')}%`
      : '<unknown>'
    return `cpu: ${current}/${spec.number('targetCPUUtilizationPercentage')}%`
  }
  const metrics = spec.objects('metrics')
  if (metrics.length === 0) return '<none>'
  const statuses = status.objects('currentMetrics')
  const texts = metrics.map((metric, index) => hpaMetric(metric, statuses[index]))
  const text = texts.slice(0, hpaTargetsShownMax).join(', ')
  return texts.length > hpaTargetsShownMax ? `${text} + ${texts.length - hpaTargetsShownMax} more...` : text
}

function hpaMetric(metric: Reader, status: Reader | undefined): string {
  const type = metric.string('type')
  const source = {
    External: 'external',
    Pods: 'pods',
    Object: 'object',
    Resource: 'resource',
    ContainerResource: 'containerResource',
  }[type]
  if (source === undefined) return '<unknown type>'
  const target = metric.object(source).object('target')
  const current = status?.has(source) ? status.object(source).object('current') : undefined
  const quantity = (reader: Reader | undefined, key: string) =>
    reader?.has(key) ? intOrString(reader.value(key)) : '<unknown>'
  if (type === 'Pods') {
    return `${quantity(current, 'averageValue')}/${intOrString(target.value('averageValue'))}`
  }
  if (type === 'External' || type === 'Object') {
    if (target.has('averageValue')) {
      return `${quantity(current, 'averageValue')}/${intOrString(target.value('averageValue'))} (avg)`
    }
    return `${quantity(current, 'value')}/${intOrString(target.value('value'))}`
  }
  const resource = metric.object(source).string('name')
  if (target.has('averageValue')) {
    return `${resource}: ${quantity(current, 'averageValue')}/${intOrString(target.value('averageValue'))}`
  }
  const utilization = current?.has('averageUtilization')
    ? `${current.number('averageUtilization')}%`
    : '<unknown>'
  const wanted = target.has('averageUtilization') ? `${target.number('averageUtilization')}%` : '<auto>'
  return `${resource}: ${utilization}/${wanted}`
}

const pdbPrinter: Printer = {
  columns: [
    nameColumn,
    column('Min Available', 'string', 'The minimum number of pods that must be available.'),
    column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    column('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    ageColumn,
  ],
  cells: (pdb, now) => {
    const spec = pdb.object('spec')
    return [
      name(pdb),
      spec.has('minAvailable') ? intOrString(spec.value('minAvailable')) : 'N/A',
      spec.has('maxUnavailable') ? intOrString(spec.value('maxUnavailable')) : 'N/A',
      pdb.object('status').number('disruptionsAllowed'),
      age(pdb, now),
    ]
  },
}

const leasePrinter: Printer = {
  columns: [
    nameColumn,
    column('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'),
    ageColumn,
  ],
  cells: (lease, now) => [name(lease), lease.object('spec').string('holderIdentity'), age(lease, now)],
}

/** Printers by `group/Kind`, '' being the core group. */
const printers: Record<string, Printer> = {
  '/Pod': podPrinter,
  'apps/Deployment': deploymentPrinter,
  'apps/ReplicaSet': replicaSetPrinter,
  'apps/StatefulSet': statefulSetPrinter,
  'apps/DaemonSet': daemonSetPrinter,
  'batch/Job': jobPrinter,
  'batch/CronJob': cronJobPrinter,
  '/Service': servicePrinter,
  '/Endpoints': endpointsPrinter,
  '/ConfigMap': configMapPrinter,
  '/Secret': secretPrinter,
  '/Namespace': namespacePrinter,
  '/Node': nodePrinter,
  '/Event': eventPrinter,
  'events.k8s.io/Event': eventsApiPrinter,
  '/ServiceAccount': serviceAccountPrinter,
  'autoscaling/HorizontalPodAutoscaler': hpaPrinter,
  'policy/PodDisruptionBudget': pdbPrinter,
  'coordination.k8s.io/Lease': leasePrinter,
}
