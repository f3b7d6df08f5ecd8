import type { Violation } from '../../types.js';
import type { Rule } from '../rule.js';
import { contextField, exemptionNote, isEnforced, refuseContextValues } from './read.js';

const RULE = 'no-host-process';

const WINDOWS_OPTIONS_HOST_PROCESS = contextField('windowsOptions', 'hostProcess');

/**
 * Pod Security Standards baseline, "HostProcess": `windowsOptions.hostProcess` of the pod and of
 * every container must be undefined or false. A Windows HostProcess container runs on the node
 * itself, in the node's network: no pod sandbox, no policy, no proxy.
 */
export const noHostProcessRule: Rule = {
  name: RULE,
  description: 'No Windows HostProcess containers (Pod Security Standards baseline, HostProcess).',
  appliesTo: 'workload',
  operations: ['CREATE', 'UPDATE'],
  check({ workload, config }): readonly Violation[] {
    if (!isEnforced(workload, config)) return [];
    return refuseContextValues(
      workload,
      config,
      RULE,
      WINDOWS_OPTIONS_HOST_PROCESS,
      ({ value }) => value === false,
      {
        why: 'a HostProcess container runs directly on the Windows node, in its network.',
        fix: () => `Remove \`hostProcess\` from windowsOptions. ${exemptionNote(workload.namespace)}`,
      },
    );
  },
};
