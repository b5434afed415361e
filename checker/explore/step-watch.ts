/**
 * The watchdog of `sila explore` (`--step-timeout`): a kernel whose step never
 * returns (a loop in a user's `--kernel`, in an impl mutant, in a seeded bug)
 * must end the search with a counterexample, not hang it. The search runs in a
 * worker thread (run.ts); each thread that steps a kernel (the search's, or each
 * of `--workers N`) keeps a lane of counters in shared memory: a tick that moves
 * as every kernel call returns, which call it is in (step, create, abstraction),
 * the action it stepped, and the path (action indexes from the boot state) of
 * the state it stepped it from. The main thread looks every second; a lane that
 * has been inside one kernel call for the timeout is a stall, and its path and
 * action are a shortest counterexample like any other (breadth first, every
 * state at a depth is expanded before the next depth's). A user property's code
 * (`--props`) is watched alike, as the state it is asked of. Nothing else is:
 * the engine's own work between two steps can be long, and a worker of
 * `--workers N` waits at each level's end for the others.
 *
 * Writing the counters is a few plain stores a step, no allocation: the general
 * engine's hot loop pays about as much as for one more array write.
 * @module
 */

/** A lane's cells, as indices into its Int32Array. */
const TICKS = 0
const WHERE = 1
const ACTION = 2
const LENGTH = 3
const PROPERTY = 4
const PATH = 5
/** The deepest path a lane holds: a stall deeper than this is told without its path. */
export const PATH_ROOM = 4096
const LANE_CELLS = PATH + PATH_ROOM
/** {@link LENGTH} when the path did not fit. */
const TOO_DEEP = -1

/** What a lane's thread is doing, as {@link WHERE} holds it. */
const OUTSIDE = 0
const IN_STEP = 1
const IN_CREATE = 2
const IN_ABSTRACT = 3
const IN_PROPERTY = 4

/** Shared memory for `lanes` lanes: the main thread keeps it, the search's threads each write one lane. */
export function newWatchMemory(lanes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(1, lanes) * LANE_CELLS * Int32Array.BYTES_PER_ELEMENT)
}

/** How many lanes `memory` holds. */
export function laneCount(memory: SharedArrayBuffer): number {
  return memory.byteLength / (LANE_CELLS * Int32Array.BYTES_PER_ELEMENT)
}

/** One thread's lane: what the engines write as they step a kernel. */
export class StepWatch {
  private readonly cells: Int32Array

  constructor(memory: SharedArrayBuffer, lane: number) {
    this.cells = new Int32Array(memory, lane * LANE_CELLS * Int32Array.BYTES_PER_ELEMENT, LANE_CELLS)
  }

  /** The state about to be stepped from: the path from the boot state (its first `length` actions). */
  at(path: ArrayLike<number>, length: number): void {
    const { cells } = this
    if (length > PATH_ROOM) { cells[LENGTH] = TOO_DEEP; return }
    for (let at = 0; at < length; at++) cells[PATH + at] = path[at]!
    cells[LENGTH] = length
  }

  /** The path told by {@link at} is now `length` long (a prefix of it, or the same path grown by the step just answered). */
  atLength(length: number): void {
    if (this.cells[LENGTH] !== TOO_DEEP) this.cells[LENGTH] = length > PATH_ROOM ? TOO_DEEP : length
  }

  /** Action `action` (an index of the search's alphabet) is handed to the kernel. */
  stepping(action: number): void {
    this.cells[ACTION] = action
    this.cells[WHERE] = IN_STEP
  }

  /** The kernel is booting (its `create`). */
  creating(): void {
    this.cells[ACTION] = -1
    this.cells[WHERE] = IN_CREATE
  }

  /** The abstraction reads the kernel after action `action` (-1: the boot state). */
  abstracting(action: number): void {
    this.cells[ACTION] = action
    this.cells[WHERE] = IN_ABSTRACT
  }

  /** The state about to be asked the user's properties is the successor by action `action` of the state told by {@link at} (-1: that state itself). */
  after(action: number): void {
    this.cells[ACTION] = action
  }

  /** User property number `property` (of the `--props` file's, in order) is asked of the state. */
  asking(property: number): void {
    this.cells[PROPERTY] = property
    this.cells[WHERE] = IN_PROPERTY
  }

  /** The kernel call (or the property) returned, or threw. */
  answered(): void {
    this.cells[WHERE] = OUTSIDE
    this.cells[TICKS]++
  }
}

/** What a stalled lane was doing. */
export interface SearchStall {
  /** In a kernel call, or in a user property's code (`property`). */
  readonly where: 'step' | 'create' | 'abstract' | 'property'
  /** The path from the boot state to the state stepped from (null: deeper than {@link PATH_ROOM}). */
  readonly path: number[] | null
  /** The action handed to the kernel, or that led to the state asked (-1 in `create`, at the boot state). */
  readonly action: number
  /** The user property asked (`property`): its index in the `--props` file's order. */
  readonly property: number
}

function stallOf(cells: Int32Array): SearchStall {
  const where = Atomics.load(cells, WHERE)
  const length = Atomics.load(cells, LENGTH)
  const path: number[] | null = length === TOO_DEEP ? null : Array.from(cells.subarray(PATH, PATH + Math.min(length, PATH_ROOM)))
  return {
    where: where === IN_CREATE ? 'create' : where === IN_ABSTRACT ? 'abstract' : where === IN_PROPERTY ? 'property' : 'step',
    path, action: Atomics.load(cells, ACTION), property: Atomics.load(cells, PROPERTY),
  }
}

/** A watched thread as the poll reads it: whether it is inside a watched call now, and its tick (which moves as each call returns). */
export interface CallProbe {
  readonly inside: () => boolean
  readonly ticks: () => number
}

/**
 * Polls `probes` from the main thread (the watchdogs of explore and replay):
 * `onStall` is called once, with the index of the first probe found inside one
 * call for `timeoutMs` or longer (never sooner; at most a poll later). A call
 * is timed from the first poll that finds the thread inside it, since it began
 * no later; time outside calls is not counted. Returns the function that stops
 * polling.
 */
export function watchCalls(probes: ReadonlyArray<CallProbe>, timeoutMs: number, onStall: (probe: number) => void): () => void {
  const seen = probes.map(() => ({ ticks: -1, since: 0 }))
  const timer = setInterval(() => {
    const now = Date.now()
    for (const [index, probe] of probes.entries()) {
      const last = seen[index]!
      const ticks = probe.ticks()
      const inside = probe.inside()
      if (!inside || ticks !== last.ticks) { last.ticks = inside ? ticks : -1; last.since = now; continue }
      if (now - last.since >= timeoutMs) { clearInterval(timer); onStall(index); return }
    }
  }, Math.max(20, Math.min(1000, timeoutMs / 4)))
  timer.unref()
  return () => clearInterval(timer)
}

/**
 * Watches every lane of `memory` from the main thread: `onStall` is called once,
 * with the first lane found inside one kernel call (or user property) for
 * `timeoutMs` or longer ({@link watchCalls}). Returns the function that stops watching.
 */
export function watchLanes(memory: SharedArrayBuffer, timeoutMs: number, onStall: (stall: SearchStall) => void): () => void {
  const lanes = Array.from({ length: laneCount(memory) }, (_, lane) => new Int32Array(memory, lane * LANE_CELLS * Int32Array.BYTES_PER_ELEMENT, LANE_CELLS))
  const probes = lanes.map((cells) => ({ inside: () => Atomics.load(cells, WHERE) !== OUTSIDE, ticks: () => Atomics.load(cells, TICKS) }))
  return watchCalls(probes, timeoutMs, (lane) => onStall(stallOf(lanes[lane]!)))
}

