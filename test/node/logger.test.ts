// The process logger: JSON lines with the fields given, the level from the option or COX_LOG_LEVEL,
// children that add fields, and stderr (never stdout) as where the lines go.

import { spawnSync } from 'node:child_process'
import { Writable } from 'node:stream'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createLogger } from '../../node/logger.ts'

const test = suite('node: logger')

function collect(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk))
      done()
    },
  })
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
  return { stream, lines }
}

test('a line is one JSON object with the name, the fields, the message and a level name', () => {
  const { stream, lines } = collect()
  const logger = createLogger({
    name: 'agent',
    level: 'info',
    fields: { node: 'node-1' },
    destination: stream,
  })

  logger.info({ term: 3 }, 'became leader')

  const [line] = lines()
  assert.is(line?.name, 'agent')
  assert.is(line?.node, 'node-1')
  assert.is(line?.term, 3)
  assert.is(line?.msg, 'became leader')
  assert.is(line?.level, 'info')
  assert.is(line?.pid, process.pid)
  assert.ok(!Number.isNaN(Date.parse(String(line?.time))), 'time is an ISO date')
})

test('lines below the level are dropped; a child adds its fields', () => {
  const { stream, lines } = collect()
  const logger = createLogger({ name: 'agent', level: 'warn', destination: stream })

  logger.info({}, 'dropped')
  logger.child({ component: 'api' }).warn({ status: 500 }, 'kept')

  assert.equal(
    lines().map((line) => [line.msg, line.component, line.status]),
    [['kept', 'api', 500]],
  )
})

test('the level comes from COX_LOG_LEVEL when no option is given, and the option wins over it', () => {
  const env = { COX_LOG_LEVEL: 'debug' }
  assert.is(createLogger({ name: 'a', env, destination: collect().stream }).level, 'debug')
  assert.is(createLogger({ name: 'a', env, level: 'error', destination: collect().stream }).level, 'error')
  assert.is(createLogger({ name: 'a', env: {}, destination: collect().stream }).level, 'info')
})

test('an unknown level is refused with the levels there are', () => {
  assert.throws(
    () => createLogger({ name: 'a', env: { COX_LOG_LEVEL: 'verbose' } }),
    (error: Error) => error.message.includes('COX_LOG_LEVEL=verbose') && error.message.includes('debug'),
  )
})

test('lines go to stderr, and stdout stays empty', () => {
  const script = [
    "import { createLogger } from './node/logger.ts'",
    "createLogger({ name: 'probe' }).info({ answer: 42 }, 'to stderr')",
  ].join('\n')
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: new URL('../..', import.meta.url),
    encoding: 'utf8',
    env: { ...process.env, COX_LOG_LEVEL: 'info' },
  })

  assert.is(child.status, 0, child.stderr)
  assert.is(child.stdout, '')
  const line = JSON.parse(child.stderr.trim())
  assert.is(line.msg, 'to stderr')
  assert.is(line.answer, 42)
})

test.run()
