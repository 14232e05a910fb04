// Reading manifests for `cox apply -f` and `cox delete -f`, as kubectl reads them: a file, a
// directory's *.yaml, *.yml and *.json files in name order (not recursive), or `-` for stdin; YAML
// files may hold several documents, and a `kind: List` (or any `...List` with items) is flattened.
// A file that does not parse whole yields an error naming it (and the document and line) and no
// objects, so nothing from a malformed file is ever applied.

import { readdir, readFile, stat } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { isKubeObject, isRecord, type KubeObject } from '../../core/api/object.ts'

/** The extensions a directory's manifests have. */
const manifestExtensions: ReadonlySet<string> = new Set(['.yaml', '.yml', '.json'])
/** A manifest larger than this is refused before parsing (objects are at most 1.5 MiB). */
export const manifestBytesMax = 64 * 1024 * 1024

export interface ManifestFile {
  /** The path as the user gave it, or `STDIN`. */
  readonly source: string
  readonly objects: KubeObject[]
  /** Why the file was rejected whole; `objects` is empty then. */
  readonly error?: string
}

/** Every manifest file that `paths` (files, directories or `-`) name, in order. */
export async function readManifests(
  paths: readonly string[],
  stdin: () => Promise<string> = readStdin,
): Promise<ManifestFile[]> {
  const files: ManifestFile[] = []
  for (const path of paths) {
    if (path === '-') {
      files.push(parseManifest('STDIN', await stdin()))
      continue
    }
    const info = await stat(path).catch(() => undefined)
    if (info === undefined) {
      files.push({ source: path, objects: [], error: `the path "${path}" does not exist` })
    } else if (info.isDirectory()) {
      const names = (await readdir(path)).filter((name) => manifestExtensions.has(extname(name))).sort()
      for (const name of names) files.push(await readManifestFile(join(path, name)))
    } else {
      files.push(await readManifestFile(path))
    }
  }
  return files
}

async function readManifestFile(path: string): Promise<ManifestFile> {
  const info = await stat(path)
  if (info.size > manifestBytesMax) {
    return {
      source: path,
      objects: [],
      error: `error reading "${path}": larger than ${manifestBytesMax} bytes`,
    }
  }
  try {
    return parseManifest(path, await readFile(path, 'utf8'))
  } catch (error) {
    return { source: path, objects: [], error: `error reading "${path}": ${(error as Error).message}` }
  }
}

/** The objects in one manifest's text, or the reason it is malformed. */
export function parseManifest(source: string, text: string): ManifestFile {
  const values: { value: unknown; where: string }[] = []
  if (extname(source) === '.json') {
    try {
      values.push({ value: JSON.parse(text), where: '' })
    } catch (error) {
      return { source, objects: [], error: `error parsing "${source}": ${(error as Error).message}` }
    }
  } else {
    const documents = parseAllDocuments(text, { prettyErrors: true })
    const list = Array.isArray(documents) ? documents : []
    for (const [index, document] of list.entries()) {
      const where = list.length > 1 ? ` (document ${index + 1})` : ''
      const error = document.errors[0]
      if (error !== undefined) {
        const line = error.linePos?.[0]
        const at = line ? ` line ${line.line} column ${line.col}` : ''
        const summary = error.message.split('\n')[0]
        return {
          source,
          objects: [],
          error: `error parsing "${source}"${where}${at}: ${summary.replace(/ at line \d+, column \d+:?$/, '')}`,
        }
      }
      values.push({ value: document.toJS(), where })
    }
  }
  const objects: KubeObject[] = []
  for (const { value, where } of values) {
    if (value === null || value === undefined) continue
    const problem = collect(value, objects)
    if (problem !== null) {
      return { source, objects: [], error: `error validating "${source}"${where}: ${problem}` }
    }
  }
  return { source, objects }
}

/** Adds `value`'s objects to `into` (flattening lists); the reason it is not an object otherwise. */
function collect(value: unknown, into: KubeObject[]): string | null {
  if (!isRecord(value)) return 'a manifest must be a mapping with apiVersion, kind and metadata'
  if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
    for (const item of value.items) {
      const problem = collect(item, into)
      if (problem !== null) return problem
    }
    return null
  }
  const missing = ['apiVersion', 'kind'].filter(
    (field) => typeof value[field] !== 'string' || value[field] === '',
  )
  if (missing.length > 0) return `error validating data: [${missing.map((f) => `${f} not set`).join(', ')}]`
  if (value.metadata === undefined) value.metadata = {}
  if (!isKubeObject(value)) return 'metadata must be a mapping'
  into.push(value)
  return null
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  let bytes = 0
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    bytes += chunk.length
    if (bytes > manifestBytesMax)
      throw new Error(`the manifest on stdin is larger than ${manifestBytesMax} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}
