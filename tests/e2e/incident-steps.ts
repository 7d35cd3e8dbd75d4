import type { Page } from '@playwright/test'
import { open } from './access'
import { expect } from './fixtures'

/**
 * Declaring an incident and moving it along the lifecycle through the pages, for tests that need
 * an incident in a given status before they start on what they are about.
 */

const INCIDENT_URL = /\/incidents\/(\d+)$/

/** The status each lifecycle step's form (named like its button) leads to. */
export const STATUS_AFTER = {
  'Start investigating': 'Investigating',
  'Mark mitigated': 'Mitigated',
  'Mark resolved': 'Resolved',
  'Start postmortem': 'Postmortem',
  'Close incident': 'Closed',
} as const

export type Step = keyof typeof STATUS_AFTER

export const TO_RESOLVED: Step[] = ['Start investigating', 'Mark mitigated', 'Mark resolved']
export const TO_POSTMORTEM: Step[] = [...TO_RESOLVED, 'Start postmortem']

/** `datetime-local` value, in UTC (a new organization's zone), `hours` ago. */
function hoursAgo(hours: number) {
  return new Date(Date.now() - hours * 3_600_000).toISOString().slice(0, 16)
}

/** Declares at /incidents/new and waits for the incident's page. Returns its number. */
export async function declareIncident(
  page: Page,
  jsEnabled: boolean,
  incident: { title: string; severity: string; summary?: string; impactStartedAt?: string },
) {
  await open(page, '/incidents/new', jsEnabled)
  const main = page.getByRole('main')
  await main.getByLabel('Title', { exact: true }).fill(incident.title)
  await main.getByLabel('Severity', { exact: true }).selectOption(incident.severity)
  if (incident.summary !== undefined)
    await main.getByLabel('Summary', { exact: true }).fill(incident.summary)
  if (incident.impactStartedAt !== undefined)
    await main.getByLabel('Impact started at', { exact: true }).fill(incident.impactStartedAt)
  await page.getByRole('button', { name: 'Declare incident', exact: true }).click()
  await expect(page).toHaveURL(INCIDENT_URL)
  return Number(INCIDENT_URL.exec(page.url())![1])
}

/** Takes a lifecycle step through its own form and waits for the status it names. */
export async function takeStep(page: Page, step: Step) {
  await page
    .getByRole('form', { name: step, exact: true })
    .getByRole('button', { name: step, exact: true })
    .click()
  // The status this step names, not just any: with JavaScript on, the previous step's message
  // is still shown until this step's answer arrives.
  await expect(page.getByRole('status')).toHaveText(`Done: Status is now ${STATUS_AFTER[step]}.`)
}

export async function takeSteps(page: Page, steps: Step[]) {
  for (const step of steps) await takeStep(page, step)
}

/**
 * An incident whose impact began two hours ago, declared and taken to Resolved. SEV-4: its SLA
 * targets (a day and more) are not breached by then, so the worker's sweep leaves it alone while
 * the steps are taken.
 */
export async function resolvedIncident(page: Page, jsEnabled: boolean, title: string) {
  const number = await declareIncident(page, jsEnabled, {
    title,
    severity: 'SEV-4',
    impactStartedAt: hoursAgo(2),
  })
  await takeSteps(page, TO_RESOLVED)
  return number
}
