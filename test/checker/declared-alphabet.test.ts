/**
 * A declared system's alphabet (checker/explore/actions.ts `declaredActions`)
 * hands caps on through every namespace table two of its actors share, not only
 * the service directory: ports (net_bind, net_connect) and mount paths (mount,
 * resolve). A property that holds over the alphabet must hold whatever the
 * processes do; before, a system sharing a mount or net namespace could be
 * reported as keeping a cap confined when one mount and one resolve leak it.
 * The tables are shared by namespace, not by container: `share` resolves up the
 * parents, two processes of one container share all of its tables, and the
 * process a declared one spawns lives in a container the spawner holds.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { bootFilePreset } from '../../cli/boot-file.js'
import { presetActions, sharedTables } from '../../checker/explore/actions.js'
import { exploreGeneral } from '../../checker/explore/general.js'
import { explore } from '../../checker/explore/search.js'
import { loadChecked } from '../../checker/explore/props.js'
import type { Preset } from '../../spec/presets.js'
import type { NamespaceConfig } from '../../spec/limits.js'
import type { SystemDescription } from '../../spec/boot.js'

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

/** Web-app's props.json, checking only the property `name` (as `--invariant NAME`). */
const only = (preset: Preset, name: string) => loadChecked({ props: 'examples/systems/web-app/props.json', invariants: [name] }, preset)

/** The property `name` of web-app's props.json, checked alone over `preset` to `depth`, on the general and the model engine: the counterexample's syscalls (both engines must agree on its length). */
async function attack(preset: Preset, name: string, depth: number): Promise<string[]> {
  const checked = await only(preset, name)
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

test.run()
