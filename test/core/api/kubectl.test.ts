// The OpenAPI documents and validation of core/api against the real kubectl v1.32: a tiny
// node:http server serves legacy discovery, `/openapi/v3` and the per-group-version documents,
// and answers POSTs the way the API server does (strict field validation, defaults, validation).
// kubectl must find fieldValidation in the documents (so it sends `?fieldValidation=Strict` and
// skips client-side validation), print our Status messages, and `kubectl explain` the schemas.

import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { applyDefaults } from '../../../core/api/defaults.ts'
import { failureStatus, type KubeObject } from '../../../core/api/object.ts'
import { openApiDocument, openApiIndex, unknownFields } from '../../../core/api/openapi.ts'
import { groupVersions, resourceByPlural, resourceTypes } from '../../../core/api/resources.ts'
import { invalidStatus, validateObject } from '../../../core/api/validation.ts'
import { myService, nginxDeployment } from './manifests.ts'

const kubectlPath = '/usr/bin/kubectl'

interface Context {
  server: Server
  url: string
  home: string
}

const kubectl = suite<Context>('core/api: kubectl against the OpenAPI documents', {} as Context)

interface Answer {
  code: number
  body: unknown
}

const ok = (body: unknown): Answer => ({ code: 200, body })
const notFound = (message: string): Answer => ({ code: 404, body: failureStatus(404, 'NotFound', message) })

function resourceList(group: string, version: string): unknown {
  const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources: resourceTypes
      .filter((t) => t.group === group && t.version === version)
      .flatMap((t) => [
        {
          name: t.plural,
          singularName: t.singular,
          namespaced: t.namespaced,
          kind: t.kind,
          verbs,
          shortNames: t.shortNames,
          categories: t.categories,
        },
        ...t.subresources.map((s) => ({
          name: `${t.plural}/${s}`,
          singularName: '',
          namespaced: t.namespaced,
          kind: s === 'scale' ? 'Scale' : t.kind,
          ...(s === 'scale' ? { group: 'autoscaling', version: 'v1' } : {}),
          verbs: ['get', 'patch', 'update'],
        })),
      ]),
  }
}

/** A POST as the API server handles it: strict decoding, defaults, validation; dry run or not, nothing is kept. */
function create(url: URL, body: string): Answer {
  const match = /^\/apis?\/(?:([^/]+)\/)?(v\d+)\/namespaces\/([^/]+)\/([^/]+)$/.exec(url.pathname)
  const resource = match && resourceByPlural(match[1] ?? '', match[2]!, match[4]!)
  if (!match || !resource) return notFound(`no route for ${url.pathname}`)
  const object = JSON.parse(body) as KubeObject
  object.metadata.namespace = match[3]
  if (url.searchParams.get('fieldValidation') === 'Strict') {
    const unknown = unknownFields(resource, object)
    if (unknown.length > 0) {
      const what = `${resource.kind} in version "${resource.version}" cannot be handled as a ${resource.kind}`
      const detail = unknown.map((f) => `unknown field "${f}"`).join(', ')
      return {
        code: 400,
        body: failureStatus(400, 'BadRequest', `${what}: strict decoding error: ${detail}`),
      }
    }
  }
  const defaulted = applyDefaults(resource, object)
  const causes = validateObject(resource, defaulted)
  if (causes.length > 0)
    return { code: 422, body: invalidStatus(resource, object.metadata.name ?? '', causes) }
  return { code: 201, body: defaulted }
}

/** Legacy discovery and the OpenAPI documents. */
function read(path: string): Answer {
  if (path === '/api') return ok({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] })
  if (path === '/apis') {
    const groups = groupVersions()
      .filter((g) => g.group !== '')
      .map((g) => ({
        name: g.group,
        versions: g.versions.map((version) => ({ groupVersion: `${g.group}/${version}`, version })),
        preferredVersion: { groupVersion: `${g.group}/${g.versions[0]}`, version: g.versions[0] },
      }))
    return ok({ kind: 'APIGroupList', apiVersion: 'v1', groups })
  }
  if (path === '/api/v1') return ok(resourceList('', 'v1'))
  const groupVersion = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path)
  if (groupVersion) return ok(resourceList(groupVersion[1]!, groupVersion[2]!))
  if (path === '/openapi/v3') return ok(openApiIndex())
  const document = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path)
  if (document) {
    const found = document[1] ? openApiDocument('', document[1]) : openApiDocument(document[2]!, document[3]!)
    return found ? ok(found) : notFound('no such document')
  }
  return notFound('the server could not find the requested resource')
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost')
  let body = ''
  req.on('data', (chunk) => {
    body += chunk
  })
  req.on('end', () => {
    const answer = req.method === 'POST' ? create(url, body) : read(url.pathname)
    res.writeHead(answer.code, { 'content-type': 'application/json' })
    res.end(JSON.stringify(answer.body))
  })
}

kubectl.before(async (context) => {
  context.server = createServer(handle)
  await new Promise<void>((resolve) => context.server.listen(0, '127.0.0.1', resolve))
  context.url = `http://127.0.0.1:${(context.server.address() as AddressInfo).port}`
  context.home = await mkdtemp(join(tmpdir(), 'cox-kubectl-openapi-'))
  await writeFile(join(context.home, 'kubeconfig'), 'apiVersion: v1\nkind: Config\n')
})

kubectl.after(async (context) => {
  await new Promise((resolve) => context.server.close(resolve))
  await rm(context.home, { recursive: true, force: true })
})

interface Run {
  code: number
  stdout: string
  stderr: string
}

function runKubectl(context: Context, args: string[]): Promise<Run> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: context.home,
    KUBECONFIG: join(context.home, 'kubeconfig'),
  }
  const all = ['--server', context.url, '--cache-dir', join(context.home, 'cache'), ...args]
  return new Promise((resolve) => {
    execFile(kubectlPath, all, { env, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    )
  })
}

async function manifest(context: Context, name: string, object: KubeObject): Promise<string> {
  const file = join(context.home, name)
  const { namespace: _, ...metadata } = object.metadata
  await writeFile(file, JSON.stringify({ ...object, metadata }))
  return file
}

const kubectlTest = existsSync(kubectlPath) ? kubectl : kubectl.skip

kubectlTest('create reads the v3 document, finds fieldValidation and sends Strict', async (context) => {
  const file = await manifest(context, 'deploy.json', nginxDeployment())

  const run = await runKubectl(context, ['create', '-f', file, '--dry-run=server', '-v=8'])

  assert.is(run.code, 0, run.stderr)
  assert.is(run.stdout.trim(), 'deployment.apps/nginx-deployment created (server dry run)')
  assert.ok(run.stderr.includes(`GET ${context.url}/openapi/v3?`), 'the index')
  assert.match(run.stderr, new RegExp(`GET ${context.url}/openapi/v3/apis/apps/v1\\?hash=[0-9A-F]{16}`))
  assert.ok(
    run.stderr.includes(
      `POST ${context.url}/apis/apps/v1/namespaces/default/deployments?dryRun=All&fieldManager=kubectl-create&fieldValidation=Strict`,
    ),
    'strict field validation is left to the server',
  )
  assert.not.ok(run.stderr.includes('/openapi/v2'), 'no fallback to client-side validation')
})

kubectlTest('the Service of the docs is created too (core group document)', async (context) => {
  const file = await manifest(context, 'service.json', myService())

  const run = await runKubectl(context, ['create', '-f', file, '--dry-run=server'])

  assert.is(run.code, 0, run.stderr)
  assert.is(run.stdout.trim(), 'service/my-service created (server dry run)')
})

kubectlTest('a typo comes back as a strict decoding error', async (context) => {
  const object = nginxDeployment()
  ;(object.spec as Record<string, unknown>).replcas = 3
  const file = await manifest(context, 'typo.json', object)

  const run = await runKubectl(context, ['create', '-f', file, '--dry-run=server'])

  assert.is(run.code, 1)
  assert.ok(run.stderr.includes('strict decoding error: unknown field "spec.replcas"'), run.stderr)
})

kubectlTest('an invalid object comes back as kubectl prints Invalid errors', async (context) => {
  const object = nginxDeployment()
  ;(object.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels =
    { app: 'x' }
  const file = await manifest(context, 'invalid.json', object)

  const run = await runKubectl(context, ['create', '-f', file, '--dry-run=server'])

  assert.is(run.code, 1)
  assert.ok(
    run.stderr.includes(
      'The Deployment "nginx-deployment" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`',
    ),
    run.stderr,
  )
})

kubectlTest('kubectl explain reads the schemas', async (context) => {
  const run = await runKubectl(context, ['explain', 'deployments.spec'])

  assert.is(run.code, 0, run.stderr)
  assert.ok(run.stdout.includes('FIELD: spec <DeploymentSpec>'), run.stdout)
  assert.match(run.stdout, /replicas\t<integer>/)
  assert.match(run.stdout, /template\t<PodTemplateSpec> -required-/)

  const ports = await runKubectl(context, ['explain', 'pods.spec.containers.ports'])
  assert.is(ports.code, 0, ports.stderr)
  assert.match(ports.stdout, /containerPort\t<integer> -required-/)
})

kubectl.run()
