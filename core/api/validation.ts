// Validation of API objects on create and update, with Kubernetes' rules and wording where they
// matter to users: names, labels and annotations, selectors against templates, containers, ports,
// quantities, Services, ConfigMap and Secret keys, workload specs, and the fields that become
// immutable. Each problem is a `StatusCause` ({reason, message, field}) as a 422 `Invalid` Status
// carries it; `invalidMessage` renders them into the Status message kubectl prints. The kinds'
// rules are here; the shared parts are in validation-format.ts (causes, formats) and
// validation-pods.ts (metadata maps, selectors, templates, pod specs).
//
// Validate the defaulted object (`applyDefaults` first), as Kubernetes does; fields defaulting
// fills are tolerated when absent. Type errors (a string where an integer belongs) are the
// schema's business (openapi.ts `typeMismatches`), so the checks here skip values of the wrong type.

import type { KubeObject } from './object.ts'
import { parseExactQuantity, quantityFormatMessage } from './quantity.ts'
import type { ResourceType } from './resources.ts'
import { labelValueProblems, qualifiedNameProblems } from './selectors.ts'
import {
  asPrefix,
  base64Check,
  Causes,
  configKeyProblems,
  dns1123LabelProblems,
  dns1123SubdomainProblems,
  integer,
  isIP,
  isPort,
  type Json,
  list,
  nameRules,
  nonNegative,
  oneOf,
  portRangeMessage,
  positive,
  record,
  selectorValue,
  semanticallyEqual,
  stringMap,
  text,
  utf8Bytes,
  type ValidationCause,
} from './validation-format.ts'
import {
  protocols,
  taintEffects,
  validateAnnotations,
  validateLabelSelector,
  validateLabels,
  validatePodSpec,
  validatePortNumberOrName,
  validateSelectorAndTemplate,
} from './validation-pods.ts'

export {
  base64Check,
  type CauseReason,
  causeToString,
  dns1035LabelProblems,
  dns1123LabelProblems,
  dns1123SubdomainProblems,
  goValue,
  invalidMessage,
  invalidStatus,
  isIP,
  portNameProblems,
  qualifiedKind,
  semanticallyEqual,
  utf8Bytes,
  type ValidationCause,
} from './validation-format.ts'
export { annotationsBytesMax } from './validation-pods.ts'

export interface ValidateOptions {
  /** The stored object this one replaces: immutable fields are checked against it. */
  update?: KubeObject
  /** A write to `/status` (or `/scale`): only metadata and the subresource's own rules apply. */
  subresource?: 'status' | 'scale'
}

/** Objects larger than this (as JSON) are refused: they must fit well inside one Raft message. */
export const objectBytesMax = 1_572_864
/** Kubernetes' limit on the data of one ConfigMap or Secret. */
export const configDataBytesMax = 1_048_576

// --- metadata --------------------------------------------------------------------------------

function validateMetadata(causes: Causes, resource: ResourceType, metadata: Json): void {
  const nameRule = nameRules[`${resource.group}/${resource.kind}`] ?? dns1123SubdomainProblems
  const name = text(metadata.name)
  const generateName = text(metadata.generateName)
  if (!name && !generateName) causes.required('metadata.name', 'name or generateName is required')
  if (generateName)
    causes.invalidEach('metadata.generateName', generateName, asPrefix(nameRule)(generateName))
  if (name) causes.invalidEach('metadata.name', name, nameRule(name))

  const namespace = text(metadata.namespace)
  if (resource.namespaced) {
    if (!namespace) causes.required('metadata.namespace')
    else causes.invalidEach('metadata.namespace', namespace, dns1123LabelProblems(namespace))
  } else if (namespace) {
    causes.forbidden('metadata.namespace', 'not allowed on this type')
  }
  nonNegative(causes, 'metadata.generation', metadata.generation)
  validateLabels(causes, metadata.labels, 'metadata.labels')
  validateAnnotations(causes, metadata.annotations, 'metadata.annotations')

  let controllers = 0
  for (const [i, owner] of list(metadata.ownerReferences).entries()) {
    const ref = record(owner) ?? {}
    const field = `metadata.ownerReferences[${i}]`
    if (!text(ref.apiVersion))
      causes.invalid(`${field}.apiVersion`, ref.apiVersion ?? '', 'version must not be empty')
    if (!text(ref.kind)) causes.invalid(`${field}.kind`, ref.kind ?? '', 'kind must not be empty')
    if (!text(ref.name)) causes.invalid(`${field}.name`, ref.name ?? '', 'name must not be empty')
    if (!text(ref.uid)) causes.invalid(`${field}.uid`, ref.uid ?? '', 'uid must not be empty')
    if (ref.controller === true) controllers++
  }
  if (controllers > 1) {
    causes.invalid(
      'metadata.ownerReferences',
      metadata.ownerReferences,
      'Only one reference can have Controller set to true',
    )
  }
  for (const finalizer of list(metadata.finalizers)) {
    if (typeof finalizer === 'string')
      causes.invalidEach('metadata.finalizers', finalizer, qualifiedNameProblems(finalizer))
  }
}

function validateMetadataUpdate(causes: Causes, metadata: Json, old: Json): void {
  for (const key of ['name', 'namespace', 'uid', 'creationTimestamp']) {
    const now = metadata[key]
    // An absent uid or creationTimestamp means "keep"; the store carries the old one over.
    if (now === undefined && (key === 'uid' || key === 'creationTimestamp')) continue
    if ((now ?? '') !== (old[key] ?? '')) causes.invalid(`metadata.${key}`, now ?? '', 'field is immutable')
  }
}

// --- workloads -------------------------------------------------------------------------------

const percentPattern = /^[0-9]+%$/

/** An int-or-percent field (`maxSurge: 25%`); returns its value as a number of percent or units. */
function validateIntOrPercent(causes: Causes, value: unknown, field: string): number | undefined {
  if (typeof value === 'number') {
    nonNegative(causes, field, value)
    return value
  }
  if (typeof value !== 'string') return undefined
  if (!percentPattern.test(value)) {
    causes.invalid(
      field,
      value,
      "a valid percent string must be a numeric value followed by '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
    )
    return undefined
  }
  const percent = Number(value.slice(0, -1))
  if (percent > 100) causes.invalid(field, value, 'must not be greater than 100%')
  return percent
}

function validateRollingUpdate(
  causes: Causes,
  rollingUpdate: Json,
  path: string,
  maxSurgeZeroMessage: string,
): void {
  const unavailable = validateIntOrPercent(causes, rollingUpdate.maxUnavailable, `${path}.maxUnavailable`)
  const surge = validateIntOrPercent(causes, rollingUpdate.maxSurge, `${path}.maxSurge`)
  if (unavailable === 0 && surge === 0)
    causes.invalid(`${path}.maxUnavailable`, rollingUpdate.maxUnavailable, maxSurgeZeroMessage)
}

function validateDeployment(causes: Causes, object: KubeObject): void {
  const spec = record(object.spec) ?? {}
  nonNegative(causes, 'spec.replicas', spec.replicas)
  validateSelectorAndTemplate(causes, spec, 'spec', {
    selectorRequiredFor: 'deployment',
    restartPolicies: ['Always'],
    noActiveDeadline: true,
  })
  const strategy = record(spec.strategy) ?? {}
  oneOf(causes, 'spec.strategy.type', strategy.type, ['Recreate', 'RollingUpdate'])
  if (
    strategy.type === 'Recreate' &&
    strategy.rollingUpdate !== undefined &&
    strategy.rollingUpdate !== null
  ) {
    causes.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'")
  }
  const rollingUpdate = record(strategy.rollingUpdate)
  if (rollingUpdate !== undefined) {
    validateRollingUpdate(
      causes,
      rollingUpdate,
      'spec.strategy.rollingUpdate',
      'may not be 0 when `maxSurge` is 0',
    )
  }
  nonNegative(causes, 'spec.minReadySeconds', spec.minReadySeconds)
  nonNegative(causes, 'spec.revisionHistoryLimit', spec.revisionHistoryLimit)
  const deadline = spec.progressDeadlineSeconds
  if (typeof deadline === 'number') {
    nonNegative(causes, 'spec.progressDeadlineSeconds', deadline)
    if (deadline <= (integer(spec.minReadySeconds) ?? 0)) {
      causes.invalid('spec.progressDeadlineSeconds', deadline, 'must be greater than minReadySeconds')
    }
  }
}

function validateReplicaSet(causes: Causes, object: KubeObject): void {
  const spec = record(object.spec) ?? {}
  nonNegative(causes, 'spec.replicas', spec.replicas)
  nonNegative(causes, 'spec.minReadySeconds', spec.minReadySeconds)
  // Kubernetes says "deployment" for ReplicaSets too.
  validateSelectorAndTemplate(causes, spec, 'spec', {
    selectorRequiredFor: 'deployment',
    restartPolicies: ['Always'],
    noActiveDeadline: true,
  })
}

function validateStatefulSet(causes: Causes, object: KubeObject): void {
  const spec = record(object.spec) ?? {}
  nonNegative(causes, 'spec.replicas', spec.replicas)
  nonNegative(causes, 'spec.minReadySeconds', spec.minReadySeconds)
  const policy = spec.podManagementPolicy
  if (policy !== undefined && policy !== 'OrderedReady' && policy !== 'Parallel') {
    causes.invalid('spec.podManagementPolicy', policy, "must be 'OrderedReady' or 'Parallel'")
  }
  const strategy = record(spec.updateStrategy)
  if (strategy !== undefined) {
    if (strategy.type === 'OnDelete' && strategy.rollingUpdate !== undefined) {
      causes.invalid(
        'spec.updateStrategy.rollingUpdate',
        strategy.rollingUpdate,
        "only allowed for updateStrategy 'RollingUpdate'",
      )
    } else if (strategy.type === 'RollingUpdate') {
      const rollingUpdate = record(strategy.rollingUpdate) ?? {}
      nonNegative(causes, 'spec.updateStrategy.rollingUpdate.partition', rollingUpdate.partition)
      if (rollingUpdate.maxUnavailable !== undefined) {
        validateIntOrPercent(
          causes,
          rollingUpdate.maxUnavailable,
          'spec.updateStrategy.rollingUpdate.maxUnavailable',
        )
      }
    } else if (strategy.type !== undefined) {
      causes.invalid('spec.updateStrategy', strategy, "must be 'RollingUpdate' or 'OnDelete'")
    }
  }
  const claimNames = list(spec.volumeClaimTemplates)
    .map((t) => text(record(record(t)?.metadata)?.name))
    .filter((n): n is string => n !== undefined)
  validateSelectorAndTemplate(causes, spec, 'spec', {
    selectorRequiredFor: 'statefulset',
    restartPolicies: ['Always'],
    extraVolumes: claimNames,
    noActiveDeadline: true,
  })
}

function validateDaemonSet(causes: Causes, object: KubeObject): void {
  const spec = record(object.spec) ?? {}
  nonNegative(causes, 'spec.minReadySeconds', spec.minReadySeconds)
  nonNegative(causes, 'spec.revisionHistoryLimit', spec.revisionHistoryLimit)
  validateSelectorAndTemplate(causes, spec, 'spec', {
    selectorRequiredFor: 'daemonset',
    restartPolicies: ['Always'],
    noActiveDeadline: true,
  })
  const strategy = record(spec.updateStrategy) ?? {}
  oneOf(causes, 'spec.updateStrategy.type', strategy.type, ['OnDelete', 'RollingUpdate'])
  const rollingUpdate = record(strategy.rollingUpdate)
  if (rollingUpdate !== undefined) {
    validateRollingUpdate(
      causes,
      rollingUpdate,
      'spec.updateStrategy.rollingUpdate',
      'may not be 0 when `maxSurge` is 0',
    )
  }
}

function validateJobSpec(causes: Causes, spec: Json, path: string): void {
  for (const key of ['parallelism', 'completions', 'backoffLimit', 'ttlSecondsAfterFinished'] as const) {
    nonNegative(causes, `${path}.${key}`, spec[key])
  }
  positive(causes, `${path}.activeDeadlineSeconds`, spec.activeDeadlineSeconds)
  oneOf(causes, `${path}.completionMode`, spec.completionMode, ['NonIndexed', 'Indexed'])
  if (spec.completionMode === 'Indexed' && spec.completions === undefined) {
    causes.required(`${path}.completions`, 'when completion mode is Indexed')
  }
  validateSelectorAndTemplate(causes, spec, path, { restartPolicies: ['OnFailure', 'Never'] })
}

function validateCronJob(causes: Causes, object: KubeObject): void {
  const spec = record(object.spec) ?? {}
  const schedule = text(spec.schedule)
  if (!schedule) causes.required('spec.schedule')
  else if (/^\s*(CRON_)?TZ=/.test(schedule)) {
    causes.invalid(
      'spec.schedule',
      schedule,
      'cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
    )
  }
  oneOf(causes, 'spec.concurrencyPolicy', spec.concurrencyPolicy, ['Allow', 'Forbid', 'Replace'])
  for (const key of [
    'startingDeadlineSeconds',
    'successfulJobsHistoryLimit',
    'failedJobsHistoryLimit',
  ] as const) {
    nonNegative(causes, `spec.${key}`, spec[key])
  }
  const jobTemplate = record(spec.jobTemplate)
  if (jobTemplate === undefined) causes.required('spec.jobTemplate')
  else {
    const metadata = record(jobTemplate.metadata) ?? {}
    validateLabels(causes, metadata.labels, 'spec.jobTemplate.metadata.labels')
    validateAnnotations(causes, metadata.annotations, 'spec.jobTemplate.metadata.annotations')
    validateJobSpec(causes, record(jobTemplate.spec) ?? {}, 'spec.jobTemplate.spec')
  }
}

const metricTypes = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource']

function validateHpa(causes: Causes, object: KubeObject): void {
  const spec = record(object.spec) ?? {}
  const target = record(spec.scaleTargetRef)
  if (target === undefined) causes.required('spec.scaleTargetRef')
  else {
    if (!text(target.kind)) causes.required('spec.scaleTargetRef.kind')
    if (!text(target.name)) causes.required('spec.scaleTargetRef.name')
  }
  const min = integer(spec.minReplicas)
  const max = integer(spec.maxReplicas)
  if (min !== undefined && min < 1)
    causes.invalid('spec.minReplicas', min, 'must be greater than or equal to 1')
  if (max === undefined) causes.required('spec.maxReplicas')
  else if (max < 1) causes.invalid('spec.maxReplicas', max, 'must be greater than 0')
  if (min !== undefined && max !== undefined && min > max) {
    causes.invalid('spec.minReplicas', min, 'must be less than or equal to maxReplicas')
  }
  if (object.apiVersion === 'autoscaling/v1') {
    const cpu = spec.targetCPUUtilizationPercentage
    if (typeof cpu === 'number' && cpu < 1)
      causes.invalid('spec.targetCPUUtilizationPercentage', cpu, 'must be greater than 0')
    return
  }
  for (const [i, item] of list(spec.metrics).entries()) {
    const metric = record(item) ?? {}
    const at = `spec.metrics[${i}]`
    if (!text(metric.type)) {
      causes.required(`${at}.type`, 'must specify a metric source type')
      continue
    }
    oneOf(causes, `${at}.type`, metric.type, metricTypes)
    const key = {
      ContainerResource: 'containerResource',
      External: 'external',
      Object: 'object',
      Pods: 'pods',
      Resource: 'resource',
    }[metric.type as string]
    if (key === undefined) continue
    const source = record(metric[key])
    if (source === undefined) {
      causes.required(`${at}.${key}`, `must populate information for the given metric source`)
      continue
    }
    if ((key === 'resource' || key === 'containerResource') && !text(source.name))
      causes.required(`${at}.${key}.name`)
    validateMetricTarget(causes, source.target, `${at}.${key}.target`)
  }
}

function validateMetricTarget(causes: Causes, value: unknown, at: string): void {
  const target = record(value)
  if (target === undefined) {
    causes.required(at)
    return
  }
  if (!text(target.type)) causes.required(`${at}.type`, 'must specify a metric target type')
  else oneOf(causes, `${at}.type`, target.type, ['AverageValue', 'Utilization', 'Value'])
  positive(causes, `${at}.averageUtilization`, target.averageUtilization)
  for (const key of ['value', 'averageValue'] as const) {
    const quantity = target[key]
    if (typeof quantity !== 'string') continue
    const exact = parseExactQuantity(quantity)
    if (exact === null) causes.invalid(`${at}.${key}`, quantity, quantityFormatMessage)
    else if (exact.negative || exact.digits === 0n)
      causes.invalid(`${at}.${key}`, quantity, 'must be positive')
  }
}

function validatePdb(causes: Causes, object: KubeObject): void {
  const spec = record(object.spec) ?? {}
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    causes.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set')
  }
  for (const key of ['minAvailable', 'maxUnavailable'] as const)
    validateIntOrPercent(causes, spec[key], `spec.${key}`)
  const selector = record(spec.selector)
  if (selector !== undefined) validateLabelSelector(causes, selector, 'spec.selector')
  oneOf(causes, 'spec.unhealthyPodEvictionPolicy', spec.unhealthyPodEvictionPolicy, [
    'AlwaysAllow',
    'IfHealthyBudget',
  ])
}

// --- core kinds ------------------------------------------------------------------------------

function validatePod(causes: Causes, object: KubeObject): void {
  validatePodSpec(causes, record(object.spec) ?? {}, 'spec', [])
}

function validateService(causes: Causes, object: KubeObject): void {
  const spec = record(object.spec) ?? {}
  const type = text(spec.type) ?? 'ClusterIP'
  oneOf(causes, 'spec.type', spec.type, ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'])
  const clusterIP = text(spec.clusterIP) ?? ''
  const headless = clusterIP === 'None'
  if (type === 'ExternalName') {
    const externalName = text(spec.externalName)
    if (!externalName) causes.required('spec.externalName')
    else
      causes.invalidEach(
        'spec.externalName',
        externalName,
        dns1123SubdomainProblems(externalName.replace(/\.$/, '')),
      )
    if (clusterIP) causes.forbidden('spec.clusterIP', 'may not be set for ExternalName services')
  } else if (clusterIP && !headless && !isIP(clusterIP)) {
    causes.invalid(
      'spec.clusterIP',
      clusterIP,
      'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    )
  }

  const ports = list(spec.ports)
  if (ports.length === 0 && !headless && type !== 'ExternalName') causes.required('spec.ports')
  const names = new Set<string>()
  const keys = new Set<string>()
  for (const [i, item] of ports.entries()) {
    const port = record(item) ?? {}
    const at = `spec.ports[${i}]`
    const name = text(port.name)
    if (!name) {
      if (ports.length > 1) causes.required(`${at}.name`)
    } else {
      causes.invalidEach(`${at}.name`, name, dns1123LabelProblems(name))
      if (names.has(name)) causes.duplicate(`${at}.name`, name)
      names.add(name)
    }
    if (port.port === undefined) causes.required(`${at}.port`)
    else if (typeof port.port === 'number' && !isPort(port.port))
      causes.invalid(`${at}.port`, port.port, portRangeMessage)
    oneOf(causes, `${at}.protocol`, port.protocol, protocols)
    validatePortNumberOrName(causes, port.targetPort, `${at}.targetPort`, false)
    if (port.nodePort !== undefined && port.nodePort !== 0) {
      if (type === 'ClusterIP' || type === 'ExternalName') {
        causes.forbidden(`${at}.nodePort`, `may not be used when \`type\` is '${type}'`)
      } else if (typeof port.nodePort === 'number' && !isPort(port.nodePort)) {
        causes.invalid(`${at}.nodePort`, port.nodePort, portRangeMessage)
      }
    }
    const key = `${port.port}/${port.protocol ?? 'TCP'}`
    if (keys.has(key)) causes.duplicate(at, key)
    keys.add(key)
  }
  validateLabels(causes, spec.selector, 'spec.selector')
  oneOf(causes, 'spec.sessionAffinity', spec.sessionAffinity, ['ClientIP', 'None'])
  oneOf(causes, 'spec.externalTrafficPolicy', spec.externalTrafficPolicy, ['Cluster', 'Local'])
  oneOf(causes, 'spec.internalTrafficPolicy', spec.internalTrafficPolicy, ['Cluster', 'Local'])
}

function validateConfigData(causes: Causes, object: KubeObject, secret: boolean): void {
  let bytes = 0
  const dataKeys = new Set<string>()
  for (const [key, value] of Object.entries(record(object.data) ?? {})) {
    const field = `data[${key}]`
    causes.invalidEach(field, key, configKeyProblems(key))
    dataKeys.add(key)
    if (typeof value !== 'string') continue
    if (!secret) {
      bytes += utf8Bytes(value)
      continue
    }
    const decoded = base64Check(value)
    if ('badOffset' in decoded) {
      causes.invalid(
        field,
        '<secret contents redacted>',
        `illegal base64 data at input byte ${decoded.badOffset}`,
      )
    } else bytes += decoded.bytes
  }
  const second = secret ? 'stringData' : 'binaryData'
  for (const [key, value] of Object.entries(record(object[second]) ?? {})) {
    const field = `${second}[${key}]`
    causes.invalidEach(field, key, configKeyProblems(key))
    if (!secret && dataKeys.has(key)) causes.invalid(field, key, 'duplicate of key present in data')
    if (typeof value !== 'string') continue
    if (secret) {
      bytes += utf8Bytes(value)
      continue
    }
    const decoded = base64Check(value)
    if ('badOffset' in decoded)
      causes.invalid(field, '<binary data>', `illegal base64 data at input byte ${decoded.badOffset}`)
    else bytes += decoded.bytes
  }
  if (bytes > configDataBytesMax) causes.tooLong('data', configDataBytesMax)
}

const secretRequiredKeys: Record<string, string[]> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
}

function validateSecret(causes: Causes, object: KubeObject): void {
  validateConfigData(causes, object, true)
  const type = text(object.type) ?? 'Opaque'
  const keys = new Set([
    ...Object.keys(record(object.data) ?? {}),
    ...Object.keys(record(object.stringData) ?? {}),
  ])
  for (const key of secretRequiredKeys[type] ?? []) if (!keys.has(key)) causes.required(`data[${key}]`)
  if (type === 'kubernetes.io/basic-auth' && !keys.has('username') && !keys.has('password')) {
    causes.required('data[username]')
    causes.required('data[password]')
  }
  if (type === 'kubernetes.io/service-account-token') {
    const annotations = stringMap(object.metadata.annotations)
    if (!annotations['kubernetes.io/service-account.name']) {
      causes.required('metadata.annotations[kubernetes.io/service-account.name]')
    }
  }
}

function validateNode(causes: Causes, object: KubeObject): void {
  const spec = record(object.spec) ?? {}
  for (const [i, item] of list(spec.taints).entries()) {
    const taint = record(item) ?? {}
    const at = `spec.taints[${i}]`
    const key = text(taint.key) ?? ''
    if (!key) causes.required(`${at}.key`)
    else causes.invalidEach(`${at}.key`, key, qualifiedNameProblems(key))
    if (typeof taint.value === 'string')
      causes.invalidEach(`${at}.value`, taint.value, labelValueProblems(taint.value))
    if (!text(taint.effect)) causes.required(`${at}.effect`)
    else oneOf(causes, `${at}.effect`, taint.effect, taintEffects)
  }
}

function validateEndpoints(causes: Causes, object: KubeObject): void {
  for (const [i, item] of list(object.subsets).entries()) {
    const subset = record(item) ?? {}
    for (const key of ['addresses', 'notReadyAddresses'] as const) {
      for (const [j, address] of list(subset[key]).entries()) {
        const ip = text(record(address)?.ip) ?? ''
        if (!isIP(ip)) causes.invalid(`subsets[${i}].${key}[${j}].ip`, ip, 'must be a valid IP address')
      }
    }
    for (const [j, item2] of list(subset.ports).entries()) {
      const port = record(item2) ?? {}
      const at = `subsets[${i}].ports[${j}]`
      if (typeof port.port === 'number' && !isPort(port.port))
        causes.invalid(`${at}.port`, port.port, portRangeMessage)
      oneOf(causes, `${at}.protocol`, port.protocol, protocols)
    }
  }
}

function validateEvent(causes: Causes, object: KubeObject): void {
  const involved = record(object.involvedObject) ?? {}
  const namespace = text(involved.namespace)
  if (namespace && namespace !== (object.metadata.namespace ?? '')) {
    causes.invalid('involvedObject.namespace', namespace, 'does not match event.namespace')
  }
}

function validateLease(causes: Causes, object: KubeObject): void {
  const spec = record(object.spec) ?? {}
  positive(causes, 'spec.leaseDurationSeconds', spec.leaseDurationSeconds)
  nonNegative(causes, 'spec.leaseTransitions', spec.leaseTransitions)
}

type Validator = (causes: Causes, object: KubeObject) => void

const validators: Record<string, Validator> = {
  '/Pod': validatePod,
  '/Service': validateService,
  '/ConfigMap': (causes, object) => validateConfigData(causes, object, false),
  '/Secret': validateSecret,
  '/Node': validateNode,
  '/Endpoints': validateEndpoints,
  '/Event': validateEvent,
  'apps/Deployment': validateDeployment,
  'apps/ReplicaSet': validateReplicaSet,
  'apps/StatefulSet': validateStatefulSet,
  'apps/DaemonSet': validateDaemonSet,
  'batch/Job': (causes, object) => validateJobSpec(causes, record(object.spec) ?? {}, 'spec'),
  'batch/CronJob': validateCronJob,
  'autoscaling/HorizontalPodAutoscaler': validateHpa,
  'policy/PodDisruptionBudget': validatePdb,
  'coordination.k8s.io/Lease': validateLease,
}

// --- updates ---------------------------------------------------------------------------------

const immutableMessage = 'field is immutable'

function immutableSelector(causes: Causes, object: KubeObject, old: KubeObject): void {
  const selector = record(object.spec)?.selector
  if (!semanticallyEqual(selector, record(old.spec)?.selector)) {
    causes.invalidRendered('spec.selector', selectorValue(selector), immutableMessage)
  }
}

function immutableData(causes: Causes, object: KubeObject, old: KubeObject, keys: readonly string[]): void {
  if (old.immutable !== true) return
  const message = 'field is immutable when `immutable` is set'
  if (object.immutable !== true) causes.forbidden('immutable', message)
  for (const key of keys) if (!semanticallyEqual(object[key], old[key])) causes.forbidden(key, message)
}

/** Spec fields of a StatefulSet that may change; Kubernetes forbids changing any other. */
const statefulSetMutable = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
]

const updateValidators: Record<string, (causes: Causes, object: KubeObject, old: KubeObject) => void> = {
  'apps/Deployment': immutableSelector,
  'apps/ReplicaSet': immutableSelector,
  'apps/DaemonSet': immutableSelector,
  'apps/StatefulSet': (causes, object, old) => {
    const strip = (spec: unknown) => {
      const copy = { ...(record(spec) ?? {}) }
      for (const key of statefulSetMutable) delete copy[key]
      return copy
    }
    if (!semanticallyEqual(strip(object.spec), strip(old.spec))) {
      causes.forbidden(
        'spec',
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      )
    }
  },
  'batch/Job': (causes, object, old) => {
    immutableSelector(causes, object, old)
    const spec = record(object.spec) ?? {}
    const oldSpec = record(old.spec) ?? {}
    if (!semanticallyEqual(spec.template, oldSpec.template))
      causes.invalid('spec.template', spec.template, immutableMessage)
    if ((spec.completionMode ?? 'NonIndexed') !== (oldSpec.completionMode ?? 'NonIndexed')) {
      causes.invalid('spec.completionMode', spec.completionMode ?? '', immutableMessage)
    }
  },
  '/Service': (causes, object, old) => {
    const spec = record(object.spec) ?? {}
    const before = text(record(old.spec)?.clusterIP) ?? ''
    const now = text(spec.clusterIP) ?? ''
    // An absent clusterIP on update keeps the allocated one; switching to ExternalName releases it.
    if (before && now && now !== before && spec.type !== 'ExternalName') {
      causes.invalid('spec.clusterIP', now, immutableMessage)
    }
  },
  '/ConfigMap': (causes, object, old) => immutableData(causes, object, old, ['data', 'binaryData']),
  '/Secret': (causes, object, old) => {
    immutableData(causes, object, old, ['data'])
    if ((object.type ?? 'Opaque') !== (old.type ?? 'Opaque'))
      causes.invalid('type', object.type ?? '', immutableMessage)
  },
}

// --- entry point -----------------------------------------------------------------------------

/**
 * Everything wrong with `object` as a `resource`, as Status causes; empty when it is valid. With
 * `update`, the fields that may not change are checked against the stored object too.
 */
export function validateObject(
  resource: ResourceType,
  object: KubeObject,
  options: ValidateOptions = {},
): ValidationCause[] {
  const causes = new Causes()
  const metadata = record(object.metadata)
  if (metadata === undefined) {
    causes.required('metadata')
    return causes.list
  }
  const key = `${resource.group}/${resource.kind}`
  validateMetadata(causes, resource, metadata)
  if (options.update !== undefined)
    validateMetadataUpdate(causes, metadata, record(options.update.metadata) ?? {})
  if (options.subresource === undefined) {
    validators[key]?.(causes, object)
    if (options.update !== undefined) updateValidators[key]?.(causes, object, options.update)
  } else if (options.subresource === 'scale') {
    nonNegative(causes, 'spec.replicas', record(object.spec)?.replicas)
  }
  const bytes = utf8Bytes(JSON.stringify(object))
  if (bytes > objectBytesMax) causes.tooLong('', objectBytesMax)
  return causes.list
}
