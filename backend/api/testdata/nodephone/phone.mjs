// A phone that is not written in Go: it signs sync mutations with Node's
// built-in Ed25519 (node:crypto) following the contract's rules
// (openapi.yaml, schema Mutation), formatting its wall times the JavaScript
// way. backend/api's TestSyncPush_NodePhone runs it.
//
//   node phone.mjs keygen
//     prints {"public_key": <raw 32 bytes, base64>, "private_key": <PKCS #8 DER, base64>}
//   node phone.mjs push < {"device_id", "private_key", "mutations": [
//       {"seq", "entity_id", "name", "args": {...}, "wall_ms", "sub_ms_ns"?, "since_boot_ms"}]}
//     prints the body of POST /v1/sync/push, as this phone writes it.
import { createHash, createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';

// field is a signed field: its UTF-8 bytes after their length, a big-endian uint64.
function field(bytes) {
  const n = Buffer.alloc(8);
  n.writeBigUInt64BE(BigInt(bytes.length));
  return Buffer.concat([n, bytes]);
}

function signingMessage(deviceID, m, wall, argsText) {
  const text = ['whistle.mutation.v1', deviceID, String(m.seq), m.entity_id, m.name, wall, String(m.since_boot_ms)];
  const argsHash = createHash('sha256').update(Buffer.from(argsText, 'utf8')).digest();
  return Buffer.concat([...text.map((s) => field(Buffer.from(s, 'utf8'))), field(argsHash)]);
}

// wallText is how this phone writes a time: toISOString (always three
// digits, "….120Z"), or nine digits when the clock gives sub-millisecond
// nanoseconds.
function wallText(m) {
  const iso = new Date(m.wall_ms).toISOString();
  if (m.sub_ms_ns === undefined) return iso;
  return iso.slice(0, -1) + String(m.sub_ms_ns).padStart(6, '0') + 'Z';
}

const command = process.argv[2];
if (command === 'keygen') {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
  process.stdout.write(JSON.stringify({
    public_key: raw.toString('base64'),
    private_key: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
  }));
} else if (command === 'push') {
  const input = JSON.parse(readFileSync(0, 'utf8'));
  const key = createPrivateKey({ key: Buffer.from(input.private_key, 'base64'), format: 'der', type: 'pkcs8' });
  const mutations = input.mutations.map((m) => {
    const wall = wallText(m);
    const argsText = JSON.stringify(m.args, null, 2); // the exact bytes signed and sent
    const signature = sign(null, signingMessage(input.device_id, m, wall, argsText), key).toString('base64');
    return `{"seq":${m.seq},"entity_id":${JSON.stringify(m.entity_id)},"name":${JSON.stringify(m.name)},` +
      `"args":${argsText},"clock":{"wall":${JSON.stringify(wall)},"since_boot_ms":${m.since_boot_ms}},` +
      `"signature":${JSON.stringify(signature)}}`;
  });
  process.stdout.write(`{"mutations":[${mutations.join(',')}]}`);
} else {
  process.stderr.write('usage: node phone.mjs keygen | push < input.json\n');
  process.exit(2);
}
