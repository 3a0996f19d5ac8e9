// Build the browser client into web/static/ (served by the server at /static/).
// The pages' own modules are copied as they are (one folder per page: call/, schedule/,
// programmes/ (the programme admin pages), plus shared/) with
// the Socket.IO client bundle; the call page's notes (src/call/notes/: yjs, y-protocols,
// CodeMirror 6 and y-codemirror.next) are bundled by esbuild into one module,
// call/notes.js, so that one copy of yjs serves the editor and the sync.
// Usage: npm ci && node build.mjs
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const srcDir = join(here, "src");
const outDir = join(here, "..", "static");
const vendor = join(here, "node_modules", "socket.io-client", "dist", "socket.io.min.js");

const bundled = join(srcDir, "call", "notes"); // bundled, not copied

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (path === bundled) return [];
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
await build({
  entryPoints: [join(bundled, "index.js")],
  outfile: join(outDir, "call", "notes.js"),
  bundle: true,
  format: "esm",
  minify: true,
  sourcemap: false,
  target: ["es2020"],
  legalComments: "none",
  logLevel: "warning",
});
console.log(`built ${files.length + 2} files into ${outDir}`);
