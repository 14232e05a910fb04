// The `cox` commands that reach a running cluster through its API, as kubectl does: `cluster
// status|config|remove`, `token join`, `snapshot save`. Errors from the server arrive as Status
// objects; their message is what the user sees.

import { writeFile } from 'node:fs/promises'
import { ApiClient, type ApiResponse } from '../api-client.ts'
import type { ClusterStatus } from '../cluster-api.ts'
import { clientFlags, parse, UsageError } from './usage.ts'

export async function runClusterCommand(group: string, args: string[]): Promise<number> {
  const [verb, ...rest] = args
  const { values, positionals } = parse(`${group} ${verb ?? ''}`.trim(), rest, {
    ...clientFlags,
    output: { type: 'string', short: 'o' },
    'read-only': { type: 'boolean' },
  })
  const client = await ApiClient.fromKubeconfig({ kubeconfig: values.kubeconfig, context: values.context })
  try {
    switch (`${group} ${verb}`) {
      case 'cluster status':
        return await status(client, values.output)
      case 'cluster config':
        return await config(client, positionals)
      case 'cluster remove': {
        if (positionals.length !== 1) throw new UsageError('cluster remove: name exactly one node')
        const body = await ok(
          await client.request('DELETE', `/cox/v1/cluster/members/${encodeURIComponent(positionals[0]!)}`),
        )
        const { removed } = JSON.parse(body) as { removed: { name: string; id: string } }
        process.stdout.write(`removed ${removed.name} (${removed.id})\n`)
        return 0
      }
      case 'token create': {
        const response = await client.request('POST', '/cox/v1/tokens', {
          body: { access: values['read-only'] ? 'read' : 'admin' },
        })
        const { token } = JSON.parse(await ok(response)) as { token: string }
        process.stdout.write(`${token}\n`)
        return 0
      }
      case 'token join':
        process.stdout.write(await ok(await client.request('GET', '/cox/v1/token/join')))
        return 0
      case 'snapshot save': {
        if (positionals.length !== 1) throw new UsageError('snapshot save: give the FILE to write')
        const response = await client.request('GET', '/cox/v1/snapshot')
        await ok(response)
        await writeFile(positionals[0]!, response.body, { mode: 0o600 })
        process.stdout.write(`snapshot saved to ${positionals[0]} (${response.body.length} bytes)\n`)
        return 0
      }
      default:
        throw new UsageError(`unknown command "${group} ${verb ?? ''}"`)
    }
  } finally {
    client.close()
  }
}

async function status(client: ApiClient, output: string | undefined): Promise<number> {
  if (output !== undefined && output !== 'json') throw new UsageError('cluster status: -o takes only json')
  const status = JSON.parse(await ok(await client.request('GET', '/cox/v1/cluster/status'))) as ClusterStatus
  if (output === 'json') {
    process.stdout.write(`${JSON.stringify(status)}\n`)
    return 0
  }
  const leader = status.leader ? `${status.leader.name}` : '(none)'
  process.stdout.write(
    `cluster ${status.clusterId}  leader ${leader}  term ${status.term}  commit ${status.commitIndex}  applied ${status.appliedIndex}\n\n`,
  )
  const rows = status.members.map((m) => [
    m.name + (status.leader?.id === m.id ? ' *' : ''),
    m.role,
    m.reachable ? 'yes' : 'no',
    m.matchIndex === null ? '-' : String(m.matchIndex),
    m.apiAddress,
    m.pid === null ? '-' : String(m.pid),
  ])
  process.stdout.write(table(['NAME', 'ROLE', 'REACHABLE', 'MATCH', 'API', 'PID'], rows))
  return 0
}

async function config(client: ApiClient, assignments: string[]): Promise<number> {
  if (assignments.length === 0) {
    process.stdout.write(`${await ok(await client.request('GET', '/cox/v1/cluster/config'))}\n`)
    return 0
  }
  const settings: Record<string, number> = {}
  for (const assignment of assignments) {
    const match = /^([a-zA-Z]+)=(\d+)$/.exec(assignment)
    if (!match) throw new UsageError(`cluster config: "${assignment}" is not KEY=NUMBER`)
    settings[match[1]!] = Number(match[2])
  }
  process.stdout.write(
    `${await ok(await client.request('PUT', '/cox/v1/cluster/config', { body: settings }))}\n`,
  )
  return 0
}

/** A non-2xx answer, with the reason and message of the Status object the server sent. */
export class ApiStatusError extends Error {
  override readonly name = 'ApiStatusError'
  readonly code: number
  /** The Status `reason` (`NotFound`, `Conflict`...), or one derived from the code without a Status. */
  readonly reason: string
  /** The Status `message`, or the raw body. */
  readonly statusMessage: string

  constructor(code: number, reason: string, statusMessage: string) {
    super(`the server answered ${code}: ${statusMessage}`)
    this.code = code
    this.reason = reason
    this.statusMessage = statusMessage
  }
}

/** Reasons for a bare code, as client-go derives them when the body is not a Status. */
const reasonByCode: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  503: 'ServiceUnavailable',
  504: 'Timeout',
}

/** The body of a 2xx answer; otherwise the Status message, thrown as an ApiStatusError. */
export async function ok(response: ApiResponse): Promise<string> {
  const text = response.text()
  if (response.status >= 200 && response.status < 300) return text
  throw statusError(response.status, text)
}

/** The error a non-2xx answer with body `text` stands for. */
export function statusError(code: number, text: string): ApiStatusError {
  let message = text
  let reason: string | undefined
  try {
    const status = JSON.parse(text) as { message?: string; reason?: string }
    message = status.message ?? text
    reason = status.reason
  } catch {}
  return new ApiStatusError(code, reason || (reasonByCode[code] ?? 'InternalError'), message)
}

/** Column widths for `rows` under `header`: the widest cell of each. */
export function columnWidths(header: string[], rows: string[][]): number[] {
  return header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
}

/** One row, each cell padded to its column's width and 3 spaces apart (as kubectl prints). */
export function tableRow(cells: string[], widths: number[]): string {
  return cells
    .map((c, i) => c.padEnd(widths[i] ?? 0))
    .join('   ')
    .trimEnd()
}

export function table(header: string[], rows: string[][]): string {
  const widths = columnWidths(header, rows)
  return `${[tableRow(header, widths), ...rows.map((r) => tableRow(r, widths))].join('\n')}\n`
}
