#!/usr/bin/env node
// `cox`: the project's command line. `cox agent` runs a node; `cox up` a local cluster; the other
// commands reach a cluster through its API exactly as kubectl does (--kubeconfig, KUBECONFIG,
// --context), or work on a stopped node's data directory (snapshot restore, recover).
//
// Exit codes: 0 done; 1 the operation failed (the message says why); 2 the command line is wrong.

import { readFileSync } from 'node:fs'
import { runClusterCommand } from './cluster-commands.ts'
import { runKubeCommand } from './kube-commands.ts'
import { UsageError } from './usage.ts'

// The agent, `up` and the offline commands load libp2p, Raft and the API server (about a second);
// they are imported when run, so that the commands that only talk to the API start at once.

const usage = `usage: cox <command> [options]

node and local clusters:
  agent --data DIR [--join TOKEN] [--listen MULTIADDR] [--advertise MULTIADDR] [--api HOST:PORT]
        [--name NAME] [--role auto|worker] [--voters 1|3|5] [--standbys N] [--autopilot-grace-ms MS]
        [--runtime auto|docker|process|sim]
                                 run one node: bootstrap a cluster, join one, or resume from DIR
  up [--nodes 3] [--dir DIR] [--runtime R] [--json]
                                 run a local cluster of N agents on loopback until Ctrl-C
  hollow --count N --join TOKEN [--prefix hollow] [--sim-start-ms MS]
                                 run N hollow worker nodes in this process (scale tests)

cluster (through the API; --kubeconfig FILE, --context NAME, or KUBECONFIG):
  cluster status [-o json]       members, roles, leader, progress
  cluster config [KEY=VALUE...]  show or change cluster settings (voters, standbys, autopilotGraceMs, ...)
  cluster remove NODE            remove a member (by name or id)
  token join                     print a token that lets a new node join
  token create [--read-only]     print a new API bearer token (read-only: get, list, watch only)
  snapshot save FILE             write the cluster state to FILE

objects (through the API, as kubectl does; -n NS, --kubeconfig FILE, --context NAME, or KUBECONFIG):
  apply -f FILE|DIR|-            create or update the objects of manifests (server-side apply)
  get KIND[,KIND...] [NAME...] [-o wide|yaml|json|name] [-l SELECTOR] [-w] [-A]
                                 list objects, or show the named ones (KIND/NAME works too)
  describe KIND [NAME...]        show objects in detail, with their events
  delete KIND NAME... | -f FILE|DIR|- [--timeout 60s]
                                 delete objects and wait until they are gone
  scale KIND/NAME --replicas=N   set the replicas of a deployment, replica set or stateful set
  rollout status|history|undo deployment/NAME [--timeout D] [--revision N] [--to-revision N]
                                 follow a rollout, list its revisions, or go back to one
  autoscale KIND/NAME --max M [--min N] [--cpu-percent P] [--name NAME]
                                 create a HorizontalPodAutoscaler (autoscaling/v2) for it

offline (the agent on DIR must be stopped):
  snapshot restore FILE --data DIR [--listen MULTIADDR] [--api HOST:PORT] [--name NAME]
                                 found a new one-node cluster in DIR from a saved snapshot
  cluster recover --force-new-cluster --data DIR
                                 make a lone survivor the only voter when quorum is lost for good

  version                        print the version`

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'version':
    case '--version': {
      const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
      process.stdout.write(`coxswain ${packageJson.version} (node ${process.version})\n`)
      return 0
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${usage}\n`)
      return 0
    case 'agent':
      return (await import('./agent-command.ts')).runAgent(rest)
    case 'up':
      return (await import('./up.ts')).runUp(rest)
    case 'hollow':
      return (await import('./hollow-command.ts')).runHollow(rest)
    case 'snapshot':
      if (rest[0] === 'restore')
        return (await import('./offline-commands.ts')).runSnapshotRestore(rest.slice(1))
      return runClusterCommand(command, rest)
    case 'cluster':
      if (rest[0] === 'recover') return (await import('./offline-commands.ts')).runRecover(rest.slice(1))
      return runClusterCommand(command, rest)
    case 'token':
      return runClusterCommand(command, rest)
    case 'apply':
    case 'get':
    case 'describe':
    case 'delete':
    case 'scale':
    case 'rollout':
    case 'autoscale':
      return runKubeCommand(command, rest)
    default:
      throw new UsageError(`unknown command "${command}"`)
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: Error) => {
    if (error instanceof UsageError) {
      process.stderr.write(`cox: ${error.message}\n\n${usage}\n`)
      process.exitCode = 2
      return
    }
    process.stderr.write(`cox: ${error.message}\n`)
    process.exitCode = 1
  },
)
