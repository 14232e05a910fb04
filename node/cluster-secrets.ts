// The secrets a new cluster is founded with: its id, the mesh's pre-shared key, its own CA, the
// admin token and the key that encrypts Secrets at rest. Made once, at bootstrap (or when a
// snapshot is restored into a new cluster), then handed to every member at join over the mesh.

import { randomBytes, randomUUID } from 'node:crypto'
import { generatePsk, pskToHex } from '../net/psk.ts'
import { createClusterCa } from './certs.ts'
import { type ClusterSecrets, secretsVersion } from './data-dir.ts'

export async function newClusterSecrets(): Promise<ClusterSecrets> {
  const clusterId = randomUUID()
  const ca = await createClusterCa({ clusterId })
  return {
    version: secretsVersion,
    clusterId,
    pskHex: pskToHex(generatePsk()),
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    adminToken: randomBytes(32).toString('base64url'),
    secretsKey: randomBytes(32).toString('base64'),
  }
}
