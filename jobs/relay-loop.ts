import type { Logger } from '~/utils/logger.server'

/**
 * Runs `pass` every `intervalMs`, and again at once while it keeps finding work. A failing pass
 * (e.g. the database restarting) is logged and retried on the next tick.
 */
export function startRelay(pass: () => Promise<number>, intervalMs: number, logger: Logger) {
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let stopped = false
  const tick = () => {
    running = (async () => {
      let handled = 0
      try {
        handled = await pass()
      } catch (error) {
        logger.error({ err: error }, 'event relay pass failed')
      }
      if (!stopped) timer = setTimeout(tick, handled > 0 ? 0 : intervalMs)
    })()
  }
  timer = setTimeout(tick, 0)
  return {
    stop: async () => {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}
