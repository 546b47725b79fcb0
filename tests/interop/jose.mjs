// Independent JWE implementation (the npm `jose` package) for wallet-core's interop
// tests (wallet-core/tests/jwe_native.rs). Keys are JWK JSON; binary data base64url.
//
//   node tests/interop/jose.mjs decrypt '<private JWK JSON>' '<compact JWE>' [enc]
//       -> prints base64url(plaintext), then a newline. With [enc], only that content
//          encryption is accepted (so a JWE whose header names another one fails);
//          without it, any of ENCS.
//   node tests/interop/jose.mjs encrypt <alg> '<public JWK JSON>' <plaintext b64u> [kid [enc]]
//       -> prints the compact JWE (enc A256GCM unless [enc] is given; an empty kid
//          means no kid)
//
// For alg "dir" the JWK is {"kty":"oct","k":...}. Exit code 1 with a message on error.
import { CompactEncrypt, compactDecrypt, importJWK, base64url } from 'jose';

const ALGS = ['ECDH-ES', 'ECDH-ES+A256KW', 'RSA-OAEP-256', 'dir'];
const ENCS = ['A128GCM', 'A256GCM'];

function checkEnc(enc) {
  if (!ENCS.includes(enc)) throw new Error(`enc must be one of ${ENCS.join(', ')}, not ${enc}`);
  return enc;
}

async function key(jwk, alg) {
  if (jwk.kty === 'oct') return base64url.decode(jwk.k);
  return importJWK(jwk, alg);
}

async function main(argv) {
  const [cmd, ...args] = argv;
  if (cmd === 'decrypt') {
    const [jwkJson, compact, enc] = args;
    const jwk = JSON.parse(jwkJson);
    const header = JSON.parse(new TextDecoder().decode(base64url.decode(compact.split('.')[0])));
    const { plaintext } = await compactDecrypt(
      compact,
      await key(jwk, header.alg),
      {
        keyManagementAlgorithms: ALGS,
        contentEncryptionAlgorithms: enc ? [checkEnc(enc)] : ENCS,
      },
    );
    process.stdout.write(base64url.encode(plaintext) + '\n');
  } else if (cmd === 'encrypt') {
    const [alg, jwkJson, plaintextB64u, kid, enc] = args;
    const header = { alg, enc: checkEnc(enc || 'A256GCM') };
    if (kid) header.kid = kid;
    const jwe = await new CompactEncrypt(base64url.decode(plaintextB64u))
      .setProtectedHeader(header)
      .encrypt(await key(JSON.parse(jwkJson), alg));
    process.stdout.write(jwe + '\n');
  } else {
    throw new Error(`unknown command ${cmd}; use decrypt or encrypt`);
  }
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`jose.mjs: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
