import { Marked, type Token, type Tokens } from 'marked'
import { STATUS_LABELS } from '~/domain/incident/vocabulary'
import type { ActionItemView } from '~/domain/postmortem/action-items.server'
import type { PostmortemView } from '~/domain/postmortem/postmortem.server'
import {
  ACTION_ITEM_PRIORITY_LABELS,
  ACTION_ITEM_STATUS_LABELS,
  POSTMORTEM_SECTIONS,
  POSTMORTEM_SECTION_LABELS,
  POSTMORTEM_STATUS_LABELS,
} from '~/domain/postmortem/vocabulary'
import { formatInZone } from '~/utils/time'
import {
  BODY,
  BOLD,
  INK,
  MARGIN,
  MUTED,
  openPdf,
  pdfTable,
  runningFooter,
  type Doc,
} from './pdf-document.server'

/**
 * The PDF of one postmortem: title and metadata, every written section as plain text (Markdown
 * put into words: lists keep their bullets and numbers, links show their address, formatting
 * marks go), the chosen timeline and the action items as tables. Set in DejaVu Sans, embedded,
 * so any language prints as typed.
 */

// ---------------------------------------------------------------------------------------------
// Markdown to plain text (pure)
// ---------------------------------------------------------------------------------------------

const lexer = new Marked({ gfm: true, breaks: true, async: false })

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
}
const decodeEntities = (text: string) =>
  text.replace(/&(?:amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity] ?? entity)

function inline(tokens: readonly Token[] | undefined): string {
  if (!tokens) return ''
  return tokens
    .map((token) => {
      switch (token.type) {
        case 'strong':
        case 'em':
        case 'del':
          return inline((token as Tokens.Strong).tokens)
        case 'codespan':
          return decodeEntities((token as Tokens.Codespan).text)
        case 'br':
          return '\n'
        case 'link': {
          const link = token as Tokens.Link
          const text = inline(link.tokens)
          return text && text !== link.href ? `${text} (${link.href})` : link.href
        }
        case 'image': {
          const image = token as Tokens.Image
          return image.text ? `[image: ${image.text}]` : '[image]'
        }
        case 'html':
          // Raw HTML is not rendered anywhere; its tags are dropped and its text kept.
          return decodeEntities((token as Tokens.HTML).text.replace(/<[^>]*>/g, ''))
        case 'text': {
          const text = token as Tokens.Text
          return text.tokens ? inline(text.tokens) : decodeEntities(text.text)
        }
        case 'escape':
          return decodeEntities((token as Tokens.Escape).text)
        default:
          return 'text' in token && typeof token.text === 'string' ? decodeEntities(token.text) : ''
      }
    })
    .join('')
}

function blocks(tokens: readonly Token[], indent: string): string[] {
  const out: string[] = []
  for (const token of tokens) {
    switch (token.type) {
      case 'space':
        break
      case 'heading':
      case 'paragraph':
        out.push(indent + inline((token as Tokens.Paragraph).tokens).replace(/\n/g, `\n${indent}`))
        break
      case 'text': {
        // Loose text inside list items.
        const text = token as Tokens.Text
        out.push(indent + (text.tokens ? inline(text.tokens) : decodeEntities(text.text)))
        break
      }
      case 'code':
        out.push(
          (token as Tokens.Code).text
            .split('\n')
            .map((line) => indent + line)
            .join('\n'),
        )
        break
      case 'blockquote':
        out.push(
          blocks((token as Tokens.Blockquote).tokens, '')
            .join('\n')
            .split('\n')
            .map((line) => `${indent}> ${line}`)
            .join('\n'),
        )
        break
      case 'list': {
        const list = token as Tokens.List
        const start = typeof list.start === 'number' ? list.start : 1
        const lines = list.items.map((item, i) => {
          const marker = item.task
            ? item.checked
              ? '[x] '
              : '[ ] '
            : list.ordered
              ? `${start + i}. `
              : '• '
          const inner = blocks(
            item.tokens.filter((t) => t.type !== 'checkbox'),
            ' '.repeat(marker.length),
          ).join('\n')
          return indent + marker + inner.trimStart()
        })
        out.push(lines.join('\n'))
        break
      }
      case 'table': {
        const table = token as Tokens.Table
        const row = (cells: Tokens.TableCell[]) =>
          indent + cells.map((c) => inline(c.tokens)).join(' | ')
        out.push([row(table.header), ...table.rows.map(row)].join('\n'))
        break
      }
      case 'hr':
        out.push(`${indent}———`)
        break
      case 'html':
        out.push(
          indent + decodeEntities((token as Tokens.HTML).text.replace(/<[^>]*>/g, '')).trim(),
        )
        break
      default:
        if ('text' in token && typeof token.text === 'string')
          out.push(indent + decodeEntities(token.text))
    }
  }
  return out.filter((block) => block.trim() !== '')
}

/**
 * Markdown as plain text for print: one blank line between blocks; list items keep "• " or
 * their number (nested lists indented); links read "text (address)"; code as written; emphasis
 * and heading marks dropped.
 */
export function markdownToText(markdown: string): string {
  const tokens = lexer.lexer(markdown.replace(/\r\n?/g, '\n'))
  return blocks(tokens, '').join('\n\n').trim()
}

// ---------------------------------------------------------------------------------------------
// The PDF
// ---------------------------------------------------------------------------------------------

export interface PostmortemPdfInput {
  view: PostmortemView
  items: readonly ActionItemView[]
  generatedAt: Date
}

function heading(doc: Doc, text: string) {
  doc.moveDown(0.8)
  if (doc.y > doc.page.maxY() - 60) doc.addPage()
  doc.font(BOLD).fontSize(14).fillColor(INK).text(text, MARGIN)
  doc.moveDown(0.3)
}

/** Renders the postmortem and resolves with the PDF's bytes. */
export async function renderPostmortemPdf(input: PostmortemPdfInput): Promise<Buffer> {
  const { view, items } = input
  const zone = view.organization.timezone
  const at = (iso: string | null) => (iso ? formatInZone(iso, zone) : '—')
  const reference = `INC-${view.incident.number}`
  const { doc, finished } = openPdf({
    Title: `Postmortem · ${reference} · ${view.incident.title}`,
    Author: view.organization.name,
    Subject: `Revision ${view.postmortem.currentRevision}, ${POSTMORTEM_STATUS_LABELS[view.postmortem.status]}`,
  })

  doc.font(BODY).fontSize(10).fillColor(MUTED).text(`${view.organization.name} · postmortem`)
  doc.moveDown(0.5)
  doc.font(BOLD).fontSize(20).fillColor(INK).text(`${reference} · ${view.incident.title}`)
  doc.moveDown(0.6)
  const facts: Array<[string, string]> = [
    [
      'Postmortem',
      `${POSTMORTEM_STATUS_LABELS[view.postmortem.status]}, revision ${view.postmortem.currentRevision}`,
    ],
    ...(view.postmortem.publishedAt
      ? ([
          [
            'Published',
            `${at(view.postmortem.publishedAt)}${view.postmortem.publishedByName ? ` by ${view.postmortem.publishedByName}` : ''}`,
          ],
        ] as Array<[string, string]>)
      : []),
    ['Severity', view.incident.severity],
    ['Incident status', STATUS_LABELS[view.incident.status]],
    ['Service', view.incident.serviceName ?? 'None'],
    ['Commander', view.incident.commanderName ?? 'Nobody'],
    ['Impact started', at(view.incident.impactStartedAt)],
    ['Declared', at(view.incident.declaredAt)],
    ['Acknowledged', at(view.incident.acknowledgedAt)],
    ['Mitigated', at(view.incident.mitigatedAt)],
    ['Resolved', at(view.incident.resolvedAt)],
    ['Closed', at(view.incident.closedAt)],
    ['Generated', at(input.generatedAt.toISOString())],
  ]
  for (const [label, value] of facts) {
    doc.font(BOLD).fontSize(10).fillColor(INK).text(`${label}: `, { continued: true })
    doc.font(BODY).text(value)
  }

  const sections = view.revision?.sections
  for (const key of POSTMORTEM_SECTIONS) {
    heading(doc, POSTMORTEM_SECTION_LABELS[key])
    const text = sections ? markdownToText(sections[key]) : ''
    doc
      .font(BODY)
      .fontSize(10)
      .fillColor(text ? INK : MUTED)
      .text(text || 'Not written yet.', MARGIN, doc.y, { width: doc.page.width - 2 * MARGIN })
  }

  heading(doc, 'Timeline')
  doc.font(BODY).fontSize(9).fillColor(MUTED).text(`Times in ${zone}.`)
  doc.moveDown(0.3)
  pdfTable(
    doc,
    ['Time', 'Who', 'What happened', 'Note'],
    view.timelineEntries.map((e) => [
      at(e.at),
      e.actor,
      e.detail ? `${e.summary}\n${e.detail}` : e.summary,
      e.note,
    ]),
    { columnStyles: [95, 80, 200, 120], empty: 'No timeline entries chosen.' },
  )

  heading(doc, 'Action items')
  pdfTable(
    doc,
    ['Action item', 'Owner', 'Due', 'Priority', 'Status'],
    items.map((item) => [
      item.title,
      item.ownerName ?? 'No owner',
      `${item.dueOn ?? '—'}${item.overdue ? ' (overdue)' : ''}`,
      ACTION_ITEM_PRIORITY_LABELS[item.priority],
      ACTION_ITEM_STATUS_LABELS[item.status],
    ]),
    { columnStyles: [185, 95, 85, 55, 75], empty: 'No action items.' },
  )

  runningFooter(
    doc,
    (page, pages) =>
      `${view.organization.name} · ${reference} postmortem · revision ${view.postmortem.currentRevision} · page ${page} of ${pages}`,
  )
  doc.end()
  return finished
}
