export { TaskNotSupportedError } from './errors';
export {
  type FeatureExtractionOptions,
  type FeatureExtractionResult,
  type FeaturePooling,
  featureExtractionHead,
} from './feature-extraction-head';
export { type Pipeline, type PipelineInput, type PipelineOptions, pipeline } from './pipeline';
export { planBatches } from './plan-batches';
export {
  type DeviceRequest,
  isModuleMissing,
  type ModuleImporter,
  type PipelineLogger,
  type SelectBackendOptions,
  type SelectedBackend,
  selectBackend,
} from './select-backend';
export {
  autoTask,
  PIPELINE_TASKS,
  type PipelineResult,
  type PipelineTask,
  type PipelineTaskResults,
  TASKS,
  type TaskDefinition,
  type TaskInputs,
  taskByName,
} from './tasks';
