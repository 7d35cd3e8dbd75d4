/** Markup from server-rendered pages, turned back into the text a reader sees, for assertions. */

/** Decodes the character references React writes (`&amp;` last, so `&amp;lt;` stays `&lt;`). */
export const decodeEntities = (html: string) =>
  html
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')

/** The page's markup with React's text separators (`<!-- -->`) removed and entities decoded. */
export const decodePage = (html: string) => decodeEntities(html.replace(/<!-- -->/g, ''))
