import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './helpers/cli.js';

interface CodeBlock {
  language: string;
  code: string;
  line: number;
}

/** The README's fenced code blocks, with their language tag and the line they start on. */
function codeBlocks(markdown: string): CodeBlock[] {
  return [...markdown.matchAll(/^```(\S*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    language: m[1]!,
    code: m[2]!,
    line: markdown.slice(0, m.index).split('\n').length,
  }));
}

/**
 * What each language tag means: ts and js blocks are scripts the tests run; sh blocks are commands; untagged blocks
 * are output; python blocks are for users' Python (no Python ONNX Runtime here). The onnxruntime-node snippet needs an
 * exported file: test/onnxExport.test.ts runs it beside one.
 */
const RUNNABLE = new Set(['ts', 'js']);
const NOT_RUN = new Set(['sh', '', 'python']);
const runHere = (b: CodeBlock) => RUNNABLE.has(b.language) && !b.code.includes("from 'onnxruntime-node'");

const blocks = codeBlocks(readFileSync(path.join(ROOT, 'README.md'), 'utf8'));

/**
 * A project directory in which `snapshot-ensembles` and TF.js resolve as in a user's project (this package, its
 * TF.js), for running a README script as written.
 */
function userProject(): string {
  const dir = tempDir('se-readme-');
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(ROOT, path.join(dir, 'node_modules', 'snapshot-ensembles'));
  symlinkSync(path.join(ROOT, 'node_modules', '@tensorflow'), path.join(dir, 'node_modules', '@tensorflow'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'readme-example', private: true, type: 'module' }));
  return dir;
}

describe('the README code blocks', () => {
  it('are each marked: ts/js scripts that run, sh commands, or untagged output', () => {
    for (const b of blocks) expect(RUNNABLE.has(b.language) || NOT_RUN.has(b.language), `README.md line ${b.line}: \`\`\`${b.language}`).toBe(true);
    expect(blocks.filter((b) => RUNNABLE.has(b.language)).length).toBeGreaterThan(0);
  });

  it.each(blocks.filter(runHere).map((b) => [b.line, b] as const))('the script at README.md line %i runs as written and exits by itself', (_line, block) => {
    const dir = userProject();
    const { outputText, diagnostics } = ts.transpileModule(block.code, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      reportDiagnostics: true,
    });
    expect(diagnostics ?? []).toEqual([]);
    writeFileSync(path.join(dir, 'example.mjs'), outputText);
    // twice: a script a reader tries runs again as written
    for (const attempt of [1, 2]) {
      const r = spawnSync(process.execPath, ['example.mjs'], { cwd: dir, encoding: 'utf8', timeout: 150_000, killSignal: 'SIGKILL' });
      expect(r.signal, `run ${attempt} killed: the script did not exit by itself`).toBeNull();
      expect(r.stderr, `run ${attempt}`).toBe('');
      expect(r.status, `run ${attempt}`).toBe(0);
      if (block.code.includes('fileSystem(')) expect(existsSync(path.join(dir, 'my-snapshots', '2', 'model.json'))).toBe(true);
      if (block.code.includes('ensemble of 2 snapshots')) {
        const m = /ensemble of 2 snapshots: error (\d+\.\d\d)%, NLL \d+\.\d{4}, ECE \d+\.\d\d%/.exec(r.stdout);
        expect(m, r.stdout).not.toBeNull();
        // 1,000 images, 4 epochs: about 20% on any engine (a broken engine gave 92.80% on auto)
        expect(Number(m![1])).toBeLessThan(35);
      }
      if (block.code.includes('classes of the first 5 test images')) expect(r.stdout).toMatch(/classes of the first 5 test images: \d \d \d \d \d/);
    }
  });
});
