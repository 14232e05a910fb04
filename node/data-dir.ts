// The data directory of one node (DESIGN.md, "Cluster lifecycle"): where each file lives, and the
// two small JSON files the agent keeps beside its Raft database. `node.json` is what the node is
// (identity, addresses, role); `secrets.key` holds the cluster secrets delivered at join, mode 0600.
// Both are written atomically (temporary file, then rename), so a crash leaves the old or the new.

import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { MemberRole } from '../core/cluster.ts'

export const nodeConfigVersion = 1
export const secretsVersion = 1

export interface DataPaths {
  readonly dir: string
  readonly raft: string
  readonly nodeKey: string
  readonly nodeJson: string
  readonly certs: string
  readonly secrets: string
  readonly kubeconfig: string
  readonly joinToken: string
}

export function dataPaths(dir: string): DataPaths {
  return {
    dir,
    raft: join(dir, 'raft'),
    nodeKey: join(dir, 'node.key'),
    nodeJson: join(dir, 'node.json'),
    certs: join(dir, 'certs'),
    secrets: join(dir, 'secrets.key'),
    kubeconfig: join(dir, 'kubeconfig'),
    joinToken: join(dir, 'join-token'),
  }
}

export interface NodeConfig {
  readonly version: number
  readonly clusterId: string
  readonly id: string
  readonly name: string
  /** The multiaddr the mesh listens on, with its port fixed once chosen. */
  readonly listen: string
  /** The multiaddr other nodes dial (without /p2p/). */
  readonly advertise: string
  /** host:port the HTTPS API listens on. */
  readonly api: string
  /** host:port other nodes and clients use to reach the API. */
  readonly apiAdvertise: string
  /** The role last assigned; the replicated member list is the authority. */
  readonly role: MemberRole
  /** `worker` when started with `--role worker`: it asks for that role whenever it (re)joins. */
  readonly wants: 'auto' | 'worker'
  readonly pid: number
}

export interface ClusterSecrets {
  readonly version: number
  readonly clusterId: string
  /** The mesh's pre-shared key, 64 hex characters. */
  readonly pskHex: string
  readonly caCertPem: string
  readonly caKeyPem: string
  readonly adminToken: string
  /** Encrypts Secrets at rest (AES-256-GCM), base64. Never in the log or snapshots. */
  readonly secretsKey: string
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`
  await writeFile(temporary, data, { mode })
  await rename(temporary, path)
}

async function readJson<T>(path: string, what: string): Promise<T | null> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
  try {
    return JSON.parse(text) as T
  } catch (error) {
    throw new Error(
      `${what} at ${path} is not valid JSON (${(error as Error).message}); restore it or start afresh`,
    )
  }
}

export async function readNodeConfig(paths: DataPaths): Promise<NodeConfig | null> {
  const config = await readJson<NodeConfig>(paths.nodeJson, 'node.json')
  if (config && config.version !== nodeConfigVersion) {
    throw new Error(
      `node.json at ${paths.nodeJson} has version ${config.version}; this build reads ${nodeConfigVersion}`,
    )
  }
  return config
}

export async function writeNodeConfig(paths: DataPaths, config: NodeConfig): Promise<void> {
  await mkdir(paths.dir, { recursive: true })
  await writeFileAtomic(paths.nodeJson, `${JSON.stringify(config, null, 2)}\n`, 0o644)
}

export async function readSecrets(paths: DataPaths): Promise<ClusterSecrets | null> {
  const secrets = await readJson<ClusterSecrets>(paths.secrets, 'secrets.key')
  if (secrets && secrets.version !== secretsVersion) {
    throw new Error(
      `secrets.key at ${paths.secrets} has version ${secrets.version}; this build reads ${secretsVersion}`,
    )
  }
  return secrets
}

export async function writeSecrets(paths: DataPaths, secrets: ClusterSecrets): Promise<void> {
  await mkdir(paths.dir, { recursive: true })
  await writeFileAtomic(paths.secrets, `${JSON.stringify(secrets)}\n`, 0o600)
}

/** Forget the replica (a removed member rejoining, or a worker that no longer keeps one). */
export async function discardReplica(paths: DataPaths): Promise<void> {
  await rm(paths.raft, { recursive: true, force: true })
}
