// QueueCtl's PowerShell script check, for machines without PowerShell (DESIGN.md, "PowerShell
// without PowerShell"):
//   1. every .ps1/.psm1/.psd1 in the repository parses with the tree-sitter PowerShell grammar
//      (no ERROR or MISSING nodes), and so does every powershell code block in README.md and docs/;
//   2. every call of a QueueCtl cmdlet in tests/pester, docs/, README.md (and any script) names a
//      real cmdlet and real parameters, in a combination some parameter set allows, according to
//      the surface the xunit module test wrote from the compiled assembly (out/surface.json);
//   3. docs/<Cmdlet>.md (platyPS format) exists for every cmdlet, and its SYNTAX and PARAMETERS
//      sections list exactly the compiled parameter sets and parameters.
// Writes TestResults/powershell-check.results.json ({"passed":N,"failed":N,"skipped":0}) and exits
// non-zero when anything failed.
import { readFileSync, writeFileSync, mkdirSync, readdirSync, existsSync, statSync } from 'node:fs';
import { join, relative, dirname, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Parser from 'tree-sitter';
import PowerShell from 'tree-sitter-powershell';

const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const surfacePath = process.argv[3] ?? join(root, 'out', 'surface.json');
const resultsPath = join(root, 'TestResults', 'powershell-check.results.json');
const skipFolders = new Set(['.git', 'node_modules', 'bin', 'obj', 'out', 'TestResults']);

let passed = 0;
let failed = 0;
const failures = [];
function pass() { passed++; }
function fail(where, message) { failed++; failures.push(`${where}: ${message}`); }

function writeResults() {
  mkdirSync(dirname(resultsPath), { recursive: true });
  writeFileSync(resultsPath, JSON.stringify({ passed, failed, skipped: 0 }) + '\n');
}

if (!existsSync(surfacePath)) {
  fail(relative(root, surfacePath), 'missing: the xunit module tests (QueueCtl.Tests.Module) write it from the compiled module; run them first');
  finish();
}
const surface = JSON.parse(readFileSync(surfacePath, 'utf8'));
const cmdlets = new Map(surface.cmdlets.map(c => [c.name.toLowerCase(), c]));
const common = new Set(surface.commonParameters.map(p => p.toLowerCase()));
const shouldProcess = new Set(surface.shouldProcessParameters.map(p => p.toLowerCase()));
// A QueueCtl-looking command: any verb with a Queue* noun, or the DLQ's DeadJob.
const queueCtlName = /^[A-Za-z]+-(Queue[A-Za-z]*|DeadJob)$/;

const parser = new Parser();
parser.setLanguage(PowerShell);

function walkFiles(folder, found = []) {
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) {
      if (!skipFolders.has(name)) walkFiles(path, found);
    } else found.push(path);
  }
  return found;
}

function* nodes(node) {
  yield node;
  for (let i = 0; i < node.childCount; i++) yield* nodes(node.child(i));
}

/** Parses PowerShell text; reports syntax errors at their line (offset = line of the text in its file). */
function parse(text, where, lineOffset = 0) {
  const tree = parser.parse(text);
  const broken = [...nodes(tree.rootNode)].filter(n => n.type === 'ERROR' || n.isMissing);
  if (broken.length === 0) pass();
  else for (const n of broken.slice(0, 3))
    fail(`${where}:${n.startPosition.row + 1 + lineOffset}`, `${n.isMissing ? `missing ${n.type}` : 'syntax error'} near ${JSON.stringify(n.text.slice(0, 60))}`);
  return tree;
}

/** The parameter set names a parameter belongs to ("__AllParameterSets" = all). */
function setsOf(parameter) { return parameter.sets.map(s => s.name); }

function checkCall(cmdlet, used, where) {
  const problems = [];
  const named = [];
  for (const raw of used) {
    const name = raw.toLowerCase();
    if (common.has(name)) continue;
    if (shouldProcess.has(name)) {
      if (!cmdlet.supportsShouldProcess) problems.push(`-${raw} is not supported (${cmdlet.name} does not change anything)`);
      continue;
    }
    const parameter = cmdlet.parameters.find(p => p.name.toLowerCase() === name || p.aliases.some(a => a.toLowerCase() === name));
    if (!parameter) {
      const near = cmdlet.parameters.filter(p => p.name.toLowerCase().startsWith(name.slice(0, 3))).map(p => '-' + p.name);
      problems.push(`${cmdlet.name} has no parameter -${raw}${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`);
      continue;
    }
    if (parameter.name !== raw) problems.push(`write -${parameter.name}, not -${raw}`);
    named.push(parameter);
  }
  if (problems.length === 0 && named.length > 1) {
    const fits = cmdlet.parameterSets.some(set => named.every(p => setsOf(p).includes(set) || setsOf(p).includes('__AllParameterSets')));
    if (!fits) problems.push(`${named.map(p => '-' + p.name).join(', ')} are in no common parameter set of ${cmdlet.name} (sets: ${cmdlet.parameterSets.join(', ')})`);
  }
  if (problems.length) fail(where, problems.join('; '));
  else pass();
}

/** Checks every QueueCtl command in a parsed tree. */
function checkCalls(tree, where, lineOffset = 0) {
  for (const node of nodes(tree.rootNode)) {
    if (node.type !== 'command') continue;
    const nameNode = node.childForFieldName('command_name');
    if (!nameNode) continue;
    const name = nameNode.text;
    if (!queueCtlName.test(name)) continue;
    const at = `${where}:${node.startPosition.row + 1 + lineOffset}`;
    const cmdlet = cmdlets.get(name.toLowerCase());
    if (!cmdlet) { fail(at, `${name} is not a QueueCtl cmdlet (the module has ${surface.cmdlets.map(c => c.name).join(', ')})`); continue; }
    if (cmdlet.name !== name) { fail(at, `write ${cmdlet.name}, not ${name}`); continue; }
    const elements = node.childForFieldName('command_elements');
    const used = elements ? elements.children.filter(n => n.type === 'command_parameter')
      .map(n => n.text.replace(/^-/, '').replace(/:.*$/s, '')).filter(p => /^[A-Za-z]/.test(p)) : [];
    checkCall(cmdlet, used, at);
  }
}

/** The ```powershell blocks of a markdown file, with the line each starts on. */
function powershellBlocks(text) {
  const blocks = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^```(powershell|pwsh|ps1)\s*$/i);
    if (!open) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    blocks.push({ line: start, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** docs/<Cmdlet>.md: platyPS layout, and SYNTAX/PARAMETERS equal to the compiled surface. */
function checkHelpPage(cmdlet, text, where) {
  const problems = [];
  if (!/^---\n[\s\S]*?external help file: QueueCtl\.PowerShell\.dll-Help\.xml[\s\S]*?Module Name: QueueCtl[\s\S]*?\n---\n/.test(text))
    problems.push('front matter must name "external help file: QueueCtl.PowerShell.dll-Help.xml" and "Module Name: QueueCtl"');
  if (!text.includes(`\n# ${cmdlet.name}\n`)) problems.push(`title must be "# ${cmdlet.name}"`);
  for (const heading of ['## SYNOPSIS', '## SYNTAX', '## DESCRIPTION', '## EXAMPLES', '## PARAMETERS', '## INPUTS', '## OUTPUTS'])
    if (!text.includes(`\n${heading}\n`)) problems.push(`missing section ${heading}`);
  const extra = cmdlet.supportsShouldProcess ? ['WhatIf', 'Confirm'] : [];
  const syntax = text.split('\n## SYNTAX\n')[1]?.split('\n## DESCRIPTION\n')[0] ?? '';
  const blocks = [...syntax.matchAll(/(?:### (\S+)(?: \(Default\))?\n)?```\n([^`]*)```/g)];
  const namedSets = cmdlet.parameterSets.filter(s => s !== '__AllParameterSets');
  if (blocks.length !== Math.max(1, namedSets.length)) problems.push(`SYNTAX shows ${blocks.length} parameter set(s); the cmdlet has ${Math.max(1, namedSets.length)}`);
  for (const [, setName, body] of blocks) {
    const set = setName ?? cmdlet.parameterSets[0];
    if (!cmdlet.parameterSets.includes(set)) { problems.push(`SYNTAX shows a parameter set ${set} that does not exist`); continue; }
    const params = body.trim().startsWith(cmdlet.name) ? body.trim().slice(cmdlet.name.length) : body;
    const shown = [...params.matchAll(/-([A-Za-z]+)/g)].map(m => m[1]);
    const expected = cmdlet.parameters.filter(p => setsOf(p).includes(set) || setsOf(p).includes('__AllParameterSets')).map(p => p.name).concat(extra);
    const missing = expected.filter(n => !shown.includes(n));
    const unknown = shown.filter(n => !expected.includes(n));
    if (!body.trim().startsWith(cmdlet.name)) problems.push(`SYNTAX [${set}] must start with ${cmdlet.name}`);
    if (missing.length) problems.push(`SYNTAX [${set}] lacks ${missing.map(n => '-' + n).join(', ')}`);
    if (unknown.length) problems.push(`SYNTAX [${set}] shows ${unknown.map(n => '-' + n).join(', ')}, not in that set`);
    if (!body.includes('[<CommonParameters>]')) problems.push(`SYNTAX [${set}] must end with [<CommonParameters>]`);
  }
  const documented = [...(text.split('\n## PARAMETERS\n')[1] ?? '').matchAll(/^### -([A-Za-z]+)\s*$/gm)].map(m => m[1]);
  const all = cmdlet.parameters.map(p => p.name).concat(extra);
  const undocumented = all.filter(n => !documented.includes(n));
  const stale = documented.filter(n => !all.includes(n) && n !== 'ProgressAction');
  if (undocumented.length) problems.push(`PARAMETERS lacks ${undocumented.map(n => '-' + n).join(', ')}`);
  if (stale.length) problems.push(`PARAMETERS documents ${stale.map(n => '-' + n).join(', ')}, which the cmdlet does not have`);
  if (!text.includes('### CommonParameters')) problems.push('PARAMETERS must end with ### CommonParameters');
  if (problems.length) fail(where, problems.join('; '));
  else pass();
}

// 1 + 2: every PowerShell file in the repository.
const files = walkFiles(root);
for (const path of files.filter(p => ['.ps1', '.psm1', '.psd1'].includes(extname(p).toLowerCase())).sort()) {
  const where = relative(root, path);
  const tree = parse(readFileSync(path, 'utf8'), where);
  if (extname(path).toLowerCase() !== '.psd1') checkCalls(tree, where);
}
const pesterFiles = files.filter(p => relative(root, p).startsWith(join('tests', 'pester')) && p.endsWith('.Tests.ps1'));
if (pesterFiles.length === 0) fail('tests/pester', 'no *.Tests.ps1 suites found');
for (const cmdlet of surface.cmdlets) {
  if (pesterFiles.some(p => p.endsWith(`${cmdlet.name}.Tests.ps1`))) pass();
  else fail('tests/pester', `no suite ${cmdlet.name}.Tests.ps1`);
}

// 2: the code blocks of README.md and docs/.
const markdown = files.filter(p => p.endsWith('.md') && (relative(root, p) === 'README.md' || relative(root, p).startsWith('docs'))).sort();
for (const path of markdown) {
  const where = relative(root, path);
  for (const block of powershellBlocks(readFileSync(path, 'utf8'))) {
    const tree = parse(block.code, where, block.line);
    checkCalls(tree, where, block.line);
  }
}

// 3: one help page per cmdlet, matching the compiled surface.
for (const cmdlet of surface.cmdlets) {
  const page = join(root, 'docs', `${cmdlet.name}.md`);
  if (!existsSync(page)) { fail(relative(root, page), 'missing: every cmdlet has a platyPS help page'); continue; }
  checkHelpPage(cmdlet, readFileSync(page, 'utf8'), relative(root, page));
}

finish();

function finish() {
  writeResults();
  for (const failure of failures) console.error(`FAIL ${failure}`);
  console.log(`powershell-check: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}
