import {
  InvitationSchema,
  LoginAttemptSchema,
  MembershipSchema,
  SessionSchema,
  UserSchema,
} from './access'
import { EmailOutboxSchema } from './email-outbox'
import {
  AttachmentSchema,
  IncidentEventSchema,
  IncidentSchema,
  IncidentTypeSchema,
  ServiceSchema,
  TriageMatrixSchema,
} from './incident'
import { OrganizationSchema } from './organization'

export const entities = [
  OrganizationSchema,
  EmailOutboxSchema,
  UserSchema,
  MembershipSchema,
  SessionSchema,
  InvitationSchema,
  LoginAttemptSchema,
  ServiceSchema,
  IncidentTypeSchema,
  TriageMatrixSchema,
  IncidentSchema,
  IncidentEventSchema,
  AttachmentSchema,
]
