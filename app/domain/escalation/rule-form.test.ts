import { describe, expect, it } from 'vitest'
import { ruleFormValues, ruleFromForm, type RuleFormValue } from './rule-form'
import type { EscalationRuleData } from './rules'

const MEMBER = '11111111-1111-4111-8111-111111111111'
const OTHER_MEMBER = '22222222-2222-4222-8222-222222222222'
const ENDPOINT = '33333333-3333-4333-8333-333333333333'

function form(overrides: Partial<RuleFormValue> = {}): RuleFormValue {
  return {
    name: 'Page the managers',
    trigger: 'breach',
    maxSeverity: 'SEV-2',
    groups: [],
    raiseSeverity: false,
    notifyMemberIds: [],
    ...overrides,
  }
}

describe('ruleFromForm', () => {
  it('lists the actions in the order the form shows them', () => {
    const input = ruleFromForm(
      form({
        groups: ['commander', 'managers'],
        raiseSeverity: true,
        notifyMemberIds: [MEMBER, OTHER_MEMBER],
        webhookEndpointId: ENDPOINT,
        commanderId: MEMBER,
      }),
    )
    expect(input.actions).toEqual([
      { type: 'notify', group: 'commander' },
      { type: 'notify', group: 'managers' },
      { type: 'raise-severity' },
      { type: 'notify-members', userIds: [MEMBER, OTHER_MEMBER] },
      { type: 'webhook', endpointId: ENDPOINT },
      { type: 'assign-commander', userId: MEMBER },
    ])
  })

  it('leaves out the actions whose fields are empty, and reads "Any" target as null', () => {
    expect(ruleFromForm(form({ raiseSeverity: true }))).toEqual({
      name: 'Page the managers',
      trigger: 'breach',
      target: null,
      maxSeverity: 'SEV-2',
      actions: [{ type: 'raise-severity' }],
    })
    expect(ruleFromForm(form({ target: 'resolve' })).target).toBe('resolve')
  })
})

describe('ruleFormValues', () => {
  const rule: EscalationRuleData = {
    id: 'rule-1',
    name: 'Everything',
    enabled: true,
    trigger: 'warning',
    target: 'mitigate',
    maxSeverity: 'SEV-1',
    actions: [
      { type: 'notify', group: 'assignees' },
      { type: 'notify-members', userIds: [MEMBER] },
      { type: 'raise-severity' },
      { type: 'webhook', endpointId: ENDPOINT },
      { type: 'assign-commander', userId: OTHER_MEMBER },
    ],
  }

  it('fills every field of the form from the rule', () => {
    expect(ruleFormValues(rule)).toEqual({
      id: 'rule-1',
      name: 'Everything',
      trigger: 'warning',
      target: 'mitigate',
      maxSeverity: 'SEV-1',
      groups: ['assignees'],
      raiseSeverity: 'on',
      notifyMemberIds: [MEMBER],
      webhookEndpointId: ENDPOINT,
      commanderId: OTHER_MEMBER,
    })
  })

  it('leaves the fields of absent actions empty, and an "any" target as Any', () => {
    const values = ruleFormValues({ ...rule, target: null, actions: [{ type: 'raise-severity' }] })
    expect(values).toMatchObject({
      target: '',
      groups: [],
      raiseSeverity: 'on',
      notifyMemberIds: [],
      webhookEndpointId: '',
      commanderId: '',
    })
    expect(ruleFormValues({ ...rule, actions: [] }).raiseSeverity).toBe('')
  })

  it('gives back the same actions when the filled-in form is saved unchanged', () => {
    const values = ruleFormValues(rule)
    const saved = ruleFromForm({
      name: values.name,
      trigger: values.trigger,
      target: rule.target ?? undefined,
      maxSeverity: values.maxSeverity,
      groups: rule.actions.flatMap((a) => (a.type === 'notify' ? [a.group] : [])),
      raiseSeverity: values.raiseSeverity === 'on',
      notifyMemberIds: values.notifyMemberIds,
      webhookEndpointId: values.webhookEndpointId,
      commanderId: values.commanderId,
    })
    expect(new Set(saved.actions.map((a) => JSON.stringify(a)))).toEqual(
      new Set(rule.actions.map((a) => JSON.stringify(a))),
    )
  })
})
