/**
 * Readers for the values meshes parse from labels and annotations, each as the mesh itself reads
 * them: a value ztgate reads more leniently than the mesh would be a way around the gate.
 */

/** Go's strconv.ParseBool, which istio-cni uses for its boolean pod annotations; undefined when invalid. */
export function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

/**
 * Whether every Istio release injects a pod carrying `sidecar.istio.io/inject: <value>`. Up to
 * 1.26 the injector lowercased the value and injected only for y, yes, true or on: any other
 * value ("False", "0", "no", "off", "nope") skipped injection. From 1.27 only "true" and "false"
 * count and other values fall back to the namespace default. Only the values both read as
 * "inject" are safe; the webhook's objectSelector (`NotIn ["false"]`) lets them all through.
 */
export function isIstioInjectOn(value: string): boolean {
  return ['true', 'y', 'yes', 'on'].includes(value.toLowerCase());
}

/** A comma-separated port list as istio-iptables and linkerd2-proxy-init read it; undefined if malformed. */
export function parsePortList(value: string): number[] | undefined {
  if (value.trim() === '') return [];
  const ports: number[] = [];
  for (const entry of value.split(',')) {
    const text = entry.trim();
    // Linkerd also takes ranges (4000-5000); ztgate accepts none it would have to expand.
    if (!/^\d{1,5}$/.test(text)) return undefined;
    const port = Number(text);
    if (port < 1 || port > 65535) return undefined;
    ports.push(port);
  }
  return ports;
}

/** Whether `value` lists only ports of `allowed` (an empty list included). */
export function isPortSubset(value: string, allowed: readonly number[]): boolean {
  const ports = parsePortList(value);
  return ports !== undefined && ports.every((port) => allowed.includes(port));
}
