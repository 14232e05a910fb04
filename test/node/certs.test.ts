// The cluster CA and server certificates, checked the way clients will use them: Node's TLS client
// trusting only the CA, for an IP and a DNS subject alternative name, refusing names the
// certificate was not issued for and servers signed by another CA; and the real kubectl.

import { execFile } from 'node:child_process'
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, request, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  type CertificateAndKey,
  certFingerprint,
  createClusterCa,
  issueServerCert,
} from '../../node/certs.ts'

const run = promisify(execFile)
const kubectl = '/usr/bin/kubectl'
const versionBody = { major: '1', minor: '32', gitVersion: 'v1.32.0' }

interface Context {
  ca: CertificateAndKey
  otherCa: CertificateAndKey
  server: CertificateAndKey
  directory: string
}

const test = suite<Context>('node: certs')

test.before(async (context) => {
  context.ca = await createClusterCa({ clusterId: '0123456789abcdef' })
  context.otherCa = await createClusterCa({ clusterId: 'fedcba9876543210' })
  context.server = await issueServerCert(context.ca, {
    commonName: 'node-1',
    ipAddresses: ['127.0.0.2'],
    dnsNames: ['node-1.cox.internal'],
  })
  context.directory = await mkdtemp(join(tmpdir(), 'cox-certs-'))
})

test.after(async (context) => {
  await rm(context.directory, { recursive: true, force: true })
})

async function serve(cert: CertificateAndKey, host: string): Promise<{ server: Server; port: number }> {
  const server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(req.url?.split('?')[0] === '/version' ? versionBody : { path: req.url }))
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  return { server, port: (server.address() as AddressInfo).port }
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
}

/** The body on success; the TLS error's code on failure. */
function get(options: { host: string; port: number; ca: string; servername?: string }): Promise<string> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: options.host,
        port: options.port,
        path: '/ping',
        ca: options.ca,
        servername: options.servername,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
      },
    )
    req.on('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code}`))
    req.end()
  })
}

test('the CA is a CA named after the cluster, and it signed the server certificate', ({ ca, server }) => {
  const caCert = new X509Certificate(ca.certPem)
  const serverCert = new X509Certificate(server.certPem)

  assert.ok(caCert.ca)
  assert.is(caCert.subject, 'CN=coxswain-ca-01234567')
  assert.not.ok(serverCert.ca)
  assert.is(serverCert.subject, 'CN=node-1')
  assert.ok(serverCert.checkIssued(caCert))
  assert.ok(serverCert.verify(caCert.publicKey))
  assert.ok(serverCert.checkPrivateKey(createPrivateKey(server.keyPem)))
  assert.is(caCert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1')
})

test('the server certificate names every address and name given, plus the loopback ones', ({ server }) => {
  const names = new X509Certificate(server.certPem).subjectAltName ?? ''

  for (const name of [
    'DNS:node-1.cox.internal',
    'DNS:localhost',
    'IP Address:127.0.0.2',
    'IP Address:127.0.0.1',
  ]) {
    assert.ok(names.includes(name), `${name} in ${names}`)
  }
})

test('a client trusting only the CA accepts the server by IP and by DNS name', async ({ ca, server }) => {
  const { server: https, port } = await serve(server, '127.0.0.2')
  try {
    assert.is(await get({ host: '127.0.0.2', port, ca: ca.certPem }), '{"path":"/ping"}')
    assert.is(
      await get({ host: '127.0.0.2', port, ca: ca.certPem, servername: 'node-1.cox.internal' }),
      '{"path":"/ping"}',
    )
    assert.is(
      await get({ host: '127.0.0.2', port, ca: ca.certPem, servername: 'localhost' }),
      '{"path":"/ping"}',
    )
  } finally {
    await stop(https)
  }
})

test('a name the certificate was not issued for is refused', async ({ ca, server }) => {
  const { server: https, port } = await serve(server, '127.0.0.2')
  try {
    const answer = await get({ host: '127.0.0.2', port, ca: ca.certPem, servername: 'node-2.cox.internal' })
    assert.is(answer, 'error ERR_TLS_CERT_ALTNAME_INVALID')
  } finally {
    await stop(https)
  }
})

test('a client trusting another cluster CA refuses the server', async ({ otherCa, server }) => {
  const { server: https, port } = await serve(server, '127.0.0.2')
  try {
    assert.match(
      await get({ host: '127.0.0.2', port, ca: otherCa.certPem }),
      /^error (UNABLE_TO|SELF_SIGNED)/,
    )
  } finally {
    await stop(https)
  }
})

test('the fingerprint is the SHA-256 of the DER bytes, and differs between certificates', ({
  ca,
  server,
}) => {
  const expected = new X509Certificate(ca.certPem).fingerprint256.replaceAll(':', '').toLowerCase()

  assert.is(certFingerprint(ca.certPem), expected)
  assert.is.not(certFingerprint(server.certPem), expected)
})

test('bad input is refused with what to do', async ({ ca }) => {
  const error = await issueServerCert(ca, { commonName: 'n', ipAddresses: ['node-1'], dnsNames: [] }).catch(
    (e: Error) => e,
  )
  assert.instance(error, Error)
  assert.match((error as Error).message, 'pass host names in dnsNames')
})

test('kubectl trusts the server through certificate-authority-data, and not through another CA', async (context) => {
  const { server: https, port } = await serve(context.server, '127.0.0.1')
  try {
    const good = await kubeconfigFile(context.directory, 'good', port, context.ca.certPem)
    const bad = await kubeconfigFile(context.directory, 'bad', port, context.otherCa.certPem)

    const { stdout } = await run(kubectl, [
      '--kubeconfig',
      good,
      'version',
      '-o',
      'json',
      '--request-timeout=10s',
    ])
    const refused = await run(kubectl, [
      '--kubeconfig',
      bad,
      'version',
      '-o',
      'json',
      '--request-timeout=10s',
    ]).catch((error: { stderr: string }) => error)

    assert.is(JSON.parse(stdout).serverVersion?.gitVersion, versionBody.gitVersion)
    assert.match((refused as { stderr: string }).stderr, /x509|certificate/)
  } finally {
    await stop(https)
  }
})

async function kubeconfigFile(directory: string, name: string, port: number, caPem: string): Promise<string> {
  const path = join(directory, `${name}.kubeconfig`)
  const caData = Buffer.from(caPem).toString('base64')
  await writeFile(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: c\n  cluster:\n    server: https://127.0.0.1:${port}\n    certificate-authority-data: ${caData}`,
      'users:',
      '- name: u\n  user:\n    token: t',
      'contexts:',
      '- name: x\n  context:\n    cluster: c\n    user: u',
      'current-context: x',
      '',
    ].join('\n'),
  )
  return path
}

test.run()
