// The cluster's certificate authority and the server certificates it signs, so that kubectl, `cox`
// and the agents can trust an agent's HTTPS API through one CA in the kubeconfig
// (`certificate-authority-data`). ECDSA P-256 throughout (what kubeadm and k3s use for small, fast
// keys), built with @peculiar/x509 on Node's WebCrypto. Keys are PKCS#8 PEM, as node:tls reads them.
// Where the CA key is kept and who may issue is the agent's business, not this module's.

import 'reflect-metadata' // @peculiar/x509 resolves its algorithms through tsyringe, which needs it
import { createHash, X509Certificate as NodeCertificate, type webcrypto } from 'node:crypto'
import { isIP } from 'node:net'
import * as x509 from '@peculiar/x509'

x509.cryptoProvider.set(globalThis.crypto)

export const caValidDaysDefault = 3650
export const serverCertValidDaysDefault = 365
/** Backdates notBefore, so that a node whose clock runs behind the issuer's still accepts the cert. */
export const clockSkewMsMax = 60 * 60 * 1000
/** How much of the cluster id goes into the CA's common name. */
export const caNameClusterIdLength = 8
/** Names every server certificate covers, whatever else it is issued for. */
export const loopbackDnsNames: readonly string[] = ['localhost']
export const loopbackIpAddresses: readonly string[] = ['127.0.0.1', '::1']

const serialNumberBytes = 16
const dayMs = 24 * 60 * 60 * 1000
const keyAlgorithm: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' }
const signingAlgorithm: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' }

export interface CertificateAndKey {
  readonly certPem: string
  readonly keyPem: string
}

export interface ClusterCaOptions {
  readonly clusterId: string
  readonly validDays?: number
}

export interface ServerCertOptions {
  readonly commonName: string
  readonly ipAddresses: readonly string[]
  readonly dnsNames: readonly string[]
  readonly validDays?: number
}

export async function createClusterCa(options: ClusterCaOptions): Promise<CertificateAndKey> {
  if (options.clusterId.length === 0) throw new Error('createClusterCa: the cluster id is empty')
  const keys = await generateKeys()
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: [{ CN: [`coxswain-ca-${options.clusterId.slice(0, caNameClusterIdLength)}`] }],
    ...validity(options.validDays ?? caValidDaysDefault),
    signingAlgorithm,
    keys,
    extensions: [
      // pathLength 0: the CA signs server certificates only, never another CA.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  })
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) }
}

/**
 * A certificate for one agent's API, signed by the cluster CA, valid for every address and name
 * given plus localhost, 127.0.0.1 and ::1. Also good as a client certificate (clientAuth).
 */
export async function issueServerCert(
  ca: CertificateAndKey,
  options: ServerCertOptions,
): Promise<CertificateAndKey> {
  const invalid = options.ipAddresses.filter((address) => isIP(address) === 0)
  if (invalid.length > 0) {
    throw new Error(`issueServerCert: not IP addresses: ${invalid.join(', ')}; pass host names in dnsNames`)
  }
  if (options.commonName.length === 0) throw new Error('issueServerCert: the common name is empty')
  const caCert = new x509.X509Certificate(ca.certPem)
  const caKey = await crypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(ca.keyPem),
    keyAlgorithm,
    false,
    ['sign'],
  )
  const keys = await generateKeys()
  const dnsNames = unique([...options.dnsNames, ...loopbackDnsNames])
  const ipAddresses = unique([...options.ipAddresses, ...loopbackIpAddresses])
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: [{ CN: [options.commonName] }],
    issuer: caCert.subjectName,
    ...validity(options.validDays ?? serverCertValidDaysDefault),
    signingAlgorithm,
    signingKey: caKey,
    publicKey: keys.publicKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  })
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) }
}

/** The SHA-256 of the certificate's DER bytes, lowercase hex without separators. */
export function certFingerprint(certPem: string): string {
  return createHash('sha256').update(new NodeCertificate(certPem).raw).digest('hex')
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return crypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify'])
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY')
}

/** Random and positive (top bit clear), as RFC 5280 asks of serial numbers. */
function randomSerialNumber(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(serialNumberBytes))
  bytes[0] = (bytes[0]! & 0x7f) | 0x01
  return Buffer.from(bytes).toString('hex')
}

function validity(validDays: number): { notBefore: Date; notAfter: Date } {
  if (!(validDays > 0)) {
    throw new Error(`a certificate must be valid for a positive number of days, not ${validDays}`)
  }
  const nowMs = Date.now()
  return { notBefore: new Date(nowMs - clockSkewMsMax), notAfter: new Date(nowMs + validDays * dayMs) }
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)]
}
