// What the Raft leader runs besides Raft: the control plane (actors/control-plane.ts), started
// once this node's first entry of its own term is applied — so every plan it makes sees every
// write an earlier leader committed — and stopped the moment it stops leading. It also keeps
// what the leader hears outside the log: node heartbeats (by node name) and the pods' CPU usage
// the nodes report, which the node lifecycle and the autoscaler read.

import { randomUUID } from 'node:crypto'
import type { ControlPlaneLogger } from '../actors/control-plane.ts'
import { ControlPlane } from '../actors/control-plane.ts'
import { controllers } from '../actors/controllers.ts'
import { memberIdLabel } from '../actors/plans/nodes.ts'
import type { Fixed } from '../actors/plans/pods.ts'
import type { KubeObject } from '../core/api/object.ts'
import type { ApiCommand, ApiResult, WatchChange } from '../core/api/store.ts'
import { type ClusterState, defaultSettings } from '../core/cluster.ts'
import { randomSuffix, timestamp } from './api/server.ts'
import { systemClock } from './clock.ts'

/** What a node's kubelet reports with each heartbeat. */
export interface NodeReport {
  readonly node: string
  /** CPU usage in millicores by pod, keyed `namespace/name`. */
  readonly podCpuMillis?: Readonly<Record<string, number>>
}

/** Reports older than this are not used: a node that stopped reporting has no current figures. */
export const podCpuReportMaxAgeMs = 30_000

export interface LeaderControlOptions {
  readonly nodeName: string
  readonly logger: ControlPlaneLogger
  readonly state: () => ClusterState | null
  readonly appliedIndex: () => number
  readonly propose: (command: ApiCommand) => Promise<ApiResult>
  /** The Raft barrier: resolves once an entry of this leader's term is applied here. */
  readonly barrier: () => Promise<void>
  /** How long the leader has not heard from a cluster member (mesh heartbeats), by member id. */
  readonly memberSilentMs: (memberId: string) => number | null
}

export class LeaderControl {
  readonly #options: LeaderControlOptions
  readonly #plane: ControlPlane
  /** node name → when its kubelet last reported (ms since the epoch). */
  readonly #nodeHeard = new Map<string, number>()
  readonly #podCpu = new Map<string, { millis: number; atMs: number }>()
  #leaderSinceMs = 0
  #starting = false
  #leading = false

  constructor(options: LeaderControlOptions) {
    this.#options = options
    const settings = () => {
      const s = options.state()?.settings
      return {
        nodeNotReadyGraceMs: s?.nodeNotReadyGraceMs ?? defaultSettings.nodeNotReadyGraceMs,
        evictionTimeoutMs: s?.evictionTimeoutMs ?? defaultSettings.evictionTimeoutMs,
      }
    }
    this.#plane = new ControlPlane(
      {
        clock: systemClock,
        objects: () => options.state()!.objects,
        version: options.appliedIndex,
        propose: options.propose,
        fixed: newFixed,
        nodeName: options.nodeName,
        logger: options.logger,
      },
      controllers({
        nodeSilentMs: (node) => this.#nodeSilentMs(node),
        settings,
        podCpuMillis: (pod) => this.#podCpuMillis(pod),
        schedulingStrategy: 'binpack',
      }),
    )
  }

  get plane(): ControlPlane {
    return this.#plane
  }

  /** Called on every housekeeping round with whether this node leads now. */
  leading(now: boolean): void {
    if (now && !this.#leading) {
      this.#leading = true
      this.#leaderSinceMs = Date.now()
      this.#nodeHeard.clear()
      this.#podCpu.clear()
      void this.#startAfterBarrier()
    } else if (!now && this.#leading) {
      this.#leading = false
      if (this.#plane.running) this.#options.logger.info({}, 'control plane stopped: no longer the leader')
      this.#plane.stop()
    }
  }

  /** New entries were applied here, with these changes (null: a snapshot replaced the state). */
  applied(changes: readonly WatchChange[] | null): void {
    if (this.#leading) this.#plane.notify(changes)
  }

  /** A kubelet's heartbeat, relayed to the leader. */
  heard(report: NodeReport): void {
    const now = Date.now()
    this.#nodeHeard.set(report.node, now)
    for (const [key, millis] of Object.entries(report.podCpuMillis ?? {})) {
      if (Number.isFinite(millis) && millis >= 0) this.#podCpu.set(key, { millis, atMs: now })
    }
  }

  stop(): void {
    this.#leading = false
    this.#plane.stop()
  }

  async #startAfterBarrier(): Promise<void> {
    if (this.#starting) return
    this.#starting = true
    try {
      await this.#options.barrier()
      if (!this.#leading) return
      this.#plane.start()
      this.#options.logger.info({}, 'control plane started: this node leads and has applied its own term')
    } catch (error) {
      // Lost the leadership before the barrier applied; the next leader starts its own.
      this.#options.logger.warn({ err: error }, 'control plane not started: the barrier did not apply')
      this.#leading = false
    } finally {
      this.#starting = false
    }
  }

  #nodeSilentMs(node: KubeObject): number | null {
    const now = Date.now()
    const memberId = node.metadata.labels?.[memberIdLabel]
    if (memberId !== undefined) return this.#options.memberSilentMs(memberId)
    // A node that is not a member (a hollow node) is known by its kubelet's heartbeats; one not
    // heard since this leader took office is timed from then.
    const heard = this.#nodeHeard.get(node.metadata.name ?? '')
    return now - Math.max(heard ?? 0, this.#leaderSinceMs)
  }

  #podCpuMillis(pod: KubeObject): number | undefined {
    const report = this.#podCpu.get(`${pod.metadata.namespace}/${pod.metadata.name}`)
    if (!report || Date.now() - report.atMs > podCpuReportMaxAgeMs) return undefined
    return report.millis
  }
}

function newFixed(): Fixed {
  return {
    now: timestamp(),
    newUid: randomUUID,
    newName: (prefix: string) => `${prefix}${randomSuffix()}`,
  }
}
