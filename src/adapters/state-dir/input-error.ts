/** Where an object (or a problem) was found: the file ("-" for stdin), the 1-based document, the List item. */
export interface ObjectSource {
  readonly file: string;
  readonly document?: number | undefined;
  readonly item?: number | undefined;
}

/** "file: document 2, item 3" — how input locations are named in messages. */
export function describeSource(source: ObjectSource): string {
  const file = source.file === '-' ? '<stdin>' : source.file;
  if (source.document === undefined) return file;
  const item = source.item === undefined ? '' : `, item ${source.item}`;
  return `${file}: document ${source.document}${item}`;
}

/** Unreadable input (missing file, bad YAML/JSON, not a Kubernetes object), naming the file and document. */
export class InputError extends Error {
  override readonly name: string = 'InputError';
  readonly code = 'ZT_ERR_INPUT';
  readonly source: ObjectSource;
  readonly reason: string;

  constructor(source: ObjectSource, reason: string) {
    super(`${describeSource(source)}: ${reason}`);
    this.source = source;
    this.reason = reason;
  }
}

/** Several inputs that cannot be read, reported together so one run names every one of them. */
export class InputErrors extends InputError {
  override readonly name = 'InputErrors';
  readonly problems: readonly InputError[];

  constructor(problems: readonly InputError[]) {
    const [first] = problems;
    if (first === undefined) throw new TypeError('InputErrors needs at least one problem');
    super(first.source, first.reason);
    this.problems = problems;
    this.message = `${problems.length} inputs cannot be read:\n${problems.map((problem) => `  ${problem.message}`).join('\n')}`;
  }
}
