// Manifests from the Kubernetes documentation, shared by the core/api tests: the Deployment of
// "Deployments" (concepts/workloads/controllers/deployment) and the Service of "Service"
// (concepts/services-networking/service), as kubectl sends them (YAML read into JSON).

import type { KubeObject } from '../../../core/api/object.ts'

/** The nginx-deployment of the Kubernetes docs, with the namespace the API server sets. */
export function nginxDeployment(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'nginx-deployment', namespace: 'default', labels: { app: 'nginx' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'nginx' } },
      template: {
        metadata: { labels: { app: 'nginx' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.14.2', ports: [{ containerPort: 80 }] }] },
      },
    },
  }
}

/** The my-service of the Kubernetes docs. */
export function myService(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'my-service', namespace: 'default' },
    spec: {
      selector: { 'app.kubernetes.io/name': 'MyApp' },
      ports: [{ protocol: 'TCP', port: 80, targetPort: 9376 }],
    },
  }
}
