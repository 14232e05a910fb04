// A node cut off by the gater cannot disrupt the majority and catches up once healed; a snapshot
// saved with `cox snapshot save` restores into a new cluster with the same keys; and a lone
// survivor is brought back to service by `cox cluster recover --force-new-cluster`.

import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ProcessCluster, waitFor } from '../../chaos/real/process-cluster.ts'

async function put(cluster: ProcessCluster, via: string, key: string, value: string): Promise<void> {
  const response = await cluster.request(via, 'PUT', `/cox/v1/kv/${key}`, value)
  assert.ok(
    response.status === 200 || response.status === 201,
    `PUT ${key} via ${via}: ${response.status} ${response.text()}`,
  )
}

async function get(cluster: ProcessCluster, via: string, key: string): Promise<string | null> {
  const response = await cluster.request(via, 'GET', `/cox/v1/kv/${key}`)
  if (response.status === 404) return null
  assert.is(response.status, 200, `GET ${key} via ${via}: ${response.text()}`)
  return response.text()
}

function dumpLogs(cluster: ProcessCluster): void {
  for (const name of cluster.agents.keys())
    process.stderr.write(`--- ${name}\n${cluster.logTail(name, 15)}\n`)
}

test('an isolated follower cannot disrupt the majority (pre-vote) and catches up after healing', async () => {
  const cluster = await ProcessCluster.withVoters(3)
  try {
    const before = await cluster.status('n1')
    const leader = before.leader!.name
    const follower = ['n1', 'n2', 'n3'].find((n) => n !== leader)!
    const isolated = await cluster.request(follower, 'PUT', '/cox/v1/debug/isolation', { blocked: true })
    assert.is(isolated.status, 200, isolated.text())

    // Well past several election timeouts, with writes flowing on the majority side.
    for (let i = 0; i < 20; i++) {
      await put(cluster, leader, `during-${i}`, `v${i}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    const during = await cluster.status(leader)
    assert.is(during.leader?.name, leader, 'the leader kept its office')
    assert.is(during.term, before.term, 'no election happened on the majority side')
    assert.not.ok(
      during.members.find((m) => m.name === follower)!.reachable,
      'the isolated node is unreachable',
    )

    const healed = await cluster.request(follower, 'PUT', '/cox/v1/debug/isolation', { blocked: false })
    assert.is(healed.status, 200, healed.text())
    // A linearizable read through the healed node waits until it has applied the majority's writes.
    await waitFor('the healed node to serve the latest write', 15_000, async () => {
      try {
        return (await get(cluster, follower, 'during-19')) === 'v19'
      } catch {
        return false
      }
    })
    const after = await cluster.status(leader)
    assert.is(after.leader?.name, leader, 'healing did not depose the leader')
    assert.is(after.term, before.term, 'healing did not raise the term')
  } catch (error) {
    dumpLogs(cluster)
    throw error
  } finally {
    await cluster.destroy()
  }
})

test('cox snapshot save, then restore into a new cluster that holds the same keys', async () => {
  const cluster = await ProcessCluster.withVoters(3)
  try {
    for (let i = 0; i < 50; i++) await put(cluster, `n${(i % 3) + 1}`, `key-${i}`, `value-${i}`)
    await cluster.writeKubeconfig('n2')
    const file = join(cluster.dir, 'state.snap')
    const saved = await cluster.cox([
      'snapshot',
      'save',
      file,
      '--kubeconfig',
      cluster.kubeconfig,
      '--context',
      'n2',
    ])
    assert.is(saved.code, 0, saved.stderr)

    const restoredDir = join(cluster.dir, 'restored')
    const restored = await cluster.cox([
      'snapshot',
      'restore',
      file,
      '--data',
      restoredDir,
      '--api',
      '127.0.0.1:0',
    ])
    assert.is(restored.code, 0, restored.stderr)
    const again = await cluster.cox(['snapshot', 'restore', file, '--data', restoredDir])
    assert.is(again.code, 1, 'restoring over an existing node is refused')
    assert.match(again.stderr, /already holds a node/)

    await cluster.restart('restored')
    for (let i = 0; i < 50; i++) assert.is(await get(cluster, 'restored', `key-${i}`), `value-${i}`)
    await put(cluster, 'restored', 'key-0', 'new')
    assert.is(await get(cluster, 'restored', 'key-0'), 'new')
  } catch (error) {
    dumpLogs(cluster)
    throw error
  } finally {
    await cluster.destroy()
  }
})

test('cluster recover --force-new-cluster brings a lone survivor back to service', async () => {
  const cluster = await ProcessCluster.withVoters(3)
  try {
    for (let i = 0; i < 20; i++) await put(cluster, 'n1', `key-${i}`, `value-${i}`)
    await cluster.kill('n2')
    await cluster.kill('n3')
    // Without a quorum, writes cannot succeed.
    const stuck = await cluster.request('n1', 'PUT', '/cox/v1/kv/stuck', 'x')
    assert.ok(stuck.status >= 500, `a write without quorum fails (${stuck.status})`)
    await cluster.stop('n1')

    const recovered = await cluster.cox([
      'cluster',
      'recover',
      '--force-new-cluster',
      '--data',
      join(cluster.dir, 'n1'),
    ])
    assert.is(recovered.code, 0, recovered.stderr)
    await cluster.restart('n1')
    for (let i = 0; i < 20; i++) assert.is(await get(cluster, 'n1', `key-${i}`), `value-${i}`)
    await put(cluster, 'n1', 'after-recovery', 'ok')
    const status = await cluster.status('n1')
    assert.equal(
      status.members.map((m) => [m.name, m.role]),
      [['n1', 'voter']],
    )
  } catch (error) {
    dumpLogs(cluster)
    throw error
  } finally {
    await cluster.destroy()
  }
})

test.run()
