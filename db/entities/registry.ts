import { EmailOutboxSchema } from './email-outbox'
import { OrganizationSchema } from './organization'

export const entities = [OrganizationSchema, EmailOutboxSchema]
