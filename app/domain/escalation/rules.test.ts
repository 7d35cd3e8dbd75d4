import { describe, expect, it } from 'vitest'
import { SEVERITIES, type Severity } from '~/domain/incident/vocabulary'
import { SLA_TARGETS } from '~/domain/sla/policy'
import {
  DEFAULT_ESCALATION_RULES,
  ESCALATION_TRIGGERS,
  describeAction,
  matchingRules,
  raisedSeverity,
  ruleMatches,
  type EscalationRuleData,
  type TriggerContext,
} from './rules'

function rule(overrides: Partial<EscalationRuleData> = {}): EscalationRuleData {
  return {
    id: overrides.id ?? 'rule',
    name: 'A rule',
    enabled: true,
    trigger: 'breach',
    target: null,
    maxSeverity: 'SEV-2',
    actions: [{ type: 'notify', group: 'managers' }],
    ...overrides,
  }
}

const breach = (severity: Severity, target: TriggerContext['target'] = 'acknowledge') => ({
  trigger: 'breach' as const,
  target,
  severity,
})

describe('ruleMatches', () => {
  it('matches only its own trigger', () => {
    for (const trigger of ESCALATION_TRIGGERS) {
      for (const other of ESCALATION_TRIGGERS) {
        const context = { trigger: other, target: null, severity: 'SEV-1' as const }
        expect(ruleMatches(rule({ trigger }), context), `${trigger} on ${other}`).toBe(
          trigger === other,
        )
      }
    }
  })

  it('with a target, matches only that target; without one, any target', () => {
    for (const target of SLA_TARGETS) {
      for (const happened of SLA_TARGETS) {
        expect(ruleMatches(rule({ target }), breach('SEV-1', happened))).toBe(target === happened)
      }
      expect(ruleMatches(rule({ target: null }), breach('SEV-1', target))).toBe(true)
    }
  })

  it('a rule with a target does not match an event without one', () => {
    expect(ruleMatches(rule({ target: 'resolve' }), breach('SEV-1', null))).toBe(false)
  })

  it.each(SEVERITIES)('with severity at most %s, matches that severity and more severe', (max) => {
    for (const severity of SEVERITIES) {
      const expected = SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(max)
      expect(ruleMatches(rule({ maxSeverity: max }), breach(severity)), severity).toBe(expected)
    }
  })

  it('never matches while disabled', () => {
    expect(ruleMatches(rule({ enabled: false }), breach('SEV-1'))).toBe(false)
  })
})

describe('matchingRules', () => {
  it('keeps the admin’s order and leaves out disabled and non-matching rules', () => {
    const rules = [
      rule({ id: 'third', maxSeverity: 'SEV-4' }),
      rule({ id: 'off', enabled: false }),
      rule({ id: 'declared', trigger: 'declared' }),
      rule({ id: 'first', target: 'acknowledge' }),
      rule({ id: 'mitigate', target: 'mitigate' }),
      rule({ id: 'sev1', maxSeverity: 'SEV-1' }),
    ]
    expect(matchingRules(rules, breach('SEV-2')).map((r) => r.id)).toEqual(['third', 'first'])
    expect(matchingRules(rules, breach('SEV-1')).map((r) => r.id)).toEqual([
      'third',
      'first',
      'sev1',
    ])
    expect(matchingRules([], breach('SEV-1'))).toEqual([])
  })

  it('applies the defaults as documented', () => {
    const defaults = DEFAULT_ESCALATION_RULES.map((r, i) => ({ ...r, id: String(i) }))
    const names = (context: TriggerContext) => matchingRules(defaults, context).map((r) => r.name)
    expect(names({ trigger: 'declared', target: null, severity: 'SEV-2' })).toEqual([
      'Major incident declared: notify managers',
    ])
    expect(names({ trigger: 'declared', target: null, severity: 'SEV-3' })).toEqual([])
    expect(names(breach('SEV-4', 'acknowledge'))).toEqual([
      'Acknowledge target breached: notify managers',
    ])
    expect(names(breach('SEV-1', 'resolve'))).toEqual([
      'SEV-1 resolve target breached: raise to all admins',
    ])
    expect(names(breach('SEV-2', 'resolve'))).toEqual([])
  })
})

describe('raisedSeverity', () => {
  it('raises one step and stops at SEV-1', () => {
    expect(raisedSeverity('SEV-4')).toBe('SEV-3')
    expect(raisedSeverity('SEV-3')).toBe('SEV-2')
    expect(raisedSeverity('SEV-2')).toBe('SEV-1')
    expect(raisedSeverity('SEV-1')).toBeNull()
  })
})

describe('describeAction', () => {
  const names = { member: (id: string) => `member ${id}`, endpoint: (id: string) => `hook ${id}` }
  it('says what each action does, naming people and endpoints', () => {
    expect(describeAction({ type: 'notify', group: 'managers' }, names)).toBe('notify all managers')
    expect(describeAction({ type: 'notify', group: 'commander' }, names)).toBe(
      'notify the commander',
    )
    expect(describeAction({ type: 'notify-members', userIds: ['a', 'b'] }, names)).toBe(
      'notify member a, member b',
    )
    expect(describeAction({ type: 'webhook', endpointId: 'x' }, names)).toBe(
      'send to webhook hook x',
    )
    expect(describeAction({ type: 'raise-severity' }, names)).toBe('raise the severity one step')
    expect(describeAction({ type: 'assign-commander', userId: 'c' }, names)).toBe(
      'make member c commander',
    )
  })
})
