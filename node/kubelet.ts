// The kubelet: runs the pods bound to one node. It lists and watches those pods through the API
// (`fieldSelector=spec.nodeName=<node>`, as a Kubernetes kubelet does), keeps one Pod actor
// (actors/pod-actor.ts) per pod under its own supervisor, and stops an actor when its pod goes.
// It reports the pods' CPU with the node's heartbeats. A node cut off from the masters for
// longer than the NotReady grace period stops its StatefulSet pods itself: the leader replaces
// them elsewhere only later (grace + eviction timeout + a margin), so one ordinal never runs twice.

import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Actor } from 'xstate'
import { controllerOf, isObject } from '../actors/plans/plan.ts'
import { type PodActorInput, type PodRuntime, podActorLogic, type RunningPod } from '../actors/pod-actor.ts'
import { type SupervisorLogic, startChild, startSupervisor, stopChild } from '../actors/supervisor.ts'
import type { KubeObject } from '../core/api/object.ts'
import { timestamp } from './api/server.ts'
import { type ApiClient, jsonLines } from './api-client.ts'

/** The part of an API client a kubelet uses (hollow nodes fail over between masters). */
export type KubeletApi = Pick<ApiClient, 'request' | 'stream'>

import { systemClock } from './clock.ts'
import type { NodeReport } from './leader-control.ts'

export interface KubeletLogger {
  info(fields: object, message: string): void
  warn(fields: object, message: string): void
}

export interface KubeletOptions {
  readonly nodeName: string
  readonly hostIp: string
  readonly api: KubeletApi
  readonly runtime: PodRuntime
  readonly logger: KubeletLogger
  /** How long this node may be out of touch with the masters before it fences its StatefulSet pods. */
  readonly fenceAfterMs: () => number
}

/** Waits between attempts to list, watch or report after a failure (doubling up to the max). */
const retryMsMin = 250
const retryMsMax = 5_000
/** How often the kubelet checks whether it has lost the masters. */
const fenceCheckMs = 500

interface PodEntry {
  pod: KubeObject
  running: RunningPod | null
}

/** A pod as a kubelet shows it locally (`GET /cox/v1/kubelet/pods`), even when cut off. */
export interface LocalPod {
  readonly namespace: string
  readonly name: string
  readonly uid: string
  readonly running: boolean
  readonly fenced: boolean
}

export class Kubelet {
  readonly #options: KubeletOptions
  readonly #pods = new Map<string, PodEntry>()
  /** uids of StatefulSet pods stopped because this node lost the masters. */
  readonly #fenced = new Set<string>()
  #supervisor: Actor<SupervisorLogic> | undefined
  #abort = new AbortController()
  #lastContactMs = Date.now()
  #fenceTimer: ReturnType<typeof setInterval> | undefined
  #podIpCount = 1
  readonly #podIpBase: string

  constructor(options: KubeletOptions) {
    this.#options = options
    const hash = createHash('sha256').update(options.nodeName).digest()
    this.#podIpBase = `10.${64 + (hash[0]! % 128)}`
  }

  get nodeName(): string {
    return this.#options.nodeName
  }

  start(): void {
    if (this.#supervisor) return
    this.#supervisor = startSupervisor(
      {
        strategy: 'one_for_one',
        maxRestarts: 100,
        periodMs: 10_000,
        backoff: { initialMs: 100, maxMs: 5_000, factor: 2 },
        children: [],
      },
      {
        id: `kubelet/${this.#options.nodeName}`,
        clock: systemClock,
        onEvent: (event) => {
          if (event.type === 'child-crashed')
            this.#options.logger.warn(
              { pod: event.id, err: String(event.error) },
              'pod actor crashed; restarting',
            )
        },
      },
    )
    this.#fenceTimer = setInterval(() => this.#checkFence(), fenceCheckMs)
    this.#fenceTimer.unref()
    void this.#listAndWatch()
  }

  stop(): void {
    this.#abort.abort()
    if (this.#fenceTimer) clearInterval(this.#fenceTimer)
    this.#supervisor?.stop()
    this.#supervisor = undefined
    for (const entry of this.#pods.values()) void entry.running?.stop()
    this.#pods.clear()
  }

  /** The masters answered (a heartbeat was acknowledged). */
  contact(): void {
    this.#lastContactMs = Date.now()
  }

  /** What this node's heartbeat carries: the CPU its pods use. */
  report(): NodeReport {
    const podCpuMillis: Record<string, number> = {}
    for (const { pod, running } of this.#pods.values()) {
      if (running) podCpuMillis[`${pod.metadata.namespace}/${pod.metadata.name}`] = running.cpuMillis()
    }
    return { node: this.#options.nodeName, podCpuMillis }
  }

  localPods(): LocalPod[] {
    return [...this.#pods.values()].map(({ pod, running }) => ({
      namespace: pod.metadata.namespace ?? '',
      name: pod.metadata.name ?? '',
      uid: pod.metadata.uid ?? '',
      running: running !== null,
      fenced: this.#fenced.has(pod.metadata.uid ?? ''),
    }))
  }

  // ----------------------------------------------------------------------- list and watch

  async #listAndWatch(): Promise<void> {
    const signal = this.#abort.signal
    const selector = encodeURIComponent(`spec.nodeName=${this.#options.nodeName}`)
    let delayMs = retryMsMin
    while (!signal.aborted) {
      try {
        const list = await this.#options.api.request('GET', `/api/v1/pods?fieldSelector=${selector}`, {
          signal,
        })
        if (list.status !== 200) throw new Error(`listing this node's pods answered ${list.status}`)
        const body = list.json<{ metadata: { resourceVersion: string }; items: KubeObject[] }>()
        this.#sync(body.items)
        delayMs = retryMsMin
        await this.#watch(selector, body.metadata.resourceVersion, signal)
      } catch (error) {
        if (signal.aborted) return
        this.#options.logger.warn(
          { err: String(error), retryInMs: delayMs },
          'kubelet lost its pods watch; retrying',
        )
        await sleep(delayMs, undefined, { ref: false })
        delayMs = Math.min(retryMsMax, delayMs * 2)
      }
    }
  }

  /** Follows the watch until it ends or fails; the caller lists again. */
  async #watch(selector: string, resourceVersion: string, signal: AbortSignal): Promise<void> {
    const stream = await this.#options.api.stream(
      'GET',
      `/api/v1/pods?watch=1&fieldSelector=${selector}&resourceVersion=${resourceVersion}&allowWatchBookmarks=true`,
      { signal },
    )
    if (stream.status !== 200) {
      stream.close()
      throw new Error(`watching this node's pods answered ${stream.status}`)
    }
    try {
      for await (const value of jsonLines(stream.body)) {
        const event = value as { type: string; object: KubeObject }
        if (event.type === 'ERROR') return // expired: list again
        if (event.type === 'ADDED' || event.type === 'MODIFIED') this.#upsert(event.object)
        else if (event.type === 'DELETED') this.#remove(event.object.metadata.uid ?? '')
      }
    } finally {
      stream.close()
    }
  }

  /** A fresh list: start what is new, stop what is gone. */
  #sync(pods: readonly KubeObject[]): void {
    const listed = new Set(pods.map((pod) => pod.metadata.uid ?? ''))
    for (const uid of [...this.#pods.keys()]) if (!listed.has(uid)) this.#remove(uid)
    for (const pod of pods) this.#upsert(pod)
  }

  #upsert(pod: KubeObject): void {
    const uid = pod.metadata.uid ?? ''
    const entry = this.#pods.get(uid)
    if (entry) {
      entry.pod = pod
      if (pod.metadata.deletionTimestamp) this.#remove(uid)
      return
    }
    if (pod.metadata.deletionTimestamp || this.#fenced.has(uid)) return
    const phase = isObject(pod.status) ? pod.status.phase : undefined
    // A finished pod stays finished: a restarted kubelet does not run it again.
    if (phase === 'Succeeded' || phase === 'Failed') return
    this.#startPod(pod)
  }

  #startPod(pod: KubeObject): void {
    const supervisor = this.#supervisor
    if (!supervisor) return
    const uid = pod.metadata.uid ?? ''
    const entry: PodEntry = { pod, running: null }
    this.#pods.set(uid, entry)
    const podIp = this.#nextPodIp()
    startChild(supervisor, {
      id: uid,
      restart: 'transient',
      start: () => ({
        logic: podActorLogic,
        input: {
          pod,
          runtime: this.#options.runtime,
          report: (status, signal) => this.#report(entry, status, signal),
          hostIp: this.#options.hostIp,
          podIp,
          now: () => timestamp(),
          onRunning: (running) => {
            entry.running = running
          },
        } satisfies PodActorInput,
      }),
    })
  }

  #remove(uid: string): void {
    const entry = this.#pods.get(uid)
    if (!entry) return
    this.#pods.delete(uid)
    void entry.running?.stop()
    if (this.#supervisor) stopChild(this.#supervisor, uid)
  }

  /** Writes a pod's status, retrying until it lands, the pod is gone, or the actor stops. */
  async #report(entry: PodEntry, status: Record<string, unknown>, signal: AbortSignal): Promise<void> {
    const { namespace, name } = entry.pod.metadata
    const path = `/api/v1/namespaces/${namespace}/pods/${name}/status`
    let delayMs = retryMsMin
    while (!signal.aborted && !this.#abort.signal.aborted) {
      try {
        const response = await this.#options.api.request('PATCH', path, {
          body: JSON.stringify({ status }),
          headers: { 'content-type': 'application/merge-patch+json' },
          signal,
        })
        if (response.status === 200 || response.status === 404) return
        if (response.status < 500 && response.status !== 429)
          throw new Error(`the pod's status was refused: ${response.status} ${response.text()}`)
      } catch (error) {
        if (signal.aborted) return
        if (error instanceof Error && error.message.startsWith("the pod's status was refused")) throw error
      }
      await sleep(delayMs, undefined, { ref: false })
      delayMs = Math.min(retryMsMax, delayMs * 2)
    }
  }

  // ----------------------------------------------------------------------- fencing

  #checkFence(): void {
    const cutOffMs = Date.now() - this.#lastContactMs
    if (cutOffMs <= this.#options.fenceAfterMs()) {
      if (this.#fenced.size > 0) {
        this.#options.logger.info({ pods: this.#fenced.size }, 'in touch with the masters again')
        // Still bound here as far as this node knows: run them again (a relist stops any the
        // leader has replaced meanwhile).
        for (const uid of this.#fenced) {
          const entry = this.#pods.get(uid)
          this.#pods.delete(uid)
          if (entry) this.#startPod(entry.pod)
        }
        this.#fenced.clear()
      }
      return
    }
    for (const [uid, entry] of this.#pods) {
      if (controllerOf(entry.pod)?.kind !== 'StatefulSet' || this.#fenced.has(uid)) continue
      this.#fenced.add(uid)
      this.#options.logger.warn(
        { pod: `${entry.pod.metadata.namespace}/${entry.pod.metadata.name}`, cutOffMs },
        'cut off from the masters past the grace period: stopping this StatefulSet pod so that it never runs twice',
      )
      this.#remove(uid)
      // Kept visible as fenced, not running, until the masters answer again.
      this.#pods.set(uid, { pod: entry.pod, running: null })
    }
  }

  #nextPodIp(): string {
    const n = ++this.#podIpCount
    return `${this.#podIpBase}.${(n >> 8) & 255}.${n & 255}`
  }
}
