/**
 * The capability derivation tree (kernel.md §2), mirroring model/cdt.ts: creating
 * caps where they live (slots, namespace tables, queued messages), moving,
 * deleting (children re-parented) and revoking (every descendant removed). A cap
 * whose removal leaves its object unnamed queues the object for destruction at the
 * end of the syscall (destroy.ts); nothing here recurses.
 * @module
 * @internal
 */
import type { Kernel } from './kernel.js'
import { assert } from './assert.js'
import { NONE } from './tables/objects.js'
import { PLACE_FREE, PLACE_MESSAGE, PLACE_SLOT, PLACE_TABLE } from './tables/caps.js'

/** Writes `cap` into the place it names (which must be empty). */
function attach(k: Kernel, cap: number): void {
  const caps = k.caps
  const where = caps.where[cap]
  switch (caps.place[cap]) {
    case PLACE_SLOT: {
      const cspace = k.objects.cspace[where]!
      assert(cspace[caps.slot[cap]] === NONE, 'cdt.attach.slot')
      cspace[caps.slot[cap]] = cap
      k.objects.touch(where)
      return
    }
    case PLACE_TABLE: {
      const namespace = k.namespaces.get(where)
      assert(!namespace.entries.has(caps.key[cap]!), 'cdt.attach.table')
      namespace.entries.set(caps.key[cap]!, cap)
      k.namespaces.touch(namespace)
      return
    }
    case PLACE_MESSAGE: {
      const ring = k.objects.ring[where]!
      assert(ring.cap[caps.slot[cap]] === NONE, 'cdt.attach.message')
      ring.cap[caps.slot[cap]] = cap
      k.objects.touch(where)
      return
    }
  }
  assert(false, 'cdt.attach.place')
}

/** Clears the place `cap` occupies; mappings made through it stay (a move keeps them). */
function clearPlace(k: Kernel, cap: number): void {
  const caps = k.caps
  const where = caps.where[cap]
  switch (caps.place[cap]) {
    case PLACE_SLOT: {
      const cspace = k.objects.cspace[where]!
      assert(cspace[caps.slot[cap]] === cap, 'cdt.clear.slot')
      cspace[caps.slot[cap]] = NONE
      k.objects.touch(where)
      return
    }
    case PLACE_TABLE: {
      const namespace = k.namespaces.get(where)
      assert(namespace.entries.get(caps.key[cap]!) === cap, 'cdt.clear.table')
      namespace.entries.delete(caps.key[cap]!)
      k.namespaces.touch(namespace)
      return
    }
    case PLACE_MESSAGE: {
      const ring = k.objects.ring[where]!
      assert(ring.cap[caps.slot[cap]] === cap, 'cdt.clear.message')
      ring.cap[caps.slot[cap]] = NONE
      k.objects.touch(where)
      return
    }
  }
  assert(false, 'cdt.clear.place')
}

/** Sets a cap's place fields; `slot` is a slot number or a ring index, `key` a table key. */
function setPlace(k: Kernel, cap: number, place: number, where: number, slot: number, key: string | null): void {
  const caps = k.caps
  caps.place[cap] = place
  caps.where[cap] = where
  caps.slot[cap] = slot
  caps.key[cap] = key
  attach(k, cap)
}

/** Creates a cap at a place (which must be empty); returns its handle. */
export function insertCap(
  k: Kernel, object: number, rights: number, badge: number, parent: number, place: number, where: number, slot: number, key: string | null,
): number {
  const caps = k.caps
  const cap = caps.alloc(k.capNext++, object, rights, badge, parent)
  caps.linkToObject(k.objects, cap)
  setPlace(k, cap, place, where, slot, key)
  return cap
}

/** A child of `parent` with `rights` ∩ the parent's, and badge `badge`. */
export function deriveCap(k: Kernel, parent: number, rights: number, badge: number, place: number, where: number, slot: number, key: string | null): number {
  const caps = k.caps
  assert(caps.isLive(parent), 'cdt.derive.parent')
  return insertCap(k, caps.object[parent], rights & caps.rights[parent], badge, parent, place, where, slot, key)
}

/** Moves a cap to a slot; its identity, tree position and mapping stay. */
export function moveCapToSlot(k: Kernel, cap: number, process: number, slot: number): void {
  const caps = k.caps
  assert(caps.mapPerms[cap] === 0 || caps.where[cap] === process, 'cdt.move.mapping')
  clearPlace(k, cap)
  caps.touch(cap)
  setPlace(k, cap, PLACE_SLOT, process, slot, null)
}

/** Appends a mapping made through `cap` (in a slot of `process`) to the process's mappings. */
export function mapCap(k: Kernel, process: number, cap: number, perms: number): void {
  const { objects, caps } = k
  assert(caps.place[cap] === PLACE_SLOT && caps.where[cap] === process, 'cdt.map.place')
  assert(caps.mapPerms[cap] === 0 && perms !== 0, 'cdt.map.fresh')
  const tail = objects.mapTail[process]
  caps.mapPerms[cap] = perms
  caps.mapPrev[cap] = tail
  caps.mapNext[cap] = NONE
  if (tail !== NONE) caps.mapNext[tail] = cap
  else objects.mapHead[process] = cap
  objects.mapTail[process] = cap
  objects.touch(process)
}

/** Removes the mapping made through `cap` (ISO-4). */
export function unmapCap(k: Kernel, cap: number): void {
  const { objects, caps } = k
  assert(caps.mapPerms[cap] !== 0, 'cdt.unmap.mapped')
  const process = caps.where[cap]
  const next = caps.mapNext[cap]
  const prev = caps.mapPrev[cap]
  if (prev !== NONE) caps.mapNext[prev] = next
  else objects.mapHead[process] = next
  if (next !== NONE) caps.mapPrev[next] = prev
  else objects.mapTail[process] = prev
  caps.mapPerms[cap] = 0
  objects.touch(process)
}

/**
 * Takes a cap out of its place and off its object's list and frees it; the tree
 * links are the caller's business. Returns how many caps still name the object.
 */
function removeCap(k: Kernel, cap: number): number {
  const caps = k.caps
  assert(caps.place[cap] !== PLACE_FREE, 'cdt.remove.live')
  if (caps.mapPerms[cap] !== 0) unmapCap(k, cap)
  clearPlace(k, cap)
  const remaining = caps.unlinkFromObject(k.objects, cap)
  caps.free(cap)
  return remaining
}

/** Queues `object` for destruction if no cap names it and the kernel does not pin it. */
function noteUnnamed(k: Kernel, object: number, remaining: number): void {
  if (remaining === 0 && object !== k.root && object !== k.init) k.objects.enqueueDestroy(object)
}

/** Deletes one cap; its children move up to its parent (roots if it had none). */
export function deleteCap(k: Kernel, cap: number): void {
  const caps = k.caps
  const object = caps.object[cap]
  caps.reparentChildren(cap)
  caps.unlinkFromParent(cap)
  assert(caps.firstChild[cap] === NONE, 'cdt.delete.children')
  noteUnnamed(k, object, removeCap(k, cap))
}

/**
 * Removes every descendant of `root` wherever it is (CAP-3); `root` stays. A
 * post-order walk over the intrusive tree: it always descends to a first child
 * and removes leaves, so it needs no stack and visits each descendant twice at most.
 */
export function revokeCap(k: Kernel, root: number): void {
  const caps = k.caps
  const object = caps.object[root]
  let node = caps.firstChild[root]
  while (node !== NONE) {
    const child = caps.firstChild[node]
    if (child !== NONE) {
      node = child
      continue
    }
    const up = caps.parent[node]
    const next = caps.nextSibling[node]
    assert(caps.firstChild[up] === node, 'cdt.revoke.order')
    caps.unlinkFromParent(node)
    const remaining = removeCap(k, node)
    assert(remaining >= 1, 'cdt.revoke.root-remains')
    node = next !== NONE ? next : up === root ? NONE : up
  }
  assert(caps.firstChild[root] === NONE, 'cdt.revoke.done')
  assert(k.objects.capCount[object] >= 1, 'cdt.revoke.named')
}

/**
 * Removes every cap naming `object`, without re-parenting: they all go, and a
 * cap's tree neighbours always name the same object, so no link outlives them.
 * The object is being destroyed by the caller, so it is not queued.
 */
export function removeCapsTo(k: Kernel, object: number): void {
  const { objects, caps } = k
  for (let cap = objects.capHead[object]; cap !== NONE; ) {
    const next = caps.objectNext[cap]
    assert(caps.object[cap] === object, 'cdt.remove-all.object')
    removeCap(k, cap)
    cap = next
  }
  assert(objects.capCount[object] === 0, 'cdt.remove-all.count')
}
