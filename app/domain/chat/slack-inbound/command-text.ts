import { SEVERITIES, type Severity } from '~/domain/incident/vocabulary'

/**
 * What `/incident <text>` asks for. `INC-<n>` right after the subcommand names the incident
 * (anywhere; required in a shared channel); without it the channel's own incident is meant.
 */
export type SlackCommand =
  | { kind: 'declare'; severity: Severity | null; title: string }
  | { kind: 'transition'; action: TransitionWord; number: number | null }
  | { kind: 'severity'; number: number | null; severity: Severity | null; reason: string }
  | { kind: 'note'; number: number | null; text: string }
  | { kind: 'status'; number: number | null }
  | { kind: 'help'; unknown: string | null }

export const TRANSITION_WORDS = {
  ack: 'start-investigating',
  mitigated: 'mark-mitigated',
  resolved: 'mark-resolved',
} as const
export type TransitionWord = keyof typeof TRANSITION_WORDS

const INCIDENT_REF = /^INC-(\d{1,10})$/i
const SEVERITY_REF = /^SEV-?([1-4])$/i

export function parseSlackCommand(text: string): SlackCommand {
  const words = text.trim().split(/\s+/).filter(Boolean)
  const [first, ...rest] = words
  const sub = (first ?? '').toLowerCase()
  if (!sub || sub === 'help') return { kind: 'help', unknown: null }

  if (sub === 'declare') {
    const severity = severityOf(rest[0])
    const title = (severity ? rest.slice(1) : rest).join(' ')
    return { kind: 'declare', severity, title }
  }

  const ref = INCIDENT_REF.exec(rest[0] ?? '')
  const number = ref ? Number(ref[1]) : null
  const args = ref ? rest.slice(1) : rest
  if (sub in TRANSITION_WORDS) return { kind: 'transition', action: sub as TransitionWord, number }
  if (sub === 'status') return { kind: 'status', number }
  if (sub === 'note') return { kind: 'note', number, text: args.join(' ') }
  if (sub === 'severity')
    return {
      kind: 'severity',
      number,
      severity: severityOf(args[0]),
      reason: args.slice(1).join(' '),
    }
  return { kind: 'help', unknown: first ?? null }
}

function severityOf(word: string | undefined): Severity | null {
  const match = SEVERITY_REF.exec(word ?? '')
  if (!match) return null
  const severity = `SEV-${match[1]}`
  return (SEVERITIES as readonly string[]).includes(severity) ? (severity as Severity) : null
}

export const HELP_TEXT = [
  '*/incident* commands:',
  '• `/incident declare [SEV-1…SEV-4] <title>` declares an incident',
  '• `/incident ack` starts investigating',
  '• `/incident mitigated` / `/incident resolved` mark it mitigated or resolved',
  '• `/incident severity SEV-n <reason>` changes the severity',
  '• `/incident note <text>` adds a comment to the timeline',
  '• `/incident status` shows where it stands',
  'Inside an incident’s channel they act on that incident; elsewhere (or in a shared channel) name it: `/incident ack INC-42`.',
].join('\n')

/**
 * Text from people shown back in Slack's mrkdwn: `<`, `>` and `&` escaped as Slack asks, so a
 * title cannot become a link or a mention.
 */
export function plain(text: string) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
