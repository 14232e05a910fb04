// A worker keeps no replica, yet serves the whole API: reads and writes are handed to a master over
// the mesh, and watches are carried by a master's API and streamed back.

import { spawn } from 'node:child_process'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ProcessCluster, run, waitFor } from '../../chaos/real/process-cluster.ts'
import { ApiClient } from '../../node/api-client.ts'

test('kubectl through a worker: create, get, list and watch', async () => {
  const cluster = await ProcessCluster.create()
  try {
    await cluster.bootstrap('n1', ['--voters', '1', '--standbys', '0'])
    await cluster.join('n2')
    await waitFor('n2 to be a worker and the default namespace to exist', 20_000, async () => {
      const status = await cluster.status('n1')
      const worker = status.members.find((m) => m.name === 'n2')?.role === 'worker'
      return worker && (await cluster.request('n2', 'GET', '/api/v1/namespaces/default')).status === 200
    })
    await cluster.writeKubeconfig('n2')
    const kubectl = (...args: string[]) =>
      run('/usr/bin/kubectl', ['--kubeconfig', cluster.kubeconfig, '--context', 'n2', ...args], {
        HOME: cluster.dir,
      })
    const watcher = spawn(
      '/usr/bin/kubectl',
      ['--kubeconfig', cluster.kubeconfig, '--context', 'n2', 'get', 'configmaps', '-w', '-o', 'name'],
      { env: { ...process.env, HOME: cluster.dir }, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let seen = ''
    watcher.stdout.on('data', (chunk) => {
      seen += chunk
    })
    try {
      const created = await kubectl('create', 'configmap', 'via-worker', '--from-literal=a=b')
      assert.is(created.code, 0, created.stderr)
      const got = await kubectl('get', 'configmap', 'via-worker', '-o', 'jsonpath={.data.a}')
      assert.is(got.stdout, 'b')
      assert.match((await kubectl('get', 'configmaps')).stdout, /^via-worker\s+1\s+/m)
      await waitFor('the watch through the worker to see the configmap', 10_000, () =>
        seen.includes('configmap/via-worker'),
      )
      // A read-only token works on the worker too (it learns the token hashes from the leader).
      const token = await cluster.cox(['token', 'create', '--read-only', '--kubeconfig', cluster.kubeconfig])
      assert.is(token.code, 0, token.stderr)
      const config = await cluster.config('n2')
      const reader = new ApiClient({
        server: `https://${config.apiAdvertise}`,
        caPem: null,
        insecure: true,
        token: token.stdout.trim(),
      })
      try {
        await waitFor('the worker to accept the read-only token', 10_000, async () => {
          return (await reader.request('GET', '/api/v1/namespaces/default/configmaps')).status === 200
        })
        const write = await reader.request('DELETE', '/api/v1/namespaces/default/configmaps/via-worker')
        assert.is(write.status, 403)
      } finally {
        reader.close()
      }
    } finally {
      watcher.kill('SIGTERM')
    }
  } finally {
    await cluster.destroy()
  }
})

test.run()
