// Stopping and killing agents: SIGTERM on the leader hands leadership over before the process
// exits cleanly; SIGKILL of the leader in the middle of writes loses nothing that was acknowledged,
// and the killed node restarts on its directory and rejoins with everything. `cox up` starts a
// local cluster, reports it as one JSON line, and stops every agent on SIGTERM.

import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { coxScript, ProcessCluster, run, waitFor } from '../../chaos/real/process-cluster.ts'

test('SIGTERM on the leader hands leadership over, then the agent exits cleanly', async () => {
  const cluster = await ProcessCluster.withVoters(3)
  try {
    const before = await cluster.status('n1')
    const leader = before.leader!.name
    const code = await cluster.stop(leader)
    assert.is(code, 0, 'a clean exit')
    assert.match(cluster.logTail(leader, 30), /"handedOver":true/)
    const survivor = ['n1', 'n2', 'n3'].find((n) => n !== leader)!
    const after = await cluster.status(survivor)
    assert.ok(after.leader !== null && after.leader.name !== leader, 'a survivor leads at once')
    const written = await cluster.request(survivor, 'PUT', '/cox/v1/kv/after-stop', 'yes')
    assert.is(written.status, 201, written.text())
  } finally {
    await cluster.destroy()
  }
})

test('SIGKILL of the leader under writes loses no acknowledged write; it restarts and rejoins', async () => {
  const cluster = await ProcessCluster.withVoters(3)
  try {
    const leader = (await cluster.status('n1')).leader!.name
    const acknowledged: string[] = []
    const clients = await Promise.all(['n1', 'n2', 'n3'].map((n) => cluster.client(n)))
    let writing = true
    const writers = clients.map(async (client, c) => {
      for (let i = 0; writing; i++) {
        const key = `w${c}-${i}`
        try {
          const response = await client.request('PUT', `/cox/v1/kv/${key}`, { body: key, timeoutMs: 3_000 })
          if (response.status === 201) acknowledged.push(key)
        } catch {
          // the node being killed drops its connections: unknown outcome, not acknowledged
        }
      }
    })
    // Kill the leader in the middle of the writes, once some have been acknowledged.
    await waitFor('writes to be acknowledged', 30_000, () => acknowledged.length >= 30)
    await cluster.kill(leader)
    const beforeKill = acknowledged.length
    await waitFor(
      'writes acknowledged by the new leader',
      30_000,
      () => acknowledged.length >= beforeKill + 30,
    )
    writing = false
    await Promise.all(writers)
    for (const client of clients) client.close()

    await cluster.restart(leader)
    for (const via of ['n1', 'n2', 'n3']) {
      const client = await cluster.client(via)
      try {
        for (const key of acknowledged) {
          const response = await client.request('GET', `/cox/v1/kv/${key}`)
          assert.is(response.status, 200, `${key} via ${via}`)
          assert.is(response.text(), key)
        }
      } finally {
        client.close()
      }
    }
    const status = await cluster.status(leader)
    assert.is(status.members.length, 3, 'the restarted node is still a member')
  } finally {
    await cluster.destroy()
  }
})

test('cox up starts a local cluster, prints it as JSON, and stops every agent on SIGTERM', async () => {
  const cluster = await ProcessCluster.create() // for its temporary directory only
  const dir = join(cluster.dir, 'up')
  const up = spawn(process.execPath, [coxScript, 'up', '--nodes', '3', '--dir', dir, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  try {
    let stdout = ''
    up.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    await waitFor('cox up to report', 60_000, () => stdout.includes('\n'))
    const summary = JSON.parse(stdout) as {
      kubeconfig: string
      nodes: { name: string; pid: number; role: string }[]
    }
    assert.equal(
      summary.nodes.map((n) => [n.name, n.role]),
      [
        ['node-1', 'voter'],
        ['node-2', 'voter'],
        ['node-3', 'voter'],
      ],
    )
    const status = await run(
      process.execPath,
      [coxScript, 'cluster', 'status', '-o', 'json', '--context', 'node-3'],
      {
        KUBECONFIG: summary.kubeconfig,
      },
    )
    assert.is(status.code, 0, status.stderr)
    assert.is(JSON.parse(status.stdout).members.length, 3)
    assert.ok(existsSync(join(dir, 'node-2', 'agent.log')))

    const exited = new Promise<number | null>((done) => up.once('exit', (code) => done(code)))
    up.kill('SIGTERM')
    assert.is(await exited, 0)
    for (const node of summary.nodes) {
      assert.not.ok(processAlive(node.pid), `${node.name} (pid ${node.pid}) stopped`)
      assert.match(readFileSync(join(dir, node.name, 'agent.log'), 'utf8'), /"msg":"stopped"/)
    }
  } finally {
    if (up.exitCode === null) up.kill('SIGKILL')
    await cluster.destroy()
  }
})

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

test.run()
