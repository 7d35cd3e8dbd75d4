/** A delivery's time as the webhook pages show it: UTC, to the second; a dash when there is none. */
export function DeliveryTime({ iso }: { iso: string | null }) {
  return iso ? <time dateTime={iso}>{`${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`}</time> : <>—</>
}
