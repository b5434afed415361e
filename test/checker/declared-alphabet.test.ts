/**
 * A declared system's alphabet (checker/explore/actions.ts `declaredActions`)
 * hands caps on through every namespace table two of its actors share, not only
 * the service directory: ports (net_bind, net_connect) and mount paths (mount,
 * resolve). A property that holds over the alphabet must hold whatever the
 * processes do; before, a system sharing a mount or net namespace could be
 * reported as keeping a cap confined when one mount and one resolve leak it.
 * The tables are shared by namespace, not by container: `share` resolves up the
 * parents, two processes of one container share all of its tables, and the
 * process a declared one spawns lives in a container the spawner holds. It also
 * sets the limits of the containers its processes control, destroys them,
 * moves caps, creates endpoints and regions, unmaps and submits I/O: a bound
 * that rests on a limit the holder may raise breaks, and a driver's I/O meets an
 * I/O bound. It creates children in the containers its processes control (each
 * boundary of the reservation, the uid map and the device set on both sides),
 * runs the scheduler and lists processes: seeded bugs there are found.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bootFilePreset } from '../../cli/boot-file.js'
import { type ChildConfig, allocSizes, childConfigs, ioSizes, limitVariants, mintBadge, presetActions, spawnUids, schedQuanta, sharedTables, usedResources } from '../../checker/explore/actions.js'
import { exploreGeneral, type SearchTarget } from '../../checker/explore/general.js'
import { explore } from '../../checker/explore/search.js'
import { loadChecked } from '../../checker/explore/props.js'
import type { Preset } from '../../spec/presets.js'
import type { Limits, NamespaceConfig } from '../../spec/limits.js'
import type { SystemDescription } from '../../spec/boot.js'
import * as E from 'fp-ts/lib/Either.js'
import { boot as modelBoot, bootNamed } from '../../model/boot.js'
import { available } from '../../model/accounting.js'
import { getContainer } from '../../model/state.js'
import { BOUNDS } from '../../spec/numbers.js'
import { step as modelStep } from '../../model/step.js'
import { MUTANTS, type Mutant } from '../../mutants/catalogue.js'
import { implTarget } from '../../refinement/abstraction.js'
import { cleanMutants, loadMutant } from '../../mutants/materialize.js'
import { forgedImages, withForgedImages } from '../../checker/explore/forged-images.js'

const WEB_APP = 'examples/systems/web-app/boot.json'
const PLUGIN_HOST = 'examples/systems/plugin-host/boot.json'
const webApp = bootFilePreset(WEB_APP, 'explore')
const pluginHost = bootFilePreset(PLUGIN_HOST, 'explore')

/** `preset` with its declared system changed by `change`. */
function withSystem(preset: Preset, change: (system: SystemDescription) => SystemDescription): Preset {
  return { ...preset, boot: { ...preset.boot, system: change(preset.boot.system!) } }
}

/** `preset` with every declared container's namespaces changed by `change` (given the container's name). */
const withNamespaces = (preset: Preset, change: (name: string, namespaces: NamespaceConfig) => NamespaceConfig): Preset =>
  withSystem(preset, (system) => ({ ...system, containers: system.containers!.map((container) => ({ ...container, namespaces: change(container.name, container.namespaces) })) }))

/** `preset` with its declared processes moved to other containers (by process name). */
const withHomes = (preset: Preset, homes: Readonly<Record<string, string>>): Preset =>
  withSystem(preset, (system) => ({ ...system, processes: system.processes!.map((process) => ({ ...process, container: homes[process.name] ?? process.container })) }))

const ALL_NEW = { pid: 'new', mount: 'new', net: 'new', ipc: 'new', user: 'share' } as const
const sorted = (tables: ReadonlySet<string>) => [...tables].sort()
const kinds = (preset: Preset) => new Set(presetActions(preset).map((action) => action.kind as string))

test('the tables two actors share: by namespace (share resolved up the parents), by container, and the spawned process\'s', () => {
  // The examples: web-app's three containers share the root's ipc namespace; plugin-host's editor and plugin share none.
  assert.equal(sorted(sharedTables(webApp)), ['ipc'])
  assert.equal(sorted(sharedTables(pluginHost)), [])
  // Nothing shared: no table actions at all.
  const apart = withNamespaces(webApp, () => ALL_NEW)
  assert.equal(sorted(sharedTables(apart)), [])
  for (const kind of ['svc_register', 'net_bind', 'mount', 'resolve']) assert.not.ok(kinds(apart).has(kind), kind)
  // One kind shared with the root by every container: that kind only.
  for (const table of ['ipc', 'net', 'mount'] as const) {
    const one = withNamespaces(webApp, () => ({ ...ALL_NEW, [table]: 'share' }))
    assert.equal(sorted(sharedTables(one)), [table], table)
  }
  // Two containers sharing with the root, one apart: shared (two actors meet in the root's table).
  assert.equal(sorted(sharedTables(withNamespaces(webApp, (name) => (name === 'db' ? ALL_NEW : { ...ALL_NEW, net: 'share' })))), ['net'])
  // One container sharing with the root, the others apart: nobody meets anybody.
  assert.equal(sorted(sharedTables(withNamespaces(webApp, (name) => (name === 'db' ? { ...ALL_NEW, net: 'share' } : ALL_NEW)))), [])
  // Two processes of one container share every table of it, whatever its namespaces.
  assert.equal(sorted(sharedTables(withHomes(withNamespaces(webApp, () => ALL_NEW), { shop: 'web' }))), ['ipc', 'mount', 'net'])
  // plugin-host: the editor (in host) spawns a plugin into plugins (a child of host); plugins sharing host's mount namespace shares a table.
  const mountedPlugins = withNamespaces(pluginHost, (name, namespaces) => (name === 'plugins' ? { ...namespaces, mount: 'share' } : namespaces))
  assert.equal(sorted(sharedTables(mountedPlugins)), ['mount'])
  // ...and not when the pool is empty (nothing to spawn).
  assert.equal(sorted(sharedTables({ ...mountedPlugins, images: [] })), [])
})

test('the table actions: a port per declared endpoint, a path per declared object, mounts with every rights set, for every actor and slot', () => {
  const shared = withNamespaces(webApp, () => ({ ...ALL_NEW, net: 'share', mount: 'share' }))
  const actions = presetActions(shared)
  const system = shared.boot.system!
  const endpoints = system.objects!.filter((object) => object.kind === 'endpoint').length
  const objects = system.objects!.length
  const slots = system.processes!.reduce((sum, process) => sum + process.slots, 0)
  const count = (kind: string) => actions.filter((action) => action.kind === kind).length
  assert.is(count('net_bind'), endpoints * slots)
  assert.is(count('net_connect'), endpoints * slots)
  assert.is(count('net_unbind'), endpoints * shared.actors.length)
  assert.is(count('mount'), 4 * objects * slots)
  assert.is(count('resolve'), objects * slots)
  assert.is(count('unmount'), objects * shared.actors.length)
  assert.equal(new Set(actions.filter((action) => action.kind === 'mount').map((action) => action.path)), new Set(system.objects!.map((object) => `/${object.name}`)))
  assert.equal(new Set(actions.filter((action) => action.kind === 'net_bind').map((action) => action.port)), new Set(Array.from({ length: endpoints }, (_, index) => index + 1)))
  // No declared object: no port (a bind needs an endpoint), one mount path all the same (any cap mounts).
  const bare = withSystem(shared, () => ({ ...system, objects: [], caps: system.caps!.filter((cap) => !system.objects!.some((object) => object.name === cap.object)) }))
  assert.equal(presetActions(bare).filter((action) => action.kind === 'net_bind'), [])
  assert.equal([...new Set(presetActions(bare).filter((action) => action.kind === 'mount').map((action) => action.path))], ['/shared'])
})

const WEB_APP_PROPS = 'examples/systems/web-app/props.json'
const PLUGIN_HOST_PROPS = 'examples/systems/plugin-host/props.json'

/** A props file's property `name` alone (as `--invariant NAME`); web-app's props.json unless told. */
const only = (preset: Preset, name: string, props = WEB_APP_PROPS) => loadChecked({ props, invariants: [name] }, preset)

/** The property `name` of a props file, checked alone over `preset` to `depth`, on the general and the model engine: the counterexample's syscalls (both engines must agree on its length). */
async function attack(preset: Preset, name: string, depth: number, props = WEB_APP_PROPS): Promise<string[]> {
  const checked = await only(preset, name, props)
  const general = exploreGeneral({ preset, depthMax: depth, checked })
  const model = explore({ preset, depthMax: depth, checked })
  assert.ok(general.violation !== null, `${name}: the general engine finds no violation within depth ${depth}`)
  assert.ok(model.violation !== null, `${name}: the model engine finds no violation within depth ${depth}`)
  assert.is(general.violation!.path.length, model.violation!.path.length, `${name}: shortest counterexamples of one length`)
  return general.violation!.path.map((syscall) => syscall.kind as string)
}

test('a shared mount namespace leaks the orders region by mount and resolve; a shared net namespace the database\'s endpoint by a port', async () => {
  // Every container in the root's mount namespace, nothing else shared: postgres mounts orders with write, the front end resolves it.
  const mounts = withNamespaces(webApp, () => ({ ...ALL_NEW, mount: 'share' }))
  assert.equal(await attack(mounts, 'frontend-never-writes-orders', 3), ['mount', 'resolve'])
  assert.equal(await attack(mounts, 'orders-stay-in-db', 2), ['mount'])
  // The README's fix for web-app (the database apart in ipc) undone by a shared net namespace: a port instead of a service name.
  const ports = withNamespaces(webApp, (name) => ({ ...ALL_NEW, ipc: name === 'db' ? 'new' : 'share', net: 'share' }))
  assert.equal(await attack(ports, 'frontend-never-reaches-db', 3), ['net_bind', 'net_connect'])
  // With the namespaces apart, the three hold to that depth.
  const apart = withNamespaces(webApp, () => ALL_NEW)
  for (const name of ['frontend-never-writes-orders', 'orders-stay-in-db', 'frontend-never-reaches-db']) {
    const checked = await only(apart, name)
    assert.is(exploreGeneral({ preset: apart, depthMax: 3, checked }).violation, null, name)
  }
})

/** `preset` with the declared container `name`'s limits changed by `change`. */
const withLimits = (preset: Preset, name: string, change: (limits: Limits) => Limits): Preset =>
  withSystem(preset, (system) => ({ ...system, containers: system.containers!.map((container) => (container.name === name ? { ...container, limits: change(container.limits) } : container)) }))

test('the limits a process may set: for the containers it controls, each used resource one less, one more or raised by all the parent has left (memory and processes combined), or at its floor and one either side (one at a time); devices toggled', () => {
  // plugin-host: the editor controls plugins (memory 128, processes 1, endpoints 0); host has 2 processes, both taken (the editor, plugins' reservation), memory left, and one endpoint (the mailbox took the other).
  assert.equal(usedResources(pluginHost), ['memoryBytes', 'processes', 'endpoints'])
  const variants = limitVariants(pluginHost)
  const declared = pluginHost.boot.system!.containers!.find((container) => container.name === 'plugins')!.limits
  const spawning = variants.filter((limits) => limits.endpoints === declared.endpoints && limits.cpuWeight === declared.cpuWeight)
  const room = Math.max(...spawning.map((limits) => limits.memoryBytes)) - 128
  assert.ok(room > 1 && room < 512 - 128, 'host has memory left, less than its limit less plugins\' (the editor\'s image takes some)')
  const memories = [127, 128, 129, 128 + room]
  // And memory at its floor (plugins uses and reserves nothing at boot: 0) and one above it, processes as declared (the floor's other side, -1, is no limit).
  const expected = [...memories.flatMap((memoryBytes) => [0, 1, 2].map((processes) => `${memoryBytes}/${processes}`)).filter((pair) => pair !== '128/1'), '0/1', '1/1']
  assert.equal(spawning.map((limits) => `${limits.memoryBytes}/${limits.processes}`).sort(), expected.sort())
  // Endpoints alone: none to take away, one more (all host has left).
  assert.equal(variants.filter((limits) => limits.endpoints !== declared.endpoints && limits.cpuWeight === declared.cpuWeight), [{ ...declared, endpoints: 1 }])
  // The weight (sched_run shares by it): each other declared weight (the root's 4, host's 2: ties with each) and one more (2 again).
  const weighted = variants.filter((limits) => limits.cpuWeight !== declared.cpuWeight)
  assert.equal(weighted, [{ ...declared, cpuWeight: 2 }, { ...declared, cpuWeight: 4 }])
  // The other limits stay as declared: CPU accounting is off, there are no devices.
  for (const limits of variants) assert.equal({ ...limits, memoryBytes: 0, processes: 0, endpoints: 0, cpuWeight: 0 }, { ...declared, memoryBytes: 0, processes: 0, endpoints: 0, cpuWeight: 0 })
  // Every variant is tried from every slot of every actor, as is container_destroy.
  const actions = presetActions(pluginHost)
  const slots = 4 + 2
  assert.is(actions.filter((action) => action.kind === 'container_set_limits').length, variants.length * slots)
  assert.is(actions.filter((action) => action.kind === 'container_destroy').length, slots)
  assert.is(actions.filter((action) => action.kind === 'cap_move').length, 4 * 3 + 2 * 1)
  assert.is(actions.filter((action) => action.kind === 'mem_unmap').length, slots)
  assert.is(actions.filter((action) => action.kind === 'ep_create').length, 2 * slots, 'depth 1 and 2')
  assert.is(actions.filter((action) => action.kind === 'mem_alloc').length, slots * (allocSizes(pluginHost).length + 1), 'a data region of each size and a 1-byte executable one')
  assert.is(actions.filter((action) => action.kind === 'mem_map').length, slots * 3)
  // Nobody controls a container in web-app: no limits to set; CPU accounting on and a device make the CPU budget and I/O bytes used, and toggle the device.
  assert.equal(limitVariants(webApp), [])
  const accounted = { ...pluginHost, boot: { ...pluginHost.boot, cpuAccounting: true, devices: [{ name: 'disk0' }], init: { slots: pluginHost.boot.init.slots + 1 }, root: { limits: { ...pluginHost.boot.root.limits, devices: ['disk0'] } } } }
  assert.equal(usedResources(accounted), ['memoryBytes', 'processes', 'endpoints', 'cpuBudget', 'ioBytes'])
  const toggled = limitVariants(accounted).filter((limits) => limits.devices.length > 0)
  assert.equal(toggled.map((limits) => limits.devices), [['disk0']])
  assert.is(limitVariants(accounted).length, 4 * 3 - 1 + 1 + 3 + 1 + 1 + 2 + 2 + 2, 'memory (4 values) and processes (3: host has none left) combined, less the declared; endpoints +1 alone; CPU -1, +1, +400 alone; I/O +1 alone (none to take away, none left); the device added; two weights; memory and CPU at their floor (0) and one above it')
  assert.equal(limitVariants(accounted).filter((limits) => limits.cpuBudget <= 1).map((limits) => limits.cpuBudget), [0, 1])
})

test('a bound that rests on a limit: the editor raises plugins\' process limit when host has room, and one-plugin-at-a-time breaks; with none left it holds', async () => {
  // Host declared with room for one more process: set the limit, free a slot, spawn twice (both engines, the same shortest length).
  const roomy = withLimits(pluginHost, 'host', (limits) => ({ ...limits, processes: 3 }))
  const path = await attack(roomy, 'one-plugin-at-a-time', 4, PLUGIN_HOST_PROPS)
  assert.is(path.length, 4)
  assert.is(path[0], 'container_set_limits')
  assert.is(path.filter((kind) => kind === 'process_spawn').length, 2)
  // As shipped, host's processes are all taken: the raise is refused, and the property holds to that depth.
  const checked = await only(pluginHost, 'one-plugin-at-a-time', PLUGIN_HOST_PROPS)
  const shipped = exploreGeneral({ preset: pluginHost, depthMax: 4, checked })
  assert.is(shipped.violation, null)
  assert.ok((shipped.coverage['container_set_limits'] ?? 0) > 0, 'plugins\' limits are still set (lowered, or memory raised)')
  assert.ok((shipped.coverage['container_destroy'] ?? 0) > 0, 'the editor can destroy plugins')
})

test('a device a driver holds: io_submit with one byte and a container\'s whole I/O budget, a bound on I/O broken by it', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'sila-alphabet-'))
  try {
    // web-app with a disk the database may use (4 bytes a period) and postgres holding write on it.
    const devices = [{ name: 'disk0' }]
    const withDisk = withSystem({ ...webApp, boot: { ...webApp.boot, devices, root: { limits: { ...webApp.boot.root.limits, devices: ['disk0'], ioBytes: 64 } } } }, (system) => ({
      ...system,
      containers: system.containers!.map((container) => (container.name === 'db' ? { ...container, limits: { ...container.limits, devices: ['disk0'], ioBytes: 4 } } : container)),
      processes: system.processes!.map((process) => (process.name === 'postgres' ? { ...process, slots: process.slots + 1 } : process)),
      caps: [...system.caps!, { holder: 'postgres', slot: system.processes!.find((process) => process.name === 'postgres')!.slots, object: 'disk0', rights: ['write'] }],
    }))
    // One byte, db's whole budget, the root's (it allows the disk too).
    assert.equal(ioSizes(withDisk), [1, 4, 64])
    const props = join(directory, 'io.props.json')
    writeFileSync(props, JSON.stringify({ format: 'sila-props/1', properties: [{ name: 'db-io-small', says: 'The database submits at most 3 bytes of I/O a period.', kind: 'bound', measure: 'ioBytes', container: 'db', max: 3 }] }))
    const path = await attack(withDisk, 'db-io-small', 2, props)
    assert.equal(path, ['io_submit'])
    // Without the device in db's limits the submissions are refused (the kernel checks the container's allowed set): the bound holds.
    const denied = withSystem(withDisk, (system) => ({ ...system, containers: system.containers!.map((container) => (container.name === 'db' ? { ...container, limits: { ...container.limits, devices: [] } } : container)) }))
    const checked = await loadChecked({ props, invariants: ['db-io-small'] }, denied)
    const search = exploreGeneral({ preset: denied, depthMax: 3, checked })
    assert.is(search.violation, null)
    assert.is(search.coverage['io_submit'] ?? 0, 0)
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
})

/** The model's answer to one step: 'ok' or the refusal's code. */
const codeOf = ({ outcome }: ReturnType<typeof modelStep>): string => (E.isLeft(outcome) ? outcome.left.code : 'ok')

/** The answer of the model at boot to each of `children` created by the first actor from its slot `parent` into `dst`: 'ok' or the refusal's code. */
function createdAtBoot(preset: Preset, children: ReadonlyArray<ChildConfig>, parent: number, dst: number): string[] {
  const state = modelBoot(preset.boot, preset.images)
  return children.map((child) => codeOf(modelStep(state, { kind: 'container_create', caller: preset.actors[0]!, parent, dst, limits: child.limits, namespaces: child.namespaces })))
}

/** A bug of the catalogue, by name. */
const seeded = (name: string): Mutant => MUTANTS.find((mutant) => mutant.name === name)!

/** A bug planted for a test (not in the catalogue): `find` replaced by `replace` in the built `file`. */
const planted = (name: string, file: string, find: string, replace: string) => ({ name, family: 'planted', description: name, reference: 'test/checker/declared-alphabet', file, find, replace }) as unknown as Mutant

/** A seeded bug, and where a search of `preset` (plugin-host unless named) to `depth` must find it: a violation (of `invariant`, when named) whose last step is of one of `kinds`. */
interface Finding { readonly mutant: Mutant; readonly preset?: Preset; readonly depth: number; readonly refine: boolean; readonly kinds: ReadonlyArray<string>; readonly invariant?: string }

/**
 * Searches each finding's system with its bug as the kernel (the general
 * engine, with --refine against it when asked) and asserts what it must find;
 * `also(finding, target)` runs after each. The lines to print.
 */
async function findEach(findings: ReadonlyArray<Finding>, also?: (finding: Finding, target: SearchTarget) => void): Promise<string[]> {
  const lines: string[] = []
  try {
    for (const finding of findings) {
      const { mutant, preset = pluginHost, depth, refine, kinds, invariant } = finding
      const target = await loadMutant(mutant) as unknown as SearchTarget
      const found = exploreGeneral({ preset, depthMax: depth, kernel: target, ...(refine ? { refine: target as never } : {}) })
      assert.ok(found.violation !== null, `${mutant.name}: no violation within depth ${depth}`)
      if (invariant !== undefined) assert.is(found.violation!.invariant, invariant, mutant.name)
      const last = found.violation!.path.at(-1)!
      assert.ok(kinds.includes(last.kind as string), `${mutant.name}: the violating step ${String(last.kind)}`)
      lines.push(`${mutant.name}: ${found.violation!.invariant} after ${found.violation!.path.length} step(s), ${JSON.stringify(last)}`)
      also?.(finding, target)
    }
  } finally {
    cleanMutants()
  }
  return lines
}

test('the children a process creates: for each container it controls, empty in every namespace mode, all the parent has left, and one past each boundary (reservation, uid map, devices)', () => {
  // plugin-host: the editor controls plugins, which has 128 bytes, 1 process and no endpoint; the root's uid range is 2^32 uids.
  const children = childConfigs(pluginHost)
  const all = { memoryBytes: 128, processes: 1, endpoints: 0, cpuBudget: 0, ioBytes: 0, cpuWeight: 1, devices: [] }
  const empty = { ...all, memoryBytes: 0, processes: 0 }
  const share = { pid: 'share', mount: 'share', net: 'share', ipc: 'share', user: 'share' }
  const uids = 2 ** 32
  assert.equal(children, [
    { limits: empty, namespaces: share },
    { limits: empty, namespaces: ALL_NEW },
    { limits: empty, namespaces: { ...ALL_NEW, user: { base: 0, count: uids } } },
    { limits: empty, namespaces: { ...ALL_NEW, user: { base: 1, count: uids } } },
    { limits: all, namespaces: share },
    { limits: { ...all, memoryBytes: 129 }, namespaces: share },
    { limits: { ...all, processes: 2 }, namespaces: share },
    { limits: { ...all, endpoints: 1 }, namespaces: share },
  ])
  // Each boundary on both sides: the model, at boot, creates the first five into the editor's empty slot 3 and refuses the rest.
  assert.equal(createdAtBoot(pluginHost, children, 0, 3), ['ok', 'ok', 'ok', 'PermissionDenied', 'ok', 'QuotaExceeded', 'QuotaExceeded', 'QuotaExceeded'])
  // From every ordered pair of an actor's slots (the editor's 4, the spawned process's 2).
  const actions = presetActions(pluginHost)
  assert.is(actions.filter((action) => action.kind === 'container_create').length, children.length * (4 * 3 + 2 * 1))
  // With CPU accounting and a device the root allows and plugins does not: those resources are taken too, and the device is asked for.
  const accounted = { ...pluginHost, boot: { ...pluginHost.boot, cpuAccounting: true, devices: [{ name: 'disk0' }], init: { slots: pluginHost.boot.init.slots + 1 }, root: { limits: { ...pluginHost.boot.root.limits, devices: ['disk0'], ioBytes: 8 } } } }
  const more = childConfigs(accounted)
  assert.ok(more.some((child) => child.limits.cpuBudget === 100 && child.limits.memoryBytes === 128), 'all plugins has left, CPU included')
  assert.ok(more.some((child) => child.limits.cpuBudget === 101), 'one more CPU than plugins has')
  const device = more.filter((child) => child.limits.devices.length > 0)
  assert.equal(device.map((child) => child.limits.devices), [['disk0']])
  assert.equal(createdAtBoot(accounted, device, 0, 3), ['QuotaExceeded'])
  // Nobody holds a container in web-app: no children.
  assert.equal(childConfigs(webApp), [])
  assert.not.ok(presetActions(webApp).some((action) => action.kind === 'container_create'))
})

test('the scheduler runs in every declared system, over twice the sum of the declared weights', () => {
  for (const [preset, weights] of [[pluginHost, 4 + 2 + 1], [webApp, webApp.boot.root.limits.cpuWeight + 3]] as const) {
    const runs = presetActions(preset).filter((action) => action.kind === 'sched_run')
    assert.equal(runs, [{ kind: 'sched_run', quanta: 2 * weights }])
    assert.is(schedQuanta(preset), 2 * weights)
  }
})

test('regions: data regions filling each actor\'s container and one byte past it, executable regions, and mappings for data, for code and writable code (W^X)', () => {
  // plugin-host: the editor's container host has 256 bytes left (512, less plugins' 128 and the editor's image), plugins 128 (no process yet; the plugin spawned lives there).
  const { state, names } = bootNamed(pluginHost.boot, pluginHost.images)
  const rooms = ['host', 'plugins'].map((name) => available(state, getContainer(state, names.get(name)!), 'memoryBytes'))
  assert.ok(rooms.every((room) => room > 1), `rooms ${rooms.join(', ')}`)
  assert.equal(allocSizes(pluginHost), [...new Set([1, ...rooms.flatMap((room) => [room, room + 1])])].sort((a, b) => a - b))
  // web-app: every container is full (images and the orders region): 1 byte only, refused.
  assert.equal(allocSizes(webApp), [1])
  // On the model from boot: the editor fills host exactly, one byte more is refused; an executable region maps for code, not for data; write with execute never.
  const editor = pluginHost.actors[0]!
  const boot = modelBoot(pluginHost.boot, pluginHost.images)
  const dst = pluginHost.boot.system!.processes![0]!.slots - 1
  const alloc = (sizeBytes: number, executable: boolean) => ({ kind: 'mem_alloc', caller: editor, sizeBytes, executable, dst } as const)
  assert.is(codeOf(modelStep(boot, alloc(rooms[0]!, false))), 'ok')
  assert.is(codeOf(modelStep(boot, alloc(rooms[0]! + 1, false))), 'QuotaExceeded')
  const code = modelStep(boot, alloc(1, true))
  assert.ok(E.isRight(code.outcome))
  const after = code.state
  const map = (perms: string[]) => codeOf(modelStep(after, { kind: 'mem_map', caller: editor, slot: dst, perms } as never))
  assert.equal([map(['read', 'execute']), map(['read', 'write']), map(['write', 'execute'])], ['ok', 'InsufficientRights', 'InvalidArgument'])
  // Every actor tries each size and the executable region into each slot, and each mapping from each slot.
  const actions = presetActions(pluginHost)
  const allocs = actions.filter((action) => action.kind === 'mem_alloc' && action.caller === editor && action.dst === dst)
  assert.equal(allocs.map((action) => `${action.sizeBytes as number}${action.executable === true ? 'x' : ''}`).sort(), ['1x', ...allocSizes(pluginHost).map(String)].sort())
})

test('seeded bugs met only by executable regions, code mappings or a region at the memory quota: each found on plugin-host by the step that meets it', async () => {
  const quota = 'if (available(k, container, RES_MEMORY) < sizeBytes)'
  const wx = '&& (perms & (R_WRITE | R_EXECUTE)) !== (R_WRITE | R_EXECUTE)'
  const regions = ['mem_alloc', 'mem_map']
  const lines = await findEach([
    { mutant: seeded('exec-region-writable'), invariant: 'CAP-2', refine: false, depth: 1, kinds: regions },
    // The alphabet's data mappings met this one before; a code mapping of a data region meets it in one step.
    { mutant: seeded('map-perms-unchecked'), invariant: 'ISO-4', refine: false, depth: 1, kinds: regions },
    { mutant: planted('memory-quota-one-past', 'impl/objects/memory.js', quota, quota.replace('<', '+ 1 <')), invariant: 'QUO-1', refine: false, depth: 1, kinds: regions },
    // Refusing a region that fits exactly breaks no invariant: --refine's REF-1 sees the model allow it.
    { mutant: planted('memory-quota-refuses-exact-fit', 'impl/objects/memory.js', quota, quota.replace('<', '<=')), invariant: 'REF-1', refine: true, depth: 1, kinds: regions },
    // W^X unchecked in mem_map: no cap can both write and execute, so the mapping is refused anyway, with the wrong error (REF-1).
    { mutant: planted('map-allows-write-execute', 'impl/objects/memory.js', wx, ''), invariant: 'REF-1', refine: true, depth: 1, kinds: regions },
  ])
  console.log(`  ${lines.join('\n  ')}`)
})

/** plugin-host with plugins in a user namespace of its own, mapping uids 1..8 of host's (so a plugin's uid 0 is not root above it), and sharing host's mount table. */
const mappedPlugins = withNamespaces(pluginHost, (name, namespaces) => (name === 'plugins' ? { ...namespaces, mount: 'share', user: { base: 1, count: 8 } } : namespaces))

test('spawned uids at the uid map\'s boundary, and a badge minted on a copy', () => {
  // plugin-host's containers share the root's user namespace: every uid is mapped, the last one is tried (a process not root anywhere).
  assert.equal(spawnUids(pluginHost), [0, BOUNDS.uidMax])
  assert.equal(spawnUids(mappedPlugins), [0, 7, 8])
  assert.equal(spawnUids(webApp), [0], 'nobody in web-app holds a container: no spawns')
  const editor = pluginHost.actors[0]!
  const spawnedAs = (uid: number) => presetActions(mappedPlugins).find((action) => action.kind === 'process_spawn' && action.uid === uid && action.caller === editor && action.container === 0 && action.dst === 3)!
  const boot = modelBoot(mappedPlugins.boot, mappedPlugins.images)
  assert.equal([0, 7, 8].map((uid) => codeOf(modelStep(boot, spawnedAs(uid)))), ['ok', 'ok', 'PermissionDenied'])
  // The badge: one more than any declared one; on an unbadged endpoint cap once, never on a badged one or another kind.
  assert.is(mintBadge(pluginHost), 1)
  assert.is(mintBadge(withSystem(pluginHost, (system) => ({ ...system, caps: system.caps!.map((cap, index) => (index === 1 ? { ...cap, badge: 41 } : cap)) }))), 42)
  const mint = (src: number, dst: number) => presetActions(pluginHost).find((action) => action.kind === 'cap_copy' && action.badge === 1 && action.caller === editor && action.src === src && action.dst === dst)!
  const fresh = modelBoot(pluginHost.boot, pluginHost.images)
  const minted = modelStep(fresh, mint(1, 3))
  assert.is(codeOf(minted), 'ok', 'the mailbox (slot 1) badged into slot 3')
  assert.is(codeOf(modelStep(fresh, mint(2, 3))), 'WrongKind', 'the settings region')
  const freed = modelStep(minted.state, { kind: 'cap_delete', caller: editor, slot: 2 })
  assert.is(codeOf(modelStep(freed.state, mint(3, 2))), 'InsufficientRights', 'a badged cap is not badged again')
})

test('seeded bugs met only by spawning at the uid map\'s edge or minting badges: each found by the step that meets it', async () => {
  const lines = await findEach([
    // A uid past the map breaks no state invariant: --refine's REF-1 sees the spawn the model refuses.
    { mutant: seeded('spawn-uid-unmapped'), preset: mappedPlugins, refine: true, depth: 1, kinds: ['process_spawn'] },
    // A plugin that is uid 0 only in its own namespace mounts into host's table (ISO-3).
    { mutant: seeded('container-root-is-host-root'), preset: mappedPlugins, refine: false, depth: 2, kinds: ['mount'] },
    // A badge changed, or a message without its sender's badge: the replies differ from the model's.
    { mutant: seeded('rebadge-allowed'), refine: true, depth: 2, kinds: ['cap_copy'] },
    { mutant: seeded('badge-not-carried'), refine: true, depth: 2, kinds: ['ep_send'] },
  ])
  assert.is(exploreGeneral({ preset: mappedPlugins, depthMax: 2, refine: implTarget }).violation, null)
  console.log(`  ${lines.join('\n  ')}`)
})

test('endpoints of depth 2 as well as 1: a FIFO bug of the queue\'s ring is found in five steps', async () => {
  const depths = presetActions(pluginHost).filter((action) => action.kind === 'ep_create').map((action) => action.depth as number)
  assert.equal([...new Set(depths)].sort(), [1, 2])
  // plugin-host with 3 slots for the editor and no settings region: smaller, the same room for one endpoint in host.
  const small = withSystem(pluginHost, (system) => ({
    ...system, processes: system.processes!.map((process) => ({ ...process, slots: 3 })),
    objects: system.objects!.filter((object) => object.name !== 'settings'), caps: system.caps!.filter((cap) => cap.object !== 'settings'),
  }))
  try {
    const target = await loadMutant(seeded('ring-ignores-head'))
    const found = exploreGeneral({ preset: small, depthMax: 5, kernel: target as unknown as SearchTarget })
    assert.ok(found.violation !== null, 'ring-ignores-head: no violation within depth 5')
    assert.ok(found.violation!.path.some((action) => action.kind === 'ep_create' && action.depth === 2), 'through a new endpoint of depth 2')
    console.log(`  ring-ignores-head: ${found.violation!.invariant} after ${found.violation!.path.length} steps`)
  } finally {
    cleanMutants()
  }
})

test('with --refine, the reading syscalls too: cap_inspect and container_stats from every slot; a wrong answer is REF-1', async () => {
  const plain = presetActions(pluginHost)
  const readers = presetActions(pluginHost, { readers: true })
  const slots = 4 + 2
  for (const kind of ['cap_inspect', 'container_stats']) {
    assert.is(plain.filter((action) => action.kind === kind).length, 0, kind)
    assert.is(readers.filter((action) => action.kind === kind).length, slots, kind)
  }
  assert.is(readers.length, plain.length + 2 * slots)
  const lines = await findEach([
    // A badge the answer leaves out: seen once a badged cap is inspected (mint, then inspect).
    { mutant: planted('inspect-hides-badge', 'impl/objects/caps.js', 'badge: k.caps.badge[cap] });', 'badge: 0 });'), invariant: 'REF-1', refine: true, depth: 2, kinds: ['cap_inspect'] },
    // Stats for a holder without read: the editor's copy of plugins' cap with write only.
    { mutant: planted('stats-without-read', 'impl/objects/containers.js', "call['slot'], KIND_CONTAINER, R_READ);", "call['slot'], KIND_CONTAINER, 0);"), invariant: 'REF-1', refine: true, depth: 2, kinds: ['container_stats'] },
  ], ({ mutant, depth }, target) => {
    // Without --refine the reading syscalls are not in the alphabet, and no invariant sees the answer.
    assert.is(exploreGeneral({ preset: pluginHost, depthMax: depth, kernel: target }).violation, null, `${mutant.name} without --refine`)
  })
  console.log(`  ${lines.join('\n  ')}`)
})

test('seeded bugs met only by creating containers, running the scheduler or listing processes: each found on plugin-host by a step of that kind, the impl breaking nothing there', async () => {
  const lines = await findEach([
    { mutant: seeded('reserve-against-caller-container'), refine: false, depth: 2, kinds: ['container_create'] },
    // A child's uid map breaks no state invariant: --refine's REF-1 sees the map the model refuses.
    { mutant: seeded('uid-map-outside-parent'), refine: true, depth: 2, kinds: ['container_create'] },
    { mutant: seeded('weight-ignored'), refine: false, depth: 2, kinds: ['sched_run'] },
    { mutant: seeded('stride-picks-max'), refine: false, depth: 2, kinds: ['sched_run'] },
    { mutant: seeded('process-list-host-pids'), refine: false, depth: 2, kinds: ['process_list'] },
  ])
  assert.is(exploreGeneral({ preset: pluginHost, depthMax: 2, refine: implTarget }).violation, null)
  console.log(`  ${lines.join('\n  ')}`)
})

test('a CPU budget set at its floor: the next syscall is one past, which a budget compared off by one admits', async () => {
  // plugin-host with CPU accounting on, the editor living in plugins (which it controls): it sets plugins' budget to 1, its own charge
  // for that syscall included, and its next syscall is one past. With the editor in host, plugins' budget 0 and a plugin's first syscall.
  const accounted = { ...pluginHost, boot: { ...pluginHost.boot, cpuAccounting: true } }
  const inPlugins = withHomes(accounted, { editor: 'plugins' })
  const lines: string[] = []
  try {
    const target = await loadMutant(seeded('cpu-budget-off-by-one')) as unknown as SearchTarget
    for (const [preset, depth, budget] of [[inPlugins, 2, 1], [accounted, 3, 0]] as const) {
      const found = exploreGeneral({ preset, depthMax: depth, kernel: target })
      assert.ok(found.violation !== null, `no violation within depth ${depth}`)
      const [first] = found.violation!.path
      assert.is(first!.kind, 'container_set_limits')
      assert.is((first!.limits as Limits).cpuBudget, budget)
      assert.is(found.violation!.path.length, depth)
      lines.push(`cpu-budget-off-by-one: ${found.violation!.invariant} after ${found.violation!.path.map((action) => String(action.kind)).join(', ')} (budget ${budget})`)
    }
  } finally {
    cleanMutants()
  }
  // The honest impl breaks nothing there, refined against the model.
  assert.is(exploreGeneral({ preset: inPlugins, depthMax: 2, refine: implTarget }).violation, null)
  console.log(`  ${lines.join('\n  ')}`)
})

test('images an attacker could put in the pool: each image unsigned and signed by a foreign key, below its name\'s floor and at the floor\'s prerelease; all refused, no state added', () => {
  // web-app's pool: three images, postgres with a floor (16.0.0): 15.0.0 and 16.0.0-0 besides the two every image gets.
  assert.equal(forgedImages(webApp).filter((entry) => entry.image.name === 'postgres').map((entry) => `${entry.image.version} ${entry.forgery}`), ['16.1.0 unsigned', '16.1.0 foreign key', '15.0.0 below floor', '16.0.0-0 floor prerelease'])
  assert.is(forgedImages(webApp).length, 2 * 3 + 2)
  const forged = forgedImages(pluginHost)
  const genuine = new Map(pluginHost.images.map((image) => [image.digest, image]))
  // spellcheck has a floor (1.0.0): four forgeries; toolbar and host none: two each.
  assert.equal(forged.map((entry) => `${entry.image.name}@${entry.image.version} ${entry.forgery}`), [
    'spellcheck@1.1.0 unsigned', 'spellcheck@1.1.0 foreign key', 'spellcheck@0.0.0 below floor', 'spellcheck@1.0.0-0 floor prerelease',
    'toolbar@0.3.0 unsigned', 'toolbar@0.3.0 foreign key', 'host@3.2.0 unsigned', 'host@3.2.0 foreign key',
  ])
  assert.is(forged.length, 2 * pluginHost.images.length + 2)
  const keyring = new Set(pluginHost.boot.keyring.map((key) => key.keyId))
  for (const { image, forgery, from } of forged) {
    const original = genuine.get(from)!
    assert.not.ok(genuine.has(image.digest), 'a digest of its own')
    assert.equal(image.manifest, original.manifest)
    if (forgery === 'unsigned') assert.ok(image.signatures.length > 0 && image.signatures.every((signature) => !signature.verifies))
    if (forgery === 'foreign key') assert.ok(image.signatures.every((signature) => signature.verifies && !keyring.has(signature.signer)))
    if (forgery === 'below floor' || forgery === 'floor prerelease') assert.equal(image.signatures, original.signatures)
  }
  // Each spawned by the editor into plugins at boot: the model and the impl refuse it alike, for the check it forges.
  const preset = withForgedImages(pluginHost)
  const spawns = presetActions(preset).filter((action) => action.kind === 'process_spawn' && preset.forged!.includes(action.image as string))
  assert.is(spawns.length, forged.length * (4 * 3 + 2 * 1), 'one spawn (no grant, uid 0) per forged image, container slot and destination: the editor\'s 4 slots, the spawned plugin\'s 2')
  assert.ok(spawns.every((action) => action.uid === 0 && (action.grants as unknown[]).length === 0))
  const state = modelBoot(preset.boot, preset.images)
  const kernel = implTarget.create(preset.boot, preset.images)
  const intoPlugins = (digest: string) => spawns.find((action) => action.image === digest && action.container === 0 && action.dst === 3)!
  const expected = { 'unsigned': 'SignatureInvalid', 'foreign key': 'SignatureInvalid', 'below floor': 'RollbackDenied', 'floor prerelease': 'RollbackDenied' }
  for (const { image, forgery } of forged) {
    const action = intoPlugins(image.digest)
    assert.is(codeOf(modelStep(state, action)), expected[forgery], `${image.name} ${forgery}, the model`)
    const answer = kernel.step(action)
    assert.is(E.isLeft(answer) ? answer.left.code : 'ok', expected[forgery], `${image.name} ${forgery}, the impl`)
  }
  // Refused in every state: the same states and transitions as the pool alone.
  const alone = exploreGeneral({ preset: pluginHost, depthMax: 3 })
  const withForged = exploreGeneral({ preset, depthMax: 3 })
  assert.equal([withForged.distinct, withForged.generated, withForged.violation], [alone.distinct, alone.generated, null])
})

test('seeded bugs of the image checks: each found on plugin-host by spawning a forged image, in one step', async () => {
  const preset = withForgedImages(pluginHost)
  const lines = await findEach([
    { mutant: seeded('signature-unchecked'), preset, refine: false, depth: 1, kinds: ['process_spawn'], invariant: 'IMG-1' },
    { mutant: seeded('wrong-key-accepted'), preset, refine: false, depth: 1, kinds: ['process_spawn'], invariant: 'IMG-1' },
    { mutant: seeded('rollback-floor-ignored'), preset, refine: false, depth: 1, kinds: ['process_spawn'], invariant: 'IMG-1' },
    { mutant: seeded('floor-ignores-prerelease'), preset, refine: false, depth: 1, kinds: ['process_spawn'], invariant: 'IMG-1' },
    // Trust decided by name and version: the unsigned copy of a name and version gets the genuine image's verdict.
    { mutant: seeded('image-info-by-name-version'), preset, refine: false, depth: 1, kinds: ['process_spawn'], invariant: 'IMG-1' },
  ])
  // Without the forged images the floor's and the keyring's are not met: the pool's images are above their floors, and the one that
  // does not verify (toolbar's signature) shows only a signature left unchecked.
  try {
    for (const name of ['wrong-key-accepted', 'rollback-floor-ignored', 'floor-ignores-prerelease']) {
      const target = await loadMutant(seeded(name)) as unknown as SearchTarget
      assert.is(exploreGeneral({ preset: pluginHost, depthMax: 2, kernel: target }).violation, null, name)
    }
  } finally {
    cleanMutants()
  }
  console.log(`  ${lines.join('\n  ')}`)
})

test.run()
