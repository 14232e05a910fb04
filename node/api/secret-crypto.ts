// Secrets at rest: a Secret's data is stored in the replicated state encrypted with AES-256-GCM
// under the cluster's secrets key (DIR/secrets.key, delivered at join over the mesh; never in the
// log or snapshots). The nonce is chosen by the node that prepares the write and travels inside the
// command, so every replica stores the same bytes. Stored form: `data` holds one entry under a key
// no Secret can have (keys may not contain "/"): the nonce, ciphertext and tag, base64.

import { createCipheriv, createDecipheriv } from 'node:crypto'
import type { KubeObject } from '../../core/api/object.ts'

export const encryptedKey = 'coxswain.dev/aes-gcm'
const tagBytes = 16

/** `stringData` folded into `data` (as Kubernetes does on write), then `data` sealed. */
export function encryptSecret(secret: KubeObject, key: Buffer, nonce: Buffer): KubeObject {
  const data: Record<string, string> = { ...((secret.data as Record<string, string> | undefined) ?? {}) }
  for (const [name, value] of Object.entries(
    (secret.stringData as Record<string, string> | undefined) ?? {},
  )) {
    data[name] = Buffer.from(String(value), 'utf8').toString('base64')
  }
  const { stringData: _stringData, ...rest } = secret as KubeObject & { stringData?: unknown }
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  const sealed = Buffer.concat([
    nonce,
    cipher.update(JSON.stringify(data), 'utf8'),
    cipher.final(),
    cipher.getAuthTag(),
  ])
  return { ...rest, data: { [encryptedKey]: sealed.toString('base64') } }
}

/** The Secret as clients see it. A Secret that cannot be opened shows no data (and is logged by the caller). */
export function decryptSecret(secret: KubeObject, key: Buffer): KubeObject {
  const sealedText = (secret.data as Record<string, string> | undefined)?.[encryptedKey]
  if (sealedText === undefined) return secret
  const sealed = Buffer.from(sealedText, 'base64')
  const nonce = sealed.subarray(0, 12)
  const tag = sealed.subarray(sealed.length - tagBytes)
  const decipher = createDecipheriv('aes-256-gcm', key, nonce)
  decipher.setAuthTag(tag)
  const plain = Buffer.concat([
    decipher.update(sealed.subarray(12, sealed.length - tagBytes)),
    decipher.final(),
  ])
  const data = JSON.parse(plain.toString('utf8')) as Record<string, string>
  const shown: KubeObject = { ...secret }
  if (Object.keys(data).length > 0) shown.data = data
  else delete shown.data
  return shown
}
