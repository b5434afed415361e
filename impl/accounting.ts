/**
 * Charging containers (kernel.md §3), mirroring model/accounting.ts. Usage and the
 * children's reservations are kept per container and updated incrementally, so
 * `available` is three loads.
 * @module
 * @internal
 */
import type { Kernel } from './kernel.js'
import { assert } from './assert.js'
import { KIND_CONTAINER, LIMIT_COLUMNS, RES_COUNT } from './tables/objects.js'

/** What `container` can still spend or reserve of reserved resource column `resource`. */
export function available(k: Kernel, container: number, resource: number): number {
  const objects = k.objects
  assert(objects.kind[container] === KIND_CONTAINER, 'accounting.available.kind')
  const row = objects.row[container]
  const rows = objects.rows
  return rows.limits[row * LIMIT_COLUMNS + resource] - rows.usage[row * RES_COUNT + resource] - rows.reserved[row * RES_COUNT + resource]
}

export function charge(k: Kernel, container: number, resource: number, amount: number): void {
  const objects = k.objects
  assert(objects.kind[container] === KIND_CONTAINER, 'accounting.charge.kind')
  objects.rows.usage[objects.row[container] * RES_COUNT + resource] += amount
  objects.touch(container)
}

export function uncharge(k: Kernel, container: number, resource: number, amount: number): void {
  charge(k, container, resource, -amount)
}

/** Adds `sign` × the child's limits to its parent's reservations (create: +1, destroy: −1). */
export function reserve(k: Kernel, parent: number, child: number, sign: 1 | -1): void {
  const objects = k.objects
  assert(objects.parent[child] === parent, 'accounting.reserve.parent')
  const rows = objects.rows
  const from = objects.row[child] * LIMIT_COLUMNS
  const to = objects.row[parent] * RES_COUNT
  for (let resource = 0; resource < RES_COUNT; resource++) rows.reserved[to + resource] += sign * rows.limits[from + resource]
  objects.touch(parent)
}
