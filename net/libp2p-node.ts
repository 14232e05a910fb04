// The libp2p host under the mesh: TCP, the pnet private network (pre-shared key), Noise, yamux,
// identify and ping, a connection gater, and the settings that differ from libp2p's defaults, each
// with its reason. Nothing else in net/ configures libp2p.

import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { ConnectionGater, Libp2p, PrivateKey } from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
// For its effect: the private network's cipher is fed in pieces it can always take.
import './xsalsa20-pieces.ts'

/**
 * The most one yamux stream may have in flight (libp2p's default: 16 MiB). Everything in flight on a
 * bulk stream sits in the shared TCP connection ahead of the next Raft heartbeat on the control
 * stream; 2 MiB drains in tens of milliseconds on a LAN and still fills a 1 ms-RTT link at 2 GB/s.
 */
export const streamWindowBytesMax = 2 * 1024 * 1024
/** libp2p buffers up to this much for a stream whose reader is paused or not yet attached. */
export const streamReadBufferBytesMax = 4 * 1024 * 1024
/**
 * New inbound connections accepted per second from one IP address (libp2p's default: 5). Several
 * nodes on one host, reconnecting after a partition heals, easily exceed 5 a second; the pre-shared
 * key already turns strangers away during the handshake.
 */
export const inboundConnectionsPerHostPerSecondMax = 100
export const inboundConnectionsPendingMax = 64
/** How often the connection monitor pings each connection (libp2p's default). */
export const pingIntervalMs = 10_000
/**
 * A ping slower than this aborts the connection (libp2p's default floor: 5 s). A healthy connection
 * carrying bulk data can delay a ping by seconds (measured: a firehose without flow control lost its
 * connection at about 15 s), and aborting it would drop every stream on it, so the floor is 20 s. A
 * connection whose peer vanished silently (no RST) is still dropped eventually, and then redialed.
 */
export const pingTimeoutMsMin = 20_000
export const pingTimeoutMsMax = 60_000

export interface NodeInit {
  readonly privateKey: PrivateKey
  readonly psk: Uint8Array
  readonly listen: string
  readonly announce?: string
  readonly gater: ConnectionGater
  readonly dialTimeoutMs: number
}

export async function createNode(init: NodeInit): Promise<Libp2p> {
  return createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen: [init.listen], ...(init.announce ? { announce: [init.announce] } : {}) },
    transports: [tcp()],
    connectionProtector: preSharedKey({ psk: init.psk }),
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ streamOptions: { maxStreamWindowSize: streamWindowBytesMax } })],
    connectionGater: init.gater,
    connectionManager: {
      dialTimeout: init.dialTimeoutMs,
      inboundConnectionThreshold: inboundConnectionsPerHostPerSecondMax,
      maxIncomingPendingConnections: inboundConnectionsPendingMax,
    },
    connectionMonitor: {
      pingInterval: pingIntervalMs,
      pingTimeout: { minTimeout: pingTimeoutMsMin, maxTimeout: pingTimeoutMsMax },
    },
    services: { identify: identify(), ping: ping() },
  })
}
