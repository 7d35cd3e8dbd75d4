import { Marked } from 'marked'
import sanitizeHtml from 'sanitize-html'

// GitHub-flavoured Markdown without raw HTML passthrough surprises: whatever marked produces is
// sanitised afterwards, so the allow-list below is the only HTML that can reach a page.
const marked = new Marked({ gfm: true, breaks: true, async: false })

const ALLOWED: sanitizeHtml.IOptions = {
  allowedTags: [
    'p',
    'br',
    'strong',
    'em',
    'del',
    's',
    'code',
    'pre',
    'blockquote',
    'ul',
    'ol',
    'li',
    'a',
    'hr',
    'h1',
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'table',
    'thead',
    'tbody',
    'tr',
    'th',
    'td',
    'img',
    'input',
  ],
  allowedAttributes: {
    a: ['href', 'title', 'rel', 'target'],
    img: ['src', 'alt', 'title'],
    th: ['align'],
    td: ['align'],
    input: ['type', 'checked', 'disabled'],
    code: ['class'],
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['https'] },
  allowProtocolRelative: false,
  allowedClasses: { code: [/^language-[\w-]+$/] },
  disallowedTagsMode: 'escape',
  transformTags: {
    a: (tagName, attribs) => ({
      tagName,
      attribs: { ...attribs, rel: 'nofollow noopener noreferrer', target: '_blank' },
    }),
    // Only task-list checkboxes survive, and they are inert.
    input: (tagName, attribs) =>
      attribs.type === 'checkbox'
        ? {
            tagName,
            attribs: {
              type: 'checkbox',
              disabled: '',
              ...(attribs.checked !== undefined ? { checked: '' } : {}),
            },
          }
        : { tagName: 'span', attribs: {}, text: '' },
  },
  // allowedSchemesByTag does not apply to relative URLs: an image must be absolute https, or a
  // comment could make every viewer's browser request a URL of this application.
  exclusiveFilter: (frame) => frame.tag === 'img' && !/^https:\/\//i.test(frame.attribs.src ?? ''),
}

/** Markdown to HTML that is safe to put in a page as is. */
export function renderMarkdown(source: string): string {
  const html = marked.parse(source) as string
  return sanitizeHtml(html, ALLOWED)
}
