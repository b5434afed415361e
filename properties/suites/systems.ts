/**
 * The `systems` suite: the kernel in lockstep with the model, and the whole
 * catalogue after every step, from declared systems (`boot.system`, the
 * user's way to state a system: containers, processes, endpoints, regions and
 * caps that exist from boot) rather than from the one property boot the other
 * suites start from. Each run boots a generated system (properties/systems.ts)
 * — so the kernel's boot of declared containers, namespaces, uid maps,
 * processes, objects and caps is compared with the model's — and then steps
 * syscalls drawn from the alphabet `sila explore --boot` searches such a
 * system with (checker/explore/actions.ts `declaredActions`, its readers
 * included), a kind at a time and a variant of it at a time so that the many
 * spawns and copies a system allows do not crowd out the rest, plus init's
 * calls on what it holds (the root's and every declared container's and
 * process's original caps): destroys, limits, stats, kills, revokes, deletes,
 * inspects, children and spawns.
 *
 * A scenario is the boot configuration followed by picks: each names a kind
 * and an action of it, taken among those whose slot arguments fit the caller's
 * CSpace in the model's state before it (caps where caps are read, of the
 * object kind the call takes there, and an empty `dst`: three picks in four;
 * the fourth takes any, so that the slot checks refuse too), so that calls on
 * the caps a system holds get past their slot checks as often as random ones
 * would not; a lookup fits only where its name is bound. About one pick in
 * six repeats the call before it instead, so that runs of one call fill queues,
 * spend quotas and number things in a row, and about one in six after a
 * successful bind looks up what it bound. A system the user gives
 * (`sila check --boot`) also steps the wider calls of given-system-calls.ts
 * (tables no two processes share, slots past a CSpace, init's children in
 * every container, I/O, the clock), each kind of them drawn a third as often
 * as a kind of the explore alphabet. The
 * configuration is not a step: a failure's `step` counts the syscalls (-1, a
 * difference at boot), as the trace's steps do (suite.ts `setupSteps`).
 *
 * Generated configurations have values moved to their boundaries
 * (properties/systems.ts `withBoundaries`), and some one past what boot allows
 * (`onePast`): the model refuses those, and the kernel must refuse them too, at
 * the same place (REF-1 at step -1 otherwise, and for a kernel that refuses a
 * system the model boots); such a run steps no syscall.
 * @module
 */
import fc from 'fast-check'
import type { BootConfig } from '../../spec/boot.js'
import type { ImageRecord } from '../../spec/images.js'
import type { Preset } from '../../spec/presets.js'
import { type Action, actionVariant, childConfigs, declaredActions, declaredActors, limitVariants } from '../../checker/explore/actions.js'
import { CHEAP_POOL_IMAGE, IMAGES, bootConfigOf, poolOf, repeatsDigest, richSystemArb, systemArb, withBoundaries, withDerivedCaps } from '../systems.js'
import { NESTED_OLD_IMAGE } from '../../spec/presets.js'
import type { Suite, SuiteContext, SuiteFailure } from '../suite.js'
import { BootError, isBootError } from '../../model/boot-system.js'
import { checkLockstep } from './sequences.js'
import { IMAGE_POOL, PROPERTY_BOOT } from '../pool.js'
import { boot as modelBoot } from '../../model/boot.js'
import { step as modelStep } from '../../model/step.js'
import { type KernelState, getCap, getContainer, getNamespace, getObject, processByRef } from '../../model/state.js'
import { CHECK_CATALOGUE } from '../../model/check-catalogue.js'
import { addInitContainerCalls, givenSystemCalls } from '../given-system-calls.js'

/** The first element of a `systems` scenario: the configuration its syscalls run on, and the images it boots with when they are not the generated systems' ({@link IMAGES}). */
export interface SystemsHead {
  readonly boot: BootConfig
  readonly images?: ReadonlyArray<ImageRecord>
}

/** A system to check instead of generated ones (`sila check --boot FILE`): its configuration and images, as cli/boot-file.ts reads them. */
export interface GivenSystem {
  readonly config: BootConfig
  readonly images: ReadonlyArray<ImageRecord>
}

/**
 * The system the suite checks in this thread: null for generated ones (the
 * default), or the user's (`sila check --boot FILE` sets it in the main thread
 * and in every worker, before any scenario is drawn). Every run then boots it
 * as written, and the user's properties, which name its objects, are asked.
 */
let given: { readonly head: SystemsHead } | null = null

/** Checks `system` from now on (null: generated systems again). @public */
export function checkGivenSystem(system: GivenSystem | null): void {
  given = system === null ? null : { head: { boot: system.config, images: system.images } }
}

/** Each configuration's syscalls by kind and variant, made once per configuration object (a given system's scenarios share theirs). */
const alphabets = new WeakMap<BootConfig, Action[][][]>()

function isHead(value: unknown): value is SystemsHead {
  return typeof value === 'object' && value !== null && typeof (value as { boot?: unknown }).boot === 'object' && (value as { boot?: unknown }).boot !== null
}

/**
 * The preset `sila explore --boot` would make of a configuration (cli/boot-file.ts
 * `declaredPreset`): its declared processes act, and the first process spawned
 * when some process holds a container; spawns name the processes' own images, a
 * cheap one of the pool and one below its floor.
 */
function systemPreset(config: BootConfig, images: ReadonlyArray<ImageRecord> | undefined): Preset {
  const processes = config.system?.processes ?? []
  const actors = declaredActors(config.system)
  // A given system spawns the images it boots with, as explore --boot does.
  if (images !== undefined) return { name: 'systems', description: 'the system given', boot: config, images, actors, declared: true }
  const digests = new Set([...processes.map((process) => process.image), CHEAP_POOL_IMAGE.digest, NESTED_OLD_IMAGE.digest])
  return { name: 'systems', description: 'a generated declared system', boot: config, images: IMAGES.filter((image) => digests.has(image.digest)), actors, declared: true }
}

/**
 * init's calls on what it holds (the root's cap, the devices', and the
 * original caps of every declared container and process): destroys, limits,
 * stats, kills, revokes, deletes and inspects on each slot, and children
 * created and processes spawned (no grant, uid 0) in each container it holds.
 */
function initActions(preset: Preset): Action[] {
  const actions: Action[] = [{ kind: 'process_list', caller: 0 }]
  for (let slot = 0; slot < preset.boot.init.slots; slot++) {
    actions.push({ kind: 'container_destroy', caller: 0, slot }, { kind: 'container_stats', caller: 0, slot }, { kind: 'process_kill', caller: 0, slot })
    actions.push({ kind: 'cap_revoke', caller: 0, slot }, { kind: 'cap_delete', caller: 0, slot }, { kind: 'cap_inspect', caller: 0, slot })
  }
  // Limits, children and spawns in the containers a declared process governs (children and spawns among a bounded few of init's slots: pairedSlots).
  addInitContainerCalls(actions, preset.boot.init.slots, limitVariants(preset), childConfigs(preset), preset.images.map((image) => image.digest))
  return actions
}

/** A system's syscalls by kind, then by variant (actions.ts `actionVariant`), each in the order first listed. */
function actionsByKind(head: SystemsHead): Action[][][] {
  const known = alphabets.get(head.boot)
  if (known !== undefined) return known
  const preset = systemPreset(head.boot, head.images)
  const explored = groupedActions([...declaredActions(preset, true), ...initActions(preset)])
  // A given system (its images given with it) gets the wider calls too (given-system-calls.ts); generated ones keep the explore alphabet.
  const groups = head.images === undefined ? explored : widened(explored, givenSystemCalls(preset))
  alphabets.set(head.boot, groups)
  return groups
}

/**
 * How many times each kind of the explore alphabet is listed against once for
 * a kind only the wider calls have: a pick names a kind uniformly, and the
 * wider calls' ten or so table, I/O and clock kinds would otherwise take a
 * third of the picks from the calls that move caps (measured on plugin-host
 * with a copy that amplifies rights: its first failing run, seeds 1-5, came
 * about four times later).
 */
const EXPLORED_WEIGHT = 3

/** `explored` with the wider calls: those of its kinds joined to their kind's variants, the others as kinds of their own, listed once to its kinds' {@link EXPLORED_WEIGHT}. */
function widened(explored: Action[][][], wider: ReadonlyArray<Action>): Action[][][] {
  const known = new Set(explored.map((variants) => variants[0]![0]!.kind as string))
  const grouped = groupedActions([...explored.flat(2), ...wider.filter((action) => known.has(action.kind as string))])
  const others = groupedActions(wider.filter((action) => !known.has(action.kind as string)))
  return [...Array.from({ length: EXPLORED_WEIGHT }, () => grouped).flat(), ...others]
}

function groupedActions(actions: ReadonlyArray<Action>): Action[][][] {
  const kinds = new Map<string, Map<string, Action[]>>()
  for (const action of actions) {
    const kind = action.kind as string
    let variants = kinds.get(kind)
    if (variants === undefined) { variants = new Map(); kinds.set(kind, variants) }
    const variant = actionVariant(action)
    const group = variants.get(variant)
    if (group === undefined) variants.set(variant, [action])
    else group.push(action)
  }
  return [...kinds.values()].map((variants) => [...variants.values()])
}

/** Most picks a kind draws from (a kind's actions are taken modulo their count). */
const PICK_MAX = 1 << 20
/** About one pick in this many repeats the syscall before it, and as many follow a bind with its lookup ({@link bandOf}). */
const REPEAT_EVERY = 6
/** One pick in this many takes any action of its kind; the others one whose slots fit the caller's CSpace now, when there is one. */
const LOOSE_EVERY = 4

/** A scenario's step before it is resolved: a kind, a variant of it, an action of that, and whether to take any (0) or one that fits. */
type Pick = readonly [kind: number, variant: number, which: number, loose: number]

/** The slot arguments that must hold a cap, and the one that must be empty, for a call to get past its slot checks. */
const HELD = ['src', 'slot', 'parent', 'container', 'xfer'] as const

/**
 * The kind of object each slot argument's cap must name, by syscall kind and
 * argument, read off the check catalogue's "… is a … cap" checks (ep_send's
 * `slot` an endpoint, process_kill's a process, container_create's `parent` a
 * container, …); an argument not named takes a cap to anything.
 */
const SLOT_KINDS: ReadonlyMap<string, string> = new Map(CHECK_CATALOGUE.flatMap((check) => {
  const found = /^(\w+): (\w+) is an? (\w+) cap$/.exec(check.name)
  return found === null ? [] : [[`${found[1]}:${found[2]}`, found[3]!] as const]
}))

/**
 * The calls that read a name in the caller's own table (and answer NotFound
 * when it is not bound there): the table, and the argument that names the entry.
 */
const LOOKUPS: ReadonlyMap<string, readonly ['mount' | 'net' | 'ipc', string]> = new Map([
  ['resolve', ['mount', 'path']], ['unmount', ['mount', 'path']], ['net_connect', ['net', 'port']], ['net_unbind', ['net', 'port']],
  ['svc_lookup', ['ipc', 'name']], ['svc_unregister', ['ipc', 'name']],
] as const)

/**
 * Whether `action`'s caller runs and its slot arguments fit its CSpace in
 * `state` (held slots hold a cap, to an object of the kind the call takes
 * there, and `dst` is empty), and a name it looks up is bound in the caller's
 * table: a call that may get past its slot and name checks (a lookup of what a
 * mount, bind or register put there a few calls before, rather than of a name
 * drawn apart from it).
 */
function fits(state: KernelState, action: Action): boolean {
  if (action.caller === undefined) return true
  const process = processByRef(state, action.caller as number)
  if (process === undefined || process.status !== 'running') return false
  const lookup = LOOKUPS.get(action.kind as string)
  if (lookup !== undefined && !getNamespace(state, getContainer(state, process.owner!).namespaces[lookup[0]]).entries.has(String(action[lookup[1]]))) return false
  const held = (slot: unknown, field?: string): boolean => {
    const cap = typeof slot === 'number' ? process.slots[slot] ?? null : null
    if (cap === null) return false
    const kind = field === undefined ? undefined : SLOT_KINDS.get(`${action.kind as string}:${field}`)
    return kind === undefined || getObject(state, getCap(state, cap).object)?.kind === kind
  }
  for (const field of HELD) if (action[field] !== undefined && !held(action[field], field)) return false
  // A dst inside the CSpace (a slot past it is no more empty than full: InvalidSlot), and empty but for ep_recv's (whose carried cap is dropped when it is not).
  if (typeof action.dst === 'number' && (action.dst >= process.slots.length || (action.kind !== 'ep_recv' && process.slots[action.dst] !== null))) return false
  const grants = action.grants as ReadonlyArray<{ readonly slot: number }> | undefined
  return grants === undefined || grants.every((grant) => held(grant.slot))
}

/**
 * The syscalls a scenario's picks name, each chosen in the model's state
 * before it: of its kind's actions, the `which`-th of those that fit the
 * caller's CSpace (all of them for a loose pick, or when none fits). Memoized
 * by scenario: the check and the trace ask alike.
 */
const resolved = new WeakMap<ReadonlyArray<unknown>, unknown[]>()
function resolve(scenario: ReadonlyArray<unknown>): unknown[] {
  const known = resolved.get(scenario)
  if (known !== undefined) return known
  const head = scenario[0]
  if (!isHead(head)) return []
  // A boot the model refuses runs no syscall: the kernel is asked to refuse it too (systemsSuite.check).
  const booted = modelBooted(head)
  if (booted instanceof BootError) {
    resolved.set(scenario, [])
    return []
  }
  const groups = actionsByKind(head)
  let state = booted
  const syscalls: Action[] = []
  // The call before, when it succeeded (a lookup may follow a bind).
  let bound: Action | null = null
  for (const pick of scenario.slice(1) as ReadonlyArray<Pick>) {
    const band = bandOf(pick)
    const syscall: Action = band === REPEAT_BAND && syscalls.length > 0 ? syscalls[syscalls.length - 1]!
      : (band === FOLLOW_BAND && bound !== null ? followUp(groups, state, bound, pick) : null) ?? picked(groups, state, pick)
    syscalls.push(syscall)
    const stepped = modelStep(state, syscall)
    state = stepped.state
    bound = stepped.outcome._tag === 'Right' && FOLLOWS.has(syscall.kind as string) ? syscall : null
  }
  resolved.set(scenario, syscalls)
  return syscalls
}

/**
 * A table's binding call, the lookup that reads what it bound, and the
 * argument naming the entry: a pick after a successful bind may look it up
 * ({@link followUp}), as a client does right after its server registers.
 */
const FOLLOWS: ReadonlyMap<string, readonly [lookup: string, key: string]> = new Map([
  ['mount', ['resolve', 'path']], ['net_bind', ['net_connect', 'port']], ['svc_register', ['svc_lookup', 'name']],
] as const)

/** Each alphabet's actions of each kind, flattened (for {@link followUp}). */
const byKind = new WeakMap<Action[][][], Map<string, Action[]>>()

/**
 * The lookup of what `bind` (a successful mount, net_bind or svc_register)
 * just bound: of the alphabet's lookups of that key, those that fit in
 * `state` (their caller sees the table, their `dst` is empty), the
 * `which`-th; null when none fits (the pick is then an ordinary one).
 */
function followUp(groups: Action[][][], state: KernelState, bind: Action, pick: Pick): Action | null {
  let kinds = byKind.get(groups)
  if (kinds === undefined) {
    kinds = new Map(groups.map((variants) => [variants[0]![0]!.kind as string, variants.flat()]))
    byKind.set(groups, kinds)
  }
  const [lookup, key] = FOLLOWS.get(bind.kind as string)!
  const fitting = (kinds.get(lookup) ?? []).filter((action) => action[key] === bind[key] && fits(state, action))
  return fitting.length === 0 ? null : fitting[pick[2] % fitting.length]!
}

/** The syscall a pick names in `state`: of its kind's variant, the `which`-th action that fits (any, for a loose pick or when none fits). */
function picked(groups: Action[][][], state: KernelState, pick: Pick): Action {
  const variants = groups[pick[0] % groups.length]!
  const group = variants[pick[1] % variants.length]!
  const fitting = pick[3] % LOOSE_EVERY === 0 ? group : group.filter((action) => fits(state, action))
  const from = fitting.length > 0 ? fitting : group
  return from[pick[2] % from.length]!
}

/**
 * A pick's band, read from the high bits of `which` (whose low bits choose the
 * action: shrinking it to 0 takes a band's special meaning away), one of
 * {@link REPEAT_EVERY}. In {@link REPEAT_BAND} the pick repeats the syscall
 * before it: runs of the same call are what fill a declared endpoint's queue
 * past its first entries, spend a quota to its limit, or number pids and
 * handles in a row. In {@link FOLLOW_BAND}, after a successful bind, it looks
 * up what was bound ({@link followUp}).
 */
function bandOf(pick: Pick): number {
  return Math.floor(pick[2] * REPEAT_EVERY / (PICK_MAX + 1))
}
const REPEAT_BAND = REPEAT_EVERY - 1
const FOLLOW_BAND = REPEAT_EVERY - 2

/** The model's boot of a scenario's configuration, or why it refuses it (a declared value one past its boundary). Memoized by configuration. */
const boots = new WeakMap<BootConfig, KernelState | BootError>()
function modelBooted(head: SystemsHead): KernelState | BootError {
  const known = boots.get(head.boot)
  if (known !== undefined) return known
  let booted: KernelState | BootError
  try {
    booted = modelBoot(head.boot, head.images ?? IMAGES)
  } catch (error) {
    if (!(error instanceof BootError)) throw error
    booted = error
  }
  boots.set(head.boot, booted)
  return booted
}

/**
 * A boot the model refuses must be refused by the kernel too, at the same
 * place when the kernel names one (an error with a string `path`, as the
 * impl's BootError has): a kernel that boots what the specification refuses
 * runs a system nobody may declare. REF-1 at the boot (step -1) otherwise,
 * and when the kernel's create fails an assertion of its own instead (an error
 * named KernelBug): a crash is not a refusal.
 */
function kernelRefuses(target: SuiteContext['target'], head: SystemsHead, refusal: BootError): SuiteFailure | null {
  try {
    target.create(head.boot, head.images ?? IMAGES)
  } catch (error) {
    // A kernel's own assertion failing (an error named KernelBug, as the impl's impl/assert.ts throws) is a crash, not a refusal: it names no place and says the kernel went wrong.
    if ((error as { name?: unknown } | null)?.name === 'KernelBug') {
      return { step: -1, invariant: 'REF-1', message: `the model refuses this boot at ${refusal.path} (${refusal.message}); the kernel crashed booting it: ${String(error)}` }
    }
    const path = (error as { path?: unknown } | null)?.path
    if (typeof path === 'string' && path !== refusal.path) {
      return { step: -1, invariant: 'REF-1', message: `the model refuses this boot at ${refusal.path} (${refusal.message}); the kernel refuses it at ${path} instead` }
    }
    return null
  }
  return { step: -1, invariant: 'REF-1', message: `the model refuses this boot at ${refusal.path} (${refusal.message}); the kernel booted it` }
}

/** A generated shape and its picks as a scenario; null when the model refuses to boot the shape. */
function scenarioOf(shape: Parameters<typeof bootConfigOf>[0], derivations: ReadonlyArray<number>, picks: ReadonlyArray<Pick>, boundaries: ReadonlyArray<number>): unknown[] | null {
  const config = bootConfigOf(shape)
  if (typeof config === 'string') return null
  const boot = withBoundaries(withDerivedCaps(config, derivations), boundaries)
  // A pool naming a digest twice (one onePast arm): the head says which pool, else the systems' own.
  const images = poolOf(boundaries)
  const head: SystemsHead = images === undefined ? { boot } : { boot, images }
  return [head, ...picks]
}

/** The picks of a scenario of at most `maxSteps` steps. */
function picksArb(maxSteps: number): fc.Arbitrary<Pick[]> {
  return fc.array(fc.tuple(fc.nat({ max: 1023 }), fc.nat({ max: 1023 }), fc.nat({ max: PICK_MAX }), fc.nat({ max: LOOSE_EVERY - 1 })), { minLength: Math.min(maxSteps, 1), maxLength: maxSteps, size: 'max' }) as fc.Arbitrary<Pick[]>
}

/** Scenarios of a given system: the system as written, and picks. */
function givenScenarios(head: SystemsHead, maxSteps: number): fc.Arbitrary<unknown[]> {
  return picksArb(maxSteps).map((picks) => [head, ...picks])
}

export const systemsSuite: Suite = {
  name: 'systems',
  description: 'declared systems: each run boots a generated boot.system and steps its syscalls; the kernel in lockstep with the model, every catalogue invariant after every step',
  covers: ['REF-1', 'CAP-1..4', 'OBJ-1', 'QUO-1..3', 'ISO-1..4', 'IPC-1..2', 'LIFE-1', 'IMG-1..2', 'CPU-1', 'IO-1', 'SCHED-1'],
  scenario: (maxSteps) => given !== null ? givenScenarios(given.head, maxSteps) : fc.tuple(fc.oneof(systemArb, richSystemArb), fc.array(fc.nat({ max: 1023 }), { maxLength: 4 }), picksArb(maxSteps), fc.array(fc.nat({ max: 1023 }), { maxLength: 4 }))
    // The boundaries are drawn last, so that the shapes, derivations and picks are the ones drawn before they were added.
    .map(([shape, derivations, picks, boundaries]) => scenarioOf(shape, derivations, picks, boundaries))
    .filter((scenario): scenario is unknown[] => scenario !== null),
  check: (scenario, context) => {
    const head = scenario[0]
    if (!isHead(head)) return { step: -1, message: 'a systems scenario starts with its boot configuration ({ boot }); this one does not' }
    context.coverage?.observeBoot(head.boot)
    const booted = modelBooted(head)
    if (booted instanceof BootError) return kernelRefuses(context.target, head, booted)
    // The user's properties name the objects of the system they were read against: asked of a given system's runs, not of generated ones.
    try {
      return checkLockstep(resolve(scenario), given === null ? { ...context, user: null } : context, 'all', true, head.boot, head.images ?? IMAGES)
    } catch (error) {
      // The other way round: a boot the model honours that the kernel refuses (a BootError naming a place) is REF-1 at the boot too, not a crash.
      if (isBootError(error)) {
        return { step: -1, invariant: 'REF-1', message: `the model boots this system; the kernel refuses it: ${error.message}` }
      }
      throw error
    }
  },
  executed: (scenario) => resolve(scenario),
  // Its picks: the configuration in front of them is not a step.
  steps: (scenario) => Math.max(0, scenario.length - 1),
  // A stored scenario is tried again only on what it was found on: the given system (the same configuration), or generated systems.
  stores: (scenario) => {
    const head = scenario[0]
    if (!isHead(head)) return false
    // A generated scenario names no pool, or the systems' own with a digest repeated (a refused boot).
    return given === null ? head.images === undefined || repeatsDigest(head.images) : JSON.stringify(head.boot) === JSON.stringify(given.head.boot)
  },
  environment: (scenario) => {
    const head = scenario !== undefined && isHead(scenario[0]) ? scenario[0] : given?.head
    // No scenario and no given system: the property boot, which no run of this suite starts from (each scenario names its own).
    return head === undefined ? { config: PROPERTY_BOOT, images: IMAGE_POOL } : { config: head.boot, images: head.images ?? IMAGES }
  },
}
