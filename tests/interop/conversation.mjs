// The test harness's side of a conversation with a provider-server test over
// stdin/stdout, one JSON object per line, shared by the relying-party scripts.

import * as readline from 'node:readline'

// An environment variable, or `fallback`; neither is an error naming it.
export const env = (name, fallback) => {
  const v = process.env[name] ?? fallback
  if (v === undefined) throw new Error(`${name} is not set`)
  return v
}

const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]()
// Sends one message to the test.
export const say = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
// The test's next message.
export const hear = async () => JSON.parse((await lines.next()).value)
