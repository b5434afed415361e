/**
 * Safe HTML by construction for the report page: {@link html} is a tagged template
 * that escapes every interpolated value unless it is already {@link Html} (made by
 * `html` itself, or by {@link raw} for text that is markup by design). Text and
 * attribute values get the same escaping (`& < > " '`), so a value is safe in
 * either place, in HTML as in inline SVG.
 * @module
 */

/** A fragment of markup: escaped already, inserted as is. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text
  }
}

/** What {@link html} accepts between `${}`: markup, text to escape, numbers, nothing, or lists of them. */
export type HtmlValue = Html | string | number | boolean | null | undefined | ReadonlyArray<HtmlValue>

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for HTML content and for quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]!)
}

/** Markup taken as is: only for text built by this module's callers as markup (never for data). */
export function raw(text: string): Html {
  return new Html(text)
}

function valueText(value: HtmlValue): string {
  if (value instanceof Html) return value.text
  if (value === null || value === undefined || value === false) return ''
  if (Array.isArray(value)) return (value as ReadonlyArray<HtmlValue>).map(valueText).join('')
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : escapeHtml(String(value))
  return escapeHtml(String(value))
}

/** The tagged template: the literal parts are markup, the values are escaped (unless Html). */
export function html(strings: TemplateStringsArray, ...values: ReadonlyArray<HtmlValue>): Html {
  let text = strings[0]!
  values.forEach((value, index) => { text += valueText(value) + strings[index + 1]! })
  return new Html(text)
}

/** Joins fragments with a separator (itself markup). */
export function join(parts: ReadonlyArray<HtmlValue>, separator: Html | string = ''): Html {
  return new Html(parts.map(valueText).join(separator instanceof Html ? separator.text : escapeHtml(separator)))
}

/** A number for SVG coordinates: finite, at most two decimals. */
export function coordinate(value: number): string {
  if (!Number.isFinite(value)) return '0'
  return String(Math.round(value * 100) / 100)
}
