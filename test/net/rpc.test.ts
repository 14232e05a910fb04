// RPC over the mesh (net/rpc.ts through net/mesh.ts): round trips, pipelining on one stream per peer,
// deadlines, remote errors that keep their code and details, unknown methods, unreachable peers, and
// a stop that fails waiting calls.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  type Mesh,
  RpcRemoteError,
  RpcTimeoutError,
  RpcUnknownMethodError,
  RpcUnreachableError,
  rpcProtocol,
} from '../../net/mesh.ts'
import { bounded, link, rejection, startMesh, startMeshes, stopAll, until } from './helpers.ts'

const test = suite('rpc')
let client: Mesh
let server: Mesh

test.before(async () => {
  ;[client, server] = (await startMeshes(2)) as [Mesh, Mesh]
  await link(client, server)
  server.handle('echo', async (from, request) => ({ from, request }))
  server.handle('sleep', async (_from, request, signal) => {
    await new Promise((resolve) => setTimeout(resolve, (request as { ms: number }).ms))
    return { aborted: signal.aborted }
  })
  server.handle('fail', async () => {
    throw Object.assign(new Error('not the leader; try n2'), {
      code: 'ERR_NOT_LEADER',
      details: { leader: 'n2', term: 7 },
    })
  })
})

test.after(async () => stopAll([client, server]))

test(
  'a call round-trips its request and the handler learns the authenticated caller',
  bounded(async () => {
    const bytes = new Uint8Array([1, 2, 3])
    const reply = await client.call<{ from: string; request: { n: number; bytes: Uint8Array } }>(
      server.id,
      'echo',
      { n: 1, bytes },
    )
    assert.is(reply.from, client.id)
    assert.is(reply.request.n, 1)
    assert.instance(reply.request.bytes, Uint8Array)
    assert.equal([...reply.request.bytes], [1, 2, 3])
  }),
)

test(
  'concurrent calls pipeline over one stream per direction and each gets its own answer',
  bounded(async () => {
    const count = 2_000
    const replies = await Promise.all(
      Array.from({ length: count }, (_, i) => client.call<{ request: number }>(server.id, 'echo', i)),
    )
    assert.equal(
      replies.map((reply) => reply.request),
      Array.from({ length: count }, (_, i) => i),
    )
    const outbound = client.libp2p
      .getConnections()
      .flatMap((connection) => connection.streams)
      .filter((stream) => stream.protocol === rpcProtocol && stream.direction === 'outbound')
    assert.is(outbound.length, 1, 'one RPC stream from client to server, not one per request')
  }),
)

test(
  'a call past its deadline rejects with RpcTimeoutError and the handler sees its signal abort',
  bounded(async () => {
    let seen: AbortSignal | undefined
    server.handle('hang', async (_from, _request, signal) => {
      seen = signal
      await new Promise((resolve) => signal.addEventListener('abort', resolve))
      return 'late'
    })
    const startMs = performance.now()
    const error = await rejection(client.call(server.id, 'hang', null, { timeoutMs: 200 }))
    const elapsedMs = performance.now() - startMs
    assert.instance(error, RpcTimeoutError)
    assert.is((error as RpcTimeoutError).code, 'ERR_RPC_TIMEOUT')
    assert.ok(elapsedMs >= 190 && elapsedMs < 1_000, `rejected after ${elapsedMs} ms`)
    await until(() => seen?.aborted === true, 'the handler signal to abort at the deadline')
  }),
)

test(
  'an error thrown by the handler arrives with its message, code and details',
  bounded(async () => {
    const error = await rejection(client.call(server.id, 'fail', {}))
    assert.instance(error, RpcRemoteError)
    const remote = error as RpcRemoteError
    assert.is(remote.message, 'not the leader; try n2')
    assert.is(remote.code, 'ERR_NOT_LEADER')
    assert.equal(remote.details, { leader: 'n2', term: 7 })
    assert.is(remote.peer, server.id)
    assert.is(remote.method, 'fail')
  }),
)

test(
  'an error without a code gets ERR_RPC_REMOTE',
  bounded(async () => {
    server.handle('plain', async () => {
      throw new TypeError('bad input')
    })
    const error = (await rejection(client.call(server.id, 'plain', {}))) as RpcRemoteError
    assert.instance(error, RpcRemoteError)
    assert.is(error.code, 'ERR_RPC_REMOTE')
    assert.is(error.remoteName, 'TypeError')
    assert.is(error.details, undefined)
  }),
)

test(
  'an unknown method gets RpcUnknownMethodError and the server keeps serving',
  bounded(async () => {
    const error = await rejection(client.call(server.id, 'nope', {}))
    assert.instance(error, RpcUnknownMethodError)
    assert.is((error as RpcUnknownMethodError).code, 'ERR_RPC_UNKNOWN_METHOD')
    assert.equal(await client.call(server.id, 'echo', 'still here'), {
      from: client.id,
      request: 'still here',
    })
  }),
)

test(
  'a call to a peer without a connection fails at once with RpcUnreachableError, nothing sent',
  bounded(async () => {
    const stranger = await startMesh()
    try {
      const startMs = performance.now()
      const error = await rejection(client.call(stranger.id, 'echo', {}, { timeoutMs: 5_000 }))
      assert.instance(error, RpcUnreachableError)
      assert.is((error as RpcUnreachableError).maybeDelivered, false)
      assert.ok(performance.now() - startMs < 100, 'failed fast, not at the deadline')
    } finally {
      await stranger.stop()
    }
  }),
)

test(
  'a caller abort signal rejects the call with its reason',
  bounded(async () => {
    const controller = new AbortController()
    const failure = rejection(client.call(server.id, 'sleep', { ms: 2_000 }, { signal: controller.signal }))
    controller.abort(new Error('caller gave up'))
    const error = await failure
    assert.is(error.message, 'caller gave up')
  }),
)

test(
  'calls waiting on a peer that goes away fail with RpcUnreachableError before their deadline',
  bounded(async () => {
    const other = await startMesh()
    other.handle('sleep', async () => new Promise(() => {}))
    await link(client, other)
    const failure = rejection(client.call(other.id, 'sleep', {}, { timeoutMs: 8_000 }))
    await new Promise((resolve) => setTimeout(resolve, 50)) // let the request leave
    await other.stop()
    const error = await failure
    assert.instance(error, RpcUnreachableError)
    assert.is((error as RpcUnreachableError).maybeDelivered, true)
  }),
)

test(
  'stop rejects waiting calls with RpcUnreachableError',
  bounded(async () => {
    const [caller, callee] = (await startMeshes(2)) as [Mesh, Mesh]
    callee.handle('sleep', async () => new Promise(() => {}))
    await link(caller, callee)
    const failure = rejection(caller.call(callee.id, 'sleep', {}, { timeoutMs: 8_000 }))
    await caller.stop()
    assert.instance(await failure, RpcUnreachableError)
    await callee.stop()
  }),
)

test.run()
