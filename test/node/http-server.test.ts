// The HTTPS server toolkit over real TLS on 127.0.0.1: routing and parameters, the rights check,
// body limits, and every error path answering with a Kubernetes Status object while the server goes
// on serving.

import { request as httpsRequest } from 'node:https'
import { Writable } from 'node:stream'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { ApiClient, type ApiResponse } from '../../node/api-client.ts'
import { type CertificateAndKey, createClusterCa, issueServerCert } from '../../node/certs.ts'
import {
  HttpError,
  HttpServer,
  type HttpServerOptions,
  type Principal,
  type RequestObservation,
  StatusReason,
  statusBody,
} from '../../node/http-server.ts'
import { createLogger } from '../../node/logger.ts'

const adminToken = 'admin-token'
const readToken = 'read-token'
const tokens: Record<string, Principal> = { [adminToken]: 'admin', [readToken]: 'read' }

interface Started {
  server: HttpServer
  url: string
  port: number
  admin: ApiClient
  clients: ApiClient[]
  client(token: string | null): ApiClient
  logLines(): Record<string, unknown>[]
}

interface Context {
  ca: CertificateAndKey
  cert: CertificateAndKey
  started: Started[]
}

const test = suite<Context>('node: http server')

test.before(async (context) => {
  context.ca = await createClusterCa({ clusterId: 'http-server-test' })
  context.cert = await issueServerCert(context.ca, { commonName: 'test', ipAddresses: [], dnsNames: [] })
})

test.before.each((context) => {
  context.started = []
})

test.after.each(async (context) => {
  for (const started of context.started) {
    for (const client of started.clients) client.close()
    await started.server.close()
  }
})

async function start(
  context: Context,
  register: (server: HttpServer) => void,
  options: Partial<HttpServerOptions> = {},
): Promise<Started> {
  const chunks: string[] = []
  const destination = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk))
      done()
    },
  })
  const server = new HttpServer({
    cert: context.cert.certPem,
    key: context.cert.keyPem,
    host: '127.0.0.1',
    port: 0,
    logger: createLogger({ name: 'http-test', level: 'debug', destination }),
    authenticate: (token) => (token === null ? null : (tokens[token] ?? null)),
    ...options,
  })
  register(server)
  const { port } = await server.listen()
  const url = `https://127.0.0.1:${port}`
  const clients: ApiClient[] = []
  const client = (token: string | null) => {
    const made = new ApiClient({ server: url, caPem: context.ca.certPem, token })
    clients.push(made)
    return made
  }
  const logLines = () =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
  const started = { server, url, port, admin: client(adminToken), clients, client, logLines }
  context.started.push(started)
  return started
}

function assertStatus(response: ApiResponse, code: number, reason: string): Record<string, unknown> {
  assert.is(response.status, code, response.text())
  assert.is(response.headers['content-type'], 'application/json')
  const body = response.json<Record<string, unknown>>()
  assert.is(body.kind, 'Status')
  assert.is(body.apiVersion, 'v1')
  assert.equal(body.metadata, {})
  assert.is(body.status, 'Failure')
  assert.is(body.code, code)
  assert.is(body.reason, reason)
  assert.type(body.message, 'string')
  assert.ok((body.message as string).length > 0)
  return body
}

const echo = (server: HttpServer) => {
  server.route('GET', '/cox/v1/kv/*key', (ctx) =>
    ctx.send(200, { key: ctx.params.key, limit: ctx.query.get('limit') }),
  )
  server.route('GET', '/cox/v1/members/:name', (ctx) => ctx.send(200, { member: ctx.params.name }))
  server.route('GET', '/cox/v1/members/self', (ctx) => ctx.send(200, { self: true }))
  server.route('GET', '/cox/v1/members/:name/status', (ctx) => ctx.send(200, { status: ctx.params.name }))
}

test('routes match by pattern, decode parameters and the query, the most specific first', async (context) => {
  const { admin } = await start(context, echo)

  const key = await admin.request('GET', '/cox/v1/kv/a/b%2Fc%20d?limit=5')
  const member = await admin.request('GET', '/cox/v1/members/node-2')
  const self = await admin.request('GET', '/cox/v1/members/self')
  const status = await admin.request('GET', '/cox/v1/members/node-3/status')

  assert.equal(key.json(), { key: 'a/b/c d', limit: '5' })
  assert.equal(member.json(), { member: 'node-2' })
  assert.equal(self.json(), { self: true })
  assert.equal(status.json(), { status: 'node-3' })
})

test('JSON in, JSON out; bytes and text keep their content types', async (context) => {
  const { admin } = await start(context, (server) => {
    server.route('POST', '/echo', async (ctx) => ctx.send(201, { got: await ctx.json<{ n: number }>() }))
    server.route('PUT', '/bytes', async (ctx) => ctx.send(200, await ctx.body(), { etag: '"7"' }))
    server.route('GET', '/text', (ctx) => ctx.send(200, 'ok'))
  })

  const created = await admin.request('POST', '/echo', { body: { n: 1 } })
  const bytes = await admin.request('PUT', '/bytes', { body: new Uint8Array([0, 1, 255]) })
  const text = await admin.request('GET', '/text')

  assert.is(created.status, 201)
  assert.equal(created.json(), { got: { n: 1 } })
  assert.equal([...bytes.body], [0, 1, 255])
  assert.is(bytes.headers['content-type'], 'application/octet-stream')
  assert.is(bytes.headers.etag, '"7"')
  assert.equal([text.text(), text.headers['content-type']], ['ok', 'text/plain; charset=utf-8'])
})

test('an unknown path is a 404 Status', async (context) => {
  const { admin } = await start(context, echo)

  assertStatus(await admin.request('GET', '/nowhere'), 404, StatusReason.NotFound)
  assertStatus(await admin.request('GET', '/cox/v1/kv/'), 404, StatusReason.NotFound)
})

test('a known path with another method is a 405 Status with Allow', async (context) => {
  const { admin } = await start(context, echo)

  const response = await admin.request('DELETE', '/cox/v1/members/node-1')

  assertStatus(response, 405, StatusReason.MethodNotAllowed)
  assert.is(response.headers.allow, 'GET')
})

test('no token or an unknown one is a 401 Status; a read token on an admin route a 403', async (context) => {
  const started = await start(context, (server) => {
    server.route('PUT', '/admin', (ctx) => ctx.send(200, { principal: ctx.principal }))
    server.route('GET', '/read', (ctx) => ctx.send(200, { principal: ctx.principal }), { auth: 'read' })
    server.route('GET', '/healthz', (ctx) => ctx.send(200, 'ok'), { auth: 'none' })
  })
  const anonymous = started.client(null)
  const stranger = started.client('who-knows')
  const reader = started.client(readToken)

  const unauthorized = await anonymous.request('GET', '/read')
  assertStatus(unauthorized, 401, StatusReason.Unauthorized)
  assert.is(unauthorized.headers['www-authenticate'], 'Bearer')
  assertStatus(await stranger.request('PUT', '/admin'), 401, StatusReason.Unauthorized)
  assertStatus(await reader.request('PUT', '/admin'), 403, StatusReason.Forbidden)
  assert.equal((await reader.request('GET', '/read')).json(), { principal: 'read' })
  assert.equal((await started.admin.request('GET', '/read')).json(), { principal: 'admin' })
  assert.equal((await started.admin.request('PUT', '/admin')).json(), { principal: 'admin' })
  assert.is((await anonymous.request('GET', '/healthz')).text(), 'ok')
})

test('a route registered without auth options needs an admin token', async (context) => {
  const started = await start(context, (server) =>
    server.route('GET', '/default', (ctx) => ctx.send(200, 'ok')),
  )

  assertStatus(await started.client(readToken).request('GET', '/default'), 403, StatusReason.Forbidden)
})

test('a body over the limit is a 413 Status, declared or chunked', async (context) => {
  let handled = 0
  const started = await start(
    context,
    (server) =>
      server.route('PUT', '/put', async (ctx) => {
        handled++
        ctx.send(200, { bytes: (await ctx.body()).byteLength })
      }),
    { bodyBytesMax: 1024 },
  )

  const fits = await started.admin.request('PUT', '/put', { body: new Uint8Array(1024) })
  const declared = await started.admin.request('PUT', '/put', { body: new Uint8Array(1025) })
  const chunked = await chunkedPut(started, [new Uint8Array(600), new Uint8Array(600)])

  assert.equal(fits.json(), { bytes: 1024 })
  assertStatus(declared, 413, StatusReason.RequestEntityTooLarge)
  assert.is(chunked.status, 413)
  assert.is(chunked.body.reason, StatusReason.RequestEntityTooLarge)
  assert.is(handled, 3)
  assert.equal((await started.admin.request('PUT', '/put', { body: 'still serving' })).json(), { bytes: 13 })
})

/** A PUT without Content-Length, sent in chunks. */
function chunkedPut(
  started: Started,
  chunks: Uint8Array[],
): Promise<{ status: number; body: Record<string, unknown> }> {
  const { promise, resolve, reject } = Promise.withResolvers<{
    status: number
    body: Record<string, unknown>
  }>()
  const req = httpsRequest(
    {
      host: '127.0.0.1',
      port: started.port,
      method: 'PUT',
      path: '/put',
      rejectUnauthorized: false,
      agent: false,
      headers: { authorization: `Bearer ${adminToken}`, 'transfer-encoding': 'chunked' },
    },
    (res) => {
      const parts: Buffer[] = []
      res.on('data', (part: Buffer) => parts.push(part))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString()) }),
      )
    },
  )
  req.on('error', reject)
  for (const chunk of chunks) req.write(chunk)
  req.end()
  return promise
}

test('malformed or empty JSON is a 400 Status', async (context) => {
  const { admin } = await start(context, (server) =>
    server.route('POST', '/json', async (ctx) => ctx.send(200, await ctx.json())),
  )

  const malformed = assertStatus(
    await admin.request('POST', '/json', { body: '{"a":', headers: { 'content-type': 'application/json' } }),
    400,
    StatusReason.BadRequest,
  )
  assertStatus(await admin.request('POST', '/json'), 400, StatusReason.BadRequest)
  assert.match(String(malformed.message), 'not valid JSON')
})

test('a throwing handler is a 500 Status, logged with its stack, and the server goes on', async (context) => {
  const started = await start(context, (server) => {
    server.route('GET', '/boom', () => {
      throw new Error('the disk is on fire')
    })
    server.route('GET', '/silent', () => {})
    server.route('GET', '/ok', (ctx) => ctx.send(200, 'ok'))
  })

  const boom = assertStatus(await started.admin.request('GET', '/boom'), 500, StatusReason.InternalError)
  const silent = await started.admin.request('GET', '/silent')
  const ok = await started.admin.request('GET', '/ok')

  assert.match(String(boom.message), 'the disk is on fire')
  assertStatus(silent, 500, StatusReason.InternalError)
  assert.is(ok.text(), 'ok')
  const logged = started.logLines().find((line) => line.msg === 'request handler failed')
  assert.match(String((logged?.err as { stack?: string })?.stack), 'the disk is on fire')
})

test('an HttpError becomes its status, reason and details; Retry-After from the details', async (context) => {
  const { admin } = await start(context, (server) => {
    server.route('PUT', '/cas', () => {
      throw new HttpError(412, StatusReason.PreconditionFailed, 'version 7 is not 6', { name: 'k' })
    })
    server.route('GET', '/busy', () => {
      throw new HttpError(503, StatusReason.ServiceUnavailable, 'no leader yet', { retryAfterSeconds: 2 })
    })
  })

  const cas = assertStatus(await admin.request('PUT', '/cas'), 412, StatusReason.PreconditionFailed)
  const busy = await admin.request('GET', '/busy')

  assert.equal(cas, statusBody(412, 'PreconditionFailed', 'version 7 is not 6', { name: 'k' }))
  assertStatus(busy, 503, StatusReason.ServiceUnavailable)
  assert.is(busy.headers['retry-after'], '2')
})

test('past the request-rate limit, 429 with Retry-After', async (context) => {
  const { admin } = await start(
    context,
    (server) => server.route('GET', '/ok', (ctx) => ctx.send(200, 'ok')),
    {
      requestsPerSecond: 0.5,
      requestBurst: 2,
    },
  )

  const statuses = []
  for (let i = 0; i < 3; i++) statuses.push(await admin.request('GET', '/ok'))

  assert.equal(
    statuses.map((response) => response.status),
    [200, 200, 429],
  )
  assertStatus(statuses[2]!, 429, StatusReason.TooManyRequests)
  assert.is(statuses[2]!.headers['retry-after'], '2')
})

test('each request is logged at debug and observed with its route pattern', async (context) => {
  const observations: RequestObservation[] = []
  const started = await start(context, echo, {
    observeRequest: (observation) => observations.push(observation),
  })

  await started.admin.request('GET', '/cox/v1/members/node-1')
  await started.admin.request('GET', '/missing')

  const lines = started.logLines().filter((line) => line.msg === 'request')
  assert.equal(
    lines.map((line) => [line.level, line.method, line.path, line.status]),
    [
      ['debug', 'GET', '/cox/v1/members/node-1', 200],
      ['debug', 'GET', '/missing', 404],
    ],
  )
  assert.type(lines[0]!.ms, 'number')
  assert.equal(
    observations.map((o) => [o.method, o.route, o.code]),
    [
      ['GET', '/cox/v1/members/:name', 200],
      ['GET', 'unmatched', 404],
    ],
  )
})

test('a client that leaves halfway through its body is a 499 at debug, not an error', async (context) => {
  const left = Promise.withResolvers<RequestObservation>()
  const started = await start(
    context,
    (server) =>
      server.route('PUT', '/put', async (ctx) => ctx.send(200, { bytes: (await ctx.body()).byteLength })),
    { observeRequest: (observation) => left.resolve(observation) },
  )
  const req = httpsRequest({
    host: '127.0.0.1',
    port: started.port,
    method: 'PUT',
    path: '/put',
    rejectUnauthorized: false,
    agent: false,
    headers: { authorization: `Bearer ${adminToken}`, 'content-length': '100' },
  })
  req.on('error', () => {}) // the hang-up this test causes
  req.write('only ten b', () => req.destroy())

  const observation = await left.promise
  const after = await started.admin.request('PUT', '/put', { body: 'x' })

  assert.equal([observation.route, observation.code], ['/put', 499])
  assert.equal(after.json(), { bytes: 1 })
  assert.not.ok(started.logLines().some((line) => line.level === 'error'))
})

test('HEAD is answered by the GET route, without a body', async (context) => {
  const { admin } = await start(context, echo)

  const head = await admin.request('HEAD', '/cox/v1/members/node-1')

  assert.is(head.status, 200)
  assert.is(head.body.byteLength, 0)
})

test('close() closes kept-alive connections at once and stops serving', async (context) => {
  const started = await start(context, echo, { closeGraceMs: 30_000 })
  await started.admin.request('GET', '/cox/v1/members/node-1') // leaves a kept-alive connection

  const startMs = performance.now()
  await started.server.close()
  const closeMs = performance.now() - startMs
  const after = await started.admin.request('GET', '/cox/v1/members/node-1').catch((e: Error) => e)

  assert.ok(closeMs < 5_000, `close took ${closeMs} ms`)
  assert.is((after as Error).name, 'ApiUnreachableError')
})

test('bad routes are refused when registered', async (context) => {
  await start(context, (server) => {
    server.route('GET', '/a/:name', () => {})
    assert.throws(() => server.route('GET', '/a/:other', () => {}), /already registered/)
    assert.throws(() => server.route('GET', '/b/*rest/more', () => {}), /last segment/)
    assert.throws(() => server.route('GET', 'relative', () => {}), /must start with/)
    assert.throws(() => server.route('GET', '/c/:x/:x', () => {}), /repeated/)
  })
})

test.run()
