/**
 * A small strict XML reader for tests of generated documents (the status page's Atom feed):
 * it throws on anything not well-formed — unbalanced or crossed tags, unquoted or repeated
 * attributes, unknown entities, a bare `&` or `<`, text outside the root, characters XML 1.0
 * forbids — and gives back the element tree. No DTDs, processing instructions other than the
 * XML declaration, or CDATA: the documents under test use none.
 */

export interface XmlElement {
  name: string
  attributes: Record<string, string>
  children: XmlElement[]
  text: string
}

const NAME = /^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?/
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }
const FORBIDDEN = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u

function decode(text: string, at: number): string {
  if (text.includes('<')) throw new Error(`bare < near ${at}`)
  return text.replace(/&([^;]*);|&/g, (whole, entity: string | undefined) => {
    if (entity === undefined) throw new Error(`bare & near ${at}`)
    if (entity in ENTITIES) return ENTITIES[entity]!
    const numeric = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(entity)
    if (!numeric) throw new Error(`unknown entity &${entity}; near ${at}`)
    const code = numeric[1]!.startsWith('x')
      ? parseInt(numeric[1]!.slice(1), 16)
      : Number(numeric[1])
    return String.fromCodePoint(code)
  })
}

export function parseXml(source: string): XmlElement {
  if (FORBIDDEN.test(source)) throw new Error('a character XML 1.0 forbids')
  let i = 0
  const declaration = /^<\?xml\s[^?]*\?>/.exec(source)
  if (declaration) i = declaration[0].length
  const stack: XmlElement[] = []
  let root: XmlElement | null = null
  while (i < source.length) {
    const lt = source.indexOf('<', i)
    const text = source.slice(i, lt < 0 ? source.length : lt)
    if (stack.length === 0) {
      if (text.trim()) throw new Error(`text outside the root near ${i}`)
    } else {
      stack.at(-1)!.text += decode(text, i)
    }
    if (lt < 0) break
    i = lt
    if (source.startsWith('<!--', i)) {
      const end = source.indexOf('-->', i)
      if (end < 0) throw new Error('unclosed comment')
      i = end + 3
      continue
    }
    const gt = source.indexOf('>', i)
    if (gt < 0) throw new Error(`unclosed tag near ${i}`)
    const tag = source.slice(i + 1, gt)
    i = gt + 1
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim()
      const open = stack.pop()
      if (!open || open.name !== name)
        throw new Error(`</${name}> closes ${open?.name ?? 'nothing'}`)
      continue
    }
    const selfClosing = tag.endsWith('/')
    const body = selfClosing ? tag.slice(0, -1) : tag
    const name = NAME.exec(body)?.[0]
    if (!name) throw new Error(`bad tag <${tag}>`)
    const element: XmlElement = { name, attributes: {}, children: [], text: '' }
    let rest = body.slice(name.length)
    for (;;) {
      const attribute = /^\s+([A-Za-z_][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(rest)
      if (!attribute) break
      const key = attribute[1]!
      if (key in element.attributes) throw new Error(`repeated attribute ${key}`)
      element.attributes[key] = decode(attribute[3] ?? attribute[4] ?? '', i)
      rest = rest.slice(attribute[0].length)
    }
    if (rest.trim()) throw new Error(`bad attributes in <${tag}>`)
    if (stack.length === 0) {
      if (root) throw new Error('a second root element')
      root = element
    } else {
      stack.at(-1)!.children.push(element)
    }
    if (!selfClosing) stack.push(element)
  }
  if (stack.length > 0) throw new Error(`<${stack.at(-1)!.name}> is not closed`)
  if (!root) throw new Error('no root element')
  return root
}

/** The child elements named `name`. */
export const childrenNamed = (element: XmlElement, name: string) =>
  element.children.filter((child) => child.name === name)

/** The text of the one child named `name`. */
export function childText(element: XmlElement, name: string): string {
  const found = childrenNamed(element, name)
  if (found.length !== 1) throw new Error(`${found.length} <${name}> in <${element.name}>`)
  return found[0]!.text
}
