// The shared object vocabulary (core/api/object.ts): apiVersion parsing, the envelope check and
// the failure Status every error answers with.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  failureStatus,
  formatApiVersion,
  isKubeObject,
  isRecord,
  parseApiVersion,
} from '../../../core/api/object.ts'

const test = suite('core/api: object')

test('apiVersion splits into group and version; the core group is empty', () => {
  assert.equal(parseApiVersion('v1'), { group: '', version: 'v1' })
  assert.equal(parseApiVersion('apps/v1'), { group: 'apps', version: 'v1' })
  assert.equal(parseApiVersion('coordination.k8s.io/v1'), { group: 'coordination.k8s.io', version: 'v1' })
  assert.is(formatApiVersion('', 'v1'), 'v1')
  assert.is(formatApiVersion('batch', 'v1'), 'batch/v1')
})

test('the envelope check wants string apiVersion and kind and object metadata', () => {
  assert.ok(isKubeObject({ apiVersion: 'v1', kind: 'Pod', metadata: {} }))
  assert.not.ok(isKubeObject({ apiVersion: 'v1', kind: 'Pod' }))
  assert.not.ok(isKubeObject({ apiVersion: 1, kind: 'Pod', metadata: {} }))
  assert.not.ok(isKubeObject({ apiVersion: 'v1', kind: 'Pod', metadata: [] }))
  assert.not.ok(isKubeObject(null))
  assert.not.ok(isRecord([]))
})

test('a failure Status has the shape kubectl decodes', () => {
  const status = failureStatus(404, 'NotFound', 'pods "web" not found', { name: 'web', kind: 'pods' })
  assert.equal(status, {
    apiVersion: 'v1',
    kind: 'Status',
    metadata: {},
    status: 'Failure',
    message: 'pods "web" not found',
    reason: 'NotFound',
    details: { name: 'web', kind: 'pods' },
    code: 404,
  })
  assert.not.ok('details' in failureStatus(500, 'InternalError', 'boom'))
})

test.run()
