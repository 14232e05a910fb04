// Kubeconfig files, read and written as kubectl reads them, so that `cox` and kubectl find the
// cluster the same way. Owns: rendering the file `cox up` and the bootstrap node write (one cluster,
// user and context entry per node, all named alike), writing it privately and atomically, and
// resolving which server, CA and token a command should use, with kubectl's rules:
//
//   file(s): --kubeconfig, else the KUBECONFIG list (merged: the first file to set a value wins;
//            missing files skipped), else ~/.kube/config
//   context: --context, else current-context
//   paths in a file (certificate-authority, tokenFile) are relative to that file's directory
//
// Client certificates, exec plugins and auth providers are not read: coxswain uses bearer tokens.

import { randomBytes } from 'node:crypto'
import { open as openFile, readFile, rename, rm } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, delimiter, dirname, join, resolve } from 'node:path'
import { parse as parseYaml, stringify as stringifyYaml, YAMLParseError } from 'yaml'

export const kubeconfigVariable = 'KUBECONFIG'
export const kubeconfigFileMode = 0o600
/** A kubeconfig is a few kilobytes; anything this large is not one. */
export const kubeconfigBytesMax = 4 * 1024 * 1024

export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError'
}

export interface KubeconfigContext {
  /** The name of the context and of its cluster and user entries, e.g. `node-1`. */
  readonly name: string
  /** The API server's URL, e.g. `https://127.0.0.1:6443`. */
  readonly server: string
}

export interface RenderKubeconfigOptions {
  readonly contexts: readonly KubeconfigContext[]
  readonly current: string
  readonly caPem: string
  readonly token: string
}

export interface ResolveKubeconfigOptions {
  /** The --kubeconfig flag: this file only, and it must exist. */
  readonly kubeconfig?: string
  /** The --context flag. */
  readonly context?: string
  /** Where KUBECONFIG and HOME are read; default process.env. */
  readonly env?: NodeJS.ProcessEnv
}

export interface ResolvedKubeconfig {
  readonly server: string
  readonly caPem: string | null
  readonly token: string | null
  readonly insecure: boolean
  readonly contextName: string
  /** The file the chosen context came from. */
  readonly path: string
}

export function renderKubeconfig(options: RenderKubeconfigOptions): string {
  const names = options.contexts.map((context) => context.name)
  if (names.length === 0) throw new Error('renderKubeconfig: no contexts given')
  const duplicate = names.find((name, i) => names.indexOf(name) !== i)
  if (duplicate !== undefined) throw new Error(`renderKubeconfig: context "${duplicate}" is given twice`)
  if (!names.includes(options.current)) {
    throw new Error(`renderKubeconfig: current context "${options.current}" is not among ${names.join(', ')}`)
  }
  const caData = Buffer.from(options.caPem, 'utf8').toString('base64')
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: options.contexts.map(({ name, server }) => ({
      name,
      cluster: { server, 'certificate-authority-data': caData },
    })),
    users: names.map((name) => ({ name, user: { token: options.token } })),
    contexts: names.map((name) => ({ name, context: { cluster: name, user: name } })),
    'current-context': options.current,
    preferences: {},
  }
  // lineWidth 0: base64 stays on one line, as kubectl writes it.
  return stringifyYaml(config, { lineWidth: 0 })
}

/** Writes through a temporary file in the same directory and a rename: readers see old or new, whole. */
export async function writeKubeconfig(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const file = await openFile(temporary, 'wx', kubeconfigFileMode)
    try {
      await file.writeFile(text, 'utf8')
      await file.chmod(kubeconfigFileMode) // the umask cannot widen a mode, but an inherited ACL might
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}

export async function resolveKubeconfig(options: ResolveKubeconfigOptions = {}): Promise<ResolvedKubeconfig> {
  const env = options.env ?? process.env
  const files = await loadFiles(options.kubeconfig, env)
  const contexts = mergeNamed(files, 'contexts')
  const contextName = options.context || files.map((file) => file.currentContext).find(Boolean)
  const known = [...contexts.keys()]
  const knownText =
    known.length > 0 ? `known contexts: ${known.join(', ')}` : 'the kubeconfig has no contexts'
  const where = files.map((file) => file.path).join(', ')
  if (!contextName) {
    throw new KubeconfigError(`no current-context in ${where}: pass --context (${knownText})`)
  }
  const context = contexts.get(contextName)
  if (context === undefined) {
    throw new KubeconfigError(`context "${contextName}" is not in ${where}: ${knownText}`)
  }
  const clusterName = stringField(context.body, 'cluster', context.path)
  const cluster = clusterName ? mergeNamed(files, 'clusters').get(clusterName) : undefined
  if (cluster === undefined) {
    throw new KubeconfigError(
      `context "${contextName}" in ${context.path} names cluster "${clusterName ?? ''}", which is not defined in ${where}`,
    )
  }
  const server = stringField(cluster.body, 'server', cluster.path)
  if (!server) {
    throw new KubeconfigError(
      `cluster "${clusterName}" in ${cluster.path} has no server: add its https:// URL`,
    )
  }
  const userName = stringField(context.body, 'user', context.path)
  // A context without a user entry is anonymous, as in kubectl.
  const user = userName ? mergeNamed(files, 'users').get(userName) : undefined
  return {
    server,
    caPem: await clusterCaPem(cluster),
    token: user ? await userToken(user) : null,
    insecure: cluster.body['insecure-skip-tls-verify'] === true,
    contextName,
    path: context.path,
  }
}

interface LoadedFile {
  readonly path: string
  readonly currentContext: string | undefined
  readonly clusters: readonly NamedEntry[]
  readonly users: readonly NamedEntry[]
  readonly contexts: readonly NamedEntry[]
}

/** One entry of a file's clusters, users or contexts list, with the file it came from. */
interface NamedEntry {
  readonly name: string
  readonly body: Record<string, unknown>
  readonly path: string
}

const entryBodyKey = { clusters: 'cluster', users: 'user', contexts: 'context' } as const

async function loadFiles(flag: string | undefined, env: NodeJS.ProcessEnv): Promise<LoadedFile[]> {
  const hint = 'pass --kubeconfig or set KUBECONFIG, e.g. to DIR/kubeconfig written by the bootstrap node'
  if (flag) {
    const file = await loadFile(resolve(flag))
    if (file === undefined) throw new KubeconfigError(`kubeconfig ${flag} does not exist: ${hint}`)
    return [file]
  }
  const list = env[kubeconfigVariable]
  const paths = list
    ? unique(list.split(delimiter).filter(Boolean)).map((path) => resolve(path))
    : [join(env.HOME || homedir(), '.kube', 'config')]
  const files: LoadedFile[] = []
  for (const path of paths) {
    const file = await loadFile(path)
    if (file !== undefined) files.push(file)
  }
  if (files.length === 0) {
    const looked = list ? `${kubeconfigVariable}=${list}` : paths[0]
    throw new KubeconfigError(`no kubeconfig found (looked at ${looked}): ${hint}`)
  }
  return files
}

/** undefined when the file does not exist; throws when it exists but is not a kubeconfig. */
async function loadFile(path: string): Promise<LoadedFile | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new KubeconfigError(`cannot read kubeconfig ${path}: ${(error as Error).message}`)
  }
  if (text.length > kubeconfigBytesMax) {
    throw new KubeconfigError(
      `kubeconfig ${path} is larger than ${kubeconfigBytesMax} bytes: is it the right file?`,
    )
  }
  let document: unknown
  try {
    document = parseYaml(text)
  } catch (error) {
    if (!(error instanceof YAMLParseError)) throw error
    const at = error.linePos ? `:${error.linePos[0].line}:${error.linePos[0].col}` : ''
    const reason = error.message.split('\n')[0]
    throw new KubeconfigError(`kubeconfig ${path}${at} is not valid YAML (${reason}): fix or regenerate it`)
  }
  // An empty file is an empty config, as in kubectl.
  if (document === null || document === undefined) document = {}
  if (!isRecord(document)) {
    throw new KubeconfigError(`kubeconfig ${path} is not a YAML mapping: is it the right file?`)
  }
  const current = document['current-context']
  return {
    path,
    currentContext: typeof current === 'string' && current !== '' ? current : undefined,
    clusters: namedEntries(document, 'clusters', path),
    users: namedEntries(document, 'users', path),
    contexts: namedEntries(document, 'contexts', path),
  }
}

function namedEntries(
  document: Record<string, unknown>,
  list: keyof typeof entryBodyKey,
  path: string,
): NamedEntry[] {
  const entries = document[list] ?? []
  if (!Array.isArray(entries)) throw new KubeconfigError(`kubeconfig ${path}: "${list}" is not a list`)
  return entries.map((entry, i) => {
    if (!isRecord(entry) || typeof entry.name !== 'string') {
      throw new KubeconfigError(`kubeconfig ${path}: entry ${i} of "${list}" has no name`)
    }
    const body = entry[entryBodyKey[list]] ?? {}
    if (!isRecord(body)) {
      throw new KubeconfigError(
        `kubeconfig ${path}: "${entry.name}" in "${list}" has no ${entryBodyKey[list]} mapping`,
      )
    }
    return { name: entry.name, body, path }
  })
}

/** kubectl's merge of named entries: the first file that defines a name wins it whole. */
function mergeNamed(files: readonly LoadedFile[], list: keyof typeof entryBodyKey): Map<string, NamedEntry> {
  const merged = new Map<string, NamedEntry>()
  for (const file of files) {
    for (const entry of file[list]) if (!merged.has(entry.name)) merged.set(entry.name, entry)
  }
  return merged
}

async function clusterCaPem(cluster: NamedEntry): Promise<string | null> {
  // As in kubectl, inline data wins over a file.
  const data = stringField(cluster.body, 'certificate-authority-data', cluster.path)
  if (data) return Buffer.from(data, 'base64').toString('utf8')
  const file = stringField(cluster.body, 'certificate-authority', cluster.path)
  if (!file) return null
  const path = resolve(dirname(cluster.path), file)
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    throw new KubeconfigError(
      `cannot read certificate-authority ${path} of cluster "${cluster.name}" in ${cluster.path}: ${(error as Error).message}`,
    )
  }
}

async function userToken(user: NamedEntry): Promise<string | null> {
  const token = stringField(user.body, 'token', user.path)
  if (token) return token
  const file = stringField(user.body, 'tokenFile', user.path)
  if (!file) return null
  const path = resolve(dirname(user.path), file)
  try {
    return (await readFile(path, 'utf8')).trim()
  } catch (error) {
    throw new KubeconfigError(
      `cannot read tokenFile ${path} of user "${user.name}" in ${user.path}: ${(error as Error).message}`,
    )
  }
}

function stringField(body: Record<string, unknown>, key: string, path: string): string | undefined {
  const value = body[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw new KubeconfigError(`kubeconfig ${path}: "${key}" is not a string`)
  return value
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)]
}
