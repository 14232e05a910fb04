// Bad input never harms a cluster: a malformed token or one for another cluster is refused with a
// clear message and exit code 1, wrong or missing API tokens get 401 Status objects, and the
// key-value endpoint answers malformed requests with 4xx Status objects and writes nothing.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ProcessCluster, waitFor } from '../../chaos/real/process-cluster.ts'
import { ApiClient } from '../../node/api-client.ts'
import { decodeJoinToken, encodeJoinToken } from '../../node/token.ts'

let cluster: ProcessCluster

test.before(async () => {
  cluster = await ProcessCluster.create()
  await cluster.bootstrap('n1')
})

test.after(async () => {
  await cluster.destroy()
})

test('a malformed join token is refused with a clear message', async () => {
  const agent = cluster.spawnRaw('bad-token', [
    '--name',
    'bad-token',
    '--join',
    'cox1.!!!',
    '--listen',
    '/ip4/127.0.0.1/tcp/0',
    '--api',
    '127.0.0.1:0',
  ])
  const code = await agent.exited
  assert.is(code, 1)
  const log = cluster.logTail('bad-token')
  assert.match(log, /the join token is not valid/)
  assert.match(log, /cox token join/)
})

test('a token with the wrong key cannot enter the mesh, and says so', async () => {
  const real = decodeJoinToken(cluster.token)
  const wrongKey = encodeJoinToken({ ...real, pskHex: 'ab'.repeat(32) })
  const agent = cluster.spawnRaw('wrong-key', [
    '--name',
    'wrong-key',
    '--join',
    wrongKey,
    '--listen',
    '/ip4/127.0.0.1/tcp/0',
    '--api',
    '127.0.0.1:0',
  ])
  const code = await agent.exited
  assert.is(code, 1)
  assert.match(cluster.logTail('wrong-key'), /could not join/)
  // The cluster is unharmed.
  assert.is((await cluster.request('n1', 'GET', '/readyz')).status, 200)
})

test('a wrong or missing API token gets 401, a Status object, and writes nothing', async () => {
  const config = await cluster.config('n1')
  const good = await cluster.client('n1')
  for (const token of [null, 'not-the-token']) {
    const client = new ApiClient({
      server: `https://${config.apiAdvertise}`,
      caPem: null,
      insecure: true,
      token,
    })
    const response = await client.request('PUT', '/cox/v1/kv/intruder', { body: 'x' })
    client.close()
    assert.is(response.status, 401)
    const status = response.json<{ kind: string; code: number; reason: string }>()
    assert.is(status.kind, 'Status')
    assert.is(status.reason, 'Unauthorized')
  }
  assert.is((await good.request('GET', '/cox/v1/kv/intruder')).status, 404)
  good.close()
})

test('the key-value endpoint: compare-and-set, create-only, bad preconditions, oversized values', async () => {
  const client = await cluster.client('n1')
  try {
    const created = await client.request('PUT', '/cox/v1/kv/k', { body: 'one' })
    assert.is(created.status, 201)
    const version = created.headers.etag!
    assert.match(version, /^"\d+"$/)
    assert.is(
      (await client.request('PUT', '/cox/v1/kv/k', { body: 'x', headers: { 'if-none-match': '*' } })).status,
      412,
    )
    const stale = await client.request('PUT', '/cox/v1/kv/k', { body: 'x', headers: { 'if-match': '"1"' } })
    assert.is(stale.status, 412)
    assert.is(stale.json<{ reason: string }>().reason, 'PreconditionFailed')
    const swapped = await client.request('PUT', '/cox/v1/kv/k', {
      body: 'two',
      headers: { 'if-match': version },
    })
    assert.is(swapped.status, 200)
    const read = await client.request('GET', '/cox/v1/kv/k')
    assert.is(read.text(), 'two')
    assert.is(read.headers.etag, swapped.headers.etag)
    assert.is(
      (await client.request('PUT', '/cox/v1/kv/k', { body: 'x', headers: { 'if-match': 'garbage' } })).status,
      400,
    )
    const huge = await client.request('PUT', '/cox/v1/kv/huge', { body: new Uint8Array(2 * 1024 * 1024) })
    assert.is(huge.status, 413)
    assert.is((await client.request('GET', '/cox/v1/kv/huge')).status, 404, 'nothing written')
    assert.is(
      (await client.request('DELETE', '/cox/v1/kv/k', { headers: { 'if-match': '"1"' } })).status,
      412,
    )
    assert.is((await client.request('DELETE', '/cox/v1/kv/k')).status, 200)
    assert.is((await client.request('DELETE', '/cox/v1/kv/k')).status, 404)
    const unknown = await client.request('GET', '/cox/v1/nope')
    assert.is(unknown.status, 404)
    assert.is(unknown.json<{ kind: string }>().kind, 'Status')
    const badConfig = await client.request('PUT', '/cox/v1/cluster/config', { body: { voters: 2 } })
    assert.is(badConfig.status, 422)
    assert.match(badConfig.text(), /voters must be one of/)
  } finally {
    client.close()
  }
  await waitFor(
    'the node to keep serving',
    5_000,
    async () => (await cluster.request('n1', 'GET', '/healthz')).status === 200,
  )
})

test.run()
