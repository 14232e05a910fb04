// Resource quantities (core/api/quantity.ts): apimachinery's grammar, values in base units, milli
// values rounded up, and exact comparison (no float error in requests <= limits).

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { compareQuantities, milliValue, parseQuantity } from '../../../core/api/quantity.ts'

const test = suite('core/api: quantity')

test('valid quantities parse to base units', () => {
  const cases: [string, number][] = [
    ['500m', 0.5],
    ['1', 1],
    ['0.5', 0.5],
    ['.5', 0.5],
    ['1.', 1],
    ['128Mi', 128 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1G', 1e9],
    ['2k', 2000],
    ['1e3', 1000],
    ['1E3', 1000],
    ['1E', 1e18],
    ['+1', 1],
    ['-2', -2],
    ['100n', 1e-7],
    ['1.5Ki', 1536],
    ['0', 0],
  ]
  for (const [text, value] of cases) assert.equal(parseQuantity(text), { value }, text)
})

test('garbage is refused', () => {
  for (const text of [
    '',
    '12Mb',
    '1.2.3',
    'abc',
    '1 Gi',
    'Gi',
    '1ki',
    '--1',
    '1e',
    '1e+',
    'm',
    '1K',
    '0x10',
    '1e1001',
  ]) {
    assert.is(parseQuantity(text), null, JSON.stringify(text))
  }
})

test('milli values round up, exactly', () => {
  assert.is(milliValue('0.1'), 100)
  assert.is(milliValue('1'), 1000)
  assert.is(milliValue('250m'), 250)
  assert.is(milliValue('1.0001m'), 2)
  assert.is(milliValue('100n'), 1)
  assert.is(milliValue('1Ki'), 1_024_000)
  assert.is(milliValue('nope'), null)
})

test('comparison is exact across suffixes', () => {
  assert.is(compareQuantities('1', '1000m'), 0)
  assert.is(compareQuantities('1Gi', '1G'), 1)
  assert.is(compareQuantities('0.1', '100m'), 0)
  assert.is(compareQuantities('500m', '0.5001'), -1)
  assert.is(compareQuantities('1e3', '1k'), 0)
  assert.is(compareQuantities('-1', '0'), -1)
  assert.is(compareQuantities('x', '1'), null)
})

test.run()
