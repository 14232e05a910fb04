#!/usr/bin/env node
// `cox`: the project's command line. The agent and the cluster commands join it as they are
// built; the simulator runs through `npm run sim` (chaos/ sits above node/ in the layering).

import { readFileSync } from 'node:fs'

const usage = `usage: cox <command> [options]

commands:
  version        print the version of coxswain

The simulator runs with: npm run sim -- [--seeds N] [--seed S] [--nodes 3|5] [--json]`

const [command] = process.argv.slice(2)

switch (command) {
  case 'version':
  case '--version': {
    const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
    process.stdout.write(`coxswain ${packageJson.version} (node ${process.version})\n`)
    break
  }
  case undefined:
  case 'help':
  case '--help':
  case '-h':
    process.stdout.write(`${usage}\n`)
    break
  default:
    process.stderr.write(`cox: unknown command "${command}"\n${usage}\n`)
    process.exitCode = 2
}
