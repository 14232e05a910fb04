// Reading manifests as kubectl does: documents, Lists, directories in name order, stdin, and
// malformed files rejected whole with the file, document and line named.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseManifest, readManifests } from '../../../node/cli/manifests.ts'

const configMap = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`

test('documents and Lists are flattened in order; empty documents are skipped', () => {
  const text = `${configMap('a')}---\n---\napiVersion: v1\nkind: List\nitems:\n- ${configMap('b').trim().replaceAll('\n', '\n  ')}\n`
  const file = parseManifest('m.yaml', text)
  assert.is(file.error, undefined)
  assert.equal(
    file.objects.map((o) => o.metadata.name),
    ['a', 'b'],
  )
})

test('a malformed document rejects the whole file, naming it, the document and the line in the file', () => {
  const file = parseManifest('bad.yaml', `${configMap('good')}---\n${configMap('bad')}   data: [1,\n`)
  assert.equal(file.objects, [])
  assert.match(file.error!, /^error parsing "bad\.yaml" \(document 2\) line 9 column \d+: /)
})

test('objects without apiVersion or kind are refused; JSON files are parsed as JSON', () => {
  assert.is(
    parseManifest('x.yaml', 'metadata:\n  name: x\n').error,
    'error validating "x.yaml": error validating data: [apiVersion not set, kind not set]',
  )
  assert.match(parseManifest('x.json', '{"apiVersion": "v1",}').error!, /^error parsing "x\.json": .*line 1/)
  assert.is(
    parseManifest('x.json', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"j"}}').objects[0]
      ?.metadata.name,
    'j',
  )
})

test('a directory yields its manifest files in name order; - reads stdin; a missing path is an error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cox-manifests-'))
  try {
    await mkdir(join(dir, 'nested'))
    await writeFile(join(dir, 'b.yml'), configMap('b'))
    await writeFile(join(dir, 'a.yaml'), configMap('a'))
    await writeFile(
      join(dir, 'c.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }),
    )
    await writeFile(join(dir, 'notes.txt'), 'no')
    await writeFile(join(dir, 'nested', 'd.yaml'), configMap('d'))
    const files = await readManifests([dir, '-', join(dir, 'missing.yaml')], async () => configMap('stdin'))
    assert.equal(
      files.map((f) => [
        f.source.replace(dir, 'DIR'),
        f.objects.map((o) => o.metadata.name),
        f.error ?? null,
      ]),
      [
        ['DIR/a.yaml', ['a'], null],
        ['DIR/b.yml', ['b'], null],
        ['DIR/c.json', ['c'], null],
        ['STDIN', ['stdin'], null],
        ['DIR/missing.yaml', [], `the path "${join(dir, 'missing.yaml')}" does not exist`],
      ],
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
