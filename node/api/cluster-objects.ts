// The objects every cluster has: the `default`, `kube-system` and `kube-public` namespaces, the
// `kubernetes` Service, and a Node object per member. The leader proposes whatever is missing
// (level-triggered, so a leader change or a lost proposal simply plans it again).

import { randomUUID } from 'node:crypto'
import type { KubeObject } from '../../core/api/object.ts'
import type { ApiCommand, ResourceRef } from '../../core/api/store.ts'
import type { ClusterState } from '../../core/cluster.ts'
import { timestamp } from './server.ts'

export const systemNamespaces = ['default', 'kube-system', 'kube-public'] as const
export const memberIdLabel = 'coxswain.dev/member-id'
/** The first address of the Service range goes to the `kubernetes` Service, as in Kubernetes. */
export const kubernetesServiceIp = '10.96.0.1'
/** Events are kept this long after they last happened (DESIGN.md, "Limits and retention"). */
export const eventTtlMs = 60 * 60 * 1000
/** Expired events deleted in one command at most. */
export const expiredEventsPerBatch = 500

const namespaces: ResourceRef = {
  group: '',
  plural: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
  hasStatus: true,
}
const services: ResourceRef = {
  group: '',
  plural: 'services',
  kind: 'Service',
  namespaced: true,
  hasStatus: true,
}
const events: ResourceRef = { group: '', plural: 'events', kind: 'Event', namespaced: true, hasStatus: false }
const nodes: ResourceRef = { group: '', plural: 'nodes', kind: 'Node', namespaced: false, hasStatus: true }

/** Create commands for the default objects the state lacks (empty when all are there). */
export function missingClusterObjects(state: ClusterState): ApiCommand[] {
  const now = timestamp()
  const meta = (name: string, namespace?: string): KubeObject['metadata'] => ({
    name,
    ...(namespace ? { namespace } : {}),
    uid: randomUUID(),
    creationTimestamp: now,
  })
  const commands: ApiCommand[] = []
  for (const name of systemNamespaces) {
    if (!state.objects.get(namespaces, '', name)) {
      commands.push({
        op: 'create',
        resource: namespaces,
        object: {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { ...meta(name), labels: { 'kubernetes.io/metadata.name': name } },
          spec: { finalizers: ['kubernetes'] },
          status: { phase: 'Active' },
        },
      })
    }
  }
  // One batch applies in order: the namespaces exist by the time the Service is created.
  if (!state.objects.get(services, 'default', 'kubernetes')) {
    commands.push({
      op: 'create',
      resource: services,
      object: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          ...meta('kubernetes', 'default'),
          labels: { component: 'apiserver', provider: 'kubernetes' },
        },
        spec: {
          type: 'ClusterIP',
          clusterIP: kubernetesServiceIp,
          clusterIPs: [kubernetesServiceIp],
          ipFamilies: ['IPv4'],
          ipFamilyPolicy: 'SingleStack',
          sessionAffinity: 'None',
          internalTrafficPolicy: 'Cluster',
          ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
        },
        status: { loadBalancer: {} },
      },
    })
  }
  for (const member of state.members.values()) {
    if (state.objects.get(nodes, '', member.name)) continue
    const address = member.apiAddress.slice(0, member.apiAddress.lastIndexOf(':'))
    commands.push({
      op: 'create',
      resource: nodes,
      object: {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          ...meta(member.name),
          labels: {
            'kubernetes.io/hostname': member.name,
            'kubernetes.io/os': 'linux',
            [memberIdLabel]: member.id,
            ...(member.role === 'worker' ? {} : { 'node-role.kubernetes.io/control-plane': '' }),
          },
        },
        spec: {},
        status: {
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'AgentReady',
              message: 'the coxswain agent is running',
              lastHeartbeatTime: now,
              lastTransitionTime: now,
            },
          ],
          addresses: [
            { type: 'InternalIP', address },
            { type: 'Hostname', address: member.name },
          ],
          nodeInfo: {
            kubeletVersion: 'v1.32.0-coxswain',
            containerRuntimeVersion: 'coxswain',
            operatingSystem: 'linux',
            architecture: process.arch === 'x64' ? 'amd64' : process.arch,
            osImage: 'coxswain',
            kernelVersion: '',
          },
        },
      },
    })
  }
  return commands
}

/** Delete commands for Events that last happened more than `eventTtlMs` ago. */
export function expiredEvents(state: ClusterState, nowMs: number): ApiCommand[] {
  const now = timestamp(nowMs)
  const commands: ApiCommand[] = []
  for (const event of state.objects.list(events)) {
    const last = String(event.lastTimestamp ?? event.eventTime ?? event.metadata.creationTimestamp ?? '')
    const at = Date.parse(last)
    if (!Number.isFinite(at) || nowMs - at < eventTtlMs) continue
    commands.push({
      op: 'delete',
      resource: events,
      namespace: event.metadata.namespace ?? '',
      name: event.metadata.name ?? '',
      propagation: 'Background',
      expected: { uid: event.metadata.uid },
      now,
    })
    if (commands.length >= expiredEventsPerBatch) break
  }
  return commands
}
