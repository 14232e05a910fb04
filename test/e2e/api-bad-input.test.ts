// Bad input to the Kubernetes API gets a 4xx Status with a clear message and nothing is written:
// malformed JSON and YAML, an unknown kind, an invalid name, missing fields, unknown fields under
// strict validation, an oversized body, malformed evictions, a stale resourceVersion, a wrong or
// missing token, and a read-only token writing. The agent keeps serving after each.

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ProcessCluster, run, waitFor } from '../../chaos/real/process-cluster.ts'
import { ApiClient, type ApiResponse } from '../../node/api-client.ts'

let cluster: ProcessCluster
let admin: ApiClient

const configmaps = '/api/v1/namespaces/default/configmaps'

function assertStatus(response: ApiResponse, code: number, reason: string, message?: RegExp): void {
  assert.is(response.status, code, response.text())
  const status = response.json<{
    kind: string
    status: string
    code: number
    reason: string
    message: string
  }>()
  assert.is(status.kind, 'Status')
  assert.is(status.status, 'Failure')
  assert.is(status.code, code)
  assert.is(status.reason, reason)
  if (message) assert.match(status.message, message)
}

async function assertNothingNamed(name: string): Promise<void> {
  const list = (await admin.request('GET', configmaps)).json<{ items: { metadata: { name: string } }[] }>()
  assert.not.ok(
    list.items.some((item) => item.metadata.name === name),
    `${name} was not written`,
  )
}

test.before(async () => {
  cluster = await ProcessCluster.create()
  await cluster.bootstrap('n1')
  await waitFor(
    'the default namespace',
    20_000,
    async () => (await cluster.request('n1', 'GET', '/api/v1/namespaces/default')).status === 200,
  )
  admin = await cluster.client('n1')
})

test.after(async () => {
  admin.close()
  await cluster.destroy()
})

test('malformed JSON and YAML bodies are 400 BadRequest', async () => {
  const json = await admin.request('POST', configmaps, {
    body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"broken"',
    headers: { 'content-type': 'application/json' },
  })
  assertStatus(json, 400, 'BadRequest', /not valid JSON/)
  const yaml = await admin.request('POST', configmaps, {
    body: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken\n',
    headers: { 'content-type': 'application/yaml' },
  })
  assertStatus(yaml, 400, 'BadRequest', /not valid YAML/)
  await assertNothingNamed('broken')
  const file = join(cluster.dir, 'broken.yaml')
  writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\n data: {}\n')
  await cluster.writeKubeconfig('n1')
  const kubectl = await run('/usr/bin/kubectl', ['--kubeconfig', cluster.kubeconfig, 'apply', '-f', file], {
    HOME: cluster.dir,
  })
  assert.is(kubectl.code, 1)
  assert.match(kubectl.stderr, /yaml|error converting/i)
  await assertNothingNamed('broken')
})

test('an unknown kind or path is 404 NotFound', async () => {
  const unknown = await admin.request('POST', '/apis/example.com/v1/namespaces/default/widgets', {
    body: { kind: 'Widget' },
  })
  assertStatus(unknown, 404, 'NotFound')
  const wrongKind = await admin.request('POST', configmaps, {
    body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } },
  })
  assertStatus(wrongKind, 400, 'BadRequest', /kind/)
  await assertNothingNamed('x')
})

test('an invalid name and missing fields are 422 Invalid with the field named', async () => {
  const badName = await admin.request('POST', configmaps, {
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } },
  })
  assertStatus(badName, 422, 'Invalid', /metadata\.name/)
  const causes = badName.json<{ details: { causes: { field: string }[] } }>().details.causes
  assert.ok(causes.some((c) => c.field === 'metadata.name'))
  const noName = await admin.request('POST', configmaps, {
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} },
  })
  assertStatus(noName, 422, 'Invalid', /name/)
  const noSelector = await admin.request('POST', '/apis/apps/v1/namespaces/default/deployments', {
    body: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'no-selector' },
      spec: {
        template: {
          metadata: { labels: { app: 'x' } },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    },
  })
  assertStatus(noSelector, 422, 'Invalid', /spec\.selector/)
  const noImage = await admin.request('POST', '/api/v1/namespaces/default/pods', {
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'no-image' },
      spec: { containers: [{ name: 'c' }] },
    },
  })
  assertStatus(noImage, 422, 'Invalid', /image/)
  assert.is(
    (await admin.request('GET', '/apis/apps/v1/namespaces/default/deployments/no-selector')).status,
    404,
  )
})

test('an unknown field under fieldValidation=Strict is 400; the default warns and drops nothing', async () => {
  const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'strict' }, dta: { a: 'b' } }
  const strict = await admin.request('POST', `${configmaps}?fieldValidation=Strict`, { body })
  assertStatus(strict, 400, 'BadRequest', /unknown field "dta"/)
  await assertNothingNamed('strict')
})

test('an oversized body is 413', async () => {
  const huge = await admin.request('POST', configmaps, {
    body: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'huge' },
      data: { blob: 'x'.repeat(4 * 1024 * 1024) },
    },
  })
  assert.is(huge.status, 413)
  await assertNothingNamed('huge')
})

test('a malformed or mismatched eviction is refused and the pod stays; a good one evicts it', async () => {
  const pods = '/api/v1/namespaces/default/pods'
  const created = await admin.request('POST', pods, {
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'evictee' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    },
  })
  assert.is(created.status, 201, created.text())
  const eviction = `${pods}/evictee/eviction`
  const post = (body: string) =>
    admin.request('POST', eviction, { body, headers: { 'content-type': 'application/json' } })
  assertStatus(await post('{"kind": "Eviction",'), 400, 'BadRequest')
  assertStatus(await post('{"apiVersion":"v1","kind":"ConfigMap"}'), 400, 'BadRequest', /must be an Eviction/)
  assertStatus(
    await post('{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"someone-else"}}'),
    400,
    'BadRequest',
    /does not match/,
  )
  assertStatus(await admin.request('GET', eviction), 405, 'MethodNotAllowed')
  assertStatus(
    await admin.request('POST', `${pods}/nobody/eviction`, {
      body: '{}',
      headers: { 'content-type': 'application/json' },
    }),
    404,
    'NotFound',
  )
  assert.is((await admin.request('GET', `${pods}/evictee`)).status, 200, 'the pod is still there')
  const evicted = await post('{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"evictee"}}')
  assert.is(evicted.status, 201, evicted.text())
  assert.is(
    (await admin.request('GET', `${pods}/evictee`)).status,
    404,
    'evicted: no budget stood in the way',
  )
})

test('a stale resourceVersion is 409 Conflict and changes nothing', async () => {
  const created = await admin.request('POST', configmaps, {
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'versioned' }, data: { v: '1' } },
  })
  assert.is(created.status, 201)
  const first = created.json<{ metadata: { resourceVersion: string } }>()
  const updated = await admin.request('PUT', `${configmaps}/versioned`, {
    body: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'versioned', resourceVersion: first.metadata.resourceVersion },
      data: { v: '2' },
    },
  })
  assert.is(updated.status, 200, updated.text())
  const stale = await admin.request('PUT', `${configmaps}/versioned`, {
    body: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'versioned', resourceVersion: first.metadata.resourceVersion },
      data: { v: '3' },
    },
  })
  assertStatus(stale, 409, 'Conflict', /the object has been modified/)
  const live = (await admin.request('GET', `${configmaps}/versioned`)).json<{ data: { v: string } }>()
  assert.is(live.data.v, '2')
})

test('wrong or missing tokens are 401; a read-only token reads but cannot write (403)', async () => {
  const config = await cluster.config('n1')
  for (const token of [null, 'wrong-token']) {
    const client = new ApiClient({
      server: `https://${config.apiAdvertise}`,
      caPem: null,
      insecure: true,
      token,
    })
    assertStatus(await client.request('GET', configmaps), 401, 'Unauthorized')
    assertStatus(
      await client.request('POST', configmaps, {
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'intruder' } },
      }),
      401,
      'Unauthorized',
    )
    client.close()
  }
  await cluster.writeKubeconfig('n1')
  const created = await cluster.cox(['token', 'create', '--read-only', '--kubeconfig', cluster.kubeconfig])
  assert.is(created.code, 0, created.stderr)
  const reader = new ApiClient({
    server: `https://${config.apiAdvertise}`,
    caPem: null,
    insecure: true,
    token: created.stdout.trim(),
  })
  try {
    assert.is((await reader.request('GET', configmaps)).status, 200)
    assertStatus(
      await reader.request('POST', configmaps, {
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'reader' } },
      }),
      403,
      'Forbidden',
    )
    assertStatus(await reader.request('DELETE', `${configmaps}/versioned`), 403, 'Forbidden')
  } finally {
    reader.close()
  }
  await assertNothingNamed('intruder')
  await assertNothingNamed('reader')
  assert.is((await admin.request('GET', '/healthz')).status, 200, 'still serving')
})

test.run()
