// The endpoints controller's plan, after Kubernetes' `pkg/controller/endpoint`: for a Service with
// a selector, the Endpoints object of the same name lists the addresses of the pods it selects —
// ready ones in `addresses`, the others in `notReadyAddresses` — grouped into subsets by the ports
// they serve (a named targetPort resolves per pod, so pods can serve different port numbers).
// Services without a selector are left alone: their Endpoints are written by users. Endpoints this
// controller made are deleted once their Service is gone.

import type { KubeObject } from '../../core/api/object.ts'
import type { ApiCommand, ResourceRef } from '../../core/api/store.ts'
import {
  deleteCommand,
  isObject,
  type Plan,
  requireTime,
  resourceOf,
  semanticEqual,
  updateCommand,
} from './plan.ts'
import { isPodReady, podPhase } from './pods.ts'

export const endpointsResource: ResourceRef = resourceOf('v1', 'Endpoints')
export const servicesResource: ResourceRef = resourceOf('v1', 'Service')

/** The label marking Endpoints this controller manages (and so may delete), and its value. */
export const managedByLabel = 'endpoints.kubernetes.io/managed-by'
export const endpointControllerName = 'endpoint-controller'
/** Set on the Endpoints of a Service without a cluster IP, as upstream does. */
export const headlessLabel = 'service.kubernetes.io/headless'
/** Present (`truncated`) when more addresses were selected than an Endpoints object holds. */
export const overCapacityAnnotation = 'endpoints.kubernetes.io/over-capacity'
/** Addresses one Endpoints object holds at most (upstream's `maxCapacity`). */
export const endpointAddressesMax = 1000
/** Orphaned Endpoints deleted by one plan at most. */
export const orphanDeletesPerPlanMax = 500

export interface EndpointsPlanInput {
  readonly service: KubeObject
  /** The pods of the Service's namespace. */
  readonly pods: readonly KubeObject[]
  /** The Endpoints object named as the Service, if there is one. */
  readonly endpoints: KubeObject | undefined
  /** The leader's time, RFC 3339. */
  readonly now: string
  readonly newUid: () => string
}

export interface EndpointAddress {
  ip: string
  hostname?: string
  nodeName?: string
  targetRef: { kind: 'Pod'; namespace: string; name: string; uid: string }
}

export interface EndpointPort {
  name?: string
  port: number
  protocol: string
  appProtocol?: string
}

export interface EndpointSubset {
  addresses?: EndpointAddress[]
  notReadyAddresses?: EndpointAddress[]
  ports?: EndpointPort[]
}

export function planEndpoints(input: EndpointsPlanInput): Plan {
  const { service, endpoints: current, now } = input
  requireTime(now)
  const spec = isObject(service.spec) ? service.spec : {}
  const selector = isObject(spec.selector) ? (spec.selector as Record<string, unknown>) : {}
  // ExternalName Services and Services without a selector get no endpoints from this controller.
  if (spec.type === 'ExternalName' || Object.keys(selector).length === 0) return { commands: [], events: [] }

  const { subsets, truncated } = truncatedSubsets(serviceSubsets(service, selector, input.pods))
  const namespace = service.metadata.namespace ?? ''
  const name = service.metadata.name ?? ''
  const clusterIp = typeof spec.clusterIP === 'string' ? spec.clusterIP : ''
  const labels: Record<string, string> = {
    ...service.metadata.labels,
    [managedByLabel]: endpointControllerName,
    ...(clusterIp === '' || clusterIp === 'None' ? { [headlessLabel]: '' } : {}),
  }
  const { [overCapacityAnnotation]: _previous, ...kept } = current?.metadata.annotations ?? {}
  const annotations = truncated ? { ...kept, [overCapacityAnnotation]: 'truncated' } : kept
  const hasAnnotations = Object.keys(annotations).length > 0

  if (current === undefined) {
    const created: KubeObject = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        name,
        namespace,
        uid: input.newUid(),
        creationTimestamp: now,
        labels,
        ...(hasAnnotations ? { annotations } : {}),
      },
      subsets,
    }
    return { commands: [{ op: 'create', resource: endpointsResource, object: created }], events: [] }
  }
  if (
    semanticEqual(current.subsets, subsets) &&
    semanticEqual(current.metadata.labels, labels) &&
    semanticEqual(current.metadata.annotations, annotations)
  ) {
    return { commands: [], events: [] }
  }
  const { annotations: _old, ...metadata } = current.metadata
  const next: KubeObject = {
    ...current,
    metadata: { ...metadata, labels, ...(hasAnnotations ? { annotations } : {}) },
    subsets,
  }
  return { commands: [updateCommand(endpointsResource, current, next, null, now)], events: [] }
}

/** Deletes the Endpoints this controller made whose Service no longer exists. */
export function planOrphanEndpoints(input: {
  readonly endpoints: readonly KubeObject[]
  readonly services: readonly KubeObject[]
  readonly now: string
}): Plan {
  requireTime(input.now)
  const key = (object: KubeObject) => `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`
  const services = new Set(input.services.map(key))
  const commands: ApiCommand[] = []
  for (const endpoints of input.endpoints) {
    if (commands.length >= orphanDeletesPerPlanMax) break
    if (endpoints.metadata.labels?.[managedByLabel] !== endpointControllerName) continue
    if (services.has(key(endpoints)) || endpoints.metadata.deletionTimestamp) continue
    commands.push(deleteCommand(endpointsResource, endpoints, input.now))
  }
  return { commands, events: [] }
}

// --- subsets ------------------------------------------------------------------------------------

/** Where each address stands for one port: ready wins over not ready (upstream's addressSet). */
interface PortGroup {
  port: EndpointPort | null
  addresses: Map<string, { address: EndpointAddress; ready: boolean }>
}

/**
 * The subsets upstream's `syncService` and `RepackSubsets` make: each pod's address under each port
 * it serves, then the ports regrouped by the exact set of addresses (and readiness) behind them.
 */
function serviceSubsets(
  service: KubeObject,
  selector: Record<string, unknown>,
  pods: readonly KubeObject[],
): EndpointSubset[] {
  const spec = isObject(service.spec) ? service.spec : {}
  const namespace = service.metadata.namespace ?? ''
  const ports = (Array.isArray(spec.ports) ? spec.ports : []).filter(isObject)
  const headless = spec.clusterIP === 'None'
  const publishNotReady = spec.publishNotReadyAddresses === true
  const groups = new Map<string, PortGroup>()
  const add = (port: EndpointPort | null, address: EndpointAddress, ready: boolean) => {
    const key = port === null ? '' : JSON.stringify([port.name, port.port, port.protocol, port.appProtocol])
    let group = groups.get(key)
    if (group === undefined) {
      group = { port, addresses: new Map() }
      groups.set(key, group)
    }
    const addressKey = `${address.ip}/${address.targetRef.uid}`
    if (!group.addresses.get(addressKey)?.ready) group.addresses.set(addressKey, { address, ready })
  }

  for (const pod of pods) {
    if ((pod.metadata.namespace ?? '') !== namespace) continue
    const labels = pod.metadata.labels ?? {}
    if (!Object.entries(selector).every(([key, value]) => labels[key] === value)) continue
    const address = podAddress(service, pod, publishNotReady)
    if (address === undefined) continue
    const ready = publishNotReady || isPodReady(pod)
    // A headless Service may have no ports: its addresses are listed without any.
    if (ports.length === 0 && headless) add(null, address, ready)
    for (const servicePort of ports) {
      const number = findPort(pod, servicePort)
      if (number === undefined) continue
      add(
        {
          ...(typeof servicePort.name === 'string' && servicePort.name !== ''
            ? { name: servicePort.name }
            : {}),
          port: number,
          protocol: protocolOf(servicePort),
          ...(typeof servicePort.appProtocol === 'string' ? { appProtocol: servicePort.appProtocol } : {}),
        },
        address,
        ready,
      )
    }
  }

  // Ports served by the same addresses in the same states share a subset.
  const subsets = new Map<string, { ports: EndpointPort[]; group: PortGroup }>()
  for (const group of groups.values()) {
    const key = [...group.addresses.entries()]
      .map(([addressKey, { ready }]) => `${addressKey}:${ready}`)
      .sort()
      .join(',')
    const subset = subsets.get(key) ?? { ports: [], group }
    if (group.port !== null) subset.ports.push(group.port)
    subsets.set(key, subset)
  }
  return [...subsets.values()]
    .map(({ ports: subsetPorts, group }) => {
      const entries = [...group.addresses.values()]
      const ready = entries.filter((e) => e.ready).map((e) => e.address)
      const notReady = entries.filter((e) => !e.ready).map((e) => e.address)
      return {
        ...(ready.length > 0 ? { addresses: ready.sort(byAddress) } : {}),
        ...(notReady.length > 0 ? { notReadyAddresses: notReady.sort(byAddress) } : {}),
        ...(subsetPorts.length > 0 ? { ports: subsetPorts.sort(byPort) } : {}),
      }
    })
    .sort(bySubset)
}

/** The pod's address if it belongs in the Endpoints (`ShouldPodBeInEndpoints`): live and with an IP. */
function podAddress(
  service: KubeObject,
  pod: KubeObject,
  includeTerminating: boolean,
): EndpointAddress | undefined {
  const phase = podPhase(pod)
  if (phase === 'Succeeded' || phase === 'Failed') return undefined
  if (!includeTerminating && pod.metadata.deletionTimestamp) return undefined
  const status = isObject(pod.status) ? pod.status : {}
  const firstIp = Array.isArray(status.podIPs) && isObject(status.podIPs[0]) ? status.podIPs[0].ip : undefined
  const ip = typeof status.podIP === 'string' && status.podIP !== '' ? status.podIP : firstIp
  if (typeof ip !== 'string' || ip === '') return undefined
  const spec = isObject(pod.spec) ? pod.spec : {}
  // A pod names itself in DNS through the Service that is its subdomain (`ShouldSetHostname`).
  const hostname =
    typeof spec.hostname === 'string' &&
    spec.hostname !== '' &&
    spec.subdomain === service.metadata.name &&
    pod.metadata.namespace === service.metadata.namespace
      ? spec.hostname
      : undefined
  return {
    ip,
    ...(hostname === undefined ? {} : { hostname }),
    ...(typeof spec.nodeName === 'string' && spec.nodeName !== '' ? { nodeName: spec.nodeName } : {}),
    targetRef: {
      kind: 'Pod',
      namespace: pod.metadata.namespace ?? '',
      name: pod.metadata.name ?? '',
      uid: pod.metadata.uid ?? '',
    },
  }
}

/**
 * The pod's port for a Service port (`podutil.FindPort`): a number as it is, a name looked up among
 * the ports of its containers and sidecars with the same protocol; undefined when it has none.
 */
function findPort(pod: KubeObject, servicePort: Record<string, unknown>): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port
  if (typeof target === 'number') return target > 0 ? target : undefined
  if (typeof target !== 'string' || target === '') return undefined
  const spec = isObject(pod.spec) ? pod.spec : {}
  const containers = [
    ...(Array.isArray(spec.containers) ? spec.containers : []),
    ...(Array.isArray(spec.initContainers) ? spec.initContainers : []).filter(
      (c) => isObject(c) && c.restartPolicy === 'Always',
    ),
  ].filter(isObject)
  const protocol = protocolOf(servicePort)
  for (const container of containers) {
    for (const port of (Array.isArray(container.ports) ? container.ports : []).filter(isObject)) {
      if (port.name === target && protocolOf(port) === protocol && typeof port.containerPort === 'number') {
        return port.containerPort
      }
    }
  }
  return undefined
}

function protocolOf(port: Record<string, unknown>): string {
  return typeof port.protocol === 'string' && port.protocol !== '' ? port.protocol : 'TCP'
}

/**
 * At most `endpointAddressesMax` addresses, as upstream's `truncateEndpoints`: not-ready addresses
 * go first; if the ready ones alone are too many, each subset keeps its share of them.
 */
function truncatedSubsets(subsets: EndpointSubset[]): { subsets: EndpointSubset[]; truncated: boolean } {
  const totalReady = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0), 0)
  const totalNotReady = subsets.reduce((n, s) => n + (s.notReadyAddresses?.length ?? 0), 0)
  if (totalReady + totalNotReady <= endpointAddressesMax) return { subsets, truncated: false }
  const truncateReady = totalReady > endpointAddressesMax
  const room = truncateReady ? endpointAddressesMax : endpointAddressesMax - totalReady
  const total = truncateReady ? totalReady : totalNotReady
  let left = room
  const kept = subsets.map((subset) => {
    const from = truncateReady ? (subset.addresses ?? []) : (subset.notReadyAddresses ?? [])
    const share = Math.min(Math.ceil((from.length / total) * room), left)
    const taken = from.slice(0, share)
    left -= taken.length
    const { addresses, notReadyAddresses: _dropped, ...rest } = subset
    if (truncateReady) return { ...rest, ...(taken.length > 0 ? { addresses: taken } : {}) }
    return {
      ...rest,
      ...(addresses ? { addresses } : {}),
      ...(taken.length > 0 ? { notReadyAddresses: taken } : {}),
    }
  })
  return { subsets: kept, truncated: true }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function byAddress(a: EndpointAddress, b: EndpointAddress): number {
  return compareText(a.ip, b.ip) || compareText(a.targetRef.uid, b.targetRef.uid)
}

function byPort(a: EndpointPort, b: EndpointPort): number {
  return compareText(a.name ?? '', b.name ?? '') || a.port - b.port || compareText(a.protocol, b.protocol)
}

/** Subsets in the order of their addresses (as lists, element by element), then of their ports. */
function bySubset(a: EndpointSubset, b: EndpointSubset): number {
  return (
    compareLists(a.addresses ?? [], b.addresses ?? [], byAddress) ||
    compareLists(a.notReadyAddresses ?? [], b.notReadyAddresses ?? [], byAddress) ||
    compareLists(a.ports ?? [], b.ports ?? [], byPort)
  )
}

function compareLists<T>(a: readonly T[], b: readonly T[], compare: (x: T, y: T) => number): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const order = compare(a[i]!, b[i]!)
    if (order !== 0) return order
  }
  return a.length - b.length
}
