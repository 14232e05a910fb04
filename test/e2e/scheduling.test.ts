// The scheduler on the leader binds pending pods to nodes that fit them, and tells with Kubernetes'
// condition and event why a pod fits nowhere. Agents register their capacity in their Node objects.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ProcessCluster, run, waitFor } from '../../chaos/real/process-cluster.ts'

test('pods are bound to nodes; one that fits nowhere says why', async () => {
  const cluster = await ProcessCluster.create()
  try {
    await cluster.bootstrap('n1', ['--voters', '1', '--standbys', '0'])
    await cluster.join('n2')
    await cluster.writeKubeconfig('n1')
    const kubectl = async (...args: string[]) => {
      const result = await run(
        '/usr/bin/kubectl',
        ['--kubeconfig', cluster.kubeconfig, '--context', 'n2', ...args],
        {
          HOME: cluster.dir,
        },
      )
      assert.is(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`)
      return result.stdout
    }
    await waitFor('both nodes registered their capacity', 20_000, async () => {
      const pods = await kubectl('get', 'nodes', '-o', 'jsonpath={.items[*].status.allocatable.pods}')
      return pods.trim().split(/\s+/).length === 2
    })
    await kubectl('run', 'placed', '--image=busybox', '--restart=Never')
    await waitFor('the pod to be bound', 15_000, async () => {
      const node = await kubectl('get', 'pod', 'placed', '-o', 'jsonpath={.spec.nodeName}')
      return node === 'n1' || node === 'n2'
    })
    assert.match(
      await kubectl('get', 'pods', '-o', 'wide'),
      /^placed\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+n[12]\s/m,
    )

    await kubectl(
      'run',
      'nowhere',
      '--image=busybox',
      '--restart=Never',
      '--overrides={"spec":{"nodeSelector":{"disk":"ssd"}}}',
    )
    await waitFor('the FailedScheduling event', 15_000, async () =>
      (await kubectl('get', 'events', '--field-selector', 'involvedObject.name=nowhere')).includes(
        'FailedScheduling',
      ),
    )
    const events = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=nowhere')
    assert.match(events, /0\/2 nodes are available: 2 node\(s\) didn't match Pod's node affinity\/selector/)
    const condition = await kubectl(
      'get',
      'pod',
      'nowhere',
      '-o',
      'jsonpath={.status.conditions[?(@.type=="PodScheduled")].reason}',
    )
    assert.is(condition, 'Unschedulable')
    assert.is(await kubectl('get', 'pod', 'nowhere', '-o', 'jsonpath={.spec.nodeName}'), '')
  } catch (error) {
    for (const name of cluster.agents.keys())
      process.stderr.write(`--- ${name}\n${cluster.logTail(name, 10)}\n`)
    throw error
  } finally {
    await cluster.destroy()
  }
})

test.run()
