// Uploads a file as evidence with the stock tus-js-client, breaks the upload
// off halfway (as a phone losing its signal does), and resumes it from the
// offset the server kept. Run against `make run`:
//
//   cd deploy/tus && npm ci && node upload.mjs FILE [KIND] [CONTENT_TYPE]
//
// KIND is photo, video, audio, signature or document (default photo);
// CONTENT_TYPE defaults from the file name. WHISTLE_API (default
// http://127.0.0.1:8080), WHISTLE_USER and WHISTLE_PASSWORD (default the
// demo officer.a / whistle-demo) say where and as whom.
import { Upload } from 'tus-js-client'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

const api = process.env.WHISTLE_API || 'http://127.0.0.1:8080'
const [file, kind = 'photo', type] = process.argv.slice(2)
if (!file) {
  console.error('usage: node upload.mjs FILE [KIND] [CONTENT_TYPE]')
  process.exit(2)
}
const types = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.heic': 'image/heic', '.mp4': 'video/mp4',
  '.mov': 'video/quicktime', '.m4a': 'audio/mp4', '.aac': 'audio/aac', '.pdf': 'application/pdf' }
const contentType = type || types[path.extname(file).toLowerCase()] || 'application/octet-stream'

async function json (method, url, token, body) {
  const res = await fetch(api + url, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: 'Bearer ' + token } : {}) },
    body: body ? JSON.stringify(body) : undefined
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`)
  return text ? JSON.parse(text) : null
}

const data = fs.readFileSync(file)
const sha256 = crypto.createHash('sha256').update(data).digest('hex') // as the phone computes it at capture
const { access_token: token } = await json('POST', '/v1/auth/login', null, {
  username: process.env.WHISTLE_USER || 'officer.a', password: process.env.WHISTLE_PASSWORD || 'whistle-demo'
})
const options = {
  endpoint: api + '/v1/evidence/uploads',
  headers: { Authorization: 'Bearer ' + token },
  metadata: {
    client_id: crypto.randomUUID(),
    record_client_id: crypto.randomUUID(),
    sha256,
    content_type: contentType,
    kind,
    captured_at: new Date().toISOString(),
    lat: '39.9042',
    lon: '116.4074',
    filename: path.basename(file)
  },
  uploadSize: data.length,
  retryDelays: [0, 1000, 3000, 5000]
}

// 1. Start, and break off once about half is sent.
const uploadUrl = await new Promise((resolve, reject) => {
  let aborted = false
  const up = new Upload(data, {
    ...options,
    onProgress (sent, total) {
      if (!aborted && up.url && sent >= total / 2) {
        aborted = true
        console.log(`interrupting at ${sent} of ${total} bytes sent`)
        up.abort().then(() => resolve(up.url), reject)
      }
    },
    onSuccess () { resolve(up.url) }, // a file too small to interrupt
    onError: reject
  })
  up.start()
})

// 2. What did the server keep?
await new Promise(resolve => setTimeout(resolve, 500))
const head = await fetch(uploadUrl, { method: 'HEAD', headers: { Authorization: 'Bearer ' + token, 'Tus-Resumable': '1.0.0' } })
console.log(`server kept ${head.headers.get('upload-offset')} of ${head.headers.get('upload-length')} bytes at ${uploadUrl}`)

// 3. Resume: tus-js-client asks the offset with HEAD and sends the rest.
await new Promise((resolve, reject) => {
  const up = new Upload(data, {
    ...options,
    uploadUrl,
    onProgress (sent, total) { process.stdout.write(`\rresumed: ${sent} of ${total} bytes`) },
    onSuccess () { process.stdout.write('\n'); resolve() },
    onError: reject
  })
  up.start()
})

// 4. The evidence as the server sees it, and its chain of custody.
const id = uploadUrl.split('/').pop()
const ev = await json('GET', `/v1/evidence/${id}`, token)
console.log(`evidence ${ev.id}: ${ev.status}, server sha256 ${ev.sha256 === sha256 ? 'matches' : 'DIFFERS FROM'} the declared one, stored at ${ev.object_key} (${ev.lock_mode} until ${ev.retain_until})`)
const custody = await json('GET', `/v1/evidence/${id}/custody`, token)
console.log('custody: ' + custody.entries.map(e => e.event).join(' -> '))
if (ev.status !== 'verified') process.exit(1)
