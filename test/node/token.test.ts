// The join token (node/token.ts): what is encoded comes back, and every malformed token is refused
// with a TokenError that says what is wrong with it and how to get a fresh one.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  decodeJoinToken,
  encodeJoinToken,
  type JoinToken,
  TokenError,
  tokenPrefix,
} from '../../node/token.ts'

const test = suite('node: token')

const peerId = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
const token: JoinToken = {
  clusterId: '4f1c2b7e-0d6a-4b8e-9a55-3c2d1e0f9a87',
  pskHex: '0123456789abcdef'.repeat(4),
  bootstrap: [`/ip4/10.0.0.1/tcp/7000/p2p/${peerId}`, `/dns4/cox-1.example/tcp/7000/p2p/${peerId}`],
}

/** A token with the body given, encoded the way encodeJoinToken does, to build malformed ones. */
const withBody = (body: unknown): string =>
  tokenPrefix + Buffer.from(JSON.stringify(body)).toString('base64url')
const validBody = { v: 1, c: token.clusterId, k: token.pskHex, b: token.bootstrap }

function assertRefused(text: string, detail: RegExp): void {
  try {
    const decoded = decodeJoinToken(text)
    assert.unreachable(`accepted ${JSON.stringify(text)} as ${JSON.stringify(decoded)}`)
  } catch (error) {
    assert.instance(error, TokenError)
    const { message, code, name } = error as TokenError
    assert.is(code, 'ERR_BAD_TOKEN')
    assert.is(name, 'TokenError')
    assert.match(message, /^the join token is not valid: /)
    assert.match(message, detail)
    assert.match(message, 'Get a fresh one with `cox token join` on a member.')
  }
}

test('a token decodes to what was encoded', () => {
  const text = encodeJoinToken(token)
  assert.ok(text.startsWith('cox1.'))
  assert.match(text, /^cox1\.[A-Za-z0-9_-]+$/, 'the body is base64url, safe to paste in a shell')
  assert.equal(decodeJoinToken(text), token)
})

test('whitespace around a pasted token is ignored', () => {
  assert.equal(decodeJoinToken(`  ${encodeJoinToken(token)}\n`), token)
})

test('a token without the cox1. prefix is refused', () => {
  const body = encodeJoinToken(token).slice(tokenPrefix.length)
  assertRefused(body, /it does not start with "cox1\."/)
  assertRefused('', /it does not start with "cox1\."/)
  assertRefused(`COX1.${body}`, /it does not start with "cox1\."/)
})

test('a token of a future format is refused by its format, not misread', () => {
  const future = `cox2.${encodeJoinToken(token).slice(tokenPrefix.length)}`
  assertRefused(future, /format cox2\. is not one this build reads/)
  assertRefused('cox10.e30', /format cox10\. is not one this build reads/)
})

test('a body with characters outside base64url is refused', () => {
  const text = encodeJoinToken(token)
  assertRefused(`${text.slice(0, 20)}+/${text.slice(20)}`, /it holds characters outside base64url/)
  assertRefused(`${text}==`, /it holds characters outside base64url/)
  assertRefused(`${text.slice(0, 30)}\n${text.slice(30)}`, /outside base64url/) // a line break from wrapping
})

test('a truncated or corrupted body is refused', () => {
  const text = encodeJoinToken(token)
  assertRefused(text.slice(0, text.length - 10), /it is truncated or corrupted/)
  assertRefused(text.slice(0, tokenPrefix.length + 4), /it is truncated or corrupted/)
  const first = tokenPrefix.length // the first body character encodes the opening brace
  const flipped = text.slice(0, first) + (text[first] === 'e' ? 'f' : 'e') + text.slice(first + 1)
  assertRefused(flipped, /it is truncated or corrupted/)
  assertRefused(tokenPrefix + Buffer.from('not json').toString('base64url'), /truncated or corrupted/)
  assertRefused(withBody(null), /truncated or corrupted/)
  assertRefused(withBody(42), /truncated or corrupted/)
})

test('a body without a cluster id is refused', () => {
  assertRefused(withBody({ ...validBody, c: undefined }), /the cluster id is missing/)
  assertRefused(withBody({ ...validBody, c: '' }), /the cluster id is missing/)
  assertRefused(withBody({ ...validBody, c: 7 }), /the cluster id is missing/)
})

test('a key that is not 64 lowercase hex digits is refused', () => {
  for (const k of [undefined, '', 'ab'.repeat(31), 'ab'.repeat(33), 'g'.repeat(64), 'AB'.repeat(32), 12]) {
    assertRefused(withBody({ ...validBody, k }), /the key is malformed/)
  }
})

test('a body with no bootstrap address carrying a /p2p/ peer id is refused', () => {
  const bad: unknown[] = [
    undefined,
    [],
    '/ip4/10.0.0.1/tcp/7000/p2p/x',
    ['/ip4/10.0.0.1/tcp/7000'],
    [`/p2p/${peerId}`, 7],
  ]
  for (const b of bad) {
    assertRefused(withBody({ ...validBody, b }), /it names no bootstrap address with a peer id/)
  }
})

test.run()
