// The API client against plain HTTPS servers on 127.0.0.1 that record what arrives: what it sends,
// how many connections it opens for many concurrent requests, and what each kind of failure becomes.

import { mkdtemp, rm } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { ApiClient, ApiTimeoutError, ApiUnreachableError } from '../../node/api-client.ts'
import { type CertificateAndKey, createClusterCa, issueServerCert } from '../../node/certs.ts'
import { renderKubeconfig, writeKubeconfig } from '../../node/kubeconfig.ts'

const token = 'secret-token'

interface Received {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

interface Serving {
  server: Server
  url: string
  port: number
  received: Received[]
  connections: number
}

interface Context {
  ca: CertificateAndKey
  otherCa: CertificateAndKey
  cert: CertificateAndKey
  servers: Server[]
  clients: ApiClient[]
}

const test = suite<Context>('node: api client')

test.before(async (context) => {
  context.ca = await createClusterCa({ clusterId: 'api-client-test' })
  context.otherCa = await createClusterCa({ clusterId: 'another-cluster' })
  context.cert = await issueServerCert(context.ca, { commonName: 'test', ipAddresses: [], dnsNames: [] })
})

test.before.each((context) => {
  context.servers = []
  context.clients = []
})

test.after.each(async (context) => {
  for (const client of context.clients) client.close()
  for (const server of context.servers) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** A server that records each request, then lets `answer` respond (default: 200 with a JSON echo). */
async function serve(
  context: Context,
  answer?: (req: IncomingMessage, res: ServerResponse, received: Received) => void,
): Promise<Serving> {
  const serving = { received: [] as Received[], connections: 0 } as Serving
  const server = createServer({ cert: context.cert.certPem, key: context.cert.keyPem }, (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const received = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      }
      serving.received.push(received)
      if (answer) return answer(req, res, received)
      res.writeHead(200, { 'content-type': 'application/json', 'x-multi': ['a', 'b'] })
      res.end(JSON.stringify({ url: req.url }))
    })
  })
  server.on('secureConnection', () => serving.connections++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  context.servers.push(server)
  serving.server = server
  serving.port = (server.address() as AddressInfo).port
  serving.url = `https://127.0.0.1:${serving.port}`
  return serving
}

function client(
  context: Context,
  options: Partial<ConstructorParameters<typeof ApiClient>[0]> & { server: string },
) {
  const made = new ApiClient({ caPem: context.ca.certPem, token, ...options })
  context.clients.push(made)
  return made
}

test('sends the token, JSON with its content type, and the path under the server prefix', async (context) => {
  const serving = await serve(context)
  const api = client(context, { server: `${serving.url}/prefix/` })

  const response = await api.request('post', '/cox/v1/things?dryRun=All', { body: { name: 'a' } })

  const [received] = serving.received
  assert.is(received?.method, 'POST')
  assert.is(received?.url, '/prefix/cox/v1/things?dryRun=All')
  assert.is(received?.headers.authorization, `Bearer ${token}`)
  assert.is(received?.headers['content-type'], 'application/json')
  assert.is(received?.headers.accept, 'application/json')
  assert.is(received?.body, '{"name":"a"}')
  assert.is(response.status, 200)
  assert.equal(response.json(), { url: '/prefix/cox/v1/things?dryRun=All' })
  assert.is(response.headers['x-multi'], 'a, b')
})

test('bytes and text go as they are; given headers win; no token, no Authorization', async (context) => {
  const serving = await serve(context)
  const api = client(context, { server: serving.url, token: null })

  await api.request('PUT', '/kv/a', { body: new Uint8Array([104, 105]), headers: { 'If-Match': '"3"' } })
  await api.request('PUT', '/kv/b', { body: 'text', headers: { Accept: 'text/plain' } })

  const [bytes, text] = serving.received
  assert.equal(
    [bytes?.body, bytes?.headers['if-match'], bytes?.headers['content-length']],
    ['hi', '"3"', '2'],
  )
  assert.is(bytes?.headers.authorization, undefined)
  assert.is(bytes?.headers['content-type'], undefined)
  assert.equal([text?.body, text?.headers.accept], ['text', 'text/plain'])
})

test('64 concurrent requests share the pool: as many connections as sockets allowed, reused', async (context) => {
  for (const socketsMax of [64, 8]) {
    let inFlight = 0
    let inFlightMax = 0
    const serving = await serve(context, (_req, res) => {
      inFlight++
      inFlightMax = Math.max(inFlightMax, inFlight)
      setTimeout(() => {
        inFlight--
        res.end('ok')
      }, 20)
    })
    const api = client(context, { server: serving.url, socketsMax })

    const first = await Promise.all(Array.from({ length: 64 }, (_, i) => api.request('GET', `/kv/${i}`)))
    const second = await Promise.all(Array.from({ length: 64 }, (_, i) => api.request('GET', `/kv/${i}`)))

    assert.ok([...first, ...second].every((response) => response.status === 200))
    assert.is(serving.connections, socketsMax, `socketsMax ${socketsMax}`)
    assert.is(inFlightMax, socketsMax, `socketsMax ${socketsMax}`)
  }
})

test('a refused connection is ApiUnreachableError naming the server and what to check', async (context) => {
  const serving = await serve(context)
  serving.server.close()
  await new Promise((resolve) => serving.server.once('close', resolve))
  const api = client(context, { server: serving.url })

  const error = await api.request('GET', '/version').catch((e: unknown) => e)

  assert.instance(error, ApiUnreachableError)
  const unreachable = error as ApiUnreachableError
  assert.is(unreachable.code, 'ECONNREFUSED')
  assert.is(unreachable.requestSent, false)
  assert.match(unreachable.message, `cannot reach the API server at ${serving.url}`)
  assert.match(unreachable.message, 'check that the agent is running')
})

test('a server signed by another CA is ApiUnreachableError about the certificate', async (context) => {
  const serving = await serve(context)
  const api = client(context, { server: serving.url, caPem: context.otherCa.certPem })

  const error = await api.request('GET', '/version').catch((e: unknown) => e)

  assert.instance(error, ApiUnreachableError)
  assert.match(
    (error as Error).message,
    "check that the kubeconfig's certificate authority belongs to this cluster",
  )
  assert.is(serving.received.length, 0)
})

test('insecure skips the check', async (context) => {
  const serving = await serve(context)
  const api = client(context, { server: serving.url, caPem: null, insecure: true })

  assert.is((await api.request('GET', '/version')).status, 200)
})

test('no answer within the deadline is ApiTimeoutError; an abort rejects with its reason', async (context) => {
  const serving = await serve(context, () => {}) // never answers
  const api = client(context, { server: serving.url, timeoutMs: 10_000 })
  const controller = new AbortController()

  const timedOut = await api.request('PUT', '/kv/a', { body: 'x', timeoutMs: 100 }).catch((e: unknown) => e)
  const aborted = api.request('GET', '/kv/a', { signal: controller.signal }).catch((e: unknown) => e)
  setTimeout(() => controller.abort(), 50)

  assert.instance(timedOut, ApiTimeoutError)
  assert.is((timedOut as ApiTimeoutError).requestSent, true)
  assert.match((timedOut as Error).message, 'within 100 ms')
  assert.is(((await aborted) as Error).name, 'AbortError')
})

test('stream answers at the headers and yields the body as it comes; close ends it', async (context) => {
  let respond: ServerResponse | undefined
  const serving = await serve(context, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{"type":"ADDED"}\n')
    respond = res
  })
  const api = client(context, { server: serving.url, timeoutMs: 500 })

  const stream = await api.stream('GET', '/watch?watch=true', {
    headers: { accept: 'application/json;as=Table' },
  })
  assert.is(stream.status, 200)
  assert.is(serving.received[0]?.headers.accept, 'application/json;as=Table')
  const chunks = stream.body[Symbol.asyncIterator]()
  assert.is((await chunks.next()).value?.toString(), '{"type":"ADDED"}\n')
  await new Promise((resolve) => setTimeout(resolve, 600)) // past the deadline: a stream has none once answered
  respond!.write('{"type":"MODIFIED"}\n')
  assert.is((await chunks.next()).value?.toString(), '{"type":"MODIFIED"}\n')
  stream.close()
  const after = await chunks.next().catch((error: Error) => error)
  assert.ok(after instanceof Error || after.done === true)

  const refused = await new ApiClient({ server: 'https://127.0.0.1:1', caPem: null, token: null })
    .stream('GET', '/watch')
    .catch((e: unknown) => e)
  assert.instance(refused, ApiUnreachableError)
})

test('streams do not take the sockets requests are pooled on: more watches than socketsMax leave requests answered', async (context) => {
  const watching: ServerResponse[] = []
  const serving = await serve(context, (req, res) => {
    if (req.url?.includes('watch')) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"type":"BOOKMARK"}\n')
      watching.push(res)
      return
    }
    res.end('ok')
  })
  const api = client(context, { server: serving.url, socketsMax: 2, timeoutMs: 2_000 })
  const streams = await Promise.all(Array.from({ length: 5 }, () => api.stream('GET', '/pods?watch=1')))
  assert.ok(streams.every((stream) => stream.status === 200))
  const answers = await Promise.all(Array.from({ length: 4 }, (_, i) => api.request('GET', `/kv/${i}`)))
  assert.ok(answers.every((answer) => answer.status === 200 && answer.text() === 'ok'))
  for (const stream of streams) stream.close()
})

test('a GET on a kept-alive connection the server dropped is sent again; a POST is not', async (context) => {
  const requestsBySocket = new Map<Socket, number>()
  const serving = await serve(context, (req, res) => {
    const count = (requestsBySocket.get(req.socket) ?? 0) + 1
    requestsBySocket.set(req.socket, count)
    if (count > 1)
      req.socket.destroy() // as if its idle timeout had struck just as the request came
    else res.end('ok')
  })
  const api = client(context, { server: serving.url, socketsMax: 1 })

  await api.request('GET', '/one')
  const retried = await api.request('GET', '/two')
  const posted = await api.request('POST', '/three', { body: 'x' }).catch((e: unknown) => e)

  assert.is(retried.text(), 'ok')
  assert.instance(posted, ApiUnreachableError)
  assert.is((posted as ApiUnreachableError).requestSent, true)
  assert.equal(
    serving.received.map((received) => received.url),
    ['/one', '/two', '/two', '/three'],
  )
})

test('a body that is not JSON says so when read as JSON', async (context) => {
  const serving = await serve(context, (_req, res) => res.end('<html>proxy error</html>'))
  const response = await client(context, { server: serving.url }).request('GET', '/x')

  assert.throws(() => response.json(), /GET \/x answered 200 with a body that is not JSON: <html>/)
})

test('fromKubeconfig connects where the kubeconfig says, with its CA and token', async (context) => {
  const serving = await serve(context)
  const directory = await mkdtemp(join(tmpdir(), 'cox-api-client-'))
  try {
    const path = join(directory, 'kubeconfig')
    const contexts = [
      { name: 'node-1', server: 'https://127.0.0.1:1' },
      { name: 'node-2', server: serving.url },
    ]
    await writeKubeconfig(
      path,
      renderKubeconfig({ contexts, current: 'node-1', caPem: context.ca.certPem, token }),
    )

    const api = await ApiClient.fromKubeconfig({ kubeconfig: path, context: 'node-2', env: {} })
    context.clients.push(api)
    const response = await api.request('GET', '/version')

    assert.is(response.status, 200)
    assert.is(serving.received[0]?.headers.authorization, `Bearer ${token}`)
  } finally {
    await rm(directory, { recursive: true, force: true })
  }
})

test('a server that is not an https URL is refused at construction', () => {
  assert.throws(() => new ApiClient({ server: 'http://127.0.0.1:1', caPem: null, token: null }), /https/)
  assert.throws(() => new ApiClient({ server: '127.0.0.1:1', caPem: null, token: null }), /not a URL|https/)
})

test.run()
