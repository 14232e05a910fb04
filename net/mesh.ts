// The mesh: this node's libp2p host and everything the agent does with it. It owns the members it keeps
// connected (redialed for as long as they are members), peer exchange, channels (one-way messages),
// RPC with deadlines, and the partition switch. Only this module, and the channels it opens, talk to
// libp2p's node object.

import type { Connection, Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { Channel, type ChannelHost, type ChannelOptions } from './channel.ts'
import { connectError, MeshConnectError, startError, toError } from './errors.ts'
import { type Isolation, PartitionGater } from './gater.ts'
import { createNode, streamReadBufferBytesMax, streamWindowBytesMax } from './libp2p-node.ts'
import { type Logger, silentLogger } from './logger.ts'
import { type Member, Members } from './members.ts'
import {
  PeerExchange,
  type PeerList,
  peerExchangeProtocol,
  peerExchangeQueueBytesMax,
} from './peer-exchange.ts'
import { pskToHex } from './psk.ts'
import { type CallOptions, Rpc, type RpcFrame, type RpcHandler } from './rpc.ts'

export type { Channel, ChannelOptions, ChannelStats } from './channel.ts'
export { MeshConnectError } from './errors.ts'
export type { CallOptions, RpcHandler } from './rpc.ts'
export { RpcRemoteError, RpcTimeoutError, RpcUnknownMethodError, RpcUnreachableError } from './rpc-errors.ts'

export const dialTimeoutMsDefault = 5_000
export const rpcProtocol = '/cox/rpc/1.0.0'
export const rpcQueueBytesMax = 16 * 1024 * 1024
/** Parsed peer ids kept; a cluster has far fewer, and the cache restarts empty when full. */
export const peerIdCacheMax = 4_096

export interface MeshOptions {
  readonly privateKey: PrivateKey
  /** The pre-shared key file (95 bytes, see psk.ts): only nodes holding it can connect. */
  readonly psk: Uint8Array
  /** The multiaddr to listen on, e.g. /ip4/0.0.0.0/tcp/4001 (tcp/0 picks a free port). */
  readonly listen: string
  /** The multiaddr others should dial, when it differs from what we listen on (NAT, containers). */
  readonly announce?: string
  readonly logger?: Logger
  /** How long one dial may take, for `connect` and the redial loop. */
  readonly dialTimeoutMs?: number
}

export interface PeerStatus {
  readonly id: string
  readonly addresses: string[]
  readonly connected: boolean
}

export type PeerChangeListener = (id: string, connected: boolean) => void

export class Mesh {
  readonly id: string
  /** The libp2p node, for diagnostics and tests; the mesh's methods are the supported surface. */
  readonly libp2p: Libp2p
  readonly #logger: Logger
  readonly #gater: PartitionGater
  readonly #dialTimeoutMs: number
  readonly #members: Members
  readonly #listeners = new Set<PeerChangeListener>()
  readonly #channels = new Map<string, Channel<unknown>>()
  readonly #peerIds = new Map<string, PeerId>()
  readonly #exchange: PeerExchange
  readonly #rpc: Rpc
  readonly #rpcChannel: Channel<RpcFrame>
  #stopped = false

  static async start(options: MeshOptions): Promise<Mesh> {
    pskToHex(options.psk) // throws a clear error on anything but a key file
    const gater = new PartitionGater()
    const dialTimeoutMs = options.dialTimeoutMs ?? dialTimeoutMsDefault
    let libp2p: Libp2p
    try {
      libp2p = await createNode({ ...options, gater: gater.hooks(), dialTimeoutMs })
    } catch (error) {
      throw startError(options.listen, error)
    }
    return new Mesh(libp2p, gater, dialTimeoutMs, options.logger ?? silentLogger)
  }

  private constructor(libp2p: Libp2p, gater: PartitionGater, dialTimeoutMs: number, logger: Logger) {
    this.libp2p = libp2p
    this.id = libp2p.peerId.toString()
    this.#gater = gater
    this.#dialTimeoutMs = dialTimeoutMs
    this.#logger = logger
    this.#members = new Members({
      selfId: this.id,
      dial: async (addresses, signal) => {
        await libp2p.dial(
          addresses.map((address) => multiaddr(address)),
          { signal },
        )
      },
      isConnected: (id) => this.isConnected(id),
      blocks: (id) => gater.blocks(id),
      dialTimeoutMs,
      logger,
    })
    this.#watchConnections()

    const exchangeChannel = this.channel<PeerList>(peerExchangeProtocol, {
      onMessage: (from, list) => this.#exchange.receive(from, list),
      queueBytesMax: peerExchangeQueueBytesMax,
    })
    this.#exchange = new PeerExchange({
      send: (to, list) => exchangeChannel.send(to, list),
      self: () => ({ id: this.id, addresses: this.addresses() }),
      members: () => this.#members.list(),
      connectedPeers: () =>
        this.#members
          .list()
          .map((member) => member.id)
          .filter((id) => this.isConnected(id)),
      learn: (member) => this.#learn(member),
      logger,
    })
    this.#rpcChannel = this.channel<RpcFrame>(rpcProtocol, {
      onMessage: (from, frame) => this.#rpc.receive(from, frame),
      queueBytesMax: rpcQueueBytesMax,
    })
    this.#rpc = new Rpc({
      send: (to, frame) => this.#rpcChannel.send(to, frame),
      isConnected: (id) => this.isConnected(id),
      logger,
    })
  }

  /** Our multiaddrs, each ending in /p2p/<id>. */
  addresses(): string[] {
    return this.libp2p.getMultiaddrs().map((address) => address.toString())
  }

  /**
   * Dials `address` (a multiaddr, normally ending in /p2p/<id>) and resolves with the remote's id.
   * Rejects with a `MeshConnectError` whose message says what went wrong and what it likely means.
   */
  async connect(
    address: string,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<string> {
    if (this.#stopped) throw new MeshConnectError(address, 'stopped', 'the mesh is stopped')
    let target: ReturnType<typeof multiaddr>
    try {
      target = multiaddr(address)
    } catch (error) {
      throw connectError(address, Object.assign(toError(error), { name: 'InvalidMultiaddrError' }), false)
    }
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.#dialTimeoutMs)
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout
    try {
      const connection = await this.libp2p.dial(target, { signal })
      return connection.remotePeer.toString()
    } catch (error) {
      if (options.signal?.aborted) throw toError(options.signal.reason)
      throw connectError(address, error, timeout.aborted)
    }
  }

  /**
   * Makes `id` a member: the mesh keeps a connection to it, redialing with backoff (capped at
   * `redialBackoffMsMax`) for as long as it stays added. Adding again merges addresses.
   * Throws on an id that is not a libp2p peer id.
   */
  addPeer(id: string, addresses: readonly string[]): void {
    this.#learn({ id, addresses })
  }

  /** Stops redialing `id`. An open connection stays until either side closes it. */
  removePeer(id: string): void {
    this.#members.remove(id)
  }

  peers(): PeerStatus[] {
    return this.#members
      .list()
      .map(({ id, addresses }) => ({ id, addresses: [...addresses], connected: this.isConnected(id) }))
  }

  isConnected(id: string): boolean {
    const peerId = this.#peerId(id)
    if (peerId === undefined) return false
    return this.libp2p.getConnections(peerId).some((connection) => connection.status === 'open')
  }

  /** Calls `listener` whenever a peer connects (its first connection) or disconnects (its last). */
  onPeerChange(listener: PeerChangeListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Opens a channel for `protocol`; messages from any peer go to `options.onMessage`. One per protocol. */
  channel<T>(protocol: string, options: ChannelOptions<T>): Channel<T> {
    if (this.#stopped) throw new Error('the mesh is stopped')
    if (this.#channels.has(protocol)) throw new Error(`a channel for ${protocol} is already open`)
    const channel = new Channel<T>(this.#channelHost(), protocol, options)
    this.#channels.set(protocol, channel as Channel<unknown>)
    return channel
  }

  /** Serves `method`; the handler's result (or the error it throws) is the caller's answer. */
  handle(method: string, handler: RpcHandler): void {
    this.#rpc.handle(method, handler)
  }

  /**
   * Calls `method` on `to`. Rejects with RpcTimeoutError, RpcUnreachableError, RpcRemoteError or
   * RpcUnknownMethodError (see rpc-errors.ts), or the signal's reason when `options.signal` aborts.
   */
  call<R>(to: string, method: string, request: unknown, options?: CallOptions): Promise<R> {
    return this.#rpc.call<R>(to, method, request, options)
  }

  /**
   * The partition switch. `true` cuts this node off from everyone, a list of peer ids cuts only those,
   * `false` heals. Cutting closes the affected connections at once, and neither side can open a new one
   * until healed; healing redials every member.
   */
  async isolate(blocked: Isolation): Promise<void> {
    this.#gater.set(blocked)
    this.#logger.info({ isolation: this.#gater.get() }, 'partition switch set')
    for (const connection of this.libp2p.getConnections()) this.#closeIfBlocked(connection)
    this.#members.wake()
  }

  isolated(): boolean | string[] {
    return this.#gater.get()
  }

  /** Closes every connection and channel; waiting calls reject with RpcUnreachableError. */
  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    this.#members.stop()
    this.#rpc.close()
    await Promise.all([...this.#channels.values()].map((channel) => channel.close()))
    await this.libp2p.stop()
    this.#listeners.clear()
  }

  #learn(member: Member): boolean {
    if (this.#stopped || member.id === this.id) return false
    if (this.#peerId(member.id) === undefined) {
      throw new Error(`${JSON.stringify(member.id)} is not a peer id`)
    }
    const added = this.#members.add(member.id, member.addresses)
    if (added) {
      this.#logger.info({ peer: member.id, addresses: member.addresses }, 'member added')
      this.#exchange.announce()
    }
    return added
  }

  #watchConnections(): void {
    this.libp2p.addEventListener('connection:open', (event) => this.#closeIfBlocked(event.detail))
    this.libp2p.addEventListener('peer:connect', (event) => {
      const id = event.detail.toString()
      this.#members.connected(id)
      this.#notify(id, true)
      this.#exchange.greet(id)
    })
    this.libp2p.addEventListener('peer:disconnect', (event) => {
      const id = event.detail.toString()
      this.#members.disconnected(id)
      this.#rpc.peerDisconnected(id)
      this.#notify(id, false)
    })
  }

  /** A connection that raced the partition switch (its handshake passed the gater before it was set). */
  #closeIfBlocked(connection: Connection): void {
    const peer = connection.remotePeer.toString()
    if (!this.#gater.blocks(peer)) return
    this.#logger.debug({ peer }, 'closing a connection cut by the partition switch')
    connection.abort(new Error('cut by the partition switch'))
  }

  #notify(id: string, connected: boolean): void {
    for (const listener of this.#listeners) {
      try {
        listener(id, connected)
      } catch (error) {
        this.#logger.error({ err: error, peer: id }, 'peer change listener threw')
      }
    }
  }

  #channelHost(): ChannelHost {
    return {
      libp2p: this.libp2p,
      logger: this.#logger,
      // A stream hands over what arrived since the last event: at most its window, or the read
      // buffer libp2p fills while no reader is attached.
      streamChunkBytesMax: Math.max(streamWindowBytesMax, streamReadBufferBytesMax),
      blocks: (id) => this.#gater.blocks(id),
      connectionTo: (id) => this.#connectionTo(id),
      onPeerChange: (listener) => this.onPeerChange(listener),
    }
  }

  #connectionTo(id: string): Connection | undefined {
    const peerId = this.#peerId(id)
    if (peerId === undefined) return undefined
    let newest: Connection | undefined
    for (const connection of this.libp2p.getConnections(peerId)) {
      if (connection.status !== 'open') continue
      if (newest === undefined || connection.timeline.open > newest.timeline.open) newest = connection
    }
    return newest
  }

  /** Parsed peer ids, cached: parsing costs a multihash decode and this runs per message. */
  #peerId(id: string): PeerId | undefined {
    let peerId = this.#peerIds.get(id)
    if (peerId === undefined) {
      try {
        peerId = peerIdFromString(id)
      } catch {
        return undefined
      }
      if (this.#peerIds.size >= peerIdCacheMax) this.#peerIds.clear()
      this.#peerIds.set(id, peerId)
    }
    return peerId
  }
}
