// Build the browser client into web/static/ (served by the server at /static/).
// Plain node, no bundler: copy the sources and the Socket.IO client bundle.
// Usage: npm ci && node build.mjs
import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, "..", "static");
const sources = readdirSync(join(here, "src")).filter((name) => /\.(html|js|css)$/.test(name));
const vendor = join(here, "node_modules", "socket.io-client", "dist", "socket.io.min.js");

if (!existsSync(vendor)) {
  console.error(`missing ${vendor}: run "npm ci" in web/client first`);
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });
for (const name of sources) copyFileSync(join(here, "src", name), join(outDir, name));
copyFileSync(vendor, join(outDir, "socket.io.min.js"));
console.log(`built ${sources.length + 1} files into ${outDir}`);
