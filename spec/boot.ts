/**
 * The boot configuration (kernel.md §10): the root container's limits, the devices,
 * the trusted keyring, the anti-rollback floors and the init process. Every trace
 * starts from one.
 *
 * At boot the kernel creates, in this order: the root container (object 0), the
 * devices (objects 1..d, owned by the root), and init (process 0, uid 0, in the root
 * container). Init's slot 0 holds the root container's original cap (all rights),
 * slots 1..d the devices' original caps (`write`). The root container and init are
 * *pinned*: the kernel holds them, so they are live without a cap naming them.
 * A configuration whose init cannot hold its caps (`init.slots` fewer than
 * d + 1) is refused, as is a declared system the kernel could not honour
 * (docs/decisions.md).
 * @module
 */
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import { LimitsCodec, type Limits } from './limits.js'
import { intRange, NameCodec, BOUNDS } from './numbers.js'
import { DigestCodec, SemverCodec } from './images.js'
import { NamespaceConfigCodec } from './limits.js'
import { RightsCodec } from './rights.js'
import { nearest } from './exact.js'

/**
 * How a boot file names an image (`system.processes[].image`, `images[]`): a
 * manifest digest `sha256:<64 hex>`; a pool name `NAME@VERSION`, or `NAME` when the
 * images known hold one version of it; or the path of a built image directory
 * (`sila image build`), starting with `./`, `../` or `/`, relative to the boot
 * file's directory. Only a digest reaches the kernel: cli/boot-file.ts resolves the
 * others (docs/decisions.md, "Boot files").
 */
export const ImageRefCodec = new t.Type<string, string, unknown>(
  'ImageRef',
  (u): u is string => typeof u === 'string' && imageRefKind(u) !== null,
  (u, c) => (typeof u === 'string' && imageRefKind(u) !== null ? t.success(u) : t.failure(u, c, 'expected an image: sha256:<64 hex>, NAME@VERSION, NAME or ./PATH of a built image')),
  t.identity,
)

/** What an image reference is, or null if it is none of them. @public */
export function imageRefKind(ref: string): 'digest' | 'name' | 'path' | null {
  if (/^sha256:[0-9a-f]{64}$/.test(ref)) return 'digest'
  if (/^(?:\.{1,2})?\//.test(ref)) return ref.length <= 4096 && !ref.includes('\0') ? 'path' : null
  const match = /^([A-Za-z0-9._-]{1,64})(?:@(.+))?$/.exec(ref)
  if (match === null) return null
  return match[2] === undefined || SemverCodec.is(match[2]) ? 'name' : null
}

function systemCodec(image: t.Type<string, string, unknown>) {
  return t.partial({
    containers: t.array(t.type({ name: NameCodec, parent: NameCodec, limits: LimitsCodec, namespaces: NamespaceConfigCodec })),
    processes: t.array(t.type({ name: NameCodec, container: NameCodec, image, uid: intRange(0, BOUNDS.uidMax, 'Uid'), slots: intRange(1, BOUNDS.slotCountMax, 'SlotCount') })),
    objects: t.array(t.union([
      t.type({ name: NameCodec, kind: t.literal('endpoint'), owner: NameCodec, depth: intRange(1, BOUNDS.queueDepthMax, 'Depth') }),
      t.type({ name: NameCodec, kind: t.literal('region'), owner: NameCodec, sizeBytes: intRange(1, BOUNDS.bytesMax, 'Bytes'), executable: t.boolean }),
    ])),
    caps: t.array(t.intersection([
      t.type({ holder: NameCodec, slot: intRange(0, BOUNDS.slotCountMax - 1, 'Slot'), object: NameCodec, rights: RightsCodec }),
      t.partial({ parent: t.string, badge: intRange(0, BOUNDS.badgeMax, 'Badge') }),
    ])),
  })
}

/**
 * An initial system, declared rather than built by syscalls (in the spirit of
 * seL4's CapDL): containers, processes, endpoints and regions, and the caps that
 * processes start with. Boot creates them after init, in declaration order
 * (containers, then processes, then objects, then caps); init receives the
 * original caps of the declared containers and processes in its slots after the
 * devices, in that order. A cap's `object` names a declared container, process
 * or object, `root`, `init`, or a device of the configuration's `devices` (a
 * device cap carries `write` at most); no declared name may be a device's. A
 * cap's `parent` names an earlier declared cap as
 * `holder:slot`; without it the cap is a root of the derivation tree. The kernel
 * sees processes' images by digest; a boot file may name them otherwise
 * ({@link BootFileCodec}).
 */
export const SystemCodec = systemCodec(DigestCodec)
export type SystemDescription = t.TypeOf<typeof SystemCodec>

export const KeyCodec = t.intersection([
  t.type({ keyId: t.string }),
  t.partial({ algorithm: t.keyof({ 'ML-DSA-65': null, 'ML-DSA-87': null }), publicKey: t.string }),
])

const FLOORS_RECORD = t.record(t.string, SemverCodec)

/**
 * The boot configuration's anti-rollback floors, `{"postgres": "16.0.0"}`: each key
 * a module name (a manifest's `name` is a {@link NameCodec} name). `t.record` with a
 * refined key would drop a bad key unsaid, and `t.record(t.string, …)` takes any:
 * a floor keyed `"postgres "` or `""` guards no module, and its image none.
 */
const FloorsByNameCodec = new t.Type<Record<string, string>, Record<string, string>, unknown>(
  'Floors',
  (u): u is Record<string, string> => FLOORS_RECORD.is(u) && Object.keys(u).every((key) => NameCodec.is(key)),
  (u, c) => E.chain((floors: Record<string, string>): t.Validation<Record<string, string>> => {
    const bad = Object.keys(floors).find((key) => !NameCodec.is(key))
    return bad === undefined ? t.success(floors) : t.failure(bad, t.appendContext(c, bad, NameCodec, bad), "expected a key that is a module name: 1 to 64 letters, digits, '.', '_' or '-'")
  })(FLOORS_RECORD.validate(u, c)),
  t.identity,
)

function bootCodec<K extends t.Mixed>(image: t.Type<string, string, unknown>, key: K) {
  return t.intersection([
    t.type({
      root: t.type({ limits: LimitsCodec }),
      devices: t.array(t.type({ name: NameCodec })),
      keyring: t.array(key),
      /** Anti-rollback floor per module name. */
      floors: FloorsByNameCodec,
      init: t.type({ slots: intRange(1, BOUNDS.slotCountMax, 'SlotCount') }),
    }),
    t.partial({
      /** Per-syscall CPU charging and `BudgetExhausted` (default on; the `cap-core` preset turns it off). */
      cpuAccounting: t.boolean,
      /** Containers, processes, objects and caps that exist from boot. */
      system: systemCodec(image),
    }),
  ])
}

/** A keyring entry of a boot file that points to a public key file: `{ "keyFile": "./keys/release.pub.json" }`. */
export const KeyFileRefCodec = t.type({ keyFile: t.string })

/** A boot configuration as the kernel takes it (and a trace holds it): processes name their images by digest. */
export const BootConfigCodec = bootCodec(DigestCodec, KeyCodec)
export type BootConfig = t.TypeOf<typeof BootConfigCodec>

/**
 * A boot file as a user writes it (`sila explore --boot FILE`): a boot
 * configuration whose processes name images by digest, pool name or path
 * ({@link ImageRefCodec}), with an optional `images` list: the images the
 * system's pool holds besides those its processes run (for example the ones a
 * process may spawn). A keyring entry may be a public key file (`sila image
 * keygen`'s NAME.pub.json), relative to the boot file. cli/boot-file.ts resolves
 * it to a {@link BootConfig} and a pool.
 */
export const BootFileCodec = t.intersection([bootCodec(ImageRefCodec, t.union([KeyCodec, KeyFileRefCodec])), t.partial({ images: t.array(ImageRefCodec) })])
export type BootFile = t.TypeOf<typeof BootFileCodec>

/** A boot configuration's refusal: the JSON path in it and why. */
export interface BootProblem {
  readonly path: string
  readonly message: string
}

/** The names every system has (the root container, the process that boots it), which no device may take. */
const RESERVED_NAMES: ReadonlyArray<string> = ['root', 'init']

/**
 * What the configuration asks that no kernel can make, read from it alone
 * before any object exists (both boots refuse it, each with its own
 * `BootError`): a device named twice, which the names caps, properties and
 * limits use could not tell apart (a limit may allow a device no one declared,
 * as a child's limits may at runtime: an allowed set is a set of names); a
 * device named `root` or `init`, names every system already gives (a cap's
 * object and a property's name find those first, so the device could never be
 * named); a key
 * id in the keyring twice, since a signature names its signer by key id; init
 * with fewer slots than the root container's cap and one cap per device, which
 * it holds (refused, not mended: a configuration is booted as written or not
 * at all). Null when there is none.
 */
export function configurationProblem(config: BootConfig): BootProblem | null {
  const names = new Set<string>()
  for (let index = 0; index < config.devices.length; index++) {
    const name = config.devices[index]!.name
    if (names.has(name)) return { path: `$.devices[${index}].name`, message: `the device ${JSON.stringify(name)} is declared twice` }
    // A declared cap's object and a property's name look `root` and `init` up before the devices: a device so named could never be named.
    if (RESERVED_NAMES.includes(name)) return { path: `$.devices[${index}].name`, message: `${JSON.stringify(name)} is the name of ${name === 'root' ? 'every system\'s root container' : 'the process that boots every system'}: a device may not take it` }
    names.add(name)
  }
  // A key id names one key: a signature's signer is looked up by it (kernel.md §4).
  const keyIds = new Set<string>()
  for (let index = 0; index < config.keyring.length; index++) {
    const keyId = config.keyring[index]!.keyId
    if (keyIds.has(keyId)) return { path: `$.keyring[${index}].keyId`, message: `the key id ${JSON.stringify(keyId)} is in the keyring twice: a signature names its signer by key id` }
    keyIds.add(keyId)
  }
  const devices = config.devices.length
  if (config.init.slots < devices + 1) return { path: '$.init.slots', message: `init holds the root container's cap and ${devices} device cap${devices === 1 ? '' : 's'}: at least ${devices + 1} slots` }
  return null
}

/**
 * Why a declared system's name lookup at `path` found nothing: the name is
 * declared nowhere (with "did you mean" for a near name of the kind the field
 * takes), is of another kind than the field takes (a process named as a
 * container), or is declared later than what names it (boot creates in
 * declaration order: containers, processes, objects; a parent, container or
 * owner must come first). Both boots say it in these words.
 */
export function undeclaredName(system: SystemDescription | undefined, name: string, path: string): string {
  const lists: ReadonlyArray<[string, ReadonlyArray<{ readonly name: string; readonly kind?: string }> | undefined]> = [['containers', system?.containers], ['processes', system?.processes], ['objects', system?.objects]]
  // What the field must name: a parent, a process's container or an object's owner is a container; a cap's holder a process.
  const field = path.slice(path.lastIndexOf('.') + 1)
  const wanted = field === 'parent' || field === 'container' || field === 'owner' ? 'container' : field === 'holder' ? 'process' : undefined
  for (const [list, entries] of lists) {
    const index = entries?.findIndex((entry) => entry.name === name) ?? -1
    if (index < 0) continue
    // Named as the wrong kind: no order of the file would make it right, so say that rather than "declared later".
    const kind = list === 'containers' ? 'container' : list === 'processes' ? 'process' : entries![index]!.kind ?? 'object'
    if (wanted !== undefined && kind !== wanted) return `${JSON.stringify(name)} is ${kind === 'endpoint' ? 'an' : 'a'} ${kind} (at $.system.${list}[${index}]), not a ${wanted}`
    if (path.startsWith(`$.system.${list}[${index}].`)) return `${JSON.stringify(name)} names the entry itself: it must name one declared before it`
    return `${JSON.stringify(name)} is declared later, at $.system.${list}[${index}]: boot creates in declaration order (containers, then processes, then objects), so what is named must come before what names it`
  }
  const candidates = wanted === 'container' ? ['root', ...(system?.containers ?? []).map((c) => c.name)]
    : wanted === 'process' ? ['init', ...(system?.processes ?? []).map((p) => p.name)]
      : ['root', 'init', ...lists.flatMap(([, entries]) => (entries ?? []).map((entry) => entry.name))]
  const near = nearest(name, candidates)
  return `no declared object or device named ${JSON.stringify(name)}${near === undefined ? '' : `; did you mean ${JSON.stringify(near)}?`}`
}

const GENEROUS: Limits = {
  memoryBytes: 1 << 30, processes: 64, endpoints: 64, cpuBudget: 10_000, ioBytes: 1 << 20, cpuWeight: 100, devices: ['disk0', 'net0'],
}

/** The default boot configuration: `sila check` and the examples start from it. */
export const DEFAULT_BOOT: BootConfig = {
  root: { limits: GENEROUS },
  devices: [{ name: 'disk0' }, { name: 'net0' }],
  keyring: [{ keyId: 'release', algorithm: 'ML-DSA-65' }],
  // echo's floor has a two-digit neighbour: the pool (properties/pool.ts) holds 1.10.0 above it and 1.9.1 below it by the patch.
  floors: { echo: '1.9.2' },
  init: { slots: 16 },
  cpuAccounting: true,
}
