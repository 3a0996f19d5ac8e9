// Build the browser client into web/static/ (served by the server at /static/).
// Plain node, no bundler: copy the sources (one folder per page, plus shared/) and the
// Socket.IO client bundle. Usage: npm ci && node build.mjs
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const srcDir = join(here, "src");
const outDir = join(here, "..", "static");
const vendor = join(here, "node_modules", "socket.io-client", "dist", "socket.io.min.js");

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(html|js|css)$/.test(entry.name) ? [path] : [];
  });
}

if (!existsSync(vendor)) {
  console.error(`missing ${vendor}: run "npm ci" in web/client first`);
  process.exit(1);
}
rmSync(outDir, { recursive: true, force: true });
const files = sources(srcDir);
for (const path of files) {
  const target = join(outDir, relative(srcDir, path));
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(path, target);
}
copyFileSync(vendor, join(outDir, "socket.io.min.js"));
console.log(`built ${files.length + 1} files into ${outDir}`);
