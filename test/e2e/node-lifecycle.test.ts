// Node objects follow the agents: a node whose agent stops heartbeating to the leader turns
// NotReady after the cluster's grace period (a cluster setting, shortened here; counted from its
// last heartbeat), with an Event,
// and Ready again once its agent is back. Only the transitions are written through Raft.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ProcessCluster, run, waitFor } from '../../chaos/real/process-cluster.ts'

test('a killed worker turns NotReady after the grace period and Ready when it returns', async () => {
  const cluster = await ProcessCluster.create()
  try {
    await cluster.bootstrap('n1', ['--voters', '1', '--standbys', '0', '--node-grace-ms', '4000'])
    await cluster.join('n2')
    await cluster.writeKubeconfig('n1')
    const kubectl = async (...args: string[]) => {
      const result = await run(
        '/usr/bin/kubectl',
        ['--kubeconfig', cluster.kubeconfig, '--context', 'n1', ...args],
        {
          HOME: cluster.dir,
        },
      )
      assert.is(result.code, 0, result.stderr)
      return result.stdout
    }
    const statusOf = async (name: string) =>
      (await kubectl('get', 'nodes')).match(new RegExp(`^${name}\\s+(\\S+)`, 'm'))?.[1]
    await waitFor(
      'both nodes Ready',
      20_000,
      async () => (await statusOf('n1')) === 'Ready' && (await statusOf('n2')) === 'Ready',
    )

    // A live node stays Ready well past the grace period: its heartbeats keep it so.
    await new Promise((r) => setTimeout(r, 6_000))
    assert.is(await statusOf('n2'), 'Ready')
    const before = await kubectl(
      'get',
      'events',
      '-n',
      'default',
      '--field-selector',
      'involvedObject.name=n2',
    )
    assert.not.match(before, /NodeNotReady/)

    await cluster.kill('n2')
    await waitFor('n2 NotReady', 30_000, async () => (await statusOf('n2')) === 'NotReady')
    assert.is(await statusOf('n1'), 'Ready')
    const events = await kubectl(
      'get',
      'events',
      '-n',
      'default',
      '--field-selector',
      'involvedObject.name=n2',
    )
    assert.match(events, /NodeNotReady/)

    await cluster.restart('n2')
    await waitFor('n2 Ready again', 20_000, async () => (await statusOf('n2')) === 'Ready')
  } catch (error) {
    for (const name of cluster.agents.keys())
      process.stderr.write(`--- ${name}\n${cluster.logTail(name, 10)}\n`)
    throw error
  } finally {
    await cluster.destroy()
  }
})

test.run()
