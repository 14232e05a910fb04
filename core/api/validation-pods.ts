// Validation of the parts workloads share with Pods (validation.ts uses them): labels and
// annotations, label selectors and the pod templates they must match, PodSpecs, containers, ports,
// probes, volumes and resource quantities, with Kubernetes' field paths and wording.

import { isRecord, type LabelSelector } from './object.ts'
import { compareQuantities, parseExactQuantity, quantityFormatMessage } from './quantity.ts'
import {
  labelSelectorRequirements,
  labelValueProblems,
  matchesLabels,
  qualifiedNameProblems,
  SelectorError,
} from './selectors.ts'
import {
  type Causes,
  dns1123LabelProblems,
  dns1123SubdomainProblems,
  isPort,
  type Json,
  list,
  nonNegative,
  oneOf,
  portNameProblems,
  portRangeMessage,
  record,
  selectorValue,
  stringMap,
  text,
  utf8Bytes,
} from './validation-format.ts'

/** Kubernetes' limit on all annotations of an object together (keys and values). */
export const annotationsBytesMax = 262_144

// --- metadata --------------------------------------------------------------------------------

export function validateLabels(causes: Causes, labels: unknown, field: string): void {
  for (const [key, value] of Object.entries(record(labels) ?? {})) {
    causes.invalidEach(field, key, qualifiedNameProblems(key))
    if (typeof value === 'string') causes.invalidEach(field, value, labelValueProblems(value))
  }
}

export function validateAnnotations(causes: Causes, annotations: unknown, field: string): void {
  let bytes = 0
  for (const [key, value] of Object.entries(record(annotations) ?? {})) {
    causes.invalidEach(field, key, qualifiedNameProblems(key.toLowerCase()))
    bytes += utf8Bytes(key) + (typeof value === 'string' ? utf8Bytes(value) : 0)
  }
  if (bytes > annotationsBytesMax) causes.tooLong(field, annotationsBytesMax)
}

// --- selectors and templates -----------------------------------------------------------------

export function validateLabelSelector(causes: Causes, selector: Json, field: string): void {
  validateLabels(causes, selector.matchLabels, `${field}.matchLabels`)
  for (const [i, item] of list(selector.matchExpressions).entries()) {
    const expression = record(item) ?? {}
    const at = `${field}.matchExpressions[${i}]`
    const values = list(expression.values)
    switch (expression.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0)
          causes.required(`${at}.values`, "must be specified when `operator` is 'In' or 'NotIn'")
        break
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) {
          causes.forbidden(
            `${at}.values`,
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
          )
        }
        break
      default:
        causes.invalid(`${at}.operator`, expression.operator ?? '', 'not a valid selector operator')
    }
    const key = text(expression.key) ?? ''
    causes.invalidEach(`${at}.key`, key, qualifiedNameProblems(key))
  }
}

interface TemplateRules {
  /** `spec.selector` must be present and non-empty (for `kind` in the message). */
  selectorRequiredFor?: string
  /** The only restart policies the template may have. */
  restartPolicies: readonly string[]
  /** Names of volumes the pods get besides the template's own (StatefulSet claim templates). */
  extraVolumes?: readonly string[]
  /** activeDeadlineSeconds is refused in templates of long-running workloads. */
  noActiveDeadline?: boolean
}

/** The selector and pod template of a workload spec at `path` (`spec`, `spec.jobTemplate.spec`). */
export function validateSelectorAndTemplate(
  causes: Causes,
  spec: Json,
  path: string,
  rules: TemplateRules,
): void {
  const selector = spec.selector
  if (rules.selectorRequiredFor !== undefined) {
    if (!isRecord(selector)) causes.required(`${path}.selector`)
    else if (
      Object.keys(stringMap(selector.matchLabels)).length + list(selector.matchExpressions).length ===
      0
    ) {
      causes.invalidRendered(
        `${path}.selector`,
        selectorValue(selector),
        `empty selector is invalid for ${rules.selectorRequiredFor}`,
      )
    }
  }
  if (isRecord(selector)) validateLabelSelector(causes, selector, `${path}.selector`)

  const template = record(spec.template)
  if (template === undefined) {
    causes.required(`${path}.template`)
    return
  }
  const metadata = record(template.metadata) ?? {}
  if (isRecord(selector)) {
    let requirements = null
    try {
      requirements = labelSelectorRequirements(selector as LabelSelector)
    } catch (error) {
      if (!(error instanceof SelectorError)) throw error
      causes.invalidRendered(`${path}.selector`, selectorValue(selector), 'invalid label selector')
    }
    if (
      requirements !== null &&
      requirements.length > 0 &&
      !matchesLabels(requirements, stringMap(metadata.labels))
    ) {
      causes.invalid(
        `${path}.template.metadata.labels`,
        stringMap(metadata.labels),
        '`selector` does not match template `labels`',
      )
    }
  }
  validateLabels(causes, metadata.labels, `${path}.template.metadata.labels`)
  validateAnnotations(causes, metadata.annotations, `${path}.template.metadata.annotations`)
  const podSpec = record(template.spec) ?? {}
  validatePodSpec(causes, podSpec, `${path}.template.spec`, rules.extraVolumes ?? [])
  const restartPolicy = text(podSpec.restartPolicy) ?? 'Always'
  if (!rules.restartPolicies.includes(restartPolicy)) {
    causes.notSupported(`${path}.template.spec.restartPolicy`, restartPolicy, rules.restartPolicies)
  }
  if (rules.noActiveDeadline && podSpec.activeDeadlineSeconds !== undefined) {
    causes.invalid(
      `${path}.template.spec.activeDeadlineSeconds`,
      podSpec.activeDeadlineSeconds,
      'must not be specified',
    )
  }
}

// --- pods ------------------------------------------------------------------------------------

const volumeSources = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
] as const

export const protocols = ['SCTP', 'TCP', 'UDP'] as const

export function validatePodSpec(
  causes: Causes,
  spec: Json,
  path: string,
  extraVolumes: readonly string[],
): void {
  const volumeNames = new Set<string>(extraVolumes)
  for (const [i, item] of list(spec.volumes).entries()) {
    const volume = record(item) ?? {}
    const at = `${path}.volumes[${i}]`
    const name = text(volume.name)
    if (!name) causes.required(`${at}.name`)
    else {
      causes.invalidEach(`${at}.name`, name, dns1123LabelProblems(name))
      if (volumeNames.has(name) && !extraVolumes.includes(name)) causes.duplicate(`${at}.name`, name)
      volumeNames.add(name)
    }
    const sources = volumeSources.filter((s) => volume[s] !== undefined && volume[s] !== null)
    if (sources.length === 0) causes.required(at, 'must specify a volume type')
    else if (sources.length > 1)
      causes.forbidden(`${at}.${sources[1]}`, 'may not specify more than 1 volume type')
  }

  const containers = list(spec.containers)
  if (containers.length === 0) causes.required(`${path}.containers`)
  const containerNames = new Set<string>()
  for (const key of ['initContainers', 'containers', 'ephemeralContainers'] as const) {
    for (const [i, item] of list(spec[key]).entries()) {
      const at = `${path}.${key}[${i}]`
      const container = record(item) ?? {}
      validateContainer(causes, container, at, volumeNames)
      const name = text(container.name)
      if (name) {
        if (containerNames.has(name)) causes.duplicate(`${at}.name`, name)
        containerNames.add(name)
      }
    }
  }

  oneOf(causes, `${path}.restartPolicy`, spec.restartPolicy, ['Always', 'OnFailure', 'Never'])
  oneOf(causes, `${path}.dnsPolicy`, spec.dnsPolicy, [
    'ClusterFirstWithHostNet',
    'ClusterFirst',
    'Default',
    'None',
  ])
  validateLabels(causes, spec.nodeSelector, `${path}.nodeSelector`)
  const serviceAccountName = text(spec.serviceAccountName)
  if (serviceAccountName) {
    causes.invalidEach(
      `${path}.serviceAccountName`,
      serviceAccountName,
      dns1123SubdomainProblems(serviceAccountName),
    )
  }
  for (const key of ['hostname', 'subdomain'] as const) {
    const value = text(spec[key])
    if (value) causes.invalidEach(`${path}.${key}`, value, dns1123LabelProblems(value))
  }
  const deadline = spec.activeDeadlineSeconds
  if (typeof deadline === 'number' && (deadline < 1 || deadline > 2 ** 31 - 1)) {
    causes.invalid(`${path}.activeDeadlineSeconds`, deadline, 'must be between 1 and 2147483647, inclusive')
  }
  nonNegative(causes, `${path}.terminationGracePeriodSeconds`, spec.terminationGracePeriodSeconds)
  for (const [i, item] of list(spec.tolerations).entries())
    validateToleration(causes, record(item) ?? {}, `${path}.tolerations[${i}]`)
}

export const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const

function validateToleration(causes: Causes, toleration: Json, at: string): void {
  const key = text(toleration.key) ?? ''
  const operator = text(toleration.operator) ?? ''
  const value = text(toleration.value) ?? ''
  if (key) causes.invalidEach(`${at}.key`, key, qualifiedNameProblems(key))
  if (!key && operator !== 'Exists') {
    causes.invalid(
      `${at}.operator`,
      operator,
      'operator must be Exists when `key` is empty, which means "match all values and all keys"',
    )
  }
  if (toleration.tolerationSeconds !== undefined && toleration.effect !== 'NoExecute') {
    causes.invalid(
      `${at}.effect`,
      toleration.effect ?? '',
      "effect must be 'NoExecute' when `tolerationSeconds` is set",
    )
  }
  if (operator === 'Equal' || operator === '') {
    const problems = labelValueProblems(value)
    if (problems.length > 0) causes.invalid(`${at}.operator`, value, problems.join(';'))
  } else if (operator === 'Exists') {
    if (value) causes.invalid(`${at}.operator`, toleration, "value must be empty when `operator` is 'Exists'")
  } else {
    causes.notSupported(`${at}.operator`, operator, ['Equal', 'Exists'])
  }
  if (toleration.effect) oneOf(causes, `${at}.effect`, toleration.effect, taintEffects)
}

function validateContainer(
  causes: Causes,
  container: Json,
  at: string,
  volumeNames: ReadonlySet<string>,
): void {
  const name = text(container.name)
  if (!name) causes.required(`${at}.name`)
  else causes.invalidEach(`${at}.name`, name, dns1123LabelProblems(name))
  const image = text(container.image)
  if (!image) causes.required(`${at}.image`)
  else if (image.trim() !== image)
    causes.invalid(`${at}.image`, image, 'must not have leading or trailing whitespace')
  oneOf(causes, `${at}.imagePullPolicy`, container.imagePullPolicy, ['Always', 'IfNotPresent', 'Never'])
  oneOf(causes, `${at}.terminationMessagePolicy`, container.terminationMessagePolicy, [
    'File',
    'FallbackToLogsOnError',
  ])

  const portNames = new Set<string>()
  for (const [i, item] of list(container.ports).entries()) {
    const port = record(item) ?? {}
    const pat = `${at}.ports[${i}]`
    const portName = text(port.name)
    if (portName) {
      causes.invalidEach(`${pat}.name`, portName, portNameProblems(portName))
      if (portNames.has(portName)) causes.duplicate(`${pat}.name`, portName)
      portNames.add(portName)
    }
    if (port.containerPort === undefined || port.containerPort === 0) causes.required(`${pat}.containerPort`)
    else if (typeof port.containerPort === 'number' && !isPort(port.containerPort)) {
      causes.invalid(`${pat}.containerPort`, port.containerPort, portRangeMessage)
    }
    if (typeof port.hostPort === 'number' && port.hostPort !== 0 && !isPort(port.hostPort)) {
      causes.invalid(`${pat}.hostPort`, port.hostPort, portRangeMessage)
    }
    oneOf(causes, `${pat}.protocol`, port.protocol, protocols)
  }

  for (const [i, item] of list(container.env).entries()) {
    const env = record(item) ?? {}
    const eat = `${at}.env[${i}]`
    const envName = text(env.name)
    if (!envName) causes.required(`${eat}.name`)
    else if (!/^[\x20-\x3c\x3e-\x7e]+$/.test(envName)) {
      causes.invalid(
        `${eat}.name`,
        envName,
        "a valid environment variable name must consist only of printable ASCII characters other than '='",
      )
    }
    if (env.valueFrom !== undefined && text(env.value)) {
      causes.invalid(`${eat}.valueFrom`, '', 'may not be specified when `value` is not empty')
    }
  }

  validateResources(causes, record(container.resources) ?? {}, `${at}.resources`)

  const mountPaths = new Set<string>()
  for (const [i, item] of list(container.volumeMounts).entries()) {
    const mount = record(item) ?? {}
    const mat = `${at}.volumeMounts[${i}]`
    const volume = text(mount.name)
    if (!volume) causes.required(`${mat}.name`)
    else if (!volumeNames.has(volume)) causes.notFound(`${mat}.name`, volume)
    const mountPath = text(mount.mountPath)
    if (!mountPath) causes.required(`${mat}.mountPath`)
    else {
      if (mountPaths.has(mountPath)) causes.invalid(`${mat}.mountPath`, mountPath, 'must be unique')
      mountPaths.add(mountPath)
    }
  }

  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    const value = record(container[probe])
    if (value !== undefined) validateHandler(causes, value, `${at}.${probe}`)
  }
}

function validateHandler(causes: Causes, probe: Json, at: string): void {
  const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'].filter(
    (h) => probe[h] !== undefined && probe[h] !== null,
  )
  if (handlers.length === 0) causes.required(at, 'must specify a handler type')
  else if (handlers.length > 1)
    causes.forbidden(`${at}.${handlers[1]}`, 'may not specify more than 1 handler type')
  for (const handler of ['httpGet', 'tcpSocket'] as const) {
    const action = record(probe[handler])
    if (action !== undefined) validatePortNumberOrName(causes, action.port, `${at}.${handler}.port`, true)
  }
}

export function validatePortNumberOrName(
  causes: Causes,
  port: unknown,
  field: string,
  required: boolean,
): void {
  if (port === undefined || port === 0 || port === '') {
    if (required) causes.required(field)
  } else if (typeof port === 'number') {
    if (!isPort(port)) causes.invalid(field, port, portRangeMessage)
  } else if (typeof port === 'string') {
    causes.invalidEach(field, port, portNameProblems(port))
  }
}

const containerResources = ['cpu', 'memory', 'ephemeral-storage']

function validateResources(causes: Causes, resources: Json, at: string): void {
  const limits = stringMap(resources.limits)
  for (const kind of ['limits', 'requests'] as const) {
    for (const [name, value] of Object.entries(record(resources[kind]) ?? {})) {
      const field = `${at}.${kind}[${name}]`
      if (!name.includes('/') && !containerResources.includes(name) && !name.startsWith('hugepages-')) {
        causes.invalid(field, name, 'must be a standard resource for containers')
      } else if (name.includes('/')) {
        causes.invalidEach(field, name, qualifiedNameProblems(name))
      }
      const quantity = typeof value === 'number' ? String(value) : value
      if (typeof quantity !== 'string') continue
      const exact = parseExactQuantity(quantity)
      if (exact === null) causes.invalid(field, quantity, quantityFormatMessage)
      else if (exact.negative) causes.invalid(field, quantity, 'must be greater than or equal to 0')
      else if (
        kind === 'requests' &&
        limits[name] !== undefined &&
        compareQuantities(quantity, limits[name]!) === 1
      ) {
        causes.invalid(
          `${at}.requests`,
          quantity,
          `must be less than or equal to ${name} limit of ${limits[name]}`,
        )
      }
    }
  }
}
