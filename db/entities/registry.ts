import {
  InvitationSchema,
  LoginAttemptSchema,
  MembershipSchema,
  SessionSchema,
  UserSchema,
} from './access'
import {
  ChatDeliverySchema,
  SlackIncidentChannelSchema,
  SlackInstallationSchema,
  SlackMemberSchema,
  TeamsWebhookSchema,
} from './chat'
import { EmailOutboxSchema } from './email-outbox'
import {
  AttachmentSchema,
  IncidentEventSchema,
  IncidentSchema,
  IncidentTypeSchema,
  ServiceSchema,
  TriageMatrixSchema,
} from './incident'
import {
  AlertLinkSchema,
  AlertReceiptSchema,
  ApiTokenSchema,
  IntegrationSchema,
} from './integration'
import { OrganizationSchema } from './organization'
import {
  ActionItemSchema,
  PostmortemDraftSchema,
  PostmortemRevisionSchema,
  PostmortemSchema,
} from './postmortem'
import { ReportSchema } from './report'
import {
  EscalationRuleSchema,
  EventOutboxSchema,
  NotificationPreferenceSchema,
  SlaPolicySchema,
  WebhookAttemptSchema,
  WebhookDeliverySchema,
  WebhookEndpointSchema,
} from './sla'

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
  SlaPolicySchema,
  EscalationRuleSchema,
  NotificationPreferenceSchema,
  WebhookEndpointSchema,
  WebhookDeliverySchema,
  WebhookAttemptSchema,
  EventOutboxSchema,
  ReportSchema,
  PostmortemSchema,
  PostmortemRevisionSchema,
  PostmortemDraftSchema,
  ActionItemSchema,
  IntegrationSchema,
  AlertReceiptSchema,
  AlertLinkSchema,
  ApiTokenSchema,
  SlackInstallationSchema,
  SlackMemberSchema,
  SlackIncidentChannelSchema,
  TeamsWebhookSchema,
  ChatDeliverySchema,
]
