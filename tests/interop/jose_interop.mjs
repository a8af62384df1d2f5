// The other side of recrypt's interoperability test: the `jose` npm package (pinned in
// package.json) reads what recrypt writes and writes what recrypt must read.
//
//   node jose_interop.mjs decrypt <jwe.json> <private.jwk> <plaintext.out>
//   node jose_interop.mjs encrypt <plaintext> <jwe.out> [apu] <public.jwk>...
//   node jose_interop.mjs verify  <token> <public.jwk> <payload.out>
//   node jose_interop.mjs sign    <payload> <private.jwk> <token.out>
//
// Exit status 0 on success; any failure prints its reason and exits 1.
import * as jose from 'jose';
import { readFileSync, writeFileSync } from 'node:fs';

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const [command, ...args] = process.argv.slice(2);

async function main() {
  switch (command) {
    case 'decrypt': {
      const [jwePath, jwkPath, outPath] = args;
      const key = await jose.importJWK(readJson(jwkPath), 'ECDH-ES+A256KW');
      const { plaintext, protectedHeader } = await jose.generalDecrypt(readJson(jwePath), key);
      if (protectedHeader.enc !== 'A256GCM') throw new Error(`unexpected enc ${protectedHeader.enc}`);
      writeFileSync(outPath, plaintext);
      break;
    }
    case 'encrypt': {
      const [plaintextPath, outPath, apu, ...jwkPaths] = args;
      const encrypt = new jose.GeneralEncrypt(new Uint8Array(readFileSync(plaintextPath)))
        .setProtectedHeader({ enc: 'A256GCM', cty: 'text/plain' });
      for (const [i, path] of jwkPaths.entries()) {
        const recipient = encrypt
          .addRecipient(await jose.importJWK(readJson(path), 'ECDH-ES+A256KW'))
          .setUnprotectedHeader({ alg: 'ECDH-ES+A256KW', kid: `node-${i}` });
        if (apu !== '-') {
          recipient.setKeyManagementParameters({
            apu: new TextEncoder().encode(apu),
            apv: new TextEncoder().encode(`recipient-${i}`),
          });
        }
      }
      writeFileSync(outPath, JSON.stringify(await encrypt.encrypt()));
      break;
    }
    case 'verify': {
      const [tokenPath, jwkPath, outPath] = args;
      const key = await jose.importJWK(readJson(jwkPath), 'ES256');
      const { payload, protectedHeader } = await jose.compactVerify(readFileSync(tokenPath, 'utf8').trim(), key);
      if (protectedHeader.alg !== 'ES256') throw new Error(`unexpected alg ${protectedHeader.alg}`);
      writeFileSync(outPath, payload);
      break;
    }
    case 'sign': {
      const [payloadPath, jwkPath, outPath] = args;
      const key = await jose.importJWK(readJson(jwkPath), 'ES256');
      const token = await new jose.CompactSign(new Uint8Array(readFileSync(payloadPath)))
        .setProtectedHeader({ alg: 'ES256', kid: 'node' })
        .sign(key);
      writeFileSync(outPath, token);
      break;
    }
    default:
      throw new Error(`unknown command ${command}`);
  }
}

main().catch((error) => {
  console.error(`jose_interop ${command}: ${error.code ?? ''} ${error.message}`);
  process.exit(1);
});
