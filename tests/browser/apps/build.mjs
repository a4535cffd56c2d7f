// Builds the framework test apps with esbuild, as sites build theirs: one minified bundle per
// app in tests/browser/apps/dist/, production mode, Vue single-file components compiled at build time.
// Run by `make setup`: node tests/browser/apps/build.mjs
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { compileScript, compileTemplate, parse } from "vue/compiler-sfc";

const here = dirname(fileURLToPath(import.meta.url));
const APPS = { react: "react/main.jsx", vue: "vue/main.js", knockout: "knockout/main.js", jquery: "jquery/main.js",
  chart: "chart/main.js" };

// Compiles each .vue file to a module with its template compiled to a render function, as
// @vitejs/plugin-vue does (a component without a script is its template alone).
const vueFiles = {
  name: "vue-sfc",
  setup(build) {
    build.onLoad({ filter: /\.vue$/ }, async ({ path }) => {
      const { descriptor, errors } = parse(await readFile(path, "utf8"), { filename: path });
      if (errors.length) {
        return { errors: errors.map((error) => ({ text: String(error) })) };
      }
      const contents = descriptor.script || descriptor.scriptSetup
        ? compileScript(descriptor, { id: path, inlineTemplate: true }).content
        : compileTemplate({ source: descriptor.template.content, filename: path, id: path }).code
          + "\nexport default { render };";
      return { contents, loader: "js", resolveDir: dirname(path) };
    });
  },
};

await esbuild.build({
  entryPoints: Object.fromEntries(Object.entries(APPS).map(([name, entry]) => [name, join(here, entry)])),
  outdir: join(here, "dist"),
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  jsx: "automatic",
  loader: { ".html": "text" },
  define: {
    "process.env.NODE_ENV": '"production"',
    __VUE_OPTIONS_API__: "false",
    __VUE_PROD_DEVTOOLS__: "false",
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: "false",
  },
  plugins: [vueFiles],
  logLevel: "warning",
});
