export { BASE_MODEL_PREFIXES, describeArchitecture } from './describe-architecture';
export { headKindOf } from './heads';
export { albertGroupOf } from './layers';
export type { ArchitectureDescription, ExpectedTensor, HeadKind } from './types';
