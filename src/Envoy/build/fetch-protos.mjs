// Fetches the pinned @grpc/grpc-js-xds tarball with `npm pack`, verifies its integrity hash,
// extracts it and copies the import closure of the root protos into an output folder.
// Usage: node fetch-protos.mjs <workDir> <outDir> <package@version> <sha512-integrity> <root.proto>...
// Writes <outDir>/closure.txt: one proto path (relative to outDir) per line.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";

const [workDir, outDir, spec, integrity, ...roots] = process.argv.slice(2);
if (!workDir || !outDir || !spec || !integrity || roots.length === 0) {
  console.error("usage: fetch-protos.mjs <workDir> <outDir> <package@version> <integrity> <root.proto>...");
  process.exit(2);
}

mkdirSync(workDir, { recursive: true });
let tarball = readdirSync(workDir).find((f) => f.endsWith(".tgz"));
if (!tarball) {
  execFileSync("npm", ["pack", spec, "--silent", "--pack-destination", workDir], { stdio: ["ignore", "ignore", "inherit"] });
  tarball = readdirSync(workDir).find((f) => f.endsWith(".tgz"));
}
if (!tarball) throw new Error(`npm pack ${spec} produced no tarball in ${workDir}`);

const [algo, expected] = integrity.split(/-(.*)/s);
const actual = createHash(algo).update(readFileSync(join(workDir, tarball))).digest("base64");
if (actual !== expected) {
  rmSync(join(workDir, tarball));
  console.error(`integrity mismatch for ${spec}: expected ${integrity}, got ${algo}-${actual}. The tarball was deleted; check the pin in src/Envoy/Mesh.Envoy.csproj.`);
  process.exit(1);
}

const extracted = join(workDir, "package");
if (!existsSync(extracted)) execFileSync("tar", ["xzf", join(workDir, tarball), "-C", workDir]);

// Import roots inside the tarball, in lookup order.
const searchRoots = ["deps/envoy-api", "deps/xds", "deps/googleapis", "deps/protoc-gen-validate"].map((p) => join(extracted, p));
const find = (rel) => searchRoots.map((r) => join(r, rel)).find((p) => existsSync(p));

const closure = new Set();
const queue = [...roots];
while (queue.length > 0) {
  const rel = queue.pop();
  // Well-known types ship with Grpc.Tools and Google.Protobuf.
  if (closure.has(rel) || rel.startsWith("google/protobuf/")) continue;
  const src = find(rel);
  if (!src) throw new Error(`proto ${rel} not found in ${spec}`);
  closure.add(rel);
  let text = readFileSync(src, "utf8");
  // The bundled protoc-gen-validate predates `ignore_empty`; the rule is validation-only.
  text = text.replace(/,?\s*ignore_empty:\s*true/g, "").replace(/\{\s*,/g, "{");
  const dest = join(outDir, rel);
  mkdirSync(dirname(dest), { recursive: true });
  writeFileSync(dest, text);
  for (const m of text.matchAll(/^import\s+(?:public\s+|weak\s+)?"([^"]+)";/gm)) queue.push(m[1]);
}
writeFileSync(join(outDir, "closure.txt"), [...closure].sort().join("\n") + "\n");
console.log(`fetch-protos: ${closure.size} protos from ${spec} in ${outDir}`);
