/** Selector languages the policy flavours use: Kubernetes label selectors and Calico selectors. */
export {
  isEmptyLabelSelector,
  labelSelectorKeys,
  mapLabelSelectorKeys,
  matchesLabelSelector,
  validateLabelSelector,
  LABEL_SELECTOR_OPERATORS,
  type LabelSelectorOperator,
} from './label-selector.js';
export {
  calicoSelectorLabels,
  evaluateCalicoSelector,
  isCalicoAll,
  printCalicoSelector,
  type CalicoSelector,
} from './calico-ast.js';
export { parseCalicoSelector, type CalicoParseResult } from './calico-parser.js';
export { tokenizeCalicoSelector, CalicoSyntaxError, type CalicoToken } from './calico-tokenizer.js';
