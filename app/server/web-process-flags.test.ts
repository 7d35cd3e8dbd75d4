import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { WEB_PROCESS_FLAGS, webServerArgs } from './web-process-flags'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const read = (file: string) => readFileSync(path.join(root, file), 'utf8')
const serverCommand = `node ${WEB_PROCESS_FLAGS.join(' ')} build/server.js`

// package.json and the Dockerfile cannot import the list, so they say it again: these fail when
// either starts the web server with other flags than the benches and tests do.
describe('the web process flags', () => {
  it('are what `npm start` runs the web server with', () => {
    const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> }
    expect(scripts.start).toBe(`NODE_ENV=production ${serverCommand}`)
  })

  it('are what the Docker image runs the web server with', () => {
    const command = read('Dockerfile')
      .split('\n')
      .filter((line) => line.startsWith('CMD '))
    expect(command).toHaveLength(1)
    expect(command[0]).toContain(`exec ${serverCommand}"]`)
  })

  it('come before the server script and any extra flags', () => {
    expect(webServerArgs(['--cpu-prof'])).toEqual([
      ...WEB_PROCESS_FLAGS,
      '--cpu-prof',
      'build/server.js',
    ])
  })
})
