import { Document, isNode } from 'yaml';
import { writeBlockYaml } from './block-yaml.js';

/** One manifest to render, with optional comments placed before given nodes. */
export interface FixManifest {
  readonly value: Readonly<Record<string, unknown>>;
  /** Comments keyed by a path of keys/indexes into the manifest; placed before that node. */
  readonly comments?: readonly { readonly path: readonly (string | number)[]; readonly text: string }[];
}

/** Comment text as the yaml package wants it (it adds the `#`). */
function nodeComment(text: string): string {
  return text
    .split('\n')
    .map((line) => ` ${line}`)
    .join('\n');
}

/**
 * Rendered fixes by their input, most recently used last, for the manifests writeBlockYaml leaves
 * to the yaml package (which builds a document per fix: the costliest step of judging a refused
 * workload, and the background audit judges every namespace again on each full pass).
 */
const rendered = new Map<string, string>();
const RENDERED_MAX = 16_384;

/**
 * Renders prose plus manifests as one valid multi-document YAML text: the prose is a comment,
 * so the whole fix can be saved to a file and applied once the placeholders are filled in.
 * Manifests of plain fields are written directly (block-yaml.ts, the yaml package's text);
 * anything else is rendered by the yaml package, and remembered (see `rendered`).
 */
export function renderFix(prose: string, manifests: readonly FixManifest[]): string {
  const written: string[] = [];
  for (const manifest of manifests) {
    const text = writeBlockYaml(manifest.value, manifest.comments);
    if (text === undefined) return renderRemembered(prose, manifests);
    written.push(text);
  }
  return joinFix(prose, written);
}

function renderRemembered(prose: string, manifests: readonly FixManifest[]): string {
  const key = JSON.stringify([prose, manifests]);
  const known = rendered.get(key);
  if (known !== undefined) {
    rendered.delete(key);
    rendered.set(key, known);
    return known;
  }
  const text = renderFixText(prose, manifests);
  if (rendered.size >= RENDERED_MAX) rendered.delete(rendered.keys().next().value as string);
  rendered.set(key, text);
  return text;
}

/** The yaml package's rendering of a fix, whatever its manifests hold. */
export function renderFixText(prose: string, manifests: readonly FixManifest[]): string {
  const documents = manifests.map((manifest) => {
    const document = new Document(manifest.value);
    for (const comment of manifest.comments ?? []) {
      const node: unknown = document.getIn(comment.path, true);
      if (isNode(node)) node.commentBefore = nodeComment(comment.text);
    }
    return document.toString({ lineWidth: 0 });
  });
  return joinFix(prose, documents);
}

function joinFix(prose: string, documents: readonly string[]): string {
  // Plain comment lines: a document-level comment would be followed by a blank line.
  const header = prose
    .split('\n')
    .map((line) => `# ${line}\n`)
    .join('');
  return `${header}${documents.join('---\n')}`.trimEnd();
}

/**
 * A fix as YAML that pastes: a rule that wrote its fix as plain sentences gets them as comment
 * lines, so every fix parses (comments, then manifests or fragments to paste). A fix that already
 * starts with a comment, a manifest or a document marker is YAML as written.
 */
export function asYamlFix(fix: string): string {
  const start = fix.trimStart();
  if (start === '' || /^(#|---|apiVersion:)/.test(start)) return fix;
  return fix
    .split('\n')
    .map((line) => (line.trim() === '' ? '#' : `# ${line}`))
    .join('\n');
}

/**
 * Indents a fix for printing inside other text, leaving `---` document markers at column 0: an
 * indented marker is no marker (kubectl and every YAML parser read it as a scalar), so a pasted
 * multi-document fix would fail. Indented root mappings and comments parse as written.
 */
export function indentFix(fix: string, prefix: string): string {
  return fix
    .split('\n')
    .map((line) => (line === '' || /^---(\s|$)/.test(line) ? line : `${prefix}${line}`))
    .join('\n');
}
