import { STATUS_LABELS, type IncidentStatus, type Severity } from '~/domain/incident/vocabulary'

/**
 * The Microsoft Teams message for an incident: an Adaptive Card (version 1.4) in the shape
 * Teams incoming webhooks take — a `message` whose one attachment is the card.
 */

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive'

export interface CardView {
  number: number
  title: string
  severity: Severity
  status: IncidentStatus
  commanderName: string | null
  url: string
  /** What happened: "Declared", "Investigating → Mitigated", or a test's words. */
  headline: string
  /** Shown before the title; `INC-<number>` unless given (the settings page's test card). */
  reference?: string
}

/**
 * Text people or alert sources wrote, for a TextBlock or fact (which Teams reads as Markdown): a
 * zero-width space splits the `](` of a Markdown link, so a title cannot carry a disguised link.
 */
export function cardText(text: string): string {
  return text.replace(/\]\s*\(/g, (match) => `${match.slice(0, -1)}\u200b(`)
}

export function incidentCard(view: CardView) {
  const reference = view.reference ?? `INC-${view.number}`
  return {
    type: 'message',
    attachments: [
      {
        contentType: ADAPTIVE_CARD_CONTENT_TYPE,
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              text: `${reference}: ${cardText(view.title)}`,
              weight: 'Bolder',
              size: 'Medium',
              wrap: true,
            },
            { type: 'TextBlock', text: view.headline, isSubtle: true, wrap: true, spacing: 'None' },
            {
              type: 'FactSet',
              facts: [
                { title: 'Severity', value: view.severity },
                { title: 'Status', value: STATUS_LABELS[view.status] },
                { title: 'Commander', value: cardText(view.commanderName ?? 'Nobody') },
              ],
            },
          ],
          actions: [{ type: 'Action.OpenUrl', title: `Open ${reference}`, url: view.url }],
        },
      },
    ],
  }
}
