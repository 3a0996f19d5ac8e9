// A notes client on the real `yjs` and `y-protocols` packages (the browser's), under Node.
// Driven line by line over stdin with JSON commands; answers each with one JSON line.
//   node tests/notes/yjs_client.cjs <server url> <join token>
// commands: {"op":"insert","index":n,"text":s} {"op":"offline"} {"op":"online"}
//           {"op":"text"} {"op":"quit"}
'use strict'
const path = require('path')
const { createRequire } = require('module')
const clientDir = path.resolve(__dirname, '../../web/client/package.json')
const need = createRequire(clientDir)
const Y = need('yjs')
const sync = need('y-protocols/sync')
const encoding = need('lib0/encoding')
const decoding = need('lib0/decoding')
const { io } = need('socket.io-client')
const readline = require('readline')

const [url, token] = process.argv.slice(2)
const doc = new Y.Doc()
const text = doc.getText('notes')
let socket = null
let online = false
let onSynced = null

function say (data) { process.stdout.write(JSON.stringify(data) + '\n') }

function send (bytes) {
  return new Promise((resolve) => {
    socket.emit('notes', { doc: 'shared', message: Buffer.from(bytes) }, resolve)
  })
}

function receive (data) {
  if (data.doc !== 'shared') return
  const decoder = decoding.createDecoder(new Uint8Array(data.message))
  if (decoding.readVarUint(decoder) !== 0) return // awareness: not used here
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0)
  const kind = sync.readSyncMessage(decoder, encoder, doc, 'server')
  if (encoding.length(encoder) > 1) send(encoding.toUint8Array(encoder))
  if (kind === sync.messageYjsSyncStep1 && onSynced) { onSynced(); onSynced = null }
}

doc.on('update', (update, origin) => {
  if (origin === 'server' || !online) return
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0)
  sync.writeUpdate(encoder, update)
  send(encoding.toUint8Array(encoder))
})

async function connect () {
  socket = io(url, { transports: ['websocket'], reconnection: false })
  socket.on('notes', receive)
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('connect_error', reject)
  })
  const ack = await new Promise((resolve) => socket.emit('join', { token }, resolve))
  if (!ack.ok) throw new Error('join refused: ' + JSON.stringify(ack))
  const synced = new Promise((resolve) => { onSynced = resolve })
  online = true
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0)
  sync.writeSyncStep1(encoder, doc)
  await send(encoding.toUint8Array(encoder))
  await synced
}

async function handle (command) {
  if (command.op === 'insert') {
    text.insert(Math.min(command.index, text.length), command.text)
  } else if (command.op === 'offline') {
    online = false
    socket.disconnect()
  } else if (command.op === 'online') {
    await connect()
  } else if (command.op === 'quit') {
    if (socket) socket.disconnect()
    say({ event: 'done' })
    process.exit(0)
  }
  say({ event: 'done', text: text.toString(), online })
}

const lines = readline.createInterface({ input: process.stdin })
let queue = Promise.resolve()
lines.on('line', (line) => {
  queue = queue.then(() => handle(JSON.parse(line))).catch((err) => {
    say({ event: 'error', message: String(err) })
  })
})
connect().then(() => say({ event: 'ready', text: text.toString() }),
  (err) => { say({ event: 'error', message: String(err) }); process.exit(1) })
