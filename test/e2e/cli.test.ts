// The `cox` cluster commands against a real cluster, as a user types them: the join token, the
// settings, removing a member, the human status table, and the exit codes and messages of mistakes.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ProcessCluster, waitFor } from '../../chaos/real/process-cluster.ts'

let cluster: ProcessCluster
let kube: string[]

test.before(async () => {
  cluster = await ProcessCluster.create()
  await cluster.bootstrap('n1')
  await Promise.all([cluster.join('n2'), cluster.join('n3')])
  await waitFor('three voters', 30_000, async () => {
    const status = await cluster.status('n1')
    return status.members.filter((m) => m.role === 'voter').length === 3
  })
  await cluster.writeKubeconfig('n1')
  kube = ['--kubeconfig', cluster.kubeconfig]
})

test.after(async () => {
  await cluster.destroy()
})

test('cox token join prints a token for this cluster', async () => {
  const result = await cluster.cox(['token', 'join', ...kube])
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stdout, /^cox1\.[A-Za-z0-9_-]+\n$/)
})

test('cox cluster status prints a table with every member and the leader starred', async () => {
  const result = await cluster.cox(['cluster', 'status', ...kube, '--context', 'n2'])
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stdout, /^cluster [0-9a-f-]+ {2}leader n\d/)
  assert.match(result.stdout, /NAME\s+ROLE\s+REACHABLE\s+MATCH\s+API\s+PID/)
  assert.match(result.stdout, /n1( \*)?\s+voter\s+yes/)
  assert.match(result.stdout, /n2( \*)?\s+voter\s+yes/)
  assert.match(result.stdout, / \* /)
})

test('cox cluster config shows and changes the cluster settings; bad values are refused', async () => {
  const shown = await cluster.cox(['cluster', 'config', ...kube])
  assert.is(shown.code, 0, shown.stderr)
  assert.is(JSON.parse(shown.stdout).settings.standbys, 2)
  const changed = await cluster.cox([
    'cluster',
    'config',
    'standbys=1',
    'autopilotGraceMs=4000',
    ...kube,
    '--context',
    'n2',
  ])
  assert.is(changed.code, 0, changed.stderr)
  assert.equal([JSON.parse(changed.stdout).standbys, JSON.parse(changed.stdout).autopilotGraceMs], [1, 4000])
  const refused = await cluster.cox(['cluster', 'config', 'voters=4', ...kube])
  assert.is(refused.code, 1)
  assert.match(refused.stderr, /voters must be one of 1, 3, 5/)
  const unknown = await cluster.cox(['cluster', 'config', 'colour=3', ...kube])
  assert.is(unknown.code, 1)
  assert.match(unknown.stderr, /unknown setting "colour"/)
  const malformed = await cluster.cox(['cluster', 'config', 'standbys', ...kube])
  assert.is(malformed.code, 2)
})

test('cox cluster remove takes a stopped member out; an unknown name is an error', async () => {
  const missing = await cluster.cox(['cluster', 'remove', 'nobody', ...kube])
  assert.is(missing.code, 1)
  assert.match(missing.stderr, /no member is named "nobody"/)
  await cluster.stop('n3')
  const removed = await cluster.cox(['cluster', 'remove', 'n3', ...kube])
  assert.is(removed.code, 0, removed.stderr)
  assert.match(removed.stdout, /^removed n3 \(/)
  await waitFor('n3 to leave the member list', 10_000, async () => {
    const status = await cluster.status('n1')
    return status.members.length === 2 && status.leader !== null
  })
  const written = await cluster.request('n1', 'PUT', '/cox/v1/kv/alone', 'ok')
  assert.is(written.status, 201, written.text())
})

test('mistakes on the command line exit 2 with the usage; no kubeconfig exits 1 saying what to do', async () => {
  const unknown = await cluster.cox(['frobnicate'])
  assert.is(unknown.code, 2)
  assert.match(unknown.stderr, /unknown command "frobnicate"/)
  assert.match(unknown.stderr, /usage: cox/)
  const badFlag = await cluster.cox(['cluster', 'status', '--bogus'])
  assert.is(badFlag.code, 2)
  const noConfig = await cluster.cox(['cluster', 'status'], {
    KUBECONFIG: '/nonexistent/kubeconfig',
    HOME: '/nonexistent',
  })
  assert.is(noConfig.code, 1)
  assert.match(noConfig.stderr, /kubeconfig/i)
  const agentWithoutData = await cluster.cox(['agent'])
  assert.is(agentWithoutData.code, 2)
  assert.match(agentWithoutData.stderr, /--data DIR is required/)
  const hollowWithoutToken = await cluster.cox(['hollow', '--count', '3'])
  assert.is(hollowWithoutToken.code, 2)
  assert.match(hollowWithoutToken.stderr, /--join TOKEN is required/)
  const hollowTooMany = await cluster.cox(['hollow', '--count', '0', '--join', cluster.token])
  assert.is(hollowTooMany.code, 2)
  assert.match(hollowTooMany.stderr, /--count must be from 1 to/)
  const hollowBadToken = await cluster.cox(['hollow', '--count', '1', '--join', 'cox1.garbage!'])
  assert.is(hollowBadToken.code, 1)
  assert.match(hollowBadToken.stderr, /the join token is not valid/)
})

test.run()
