// The `cox` commands that work on a stopped node's data directory instead of a live cluster:
// `snapshot restore` founds a new one-node cluster from a saved snapshot, and `cluster recover
// --force-new-cluster` turns a lone survivor of a cluster that lost its quorum for good into the
// only voter. Both write the replica as one snapshot whose membership is this node alone; the
// agent then resumes from it as usual.

import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ClusterState, decodeCommand } from '../../core/cluster.ts'
import { loadOrCreateIdentity } from '../../net/identity.ts'
import { openLevelStorage } from '../../raft/storage/level.ts'
import { loadPersistedState, persistReady } from '../../raft/storage.ts'
import { freePort, splitHostPort } from '../addresses.ts'
import { newClusterSecrets } from '../cluster-secrets.ts'
import {
  type DataPaths,
  dataPaths,
  type NodeConfig,
  nodeConfigVersion,
  readNodeConfig,
  readSecrets,
  writeFileAtomic,
  writeNodeConfig,
  writeSecrets,
} from '../data-dir.ts'
import { renderKubeconfig } from '../kubeconfig.ts'
import { encodeJoinToken } from '../token.ts'
import { parse, UsageError } from './usage.ts'

export async function runSnapshotRestore(args: string[]): Promise<number> {
  const { values, positionals } = parse('snapshot restore', args, {
    data: { type: 'string' },
    listen: { type: 'string' },
    api: { type: 'string' },
    name: { type: 'string' },
  })
  if (positionals.length !== 1) throw new UsageError('snapshot restore: give the snapshot FILE')
  if (!values.data) throw new UsageError('snapshot restore: --data DIR is required')
  const paths = dataPaths(values.data)
  if (existsSync(paths.nodeJson) || existsSync(paths.raft)) {
    throw new Error(`${values.data} already holds a node; restore into an empty directory`)
  }
  let state: ClusterState
  try {
    state = ClusterState.decode(new Uint8Array(await readFile(positionals[0]!)))
  } catch (error) {
    throw new Error(`${positionals[0]} is not a coxswain snapshot (${(error as Error).message})`)
  }
  const id = peerIdFromPrivateKey(await loadOrCreateIdentity(paths.nodeKey)).toString()
  const secrets = await newClusterSecrets()
  const clusterId = secrets.clusterId
  const listenHost = /^\/ip4\/([^/]+)/.exec(values.listen ?? '/ip4/127.0.0.1')?.[1] ?? '127.0.0.1'
  const listenPort =
    Number(/\/tcp\/(\d+)/.exec(values.listen ?? '')?.[1] ?? 0) || (await freePort(listenHost))
  const [apiHost, apiPortText] = splitHostPort(values.api ?? '127.0.0.1:0')
  const apiPort = Number(apiPortText) || (await freePort(apiHost))
  const config: NodeConfig = {
    version: nodeConfigVersion,
    clusterId,
    id,
    name: values.name ?? `restored-${id.slice(-6).toLowerCase()}`,
    listen: `/ip4/${listenHost}/tcp/${listenPort}`,
    advertise: `/ip4/${listenHost}/tcp/${listenPort}`,
    api: `${apiHost}:${apiPort}`,
    apiAdvertise: `${apiHost}:${apiPort}`,
    role: 'voter',
    wants: 'auto',
    pid: 0,
  }
  // The restored state keeps its objects; its members and tokens belong to the old cluster.
  state.clusterId = clusterId
  state.members.clear()
  state.removed.clear()
  state.tokens.clear()
  state.members.set(id, {
    id,
    name: config.name,
    p2pAddresses: [`${config.advertise}/p2p/${id}`],
    apiAddress: config.apiAdvertise,
    role: 'voter',
    joinedIndex: 0,
  })
  // Versions of restored keys are indexes of the old log: the new log starts after all of them,
  // so a compare-and-set never sees a version go backwards.
  const index = Math.max(1, ...[...state.kv.values()].map((record) => record.version)) + 1
  await writeSoleReplica(paths, id, state, index, 1)
  await writeSecrets(paths, secrets)
  await writeNodeConfig(paths, config)
  await writeFileAtomic(
    paths.kubeconfig,
    renderKubeconfig({
      contexts: [{ name: 'coxswain', server: `https://${config.apiAdvertise}` }],
      current: 'coxswain',
      caPem: secrets.caCertPem,
      token: secrets.adminToken,
    }),
  )
  await writeFileAtomic(
    paths.joinToken,
    `${encodeJoinToken({ clusterId, pskHex: secrets.pskHex, bootstrap: [`${config.advertise}/p2p/${id}`] })}\n`,
  )
  process.stdout.write(
    `restored ${state.kv.size} keys into a new cluster ${clusterId} in ${values.data}\n` +
      `start it with: cox agent --data ${values.data}\nkubeconfig: ${paths.kubeconfig}\n`,
  )
  return 0
}

export async function runRecover(args: string[]): Promise<number> {
  const { values, positionals } = parse('cluster recover', args, {
    'force-new-cluster': { type: 'boolean' },
    data: { type: 'string' },
  })
  if (positionals.length > 0) throw new UsageError(`cluster recover: unexpected argument "${positionals[0]}"`)
  if (!values['force-new-cluster']) {
    throw new UsageError('cluster recover: say --force-new-cluster (this node becomes the only voter)')
  }
  if (!values.data) throw new UsageError('cluster recover: --data DIR of the stopped survivor is required')
  const paths = dataPaths(values.data)
  const config = await readNodeConfig(paths)
  const secrets = await readSecrets(paths)
  if (!config || !secrets || !existsSync(paths.raft)) {
    throw new Error(`${values.data} holds no replica to recover from (no node.json, secrets.key or raft/)`)
  }
  const storage = await openLevelStorage(paths.raft)
  let state: ClusterState
  let lastIndex: number
  let term: number
  try {
    const persisted = await loadPersistedState(storage)
    state = persisted.snapshot ? ClusterState.decode(persisted.snapshot.data) : new ClusterState()
    lastIndex = persisted.snapshot?.meta.index ?? 0
    // Everything in the survivor's log is kept, committed or not, as etcd's --force-new-cluster does.
    for (const entry of persisted.entries) {
      lastIndex = entry.index
      if (entry.kind === 'command') state.apply(entry.index, decodeCommand(entry.data))
    }
    term = Math.max(
      persisted.hardState?.term ?? 0,
      persisted.entries.at(-1)?.term ?? 0,
      persisted.snapshot?.meta.term ?? 0,
    )
  } finally {
    await storage.close()
  }
  const others = [...state.members.keys()].filter((memberId) => memberId !== config.id)
  for (const memberId of others) {
    state.members.delete(memberId)
    state.removed.add(memberId)
  }
  const self = state.members.get(config.id)
  if (self) state.members.set(config.id, { ...self, role: 'voter' })
  await writeSoleReplica(paths, config.id, state, Math.max(lastIndex, 1), Math.max(term, 1))
  await writeNodeConfig(paths, { ...config, role: 'voter' })
  process.stdout.write(
    `${values.data} is now the only voter of cluster ${secrets.clusterId} (${others.length} members removed, ` +
      `state at index ${lastIndex}). Start its agent; removed members that come back discard their data and join again.\n`,
  )
  return 0
}

/** Replaces the replica in `paths` by one snapshot of `state` at `index`, with this node its only voter. */
async function writeSoleReplica(
  paths: DataPaths,
  id: string,
  state: ClusterState,
  index: number,
  term: number,
): Promise<void> {
  const storage = await openLevelStorage(paths.raft)
  try {
    await persistReady(storage, {
      snapshot: { meta: { index, term, membership: { voters: [id], learners: [] } }, data: state.encode() },
      entries: [],
      hardState: { term, vote: null, commit: index },
    })
  } finally {
    await storage.close()
  }
}
