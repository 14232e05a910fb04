// A cluster grows from one token to three voters, two standbys and a worker, and heals itself when
// a voter is SIGKILLed: the autopilot promotes a standby, removes the dead voter and raises the
// worker to standby. Every step is read back with the real `cox cluster status`.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ProcessCluster, waitFor } from '../../chaos/real/process-cluster.ts'
import type { ClusterStatus } from '../../node/cluster-api.ts'

type Roles = Record<string, string>

const rolesOf = (status: ClusterStatus): Roles =>
  Object.fromEntries(status.members.map((m) => [m.name, m.role]).sort(([a], [b]) => a!.localeCompare(b!)))

async function waitRoles(
  cluster: ProcessCluster,
  via: string,
  expected: Roles,
  timeoutMs = 30_000,
): Promise<ClusterStatus> {
  let last: ClusterStatus | null = null
  try {
    await waitFor(`roles ${JSON.stringify(expected)}`, timeoutMs, async () => {
      last = await cluster.status(via)
      return JSON.stringify(rolesOf(last)) === JSON.stringify(expected) && last.leader !== null
    })
  } catch (error) {
    throw new Error(`${(error as Error).message}; last seen ${JSON.stringify(last && rolesOf(last))}`)
  }
  return last!
}

test('3 voters from one token, 2 standbys, a worker; a SIGKILLed voter is replaced automatically', async () => {
  const cluster = await ProcessCluster.create()
  try {
    await cluster.bootstrap('n1', ['--autopilot-grace-ms', '2000'])
    await waitRoles(cluster, 'n1', { n1: 'voter' })
    await Promise.all([cluster.join('n2'), cluster.join('n3')])
    await waitRoles(cluster, 'n1', { n1: 'voter', n2: 'voter', n3: 'voter' })

    await Promise.all([cluster.join('n4'), cluster.join('n5')])
    await waitRoles(cluster, 'n1', { n1: 'voter', n2: 'voter', n3: 'voter', n4: 'standby', n5: 'standby' })

    await cluster.join('n6')
    const full = { n1: 'voter', n2: 'voter', n3: 'voter', n4: 'standby', n5: 'standby', n6: 'worker' }
    const status = await waitRoles(cluster, 'n6', full) // read through the worker, which keeps no replica
    assert.ok(
      status.members.every((m) => m.reachable),
      'every member is reachable',
    )
    assert.ok(
      status.members.every((m) => typeof m.pid === 'number'),
      'every member reports its pid',
    )
    for (const member of status.members) {
      assert.is(
        member.matchIndex === null,
        member.role === 'worker',
        `${member.name}: matchIndex only for replicas`,
      )
    }

    // Kill a voter that is not the leader (the leader's own failover is bench:failover's subject).
    const victim = ['n1', 'n2', 'n3'].find((name) => name !== status.leader!.name)!
    const victimId = status.members.find((m) => m.name === victim)!.id
    await cluster.kill(victim)
    let final: ClusterStatus | null = null
    await waitFor('the dead voter to be replaced', 40_000, async () => {
      final = await cluster.status(status.leader!.name)
      const roles = rolesOf(final)
      const voters = Object.values(roles).filter((r) => r === 'voter').length
      const standbys = Object.values(roles).filter((r) => r === 'standby').length
      return !(victim in roles) && voters === 3 && standbys === 2 && roles.n6 === 'standby'
    })
    assert.ok(!final!.members.some((m) => m.id === victimId), 'the dead voter is no longer a member')

    // The removed voter comes back: it finds itself removed, discards its old log and joins again,
    // as a worker since the voters and standbys are all there.
    await cluster.restart(victim)
    await waitFor(`${victim} to rejoin as a worker`, 30_000, async () => {
      const roles = rolesOf(await cluster.status(status.leader!.name))
      return roles[victim] === 'worker'
    })
    assert.match(cluster.logTail(victim, 200), /discarding its replica and joining again/)

    // The cluster still takes writes, through any survivor.
    const written = await cluster.request('n6', 'PUT', '/cox/v1/kv/after-heal', 'yes')
    assert.ok(written.status === 201, `write after healing: ${written.status} ${written.text()}`)
  } catch (error) {
    for (const name of cluster.agents.keys())
      process.stderr.write(`--- ${name}\n${cluster.logTail(name, 15)}\n`)
    throw error
  } finally {
    await cluster.destroy()
  }
})

test.run()
