// The structural schemas of every served kind, named as Kubernetes names them
// (`io.k8s.api.apps.v1.Deployment`), with the list semantics that patches and apply depend on
// (`x-kubernetes-patch-merge-key`, `x-kubernetes-list-type`). They model the fields of the kinds
// fully enough for real manifests; a subtree this project does not model is marked
// `x-kubernetes-preserve-unknown-fields`, so strict field validation lets it through. openapi.ts
// turns these into OpenAPI v3 documents and walks them for unknown fields.

export interface Schema {
  type?: 'object' | 'string' | 'integer' | 'number' | 'boolean' | 'array'
  format?: string
  description?: string
  properties?: Record<string, Schema>
  additionalProperties?: Schema
  items?: Schema
  required?: string[]
  $ref?: string
  allOf?: Schema[]
  anyOf?: Schema[]
  default?: unknown
  'x-kubernetes-preserve-unknown-fields'?: true
  'x-kubernetes-int-or-string'?: true
  'x-kubernetes-embedded-resource'?: true
  'x-kubernetes-patch-merge-key'?: string
  'x-kubernetes-patch-strategy'?: string
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map'
  'x-kubernetes-list-map-keys'?: string[]
  'x-kubernetes-map-type'?: 'atomic' | 'granular'
  'x-kubernetes-group-version-kind'?: { group: string; kind: string; version: string }[]
}

export const schemaRefPrefix = '#/components/schemas/'

const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1.'
const core = 'io.k8s.api.core.v1.'
const quantity = 'io.k8s.apimachinery.pkg.api.resource.Quantity'
const intOrString = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString'

// --- the DSL ---------------------------------------------------------------------------------

const str = (description?: string): Schema => ({ type: 'string', ...(description ? { description } : {}) })
const int32 = (description?: string): Schema => ({
  type: 'integer',
  format: 'int32',
  ...(description ? { description } : {}),
})
const int64 = (description?: string): Schema => ({
  type: 'integer',
  format: 'int64',
  ...(description ? { description } : {}),
})
const bool = (description?: string): Schema => ({ type: 'boolean', ...(description ? { description } : {}) })
const bytes = (): Schema => ({ type: 'string', format: 'byte' })
/** A reference to another schema, wrapped as Kubernetes' documents wrap them (so it can carry a description). */
const ref = (name: string, description?: string): Schema => ({
  allOf: [{ $ref: `${schemaRefPrefix}${name}` }],
  ...(description ? { description } : {}),
})
const time = (description?: string) => ref(`${meta}Time`, description)
const microTime = (description?: string) => ref(`${meta}MicroTime`, description)
const qty = (description?: string) => ref(quantity, description)
const ios = (description?: string) => ref(intOrString, description)
const strings = (listType: 'atomic' | 'set' = 'atomic'): Schema => ({
  type: 'array',
  items: { type: 'string', default: '' },
  'x-kubernetes-list-type': listType,
})
const map = (values: Schema = { type: 'string', default: '' }): Schema => ({
  type: 'object',
  additionalProperties: values,
})
const quantities = () => map(ref(quantity))
/** A subtree this project keeps but does not model: anything goes inside. */
const opaque = (description?: string): Schema => ({
  type: 'object',
  'x-kubernetes-preserve-unknown-fields': true,
  ...(description ? { description } : {}),
})

interface ListOptions {
  /** Strategic merge patch merges elements with equal values of this key. */
  mergeKey?: string
  retainKeys?: boolean
  /** List-map keys (server-side apply); defaults to the merge key. */
  mapKeys?: string[]
  atomic?: boolean
}

const list = (items: Schema, options: ListOptions = {}): Schema => {
  const schema: Schema = { type: 'array', items }
  if (options.mergeKey !== undefined) {
    schema['x-kubernetes-patch-merge-key'] = options.mergeKey
    schema['x-kubernetes-patch-strategy'] = options.retainKeys ? 'merge,retainKeys' : 'merge'
    schema['x-kubernetes-list-type'] = 'map'
    schema['x-kubernetes-list-map-keys'] = options.mapKeys ?? [options.mergeKey]
  } else if (options.mapKeys !== undefined) {
    schema['x-kubernetes-list-type'] = 'map'
    schema['x-kubernetes-list-map-keys'] = options.mapKeys
  } else {
    schema['x-kubernetes-list-type'] = 'atomic'
  }
  return schema
}
const refs = (name: string, options?: ListOptions) => list(ref(name), options)
/** Conditions keyed by type, as every status in Kubernetes merges them. */
const conditions = (name: string) => refs(name, { mergeKey: 'type' })

const obj = (properties: Record<string, Schema>, extra: Partial<Schema> = {}): Schema => ({
  type: 'object',
  ...extra,
  properties,
})

export const schemas: Record<string, Schema> = {}

function define(name: string, schema: Schema): void {
  schemas[name] = schema
}

// --- apimachinery ----------------------------------------------------------------------------

const apiVersionDescription =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.'
const kindDescription =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase.'

define(`${meta}Time`, {
  type: 'string',
  format: 'date-time',
  description: 'Time is an RFC 3339 date and time, to the second.',
})
define(`${meta}MicroTime`, {
  type: 'string',
  format: 'date-time',
  description: 'MicroTime is an RFC 3339 date and time with microseconds.',
})
define(quantity, {
  type: 'string',
  description: "Quantity is a fixed-point number with a suffix: '500m', '128Mi', '1Gi', '2', '1e3'.",
})
define(intOrString, {
  type: 'string',
  format: 'int-or-string',
  'x-kubernetes-int-or-string': true,
  description: 'IntOrString holds either an integer or a string.',
})
define(`${meta}FieldsV1`, {
  type: 'object',
  'x-kubernetes-preserve-unknown-fields': true,
  description: 'The set of fields a manager owns.',
})
define(
  `${meta}ManagedFieldsEntry`,
  obj({
    apiVersion: str(),
    fieldsType: str(),
    fieldsV1: ref(`${meta}FieldsV1`),
    manager: str(),
    operation: str(),
    subresource: str(),
    time: time(),
  }),
)
define(
  `${meta}OwnerReference`,
  obj(
    {
      apiVersion: str('API version of the referent.'),
      blockOwnerDeletion: bool(),
      controller: bool('If true, this reference points to the managing controller.'),
      kind: str('Kind of the referent.'),
      name: str('Name of the referent.'),
      uid: str('UID of the referent.'),
    },
    { required: ['apiVersion', 'kind', 'name', 'uid'], 'x-kubernetes-map-type': 'atomic' },
  ),
)
define(
  `${meta}ObjectMeta`,
  obj(
    {
      annotations: map(),
      creationTimestamp: time('When this object was created. Read-only.'),
      deletionGracePeriodSeconds: int64(),
      deletionTimestamp: time('When this object will be deleted. Read-only.'),
      finalizers: { ...strings('set'), 'x-kubernetes-patch-strategy': 'merge' },
      generateName: str('A prefix the server uses to generate a unique name when name is not given.'),
      generation: int64('A sequence number representing a specific generation of the desired state.'),
      labels: map(),
      managedFields: refs(`${meta}ManagedFieldsEntry`),
      name: str('Name must be unique within a namespace.'),
      namespace: str('The namespace of a namespaced object.'),
      ownerReferences: refs(`${meta}OwnerReference`, { mergeKey: 'uid' }),
      resourceVersion: str('An opaque value that changes whenever the object changes.'),
      selfLink: str(),
      uid: str('The unique identity of this object, for its whole life.'),
    },
    { description: 'ObjectMeta is metadata that all persisted resources must have.' },
  ),
)
define(
  `${meta}ListMeta`,
  obj({ continue: str(), remainingItemCount: int64(), resourceVersion: str(), selfLink: str() }),
)
define(
  `${meta}LabelSelectorRequirement`,
  obj({ key: str(), operator: str(), values: strings() }, { required: ['key', 'operator'] }),
)
define(
  `${meta}LabelSelector`,
  obj(
    { matchExpressions: refs(`${meta}LabelSelectorRequirement`), matchLabels: map() },
    {
      description:
        'A label selector: the result of matchLabels and matchExpressions are ANDed. An empty selector matches all objects.',
      'x-kubernetes-map-type': 'atomic',
    },
  ),
)
define(
  `${meta}Condition`,
  obj(
    {
      lastTransitionTime: time(),
      message: str(),
      observedGeneration: int64(),
      reason: str(),
      status: str(),
      type: str(),
    },
    { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
  ),
)
define(`${meta}StatusCause`, obj({ field: str(), message: str(), reason: str() }))
define(
  `${meta}StatusDetails`,
  obj({
    causes: refs(`${meta}StatusCause`),
    group: str(),
    kind: str(),
    name: str(),
    retryAfterSeconds: int32(),
    uid: str(),
  }),
)
define(
  `${meta}Status`,
  obj(
    {
      apiVersion: str(apiVersionDescription),
      code: int32(),
      details: ref(`${meta}StatusDetails`),
      kind: str(kindDescription),
      message: str(),
      metadata: ref(`${meta}ListMeta`),
      reason: str(),
      status: str(),
    },
    { 'x-kubernetes-group-version-kind': [{ group: '', kind: 'Status', version: 'v1' }] },
  ),
)
define(`${meta}Preconditions`, obj({ resourceVersion: str(), uid: str() }))
define(
  `${meta}DeleteOptions`,
  obj({
    apiVersion: str(apiVersionDescription),
    dryRun: strings(),
    gracePeriodSeconds: int64(),
    ignoreStoreReadErrorWithClusterBreakingPotential: bool(),
    kind: str(kindDescription),
    orphanDependents: bool(),
    preconditions: ref(`${meta}Preconditions`),
    propagationPolicy: str(),
  }),
)
define(`${meta}Patch`, {
  type: 'object',
  description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
})

// --- core/v1: shared parts -------------------------------------------------------------------

define(`${core}LocalObjectReference`, obj({ name: str() }, { 'x-kubernetes-map-type': 'atomic' }))
define(
  `${core}ObjectReference`,
  obj(
    {
      apiVersion: str(),
      fieldPath: str(),
      kind: str(),
      name: str(),
      namespace: str(),
      resourceVersion: str(),
      uid: str(),
    },
    { 'x-kubernetes-map-type': 'atomic' },
  ),
)
define(
  `${core}TypedLocalObjectReference`,
  obj({ apiGroup: str(), kind: str(), name: str() }, { required: ['kind', 'name'] }),
)
define(
  `${core}TypedObjectReference`,
  obj({ apiGroup: str(), kind: str(), name: str(), namespace: str() }, { required: ['kind', 'name'] }),
)
define(`${core}KeyToPath`, obj({ key: str(), mode: int32(), path: str() }, { required: ['key', 'path'] }))
define(
  `${core}ObjectFieldSelector`,
  obj({ apiVersion: str(), fieldPath: str() }, { required: ['fieldPath'] }),
)
define(
  `${core}ResourceFieldSelector`,
  obj({ containerName: str(), divisor: qty(), resource: str() }, { required: ['resource'] }),
)
define(
  `${core}ConfigMapKeySelector`,
  obj({ key: str(), name: str(), optional: bool() }, { required: ['key'] }),
)
define(`${core}SecretKeySelector`, obj({ key: str(), name: str(), optional: bool() }, { required: ['key'] }))
define(
  `${core}EnvVarSource`,
  obj({
    configMapKeyRef: ref(`${core}ConfigMapKeySelector`),
    fieldRef: ref(`${core}ObjectFieldSelector`),
    resourceFieldRef: ref(`${core}ResourceFieldSelector`),
    secretKeyRef: ref(`${core}SecretKeySelector`),
  }),
)
define(
  `${core}EnvVar`,
  obj(
    {
      name: str('Name of the environment variable.'),
      value: str(),
      valueFrom: ref(`${core}EnvVarSource`),
    },
    { required: ['name'] },
  ),
)
define(`${core}ConfigMapEnvSource`, obj({ name: str(), optional: bool() }))
define(`${core}SecretEnvSource`, obj({ name: str(), optional: bool() }))
define(
  `${core}EnvFromSource`,
  obj({
    configMapRef: ref(`${core}ConfigMapEnvSource`),
    prefix: str(),
    secretRef: ref(`${core}SecretEnvSource`),
  }),
)
define(
  `${core}ContainerPort`,
  obj(
    {
      containerPort: int32('Number of port to expose on the pod IP address.'),
      hostIP: str(),
      hostPort: int32(),
      name: str(),
      protocol: str('Protocol for port: UDP, TCP, or SCTP. Defaults to "TCP".'),
    },
    { required: ['containerPort'] },
  ),
)
define(`${core}ResourceClaim`, obj({ name: str(), request: str() }, { required: ['name'] }))
define(
  `${core}ResourceRequirements`,
  obj({
    claims: refs(`${core}ResourceClaim`, { mapKeys: ['name'] }),
    limits: quantities(),
    requests: quantities(),
  }),
)
define(
  `${core}VolumeMount`,
  obj(
    {
      mountPath: str('Path within the container at which the volume should be mounted.'),
      mountPropagation: str(),
      name: str('This must match the Name of a Volume.'),
      readOnly: bool(),
      recursiveReadOnly: str(),
      subPath: str(),
      subPathExpr: str(),
    },
    { required: ['name', 'mountPath'] },
  ),
)
define(`${core}VolumeDevice`, obj({ devicePath: str(), name: str() }, { required: ['name', 'devicePath'] }))
define(`${core}ExecAction`, obj({ command: strings() }))
define(`${core}HTTPHeader`, obj({ name: str(), value: str() }, { required: ['name', 'value'] }))
define(
  `${core}HTTPGetAction`,
  obj(
    { host: str(), httpHeaders: refs(`${core}HTTPHeader`), path: str(), port: ios(), scheme: str() },
    { required: ['port'] },
  ),
)
define(`${core}TCPSocketAction`, obj({ host: str(), port: ios() }, { required: ['port'] }))
define(`${core}GRPCAction`, obj({ port: int32(), service: str() }, { required: ['port'] }))
define(`${core}SleepAction`, obj({ seconds: int64() }, { required: ['seconds'] }))
define(
  `${core}Probe`,
  obj({
    exec: ref(`${core}ExecAction`),
    failureThreshold: int32(),
    grpc: ref(`${core}GRPCAction`),
    httpGet: ref(`${core}HTTPGetAction`),
    initialDelaySeconds: int32(),
    periodSeconds: int32(),
    successThreshold: int32(),
    tcpSocket: ref(`${core}TCPSocketAction`),
    terminationGracePeriodSeconds: int64(),
    timeoutSeconds: int32(),
  }),
)
define(
  `${core}LifecycleHandler`,
  obj({
    exec: ref(`${core}ExecAction`),
    httpGet: ref(`${core}HTTPGetAction`),
    sleep: ref(`${core}SleepAction`),
    tcpSocket: ref(`${core}TCPSocketAction`),
  }),
)
define(
  `${core}Lifecycle`,
  obj({
    postStart: ref(`${core}LifecycleHandler`),
    preStop: ref(`${core}LifecycleHandler`),
    stopSignal: str(),
  }),
)
define(`${core}Capabilities`, obj({ add: strings(), drop: strings() }))
define(`${core}SELinuxOptions`, obj({ level: str(), role: str(), type: str(), user: str() }))
define(`${core}SeccompProfile`, obj({ localhostProfile: str(), type: str() }, { required: ['type'] }))
define(`${core}AppArmorProfile`, obj({ localhostProfile: str(), type: str() }, { required: ['type'] }))
define(
  `${core}WindowsSecurityContextOptions`,
  obj({
    gmsaCredentialSpec: str(),
    gmsaCredentialSpecName: str(),
    hostProcess: bool(),
    runAsUserName: str(),
  }),
)
define(
  `${core}SecurityContext`,
  obj({
    allowPrivilegeEscalation: bool(),
    appArmorProfile: ref(`${core}AppArmorProfile`),
    capabilities: ref(`${core}Capabilities`),
    privileged: bool(),
    procMount: str(),
    readOnlyRootFilesystem: bool(),
    runAsGroup: int64(),
    runAsNonRoot: bool(),
    runAsUser: int64(),
    seLinuxOptions: ref(`${core}SELinuxOptions`),
    seccompProfile: ref(`${core}SeccompProfile`),
    windowsOptions: ref(`${core}WindowsSecurityContextOptions`),
  }),
)
define(`${core}Sysctl`, obj({ name: str(), value: str() }, { required: ['name', 'value'] }))
define(
  `${core}PodSecurityContext`,
  obj({
    appArmorProfile: ref(`${core}AppArmorProfile`),
    fsGroup: int64(),
    fsGroupChangePolicy: str(),
    runAsGroup: int64(),
    runAsNonRoot: bool(),
    runAsUser: int64(),
    seLinuxChangePolicy: str(),
    seLinuxOptions: ref(`${core}SELinuxOptions`),
    seccompProfile: ref(`${core}SeccompProfile`),
    supplementalGroups: { type: 'array', items: int64(), 'x-kubernetes-list-type': 'atomic' },
    supplementalGroupsPolicy: str(),
    sysctls: refs(`${core}Sysctl`),
    windowsOptions: ref(`${core}WindowsSecurityContextOptions`),
  }),
)
define(
  `${core}ContainerResizePolicy`,
  obj({ resourceName: str(), restartPolicy: str() }, { required: ['resourceName', 'restartPolicy'] }),
)

const containerProperties: Record<string, Schema> = {
  args: { ...strings(), description: 'Arguments to the entrypoint.' },
  command: {
    ...strings(),
    description:
      "Entrypoint array. Not executed within a shell. The image's ENTRYPOINT is used if not given.",
  },
  env: {
    ...refs(`${core}EnvVar`, { mergeKey: 'name' }),
    description: 'Environment variables to set in the container.',
  },
  envFrom: refs(`${core}EnvFromSource`),
  image: str('Container image name.'),
  imagePullPolicy: str('Image pull policy. One of Always, Never, IfNotPresent.'),
  lifecycle: ref(`${core}Lifecycle`),
  livenessProbe: ref(
    `${core}Probe`,
    'Periodic probe of container liveness; the container is restarted if it fails.',
  ),
  name: str(
    'Name of the container specified as a DNS_LABEL. Each container in a pod must have a unique name.',
  ),
  ports: {
    ...refs(`${core}ContainerPort`, { mergeKey: 'containerPort', mapKeys: ['containerPort', 'protocol'] }),
    description: 'List of ports to expose from the container.',
  },
  readinessProbe: ref(`${core}Probe`, 'Periodic probe of container service readiness.'),
  resizePolicy: refs(`${core}ContainerResizePolicy`),
  resources: ref(`${core}ResourceRequirements`, 'Compute resources required by this container.'),
  restartPolicy: str(),
  securityContext: ref(`${core}SecurityContext`),
  startupProbe: ref(`${core}Probe`),
  stdin: bool(),
  stdinOnce: bool(),
  terminationMessagePath: str(),
  terminationMessagePolicy: str(),
  tty: bool(),
  volumeDevices: refs(`${core}VolumeDevice`, { mergeKey: 'devicePath' }),
  volumeMounts: {
    ...refs(`${core}VolumeMount`, { mergeKey: 'mountPath' }),
    description: 'Pod volumes to mount into the filesystem of the container.',
  },
  workingDir: str(),
}
define(
  `${core}Container`,
  obj(containerProperties, {
    required: ['name'],
    description: 'A single application container that you want to run within a pod.',
  }),
)
define(
  `${core}EphemeralContainer`,
  obj({ ...containerProperties, targetContainerName: str() }, { required: ['name'] }),
)

define(
  `${core}NodeSelectorRequirement`,
  obj({ key: str(), operator: str(), values: strings() }, { required: ['key', 'operator'] }),
)
define(
  `${core}NodeSelectorTerm`,
  obj(
    {
      matchExpressions: refs(`${core}NodeSelectorRequirement`),
      matchFields: refs(`${core}NodeSelectorRequirement`),
    },
    { 'x-kubernetes-map-type': 'atomic' },
  ),
)
define(
  `${core}NodeSelector`,
  obj({ nodeSelectorTerms: refs(`${core}NodeSelectorTerm`) }, { required: ['nodeSelectorTerms'] }),
)
define(
  `${core}PreferredSchedulingTerm`,
  obj(
    { preference: ref(`${core}NodeSelectorTerm`), weight: int32() },
    { required: ['weight', 'preference'] },
  ),
)
define(
  `${core}NodeAffinity`,
  obj({
    preferredDuringSchedulingIgnoredDuringExecution: refs(`${core}PreferredSchedulingTerm`),
    requiredDuringSchedulingIgnoredDuringExecution: ref(`${core}NodeSelector`),
  }),
)
define(
  `${core}PodAffinityTerm`,
  obj(
    {
      labelSelector: ref(`${meta}LabelSelector`),
      matchLabelKeys: strings(),
      mismatchLabelKeys: strings(),
      namespaceSelector: ref(`${meta}LabelSelector`),
      namespaces: strings(),
      topologyKey: str(),
    },
    { required: ['topologyKey'] },
  ),
)
define(
  `${core}WeightedPodAffinityTerm`,
  obj(
    { podAffinityTerm: ref(`${core}PodAffinityTerm`), weight: int32() },
    { required: ['weight', 'podAffinityTerm'] },
  ),
)
const podAffinity = obj({
  preferredDuringSchedulingIgnoredDuringExecution: refs(`${core}WeightedPodAffinityTerm`),
  requiredDuringSchedulingIgnoredDuringExecution: refs(`${core}PodAffinityTerm`),
})
define(`${core}PodAffinity`, podAffinity)
define(`${core}PodAntiAffinity`, podAffinity)
define(
  `${core}Affinity`,
  obj({
    nodeAffinity: ref(`${core}NodeAffinity`),
    podAffinity: ref(`${core}PodAffinity`),
    podAntiAffinity: ref(`${core}PodAntiAffinity`),
  }),
)
define(
  `${core}Toleration`,
  obj({ effect: str(), key: str(), operator: str(), tolerationSeconds: int64(), value: str() }),
)
define(
  `${core}TopologySpreadConstraint`,
  obj(
    {
      labelSelector: ref(`${meta}LabelSelector`),
      matchLabelKeys: strings(),
      maxSkew: int32(),
      minDomains: int32(),
      nodeAffinityPolicy: str(),
      nodeTaintsPolicy: str(),
      topologyKey: str(),
      whenUnsatisfiable: str(),
    },
    { required: ['maxSkew', 'topologyKey', 'whenUnsatisfiable'] },
  ),
)
define(`${core}HostAlias`, obj({ hostnames: strings(), ip: str() }, { required: ['ip'] }))
define(`${core}PodDNSConfigOption`, obj({ name: str(), value: str() }))
define(
  `${core}PodDNSConfig`,
  obj({ nameservers: strings(), options: refs(`${core}PodDNSConfigOption`), searches: strings() }),
)
define(`${core}PodOS`, obj({ name: str() }, { required: ['name'] }))
define(`${core}PodReadinessGate`, obj({ conditionType: str() }, { required: ['conditionType'] }))
define(`${core}PodSchedulingGate`, obj({ name: str() }, { required: ['name'] }))
define(
  `${core}PodResourceClaim`,
  obj({ name: str(), resourceClaimName: str(), resourceClaimTemplateName: str() }, { required: ['name'] }),
)

// Volumes: the common sources are modelled; the rest (cloud disks, legacy plugins) pass as they are.
define(
  `${core}ConfigMapVolumeSource`,
  obj({ defaultMode: int32(), items: refs(`${core}KeyToPath`), name: str(), optional: bool() }),
)
define(
  `${core}SecretVolumeSource`,
  obj({ defaultMode: int32(), items: refs(`${core}KeyToPath`), optional: bool(), secretName: str() }),
)
define(`${core}EmptyDirVolumeSource`, obj({ medium: str(), sizeLimit: qty() }))
define(`${core}HostPathVolumeSource`, obj({ path: str(), type: str() }, { required: ['path'] }))
define(
  `${core}PersistentVolumeClaimVolumeSource`,
  obj({ claimName: str(), readOnly: bool() }, { required: ['claimName'] }),
)
define(
  `${core}NFSVolumeSource`,
  obj({ path: str(), readOnly: bool(), server: str() }, { required: ['server', 'path'] }),
)
define(
  `${core}CSIVolumeSource`,
  obj(
    {
      driver: str(),
      fsType: str(),
      nodePublishSecretRef: ref(`${core}LocalObjectReference`),
      readOnly: bool(),
      volumeAttributes: map(),
    },
    { required: ['driver'] },
  ),
)
define(
  `${core}DownwardAPIVolumeFile`,
  obj(
    {
      fieldRef: ref(`${core}ObjectFieldSelector`),
      mode: int32(),
      path: str(),
      resourceFieldRef: ref(`${core}ResourceFieldSelector`),
    },
    { required: ['path'] },
  ),
)
define(
  `${core}DownwardAPIVolumeSource`,
  obj({ defaultMode: int32(), items: refs(`${core}DownwardAPIVolumeFile`) }),
)
define(`${core}ConfigMapProjection`, obj({ items: refs(`${core}KeyToPath`), name: str(), optional: bool() }))
define(`${core}SecretProjection`, obj({ items: refs(`${core}KeyToPath`), name: str(), optional: bool() }))
define(`${core}DownwardAPIProjection`, obj({ items: refs(`${core}DownwardAPIVolumeFile`) }))
define(
  `${core}ServiceAccountTokenProjection`,
  obj({ audience: str(), expirationSeconds: int64(), path: str() }, { required: ['path'] }),
)
define(
  `${core}VolumeProjection`,
  obj({
    clusterTrustBundle: opaque(),
    configMap: ref(`${core}ConfigMapProjection`),
    downwardAPI: ref(`${core}DownwardAPIProjection`),
    secret: ref(`${core}SecretProjection`),
    serviceAccountToken: ref(`${core}ServiceAccountTokenProjection`),
  }),
)
define(
  `${core}ProjectedVolumeSource`,
  obj({ defaultMode: int32(), sources: refs(`${core}VolumeProjection`) }),
)
define(`${core}VolumeResourceRequirements`, obj({ limits: quantities(), requests: quantities() }))
define(
  `${core}PersistentVolumeClaimSpec`,
  obj({
    accessModes: strings(),
    dataSource: ref(`${core}TypedLocalObjectReference`),
    dataSourceRef: ref(`${core}TypedObjectReference`),
    resources: ref(`${core}VolumeResourceRequirements`),
    selector: ref(`${meta}LabelSelector`),
    storageClassName: str(),
    volumeAttributesClassName: str(),
    volumeMode: str(),
    volumeName: str(),
  }),
)
define(
  `${core}PersistentVolumeClaimTemplate`,
  obj(
    { metadata: ref(`${meta}ObjectMeta`), spec: ref(`${core}PersistentVolumeClaimSpec`) },
    { required: ['spec'] },
  ),
)
define(
  `${core}PersistentVolumeClaim`,
  obj({
    apiVersion: str(apiVersionDescription),
    kind: str(kindDescription),
    metadata: ref(`${meta}ObjectMeta`),
    spec: ref(`${core}PersistentVolumeClaimSpec`),
    status: opaque(),
  }),
)
define(
  `${core}EphemeralVolumeSource`,
  obj({ volumeClaimTemplate: ref(`${core}PersistentVolumeClaimTemplate`) }),
)
define(`${core}ImageVolumeSource`, obj({ pullPolicy: str(), reference: str() }))

const unmodelledVolumeSources = [
  'awsElasticBlockStore',
  'azureDisk',
  'azureFile',
  'cephfs',
  'cinder',
  'fc',
  'flexVolume',
  'flocker',
  'gcePersistentDisk',
  'gitRepo',
  'glusterfs',
  'iscsi',
  'photonPersistentDisk',
  'portworxVolume',
  'quobyte',
  'rbd',
  'scaleIO',
  'storageos',
  'vsphereVolume',
]
define(
  `${core}Volume`,
  obj(
    {
      ...Object.fromEntries(unmodelledVolumeSources.map((source) => [source, opaque()])),
      configMap: ref(`${core}ConfigMapVolumeSource`),
      csi: ref(`${core}CSIVolumeSource`),
      downwardAPI: ref(`${core}DownwardAPIVolumeSource`),
      emptyDir: ref(`${core}EmptyDirVolumeSource`),
      ephemeral: ref(`${core}EphemeralVolumeSource`),
      hostPath: ref(`${core}HostPathVolumeSource`),
      image: ref(`${core}ImageVolumeSource`),
      name: str('Name of the volume. Must be a DNS_LABEL and unique within the pod.'),
      nfs: ref(`${core}NFSVolumeSource`),
      persistentVolumeClaim: ref(`${core}PersistentVolumeClaimVolumeSource`),
      projected: ref(`${core}ProjectedVolumeSource`),
      secret: ref(`${core}SecretVolumeSource`),
    },
    { required: ['name'] },
  ),
)

define(
  `${core}PodSpec`,
  obj(
    {
      activeDeadlineSeconds: int64(),
      affinity: ref(`${core}Affinity`, "If specified, the pod's scheduling constraints."),
      automountServiceAccountToken: bool(),
      containers: {
        ...refs(`${core}Container`, { mergeKey: 'name' }),
        description:
          'List of containers belonging to the pod. There must be at least one container in a Pod.',
      },
      dnsConfig: ref(`${core}PodDNSConfig`),
      dnsPolicy: str(),
      enableServiceLinks: bool(),
      ephemeralContainers: refs(`${core}EphemeralContainer`, { mergeKey: 'name' }),
      hostAliases: refs(`${core}HostAlias`, { mergeKey: 'ip' }),
      hostIPC: bool(),
      hostNetwork: bool(),
      hostPID: bool(),
      hostUsers: bool(),
      hostname: str(),
      imagePullSecrets: refs(`${core}LocalObjectReference`, { mergeKey: 'name' }),
      initContainers: refs(`${core}Container`, { mergeKey: 'name' }),
      nodeName: str('The node this pod is bound to.'),
      nodeSelector: {
        ...map(),
        'x-kubernetes-map-type': 'atomic',
        description: 'Labels the node must have to fit the pod.',
      },
      os: ref(`${core}PodOS`),
      overhead: quantities(),
      preemptionPolicy: str(),
      priority: int32(),
      priorityClassName: str(),
      readinessGates: refs(`${core}PodReadinessGate`),
      resourceClaims: refs(`${core}PodResourceClaim`, { mergeKey: 'name', retainKeys: true }),
      resources: ref(`${core}ResourceRequirements`),
      restartPolicy: str(
        'Restart policy for all containers within the pod. One of Always, OnFailure, Never.',
      ),
      runtimeClassName: str(),
      schedulerName: str(),
      schedulingGates: refs(`${core}PodSchedulingGate`, { mergeKey: 'name' }),
      securityContext: ref(`${core}PodSecurityContext`),
      serviceAccount: str('Deprecated alias of serviceAccountName.'),
      serviceAccountName: str('Name of the ServiceAccount to use to run this pod.'),
      setHostnameAsFQDN: bool(),
      shareProcessNamespace: bool(),
      subdomain: str(),
      terminationGracePeriodSeconds: int64(),
      tolerations: refs(`${core}Toleration`),
      topologySpreadConstraints: refs(`${core}TopologySpreadConstraint`, {
        mergeKey: 'topologyKey',
        mapKeys: ['topologyKey', 'whenUnsatisfiable'],
      }),
      volumes: refs(`${core}Volume`, { mergeKey: 'name', retainKeys: true }),
    },
    { required: ['containers'], description: 'PodSpec is a description of a pod.' },
  ),
)
define(
  `${core}PodTemplateSpec`,
  obj(
    {
      metadata: ref(`${meta}ObjectMeta`, 'Metadata of the pods created from this template.'),
      spec: ref(`${core}PodSpec`),
    },
    { description: 'PodTemplateSpec describes the data a pod should have when created from a template.' },
  ),
)

define(
  `${core}PodCondition`,
  obj(
    {
      lastProbeTime: time(),
      lastTransitionTime: time(),
      message: str(),
      reason: str(),
      status: str(),
      type: str(),
    },
    { required: ['type', 'status'] },
  ),
)
define(`${core}PodIP`, obj({ ip: str() }, { required: ['ip'] }))
define(`${core}HostIP`, obj({ ip: str() }, { required: ['ip'] }))
define(`${core}ContainerStateRunning`, obj({ startedAt: time() }))
define(
  `${core}ContainerStateTerminated`,
  obj(
    {
      containerID: str(),
      exitCode: int32(),
      finishedAt: time(),
      message: str(),
      reason: str(),
      signal: int32(),
      startedAt: time(),
    },
    { required: ['exitCode'] },
  ),
)
define(`${core}ContainerStateWaiting`, obj({ message: str(), reason: str() }))
define(
  `${core}ContainerState`,
  obj({
    running: ref(`${core}ContainerStateRunning`),
    terminated: ref(`${core}ContainerStateTerminated`),
    waiting: ref(`${core}ContainerStateWaiting`),
  }),
)
define(
  `${core}VolumeMountStatus`,
  obj(
    { mountPath: str(), name: str(), readOnly: bool(), recursiveReadOnly: str() },
    { required: ['name', 'mountPath'] },
  ),
)
define(
  `${core}ContainerStatus`,
  obj(
    {
      allocatedResources: quantities(),
      allocatedResourcesStatus: { type: 'array', items: opaque() },
      containerID: str(),
      image: str(),
      imageID: str(),
      lastState: ref(`${core}ContainerState`),
      name: str(),
      ready: bool(),
      resources: ref(`${core}ResourceRequirements`),
      restartCount: int32(),
      started: bool(),
      state: ref(`${core}ContainerState`),
      user: opaque(),
      volumeMounts: refs(`${core}VolumeMountStatus`, { mergeKey: 'mountPath' }),
    },
    { required: ['name', 'ready', 'restartCount', 'image', 'imageID'] },
  ),
)
define(
  `${core}PodStatus`,
  obj({
    conditions: conditions(`${core}PodCondition`),
    containerStatuses: refs(`${core}ContainerStatus`),
    ephemeralContainerStatuses: refs(`${core}ContainerStatus`),
    hostIP: str(),
    hostIPs: refs(`${core}HostIP`, { mergeKey: 'ip' }),
    initContainerStatuses: refs(`${core}ContainerStatus`),
    message: str(),
    nominatedNodeName: str(),
    phase: str('The phase of a Pod: Pending, Running, Succeeded, Failed or Unknown.'),
    podIP: str(),
    podIPs: refs(`${core}PodIP`, { mergeKey: 'ip' }),
    qosClass: str(),
    reason: str(),
    resize: str(),
    resourceClaimStatuses: { type: 'array', items: opaque() },
    startTime: time(),
  }),
)

// --- core/v1 kinds ---------------------------------------------------------------------------

type Gvk = { group: string; version: string; kind: string }
const kinds: Gvk[] = []

/** Defines a kind (and its list) with the envelope fields and its group-version-kind. */
function defineKind(
  packageName: string,
  gvk: Gvk,
  properties: Record<string, Schema>,
  description: string,
  required: string[] = [],
): void {
  const extension = [{ group: gvk.group, kind: gvk.kind, version: gvk.version }]
  define(`${packageName}${gvk.kind}`, {
    type: 'object',
    description,
    ...(required.length > 0 ? { required } : {}),
    properties: {
      apiVersion: str(apiVersionDescription),
      kind: str(kindDescription),
      metadata: ref(`${meta}ObjectMeta`, "Standard object's metadata."),
      ...properties,
    },
    'x-kubernetes-group-version-kind': extension,
  })
  define(`${packageName}${gvk.kind}List`, {
    type: 'object',
    description: `${gvk.kind}List is a list of ${gvk.kind} objects.`,
    required: ['items'],
    properties: {
      apiVersion: str(apiVersionDescription),
      items: refs(`${packageName}${gvk.kind}`),
      kind: str(kindDescription),
      metadata: ref(`${meta}ListMeta`, 'Standard list metadata.'),
    },
    'x-kubernetes-group-version-kind': [{ ...extension[0]!, kind: `${gvk.kind}List` }],
  })
  kinds.push(gvk)
}

const coreKind = (kind: string): Gvk => ({ group: '', version: 'v1', kind })

define(`${core}NamespaceSpec`, obj({ finalizers: strings() }))
define(
  `${core}NamespaceCondition`,
  obj(
    { lastTransitionTime: time(), message: str(), reason: str(), status: str(), type: str() },
    { required: ['type', 'status'] },
  ),
)
define(`${core}NamespaceStatus`, obj({ conditions: conditions(`${core}NamespaceCondition`), phase: str() }))
defineKind(
  core,
  coreKind('Namespace'),
  { spec: ref(`${core}NamespaceSpec`), status: ref(`${core}NamespaceStatus`) },
  'Namespace provides a scope for Names.',
)

define(
  `${core}Taint`,
  obj({ effect: str(), key: str(), timeAdded: time(), value: str() }, { required: ['key', 'effect'] }),
)
define(
  `${core}NodeSpec`,
  obj({
    configSource: opaque(),
    externalID: str(),
    podCIDR: str(),
    podCIDRs: { ...strings('set'), 'x-kubernetes-patch-strategy': 'merge' },
    providerID: str(),
    taints: refs(`${core}Taint`),
    unschedulable: bool('Unschedulable controls node schedulability of new pods.'),
  }),
)
define(`${core}NodeAddress`, obj({ address: str(), type: str() }, { required: ['type', 'address'] }))
define(
  `${core}NodeCondition`,
  obj(
    {
      lastHeartbeatTime: time(),
      lastTransitionTime: time(),
      message: str(),
      reason: str(),
      status: str(),
      type: str(),
    },
    { required: ['type', 'status'] },
  ),
)
define(`${core}DaemonEndpoint`, obj({ Port: int32() }, { required: ['Port'] }))
define(`${core}NodeDaemonEndpoints`, obj({ kubeletEndpoint: ref(`${core}DaemonEndpoint`) }))
define(`${core}ContainerImage`, obj({ names: strings(), sizeBytes: int64() }))
define(
  `${core}NodeSystemInfo`,
  obj({
    architecture: str(),
    bootID: str(),
    containerRuntimeVersion: str(),
    kernelVersion: str(),
    kubeProxyVersion: str(),
    kubeletVersion: str(),
    machineID: str(),
    operatingSystem: str(),
    osImage: str(),
    systemUUID: str(),
  }),
)
define(`${core}AttachedVolume`, obj({ devicePath: str(), name: str() }, { required: ['name', 'devicePath'] }))
define(
  `${core}NodeStatus`,
  obj({
    addresses: refs(`${core}NodeAddress`, { mergeKey: 'type' }),
    allocatable: quantities(),
    capacity: quantities(),
    conditions: conditions(`${core}NodeCondition`),
    config: opaque(),
    daemonEndpoints: ref(`${core}NodeDaemonEndpoints`),
    features: obj({ supplementalGroupsPolicy: bool() }),
    images: refs(`${core}ContainerImage`),
    nodeInfo: ref(`${core}NodeSystemInfo`),
    phase: str(),
    runtimeHandlers: { type: 'array', items: opaque(), 'x-kubernetes-list-type': 'atomic' },
    volumesAttached: refs(`${core}AttachedVolume`),
    volumesInUse: strings(),
  }),
)
defineKind(
  core,
  coreKind('Node'),
  { spec: ref(`${core}NodeSpec`), status: ref(`${core}NodeStatus`) },
  'Node is a worker node of the cluster.',
)

defineKind(
  core,
  coreKind('Pod'),
  {
    spec: ref(`${core}PodSpec`, 'Specification of the desired behavior of the pod.'),
    status: ref(`${core}PodStatus`, 'Most recently observed status of the pod. Read-only.'),
  },
  'Pod is a collection of containers that can run on a host.',
)

define(
  `${core}ServicePort`,
  obj(
    {
      appProtocol: str(),
      name: str('The name of this port within the service. Must be a DNS_LABEL.'),
      nodePort: int32(),
      port: int32('The port that will be exposed by this service.'),
      protocol: str(),
      targetPort: ios('Number or name of the port to access on the pods targeted by the service.'),
    },
    { required: ['port'] },
  ),
)
define(`${core}ClientIPConfig`, obj({ timeoutSeconds: int32() }))
define(`${core}SessionAffinityConfig`, obj({ clientIP: ref(`${core}ClientIPConfig`) }))
define(
  `${core}ServiceSpec`,
  obj({
    allocateLoadBalancerNodePorts: bool(),
    clusterIP: str(),
    clusterIPs: strings(),
    externalIPs: strings(),
    externalName: str(),
    externalTrafficPolicy: str(),
    healthCheckNodePort: int32(),
    internalTrafficPolicy: str(),
    ipFamilies: strings(),
    ipFamilyPolicy: str(),
    loadBalancerClass: str(),
    loadBalancerIP: str(),
    loadBalancerSourceRanges: strings(),
    ports: {
      ...refs(`${core}ServicePort`, { mergeKey: 'port', mapKeys: ['port', 'protocol'] }),
      description: 'The list of ports that are exposed by this service.',
    },
    publishNotReadyAddresses: bool(),
    selector: {
      ...map(),
      'x-kubernetes-map-type': 'atomic',
      description: 'Route service traffic to pods with labels matching this selector.',
    },
    sessionAffinity: str(),
    sessionAffinityConfig: ref(`${core}SessionAffinityConfig`),
    trafficDistribution: str(),
    type: str('How the Service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.'),
  }),
)
define(
  `${core}PortStatus`,
  obj({ error: str(), port: int32(), protocol: str() }, { required: ['port', 'protocol'] }),
)
define(
  `${core}LoadBalancerIngress`,
  obj({ hostname: str(), ip: str(), ipMode: str(), ports: refs(`${core}PortStatus`) }),
)
define(`${core}LoadBalancerStatus`, obj({ ingress: refs(`${core}LoadBalancerIngress`) }))
define(
  `${core}ServiceStatus`,
  obj({ conditions: conditions(`${meta}Condition`), loadBalancer: ref(`${core}LoadBalancerStatus`) }),
)
defineKind(
  core,
  coreKind('Service'),
  { spec: ref(`${core}ServiceSpec`), status: ref(`${core}ServiceStatus`) },
  'Service is a named abstraction of software service (for example, mysql) consisting of local port that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.',
)

define(
  `${core}EndpointAddress`,
  obj(
    { hostname: str(), ip: str(), nodeName: str(), targetRef: ref(`${core}ObjectReference`) },
    { required: ['ip'] },
  ),
)
define(
  `${core}EndpointPort`,
  obj({ appProtocol: str(), name: str(), port: int32(), protocol: str() }, { required: ['port'] }),
)
define(
  `${core}EndpointSubset`,
  obj({
    addresses: refs(`${core}EndpointAddress`),
    notReadyAddresses: refs(`${core}EndpointAddress`),
    ports: refs(`${core}EndpointPort`),
  }),
)
defineKind(
  core,
  coreKind('Endpoints'),
  { subsets: refs(`${core}EndpointSubset`) },
  'Endpoints is a collection of endpoints that implement the actual service.',
)

defineKind(
  core,
  coreKind('ConfigMap'),
  {
    binaryData: map(bytes()),
    data: map(),
    immutable: bool('If true, data cannot be updated; only the object metadata can be modified.'),
  },
  'ConfigMap holds configuration data for pods to consume.',
)
defineKind(
  core,
  coreKind('Secret'),
  {
    data: map(bytes()),
    immutable: bool(),
    stringData: map(),
    type: str('Used to facilitate programmatic handling of secret data.'),
  },
  'Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes.',
)

define(`${core}EventSource`, obj({ component: str(), host: str() }))
define(`${core}EventSeries`, obj({ count: int32(), lastObservedTime: microTime() }))
defineKind(
  core,
  coreKind('Event'),
  {
    action: str(),
    count: int32(),
    eventTime: microTime(),
    firstTimestamp: time(),
    involvedObject: ref(`${core}ObjectReference`),
    lastTimestamp: time(),
    message: str(),
    reason: str(),
    related: ref(`${core}ObjectReference`),
    reportingComponent: str(),
    reportingInstance: str(),
    series: ref(`${core}EventSeries`),
    source: ref(`${core}EventSource`),
    type: str(),
  },
  'Event is a report of an event somewhere in the cluster.',
  ['metadata', 'involvedObject'],
)
defineKind(
  core,
  coreKind('ServiceAccount'),
  {
    automountServiceAccountToken: bool(),
    imagePullSecrets: refs(`${core}LocalObjectReference`),
    secrets: refs(`${core}ObjectReference`, { mergeKey: 'name' }),
  },
  'ServiceAccount binds together a name, a principal that can be authenticated and authorized, and a set of secrets.',
)

// --- apps/v1 ---------------------------------------------------------------------------------

const apps = 'io.k8s.api.apps.v1.'
const appsKind = (kind: string): Gvk => ({ group: 'apps', version: 'v1', kind })
const workloadCondition = (name: string, extra: Record<string, Schema> = {}) =>
  define(
    name,
    obj(
      { lastTransitionTime: time(), message: str(), reason: str(), status: str(), type: str(), ...extra },
      { required: ['type', 'status'] },
    ),
  )
const selectorDescription = 'Label selector for pods. It must match the pod template labels.'

define(`${apps}RollingUpdateDeployment`, obj({ maxSurge: ios(), maxUnavailable: ios() }))
define(
  `${apps}DeploymentStrategy`,
  obj({ rollingUpdate: ref(`${apps}RollingUpdateDeployment`), type: str('Recreate or RollingUpdate.') }),
)
define(
  `${apps}DeploymentSpec`,
  obj(
    {
      minReadySeconds: int32(),
      paused: bool(),
      progressDeadlineSeconds: int32(),
      replicas: int32('Number of desired pods. Defaults to 1.'),
      revisionHistoryLimit: int32(),
      selector: ref(`${meta}LabelSelector`, selectorDescription),
      strategy: ref(
        `${apps}DeploymentStrategy`,
        'The deployment strategy to use to replace existing pods with new ones.',
      ),
      template: ref(`${core}PodTemplateSpec`, 'Template describes the pods that will be created.'),
    },
    {
      required: ['selector', 'template'],
      description: 'DeploymentSpec is the specification of the desired behavior of the Deployment.',
    },
  ),
)
workloadCondition(`${apps}DeploymentCondition`, { lastUpdateTime: time() })
define(
  `${apps}DeploymentStatus`,
  obj({
    availableReplicas: int32(),
    collisionCount: int32(),
    conditions: conditions(`${apps}DeploymentCondition`),
    observedGeneration: int64(),
    readyReplicas: int32(),
    replicas: int32(),
    terminatingReplicas: int32(),
    unavailableReplicas: int32(),
    updatedReplicas: int32(),
  }),
)
defineKind(
  apps,
  appsKind('Deployment'),
  {
    spec: ref(`${apps}DeploymentSpec`, 'Specification of the desired behavior of the Deployment.'),
    status: ref(`${apps}DeploymentStatus`, 'Most recently observed status of the Deployment.'),
  },
  'Deployment enables declarative updates for Pods and ReplicaSets.',
)

define(
  `${apps}ReplicaSetSpec`,
  obj(
    {
      minReadySeconds: int32(),
      replicas: int32(),
      selector: ref(`${meta}LabelSelector`, selectorDescription),
      template: ref(`${core}PodTemplateSpec`),
    },
    { required: ['selector'] },
  ),
)
workloadCondition(`${apps}ReplicaSetCondition`)
define(
  `${apps}ReplicaSetStatus`,
  obj(
    {
      availableReplicas: int32(),
      conditions: conditions(`${apps}ReplicaSetCondition`),
      fullyLabeledReplicas: int32(),
      observedGeneration: int64(),
      readyReplicas: int32(),
      replicas: int32(),
      terminatingReplicas: int32(),
    },
    { required: ['replicas'] },
  ),
)
defineKind(
  apps,
  appsKind('ReplicaSet'),
  { spec: ref(`${apps}ReplicaSetSpec`), status: ref(`${apps}ReplicaSetStatus`) },
  'ReplicaSet ensures that a specified number of pod replicas are running at any given time.',
)

define(`${apps}RollingUpdateStatefulSetStrategy`, obj({ maxUnavailable: ios(), partition: int32() }))
define(
  `${apps}StatefulSetUpdateStrategy`,
  obj({ rollingUpdate: ref(`${apps}RollingUpdateStatefulSetStrategy`), type: str() }),
)
define(
  `${apps}StatefulSetPersistentVolumeClaimRetentionPolicy`,
  obj({ whenDeleted: str(), whenScaled: str() }),
)
define(`${apps}StatefulSetOrdinals`, obj({ start: int32() }))
define(
  `${apps}StatefulSetSpec`,
  obj(
    {
      minReadySeconds: int32(),
      ordinals: ref(`${apps}StatefulSetOrdinals`),
      persistentVolumeClaimRetentionPolicy: ref(`${apps}StatefulSetPersistentVolumeClaimRetentionPolicy`),
      podManagementPolicy: str(),
      replicas: int32(),
      revisionHistoryLimit: int32(),
      selector: ref(`${meta}LabelSelector`, selectorDescription),
      serviceName: str(),
      template: ref(`${core}PodTemplateSpec`),
      updateStrategy: ref(`${apps}StatefulSetUpdateStrategy`),
      volumeClaimTemplates: refs(`${core}PersistentVolumeClaim`),
    },
    { required: ['selector', 'template'] },
  ),
)
workloadCondition(`${apps}StatefulSetCondition`)
define(
  `${apps}StatefulSetStatus`,
  obj(
    {
      availableReplicas: int32(),
      collisionCount: int32(),
      conditions: conditions(`${apps}StatefulSetCondition`),
      currentReplicas: int32(),
      currentRevision: str(),
      observedGeneration: int64(),
      readyReplicas: int32(),
      replicas: int32(),
      updateRevision: str(),
      updatedReplicas: int32(),
    },
    { required: ['replicas'] },
  ),
)
defineKind(
  apps,
  appsKind('StatefulSet'),
  { spec: ref(`${apps}StatefulSetSpec`), status: ref(`${apps}StatefulSetStatus`) },
  'StatefulSet represents a set of pods with consistent identities.',
)

define(`${apps}RollingUpdateDaemonSet`, obj({ maxSurge: ios(), maxUnavailable: ios() }))
define(
  `${apps}DaemonSetUpdateStrategy`,
  obj({ rollingUpdate: ref(`${apps}RollingUpdateDaemonSet`), type: str() }),
)
define(
  `${apps}DaemonSetSpec`,
  obj(
    {
      minReadySeconds: int32(),
      revisionHistoryLimit: int32(),
      selector: ref(`${meta}LabelSelector`, selectorDescription),
      template: ref(`${core}PodTemplateSpec`),
      updateStrategy: ref(`${apps}DaemonSetUpdateStrategy`),
    },
    { required: ['selector', 'template'] },
  ),
)
workloadCondition(`${apps}DaemonSetCondition`)
define(
  `${apps}DaemonSetStatus`,
  obj(
    {
      collisionCount: int32(),
      conditions: conditions(`${apps}DaemonSetCondition`),
      currentNumberScheduled: int32(),
      desiredNumberScheduled: int32(),
      numberAvailable: int32(),
      numberMisscheduled: int32(),
      numberReady: int32(),
      numberUnavailable: int32(),
      observedGeneration: int64(),
      updatedNumberScheduled: int32(),
    },
    { required: ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady'] },
  ),
)
defineKind(
  apps,
  appsKind('DaemonSet'),
  { spec: ref(`${apps}DaemonSetSpec`), status: ref(`${apps}DaemonSetStatus`) },
  'DaemonSet represents the configuration of a daemon set.',
)

// --- batch/v1 --------------------------------------------------------------------------------

const batch = 'io.k8s.api.batch.v1.'
const batchKind = (kind: string): Gvk => ({ group: 'batch', version: 'v1', kind })

define(
  `${batch}PodFailurePolicyOnExitCodesRequirement`,
  obj(
    {
      containerName: str(),
      operator: str(),
      values: { type: 'array', items: int32(), 'x-kubernetes-list-type': 'set' },
    },
    { required: ['operator', 'values'] },
  ),
)
define(
  `${batch}PodFailurePolicyOnPodConditionsPattern`,
  obj({ status: str(), type: str() }, { required: ['type'] }),
)
define(
  `${batch}PodFailurePolicyRule`,
  obj(
    {
      action: str(),
      onExitCodes: ref(`${batch}PodFailurePolicyOnExitCodesRequirement`),
      onPodConditions: refs(`${batch}PodFailurePolicyOnPodConditionsPattern`),
    },
    { required: ['action'] },
  ),
)
define(
  `${batch}PodFailurePolicy`,
  obj({ rules: refs(`${batch}PodFailurePolicyRule`) }, { required: ['rules'] }),
)
define(`${batch}SuccessPolicyRule`, obj({ succeededCount: int32(), succeededIndexes: str() }))
define(`${batch}SuccessPolicy`, obj({ rules: refs(`${batch}SuccessPolicyRule`) }, { required: ['rules'] }))
define(
  `${batch}JobSpec`,
  obj(
    {
      activeDeadlineSeconds: int64(),
      backoffLimit: int32('Number of retries before marking this job failed. Defaults to 6.'),
      backoffLimitPerIndex: int32(),
      completionMode: str(),
      completions: int32(),
      managedBy: str(),
      manualSelector: bool(),
      maxFailedIndexes: int32(),
      parallelism: int32(),
      podFailurePolicy: ref(`${batch}PodFailurePolicy`),
      podReplacementPolicy: str(),
      selector: ref(`${meta}LabelSelector`),
      successPolicy: ref(`${batch}SuccessPolicy`),
      suspend: bool(),
      template: ref(`${core}PodTemplateSpec`, 'Describes the pod that will be created when executing a job.'),
      ttlSecondsAfterFinished: int32(),
    },
    { required: ['template'] },
  ),
)
define(
  `${batch}JobCondition`,
  obj(
    {
      lastProbeTime: time(),
      lastTransitionTime: time(),
      message: str(),
      reason: str(),
      status: str(),
      type: str(),
    },
    { required: ['type', 'status'] },
  ),
)
define(`${batch}UncountedTerminatedPods`, obj({ failed: strings('set'), succeeded: strings('set') }))
define(
  `${batch}JobStatus`,
  obj({
    active: int32(),
    completedIndexes: str(),
    completionTime: time(),
    conditions: {
      type: 'array',
      items: ref(`${batch}JobCondition`),
      'x-kubernetes-list-type': 'atomic',
      'x-kubernetes-patch-merge-key': 'type',
      'x-kubernetes-patch-strategy': 'merge',
    },
    failed: int32(),
    failedIndexes: str(),
    ready: int32(),
    startTime: time(),
    succeeded: int32(),
    terminating: int32(),
    uncountedTerminatedPods: ref(`${batch}UncountedTerminatedPods`),
  }),
)
defineKind(
  batch,
  batchKind('Job'),
  { spec: ref(`${batch}JobSpec`), status: ref(`${batch}JobStatus`) },
  'Job represents the configuration of a single job.',
)
define(`${batch}JobTemplateSpec`, obj({ metadata: ref(`${meta}ObjectMeta`), spec: ref(`${batch}JobSpec`) }))
define(
  `${batch}CronJobSpec`,
  obj(
    {
      concurrencyPolicy: str('How to treat concurrent executions of a Job: Allow, Forbid or Replace.'),
      failedJobsHistoryLimit: int32(),
      jobTemplate: ref(`${batch}JobTemplateSpec`),
      schedule: str('The schedule in Cron format.'),
      startingDeadlineSeconds: int64(),
      successfulJobsHistoryLimit: int32(),
      suspend: bool(),
      timeZone: str(),
    },
    { required: ['schedule', 'jobTemplate'] },
  ),
)
define(
  `${batch}CronJobStatus`,
  obj({ active: refs(`${core}ObjectReference`), lastScheduleTime: time(), lastSuccessfulTime: time() }),
)
defineKind(
  batch,
  batchKind('CronJob'),
  { spec: ref(`${batch}CronJobSpec`), status: ref(`${batch}CronJobStatus`) },
  'CronJob represents the configuration of a single cron job.',
)

// --- autoscaling/v1 and v2 -------------------------------------------------------------------

const autoscalingV1 = 'io.k8s.api.autoscaling.v1.'
const autoscalingV2 = 'io.k8s.api.autoscaling.v2.'

define(
  `${autoscalingV1}CrossVersionObjectReference`,
  obj(
    { apiVersion: str(), kind: str(), name: str() },
    { required: ['kind', 'name'], 'x-kubernetes-map-type': 'atomic' },
  ),
)
define(
  `${autoscalingV1}HorizontalPodAutoscalerSpec`,
  obj(
    {
      maxReplicas: int32(),
      minReplicas: int32(),
      scaleTargetRef: ref(`${autoscalingV1}CrossVersionObjectReference`),
      targetCPUUtilizationPercentage: int32(),
    },
    { required: ['scaleTargetRef', 'maxReplicas'] },
  ),
)
define(
  `${autoscalingV1}HorizontalPodAutoscalerStatus`,
  obj(
    {
      currentCPUUtilizationPercentage: int32(),
      currentReplicas: int32(),
      desiredReplicas: int32(),
      lastScaleTime: time(),
      observedGeneration: int64(),
    },
    { required: ['currentReplicas', 'desiredReplicas'] },
  ),
)
defineKind(
  autoscalingV1,
  { group: 'autoscaling', version: 'v1', kind: 'HorizontalPodAutoscaler' },
  {
    spec: ref(`${autoscalingV1}HorizontalPodAutoscalerSpec`),
    status: ref(`${autoscalingV1}HorizontalPodAutoscalerStatus`),
  },
  'configuration of a horizontal pod autoscaler.',
)
define(
  `${autoscalingV1}ScaleSpec`,
  obj({ replicas: int32('The desired number of instances for the scaled object.') }),
)
define(
  `${autoscalingV1}ScaleStatus`,
  obj(
    { replicas: int32(), selector: str('The label query over pods, in the query-string form.') },
    { required: ['replicas'] },
  ),
)
define(`${autoscalingV1}Scale`, {
  type: 'object',
  description: 'Scale represents a scaling request for a resource.',
  properties: {
    apiVersion: str(apiVersionDescription),
    kind: str(kindDescription),
    metadata: ref(`${meta}ObjectMeta`),
    spec: ref(`${autoscalingV1}ScaleSpec`),
    status: ref(`${autoscalingV1}ScaleStatus`),
  },
  'x-kubernetes-group-version-kind': [{ group: 'autoscaling', kind: 'Scale', version: 'v1' }],
})

define(
  `${autoscalingV2}CrossVersionObjectReference`,
  obj({ apiVersion: str(), kind: str(), name: str() }, { required: ['kind', 'name'] }),
)
define(
  `${autoscalingV2}MetricTarget`,
  obj(
    { averageUtilization: int32(), averageValue: qty(), type: str(), value: qty() },
    { required: ['type'] },
  ),
)
define(
  `${autoscalingV2}MetricValueStatus`,
  obj({ averageUtilization: int32(), averageValue: qty(), value: qty() }),
)
define(
  `${autoscalingV2}MetricIdentifier`,
  obj({ name: str(), selector: ref(`${meta}LabelSelector`) }, { required: ['name'] }),
)
define(
  `${autoscalingV2}ResourceMetricSource`,
  obj({ name: str(), target: ref(`${autoscalingV2}MetricTarget`) }, { required: ['name', 'target'] }),
)
define(
  `${autoscalingV2}ContainerResourceMetricSource`,
  obj(
    { container: str(), name: str(), target: ref(`${autoscalingV2}MetricTarget`) },
    { required: ['name', 'target', 'container'] },
  ),
)
define(
  `${autoscalingV2}PodsMetricSource`,
  obj(
    { metric: ref(`${autoscalingV2}MetricIdentifier`), target: ref(`${autoscalingV2}MetricTarget`) },
    { required: ['metric', 'target'] },
  ),
)
define(
  `${autoscalingV2}ObjectMetricSource`,
  obj(
    {
      describedObject: ref(`${autoscalingV2}CrossVersionObjectReference`),
      metric: ref(`${autoscalingV2}MetricIdentifier`),
      target: ref(`${autoscalingV2}MetricTarget`),
    },
    { required: ['describedObject', 'target', 'metric'] },
  ),
)
define(
  `${autoscalingV2}ExternalMetricSource`,
  obj(
    { metric: ref(`${autoscalingV2}MetricIdentifier`), target: ref(`${autoscalingV2}MetricTarget`) },
    { required: ['metric', 'target'] },
  ),
)
define(
  `${autoscalingV2}MetricSpec`,
  obj(
    {
      containerResource: ref(`${autoscalingV2}ContainerResourceMetricSource`),
      external: ref(`${autoscalingV2}ExternalMetricSource`),
      object: ref(`${autoscalingV2}ObjectMetricSource`),
      pods: ref(`${autoscalingV2}PodsMetricSource`),
      resource: ref(`${autoscalingV2}ResourceMetricSource`),
      type: str('ContainerResource, External, Object, Pods or Resource.'),
    },
    { required: ['type'] },
  ),
)
define(
  `${autoscalingV2}MetricStatus`,
  obj(
    {
      containerResource: obj({
        container: str(),
        current: ref(`${autoscalingV2}MetricValueStatus`),
        name: str(),
      }),
      external: obj({
        current: ref(`${autoscalingV2}MetricValueStatus`),
        metric: ref(`${autoscalingV2}MetricIdentifier`),
      }),
      object: obj({
        current: ref(`${autoscalingV2}MetricValueStatus`),
        describedObject: ref(`${autoscalingV2}CrossVersionObjectReference`),
        metric: ref(`${autoscalingV2}MetricIdentifier`),
      }),
      pods: obj({
        current: ref(`${autoscalingV2}MetricValueStatus`),
        metric: ref(`${autoscalingV2}MetricIdentifier`),
      }),
      resource: obj({ current: ref(`${autoscalingV2}MetricValueStatus`), name: str() }),
      type: str(),
    },
    { required: ['type'] },
  ),
)
define(
  `${autoscalingV2}HPAScalingPolicy`,
  obj(
    { periodSeconds: int32(), type: str(), value: int32() },
    { required: ['type', 'value', 'periodSeconds'] },
  ),
)
define(
  `${autoscalingV2}HPAScalingRules`,
  obj({
    policies: refs(`${autoscalingV2}HPAScalingPolicy`),
    selectPolicy: str(),
    stabilizationWindowSeconds: int32(),
    tolerance: qty(),
  }),
)
define(
  `${autoscalingV2}HorizontalPodAutoscalerBehavior`,
  obj({ scaleDown: ref(`${autoscalingV2}HPAScalingRules`), scaleUp: ref(`${autoscalingV2}HPAScalingRules`) }),
)
define(
  `${autoscalingV2}HorizontalPodAutoscalerSpec`,
  obj(
    {
      behavior: ref(`${autoscalingV2}HorizontalPodAutoscalerBehavior`),
      maxReplicas: int32('The upper limit for the number of replicas.'),
      metrics: refs(`${autoscalingV2}MetricSpec`),
      minReplicas: int32('The lower limit for the number of replicas. Defaults to 1.'),
      scaleTargetRef: ref(`${autoscalingV2}CrossVersionObjectReference`),
    },
    { required: ['scaleTargetRef', 'maxReplicas'] },
  ),
)
define(
  `${autoscalingV2}HorizontalPodAutoscalerCondition`,
  obj(
    { lastTransitionTime: time(), message: str(), reason: str(), status: str(), type: str() },
    { required: ['type', 'status'] },
  ),
)
define(
  `${autoscalingV2}HorizontalPodAutoscalerStatus`,
  obj(
    {
      conditions: conditions(`${autoscalingV2}HorizontalPodAutoscalerCondition`),
      currentMetrics: refs(`${autoscalingV2}MetricStatus`),
      currentReplicas: int32(),
      desiredReplicas: int32(),
      lastScaleTime: time(),
      observedGeneration: int64(),
    },
    { required: ['desiredReplicas'] },
  ),
)
defineKind(
  autoscalingV2,
  { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler' },
  {
    spec: ref(`${autoscalingV2}HorizontalPodAutoscalerSpec`),
    status: ref(`${autoscalingV2}HorizontalPodAutoscalerStatus`),
  },
  'HorizontalPodAutoscaler is the configuration for a horizontal pod autoscaler, which automatically manages the replica count of any resource implementing the scale subresource based on the metrics specified.',
)

// --- policy/v1, coordination.k8s.io/v1 -------------------------------------------------------

const policy = 'io.k8s.api.policy.v1.'
define(
  `${policy}PodDisruptionBudgetSpec`,
  obj({
    maxUnavailable: ios(),
    minAvailable: ios(),
    selector: ref(`${meta}LabelSelector`),
    unhealthyPodEvictionPolicy: str(),
  }),
)
define(
  `${policy}PodDisruptionBudgetStatus`,
  obj(
    {
      conditions: conditions(`${meta}Condition`),
      currentHealthy: int32(),
      desiredHealthy: int32(),
      disruptedPods: map(ref(`${meta}Time`)),
      disruptionsAllowed: int32(),
      expectedPods: int32(),
      observedGeneration: int64(),
    },
    { required: ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'] },
  ),
)
defineKind(
  policy,
  { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' },
  { spec: ref(`${policy}PodDisruptionBudgetSpec`), status: ref(`${policy}PodDisruptionBudgetStatus`) },
  'PodDisruptionBudget is an object to define the max disruption that can be caused to a collection of pods.',
)

const coordination = 'io.k8s.api.coordination.v1.'
define(
  `${coordination}LeaseSpec`,
  obj({
    acquireTime: microTime(),
    holderIdentity: str(),
    leaseDurationSeconds: int32(),
    leaseTransitions: int32(),
    preferredHolder: str(),
    renewTime: microTime(),
    strategy: str(),
  }),
)
defineKind(
  coordination,
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' },
  { spec: ref(`${coordination}LeaseSpec`) },
  'Lease defines a lease concept.',
)

/** The Go package segment Kubernetes names a group's schemas by (`coordination.k8s.io` is `coordination`). */
export function schemaPackage(group: string, version: string): string {
  const name = group === '' ? 'core' : group.split('.')[0]!
  return `io.k8s.api.${name}.${version}.`
}

/** The schema name of a kind: `io.k8s.api.apps.v1.Deployment`. */
export function kindSchemaName(group: string, version: string, kind: string): string {
  return `${schemaPackage(group, version)}${kind}`
}

/** Every kind with a schema, in definition order. */
export const schemaKinds: readonly Gvk[] = kinds
