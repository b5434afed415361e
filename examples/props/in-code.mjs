// Properties in code, for `sila check --props examples/props/in-code.mjs` (and
// `sila audit`, `sila replay`): each is made with defineProperty from
// 'sila-kernel/properties' and reads one model state (model/state.ts): ksObjects
// (id → container, process, endpoint, region or device), ksCaps (id → cap with
// object, rights and where it sits), ksRoot, ksInit, ...
// A check answers null when the state is fine, else a sentence (or { message, detail }).
import { defineProperty } from 'sila-kernel/properties'

const objects = (state, kind) => [...state.ksObjects.values()].filter((object) => object.kind === kind)

export default [
  defineProperty('root-lives', (state) =>
    state.ksObjects.get(state.ksRoot)?.kind === 'container' ? null : 'the root container is gone',
  { says: 'the root container always exists' }),

  defineProperty('queues-within-depth', (state) => {
    const over = objects(state, 'endpoint').find((endpoint) => endpoint.queue.length > endpoint.depth)
    return over === undefined ? null : { message: `endpoint ${over.id} queues ${over.queue.length} > ${over.depth}`, detail: { object: over.id } }
  }, { says: 'no endpoint queues more messages than its depth' }),

  defineProperty('a-message-waits', (state) =>
    objects(state, 'endpoint').some((endpoint) => endpoint.queue.length > 0) ? 'a message is queued' : null,
  { kind: 'sometimes', says: 'some message can be left waiting on an endpoint' }),
]
