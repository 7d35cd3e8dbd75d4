import { readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Validator } from '@seriousme/openapi-schema-validator'
import { describe, expect, it } from 'vitest'
import { openApiDocument } from './openapi'
import {
  DeclareIncidentRequestSchema,
  ERROR_CODES,
  ERROR_STATUS,
  ListIncidentsQuerySchema,
  TransitionRequestSchema,
} from './schemas'

const routesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../routes')
const document = openApiDocument('https://incidents.example.com/api/v1')

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(structuredClone(document) as never)
    expect(result.errors ?? null).toBeNull()
    expect(result.valid).toBe(true)
  })

  it('documents a path for every /api/v1 route file, and no path without one', () => {
    const files = readdirSync(routesDir).filter(
      (f) => f.startsWith('api.v1.') && f !== 'api.v1.$.ts',
    )
    const fromFiles = files
      .map((f) =>
        f
          .replace(/^api\.v1\./, '/')
          .replace(/\.ts$/, '')
          .replace(/\._index$/, '')
          .replace(/\[\.\]/g, '__dot__')
          .replace(/\./g, '/')
          .replace(/__dot__/g, '.')
          .replace(/\$(\w+)/g, '{$1}'),
      )
      .sort()
    expect(fromFiles).toEqual(Object.keys(document.paths).sort())
  })

  it('gives every error code its status, and every operation an answer for it', () => {
    for (const code of ERROR_CODES) expect(ERROR_STATUS[code]).toBeGreaterThanOrEqual(400)
    const errorSchema = document.components.schemas.Error as {
      properties: { error: { properties: { code: { enum: string[] } } } }
    }
    expect(errorSchema.properties.error.properties.code.enum).toEqual([...ERROR_CODES])
  })

  it('describes request bodies as clients send them: optional fields are not required', () => {
    const declare = document.components.schemas.DeclareIncidentRequest as {
      required: string[]
      additionalProperties: boolean
    }
    expect(declare.required).toEqual(['title'])
    expect(declare.additionalProperties).toBe(false)
    const transition = document.components.schemas.TransitionRequest as { required: string[] }
    expect(transition.required).toEqual(['action'])
  })

  it('lists the query parameters of the incident list from the same schema the route parses with', () => {
    const parameters = (
      document.paths['/incidents'].get as { parameters: Array<{ name: string; in: string }> }
    ).parameters
    expect(parameters.map((p) => p.name)).toEqual(Object.keys(ListIncidentsQuerySchema.shape))
    expect(parameters.every((p) => p.in === 'query')).toBe(true)
  })

  it('names the server it was asked for', () => {
    expect(document.servers).toEqual([{ url: 'https://incidents.example.com/api/v1' }])
  })
})

describe('request schemas', () => {
  it('require a severity, or an impact with an urgency', () => {
    const issues = (value: unknown) =>
      DeclareIncidentRequestSchema.safeParse(value).error?.issues.map((i) => i.path.join('.')) ?? []
    expect(issues({ title: 'Database down', severity: 'SEV-1' })).toEqual([])
    expect(issues({ title: 'Database down', impact: 'minor', urgency: 'low' })).toEqual([])
    expect(issues({ title: 'Database down' })).toEqual(['severity'])
    expect(issues({ title: 'Database down', impact: 'minor' })).toEqual(['urgency'])
    expect(issues({ title: 'Database down', urgency: 'low' })).toEqual(['impact'])
  })

  it('refuse fields they do not know', () => {
    const result = TransitionRequestSchema.safeParse({ action: 'close', force: true })
    expect(result.success).toBe(false)
    expect(result.error?.issues[0]?.code).toBe('unrecognized_keys')
  })
})
