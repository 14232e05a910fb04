// The watch hub (node/api/watch-hub.ts): watchers that name the node they want (a kubelet's
// spec.nodeName selector) are asked only about pods bound there, and see exactly what a watcher
// filtering every change for the same node sees; both are counted, unsubscribed and expired alike.
//
//   COX_TEST_SEED=n node test/node/api/watch-hub.test.ts   reproduces the randomized test

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { KubeObject } from '../../../core/api/object.ts'
import type { WatchChange } from '../../../core/api/store.ts'
import { seededRandom } from '../../../core/random.ts'
import { type HubEvent, WatchHub } from '../../../node/api/watch-hub.ts'

const seed = Number(process.env.COX_TEST_SEED ?? 20_261_126)
console.log(`watch-hub test: seed=${seed} (reproduce with COX_TEST_SEED=${seed})`)

const test = suite('node: watch hub')
const pods = '/pods'

function pod(name: string, nodeName: string | undefined): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: name },
    spec: nodeName === undefined ? {} : { nodeName },
  }
}

const onNode = (node: string) => (object: KubeObject) =>
  (object.spec as { nodeName?: string } | undefined)?.nodeName === node

function recorder() {
  const seen: string[] = []
  return {
    seen,
    deliver: (events: readonly HubEvent[]) => {
      for (const e of events) seen.push(`${e.index}:${e.change.type}:${e.change.object.metadata.name}`)
    },
  }
}

test('a watcher indexed by node sees exactly what a filtering one sees', () => {
  const random = seededRandom(seed)
  const hub = new WatchHub(0)
  const nodes = ['a', 'b', 'c']
  const plain = new Map(nodes.map((node) => [node, recorder()]))
  const indexed = new Map(nodes.map((node) => [node, recorder()]))
  for (const node of nodes) {
    const wants = onNode(node)
    hub.subscribe({ resource: pods, wants, deliver: plain.get(node)!.deliver, expire: () => {} }, 0)
    const entry = {
      resource: pods,
      wants,
      nodeName: node,
      deliver: indexed.get(node)!.deliver,
      expire: () => {},
    }
    hub.subscribe(entry, 0)
  }
  assert.is(hub.watcherCount, 6)
  for (let index = 1; index <= 300; index++) {
    const changes: WatchChange[] = Array.from({ length: random.int(1, 6) }, (_, i) => {
      const node = random.int(0, 3)
      return {
        type: random.pick(['ADDED', 'MODIFIED', 'DELETED'] as const),
        resource: random.int(0, 9) === 0 ? '/configmaps' : pods,
        object: pod(`p${index}-${i}`, node === 3 ? undefined : nodes[node]),
      } as WatchChange
    })
    hub.publish(index, changes)
  }
  for (const node of nodes) {
    assert.ok(plain.get(node)!.seen.length > 0)
    assert.equal(indexed.get(node)!.seen, plain.get(node)!.seen, `node ${node}`)
  }
})

test('indexed watchers replay the history, unsubscribe, and expire on reset', () => {
  const hub = new WatchHub(0)
  hub.publish(1, [{ type: 'ADDED', resource: pods, object: pod('early', 'a') } as WatchChange])
  const seen = recorder()
  let expired = 0
  const unsubscribe = hub.subscribe(
    { resource: pods, wants: onNode('a'), nodeName: 'a', deliver: seen.deliver, expire: () => expired++ },
    0,
  )!
  hub.publish(2, [{ type: 'ADDED', resource: pods, object: pod('late', 'a') } as WatchChange])
  assert.equal(seen.seen, ['1:ADDED:early', '2:ADDED:late'])
  unsubscribe()
  assert.is(hub.watcherCount, 0)
  hub.publish(3, [{ type: 'ADDED', resource: pods, object: pod('after', 'a') } as WatchChange])
  assert.is(seen.seen.length, 2, 'nothing after unsubscribing')
  hub.subscribe(
    { resource: pods, wants: onNode('a'), nodeName: 'a', deliver: seen.deliver, expire: () => expired++ },
    3,
  )
  hub.reset(10)
  assert.is(expired, 1)
  assert.is(hub.watcherCount, 0)
})

test.run()
