/**
 * The Slack app manifest the settings page shows for self-hosted setups: pasted into
 * api.slack.com/apps → "Create New App" → "From an app manifest", it creates the app with every
 * request URL pointing at this deployment (APP_URL), the `/incident` command, the "Add to
 * timeline" message shortcut, the 📌 reaction events and the bot scopes both directions need.
 */

/** Bot scopes: inbound (commands, reactions, message text, people) and outbound (channels, posts). */
export const SLACK_BOT_SCOPES = [
  'channels:history',
  'channels:join',
  'channels:manage',
  'channels:read',
  'chat:write',
  'commands',
  'groups:history',
  'groups:write',
  'reactions:read',
  'users:read',
  'users:read.email',
] as const

export const SLACK_BOT_EVENTS = ['reaction_added', 'reaction_removed'] as const

export function slackHookUrls(appUrl: string) {
  const base = appUrl.replace(/\/+$/, '')
  return {
    commands: `${base}/hooks/slack/commands`,
    interactivity: `${base}/hooks/slack/interactivity`,
    events: `${base}/hooks/slack/events`,
    settingsPage: `${base}/admin/integrations/slack`,
  }
}

export function slackAppManifest(appUrl: string) {
  const urls = slackHookUrls(appUrl)
  return {
    display_information: {
      name: 'IncidentFlow',
      description: 'Declare and work incidents from Slack',
    },
    features: {
      bot_user: { display_name: 'IncidentFlow', always_online: true },
      slash_commands: [
        {
          command: '/incident',
          url: urls.commands,
          description: 'Declare and work incidents',
          usage_hint:
            'declare [SEV-n] <title> | ack | mitigated | resolved | severity SEV-n <reason> | note <text> | status',
          should_escape: false,
        },
      ],
      shortcuts: [
        {
          name: 'Add to timeline',
          type: 'message',
          callback_id: 'add_to_timeline',
          description: 'Add this message to the incident’s timeline',
        },
      ],
    },
    oauth_config: {
      redirect_urls: [urls.settingsPage],
      scopes: { bot: [...SLACK_BOT_SCOPES] },
    },
    settings: {
      event_subscriptions: { request_url: urls.events, bot_events: [...SLACK_BOT_EVENTS] },
      interactivity: { is_enabled: true, request_url: urls.interactivity },
      org_deploy_enabled: false,
      socket_mode_enabled: false,
      token_rotation_enabled: false,
    },
  }
}
