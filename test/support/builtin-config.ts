/**
 * ztgate's own injector as the tests configure it: `mesh.provider: builtin` with explicit test
 * images (ztgate ships none, so DEFAULT_CONFIG has none and runs under Istio).
 */
import { DEFAULT_CONFIG, deepFreeze, type ZtgateConfig } from '../../src/policy/config.js';

/** The proxy image the tests name. */
export const TEST_PROXY_IMAGE = 'registry.example/ztgate-test/proxy:1.0';

/** The redirect init image the tests name. */
export const TEST_INIT_IMAGE = 'registry.example/ztgate-test/proxy-init:1.0';

/** DEFAULT_CONFIG under the builtin provider with the test images. */
export const BUILTIN_CONFIG: ZtgateConfig = deepFreeze({
  ...DEFAULT_CONFIG,
  mesh: { ...DEFAULT_CONFIG.mesh, provider: 'builtin' },
  sidecar: { ...DEFAULT_CONFIG.sidecar, image: TEST_PROXY_IMAGE, initImage: TEST_INIT_IMAGE },
});

/** The same settings as a config file's text (CLI and e2e tests). */
export const BUILTIN_CONFIG_YAML = `mesh:\n  provider: builtin\nsidecar:\n  image: ${TEST_PROXY_IMAGE}\n  initImage: ${TEST_INIT_IMAGE}\n`;

/** The same settings as the object a config file decodes to (merged by ztgate over its defaults). */
export const BUILTIN_CONFIG_OVERRIDES = {
  mesh: { provider: 'builtin' },
  sidecar: { image: TEST_PROXY_IMAGE, initImage: TEST_INIT_IMAGE },
} as const;
