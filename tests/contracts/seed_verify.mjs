// The seed document's node.js verification ("Verifying webhook payloads"), run over every
// signing vector. Usage: node seed_verify.mjs path/to/signing-vectors.json
//
// Prints one JSON object: {name: {"bytes": verdict, "text": verdict or null}}, where a verdict
// is "accept", "reject" or "error: <message>". "bytes" hashes the body as a Buffer of its exact
// bytes (what a receiver that keeps the raw body has); "text" hashes it as a JavaScript string,
// as the seed's `const body = "<request body>"` does (only when the body is valid UTF-8, which
// node re-encodes as UTF-8 bytes).
import crypto from "crypto";
import { readFileSync } from "fs";

// The seed's check, word for word but for the variable names it leaves as placeholders.
function seedVerify(secret, body, requestSignature) {
  const signature = crypto
    .createHmac("sha256", secret)
    .update(body)
    .digest("hex");
  return (
    signature.length === requestSignature.length &&
    crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(requestSignature))
  );
}

function verdict(secret, body, requestSignature) {
  try {
    return seedVerify(secret, body, requestSignature) ? "accept" : "reject";
  } catch (error) {
    return `error: ${error.message}`;
  }
}

const file = JSON.parse(readFileSync(process.argv[2], "utf8"));
const verdicts = {};
for (const vector of file.vectors) {
  const signature = vector.header.value;
  const bytes = Buffer.from(vector.body.base64, "base64");
  verdicts[vector.name] = {
    bytes: verdict(vector.secret, bytes, signature),
    text: "utf8" in vector.body ? verdict(vector.secret, vector.body.utf8, signature) : null,
  };
}
process.stdout.write(JSON.stringify(verdicts) + "\n");
