export { precisionPlanJsonSchema } from './precision-plan.schema';
export { ACTIVATION_TENSOR_NAME_PATTERN, quantProfileJsonSchema } from './quant-profile.schema';
