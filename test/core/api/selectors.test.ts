// Label and field selectors (core/api/selectors.ts): the query-string grammar and its errors,
// structured LabelSelectors matching the same way, printing back, and field selectors with the
// fields each kind can be selected by.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { KubeObject } from '../../../core/api/object.ts'
import { resourceFor } from '../../../core/api/resources.ts'
import {
  checkFieldSelector,
  fieldRequirementsToString,
  labelMatcher,
  labelSelectorRequirements,
  labelSelectorToString,
  matchesFieldSelector,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  requirementsToString,
  SelectorError,
  selectableFieldNames,
} from '../../../core/api/selectors.ts'

const test = suite('core/api: selectors')

const labels = { app: 'web', tier: 'front', env: 'prod', replicas: '3' }

test('each query-string operator matches as apimachinery does', () => {
  const cases: [string, boolean][] = [
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (web,db)', true],
    ['app in (db)', false],
    ['app notin (db)', true],
    ['missing notin (db)', true],
    ['app notin (web)', false],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['app=web,tier=front', true],
    ['app=web,tier=back', false],
    ['replicas>2', true],
    ['replicas<3', false],
    [' app = web , tier in ( front ) ', true],
  ]
  for (const [selector, expected] of cases) {
    assert.is(matchesLabels(parseLabelSelector(selector), labels), expected, selector)
  }
})

test('syntax errors say what was found and what was expected', () => {
  const cases: [string, RegExp][] = [
    ['app in web', /found 'web', expected: '\('/],
    ['app=web,', /found '', expected: identifier after ','/],
    ['=web', /found '=', expected: identifier/],
    ['app web', /found 'web', expected: in, notin, =, ==, !=, gt, lt/],
    ['!app=web', /found '=', expected: ',' or 'end of string'/],
    ['app in (a b)', /found 'b', expected: ',' or '\)'/],
    ['a/b/c=x', /unable to parse requirement: key: Invalid value: "a\/b\/c"/],
    ['app=-bad-', /Invalid value: "-bad-": a valid label must be an empty string/],
    ['replicas>x', /the value must be an integer/],
  ]
  for (const [selector, message] of cases) {
    assert.throws(
      () => parseLabelSelector(selector),
      (error: unknown) => error instanceof SelectorError && message.test(error.message),
      selector,
    )
  }
})

test('structured selectors match like their query-string form; absent selects nothing, {} everything', () => {
  const selector = {
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In' as const, values: ['front', 'back'] },
      { key: 'canary', operator: 'DoesNotExist' as const },
    ],
  }
  assert.ok(labelMatcher(selector)(labels))
  assert.not.ok(labelMatcher(selector)({ ...labels, canary: 'yes' }))
  assert.is(labelSelectorToString(selector), 'app=web,!canary,tier in (back,front)')
  assert.ok(
    labelMatcher(labelSelectorToString(selector))(labels),
    'its string parses back to the same matcher',
  )
  assert.is(labelSelectorRequirements(undefined), null)
  assert.not.ok(matchesLabels(labelSelectorRequirements(undefined), labels))
  assert.ok(labelMatcher({})(labels))
  assert.is(labelSelectorToString({}), '')
  assert.throws(
    () => labelSelectorRequirements({ matchExpressions: [{ key: 'a', operator: 'Like' as 'In' }] }),
    /"Like" is not a valid label selector operator/,
  )
})

test('requirements print sorted by key, sets sorted', () => {
  assert.is(requirementsToString(parseLabelSelector('z=1,a in (y,x),!b,c!=2,d')), 'a in (x,y),!b,c!=2,d,z=1')
})

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'default' },
  spec: { nodeName: 'n1', restartPolicy: 'Always' },
  status: { phase: 'Running', podIPs: [{ ip: '10.0.0.5' }] },
}

test('field selectors parse with escapes and match the selectable fields of the kind', () => {
  const podType = resourceFor('v1', 'Pod')!
  const requirements = parseFieldSelector('metadata.name=web-1,spec.nodeName==n1,status.phase!=Pending')
  assert.equal(requirements, [
    { field: 'metadata.name', operator: '=', value: 'web-1' },
    { field: 'spec.nodeName', operator: '=', value: 'n1' },
    { field: 'status.phase', operator: '!=', value: 'Pending' },
  ])
  assert.ok(matchesFields(podType, pod, requirements))
  assert.ok(matchesFields(podType, pod, parseFieldSelector('status.podIP=10.0.0.5,spec.hostNetwork=false')))
  assert.not.ok(matchesFields(podType, pod, parseFieldSelector('metadata.namespace!=default')))
  assert.ok(matchesFields(podType, pod, parseFieldSelector('spec.schedulerName=')), 'absent reads as empty')
  assert.ok(matchesFieldSelector(parseFieldSelector('metadata.name=web-1'), pod))
  assert.ok(matchesFields(podType, pod, []))

  const escaped = parseFieldSelector('metadata.name=a\\,b\\=c\\\\d')
  assert.equal(escaped, [{ field: 'metadata.name', operator: '=', value: 'a,b=c\\d' }])
  assert.is(fieldRequirementsToString(escaped), 'metadata.name=a\\,b\\=c\\\\d')
  assert.throws(
    () => parseFieldSelector('metadata.name'),
    /invalid selector: 'metadata.name'; can't understand 'metadata.name'/,
  )
})

test('an unsupported field is refused with the Kubernetes message', () => {
  const podType = resourceFor('v1', 'Pod')!
  assert.throws(
    () => checkFieldSelector(podType, parseFieldSelector('spec.foo=bar')),
    /^SelectorError: field label not supported: spec.foo$|field label not supported: spec\.foo/,
  )
  assert.throws(
    () => matchesFields(resourceFor('apps/v1', 'Deployment')!, pod, parseFieldSelector('spec.nodeName=n1')),
    /field label not supported: spec.nodeName/,
  )
  try {
    checkFieldSelector(podType, parseFieldSelector('spec.foo=bar'))
  } catch (error) {
    assert.is((error as Error).message, 'field label not supported: spec.foo')
  }
})

test('per-kind fields: events as kubectl describe lists them, secrets, nodes, namespaces, jobs', () => {
  const eventType = resourceFor('v1', 'Event')!
  const event: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web-1.1', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', uid: 'u1' },
    reason: 'Scheduled',
    source: { component: 'default-scheduler' },
    type: 'Normal',
  }
  assert.ok(
    matchesFields(
      eventType,
      event,
      parseFieldSelector(
        'involvedObject.name=web-1,involvedObject.namespace=default,involvedObject.uid=u1,source=default-scheduler',
      ),
    ),
  )
  assert.ok(selectableFieldNames(eventType).includes('reportingComponent'))
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', namespace: 'd' },
    type: 'Opaque',
  }
  assert.ok(matchesFields(resourceFor('v1', 'Secret')!, secret, parseFieldSelector('type=Opaque')))
  const node: KubeObject = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1' },
    spec: { unschedulable: true },
  }
  assert.ok(matchesFields(resourceFor('v1', 'Node')!, node, parseFieldSelector('spec.unschedulable=true')))
  const job: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j', namespace: 'd' },
    status: {},
  }
  assert.ok(matchesFields(resourceFor('batch/v1', 'Job')!, job, parseFieldSelector('status.successful=0')))
  assert.equal(selectableFieldNames(resourceFor('v1', 'ConfigMap')!), ['metadata.name', 'metadata.namespace'])
})

test.run()
