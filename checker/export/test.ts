/**
 * `sila export --format test`: a regression test, in the project's test framework
 * (uvu), that embeds the trace and steps the kernel that failed together with the
 * model, with the lockstep refinement checker (`refinement/lockstep.ts`). In the
 * boot state and after every step it checks that the kernel's outcome and
 * abstract state equal the model's (REF-1), that every invariant of the catalogue
 * holds on the model, and that each step answers the outcome the trace recorded.
 * For a counterexample it fails while the bug is there.
 *
 * The kernel is the one the trace records as having produced it (`producedBy`),
 * unless the export names another: the impl, a seeded mutant (`mutant:NAME`, or a
 * model mutant, `model-mutant:NAME`, whose mutated copy of the model is stepped as
 * a kernel), the model itself, or a user's module (`file:PATH`).
 *
 * The generated text is an ES module, JavaScript and TypeScript at once (no type
 * annotations; everything is typed by inference). It imports the library by its
 * package name, through its public entry points (`sila-kernel/spec`, `/invariants`,
 * `/refinement`, `/checker`):
 * that resolves for a project that has the package installed, and inside this
 * repository through the package's reference to itself. Saved as `.mjs` it runs
 * with `node FILE` (uvu's tests run themselves) on Node 20 with nothing else.
 * @module
 */
import { dirname, relative, resolve, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Trace } from '../../spec/trace.js'
import { formatJson, wrapText } from '../../cli/output.js'
import { kernelFlags, kernelText, shellWord } from '../targets.js'

/** The package name the generated test imports the library by (package.json "name"). @public */
export const PACKAGE_NAME = 'sila-kernel'

/** How to generate a regression test. @public */
export interface RegressionTestOptions {
  /** The trace file's path, named in the header comment. */
  readonly source?: string
  /**
   * The kernel to step: `impl`, `model`, `mutant:NAME`, `model-mutant:NAME` or
   * `file:PATH` (PATH relative to the working directory).
   * @defaultValue the trace's `producedBy.kernel`, else `impl`
   */
  readonly kernel?: string
  /**
   * Where the test is written. A `file:` kernel's path is then embedded relative
   * to it, so that the test finds the module wherever it is run from; without it,
   * the path stays relative to the working directory the test runs in.
   */
  readonly outFile?: string
  /**
   * The user property the trace's failure names (a counterexample or witness of
   * `--props`), so that the test asks it too: its `sila-props/1` declaration,
   * embedded, or the path of the module that defines it (relative to the working
   * directory; embedded relative to `outFile` when given).
   */
  readonly property?: { readonly name: string; readonly kind: 'always' | 'sometimes'; readonly source: string } & ({ readonly declaration: unknown } | { readonly module: string })
}

/** Whether the test asks a property written in code (a module's), which it watches as it watches the kernel. */
function inCode(property: RegressionTestOptions['property']): property is { readonly name: string; readonly kind: 'always' | 'sometimes'; readonly source: string; readonly module: string } {
  return property !== undefined && 'module' in property
}

/** Text safe inside a block comment. */
function commentSafe(text: string): string {
  return text.replace(/\*\//g, '*\\/')
}

/**
 * The trace as a JavaScript expression. JSON is an object literal, except that a
 * `"__proto__"` key in a literal sets the prototype instead of making a member:
 * a trace holding one (a hostile malformed syscall) is embedded as a string for
 * `JSON.parse` instead.
 */
function traceExpression(trace: Trace): string {
  const text = formatJson(trace, 100)
  return text.includes('"__proto__"') ? `JSON.parse(${JSON.stringify(JSON.stringify(trace))})` : text
}

function failureLine(trace: Trace): string[] {
  const failure = trace.failure
  if (failure === undefined) return []
  const parts = [`property ${failure.property}`]
  if (failure.invariant !== undefined) parts.push(`invariant ${failure.invariant}`)
  if (failure.step !== undefined) parts.push(failure.step === -1 ? 'in the boot state' : `at step ${failure.step}`)
  if (failure.seed !== undefined) parts.push(`seed ${failure.seed}`)
  if (failure.path !== undefined && failure.path !== '') parts.push(`path ${failure.path}`)
  const lines = wrapText(`Recorded failure: ${parts.join(', ')}.`, 84)
  if (failure.message !== undefined) lines.push(...wrapText(failure.message, 84))
  return ['', ...lines]
}

/** What the header says of the user property the test asks, if any. */
function propertySentence(property: RegressionTestOptions['property']): string {
  if (property === undefined) return ''
  const watched = inCode(property) ? ' Its code is watched as the kernel is: asked of a state, it must answer within SILA_STEP_TIMEOUT seconds.' : ''
  return property.kind === 'always'
    ? ` It also asks the user property ${property.name} (stated in ${property.source}) of the boot state and of the state after every step: while the system still lets the trace break it, the test fails.${watched}`
    : ` It also asks the user property ${property.name} (sometimes, stated in ${property.source}): the trace must still reach a state it holds in, or the test fails.${watched}`
}

function header(trace: Trace, source: string, kernel: string, chosen: boolean, property?: RegressionTestOptions['property']): string {
  const exported = `sila export ${shellWord(source)} --format test${chosen ? ` ${kernelFlags(kernel)}` : ''}`
  const lines = [
    `Regression test generated by \`${exported}\`.`,
    ...(trace.description === undefined ? [] : ['', ...wrapText(trace.description, 84)]),
    ...failureLine(trace),
    '',
    ...wrapText(`It steps ${kernelText(kernel)} and the model together on the trace, with sila-kernel's lockstep refinement checker: in the boot state and after every step, the kernel's outcome and abstract state must equal the model's, every invariant must hold on the model, and each step must answer the outcome recorded below. ${trace.failure === undefined
      ? 'It fails when the kernel or the model changes what it does with this trace.'
      : property?.kind === 'sometimes' ? 'It fails when the kernel or the model changes what it does with this witness.' : 'While the bug is there, it fails.'}${propertySentence(property)} If a fix changes what a step answers, update that step's outcome (or remove it: a step without one is checked against the model and the invariants only).`, 84),
    '',
    ...wrapText(`It is an ES module, JavaScript and TypeScript at once, and imports the packages ${PACKAGE_NAME} and uvu by name. Run it with node (save it as .mjs: \`node NAME.test.mjs\`, exit 1 on a failure) or with uvu (\`npx uvu DIR\`); saved as .ts, it runs where TypeScript tests run (tsx, a tsc build).`, 84),
  ]
  return ['/**', ...lines.map((line) => (line === '' ? ' *' : ` * ${commentSafe(line)}`)), ' */'].join('\n')
}

/** A path with `/` separators, starting with `./` or `../` (a relative URL). */
function relativeUrl(from: string, to: string): string {
  const path = relative(from, to).split(sep).join('/')
  return path.startsWith('../') || path === '..' ? path : `./${path}`
}

/** The expression for the kernel's name in the generated test. */
function kernelExpression(kernel: string, outFile: string | undefined): string {
  if (!kernel.startsWith('file:') || outFile === undefined) return JSON.stringify(kernel)
  const module = relativeUrl(dirname(resolve(outFile)), resolve(kernel.slice('file:'.length)))
  return `\`file:\${fileURLToPath(new URL(${JSON.stringify(module)}, import.meta.url))}\``
}

/** The module path of a property in code, as the generated test imports it. */
function moduleExpression(module: string, outFile: string | undefined): string {
  if (outFile === undefined) return JSON.stringify(pathToFileURL(resolve(module)).href)
  return `new URL(${JSON.stringify(relativeUrl(dirname(resolve(outFile)), resolve(module)))}, import.meta.url).href`
}

/** The lines that make `PROPERTY` in the generated test, and its import. */
function propertyDefinition(property: NonNullable<RegressionTestOptions['property']>, outFile: string | undefined): string {
  if ('declaration' in property) {
    return `const PROPERTY = resolveProps({ format: 'sila-props/1', properties: [${formatJson(property.declaration, 100)}] }, ${JSON.stringify(property.source)}, bootNamed(TRACE.boot, TRACE.images))[0]`
  }
  return `const PROPS_URL = ${moduleExpression(property.module, outFile)}
const PROPS_MODULE = await import(PROPS_URL)
const PROPERTY = [...(PROPS_MODULE.default ?? PROPS_MODULE.properties ?? [])].find((p) => p.name === ${JSON.stringify(property.name)})
if (PROPERTY === undefined) throw new Error(${JSON.stringify(`${property.source} no longer exports the property ${property.name}`)})`
}

/**
 * The regression test for `trace`, as source text.
 * @public
 */
export function regressionTest(trace: Trace, options: RegressionTestOptions = {}): string {
  const source = options.source ?? 'TRACE'
  const kernel = options.kernel ?? trace.producedBy?.kernel ?? 'impl'
  const chosen = options.kernel !== undefined && options.kernel !== (trace.producedBy?.kernel ?? 'impl')
  const fileKernel = kernel.startsWith('file:') && options.outFile !== undefined
  const from = (path: string) => `'${PACKAGE_NAME}/${path}'`
  const property = options.property
  const watchProperty = inCode(property)
  // Inline at each place (no helper function: its parameter would need a type, and the test is JavaScript and TypeScript at once).
  // A property in code that did not answer (the watched run found it) is not asked there or after: its state fails instead.
  const asked = (where: string, indent: string) => `
${indent}const answer = PROPERTY.test(lockstep.model)
${indent}if (PROPERTY.kind === 'always') assert.is(answer === null ? null : answer.message, null, \`\${${where}}: user property \${PROPERTY.name} is broken ("\${PROPERTY.says}")\`)
${indent}else if (answer !== null && reached.at === '') reached.at = ${where}`
  const ask = (where: string, step: string, indent: string) => (property === undefined ? '' : !watchProperty ? asked(where, indent) : `
${indent}assert.is(SILENT !== null && SILENT.step === ${step} ? \`\${${where}}: user property \${PROPERTY.name} did not answer within \${STEP_TIMEOUT_MS / 1000} s\` : null, null, \`\${${where}}: no answer\`)
${indent}if (SILENT === null || ${step} < SILENT.step) {${asked(where, `${indent}  `)}
${indent}}`)
  return `${header(trace, source, kernel, chosen, property)}
import { test } from 'uvu'
import * as assert from 'uvu/assert'
${fileKernel || watchProperty ? "import { fileURLToPath } from 'node:url'\n" : ''}import { decodeOrThrow, TraceCodec, outcomeText, outcomeToJson } from ${from('spec')}
import { checkState, checkStep } from ${from('invariants')}
import { Lockstep } from ${from('refinement')}
import { callerText, cleanMutants, formatJson, kernelText, loadTarget, syscallText, traceKernelTarget, ${watchProperty ? 'watchReplayStalls' : 'watchReplay'} } from ${from('checker')}
${property !== undefined && 'declaration' in property ? `import { bootNamed, resolveProps } from ${from('properties')}\n` : ''}
const RECORDED = ${traceExpression(trace)}

const TRACE = decodeOrThrow(TraceCodec, RECORDED, ${JSON.stringify(source)})
// The kernel that failed: ${commentSafe(kernelText(kernel))}.
const KERNEL = ${kernelExpression(kernel, options.outFile)}
// No type annotations, so that the file is JavaScript too: every type is inferred.
const FAILURE_STEP = TRACE.failure === undefined ? undefined : TRACE.failure.step

// The kernel's calls run first on a watched worker thread (as sila replay runs them): one that has not returned
// after SILA_STEP_TIMEOUT seconds (default 60) fails its test below instead of hanging the run, and nothing after it
// is handed to the kernel.
const STEP_TIMEOUT_MS = Number(process.env.SILA_STEP_TIMEOUT ?? 60) * 1000
${watchProperty ? `${propertyDefinition(property, options.outFile)}
// The property's code is watched with the kernel's calls: the state it did not answer of (null: it answered every one).
const STALLS = await watchReplayStalls(KERNEL === 'model' ? null : KERNEL, TRACE, STEP_TIMEOUT_MS, { file: fileURLToPath(PROPS_URL), names: [PROPERTY.name] })
const UNANSWERED = STALLS.unanswered
const SILENT = STALLS.stalled.length === 0 ? null : STALLS.stalled[0]` : 'const UNANSWERED = KERNEL === \'model\' ? null : await watchReplay(KERNEL, TRACE, STEP_TIMEOUT_MS)'}
const NO_ANSWER = UNANSWERED === null ? null
  : \`\${kernelText(KERNEL)} did not answer \${UNANSWERED.where === 'create' ? 'its boot' : UNANSWERED.where === 'abstract' ? 'the abstraction of its state' : 'the step'} within \${STEP_TIMEOUT_MS / 1000} s\`
// The kernel and the model, booted together (the model alone as the kernel when the kernel's boot does not return);
// each test runs one step on what the previous one left.
const lockstep = new Lockstep(traceKernelTarget(await loadTarget(UNANSWERED !== null && UNANSWERED.where === 'create' ? 'model' : KERNEL), TRACE), TRACE.boot, TRACE.images, { fullCompare: true })
// A seeded mutant runs from a copy of the compiled kernel in a temporary directory.
test.after(() => cleanMutants())
${property === undefined ? '' : `${watchProperty ? '' : `${propertyDefinition(property, options.outFile)}\n`}// The user property is asked of every state: an always one must not break; where a sometimes one is first reached is kept.
const reached = { at: '' }
`}
test(\`boot: every invariant holds, \${kernelText(KERNEL)} boots as the model does\${FAILURE_STEP === -1 ? ' (the recorded failure)' : ''}\`, () => {
  const violations = checkState(lockstep.model)
  assert.equal(violations.map((violation) => \`\${violation.invariant}: \${violation.message} \${JSON.stringify(violation.witness)}\`), [], 'invariants violated in the boot state')
  assert.is(UNANSWERED !== null && UNANSWERED.step === -1 ? NO_ANSWER : null, null, 'boot: no answer')
  const divergence = lockstep.compareStates(-1)
  const difference = divergence === null ? null
    : divergence.kind === 'exception' ? \`the \${divergence.side} threw: \${divergence.message}\`
      : divergence.kind === 'unreadable' ? \`the abstraction cannot read the kernel's state: \${divergence.what}\`
      : \`\${divergence.kind} at \${divergence.difference.path}: model \${formatJson(divergence.difference.model)}, kernel \${formatJson(divergence.difference.kernel)}\`
  assert.is(difference, null, \`boot: \${kernelText(KERNEL)} diverges from the model\`)${ask("'boot'", '-1', '  ')}
})

for (const [index, traceStep] of TRACE.steps.entries()) {
  // Past a call that did not return, the kernel is handed nothing.
  if (UNANSWERED !== null && index > UNANSWERED.step) break
  const note = index === FAILURE_STEP ? ' (the recorded failure)' : ''
  test(\`step \${index}: caller \${callerText(traceStep.syscall)}: \${syscallText(traceStep.syscall)}\${note}\`, () => {
    assert.is(UNANSWERED !== null && UNANSWERED.step === index ? NO_ANSWER : null, null, \`step \${index}: no answer\`)
    const before = lockstep.model
    const { step, divergence } = lockstep.step(traceStep.syscall)
    if (step !== null && traceStep.outcome !== undefined) {
      assert.equal(outcomeToJson(step.model), traceStep.outcome, \`step \${index}: the model's outcome differs from the recorded one\`)
    }
    if (step !== null) {
      const violations = checkStep({ before, syscall: traceStep.syscall, outcome: step.model, after: lockstep.model })
      assert.equal(violations.map((violation) => \`\${violation.invariant}: \${violation.message} \${JSON.stringify(violation.witness)}\`), [], \`step \${index}: invariants violated\`)
    }
    const difference = divergence === null ? null
      : divergence.kind === 'exception' ? \`the \${divergence.side} threw: \${divergence.message}\`
        : divergence.kind === 'unreadable' ? \`the abstraction cannot read the kernel's state: \${divergence.what}\`
        : divergence.kind === 'outcome' && step !== null ? \`the kernel answered \${outcomeText(step.kernel)}, the model \${outcomeText(step.model)}\`
        : \`\${divergence.kind} at \${divergence.difference.path}: model \${formatJson(divergence.difference.model)}, kernel \${formatJson(divergence.difference.kernel)}\`
    assert.is(difference, null, \`step \${index}: \${kernelText(KERNEL)} diverges from the model\`)${ask('`step ${index}`', 'index', '    ')}
  })
}
${property === undefined || property.kind === 'always' ? '' : `
test(\`user property \${PROPERTY.name} (sometimes) is reached\`, () => {
  assert.ok(reached.at !== '', \`no state of the trace satisfies \${PROPERTY.name} ("\${PROPERTY.says}") any more\`)
})
`}
test.run()
`
}
