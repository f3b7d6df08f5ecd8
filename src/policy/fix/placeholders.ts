/**
 * The placeholders ztgate's fixes leave for the developer to fill in, and the search for them in
 * manifests. A NetworkPolicy still carrying `app: <caller>` fails at `kubectl apply` (`<` is no
 * label character), but an Istio principal `cluster.local/ns/<caller-namespace>/sa/<caller>` is a
 * plain string the API server stores: a policy that names nobody would pass as an allow-list. So
 * `ztgate check` refuses every manifest that still holds one, naming it and the field.
 */
import { isRecord } from '../objects.js';

/** Each placeholder a fix may print, with what the developer writes in its place. */
export const FIX_PLACEHOLDERS: Readonly<Record<string, string>> = Object.freeze({
  '<caller-namespace>': 'the namespace of a workload that calls this one',
  '<caller>': "the caller's pod label value (or name)",
  '<caller-serviceaccount>': "the caller's ServiceAccount name",
  '<port>': 'the port callers use',
  '<namespace>': 'the namespace of the destination',
  '<service>': "the destination's pod label value",
});

/** A whole value of the form `<something>`: an example a fix printed, never a real label, name or port. */
const WHOLE_PLACEHOLDER = /^<[A-Za-z0-9][A-Za-z0-9 ._/:-]{0,80}>$/;

/** One placeholder left in a manifest. */
export interface PlaceholderFound {
  /** Dotted path of the field (`spec.ingress[0].from[0].podSelector.matchLabels.app`). */
  readonly path: string;
  readonly placeholder: string;
}

function placeholderIn(text: string): string | undefined {
  if (WHOLE_PLACEHOLDER.test(text)) return text;
  for (const placeholder of Object.keys(FIX_PLACEHOLDERS)) if (text.includes(placeholder)) return placeholder;
  return undefined;
}

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/**
 * Every placeholder in keys and string values of `value`, in document order. Iterative: a
 * manifest nested thousands of levels deep must not overflow the stack.
 */
export function findPlaceholders(value: unknown): PlaceholderFound[] {
  const found: PlaceholderFound[] = [];
  const stack: { value: unknown; path: string }[] = [{ value, path: '' }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop() as { value: unknown; path: string };
    if (typeof current === 'string') {
      const placeholder = placeholderIn(current);
      if (placeholder !== undefined) found.push({ path, placeholder });
      continue;
    }
    const children: { value: unknown; path: string }[] = [];
    if (Array.isArray(current)) {
      current.forEach((item: unknown, index) => children.push({ value: item, path: childPath(path, index) }));
    } else if (isRecord(current)) {
      for (const [key, item] of Object.entries(current)) {
        const keyPlaceholder = placeholderIn(key);
        if (keyPlaceholder !== undefined)
          found.push({ path: childPath(path, key), placeholder: keyPlaceholder });
        children.push({ value: item, path: childPath(path, key) });
      }
    }
    // Pushed in reverse so they are visited in document order.
    for (let index = children.length - 1; index >= 0; index -= 1) stack.push(children[index] as never);
  }
  return found;
}

/** What to write in place of a placeholder, for messages. */
export function describePlaceholder(placeholder: string): string {
  return FIX_PLACEHOLDERS[placeholder] ?? `a real value (it is an example from ztgate's fix)`;
}
