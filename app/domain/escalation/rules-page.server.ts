import type { MikroORM } from '@mikro-orm/postgresql'
import { describeRule, getRule, listRules, ruleChoices, type RuleEditor } from './escalation.server'
import { ruleFormValues } from './rule-form'

/**
 * What the escalation rules page shows: every rule as a sentence, the rule being edited as form
 * values, and the members and endpoints a rule may name. Null when `editId` names no rule of the
 * organization.
 */
export async function escalationRulesPage(
  orm: MikroORM,
  member: RuleEditor,
  editId: string | null,
) {
  const editing = editId ? await getRule(orm, member, editId) : null
  if (editId && !editing) return null
  const rules = await listRules(orm, member)
  const choices = await ruleChoices(orm, member)
  const memberNames = new Map(choices.members.map((m) => [m.userId, m.displayName]))
  const endpointNames = new Map(choices.endpoints.map((e) => [e.id, e.label]))
  const names = {
    member: (id: string) => memberNames.get(id) ?? 'a former member',
    endpoint: (id: string) => endpointNames.get(id) ?? 'a deleted endpoint',
  }
  const editingValues = editing ? ruleFormValues(editing) : null
  return {
    rules: rules.map((rule) => ({
      id: rule.id,
      name: rule.name,
      enabled: rule.enabled,
      sentence: describeRule(rule, names),
    })),
    editing: editingValues,
    members: choices.members
      .filter((m) => m.active)
      .map((m) => ({ value: m.userId, label: m.displayName })),
    // Enabled endpoints, plus the one the edited rule uses even if it was disabled since.
    endpoints: choices.endpoints
      .filter((e) => e.enabled || e.id === editingValues?.webhookEndpointId)
      .map((e) => ({ value: e.id, label: e.enabled ? e.label : `${e.label} (disabled)` })),
  }
}

export type EscalationRulesPage = NonNullable<Awaited<ReturnType<typeof escalationRulesPage>>>
