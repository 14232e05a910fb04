// Kubeconfig files: what we write, kubectl reads back; what kubectl would connect to (its minified,
// flattened view of the same files, flags and environment), we resolve too, merging included.

import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  KubeconfigError,
  type ResolvedKubeconfig,
  renderKubeconfig,
  resolveKubeconfig,
  writeKubeconfig,
} from '../../node/kubeconfig.ts'

const run = promisify(execFile)
const kubectl = '/usr/bin/kubectl'
const caPem = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n'
const otherCaPem = '-----BEGIN CERTIFICATE-----\nMIIBother\n-----END CERTIFICATE-----\n'
const token = 'cox-admin-0123456789abcdef'

const test = suite<{ directory: string }>('node: kubeconfig')

test.before.each(async (context) => {
  context.directory = await mkdtemp(join(tmpdir(), 'cox-kubeconfig-'))
})

test.after.each(async (context) => {
  await rm(context.directory, { recursive: true, force: true })
})

function threeNodes(): string {
  return renderKubeconfig({
    contexts: [1, 2, 3].map((i) => ({ name: `node-${i}`, server: `https://127.0.0.1:${6442 + i}` })),
    current: 'node-1',
    caPem,
    token,
  })
}

interface KubectlView {
  clusters: { name: string; cluster: Record<string, unknown> }[]
  users: { name: string; user: Record<string, unknown> }[]
  contexts: { name: string; context: { cluster: string; user: string } }[]
  'current-context': string
}

async function kubectlView(args: string[], env: NodeJS.ProcessEnv = {}): Promise<KubectlView> {
  const { stdout } = await run(kubectl, ['config', 'view', '--raw', '-o', 'json', ...args], {
    env: { PATH: process.env.PATH, HOME: '/nonexistent', ...env },
  })
  return JSON.parse(stdout)
}

/**
 * What kubectl would use for a context: its minified and flattened view, reduced to our shape. The
 * view shows a tokenFile as written; client-go reads it relative to its file's directory, given here.
 */
async function kubectlResolves(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  tokenFileDirectory = '/',
): Promise<Partial<ResolvedKubeconfig>> {
  const view = await kubectlView(['--minify', '--flatten', ...args], env)
  const cluster = view.clusters[0]!.cluster
  const user = view.users[0]?.user ?? {}
  const caData = cluster['certificate-authority-data'] as string | undefined
  const tokenFile = user.tokenFile as string | undefined
  return {
    server: cluster.server as string,
    caPem: caData ? Buffer.from(caData, 'base64').toString('utf8') : null,
    token:
      (user.token as string | undefined) ??
      (tokenFile ? (await readFile(resolve(tokenFileDirectory, tokenFile), 'utf8')).trim() : null),
    insecure: cluster['insecure-skip-tls-verify'] === true,
    contextName: view['current-context'],
  }
}

function withoutPath(resolved: ResolvedKubeconfig): Partial<ResolvedKubeconfig> {
  const { path: _path, ...rest } = resolved
  return rest
}

test('kubectl reads what we render: a cluster, user and context per node, named alike', async ({
  directory,
}) => {
  const path = join(directory, 'kubeconfig')
  await writeKubeconfig(path, threeNodes())

  const view = await kubectlView(['--kubeconfig', path])

  assert.is(view['current-context'], 'node-1')
  assert.equal(
    view.contexts.map(({ name, context }) => [name, context.cluster, context.user]),
    [
      ['node-1', 'node-1', 'node-1'],
      ['node-2', 'node-2', 'node-2'],
      ['node-3', 'node-3', 'node-3'],
    ],
  )
  assert.equal(
    view.clusters.map(({ name, cluster }) => [name, cluster.server]),
    [
      ['node-1', 'https://127.0.0.1:6443'],
      ['node-2', 'https://127.0.0.1:6444'],
      ['node-3', 'https://127.0.0.1:6445'],
    ],
  )
  for (const { cluster } of view.clusters) {
    assert.is(Buffer.from(String(cluster['certificate-authority-data']), 'base64').toString('utf8'), caPem)
  }
  assert.equal(
    view.users.map(({ user }) => user.token),
    [token, token, token],
  )
})

test('rendering refuses a current context that is not among the contexts', () => {
  assert.throws(
    () =>
      renderKubeconfig({
        contexts: [{ name: 'node-1', server: 'https://x' }],
        current: 'node-9',
        caPem,
        token,
      }),
    /node-9/,
  )
})

test('the file is written private and whole, replacing the old one, with no temporary left', async ({
  directory,
}) => {
  const path = join(directory, 'kubeconfig')
  await writeFile(path, 'old', { mode: 0o644 })

  await writeKubeconfig(path, threeNodes())

  assert.is((await stat(path)).mode & 0o777, 0o600)
  assert.is(await readFile(path, 'utf8'), threeNodes())
  assert.equal(await readdir(directory), ['kubeconfig'])
})

test('--kubeconfig and --context resolve as kubectl does', async ({ directory }) => {
  const path = join(directory, 'kubeconfig')
  await writeKubeconfig(path, threeNodes())

  const current = await resolveKubeconfig({ kubeconfig: path, env: {} })
  const second = await resolveKubeconfig({ kubeconfig: path, context: 'node-2', env: {} })

  assert.equal(current, {
    server: 'https://127.0.0.1:6443',
    caPem,
    token,
    insecure: false,
    contextName: 'node-1',
    path,
  })
  assert.equal(withoutPath(current), await kubectlResolves(['--kubeconfig', path]))
  assert.equal(withoutPath(second), await kubectlResolves(['--kubeconfig', path, '--context', 'node-2']))
})

test('KUBECONFIG files merge: the first to set a value wins; missing files are skipped', async ({
  directory,
}) => {
  // first: current-context "first", a cluster "shared" that the second file defines too.
  const first = join(directory, 'first.yaml')
  await writeFile(
    first,
    yamlConfig({
      current: 'first',
      clusters: [
        { name: 'shared', cluster: { server: 'https://first:1', 'certificate-authority-data': b64(caPem) } },
      ],
      users: [{ name: 'admin', user: { token: 'first-token' } }],
      contexts: [{ name: 'first', context: { cluster: 'shared', user: 'admin' } }],
    }),
  )
  // second, in another directory: relative certificate-authority and tokenFile, and an insecure cluster.
  const secondDirectory = join(directory, 'second')
  await mkdir(secondDirectory)
  await writeFile(join(secondDirectory, 'ca.pem'), otherCaPem)
  await writeFile(join(secondDirectory, 'token'), 'second-token\n')
  const second = join(secondDirectory, 'config')
  await writeFile(
    second,
    yamlConfig({
      current: 'second',
      clusters: [
        { name: 'shared', cluster: { server: 'https://second:2' } },
        { name: 'own', cluster: { server: 'https://own:3', 'certificate-authority': 'ca.pem' } },
        { name: 'lax', cluster: { server: 'https://lax:4', 'insecure-skip-tls-verify': true } },
      ],
      users: [
        { name: 'admin', user: { token: 'second-token-unused' } },
        { name: 'filed', user: { tokenFile: 'token' } },
      ],
      contexts: [
        { name: 'second', context: { cluster: 'own', user: 'filed' } },
        { name: 'on-shared', context: { cluster: 'shared', user: 'filed' } },
        { name: 'lax', context: { cluster: 'lax', user: 'admin' } },
      ],
    }),
  )
  const env = { KUBECONFIG: [first, join(directory, 'missing.yaml'), second].join(':') }

  const current = await resolveKubeconfig({ env })
  const own = await resolveKubeconfig({ env, context: 'second' })
  const onShared = await resolveKubeconfig({ env, context: 'on-shared' })
  const lax = await resolveKubeconfig({ env, context: 'lax' })

  assert.equal(withoutPath(current), {
    server: 'https://first:1',
    caPem,
    token: 'first-token',
    insecure: false,
    contextName: 'first',
  })
  assert.equal(withoutPath(own), {
    server: 'https://own:3',
    caPem: otherCaPem,
    token: 'second-token',
    insecure: false,
    contextName: 'second',
  })
  assert.is(own.path, second)
  assert.is(onShared.server, 'https://first:1')
  assert.equal([lax.insecure, lax.token], [true, 'first-token'])
  for (const [resolved, args] of [
    [current, []],
    [own, ['--context', 'second']],
    [onShared, ['--context', 'on-shared']],
    [lax, ['--context', 'lax']],
  ] as const) {
    const kubectlView = await kubectlResolves([...args], env, secondDirectory)
    assert.equal(withoutPath(resolved), kubectlView, `kubectl ${args.join(' ')}`)
  }
})

test('without flag or KUBECONFIG, ~/.kube/config is read', async ({ directory }) => {
  await mkdir(join(directory, '.kube'))
  await writeKubeconfig(join(directory, '.kube', 'config'), threeNodes())

  const resolved = await resolveKubeconfig({ env: { HOME: directory } })

  assert.is(resolved.server, 'https://127.0.0.1:6443')
  assert.is(resolved.path, join(directory, '.kube', 'config'))
})

test('no kubeconfig anywhere: the error says how to give one', async ({ directory }) => {
  const error = await resolveKubeconfig({ env: { HOME: directory } }).catch((e: unknown) => e)
  const missingFlag = await resolveKubeconfig({ kubeconfig: join(directory, 'nope'), env: {} }).catch(
    (e) => e,
  )
  const missingList = await resolveKubeconfig({ env: { KUBECONFIG: join(directory, 'nope') } }).catch(
    (e) => e,
  )

  for (const e of [error, missingFlag, missingList]) {
    assert.instance(e, KubeconfigError)
    assert.match((e as Error).message, 'pass --kubeconfig or set KUBECONFIG, e.g. to DIR/kubeconfig')
  }
  assert.match((error as Error).message, join(directory, '.kube', 'config'))
})

test('an unknown context is refused with the known ones', async ({ directory }) => {
  const path = join(directory, 'kubeconfig')
  await writeKubeconfig(path, threeNodes())

  const error = await resolveKubeconfig({ kubeconfig: path, context: 'node-9', env: {} }).catch(
    (e: unknown) => e,
  )

  assert.instance(error, KubeconfigError)
  assert.match((error as Error).message, 'context "node-9"')
  assert.match((error as Error).message, 'known contexts: node-1, node-2, node-3')
})

test('malformed YAML is reported with the file and line', async ({ directory }) => {
  const path = join(directory, 'kubeconfig')
  await writeFile(path, 'apiVersion: v1\nclusters:\n  - name: a\n    cluster: {server: [unclosed\n')

  const error = await resolveKubeconfig({ kubeconfig: path, env: {} }).catch((e: unknown) => e)

  assert.instance(error, KubeconfigError)
  assert.match((error as Error).message, new RegExp(`${path}:\\d+:\\d+ is not valid YAML`))
})

function b64(text: string): string {
  return Buffer.from(text).toString('base64')
}

function yamlConfig(config: {
  current: string
  clusters: object[]
  users: object[]
  contexts: object[]
}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: config.clusters,
    users: config.users,
    contexts: config.contexts,
    'current-context': config.current,
  })
}

test.run()
