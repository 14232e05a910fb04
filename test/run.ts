// The test command (`npm test`). It runs the checks (the package.json scripts `typecheck`, `lint`
// and `depcheck`, one test case each), then every test/**/*.test.ts in its own Node process, two
// at a time, and sums uvu's summaries. The last line of stdout is `N passed, N failed`, which CI
// shows last. Exit code 1 if anything failed.
//
//   node test/run.ts [--no-checks] [FILTER...]   FILTER: a path or substring of the test files to run
//   COX_TEST_FILE_TIMEOUT_MS   per process, default 10 minutes; past it the process is killed

import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { delimiter, join, relative, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const checks = ['typecheck', 'lint', 'depcheck']
const filesInParallelMax = 2 // the CI machine has 2 cores
const timeoutMs = Number(process.env.COX_TEST_FILE_TIMEOUT_MS ?? 600_000)
// A process that has exited but whose pipes stay open (a leaked grandchild) is given this long.
const drainAfterExitMs = 2_000

interface Outcome {
  passed: number
  failed: number
  skipped: number
}

interface Run {
  exitCode: number | null
  signal: string | null
  timedOut: boolean
  output: string
  durationMs: number
}

async function main(args: string[]): Promise<void> {
  if (!(timeoutMs > 0)) throw new Error(`COX_TEST_FILE_TIMEOUT_MS must be a positive number of ms`)
  const filters = args.filter((arg) => arg !== '--no-checks').map((arg) => relative(root, resolve(arg)))
  const total: Outcome = { passed: 0, failed: 0, skipped: 0 }
  const add = (outcome: Outcome) => {
    total.passed += outcome.passed
    total.failed += outcome.failed
    total.skipped += outcome.skipped
  }

  if (!args.includes('--no-checks')) {
    const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts
    for (const name of checks) add(await runCheck(name, scripts[name]))
  }

  const files = findTestFiles().filter(
    (file) => filters.length === 0 || filters.some((f) => file.includes(f)),
  )
  console.log(`\ntest files: ${files.length}, ${filesInParallelMax} at a time`)
  await inParallel(files, filesInParallelMax, async (file) => add(await runTestFile(file)))

  if (total.skipped > 0) console.log(`${total.skipped} skipped`)
  console.log(`${total.passed} passed, ${total.failed} failed`)
  process.exitCode = total.failed > 0 ? 1 : 0
}

async function runCheck(name: string, command: string): Promise<Outcome> {
  // The shell finds tsc, biome and the pinned node in node_modules/.bin, as under npm.
  const run = await runProcess('/bin/sh', ['-c', command])
  const ok = run.exitCode === 0 && !run.timedOut
  report(ok, `${name} (${command})`, '', run)
  return { passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0 }
}

async function runTestFile(file: string): Promise<Outcome> {
  const run = await runProcess(process.execPath, [file])
  const summary = parseSummary(run.output)
  const passed = summary?.passed ?? 0
  // uvu's Total leaves skipped tests out, so what did not pass failed.
  let failed = summary ? Math.max(0, summary.total - summary.passed) : 1
  if (run.exitCode !== 0 || run.timedOut) failed = Math.max(failed, 1)
  const counts = `${passed} passed, ${failed} failed${summary?.skipped ? `, ${summary.skipped} skipped` : ''}`
  report(failed === 0, file, summary ? counts : `no uvu summary, ${counts}`, run)
  return { passed, failed, skipped: summary?.skipped ?? 0 }
}

function parseSummary(output: string): { total: number; passed: number; skipped: number } | undefined {
  const last = (label: string) => {
    const values = [...output.matchAll(new RegExp(`^\\s*${label}:\\s+(\\d+)\\s*$`, 'gm'))]
    return values.length > 0 ? Number(values[values.length - 1]![1]) : undefined
  }
  const [total, passed, skipped] = [last('Total'), last('Passed'), last('Skipped')]
  if (total === undefined || passed === undefined) return undefined
  return { total, passed, skipped: skipped ?? 0 }
}

/** A passing run gets one line; a failing one also its whole output, indented. */
function report(ok: boolean, name: string, counts: string, run: Run): void {
  const seconds = `${(run.durationMs / 1000).toFixed(1)}s`
  let why = ''
  if (run.timedOut) why = `killed after ${timeoutMs} ms`
  else if (run.signal) why = `killed by ${run.signal}`
  else if (run.exitCode !== 0) why = `exit code ${run.exitCode}`
  const line = [ok ? 'ok  ' : 'FAIL', name, counts, seconds, why].filter(Boolean).join('  ')
  if (ok) console.log(line)
  else console.log(`\n${line}\n${run.output.trimEnd().replace(/^/gm, '  | ')}\n`)
}

function runProcess(command: string, args: string[]): Promise<Run> {
  const startMs = performance.now()
  const bin = join(root, 'node_modules', '.bin')
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const chunks: Buffer[] = []
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
  child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk))
  let timedOut = false
  const timeout = setTimeout(() => {
    timedOut = true
    kill(child)
  }, timeoutMs)
  let drain: NodeJS.Timeout | undefined
  child.on('exit', () => {
    drain = setTimeout(() => kill(child), drainAfterExitMs)
  })
  return new Promise((done) => {
    const finish = (exitCode: number | null, signal: string | null, error?: Error) => {
      clearTimeout(timeout)
      clearTimeout(drain)
      const output = stripAnsi(Buffer.concat(chunks).toString('utf8')) + (error ? `\n${error.stack}` : '')
      done({ exitCode, signal, timedOut, output, durationMs: performance.now() - startMs })
    }
    child.on('close', (code, signal) => finish(code, signal))
    child.on('error', (error) => finish(null, null, error))
  })
}

/** Kills the child by its PID and stops waiting for its pipes (a grandchild may hold them). */
function kill(child: ChildProcess): void {
  try {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL')
  } catch {
    // Already gone.
  }
  child.stdout?.destroy()
  child.stderr?.destroy()
}

function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC.
  return text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '')
}

function findTestFiles(): string[] {
  return readdirSync(join(root, 'test'), { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.test.ts'))
    .map((path) => join('test', path))
    .sort()
}

async function inParallel<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items]
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await run(item)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

await main(process.argv.slice(2))
