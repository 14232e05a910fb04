// The layering of DESIGN.md ("Folders"), checked by dependency-cruiser on every `npm test`:
// core <- raft <- net/actors <- node <- chaos, and test/ on top. Run it with `npm run depcheck`.
//
// dependency-cruiser 18 reads TypeScript only through the `typescript` package before version 7,
// and this project type-checks with TypeScript 7 (a native compiler without that JavaScript API).
// So this file doubles as a preload (`node --require ./.dependency-cruiser.cjs depcruise ...`):
// it hands dependency-cruiser a stand-in `typescript` that erases types with Node's own stripper
// and turns type-only imports into plain ones first, so that importing a type across a layer
// boundary counts as the dependency it is.

const layers = '^(core|raft|net|actors|node|chaos|test)/'

/** @type {import('dependency-cruiser').IConfiguration} */
const config = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment:
        'core/ imports nothing outside core/ but msgpackr (a pure codec for its versioned formats): no other layer, no node built-in.',
      severity: 'error',
      from: { path: '^core/' },
      to: { pathNot: '^core/|^node_modules/msgpackr/' },
    },
    {
      name: 'raft-is-pure',
      comment:
        'raft/ imports only core/, raft/ and msgpackr (a pure codec for its versioned formats): no node built-ins, no I/O; raft/storage/ is the exception.',
      severity: 'error',
      from: { path: '^raft/', pathNot: '^raft/storage/' },
      to: { pathNot: '^(core|raft)/|^node_modules/msgpackr/' },
    },
    {
      name: 'raft-storage',
      comment: 'raft/storage/ (the LevelDB adapter) imports core/, raft/, `level` and node built-ins only.',
      severity: 'error',
      from: { path: '^raft/storage/' },
      to: { pathNot: '^(core|raft)/|^node_modules/(level|msgpackr)/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'net-and-actors-below-node',
      comment: 'net/ and actors/ import core/, raft/, packages and themselves; never node/, chaos/, test/.',
      severity: 'error',
      from: { path: '^(net|actors)/' },
      to: { path: '^(node|chaos|test)/' },
    },
    {
      name: 'net-and-actors-apart',
      comment: 'net/ and actors/ are siblings: neither imports the other (node/ wires them together).',
      severity: 'error',
      from: { path: '^(net|actors)/' },
      to: { path: '^(net|actors)/', pathNot: '^$1/' },
    },
    {
      name: 'actors-io-through-ports',
      comment: 'actors/ does I/O only through injected ports, so it imports no I/O built-in.',
      severity: 'error',
      from: { path: '^actors/' },
      to: {
        dependencyTypes: ['core'],
        path: '^(node:)?(fs|net|dgram|dns|http|https|http2|tls|child_process|cluster|worker_threads)(/|$)',
      },
    },
    {
      name: 'node-below-chaos',
      comment: 'node/ is the wiring; the chaos suite drives it, not the other way round.',
      severity: 'error',
      from: { path: '^node/' },
      to: { path: '^(chaos|test)/' },
    },
    {
      name: 'tests-on-top',
      comment: 'Nothing outside test/ imports test/.',
      severity: 'error',
      from: { pathNot: '^test/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles anywhere (STYLE habit 17).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves to a file on disk or a node built-in.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-undeclared-package',
      comment: 'Every package imported is declared in package.json.',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'no-dev-dependency-in-product',
      comment:
        'devDependencies are for test/ and chaos/bench/ only; `npm ci --omit=dev` must run the product.',
      severity: 'error',
      from: { path: layers, pathNot: '^(test|chaos/bench)/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(\\.git|data|\\.sim-out)/' },
    moduleSystems: ['es6', 'cjs'],
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      mainFields: ['module', 'main', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts'],
    },
  },
}

module.exports = config

// The stand-in `typescript` (see the header). It only takes effect when this file is preloaded,
// before dependency-cruiser looks for `typescript`; the second load, for the rules, skips it.
if (!globalThis.coxTypeScriptStandIn) installTypeScriptStandIn()

function installTypeScriptStandIn() {
  const { registerHooks, stripTypeScriptTypes } = require('node:module')
  const { readFileSync } = require('node:fs')
  const { pathToFileURL } = require('node:url')
  const stub = pathToFileURL(`${__dirname}/node_modules/.cox-typescript-stand-in`).href
  const stubs = new Map([
    [`${stub}.mjs`, { format: 'module', source: 'export default globalThis.coxTypeScriptStandIn' }],
    [`${stub}.json`, { format: 'json', source: '{"name":"typescript","version":"5.9.0"}' }],
  ])

  globalThis.coxTypeScriptStandIn = {
    version: '5.9.0 (stand-in: Node type stripping)',
    transpileModule: (source) => ({ outputText: eraseTypes(source) }),
    sys: { useCaseSensitiveFileNames: true, readFile: (path) => readFileSync(path, 'utf8') },
    // Only `paths`/`baseUrl` matter to dependency-cruiser, and tsconfig.json sets neither.
    readConfigFile: (path, readFile) => ({ config: JSON.parse(readFile(path)) }),
    parseJsonConfigFileContent: (json) => ({ options: {}, fileNames: [], errors: [], raw: json }),
    SyntaxKind: {}, // read at load by dependency-cruiser's tsc parser, which we do not use
    formatDiagnostics: (diagnostics) => diagnostics.map((d) => String(d.messageText)).join('\n'),
  }

  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (context.parentURL?.includes('/dependency-cruiser/')) {
        if (specifier === 'typescript') return { url: `${stub}.mjs`, shortCircuit: true }
        if (specifier === 'typescript/package.json') return { url: `${stub}.json`, shortCircuit: true }
      }
      return nextResolve(specifier, context)
    },
    load(url, context, nextLoad) {
      const stubbed = stubs.get(url)
      return stubbed ? { ...stubbed, shortCircuit: true } : nextLoad(url, context)
    },
  })

  function eraseTypes(source) {
    const withTypeImportsKept = source
      .replace(/\bimport\s+type\s+(?!from\b)/g, 'import ')
      .replace(/\bexport\s+type\s+(\{[^}]*\}\s*from\b|\*)/g, 'export $1')
    try {
      return stripTypeScriptTypes(withTypeImportsKept, { mode: 'strip' })
    } catch {
      // Not erasable (tsc reports it); dependency-cruiser falls back to its loose parser.
      return withTypeImportsKept
    }
  }
}
