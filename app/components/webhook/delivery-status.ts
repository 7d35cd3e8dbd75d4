const DELIVERY_STATUS_LABELS: Record<string, string> = {
  pending: 'Pending',
  succeeded: 'Succeeded',
  failed: 'Failed',
  dead: 'Gave up',
}

/** A webhook delivery's status in words. */
export function deliveryStatusLabel(status: string) {
  return DELIVERY_STATUS_LABELS[status] ?? status
}
