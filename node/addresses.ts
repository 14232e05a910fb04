// Host and port helpers for the addresses a node listens on and advertises.

import { createServer } from 'node:net'
import { networkInterfaces } from 'node:os'

export function splitHostPort(address: string): [string, string] {
  const at = address.lastIndexOf(':')
  if (at < 0) throw new Error(`"${address}" is not HOST:PORT`)
  return [address.slice(0, at), address.slice(at + 1)]
}

export const isIpv4 = (host: string): boolean => /^\d+\.\d+\.\d+\.\d+$/.test(host)

/** The address other machines reach this one on: the first non-loopback IPv4, else loopback. */
export function primaryAddress(): string {
  for (const infos of Object.values(networkInterfaces())) {
    for (const info of infos ?? []) if (info.family === 'IPv4' && !info.internal) return info.address
  }
  return '127.0.0.1'
}

/** A port free on `host` now, to be fixed in node.json (the kernel may hand it out again later). */
export async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, host, () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}
