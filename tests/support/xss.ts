/**
 * An XSS corpus and a checker for HTML that must be inert. The checker reads the markup the way
 * a browser would where it matters: it decodes character references in attribute values and
 * ignores the whitespace and control characters browsers strip from URLs before looking at the
 * scheme.
 */

export const XSS_CORPUS: readonly string[] = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=//evil.example/x.js></SCRIPT>',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '<img src=x onerror=alert(1)>',
  '<img src="https://ok.example/a.png" onload="alert(1)">',
  '<IMG SRC=JaVaScRiPt:alert(1)>',
  '<svg onload=alert(1)>',
  '<svg><script>alert(1)</script></svg>',
  '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
  '<iframe src="https://evil.example/"></iframe>',
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  '<object data="javascript:alert(1)"></object>',
  '<embed src="javascript:alert(1)">',
  '<style>body{background:url(javascript:alert(1))}</style>',
  '<div style="background:url(javascript:alert(1))">styled</div>',
  '<a href="javascript:alert(1)">plain</a>',
  '<a href="JAVASCRIPT:alert(1)">upper</a>',
  '<a href="&#106;avascript:alert(1)">decimal entity</a>',
  '<a href="&#x6A;&#x61;vascript&#58;alert(1)">hex entity</a>',
  '<a href="javascript&colon;alert(1)">named entity</a>',
  '<a href="java&#9;script:alert(1)">tab inside</a>',
  '<a href=" &#14; javascript:alert(1)">leading control</a>',
  '<a href="data:text/html,<script>alert(1)</script>">data link</a>',
  '<a href="vbscript:msgbox(1)">vbscript</a>',
  '<a href="https://ok.example/" onclick="alert(1)">click</a>',
  '[markdown](javascript:alert(1))',
  '[upper](JaVaScRiPt:alert(1))',
  '[entity](&#106;avascript:alert(1))',
  '[spaced](  javascript:alert(1)  )',
  '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '[title](https://ok.example/ "x\\" onmouseover=\\"alert(1)")',
  '![image](javascript:alert(1))',
  '![svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)',
  '![plain http](http://insecure.example/a.png)',
  '<javascript:alert(1)>',
  '<https://ok.example/"onmouseover="alert(1)>',
  'https://ok.example/?q="><script>alert(1)</script>',
  '<!--<img src=x onerror=alert(1)>-->',
  '<!--><img src=x onerror=alert(1)>-->',
  '<!-- --!><script>alert(1)</script> -->',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  '<form action="javascript:alert(1)"><button formaction="javascript:alert(2)">x</button></form>',
  '<input autofocus onfocus=alert(1)>',
  '- [ ] <input type="checkbox" onclick="alert(1)"> task',
  '<details open ontoggle=alert(1)>x</details>',
  '<base href="javascript:alert(1)//">',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<link rel="stylesheet" href="javascript:alert(1)">',
  '```"><script>alert(1)</script>\ncode\n```',
  '<code class="language-x onmouseover=alert(1)">x</code>',
  '<table><tr><td background="javascript:alert(1)">cell</td></tr></table>',
]

/** Tags no user-supplied content may produce, whatever page it lands on. */
const FORBIDDEN_TAGS = new Set([
  'script',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'style',
  'link',
  'meta',
  'base',
  'svg',
  'math',
  'noscript',
  'template',
])

const URL_ATTRIBUTES = new Set([
  'href',
  'src',
  'action',
  'formaction',
  'xlink:href',
  'background',
  'poster',
  'data',
  'srcdoc',
])

const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  colon: ':',
  tab: '\t',
  newline: '\n',
  lpar: '(',
  rpar: ')',
  sol: '/',
  nbsp: '\u00a0',
}

/** Decodes character references as an attribute value would be decoded by a browser. */
export function decodeAttribute(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);?/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code =
        ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : Number(ref.slice(1))
      return String.fromCodePoint(code)
    }
    const named = NAMED[ref.toLowerCase()]
    if (named === undefined) throw new Error(`unknown character reference ${whole} in ${value}`)
    return named
  })
}

/** The scheme a browser would see in a URL attribute, or null for a relative URL. */
export function urlScheme(value: string): string | null {
  // Browsers drop leading/trailing C0 controls and spaces, and tabs/newlines anywhere.
  // eslint-disable-next-line no-control-regex
  const cleaned = decodeAttribute(value).replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '')
  const stripped = cleaned.replace(/[\t\n\r]/g, '')
  const match = /^([a-z][a-z0-9+.-]*):/i.exec(stripped)
  return match ? match[1]!.toLowerCase() : null
}

export interface ParsedTag {
  name: string
  attributes: Array<{ name: string; value: string }>
  raw: string
}

/** Every start tag in `html`, with its attributes (values still encoded). */
export function startTags(html: string): ParsedTag[] {
  const tags: ParsedTag[] = []
  for (const match of html.matchAll(/<([a-zA-Z][^\s/>]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/g)) {
    const attributes: ParsedTag['attributes'] = []
    for (const a of (match[2] ?? '').matchAll(
      /([^\s"'=<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g,
    )) {
      attributes.push({ name: a[1]!.toLowerCase(), value: a[2] ?? a[3] ?? a[4] ?? '' })
    }
    tags.push({ name: match[1]!.toLowerCase(), attributes, raw: match[0] })
  }
  return tags
}

/**
 * Why `html` is not inert, or an empty list. `allowedSchemes` are the only URL schemes accepted
 * in any URL attribute (relative URLs are always fine).
 */
export function unsafeParts(
  html: string,
  allowedSchemes: readonly string[] = ['http', 'https', 'mailto'],
): string[] {
  const problems: string[] = []
  if (/<\s*\/?\s*script/i.test(html)) problems.push('a script tag')
  // React separates adjacent text nodes with an empty comment; any other comment is suspect.
  if (/<!/.test(html.replaceAll('<!-- -->', ''))) problems.push('a comment or declaration')
  for (const tag of startTags(html)) {
    if (FORBIDDEN_TAGS.has(tag.name)) problems.push(`<${tag.name}>: ${tag.raw}`)
    for (const attribute of tag.attributes) {
      if (/^on/.test(attribute.name)) problems.push(`event handler ${attribute.name}: ${tag.raw}`)
      if (attribute.name === 'style') problems.push(`style attribute: ${tag.raw}`)
      if (attribute.name === 'srcdoc') problems.push(`srcdoc: ${tag.raw}`)
      if (URL_ATTRIBUTES.has(attribute.name)) {
        const scheme = urlScheme(attribute.value)
        if (scheme !== null && !allowedSchemes.includes(scheme))
          problems.push(`${scheme}: URL in ${attribute.name}: ${tag.raw}`)
      }
    }
  }
  return problems
}
