/**
 * User properties of a `sila-props/1` file decided on the impl's tables, for the
 * general engine (general.ts), which steps the impl: abstracting every new state
 * to the model's (refinement/abstraction.ts) only to read a few caps would cost
 * more than the step. Each evaluator answers only *whether* the state breaks the
 * property (an `always`) or is the good state looked for (a `sometimes`), with
 * exactly the meaning of the property's test on model states
 * (properties/user/evaluate.ts; test/checker/explore-props.test.ts compares them
 * on thousands of reached states); when it answers yes, the caller abstracts that
 * one state and asks the property's own test for the witness.
 *
 * Objects are compared by serial (the model's id), never by handle: ids are never
 * reused, so a named object that is gone matches nothing, as in the model.
 * @module
 */
import type { Kernel } from '../../impl/kernel.js'
import { KIND_CONTAINER, KIND_DEVICE, KIND_ENDPOINT, KIND_FREE, KIND_PROCESS, KIND_REGION, NONE, RES_COUNT } from '../../impl/tables/objects.js'
import { PLACE_FREE, PLACE_MESSAGE, PLACE_SLOT, PLACE_TABLE } from '../../impl/tables/caps.js'
import { R_READ, R_WRITE } from '../../spec/rights.js'
import type { ObjectKind } from '../../spec/ids.js'
import { RESERVED_RESOURCES } from '../../spec/limits.js'
import type { ResolvedCount, ResolvedObjects, ResolvedSubject } from '../../properties/user/evaluate.js'
import type { ConditionPlan, PropertyPlan } from '../../properties/user/resolve.js'

/** What the evaluators read of a kernel: its tables. */
export type PropsKernel = Pick<Kernel, 'objects' | 'caps' | 'namespaces'>

/** A compiled property: true when the state breaks it (`always`) or satisfies it (`sometimes`). */
export type ImplTest = (k: PropsKernel) => boolean

const KIND_CODES: Readonly<Record<ObjectKind, number>> = { container: KIND_CONTAINER, process: KIND_PROCESS, region: KIND_REGION, endpoint: KIND_ENDPOINT, device: KIND_DEVICE }

/** The live handle of the object with this serial, or NONE; `hint` is tried first (handles of live objects never move). */
function handleOf(k: PropsKernel, serial: number, hint: number): number {
  const { objects } = k
  if (hint >= 0 && hint < objects.top && objects.kind[hint] !== KIND_FREE && objects.serial[hint] === serial) return hint
  for (let handle = 0; handle < objects.top; handle++) if (objects.kind[handle] !== KIND_FREE && objects.serial[handle] === serial) return handle
  return NONE
}

/** A lookup of one serial's handle, remembering where it was last found. */
function locator(serial: number): (k: PropsKernel) => number {
  let hint = NONE
  return (k) => (hint = handleOf(k, serial, hint))
}

/** Is the container at `handle` the one with serial `top`, or nested in it? (evaluate.ts `within`) */
function within(k: PropsKernel, handle: number, top: number): boolean {
  const { objects } = k
  for (let at = handle; at !== NONE; at = objects.kind[at] === KIND_CONTAINER ? objects.parent[at]! : NONE) {
    if (objects.serial[at] === top) return true
  }
  return false
}

/** `within` for a container named by serial (a namespace's creator), alive or not. */
function withinSerial(k: PropsKernel, serial: number, top: number): boolean {
  if (serial === top) return true
  const handle = handleOf(k, serial, NONE)
  return handle !== NONE && within(k, handle, top)
}

/** Does the subject stand for the process at `handle`? */
function subjectTest(subject: ResolvedSubject): (k: PropsKernel, handle: number) => boolean {
  if ('process' in subject) {
    const serial = subject.process
    return (k, handle) => k.objects.serial[handle] === serial
  }
  const top = subject.container
  return (k, handle) => within(k, k.objects.owner[handle]!, top)
}

/** Does the selector pick the object at `handle`? (evaluate.ts `picks`) */
function picksTest(selector: ResolvedObjects): (k: PropsKernel, handle: number) => boolean {
  if ('one' in selector) {
    const serial = selector.one
    return (k, handle) => k.objects.serial[handle] === serial
  }
  const kind = selector.kind === null ? NONE : KIND_CODES[selector.kind]
  const owner = selector.owner
  return (k, handle) => (kind === NONE || k.objects.kind[handle] === kind) && (owner === null || within(k, k.objects.owner[handle]!, owner))
}

/** Does some process of the subject hold, in a slot, a cap to a picked object with rights ⊇ `rights`? (evaluate.ts `findHeld`) */
function heldTest(subject: ResolvedSubject, selector: ResolvedObjects, rights: number): ImplTest {
  const isSubject = subjectTest(subject)
  const picks = picksTest(selector)
  return (k) => {
    const { objects, caps } = k
    for (let process = 0; process < objects.top; process++) {
      if (objects.kind[process] !== KIND_PROCESS || !isSubject(k, process)) continue
      const cspace = objects.cspace[process]!
      for (let slot = 0; slot < cspace.length; slot++) {
        const cap = cspace[slot]!
        if (cap !== NONE && (rights & ~caps.rights[cap]!) === 0 && picks(k, caps.object[cap]!)) return true
      }
    }
    return false
  }
}

/** Does a cap to a picked object sit outside every container of `inside`? (evaluate.ts `findEscaped`) */
function escapedTest(selector: ResolvedObjects, inside: ReadonlyArray<number>): ImplTest {
  const picks = picksTest(selector)
  return (k) => {
    const { objects, caps } = k
    for (let cap = 0; cap < caps.top; cap++) {
      const place = caps.place[cap]
      if (place === PLACE_FREE || !picks(k, caps.object[cap]!)) continue
      let confined = false
      if (place === PLACE_TABLE) {
        const creator = k.namespaces.records.get(caps.where[cap]!)?.creator
        confined = creator !== undefined && inside.some((top) => withinSerial(k, creator, top))
      } else if (place === PLACE_SLOT || place === PLACE_MESSAGE) {
        const container = objects.owner[caps.where[cap]!]!
        confined = inside.some((top) => within(k, container, top))
      }
      if (!confined) return true
    }
    return false
  }
}

/** Can information flow from container `from` to `to`: an object a process of `from` holds with write and one of `to` with read? (evaluate.ts `findFlow`) */
function flowTest(from: number, to: number): ImplTest {
  let marks = new Uint32Array(64)
  let epoch = 0
  return (k) => {
    const { objects, caps } = k
    if (marks.length < objects.top) { marks = new Uint32Array(Math.max(objects.top, marks.length * 2)); epoch = 0 }
    if (++epoch === 0xffffffff) { marks.fill(0); epoch = 1 }
    let writers = 0
    for (let process = 0; process < objects.top; process++) {
      if (objects.kind[process] !== KIND_PROCESS || !within(k, objects.owner[process]!, from)) continue
      const cspace = objects.cspace[process]!
      for (let slot = 0; slot < cspace.length; slot++) {
        const cap = cspace[slot]!
        if (cap !== NONE && (caps.rights[cap]! & R_WRITE) !== 0) { marks[caps.object[cap]!] = epoch; writers++ }
      }
    }
    if (writers === 0) return false
    for (let process = 0; process < objects.top; process++) {
      if (objects.kind[process] !== KIND_PROCESS || !within(k, objects.owner[process]!, to)) continue
      const cspace = objects.cspace[process]!
      for (let slot = 0; slot < cspace.length; slot++) {
        const cap = cspace[slot]!
        if (cap !== NONE && (caps.rights[cap]! & R_READ) !== 0 && marks[caps.object[cap]!] === epoch) return true
      }
    }
    return false
  }
}

/** The value of a count (evaluate.ts `countOf`): 0 for a container or endpoint that is gone. */
function countReader(count: ResolvedCount): (k: PropsKernel) => number {
  const find = locator(count.of)
  const top = count.of
  if (count.measure === 'queued') {
    return (k) => { const handle = find(k); return handle !== NONE && k.objects.kind[handle] === KIND_ENDPOINT ? k.objects.queueCount[handle]! : 0 }
  }
  const usage = (RESERVED_RESOURCES as ReadonlyArray<string>).indexOf(count.measure)
  if (usage >= 0) {
    return (k) => {
      const handle = find(k)
      if (handle === NONE || k.objects.kind[handle] !== KIND_CONTAINER) return 0
      return k.objects.rows.usage[k.objects.row[handle]! * RES_COUNT + usage]!
    }
  }
  const running = count.measure === 'running'
  return (k) => {
    const { objects } = k
    const handle = find(k)
    if (handle === NONE || objects.kind[handle] !== KIND_CONTAINER) return 0
    let total = 0
    for (let process = 0; process < objects.top; process++) {
      if (objects.kind[process] !== KIND_PROCESS || !within(k, objects.owner[process]!, top)) continue
      if (running) total += objects.running[process] === 1 ? 1 : 0
      else { const cspace = objects.cspace[process]!; for (let slot = 0; slot < cspace.length; slot++) if (cspace[slot] !== NONE) total++ }
    }
    return total
  }
}

function conditionTest(condition: ConditionPlan): ImplTest {
  if ('holds' in condition) return heldTest(condition.holds.subject, condition.holds.objects, condition.holds.rights)
  if ('flow' in condition) return flowTest(condition.flow.from, condition.flow.to)
  const read = countReader(condition.atLeast.count)
  const value = condition.atLeast.value
  return (k) => read(k) >= value
}

/** The compiled evaluator of a resolved property. */
export function compileImplTest(plan: PropertyPlan): ImplTest {
  switch (plan.kind) {
    case 'never-holds': return heldTest(plan.subject, plan.objects, plan.rights)
    case 'confined': return escapedTest(plan.objects, plan.inside)
    case 'no-flow': {
      const forth = flowTest(plan.from, plan.to)
      if (!plan.both) return forth
      const back = flowTest(plan.to, plan.from)
      return (k) => forth(k) || back(k)
    }
    case 'bound': {
      const read = countReader(plan.count)
      const max = plan.max
      return (k) => read(k) > max
    }
    case 'sometimes': {
      const tests = plan.when.map(conditionTest)
      return (k) => {
        for (const test of tests) if (!test(k)) return false
        return true
      }
    }
  }
}
